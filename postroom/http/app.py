"""The WSGI application: one database, one transaction per request.

For each request the application matches the URL against the routes of the
addons installed in the database, opens a transaction, loads the session,
checks authentication and CSRF, calls the endpoint, saves the session and
commits; any error rolls the transaction back and becomes a proper response
(see :mod:`postroom.http.errors`). A transaction that loses a race with
another (serialization failure, deadlock) is retried a few times. Every
response carries the security headers of :mod:`postroom.http.security`.

How transactions are opened is pluggable (:class:`Transactions`): one per
request normally, or a savepoint on a shared cursor in tests so that requests
see the test's uncommitted data.
"""

from __future__ import annotations

import contextlib
import json
import logging
import mimetypes
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from psycopg2.extensions import TransactionRollbackError
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
    UnsupportedMediaType,
)
from werkzeug.routing import Map
from werkzeug.utils import send_file
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response

from postroom.http import security
from postroom.http.errors import SessionExpired, http_error, json_error
from postroom.http.request import DetachedWork, Request, bind, unbind
from postroom.http.routing import Endpoint, build_routing_map
from postroom.http.session import COOKIE_NAME, SessionStore
from postroom.modules.loader import AddonLoader
from postroom.orm.environment import Environment
from postroom.orm.registry import Registry

_logger = logging.getLogger(__name__)
_STATIC = re.compile(r"^/([a-z0-9_]+)/static/(.+)$")
_SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
#: attempts of a request whose transaction lost a race (serialization failure, deadlock)
MAX_TRIES = 3


class HttpRequest(WerkzeugRequest):
    """The werkzeug request, with a bound on what a client may upload."""

    max_content_length = 128 * 1024 * 1024


class Transactions:
    """Opens one database transaction per request, committed when it succeeds."""

    def __init__(self, registry_getter: Callable[[], Registry]):
        self.registry_getter = registry_getter

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        with self.registry_getter().cursor() as cr:
            yield cr

    def detached(self, work: DetachedWork) -> None:
        """Run ``work(cr)`` in a transaction of its own, committed at once."""
        with self.registry_getter().cursor() as cr:
            work(cr)


class SharedCursorTransactions(Transactions):
    """Tests: every request runs in a savepoint of one shared cursor, one at a time.

    Detached work runs on the shared cursor after the request's savepoint,
    so that it survives the request's rollback but not the test's.
    """

    def __init__(self, cr: Any):
        self.cr = cr
        self.lock = threading.RLock()
        self._pending: list[DetachedWork] | None = None

    @contextlib.contextmanager
    def cursor(self) -> Iterator[Any]:
        with self.lock:
            self._pending = []
            try:
                with self.cr.savepoint():
                    yield self.cr
            finally:
                pending, self._pending = self._pending, None
                for work in pending:
                    work(self.cr)

    def detached(self, work: DetachedWork) -> None:
        if self._pending is None:
            work(self.cr)
        else:
            self._pending.append(work)


class Application:
    """The WSGI application serving one database."""

    def __init__(self, database: Any, addons_path: list[str] | None = None, *,
                 debug: bool = False, registry: Registry | None = None,
                 transactions: Transactions | None = None):
        self.database = database
        self.addons_path = addons_path
        self.debug = debug
        self._registry = registry
        self._lock = threading.Lock()
        self._routing: tuple[tuple[str, ...], Map, dict[str, Endpoint]] | None = None
        self.transactions = transactions or Transactions(self.registry)
        self.sessions = SessionStore()

    # ------------------------------------------------------------------
    # registry and routes
    # ------------------------------------------------------------------
    def registry(self) -> Registry:
        """The registry of the database, loaded at first use."""
        if self._registry is None:
            with self._lock:
                if self._registry is None:
                    self._registry = AddonLoader(self.database, self.addons_path).load_registry()
        return self._registry

    def routing(self) -> tuple[Map, dict[str, Endpoint]]:
        """The URL map of the installed addons (rebuilt when they change)."""
        addons = tuple(self.registry().addons)
        current = self._routing
        if current is None or current[0] != addons:
            current = (addons, *build_routing_map(addons))
            self._routing = current
        return current[1], current[2]

    # ------------------------------------------------------------------
    # WSGI
    # ------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Any) -> Any:
        httprequest = HttpRequest(environ)
        try:
            response = self.dispatch(httprequest)
        except Exception:
            _logger.exception("Error while serving %s", httprequest.path)
            response = InternalServerError().get_response(environ)
        security.add_security_headers(response, https=httprequest.scheme == "https")
        return response(environ, start_response)

    def dispatch(self, httprequest: WerkzeugRequest) -> Response:
        """Route the request and serve it in a transaction (retried after a lost race)."""
        static = _STATIC.match(httprequest.path)
        if static:
            return self.serve_static(httprequest, *static.groups())
        url_map, endpoints = self.routing()
        try:
            key, url_args = url_map.bind_to_environ(httprequest.environ).match()
        except HTTPException as exc:  # 404, 405, or a redirect adding a missing slash
            return exc.get_response(httprequest.environ)
        endpoint = endpoints[key]
        req = Request(httprequest, self.registry(), detached=self.transactions.detached)
        req.routing_type = endpoint.routing.type
        token = bind(req)
        try:
            attempt = 1
            while True:
                try:
                    with self.transactions.cursor() as cr:
                        return self.serve(req, cr, endpoint, url_args)
                except TransactionRollbackError as exc:
                    if attempt == MAX_TRIES:
                        return self.error_response(req, exc)
                    attempt += 1
                    _logger.info("%s: %s, retrying (attempt %d of %d)", httprequest.path,
                                 type(exc).__name__, attempt, MAX_TRIES)
                    time.sleep(random.uniform(0, 0.05 * 2 ** attempt))
                except Exception as exc:
                    return self.error_response(req, exc)
        finally:
            unbind(token)

    def serve(self, req: Request, cr: Any, endpoint: Endpoint, url_args: dict) -> Response:
        """Authenticate, check CSRF, call the endpoint and build its response."""
        httprequest = req.httprequest
        routing = endpoint.routing
        req.registry.signal.check(cr)  # another process may have changed cached rights
        if routing.type == "json" and not httprequest.is_json:
            # a cross-site form cannot send application/json: no JSON call is forged this way
            raise UnsupportedMediaType("JSON routes accept only 'Content-Type: application/json'.")
        session = req.session = self.sessions.load(cr, httprequest.cookies.get(COOKIE_NAME))
        uid = session.uid
        if routing.auth == "user" and not uid:
            if routing.type == "json":
                raise SessionExpired("Session expired: log in again.")
            return self.finish(req, cr, req.redirect(
                "/web/login?redirect=" + quote(httprequest.full_path.rstrip("?"))))
        if routing.auth == "none":
            uid = None
        req.env = Environment(cr, uid or _public_uid(req.registry, cr),
                              dict(session.context) if uid else {}, registry=req.registry)
        params = self.parse_params(req, routing.type)
        token = params.pop(security.CSRF_FIELD, None) or httprequest.headers.get(
            security.CSRF_HEADER)
        if routing.csrf and httprequest.method not in _SAFE_METHODS and \
                not security.check_csrf(session, token):
            raise Forbidden("Invalid or missing CSRF token: reload the page and try again.")
        params.update(url_args)
        req.params = params
        missing = endpoint.missing(params)
        if missing:
            raise BadRequest(f"Missing parameter(s): {', '.join(sorted(missing))}.")
        result = endpoint(params)
        if routing.type == "json":
            response = req.make_json_response(
                {"jsonrpc": "2.0", "id": req.json_id, "result": result})
        elif isinstance(result, Response):
            response = result
        elif isinstance(result, HTTPException):
            raise result
        else:
            response = Response(result if result is not None else "", mimetype="text/html")
        return self.finish(req, cr, response)

    def finish(self, req: Request, cr: Any, response: Response) -> Response:
        """Save the session (before commit) and set or clear its cookie."""
        session = req.session
        httprequest = req.httprequest
        if session is not None and self.sessions.save(
                cr, session, req.remote_address, httprequest.headers.get("User-Agent", "")):
            if session.sid:
                response.set_cookie(COOKIE_NAME, session.sid,
                                    max_age=int(session.lifetime.total_seconds()), path="/",
                                    httponly=True, samesite="Lax",
                                    secure=httprequest.scheme == "https")
            else:
                response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax")
        return response

    def parse_params(self, req: Request, route_type: str) -> dict[str, Any]:
        """The query and form parameters, or the ``params`` of a JSON-RPC request."""
        httprequest = req.httprequest
        if route_type == "json":
            try:
                payload = json.loads(httprequest.get_data(as_text=True) or "{}")
            except ValueError:
                raise BadRequest("The request body is not valid JSON.") from None
            if not isinstance(payload, dict):
                raise BadRequest("A JSON-RPC request must be an object.")
            params = payload.get("params") or {}
            if not isinstance(params, dict):
                raise BadRequest("JSON-RPC params must be an object.")
            req.json_id = payload.get("id")
            return dict(params)
        params: dict[str, Any] = dict(httprequest.args.items())
        params.update(httprequest.form.items())
        params.update(httprequest.files.items())
        return params

    def error_response(self, req: Request, exc: Exception) -> Response:
        if req.routing_type == "json":
            return json_error(exc, req.httprequest.path, req.json_id, self.debug)
        return http_error(exc, req.httprequest.path, self.debug)

    # ------------------------------------------------------------------
    # static files
    # ------------------------------------------------------------------
    def serve_static(self, httprequest: WerkzeugRequest, addon: str, path: str) -> Response:
        """A file from the ``static/`` folder of an installed addon."""
        if addon not in self.registry().addons:
            return NotFound().get_response()
        package = __import__(f"postroom.addons.{addon}", fromlist=["__name__"])
        root = (Path(package.__file__).parent / "static").resolve()
        target = (root / path).resolve()
        if root not in target.parents or not target.is_file():
            return NotFound().get_response()
        mimetype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return send_file(str(target), httprequest.environ, mimetype=mimetype, max_age=3600)


def _public_uid(registry: Registry, cr: Any) -> int:
    """The id of ``base.public_user``, whom anonymous visitors act as."""
    key = ("http", "public_uid")
    if key not in registry.model_cache:
        cr.execute("SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'public_user'")
        row = cr.fetchone()
        if row is None:
            raise RuntimeError("The public user (base.public_user) is missing: "
                               "run 'postroom upgrade -u base'")
        registry.model_cache[key] = row[0]
    return registry.model_cache[key]
