"""CSRF tokens, security headers, and the brake on password guessing."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from postroom.exceptions import AccessError
from postroom.http.request import run_detached

if TYPE_CHECKING:
    from postroom.http.session import Session
    from postroom.orm.registry import Registry

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
#: failures allowed before the brake engages, and the longest wait it imposes (seconds)
FREE_FAILURES = 3
MAX_DELAY = 300

SECURITY_HEADERS = {
    # no inline script anywhere; styles may be inline (sanitized mail bodies keep style="")
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; "
                                "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
                                "object-src 'none'; base-uri 'self'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # pages show private data: no cache may keep them (static files set their own)
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"


def add_security_headers(response: Response, https: bool) -> Response:
    """Add the headers a response did not set itself (HSTS on HTTPS only)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if https:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def csrf_token(session: Session) -> str:
    """The session's CSRF token (the session is stored if it was not yet)."""
    session.ensure_stored()
    return _csrf_digest(session)


def check_csrf(session: Session, token: str | None) -> bool:
    """Whether ``token`` is the CSRF token of ``session``."""
    if not token or not session.sid or not session.csrf_secret:
        return False
    return hmac.compare_digest(_csrf_digest(session), token)


def _csrf_digest(session: Session) -> str:
    return hmac.new(session.csrf_secret.encode(), session.sid.encode(), hashlib.sha256).hexdigest()


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class LoginBrake:
    """Growing delays after repeated failed logins for one login from one address.

    After :data:`FREE_FAILURES` failures in a row, each new attempt must wait
    ``2 ** (failures - FREE_FAILURES)`` seconds (at most :data:`MAX_DELAY`)
    after the previous failure; earlier attempts are refused without checking
    the password, and do not count. A success resets the counter. Failures are
    recorded in a transaction of their own, so the request's rollback does not
    erase them.
    """

    def __init__(self, registry: Registry):
        self.registry = registry

    def wait_left(self, cr: Any, login: str, address: str) -> float:
        """Seconds before ``login`` may be tried again from ``address`` (0: now)."""
        cr.execute("SELECT failures, last_failure FROM ir_login_failure "
                   "WHERE login = %s AND address = %s", (login, address))
        row = cr.fetchone()
        if not row or row[0] < FREE_FAILURES:
            return 0.0
        delay = min(2 ** (row[0] - FREE_FAILURES), MAX_DELAY)
        return max(0.0, (row[1] + datetime.timedelta(seconds=delay) - _utcnow()).total_seconds())

    def check(self, cr: Any, login: str, address: str) -> None:
        """Raise AccessError while the brake holds ``login`` from ``address``."""
        wait = self.wait_left(cr, login, address)
        if wait > 0:
            raise AccessError(f"Too many failed logins. Try again in {int(wait) + 1} seconds.")

    def failed(self, login: str, address: str) -> None:
        def record(cr: Any) -> None:
            cr.execute("""INSERT INTO ir_login_failure (login, address, failures, last_failure)
                          VALUES (%s, %s, 1, %s)
                          ON CONFLICT (login, address) DO UPDATE
                          SET failures = ir_login_failure.failures + 1,
                              last_failure = EXCLUDED.last_failure""",
                       (login, address, _utcnow()))
        run_detached(self.registry, record)

    def succeeded(self, cr: Any, login: str, address: str) -> None:
        cr.execute("DELETE FROM ir_login_failure WHERE login = %s AND address = %s",
                   (login, address))
