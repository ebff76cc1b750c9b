"""The web client's session API, as Odoo's JSON clients use it.

- ``/web/session/authenticate`` (``db``, ``login``, ``password``): logs the
  session in and returns the session info;
- ``/web/session/get_session_info``: the session info of the logged-in user;
- ``/web/session/destroy``: logs out;
- ``/web/dataset/call_kw[/<anything>]`` (``model``, ``method``, ``args``,
  ``kwargs``): calls a public model method as the session's user, with the
  rules of :func:`postroom.http.rpc.call_kw`.

The session info carries the session's CSRF token (never the session key,
which stays in its HttpOnly cookie): state-changing calls send it back in the
``X-CSRF-Token`` header.
"""

from __future__ import annotations

from typing import Any

from postroom.exceptions import AccessError
from postroom.http.request import request
from postroom.http.routing import Controller, route
from postroom.http.rpc import VERSION_INFO, call_kw


def session_info() -> dict[str, Any]:
    """What a client needs to know about the logged-in session."""
    user = request.env.user
    companies = user.company_ids | user.company_id
    return {
        "uid": user.id,
        "is_system": user._is_system(),
        "is_admin": user._is_admin(),
        "is_internal_user": user._is_internal(),
        "user_context": dict(request.session.context),
        "db": request.db,
        "server_version": VERSION_INFO["server_version"],
        "server_version_info": VERSION_INFO["server_version_info"],
        "name": user.name,
        "username": user.login,
        "partner_id": user.partner_id.id,
        "partner_display_name": user.partner_id.display_name,
        "company_id": user.company_id.id,
        "user_companies": {
            "current_company": user.company_id.id,
            "allowed_companies": {str(company.id): {"id": company.id, "name": company.name}
                                  for company in companies},
        },
        "csrf_token": request.csrf_token(),
    }


class SessionApi(Controller):
    """Log in and out, and call model methods, with a session cookie."""

    _addon = "base"

    @route("/web/session/authenticate", type="json", auth="none", csrf=False)
    def authenticate(self, db: str, login: str, password: str) -> dict[str, Any]:
        if db != request.db:
            raise AccessError(f"Database {db!r} is not served here")
        request.authenticate(login, password)
        return session_info()

    @route("/web/session/get_session_info", type="json", auth="user", csrf=False)
    def get_session_info(self) -> dict[str, Any]:
        return session_info()

    @route("/web/session/destroy", type="json", auth="user")
    def destroy(self) -> None:
        request.session.logout()

    @route(["/web/dataset/call_kw", "/web/dataset/call_kw/<path:rest>"], type="json",
           auth="user")
    def call_kw(self, model: str, method: str, args: list | None = None,
                kwargs: dict | None = None) -> Any:
        return call_kw(request.env, model, method, args, kwargs)
