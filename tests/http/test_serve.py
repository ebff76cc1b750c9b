"""``postroom serve`` as a real process: first run, HTTP, cron, graceful SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from postroom.testing.net import free_port

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "serve-secret"


@pytest.fixture
def addons_dir(tmp_path: Path) -> Path:
    """An addons directory holding one small application (what a first run installs)."""
    addon = tmp_path / "addons" / "serve_app"
    addon.mkdir(parents=True)
    (addon / "__init__.py").write_text("")
    (addon / "__manifest__.py").write_text(repr({
        "name": "Serve test application", "depends": ["base"], "application": True,
        "installable": True}))
    return addon.parent


@pytest.fixture
def fresh_dbname(postroom_server) -> Iterator[str]:
    name = f"postroom_test_serve_{uuid.uuid4().hex[:8]}"
    yield name
    if postroom_server.exists(name):
        postroom_server.drop_database(name)



def fetch(url: str, payload: dict | None = None) -> tuple[int, str]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def jsonrpc(url: str, service: str, method: str, *args) -> object:
    status, body = fetch(f"{url}/jsonrpc", {"jsonrpc": "2.0", "method": "call", "id": 1,
                                            "params": {"service": service, "method": method,
                                                       "args": list(args)}})
    assert status == 200, body
    return json.loads(body)["result"]


def wait_until_up(process: subprocess.Popen, url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}: "
                                 f"{process.communicate()}")
        try:
            if fetch(f"{url}/web/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not answer in time")


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["threads", "gunicorn"])
def test_serve_first_run_http_and_sigterm(postroom_server, addons_dir: Path, fresh_dbname: str,
                                          tmp_path: Path, workers: list[str]) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "postroom", "--db-url", postroom_server.dsn_for("postgres"),
         "--addons-path", str(addons_dir), "serve", "-d", fresh_dbname,
         "--http-port", str(port), "--admin-password", ADMIN_PASSWORD, *workers],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")})
    try:
        wait_until_up(process, url)
        status, body = fetch(f"{url}/web/webclient/version_info",
                             {"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1})
        assert status == 200 and json.loads(body)["result"]["server_version"] == "17.0"
        # the first run installed the applications of the addons path, and set the password
        uid = jsonrpc(url, "common", "login", fresh_dbname, "admin", ADMIN_PASSWORD)
        assert uid == 2
        installed = jsonrpc(url, "object", "execute_kw", fresh_dbname, uid, ADMIN_PASSWORD,
                            "ir.module.module", "search_read",
                            [[["state", "=", "installed"]]], {"fields": ["name"]})
        assert {"base", "serve_app"} <= {row["name"] for row in installed}
        login_status, login_page = fetch(f"{url}/web/login")
        if login_status != 404:  # once the backend's login page is installed
            assert login_status == 200 and "password" in login_page
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"Postroom is serving database '{fresh_dbname}' at {url}/" in out
    assert "as 'admin'" in out
    assert "SIGTERM received" in err
    assert "cron-1: stopped" in err
    if workers:
        assert err.count("Booting worker") == 2
