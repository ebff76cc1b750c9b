"""ir.session and ir.login.failure: HTTP sessions and failed logins, kept in the database.

Sessions live in the database so that every worker process (and every machine)
sees the same ones. The HTTP layer reads and writes them with plain SQL on
each request; these models give them a schema and an admin view. Only the
superuser reaches them (no access rule grants them).
"""

from __future__ import annotations

from postroom import api, fields, models


class IrSession(models.Model):
    _name = "ir.session"
    _description = "HTTP Session"
    _order = "last_seen desc"
    _log_access = False

    sid = fields.Char("Session Key", required=True, index=True, size=64)
    uid = fields.Many2one("res.users", "User", ondelete="cascade", index=True)
    csrf_secret = fields.Char(required=True, size=64)
    data = fields.Json()
    created = fields.Datetime(required=True)
    last_seen = fields.Datetime(required=True, index=True)
    expires = fields.Datetime(required=True, index=True)
    remote_address = fields.Char()
    user_agent = fields.Char()

    _sql_constraints = [("sid_uniq", "UNIQUE (sid)", "Session keys are unique.")]

    @api.model
    def _gc_sessions(self) -> int:
        """Delete expired sessions; returns how many."""
        self.env.cr.execute("DELETE FROM ir_session WHERE expires < now() at time zone 'UTC'")
        return self.env.cr.rowcount


class IrLoginFailure(models.Model):
    _name = "ir.login.failure"
    _description = "Failed Login Attempts"
    _order = "last_failure desc"
    _log_access = False

    login = fields.Char(required=True, index=True)
    address = fields.Char(required=True)
    failures = fields.Integer(required=True, default=0)
    last_failure = fields.Datetime(required=True)

    _sql_constraints = [("login_address_uniq", "UNIQUE (login, address)",
                         "One counter per login and address.")]
