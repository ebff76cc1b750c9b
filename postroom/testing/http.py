"""HTTP test helpers: an in-process client on the test transaction, and a live server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.test import Client

from postroom.http.app import Application, SharedCursorTransactions
from postroom.http.server import ThreadedServer


class TestClient(Client):
    """A werkzeug client that knows how to log in and carry the CSRF token."""

    __test__ = False  # not a test class, whatever pytest thinks of its name
    #: the CSRF token of the session, once known (sent by :meth:`json_call`)
    csrf: str | None = None

    def csrf_token(self, path: str = "/web/login") -> str:
        """The CSRF token of the current session, read from a page's form."""
        page = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not match:
            raise AssertionError(f"No CSRF token on {path}")
        self.csrf = match.group(1)
        return self.csrf

    def login(self, login: str, password: str) -> Any:
        """Log in through the login form of the backend (``/web/login``)."""
        token = self.csrf_token("/web/login")
        return self.post("/web/login", data={"login": login, "password": password,
                                              "csrf_token": token})

    def authenticate(self, db: str, login: str, password: str) -> dict[str, Any]:
        """Log in through ``/web/session/authenticate``; returns the JSON-RPC response."""
        response = self.json_call("/web/session/authenticate",
                                  {"db": db, "login": login, "password": password})
        if "result" in response:
            self.csrf = response["result"]["csrf_token"]
        return response

    def json_call(self, path: str, params: dict | None = None, csrf: str | None = None,
                  **kwargs: Any) -> Any:
        """POST a JSON-RPC call (with the known CSRF token); returns the decoded response."""
        token = csrf or self.csrf
        headers = {"X-CSRF-Token": token} if token else {}
        response = self.post(path, json={"jsonrpc": "2.0", "method": "call",
                                         "params": params or {}, "id": 1},
                             headers=headers, **kwargs)
        return response.get_json()


def shared_cursor_app(registry: Any, cr: Any, debug: bool = False) -> Application:
    """The application running every request inside the test's transaction."""
    return Application(registry.database, registry=registry, debug=debug,
                       transactions=SharedCursorTransactions(cr))


@contextmanager
def live_server(app: Application) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in threads; yields its base URL."""
    server = ThreadedServer(app, "127.0.0.1", 0)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()
