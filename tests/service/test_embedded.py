"""The embedded cluster: start on demand, reuse across processes, restart, stale pid files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from postroom.service import DatabaseUnavailable, EmbeddedCluster, Server

REPO_ROOT = Path(__file__).resolve().parents[2]
# A second process: prints the postmaster pid serving <data_dir> after a query went through.
CHILD = """
import sys
from postroom.service import Server
server = Server.embedded(sys.argv[1])
with server.database("postgres").cursor() as cr:
    cr.execute("SELECT 1")
print(server.cluster.running_pid())
"""


def start_child(data_dir: Path) -> subprocess.Popen:
    """Run CHILD in a fresh interpreter that imports this checkout's ``postroom``."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh data directory; whatever cluster ends up in it is destroyed afterwards."""
    data_dir = tmp_path / "data dir"  # a space, to check quoting in pg_ctl commands
    yield data_dir
    EmbeddedCluster(data_dir / "pgdata").destroy()


def query_pid(server: Server) -> int:
    with server.database("postgres").cursor() as cr:
        cr.execute("SELECT pg_postmaster_start_time(), 1")
        assert cr.fetchone()[1] == 1
    assert server.cluster is not None
    pid = server.cluster.running_pid()
    assert pid is not None
    return pid


def test_started_on_first_use_and_persistent(data_dir: Path) -> None:
    server = Server.embedded(data_dir)
    assert server.cluster is not None and server.cluster.running_pid() is None
    pid = query_pid(server)
    pgdata = data_dir / "pgdata"
    assert (pgdata / "PG_VERSION").is_file()
    assert (pgdata / ".s.PGSQL.5432").is_socket()
    assert pgdata.stat().st_mode & 0o777 == 0o700
    if os.geteuid() == 0:
        assert psutil.Process(pid).username() == "embedded_postgres"
    server.close_all()
    assert EmbeddedCluster(pgdata).running_pid() == pid  # closing pools does not stop it
    with Server.embedded(data_dir).database("postgres").cursor() as cr:
        cr.execute("SELECT lower('ÉLODIE'), 'Élodie' ILIKE 'élodie', current_setting('port')")
        assert cr.fetchone() == ("élodie", True, "5432")


def test_reused_by_other_processes(data_dir: Path) -> None:
    pid = query_pid(Server.embedded(data_dir))
    child = start_child(data_dir)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert int(out) == pid
    assert EmbeddedCluster(data_dir / "pgdata").running_pid() == pid  # child exit keeps it


def test_concurrent_first_start_runs_one_server(data_dir: Path) -> None:
    children = [start_child(data_dir) for _ in range(3)]
    outputs = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], outputs
    assert len({int(out) for out, _ in outputs}) == 1


def test_restarted_after_stop(data_dir: Path) -> None:
    server = Server.embedded(data_dir)
    first = query_pid(server)
    assert server.cluster is not None
    server.cluster.stop()
    assert server.cluster.running_pid() is None
    server.cluster.stop()  # stopping a stopped cluster is a no-op
    second = query_pid(server)  # the pooled connection is dead; a new one restarts it
    assert second != first


def test_stale_pid_file_with_recycled_pid(data_dir: Path) -> None:
    server = Server.embedded(data_dir)
    pid = query_pid(server)
    postmaster = psutil.Process(pid)
    children = postmaster.children()
    os.kill(pid, signal.SIGKILL)  # a crash: postmaster.pid stays behind
    psutil.wait_procs([postmaster, *children], timeout=10)
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    lines = pid_file.read_text().splitlines()
    lines[0] = str(os.getpid())  # ...and its pid now belongs to a live, unrelated process
    pid_file.write_text("\n".join(lines) + "\n")
    assert query_pid(server) not in (pid, os.getpid())


def test_long_data_dir_puts_socket_elsewhere(tmp_path: Path) -> None:
    cluster = EmbeddedCluster(tmp_path / ("d" * 90) / "pgdata")
    try:
        assert cluster.socket_dir != cluster.pgdata
        cluster.ensure_running()
        assert (cluster.socket_dir / ".s.PGSQL.5432").is_socket()
        assert cluster.socket_dir.stat().st_mode & 0o777 == 0o700
        query_pid(Server(cluster.dsn(), cluster=cluster))
    finally:
        cluster.destroy()
    assert not cluster.socket_dir.exists() and not cluster.pgdata.exists()


def test_unstartable_cluster_error_is_clear(tmp_path: Path) -> None:
    (tmp_path / "data/pgdata").mkdir(parents=True)
    (tmp_path / "data/pgdata/stray-file").write_text("not a cluster")
    server = Server.embedded(tmp_path / "data")
    with pytest.raises(DatabaseUnavailable, match="is not a PostgreSQL data directory"):
        server.list_databases()
