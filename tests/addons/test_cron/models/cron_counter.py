"""test.cron.counter: named counters that scheduled actions bump, fail on, or sleep over."""

from __future__ import annotations

import time

from postroom import api, fields, models


class TestCronCounter(models.Model):
    _name = "test.cron.counter"
    _description = "Test Cron Counter"

    name = fields.Char(required=True)
    value = fields.Integer()
    last_uid = fields.Integer("Last Run By", help="Whose environment the last run had.")
    last_lastcall = fields.Datetime(help="The 'lastcall' context key of the last run.")

    @api.model
    def increment(self, name: str = "default", step: int = 1) -> int:
        """Add ``step`` to counter ``name`` (created at 0); return the new value."""
        counter = self.search([("name", "=", name)], limit=1) or self.create({"name": name})
        counter.write({"value": counter.value + step, "last_uid": self.env.uid,
                       "last_lastcall": self.env.context.get("lastcall") or False})
        return counter.value

    @api.model
    def increment_then_fail(self, name: str = "default") -> None:
        """Increment, then raise: the increment must be rolled back with the job."""
        self.increment(name)
        raise ValueError(f"counter {name} refuses to count")

    @api.model
    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    @api.model
    def delete_action(self, name: str) -> None:
        """A one-shot job: delete the scheduled action that runs it."""
        self.env["ir.cron"].sudo().search([("name", "=", name)]).unlink()

    @api.model
    def commit(self) -> None:
        """What a job must not do: commit the worker's transaction."""
        self.increment("committed")
        self.env.cr.commit()
