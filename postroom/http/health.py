"""``/web/health``: is this server up (and, on request, its database)?

For load balancers and monitoring. ``GET /web/health`` answers
``{"status": "pass"}`` without querying the database;
``?db_server_status=1`` also runs a query, and answers 500 when it fails.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from postroom.http.request import request
from postroom.http.routing import Controller, route


class Health(Controller):
    """The health check endpoint."""

    _addon = "base"

    @route("/web/health", type="http", auth="none", methods=["GET", "HEAD"], csrf=False)
    def health(self, db_server_status: str = "") -> Response:
        status = {"status": "pass"}
        if db_server_status:
            request.env.cr.execute("SELECT 1")
            status["db_server_status"] = True
        return Response(json.dumps(status), mimetype="application/json")
