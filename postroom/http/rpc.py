"""Odoo's external API: XML-RPC (``/xmlrpc/2/*``) and JSON-RPC (``/jsonrpc``).

Existing Odoo scripts and client libraries (``xmlrpc.client``, odoorpc) work
unchanged: ``common.version``, ``common.login``/``authenticate``,
``object.execute``/``execute_kw``, ``db.list``. Every ``object`` call checks
the user's password (through the brake on guessing; a success is remembered
for a few minutes, until the password changes) and runs with that user's
rights, exactly as the ORM applies them.

What a client may call (:func:`call_kw`): the public methods of a model.
Names starting with ``_`` are private, and so is the recordset plumbing
(``sudo``, ``with_user``, ``browse``, ``mapped`` …) and the schema hooks
(``init``, ``modified``): they serve code running on the server, and called
from outside they would step around the access rules.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
import xmlrpc.client
from typing import Any
from xml.parsers.expat import ExpatError

from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from postroom.exceptions import AccessError, MissingError, UserError
from postroom.http.request import request
from postroom.http.routing import Controller, route
from postroom.http.security import LoginBrake
from postroom.orm.environment import Environment
from postroom.orm.models.base import RecordsetMixin

SERVER_VERSION = "17.0"
VERSION_INFO = {
    "server_version": SERVER_VERSION,
    "server_version_info": [17, 0, 0, "final", 0, ""],
    "server_serie": SERVER_VERSION,
    "protocol_version": 1,
    "postroom_version": "0.1.0",
}
_logger = logging.getLogger(__name__)
_CREDENTIALS_TTL = 300.0
#: public names that are still not remote methods (see the module docstring)
NOT_REMOTE = frozenset(name for name in vars(RecordsetMixin) if not name.startswith("_")) | {
    "init", "modified"}
#: context keys only the addon loader sets (they relax checks): never taken from a client
SERVER_CONTEXT_KEYS = frozenset({"install_mode", "uninstalling_addons"})


def authenticate(env: Environment, login: str, password: str, address: str) -> int:
    """The uid for these credentials, through the brake on guessing; AccessError otherwise."""
    brake = LoginBrake(env.registry)
    brake.check(env.cr, login, address)
    try:
        uid = env["res.users"].sudo()._login(login, password)
    except AccessError:
        brake.failed(login, address)
        raise
    brake.succeeded(env.cr, login, address)
    return uid


def check_credentials(env: Environment, uid: int, password: str, address: str) -> None:
    """Raise AccessError unless ``password`` is active user ``uid``'s.

    A success is remembered for a few minutes (a hash check costs tens of
    milliseconds); changing the password forgets it at once.
    """
    env.cr.execute("SELECT login, password FROM res_users WHERE id = %s AND active", (int(uid),))
    row = env.cr.fetchone()
    if row is None:
        raise AccessError("Access Denied")
    login, stored = row
    key = (int(uid), stored or "", hashlib.sha256(str(password).encode()).hexdigest())
    cache: dict[tuple, float] = env.registry.model_cache.setdefault(("rpc", "credentials"), {})
    if cache.get(key, 0.0) > time.monotonic():
        return
    authenticate(env, login, str(password), address)
    cache[key] = time.monotonic() + _CREDENTIALS_TTL


def call_kw(env: Environment, model: str, method: str, args: list | None = None,
            kwargs: dict | None = None) -> Any:
    """Call the public method ``model.method`` in ``env``, as a remote client does.

    ``kwargs['context']`` extends the environment's context (see :func:`remote_context`).
    For methods that work on records (not ``@api.model``), the first argument is the list
    of ids.
    """
    if not isinstance(method, str) or method.startswith("_") or method in NOT_REMOTE:
        raise AccessError(f"Private methods (such as {method!r}) cannot be called remotely")
    if not isinstance(model, str) or model not in env:
        raise UserError(f"Object {model} doesn't exist")
    args = list(args or [])
    kwargs = dict(kwargs or {})
    context = kwargs.pop("context", None)
    records = env[model].with_context(**remote_context(env, context)) \
        if isinstance(context, dict) else env[model]
    function = getattr(type(records), method, None)
    if function is None or not callable(function):
        raise AttributeError(f"The method '{method}' does not exist on the model '{model}'")
    if not getattr(function, "_api_model", False):
        ids = args.pop(0) if args else []
        records = records.browse(ids if isinstance(ids, list) else [ids])
    result = getattr(records, method)(*args, **kwargs)
    if method == "create" and args and isinstance(args[0], dict) and hasattr(result, "_ids"):
        return result.id
    return marshal(result)


def remote_context(env: Environment, context: dict[str, Any]) -> dict[str, Any]:
    """The part of a client's context it may set: no loader keys, only its own companies."""
    companies = context.get("allowed_company_ids")
    if companies is not None and not (
            isinstance(companies, list) and set(companies) <= set(env.user.company_ids.ids)):
        raise AccessError("Access to unauthorized or invalid companies.")
    return {key: value for key, value in context.items() if key not in SERVER_CONTEXT_KEYS}


def execute_kw(env: Environment, uid: int, password: str, model: str, method: str,
               args: list | None = None, kwargs: dict | None = None,
               address: str = "unknown") -> Any:
    """Call ``model.method`` as ``uid`` — what ``object.execute_kw`` does."""
    check_credentials(env, uid, password, address)
    return call_kw(env(user=int(uid), su=False, context={}), model, method, args, kwargs)


def marshal(value: Any) -> Any:
    """Make a result serialisable the way Odoo's API returns it."""
    if hasattr(value, "_ids") and hasattr(value, "_name"):
        return list(value._ids)
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    if isinstance(value, dict):
        return {str(k): marshal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [marshal(v) for v in value]
    if value is None:
        return False
    return value


class ExternalApi:
    """The services of the external API, on the request's database."""

    def __init__(self, env: Environment, address: str):
        self.env = env
        self.address = address

    def _check_db(self, db: str) -> None:
        if db != self.env.cr.dbname:
            raise AccessError(f"Database {db!r} is not served here")

    def dispatch(self, service: str, method: str, args: list) -> Any:
        handler = getattr(self, f"{service}_{method}", None) if service in (
            "common", "object", "db") and not method.startswith("_") else None
        if handler is None:
            raise UserError(f"Unknown method {service}.{method}")
        return handler(*args)

    # common
    def common_version(self) -> dict[str, Any]:
        return dict(VERSION_INFO)

    def common_login(self, db: str, login: str, password: str) -> int | bool:
        return self.common_authenticate(db, login, password, {})

    def common_authenticate(self, db: str, login: str, password: str,
                            user_agent_env: dict | None = None) -> int | bool:
        self._check_db(db)
        try:
            return authenticate(self.env, login, password, self.address)
        except AccessError:
            return False

    # object
    def object_execute(self, db: str, uid: int, password: str, model: str, method: str,
                       *args: Any) -> Any:
        self._check_db(db)
        return execute_kw(self.env, uid, password, model, method, list(args), {}, self.address)

    def object_execute_kw(self, db: str, uid: int, password: str, model: str, method: str,
                          args: list | None = None, kwargs: dict | None = None) -> Any:
        self._check_db(db)
        return execute_kw(self.env, uid, password, model, method, args, kwargs, self.address)

    # db
    def db_list(self, *args: Any) -> list[str]:
        return [self.env.cr.dbname]

    def db_server_version(self) -> str:
        return SERVER_VERSION


_FAULT_CODES = ((AccessError, 3), (MissingError, 2), (UserError, 4))


class RpcController(Controller):
    """The XML-RPC and JSON-RPC endpoints."""

    _addon = "base"

    @route(["/xmlrpc/2/<service>", "/xmlrpc/<service>"], type="http", auth="none",
           methods=["POST"], csrf=False)
    def xmlrpc(self, service: str) -> Response:
        try:
            args, method = xmlrpc.client.loads(request.httprequest.get_data(),
                                               use_builtin_types=True)
            api = ExternalApi(request.env, request.remote_address)
            result = api.dispatch(service, method or "", list(args))
            body = xmlrpc.client.dumps((marshal(result),), methodresponse=True, allow_none=False)
        except Exception as exc:
            raise HTTPException(response=Response(_fault(exc), mimetype="text/xml")) from exc
        return Response(body, mimetype="text/xml")

    @route("/jsonrpc", type="json", auth="none", csrf=False)
    def jsonrpc(self, service: str, method: str, args: list | None = None) -> Any:
        api = ExternalApi(request.env, request.remote_address)
        return api.dispatch(service, method, list(args or []))

    @route("/web/webclient/version_info", type="json", auth="none", csrf=False)
    def version_info(self) -> dict[str, Any]:
        return dict(VERSION_INFO)


def _fault(exc: Exception) -> str:
    """The XML-RPC fault for ``exc``: its message if the caller caused it, else a generic one.

    Raising the fault's response rolls the request's transaction back.
    """
    code = next((c for cls, c in _FAULT_CODES if isinstance(exc, cls)), 1)
    caller_error = isinstance(exc, (UserError, AttributeError, TypeError, ValueError, KeyError,
                                    ExpatError))
    if not caller_error:
        _logger.error("XML-RPC call failed", exc_info=exc)
    message = str(exc) if caller_error else "Server error"
    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, message), methodresponse=True)
