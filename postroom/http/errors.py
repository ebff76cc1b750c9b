"""Turning exceptions into responses: HTTP error pages and JSON-RPC error envelopes.

What the client learns depends on what went wrong:

- a refusal it can act on (a missing record, missing rights, invalid input, an
  HTTP error raised on purpose) becomes 404, 403, 400 … with the readable message;
- anything else is a bug: it is logged with its traceback and the client sees
  a bare 500 (the traceback is included only when the application runs in debug mode).

JSON routes answer HTTP 200 with a JSON-RPC ``error`` member, as Odoo's clients expect.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, InternalServerError, NotFound
from werkzeug.wrappers import Response

from postroom.exceptions import AccessError, MissingError, UserError

_logger = logging.getLogger(__name__)

#: JSON-RPC error code of an expired (or missing) session: clients log in again
SESSION_EXPIRED_CODE = 100


class SessionExpired(Exception):
    """A ``user`` JSON route was called without a valid session."""


def as_http_exception(exc: Exception) -> HTTPException | None:
    """The HTTP error a client-caused exception stands for; None for a bug."""
    if isinstance(exc, HTTPException):
        return exc
    if isinstance(exc, MissingError):
        return NotFound(str(exc))
    if isinstance(exc, AccessError):
        return Forbidden(str(exc))
    if isinstance(exc, UserError) or (isinstance(exc, ValueError)
                                      and not isinstance(exc, UnicodeError)):
        return BadRequest(str(exc))
    return None


def http_error(exc: Exception, path: str, debug: bool) -> Response:
    """The error page for ``exc`` raised while serving an ``http`` route."""
    error = as_http_exception(exc)
    if error is None:
        _logger.error("Error while serving %s", path, exc_info=exc)
        error = InternalServerError()
        if debug:
            error.description = "".join(traceback.format_exception(exc))
    return error.get_response()


def json_error(exc: Exception, path: str, request_id: Any, debug: bool) -> Response:
    """The JSON-RPC error envelope for ``exc`` raised while serving a ``json`` route."""
    name = f"{type(exc).__module__}.{type(exc).__name__}"
    code = 200
    if isinstance(exc, SessionExpired):
        code, name, message = SESSION_EXPIRED_CODE, "postroom.http.SessionExpiredException", str(exc)
    elif isinstance(exc, HTTPException):
        code, message = exc.code or 400, exc.description or exc.name
    elif as_http_exception(exc) is not None or isinstance(exc, (TypeError, KeyError)):
        # wrong arguments to a remote method are the caller's mistake, worth telling
        message = str(exc)
    else:
        _logger.error("Error in JSON request %s", path, exc_info=exc)
        message = "Internal Server Error"
    data: dict[str, Any] = {"name": name, "message": message, "arguments": [message],
                            "context": {}}
    if debug:
        data["debug"] = "".join(traceback.format_exception(exc))
    body = {"jsonrpc": "2.0", "id": request_id,
            "error": {"code": code, "message": "Postroom Server Error", "data": data}}
    return Response(json.dumps(body, default=str), mimetype="application/json")
