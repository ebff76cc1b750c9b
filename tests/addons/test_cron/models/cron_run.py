"""test.cron.run: one row per run of a scheduled action, to check who ran what and when."""

from __future__ import annotations

import threading
import time

from postroom import api, fields, models


class TestCronRun(models.Model):
    _name = "test.cron.run"
    _description = "Test Cron Run"
    _order = "started"

    key = fields.Char(required=True, index=True)
    started = fields.Float(help="time.time() when the run began")
    ended = fields.Float(help="time.time() when the run ended")
    worker = fields.Char(help="Name of the thread that ran it")

    @api.model
    def record(self, key: str, runs: int = 1, seconds: float = 0.0) -> None:
        """Log a run of job ``key`` lasting ``seconds``; trigger it until it ran ``runs`` times."""
        started = time.time()
        time.sleep(seconds)
        self.create({"key": key, "started": started, "ended": time.time(),
                     "worker": threading.current_thread().name})
        if self.search_count([("key", "=", key)]) < runs:
            self.env["ir.cron"].sudo().search([("name", "=", key)])._trigger()
