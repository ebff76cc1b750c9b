"""The web layer: controllers, requests, sessions, the external API, the WSGI app.

Addon code writes::

    from postroom import http
    from postroom.http import request

    class Pages(http.Controller):
        @http.route("/hello", auth="public")
        def hello(self):
            return request.render("my_addon.hello", {"name": request.env.user.name})

See :mod:`.routing` (routes), :mod:`.request` (the current request),
:mod:`.session` (server-side sessions), :mod:`.security` (CSRF, headers,
brute-force brake), :mod:`.errors` (errors as responses), :mod:`.tokens`
(signed tokens), :mod:`.rpc` (XML-RPC and JSON-RPC), :mod:`.session_api`
(the web client's session and ``call_kw`` API), :mod:`.health` (health check),
:mod:`.app` (the WSGI application) and :mod:`.server` (running it).
"""

from werkzeug.wrappers import Response

# the runtime's own routes, served wherever base is installed
from postroom.http import health, rpc, session_api  # noqa: F401
from postroom.http.request import Request, request
from postroom.http.routing import Controller, route

__all__ = ["Controller", "Request", "Response", "request", "route"]
