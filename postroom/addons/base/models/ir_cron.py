"""ir.cron: scheduled actions; ir.cron.trigger: extra runs that code asks for.

A scheduled action calls ``getattr(env[model_name], function)(*args)`` as ``user_id``, every
``interval_number`` ``interval_type`` from ``nextcall`` on. The context of the call holds
``lastcall``, the start of the previous successful run (``False`` the first time), so a job
can pick up what changed since.

Workers (:mod:`postroom.service.cron`) claim due jobs, run them and book the outcome with
:meth:`IrCron._record_run`: a run skips the times it missed instead of catching up, and a
failure keeps its traceback and counts toward ``failure_count``. Code that has work for a job
right away, or at a given time, calls :meth:`IrCron._trigger`; the sleeping workers hear of it
through ``NOTIFY`` when the transaction commits.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

import psycopg2.errors
from dateutil.relativedelta import relativedelta

from postroom import api, fields, models
from postroom.exceptions import UserError, ValidationError
from postroom.orm.environment import SUPERUSER_ID
from postroom.service.cron import CRON_CHANNEL
from postroom.service.db import notify
from postroom.tools.safe_eval import literal_eval

#: how many lines of a failed run's traceback ``last_error`` keeps (the end, where the error is)
ERROR_LINES = 30

_FIXED_INTERVALS = {"minutes": datetime.timedelta(minutes=1), "hours": datetime.timedelta(hours=1),
                    "days": datetime.timedelta(days=1), "weeks": datetime.timedelta(weeks=1)}


class IrCron(models.Model):
    _name = "ir.cron"
    _description = "Scheduled Action"
    _order = "priority, name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    model_id = fields.Many2one("ir.model", "Model", required=True, ondelete="cascade", index=True)
    model_name = fields.Char(related="model_id.model", store=True, readonly=True, index=True)
    function = fields.Char("Method", required=True,
                           help="Name of the model method to call, e.g. process_email_queue.")
    args = fields.Char("Arguments", default="()",
                       help="The method's positional arguments, as a Python tuple literal, "
                            "e.g. (100,) or ('outgoing', True).")
    user_id = fields.Many2one("res.users", "Run as", required=True, ondelete="restrict",
                              default=SUPERUSER_ID)
    interval_number = fields.Integer("Repeat Every", required=True, default=1)
    interval_type = fields.Selection([("minutes", "Minutes"), ("hours", "Hours"),
                                      ("days", "Days"), ("weeks", "Weeks"),
                                      ("months", "Months")],
                                     "Interval Unit", required=True, default="months")
    nextcall = fields.Datetime("Next Execution Date", required=True, default=fields.Datetime.now,
                               help="When the job runs next (UTC).")
    lastcall = fields.Datetime("Last Execution Date", readonly=True, copy=False,
                               help="Start of the last successful run, given to the job as the "
                                    "'lastcall' context key.")
    priority = fields.Integer(default=5, help="Among due jobs, lower numbers run first.")
    failure_count = fields.Integer("Failures", readonly=True, copy=False, default=0,
                                   help="Failed runs since the last successful one.")
    first_failure_date = fields.Datetime("First Failure", readonly=True, copy=False,
                                         help="Start of the first failed run since the last "
                                              "successful one.")
    last_error = fields.Text("Last Error", readonly=True, copy=False,
                             help="The end of the traceback of the last failed run.")
    last_duration = fields.Float("Last Duration (s)", readonly=True, copy=False)
    trigger_ids = fields.One2many("ir.cron.trigger", "cron_id", "Triggers", readonly=True)

    _sql_constraints = [("interval_positive", "CHECK (interval_number > 0)",
                         "The interval of a scheduled action must be a positive number.")]

    @api.constrains("model_id", "function")
    def _check_function(self) -> None:
        for cron in self:
            try:
                model = self.env[cron.model_name]
            except KeyError:
                raise ValidationError(f"Scheduled action {cron.name!r}: model "
                                      f"{cron.model_name!r} is not loaded.") from None
            cron._method_of(model)

    @api.constrains("args")
    def _check_args(self) -> None:
        for cron in self:
            cron._parse_args()

    # ------------------------------------------------------------------
    # running
    # ------------------------------------------------------------------
    def method_direct_trigger(self) -> bool:
        """Run Manually: run the jobs now, in this transaction, each as its user.

        Their schedule does not change; ``lastcall`` becomes now. A job that a worker is
        running at this moment is refused rather than run twice at once.
        """
        self.check_access_rights("write")
        self._lock_for_run()
        for cron in self:
            started_at = fields.Datetime.now()
            cron._run_job()
            cron.lastcall = started_at
        return True

    def _lock_for_run(self) -> None:
        """Lock the rows as workers do, or raise UserError if a worker holds them."""
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute("SELECT id FROM ir_cron WHERE id = ANY(%s) FOR NO KEY UPDATE NOWAIT",
                           (list(self.ids),))
        except psycopg2.errors.LockNotAvailable:
            raise UserError("This scheduled action is running right now; try again once it "
                            "is done.") from None

    def _run_job(self) -> Any:
        """Call the job's method once, in the current transaction, as the job's user."""
        self.ensure_one()
        job_env = self.env(user=self.user_id.id,
                           context={**self.env.context, "lastcall": self.lastcall})
        result = self._method_of(job_env[self.model_name])(*self._parse_args())
        job_env.flush_all()
        return result

    def _method_of(self, model: Any) -> Callable[..., Any]:
        """The job's method, bound to ``model``; ValidationError if the model has none."""
        name = self.function or ""
        method = None if name.startswith("__") else getattr(model, name, None)
        if not callable(method):
            raise ValidationError(f"Scheduled action {self.name!r}: model {model._name!r} has no "
                                  f"method {name!r}.")
        return method

    def _parse_args(self) -> tuple[Any, ...]:
        """The job's arguments, from the ``args`` literal."""
        try:
            value = literal_eval(self.args or "()")
        except Exception as exc:
            raise ValidationError(f"Scheduled action {self.name!r}: invalid arguments "
                                  f"{self.args!r}: {exc}") from None
        if not isinstance(value, (tuple, list)):
            raise ValidationError(f"Scheduled action {self.name!r}: the arguments must be a tuple, "
                                  f"e.g. ({self.args},) rather than {self.args!r}.")
        return tuple(value)

    # ------------------------------------------------------------------
    # schedule
    # ------------------------------------------------------------------
    def _next_call(self, now: datetime.datetime) -> datetime.datetime:
        """The first time on the job's schedule after ``now``; missed times are skipped."""
        self.ensure_one()
        nextcall = self.nextcall
        if nextcall > now:  # a run ahead of schedule (trigger) leaves the schedule alone
            return nextcall
        count = self.interval_number
        if self.interval_type == "months":
            # months vary in length: count from the anchor, so that the 31st stays the 31st
            elapsed = (now.year - nextcall.year) * 12 + now.month - nextcall.month
            steps = max(1, elapsed // count)
            while nextcall + relativedelta(months=steps * count) <= now:
                steps += 1
            return nextcall + relativedelta(months=steps * count)
        step = _FIXED_INTERVALS[self.interval_type] * count
        return nextcall + step * ((now - nextcall) // step + 1)

    def _record_run(self, triggers: Any, started_at: datetime.datetime,
                    finished_at: datetime.datetime, error: str | None = None) -> None:
        """Book a run of this job from ``started_at`` to ``finished_at`` (naive UTC).

        ``triggers`` (the ones due when it started) are consumed and ``nextcall`` moves past
        ``finished_at``. A success sets ``lastcall`` and clears the failures; a failure
        (``error`` is its traceback) counts one more and keeps the end of the traceback.
        """
        self.ensure_one()
        if not self.exists():  # the job deleted its own action (and so its triggers)
            return
        triggers.exists().unlink()
        values: dict[str, Any] = {
            "nextcall": self._next_call(finished_at),
            "last_duration": round((finished_at - started_at).total_seconds(), 3)}
        if error is None:
            values.update(lastcall=started_at, failure_count=0, first_failure_date=False)
        else:
            values.update(failure_count=self.failure_count + 1,
                          first_failure_date=self.first_failure_date or started_at,
                          last_error="\n".join(error.rstrip().splitlines()[-ERROR_LINES:]))
        self.write(values)

    def _trigger(self, at: datetime.datetime | Iterable[datetime.datetime] | None = None) -> None:
        """Run these jobs once more at ``at`` (a datetime, several, or now), besides their schedule.

        Workers are told when the transaction commits and wake up for it: at once for a
        trigger that is due, else at its time. Triggers due together give one run.
        """
        if at is None:
            times: list[Any] = [fields.Datetime.now()]
        elif isinstance(at, datetime.date):
            times = [at]
        else:
            times = list(at)
        self.env["ir.cron.trigger"].sudo().create([
            {"cron_id": cron.id, "call_at": when} for cron in self for when in times])
        notify(self.env.cr, CRON_CHANNEL)


class IrCronTrigger(models.Model):
    _name = "ir.cron.trigger"
    _description = "Scheduled Action Trigger"
    _order = "call_at"
    _rec_name = "cron_id"

    cron_id = fields.Many2one("ir.cron", "Scheduled Action", required=True, ondelete="cascade",
                              index=True)
    call_at = fields.Datetime("Run At", required=True, index=True)
