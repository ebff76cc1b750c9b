"""Signed tokens for links in mail (tracking, unsubscribe, webhooks).

A token is signed with the database secret (``database.secret``) and a salt
naming its purpose, so a token made for one purpose is refused for another.
Tokens are signed, not encrypted: carry ids, never secrets. :func:`load`
returns ``None`` for any forged, altered, expired or foreign token and never
says which, so a prober learns nothing.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer


def _secret(env: Any) -> str:
    secret = env["ir.config_parameter"].sudo().get_param("database.secret")
    if not secret:
        raise RuntimeError("database.secret is missing: run 'postroom upgrade -u base'")
    return secret


def dump(env: Any, purpose: str, payload: Any, timed: bool = False) -> str:
    """A URL-safe token carrying ``payload``, valid only for ``purpose``."""
    serializer_class = URLSafeTimedSerializer if timed else URLSafeSerializer
    return serializer_class(_secret(env), salt=f"postroom.{purpose}").dumps(payload)


def load(env: Any, purpose: str, token: str, max_age: int | None = None) -> Any | None:
    """The payload of a valid token for ``purpose``; ``None`` otherwise (no reason given)."""
    try:
        if max_age is not None:
            return URLSafeTimedSerializer(_secret(env), salt=f"postroom.{purpose}").loads(
                token, max_age=max_age)
        return URLSafeSerializer(_secret(env), salt=f"postroom.{purpose}").loads(token)
    except (BadData, TypeError, ValueError):
        return None
