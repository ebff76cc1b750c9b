"""base.automation: automated actions on documents with a chatter.

Settings > Technical > Automation > Automation Rules. A rule watches one model (a
``mail.thread``) and, when its trigger fires on documents matching its domain, runs one
action on them:

- **triggers**: *On Creation*; *On Update*, optionally only when one of
  ``trigger_field_ids`` changes, with ``filter_pre_domain`` (before the update) and
  ``filter_domain`` (after) so that "when the state becomes 'sale'" is
  ``trigger_field_ids = state`` and ``filter_domain = [('state', '=', 'sale')]``;
  *Based on a Date Field* (``trg_date_id`` plus ``trg_date_range`` minutes, hours, days or
  weeks, negative for before: -3 days is three days before the deadline); *Scheduled*
  (every ``interval_number`` ``interval_type`` from ``next_run``: weekly on Mondays at 8:00
  is 1 week from a Monday 8:00).
- **actions**: *Send Email* (a template, one email per document), *Post a Message* (a
  template posted in the chatter, as a message or a note), *Add Followers* (given contacts,
  and/or the contact a field of the document holds, e.g. ``partner_id``).

Creation and update rules run in the transaction of the change, from ``mail.thread``'s
``create``/``write`` (:mod:`.base_automation_thread`); an action that changes the document
again does not run the same rule on it again. Time-based rules run from the "Automation:
time-based rules" scheduled action, which wakes at the next moment one is due (a date rule
remembers ``last_run`` and never fires twice for the same date, nor for dates that passed
before the rule existed).

Actions run as ``run_as_user_id``, and never beyond the rights of the rule's owner
(``user_id``: whoever last changed the rule): both must be allowed. An action that fails is
undone (a savepoint), counted and described on the rule (``failure_count``,
``last_error``), and the change that triggered it is saved all the same.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import psycopg2
from dateutil.relativedelta import relativedelta

from postroom import _, api, fields, models
from postroom.exceptions import ValidationError
from postroom.orm.domain import DomainError
from postroom.tools.safe_eval import SafeEvalError, safe_eval

_logger = logging.getLogger(__name__)

TIME_TRIGGERS = ("on_time", "on_schedule")
CREATE_TRIGGERS = ("on_create", "on_create_or_write")
WRITE_TRIGGERS = ("on_write", "on_create_or_write")
_DELAY_UNITS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days"),
                ("weeks", "Weeks")]


class BaseAutomation(models.Model):
    _name = "base.automation"
    _description = "Automation Rule"
    _order = "sequence, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    model_id = fields.Many2one("ir.model", "Model", required=True, ondelete="cascade",
                               help="Documents with a chatter (mail.thread models).")
    model_name = fields.Char(related="model_id.model", store=True, index=True)
    # when
    trigger = fields.Selection([("on_create", "On Creation"), ("on_write", "On Update"),
                                ("on_create_or_write", "On Creation & Update"),
                                ("on_time", "Based on a Date Field"),
                                ("on_schedule", "Scheduled")],
                               required=True, default="on_create")
    trigger_field_ids = fields.Many2many("ir.model.fields", "base_automation_trigger_field_rel",
                                         "automation_id", "field_id", string="When Changing",
                                         help="On update: run only when one of these changes.")
    filter_pre_domain = fields.Char("Before Update Domain",
                                    help="On update: documents matching it before the change.")
    filter_domain = fields.Char("Apply On", help="Documents matching this domain, e.g. "
                                "[('state', '=', 'sale')] (after the change, on update).")
    trg_date_id = fields.Many2one("ir.model.fields", "Trigger Date", ondelete="cascade",
                                  domain=[("ttype", "in", ["date", "datetime"])])
    trg_date_range = fields.Integer("Delay", help="After the date (negative: before it).")
    trg_date_range_type = fields.Selection(_DELAY_UNITS, "Delay Unit", default="days")
    interval_number = fields.Integer("Repeat Every", default=1)
    interval_type = fields.Selection(_DELAY_UNITS + [("months", "Months")], "Repeat Unit",
                                     default="weeks")
    next_run = fields.Datetime("Next Run", default=fields.Datetime.now,
                               help="Scheduled: when the rule runs next (UTC).")
    # what
    action_type = fields.Selection([("mail_send", "Send Email"),
                                    ("message_post", "Post a Message"),
                                    ("followers", "Add Followers")],
                                   "Action", required=True, default="mail_send")
    template_id = fields.Many2one("mail.template", "Email Template", ondelete="restrict")
    message_subtype = fields.Selection([("comment", "Message (notifies the followers)"),
                                        ("note", "Note (internal)")],
                                       "Post As", default="comment")
    partner_ids = fields.Many2many("res.partner", "base_automation_res_partner_rel",
                                   "automation_id", "partner_id", string="Followers to Add")
    followers_field = fields.Char("Followers from Field",
                                  help="A field path to contacts or users of the document, "
                                       "e.g. partner_id or user_id.")
    # as whom
    user_id = fields.Many2one("res.users", "Owner", readonly=True, ondelete="restrict",
                              default=lambda self: self.env.uid,
                              help="Who last changed the rule: its actions never go beyond "
                                   "this user's rights.")
    run_as_user_id = fields.Many2one("res.users", "Run As", required=True, ondelete="restrict",
                                     default=lambda self: self.env.uid)
    # how it went
    last_run = fields.Datetime(readonly=True, copy=False)
    failure_count = fields.Integer("Failures", readonly=True, copy=False)
    last_failure_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)

    # ------------------------------------------------------------------
    # checks
    # ------------------------------------------------------------------
    @api.constrains("model_id", "trigger", "trigger_field_ids", "filter_pre_domain",
                    "filter_domain", "trg_date_id", "interval_number", "action_type",
                    "template_id", "partner_ids", "followers_field")
    def _check_rule(self) -> None:
        for rule in self:
            rule._check_trigger()
            rule._check_action()

    def _check_trigger(self) -> None:
        if self.model_name not in self.env["mail.thread"]._thread_models():
            raise ValidationError(_("Rule %s: %s has no chatter; automation rules apply to "
                                    "documents with one.", self.name, self.model_name))
        for text in (self.filter_pre_domain, self.filter_domain):
            try:
                self.env[self.model_name].sudo()._search(self._domain(text))  # compiled, not run
            except (DomainError, ValueError, KeyError) as exc:
                raise ValidationError(_("Rule %s: invalid domain %s: %s",
                                        self.name, text, exc)) from None
        if any(f.model != self.model_name for f in self.trigger_field_ids | self.trg_date_id):
            raise ValidationError(_("Rule %s: its fields must be fields of %s.",
                                    self.name, self.model_name))
        if self.trigger == "on_time" and not self.trg_date_id:
            raise ValidationError(_("Rule %s: choose the date it is based on.", self.name))
        if self.trigger == "on_schedule" and self.interval_number <= 0:
            raise ValidationError(_("Rule %s: repeat it every one or more %s.",
                                    self.name, self.interval_type))

    def _check_action(self) -> None:
        if self.action_type in ("mail_send", "message_post"):
            if not self.template_id or self.template_id.model != self.model_name:
                raise ValidationError(_("Rule %s: choose a template of %s.",
                                        self.name, self.model_name))
        elif not self.partner_ids and not self.followers_field:
            raise ValidationError(_("Rule %s: say which followers to add.", self.name))
        elif self.followers_field:
            self._followers_path_model()

    def _domain(self, text: str | bool) -> list:
        """A domain typed on the rule (``uid`` and ``user`` may be used in it)."""
        if not text:
            return []
        try:
            domain = safe_eval(text, {"uid": self.env.uid, "user": self.env.user})
        except SafeEvalError as exc:
            raise ValidationError(_("Rule %s: %s", self.name, exc)) from None
        if not isinstance(domain, (list, tuple)):
            raise ValidationError(_("Rule %s: %s is not a domain (a list).", self.name, text))
        return list(domain)

    def _followers_path_model(self) -> str:
        """The model ``followers_field`` leads to: contacts or users (ValidationError if not)."""
        model = self.env[self.model_name]
        for name in self.followers_field.split("."):
            field = model._fields.get(name)
            if field is None or not field.relational:
                raise ValidationError(_("Rule %s: %s is not a path of relational fields of %s.",
                                        self.name, self.followers_field, self.model_name))
            model = self.env[field.comodel_name]
        if model._name not in ("res.partner", "res.users"):
            raise ValidationError(_("Rule %s: %s leads to %s, not to contacts or users.",
                                    self.name, self.followers_field, model._name))
        return model._name

    # ------------------------------------------------------------------
    # CRUD: the owner, the time-based action
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        if not self.env.su:
            vals_list = [{**vals, "user_id": self.env.uid} for vals in vals_list]
        rules = super().create(vals_list)
        if any(rule.trigger in TIME_TRIGGERS for rule in rules):
            self._schedule_time_check()
        return rules

    def write(self, vals: dict[str, Any]) -> bool:
        if not self.env.su:
            vals = {**vals, "user_id": self.env.uid}
        result = super().write(vals)
        if {"trigger", "active", "next_run", "trg_date_id", "trg_date_range",
                "trg_date_range_type", "filter_domain"} & set(vals):
            self._schedule_time_check()
        return result

    # ------------------------------------------------------------------
    # running
    # ------------------------------------------------------------------
    @api.model
    def _rules_for(self, model_name: str) -> Any:
        """The active rules of a model, whatever their trigger (one query)."""
        return self.sudo().search([("model_name", "=", model_name)])

    def _filter(self, records: Any, domain_text: str | bool) -> Any:
        """The `records` matching a domain of the rule."""
        domain = self._domain(domain_text)
        if not domain or not records:
            return records
        found = records.sudo().with_context(active_test=False).search(
            [("id", "in", records.ids), *domain])
        return records.browse(found.ids)

    def _watches(self, vals: dict[str, Any]) -> bool:
        """Whether a write of `vals` may concern this update rule."""
        return not self.trigger_field_ids or bool(set(self.trigger_field_ids.mapped("name"))
                                                  & set(vals))

    def _process(self, records: Any) -> None:
        """Run the action on `records`, except those this rule already runs on further up
        the call stack. When it fails, it is undone and run on each record alone: the
        records it fails on are logged on the rule, and the caller goes on."""
        done = self.env.context.get("base_automation_done") or {}
        already = set(done.get(self.id, ()))
        records = records.browse([record_id for record_id in records.ids
                                  if record_id not in already])
        if not records:
            return
        records = records.with_context(
            base_automation_done={**done, self.id: [*already, *records.ids]})
        error = self._try_action(records)
        if error is None:
            return
        failures = [(records, error)] if len(records) == 1 else [
            (record, record_error) for record in records
            if (record_error := self._try_action(record)) is not None]
        for failed, failure in failures:
            self._log_failure(failed, failure)

    def _try_action(self, records: Any) -> Exception | None:
        """Run the action in a savepoint; the error that undid it, or None."""
        try:
            with self.env.cr.savepoint():
                self._run_action(records)
        except psycopg2.OperationalError:
            raise
        except Exception as exc:
            return exc
        return None

    def _run_action(self, records: Any) -> None:
        """The action, as ``run_as_user_id``, once the owner is known to be allowed too."""
        self._check_owner_access(records)
        records = records.with_user(self.run_as_user_id)
        template = self.template_id.with_env(records.env)
        if self.action_type == "mail_send":
            template.send_mail_batch(records.ids)
        elif self.action_type == "message_post":
            records.message_post_with_template(
                template.id, subtype_xmlid=f"mail_core.mt_{self.message_subtype or 'comment'}")
        else:
            for record in records:
                record.message_subscribe(self._followers_of(record))

    def _check_owner_access(self, records: Any) -> None:
        """AccessError if the rule's owner could not do the action themselves."""
        as_owner = records.with_user(self.user_id)
        if self.action_type == "mail_send":
            as_owner.check_access("read")
            self.template_id.with_user(self.user_id).check_access("read")
        else:
            as_owner._check_mail_access("post" if self.action_type == "message_post" else "write")

    def _followers_of(self, record: Any) -> list[int]:
        """The contacts to add as followers of `record`."""
        partners = self.partner_ids
        if self.followers_field:
            found = record.sudo().mapped(self.followers_field)
            partners |= found.mapped("partner_id") if found._name == "res.users" else found
        return partners.ids

    def _log_failure(self, records: Any, exc: Exception) -> None:
        _logger.warning("Automation rule %r (%s) failed on %s%s: %s", self.name, self.id,
                        records._name, records.ids[:10], exc)
        self.sudo().write({
            "failure_count": self.failure_count + 1,
            "last_failure_date": fields.Datetime.now(),
            "last_error": _("%(model)s %(ids)s: %(error)s", model=records._name,
                            ids=records.ids[:10], error=f"{type(exc).__name__}: {exc}"),
        })

    # ------------------------------------------------------------------
    # time-based rules
    # ------------------------------------------------------------------
    @api.model
    def _cron_process_time_based(self) -> None:
        """Automation: time-based rules. Run the date and scheduled rules that are due."""
        now = fields.Datetime.now()
        for rule in self.search([("trigger", "in", TIME_TRIGGERS)]):
            if rule.trigger == "on_time":
                rule._process_date_rule(now)
            elif rule.next_run <= now:
                rule._process_schedule(now)
        self._schedule_time_check(now)

    def _delay(self) -> relativedelta:
        return relativedelta(**{self.trg_date_range_type or "days": self.trg_date_range})

    def _process_date_rule(self, now: datetime.datetime) -> None:
        """Run on the documents whose date plus the delay fell since the last run (or since
        the rule was created)."""
        delay = self._delay()
        since = self.last_run or self.create_date
        low, high = since - delay, now - delay
        field = self.trg_date_id
        if field.ttype == "date":
            low, high = low.date(), high.date()
        records = self.env[self.model_name].with_user(self.run_as_user_id).search(
            [(field.name, ">", low), (field.name, "<=", high), *self._domain(self.filter_domain)])
        self.write({"last_run": now})
        if records:
            self._process(records)

    def _process_schedule(self, now: datetime.datetime) -> None:
        """Run on the documents matching the domain, and plan the next run."""
        records = self.env[self.model_name].with_user(self.run_as_user_id).search(
            self._domain(self.filter_domain))
        self.write({"last_run": now, "next_run": self._next_schedule(now)})
        if records:
            self._process(records)

    def _next_schedule(self, now: datetime.datetime) -> datetime.datetime:
        """The first time on the rule's schedule after `now` (missed runs are skipped)."""
        nextcall = self.next_run or now
        if nextcall > now:
            return nextcall
        if self.interval_type != "months":
            period = datetime.timedelta(**{self.interval_type: self.interval_number})
            return nextcall + period * ((now - nextcall) // period + 1)
        step = relativedelta(months=self.interval_number)
        while nextcall <= now:
            nextcall += step
        return nextcall

    def _next_date_due(self, now: datetime.datetime) -> datetime.datetime | None:
        """When this date rule fires next for a document as they are now, or None."""
        field, delay = self.trg_date_id, self._delay()
        low = now - delay
        records = self.env[self.model_name].sudo().search(
            [(field.name, ">", low.date() if field.ttype == "date" else low),
             *self._domain(self.filter_domain)], order=f"{field.name} asc", limit=1)
        if not records:
            return None
        return fields.Datetime.to_datetime(records[field.name]) + delay

    @api.model
    def _schedule_time_check(self, now: datetime.datetime | None = None) -> None:
        """Have the time-based action run at the next moment a rule is due."""
        now = now or fields.Datetime.now()
        times = []
        for rule in self.sudo().search([("trigger", "in", TIME_TRIGGERS)]):
            at = rule.next_run if rule.trigger == "on_schedule" else rule._next_date_due(now)
            if at:
                times.append(max(at, now))
        if not times:
            return
        at = min(times)
        cron = self.env.ref("mail_core.ir_cron_base_automation").sudo()
        # a run already planned by then will do; the due ones may be the run in progress
        planned = [("cron_id", "=", cron.id), ("call_at", "<=", at)]
        if at > now:
            planned.append(("call_at", ">", now))
        if not self.env["ir.cron.trigger"].sudo().search_count(planned):
            cron._trigger(at)

    def _watch_dates(self, names: set[str]) -> None:
        """A document's date changed: a date rule may be due sooner."""
        if any(rule.trigger == "on_time" and rule.trg_date_id.name in names for rule in self):
            self._schedule_time_check()
