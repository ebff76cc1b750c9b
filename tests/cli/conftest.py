"""Run the real ``postroom`` command, in a subprocess, against the test PostgreSQL server.

``postroom(*args, input=…)`` runs ``python -m postroom --db-url <server> …`` in a scratch
directory (so no ``postroom.conf`` is picked up) and returns the completed process, text
mode. ``postroom.new_dbname()`` gives a unique database name; every database named this
way is dropped after the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from postroom.service.db import Server

ROOT = Path(__file__).resolve().parents[2]
TEST_ADDONS = ROOT / "tests" / "addons"


class Postroom:
    """The ``postroom`` command, bound to the test server."""

    def __init__(self, server: Server, cwd: Path):
        self.server = server
        self.cwd = cwd
        self.url = server.dsn_for("postgres")
        self.databases: list[str] = []

    def new_dbname(self) -> str:
        name = f"postroom_cli_{uuid.uuid4().hex[:10]}"
        self.databases.append(name)
        return name

    @staticmethod
    def addons_path(*extra: Path) -> str:
        """``--addons-path``: ``extra`` directories, then tests/addons and the defaults."""
        return ",".join(str(path) for path in (*extra, TEST_ADDONS, ROOT))

    def __call__(self, *args: str, input: str | None = None, addons_path: str | None = None,
                 options_after: bool = False, db_url: bool = True
                 ) -> subprocess.CompletedProcess[str]:
        """Run ``postroom --db-url … [--addons-path …] *args`` (options after the command with
        ``options_after``; no ``--db-url`` without ``db_url``)."""
        env = {key: value for key, value in os.environ.items()
               if key not in ("POSTROOM_DB_URL", "POSTROOM_CONFIG")}
        options = [*(["--db-url", self.url] if db_url else []),
                   *(["--addons-path", addons_path] if addons_path else [])]
        command = [*args[:1], *options, *args[1:]] if options_after else [*options, *args]
        return subprocess.run([sys.executable, "-m", "postroom", *command], input=input or "",
                              capture_output=True, text=True, cwd=self.cwd, env=env, timeout=120,
                              check=False)

    def query(self, dbname: str, sql: str, *params: object) -> list[tuple]:
        cnx = self.server.connect_raw(dbname)
        try:
            with cnx.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall()
        finally:
            cnx.close()

    def drop_all(self) -> None:
        for name in self.databases:
            if self.server.exists(name):
                self.server.drop_database(name)


@pytest.fixture
def postroom(postroom_server: Server, tmp_path: Path) -> Iterator[Postroom]:
    runner = Postroom(postroom_server, tmp_path)
    yield runner
    runner.drop_all()
