"""Running a WSGI application: threads for development, gunicorn workers for production.

Both servers have the same life cycle: :meth:`start` returns once they accept
connections, :meth:`alive` says whether they still serve, and :meth:`stop`
ends them gracefully: no new connections, and the requests in progress get
``grace`` seconds to finish.

:class:`ThreadedServer`
    Werkzeug's threaded server, in a thread of this process.
:class:`GunicornServer`
    Gunicorn's arbiter in a forked child process, running ``workers`` worker
    processes of ``threads`` threads each. Every worker builds its own
    application with ``app_factory`` after the fork, since database
    connections belong to one process: the caller must close its own pools
    before :meth:`~GunicornServer.start`.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
#: seconds granted to requests in progress when a server stops
GRACE = 30.0


class ThreadedServer:
    """Werkzeug's threaded server in a background thread (``port=0``: any free port)."""

    def __init__(self, app: WSGIApp, host: str, port: int, grace: float = GRACE):
        self.app = app
        self.grace = grace
        self._active = 0
        self._idle = threading.Condition()
        self.server = make_server(host, port, self._counting, threaded=True)
        self.port: int = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, name="http",
                                        daemon=True)

    def _counting(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """The application, counting the requests in progress (until their body is sent)."""
        with self._idle:
            self._active += 1
        try:
            return ClosingIterator(self.app(environ, start_response), self._done)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> int:
        """Stop accepting, let the requests in progress finish; returns 0."""
        self.server.shutdown()
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=self.grace)
        self.server.server_close()
        self._thread.join()
        return 0


class GunicornServer:
    """Gunicorn's arbiter and its workers, in a child process."""

    def __init__(self, app_factory: Callable[[], WSGIApp], host: str, port: int, *,
                 workers: int, threads: int = 4, grace: float = GRACE,
                 log_level: str = "info", boot_timeout: float = 120.0):
        self.app_factory = app_factory
        self.host = host
        self.port = port
        self.workers = workers
        self.threads = threads
        self.grace = grace
        self.log_level = log_level
        self.boot_timeout = boot_timeout
        self.pid: int | None = None
        self.status: int | None = None

    def start(self) -> None:
        """Fork the arbiter; return once every worker has loaded the application."""
        ready_read, ready_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child becomes gunicorn's arbiter, and never returns
            os.close(ready_read)
            self._run_arbiter(ready_write)
        os.close(ready_write)
        self.pid = pid
        try:
            self._wait_ready(ready_read)
        finally:
            os.close(ready_read)

    def _run_arbiter(self, ready_fd: int) -> None:
        code = 1
        try:
            _GunicornApplication(self, ready_fd).run()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)  # never run the parent's cleanup in the child

    def _wait_ready(self, ready_fd: int) -> None:
        """Read one byte per booted worker; fail if the arbiter exits or takes too long."""
        deadline = time.monotonic() + self.boot_timeout
        booted = 0
        while booted < self.workers:
            if not self.alive():
                raise RuntimeError(f"The HTTP server exited during start-up "
                                   f"(status {self.status}); see the messages above.")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise RuntimeError(f"The HTTP workers did not start within "
                                   f"{self.boot_timeout:g} seconds.")
            readable, _, _ = select.select([ready_fd], [], [], min(remaining, 0.5))
            if readable:
                booted += len(os.read(ready_fd, 64))

    def alive(self) -> bool:
        if self.pid is None or self.status is not None:
            return False
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.status = os.waitstatus_to_exitcode(status)
        return self.status is None

    def stop(self) -> int:
        """SIGTERM (gunicorn's graceful stop), SIGKILL after the grace; the exit status."""
        if self.alive():
            assert self.pid is not None
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + self.grace + 5
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.alive():
                os.kill(self.pid, signal.SIGKILL)
                _, status = os.waitpid(self.pid, 0)
                self.status = os.waitstatus_to_exitcode(status)
        return self.status or 0


def _signal_ready(ready_fd: int) -> Callable[[Any], None]:
    """A ``post_worker_init`` hook telling the parent that one more worker is ready."""
    def post_worker_init(worker: Any) -> None:
        with contextlib.suppress(OSError):
            os.write(ready_fd, b"w")
    return post_worker_init


class _GunicornApplication(BaseApplication):
    """Gunicorn's application interface, configured from a :class:`GunicornServer`."""

    def __init__(self, server: GunicornServer, ready_fd: int):
        self.server = server
        self.ready_fd = ready_fd
        super().__init__()

    def load_config(self) -> None:
        server = self.server
        settings = {
            "bind": [f"{server.host}:{server.port}"],
            "workers": server.workers,
            "worker_class": "gthread",
            "threads": server.threads,
            "graceful_timeout": int(server.grace),
            "timeout": 120,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": server.log_level,
            "proc_name": "postroom",
            "post_worker_init": _signal_ready(self.ready_fd),
        }
        if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25
            # several servers may run at once: no control socket shared between them
            settings["control_socket_disable"] = True
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return self.server.app_factory()
