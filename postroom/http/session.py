"""Server-side sessions, stored in ``ir_session``.

The browser holds only a random session key (an HttpOnly, SameSite=Lax
cookie). Anonymous visitors get a stored session only when something needs
one (a CSRF token for the login form). Logging in or out rotates the key, so a
key seen before is worthless after. Sessions expire after a week without
activity (anonymous ones after 12 hours); ``last_seen`` and the expiry are
refreshed at most once a minute.

A logged-in session remembers a fingerprint of the user's password hash: when
the password changes (or the user is archived), every other session of that
user stops being valid at its next request.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from psycopg2.extras import Json

COOKIE_NAME = "postroom_session"
LIFETIME = datetime.timedelta(days=7)
ANONYMOUS_LIFETIME = datetime.timedelta(hours=12)
_REFRESH = datetime.timedelta(minutes=1)
_FINGERPRINT = "auth_fingerprint"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _fingerprint(csrf_secret: str, password_hash: str | None) -> str:
    return hmac.new(csrf_secret.encode(), (password_hash or "").encode(),
                    hashlib.sha256).hexdigest()


@dataclass
class Session:
    """What the server remembers about one browser.

    Code keeping its own values in ``data`` sets ``modified`` to have them saved.
    """

    sid: str = ""
    uid: int | None = None
    csrf_secret: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    last_seen: datetime.datetime | None = None
    stored: bool = False
    modified: bool = False
    previous_sid: str | None = None

    @property
    def context(self) -> dict[str, Any]:
        """The user's context (language, time zone) kept with the session."""
        return self.data.setdefault("context", {})

    @property
    def lifetime(self) -> datetime.timedelta:
        return LIFETIME if self.uid else ANONYMOUS_LIFETIME

    def ensure_stored(self) -> None:
        """Make sure the session will be saved (it needs a key and a CSRF secret)."""
        if not self.sid:
            self.sid = secrets.token_urlsafe(32)
            self.csrf_secret = secrets.token_urlsafe(32)
            self.modified = True

    def login(self, uid: int, context: dict[str, Any]) -> None:
        """Attach a user; the key and CSRF secret change (no session fixation)."""
        self._rotate()
        self.uid = uid
        self.data = {"context": dict(context)}
        self.ensure_stored()

    def logout(self) -> None:
        """Forget the user; the old key is deleted, a new one is made only if needed."""
        self._rotate()

    def _rotate(self) -> None:
        if self.stored:
            self.previous_sid = self.sid
        self.sid = self.csrf_secret = ""
        self.uid = None
        self.data = {}
        self.stored = False
        self.modified = True


class SessionStore:
    """Loads and saves sessions with the request's cursor."""

    def load(self, cr: Any, sid: str | None) -> Session:
        """The live session of key ``sid``, or a new anonymous one.

        A session whose user was archived, or whose password changed since the
        login, is deleted and an anonymous one is returned instead.
        """
        if not sid or len(sid) > 64:
            return Session()
        cr.execute("""SELECT s.uid, s.csrf_secret, s.data, s.last_seen, u.active, u.password
                        FROM ir_session s LEFT JOIN res_users u ON u.id = s.uid
                       WHERE s.sid = %s AND s.expires > %s""", (sid, _now()))
        row = cr.fetchone()
        if row is None:
            return Session()
        uid, csrf_secret, data, last_seen, active, password_hash = row
        session = Session(sid=sid, uid=uid, csrf_secret=csrf_secret, data=data or {},
                          last_seen=last_seen, stored=True)
        if uid and not (active and hmac.compare_digest(
                session.data.get(_FINGERPRINT, ""), _fingerprint(csrf_secret, password_hash))):
            session.logout()
        return session

    def save(self, cr: Any, session: Session, remote_address: str, user_agent: str) -> bool:
        """Write what changed; returns whether the cookie must be (re)sent."""
        cookie = False
        if session.previous_sid:
            cr.execute("DELETE FROM ir_session WHERE sid = %s", (session.previous_sid,))
            session.previous_sid = None
            cookie = True
        now = _now()
        if session.sid and not session.stored:
            if session.uid:
                cr.execute("SELECT password FROM res_users WHERE id = %s", (session.uid,))
                row = cr.fetchone()
                session.data[_FINGERPRINT] = _fingerprint(session.csrf_secret,
                                                          row[0] if row else None)
            cr.execute("""INSERT INTO ir_session (sid, uid, csrf_secret, data, created, last_seen,
                                                  expires, remote_address, user_agent)
                          VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                       (session.sid, session.uid, session.csrf_secret, Json(session.data), now,
                        now, now + session.lifetime, remote_address, (user_agent or "")[:255]))
            session.stored = cookie = True
        elif session.stored and (session.modified or not session.last_seen
                                 or now - session.last_seen > _REFRESH):
            cr.execute("""UPDATE ir_session SET data = %s, last_seen = %s, expires = %s
                           WHERE sid = %s""",
                       (Json(session.data), now, now + session.lifetime, session.sid))
            cookie = True
        session.modified = False
        return cookie
