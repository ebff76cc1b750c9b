"""Rendering QWeb pages stored as ``ir.ui.view`` templates.

Templates see ``request``, ``env_user`` and ``csrf_token`` besides the values
given. The CSRF token is computed only if the template shows it: an anonymous
page without a form stores no session.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from postroom.render import QWeb


def qweb_for(registry: Any, env: Any) -> QWeb:
    """A QWeb engine loading templates from the database (sources cached per registry)."""
    cache = registry.model_cache

    def load(name: str) -> str:
        key = ("qweb.source", name)
        if key not in cache:
            cache[key] = env["ir.ui.view"].sudo()._template_source(name)
        return cache[key]

    return QWeb(load)


class LazyCsrfToken:
    """The request's CSRF token, made (and its session stored) when first shown."""

    def __init__(self, req: Any):
        self.req = req

    def __str__(self) -> str:
        return self.req.csrf_token()

    def __html__(self) -> str:  # a hexadecimal digest: nothing to escape
        return str(self)


def render_template(req: Any, template: str, values: dict[str, Any]) -> Markup:
    """``template`` rendered for the request ``req`` with ``values``."""
    env = req.env
    context = {"request": req, "env_user": env.user if env else None,
               "csrf_token": LazyCsrfToken(req) if req.session is not None else "", **values}
    return qweb_for(req.registry, env).render(template, context)
