"""The current request: ``from postroom.http import request``.

``request`` is a context-local proxy to the :class:`Request` being handled in
this thread: the werkzeug request (``request.httprequest``), the session, the
environment of the user (``request.env``), the parameters, and helpers to
build responses (``render``, ``redirect``, ``make_json_response``…).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import NotFound
from werkzeug.local import LocalProxy
from werkzeug.utils import redirect as werkzeug_redirect
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from postroom.http.session import Session
    from postroom.orm.environment import Environment
    from postroom.orm.registry import Registry

#: work done in a transaction of its own: ``work(cr)``
DetachedWork = Callable[[Any], None]

_current: ContextVar[Request] = ContextVar("postroom_request")


class Request:
    """One HTTP request being served."""

    def __init__(self, httprequest: WerkzeugRequest, registry: Registry | None,
                 detached: Callable[[DetachedWork], None] | None = None):
        self.httprequest = httprequest
        self.registry = registry
        #: runs work in a transaction that commits whatever becomes of the request's
        self.detached = detached
        self.env: Environment | None = None
        self.session: Session | None = None
        self.params: dict[str, Any] = {}
        self.routing_type = "http"
        #: the ``id`` of a JSON-RPC request, echoed in its response
        self.json_id: Any = None

    @property
    def db(self) -> str | None:
        return self.registry.dbname if self.registry else None

    @property
    def uid(self) -> int | None:
        return self.session.uid if self.session else None

    @property
    def remote_address(self) -> str:
        return self.httprequest.remote_addr or "unknown"

    def update_env(self, user: int | None = None, context: dict | None = None,
                   su: bool | None = None) -> None:
        """Replace ``request.env`` by a derived environment."""
        assert self.env is not None
        self.env = self.env(user=user, context=context, su=su)

    def authenticate(self, login: str, password: str) -> int:
        """Check the credentials (through the brake on guessing) and log the session in.

        The session key rotates; ``request.env`` becomes the user's. Raises
        AccessError for wrong credentials, or while the brake holds them.
        """
        from postroom.http.rpc import authenticate
        assert self.env is not None and self.session is not None
        uid = authenticate(self.env, login, password, self.remote_address)
        context = self.env(user=uid, su=False)["res.users"].context_get()
        self.session.login(uid, context)
        self.env = self.env(user=uid, su=False, context=context)
        return uid

    def csrf_token(self) -> str:
        """A token to put in forms (``csrf_token`` field) for this session."""
        from postroom.http.security import csrf_token
        assert self.session is not None
        return csrf_token(self.session)

    # ------------------------------------------------------------------
    # responses
    # ------------------------------------------------------------------
    def render(self, template: str, values: dict[str, Any] | None = None, status: int = 200,
               headers: dict[str, str] | None = None) -> Response:
        """An HTML page from the QWeb template ``template`` (an ir.ui.view key)."""
        from postroom.http.templates import render_template
        html = render_template(self, template, values or {})
        return Response(html, status=status, headers=headers, mimetype="text/html")

    def redirect(self, location: str, code: int = 303) -> Response:
        if not location.startswith("/") or location.startswith("//"):
            location = "/"
        return werkzeug_redirect(location, code=code)

    def make_response(self, data: str | bytes, headers: list | dict | None = None,
                      status: int = 200) -> Response:
        return Response(data, status=status, headers=headers)

    def make_json_response(self, data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data, default=str), status=status,
                        mimetype="application/json")

    def not_found(self, description: str | None = None) -> NotFound:
        return NotFound(description)


def current() -> Request:
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("No HTTP request is being handled in this context") from None


request: Request = LocalProxy(current)  # type: ignore[assignment]


def bind(req: Request) -> Any:
    """Make ``req`` the current request; returns a token for :func:`unbind`."""
    return _current.set(req)


def unbind(token: Any) -> None:
    _current.reset(token)


def run_detached(registry: Registry, work: DetachedWork) -> None:
    """Run ``work(cr)`` in a transaction of its own, kept even if the request fails.

    Inside a request, the application decides how (tests keep it in their
    transaction); elsewhere a new cursor of ``registry`` commits it at once.
    """
    req = _current.get(None)
    if req is not None and req.detached is not None:
        req.detached(work)
    else:
        with registry.cursor() as cr:
            work(cr)
