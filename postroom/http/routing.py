"""Controllers and routes.

An addon declares HTTP endpoints on :class:`Controller` subclasses in its
``controllers/`` package::

    class Tracking(http.Controller):
        @http.route("/mail/track/<token>/blank.gif", type="http", auth="public")
        def open_pixel(self, token): ...

Like models, controller classes are filed under the addon that defines them,
and a database serves only the routes of its installed addons. A controller
that subclasses another addon's controller overrides its routes (and can call
``super()``): the most derived class wins.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Map, Rule

from postroom.orm.models.meta import ADDONS_PACKAGE

AUTH_TYPES = ("user", "public", "none")
ROUTE_TYPES = ("http", "json")

#: controller classes by addon, in definition order
controllers_per_addon: dict[str, list[type]] = defaultdict(list)


@dataclass(frozen=True)
class RouteInfo:
    """What ``@route`` says about an endpoint."""

    paths: tuple[str, ...]
    type: str
    auth: str
    methods: tuple[str, ...] | None
    csrf: bool


def route(route: str | Iterable[str], *, type: str = "http", auth: str = "user",
          methods: Iterable[str] | None = None, csrf: bool = True) -> Callable:
    """Declare a controller method as the endpoint of one or more URL rules.

    - ``type``: ``http`` (a page or file) or ``json`` (a JSON-RPC 2.0 envelope in and
      out; POST only, with an ``application/json`` body).
    - ``auth``: ``user`` (logged-in users), ``public`` (anyone: ``request.env`` is the
      session's user, or the public user when anonymous) or ``none`` (routes that
      authenticate by themselves, like the external API: ``request.env`` is the
      public user's whoever is logged in).
    - ``methods``: the HTTP methods accepted (default: all for ``http``, POST for ``json``).
    - ``csrf``: check the session's CSRF token on state-changing requests: the
      ``csrf_token`` form field, or the ``X-CSRF-Token`` header.
    """
    if type not in ROUTE_TYPES:
        raise ValueError(f"route type must be one of {ROUTE_TYPES}, not {type!r}")
    if auth not in AUTH_TYPES:
        raise ValueError(f"route auth must be one of {AUTH_TYPES}, not {auth!r}")
    paths = (route,) if isinstance(route, str) else tuple(route)
    if methods:
        methods = tuple(m.upper() for m in methods)
    elif type == "json":
        methods = ("POST",)
    info = RouteInfo(paths=paths, type=type, auth=auth, methods=methods or None, csrf=csrf)

    def decorate(method: Callable) -> Callable:
        method.routing = info  # type: ignore[attr-defined]
        return method
    return decorate


class Controller:
    """Base class of controllers; subclasses are filed per addon.

    A class outside an addon package (the runtime's own API) names its addon
    with an ``_addon`` attribute; its routes are served where that addon is installed.
    """

    _addon: str = "base"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        prefix = ADDONS_PACKAGE + "."
        if cls.__module__.startswith(prefix):
            cls._addon = cls.__module__[len(prefix):].split(".")[0]
        controllers_per_addon[cls._addon].append(cls)


class Endpoint:
    """A bound controller method, its routing, and the parameters it takes."""

    def __init__(self, func: Callable, routing: RouteInfo):
        self.func = func
        self.routing = routing
        parameters = inspect.signature(func).parameters.values()
        named = [p for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        #: the parameters passed to the method; ``None`` when it takes ``**kwargs`` (all are)
        self.accepted: frozenset[str] | None = None if any(
            p.kind == p.VAR_KEYWORD for p in parameters) else frozenset(p.name for p in named)
        self.required = frozenset(p.name for p in named if p.default is p.empty)

    def missing(self, params: dict[str, Any]) -> set[str]:
        """The required parameters absent from ``params``."""
        return set(self.required.difference(params))

    def __call__(self, params: dict[str, Any]) -> Any:
        """Call the method with the parameters it accepts (unknown ones are dropped)."""
        accepted = self.accepted
        return self.func(**(params if accepted is None else
                            {k: v for k, v in params.items() if k in accepted}))


def build_routing_map(addons: Iterable[str]) -> tuple[Map, dict[str, Endpoint]]:
    """The URL map of ``addons`` (installed, in dependency order) and its endpoints."""
    classes = [cls for addon in addons for cls in controllers_per_addon.get(addon, ())]
    # keep only the most derived classes: a subclass replaces its parents' routes
    leaves = [cls for cls in classes
              if not any(other is not cls and issubclass(other, cls) for other in classes)]
    endpoints: dict[str, Endpoint] = {}
    rules: dict[str, Rule] = {}
    for cls in leaves:
        instance = cls()
        for name in dir(cls):
            routing = _routing_of(cls, name)
            if routing is None or not callable(getattr(cls, name, None)):
                continue
            key = f"{cls.__module__}.{cls.__qualname__}.{name}"
            endpoints[key] = Endpoint(getattr(instance, name), routing)
            for path in routing.paths:
                rules[path] = Rule(path, endpoint=key, methods=list(routing.methods)
                                   if routing.methods else None)
    return Map(list(rules.values()), strict_slashes=False), endpoints


def _routing_of(cls: type, name: str) -> RouteInfo | None:
    """The routing of ``cls.name``, inherited from the overridden method when not redeclared."""
    for klass in cls.__mro__:
        method = klass.__dict__.get(name)
        if method is not None and hasattr(method, "routing"):
            return method.routing
    return None
