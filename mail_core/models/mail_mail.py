"""mail.mail: the outgoing mail queue.

A ``mail.mail`` is one email to send: a ``mail.message`` (subject, author, From, Reply-To,
Message-Id, attachments) plus what only sending needs: the rendered ``body_html``, the
recipients (partners, raw ``email_to``/``email_cc`` addresses), extra ``headers``, an
optional server. It is ``outgoing`` until it is ``sent``, or ``exception`` (with a failure
type and a readable reason), or ``cancel``.

How mail leaves:

- Creating mail, or retrying it, sends ``NOTIFY postroom_mail_queue`` when the transaction
  commits: the queue workers (:mod:`..mailer.worker`) wake up and send within seconds. The
  "Mail: Email Queue Manager" scheduled action runs the same round as a safety net.
- A worker reserves a batch of due mails (:meth:`MailMail._claim_due`, advisory locks, so
  that workers take different mails), then sends them one by one. Each mail is locked
  (``FOR NO KEY UPDATE SKIP LOCKED``, re-checking that it is still due) for the length of its
  SMTP transactions, and its outcome is committed right after them. So two workers never
  send the same mail, and a worker killed at any moment leaves each mail sent or still
  queued; only a mail the server had accepted when the worker died, before the commit, can
  leave twice. Between two SMTP transactions a worker makes one PostgreSQL round trip: the
  outcome's UPDATE (held back by ``cr.deferring()``), its COMMIT and the next mail's lock go
  together (``cr.commit_then``).
- Each recipient partner gets a copy of their own (To: them); the raw ``email_to`` and
  ``email_cc`` addresses share one copy. Every recipient's outcome is kept
  (``recipient_results``): a recipient refused among several does not fail the others, and
  a retry goes only to the recipients not done yet.
- Temporary failures (4xx replies, refused, dropped or timed-out connections) are retried
  after ``mail.mail.retry_delay`` seconds, doubling each time up to
  ``mail.mail.retry_delay_max``, for ``mail.mail.max_attempts`` attempts; permanent ones
  (5xx replies, invalid or missing addresses, a message too large) fail at once. The rules
  are in :mod:`..mailer.delivery`.

Addons extend sending through :meth:`MailMail._prepare_recipients`,
:meth:`MailMail._prepare_sender`, :meth:`MailMail._envelope_sender` and
:meth:`MailMail._postprocess_sent_message`.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from postroom import _, api, fields, models
from postroom.exceptions import ValidationError
from postroom.render.html import html_to_text
from postroom.service.db import notify

from ..mailer.addresses import Address, InvalidAddress, iter_addresses, parse_addresses
from ..mailer.delivery import (
    FAILED,
    RETRY,
    SENT,
    WAIT,
    Outcome,
    RetryPolicy,
    failure_outcome,
    summarize,
    transaction_outcomes,
)
from ..mailer.mime import (
    Attachment,
    HeaderError,
    build_body,
    build_message,
    check_extra_headers,
    check_message_id,
)
from ..mailer.sessions import SessionPool
from ..mailer.smtp import ServerConfig, SMTPFailure
from ..mailer.worker import QUEUE_CHANNEL, QueueWorker
from .ir_mail_server import SendingTurn
from .mail_notification import FAILURE_TYPES

_logger = logging.getLogger(__name__)

#: advisory lock space of the queue's batch reservations ("mail")
CLAIM_LOCK_SPACE = 0x6D61696C
#: how many due mails a claim looks at, per mail it wants (room for other workers' claims)
CLAIM_SCAN_FACTOR = 8
#: longest wait (seconds) for a server's next rate slot; a later slot postpones the mail
MAX_RATE_WAIT = 5.0

_DUE = ("(m.scheduled_date IS NULL OR m.scheduled_date <= %(now)s)"
        " AND (m.next_attempt IS NULL OR m.next_attempt <= %(now)s)")
# Reserve up to %(limit)s due mails, most urgent first, skipping those other workers hold.
_CLAIM = f"""
    SELECT id FROM (SELECT m.id FROM mail_mail m
                     WHERE m.state = 'outgoing' AND {_DUE}
                     ORDER BY m.priority DESC, m.id
                     LIMIT %(scan)s) due
     WHERE pg_try_advisory_lock(%(space)s, due.id)
     LIMIT %(limit)s
"""
# Lock one mail for sending if it is still outgoing (and due, with %(due)s).
_LOCK = f"""
    SELECT m.write_date FROM mail_mail m
     WHERE m.id = %(id)s AND m.state = 'outgoing' AND (NOT %(due)s OR ({_DUE}))
       FOR NO KEY UPDATE SKIP LOCKED
"""


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class MailFailure(Exception):
    """A mail that cannot be sent as it is: ``failure_type`` and a readable message."""

    def __init__(self, failure_type: str, message: str, temporary: bool = False):
        super().__init__(message)
        self.failure_type, self.temporary = failure_type, temporary

    def outcome(self) -> Outcome:
        return Outcome(RETRY if self.temporary else FAILED, self.failure_type, str(self))


@dataclass
class Envelope:
    """One copy of a mail: its To and Cc headers, and the recipients it goes to (RCPT TO)."""

    to: list[Address]
    cc: list[Address]
    recipients: list[Address]


@dataclass
class _Batch:
    """What the mails sent together share: servers, policies, their notifications."""

    servers: Any
    policy: RetryPolicy
    isolated: bool  # reserve sending limits in transactions of their own (workers)
    notifications: dict[int, dict[int, Any]] = field(default_factory=dict)
    configs: dict[int, ServerConfig] = field(default_factory=dict)
    max_sizes: dict[int, int] = field(default_factory=dict)
    #: the server and From chosen for a From, by (From, forced server)
    senders: dict[tuple[str, int], tuple[Any, str]] = field(default_factory=dict)

    def config(self, server: Any) -> ServerConfig:
        if server.id not in self.configs:
            self.configs[server.id] = server._smtp_config()
        return self.configs[server.id]

    def max_bytes(self, server: Any) -> int:
        if server.id not in self.max_sizes:
            self.max_sizes[server.id] = server._max_email_bytes()
        return self.max_sizes[server.id]


class MailMail(models.Model):
    _name = "mail.mail"
    _description = "Outgoing Mail"
    _inherits = {"mail.message": "mail_message_id"}
    _order = "id desc"
    _rec_name = "subject"

    mail_message_id = fields.Many2one("mail.message", "Message", required=True, ondelete="cascade",
                                      index=True)
    body_html = fields.Html("Rich-text Contents", sanitize=False)
    body_text = fields.Text("Plain-text Contents", compute="_compute_body_text", store=True,
                            help="The text/plain alternative, made from the HTML when the mail "
                                 "is queued.")
    email_to = fields.Char("To", help="Raw addresses of the recipients (comma-separated)")
    email_cc = fields.Char("Cc", help="Raw carbon-copy addresses (comma-separated)")
    recipient_ids = fields.Many2many("res.partner", "mail_mail_res_partner_rel", "mail_mail_id",
                                     "res_partner_id", string="To (Partners)")
    headers = fields.Json(help="Extra headers, sent as they are ({name: value})")
    state = fields.Selection([("outgoing", "Outgoing"), ("sent", "Sent"),
                              ("exception", "Exception"), ("cancel", "Cancelled")],
                             "Status", default="outgoing", required=True, copy=False)
    scheduled_date = fields.Datetime("Scheduled Send Date",
                                     help="Not sent before this time. Empty: as soon as possible.")
    priority = fields.Selection([("0", "Low"), ("1", "Normal"), ("2", "High")], default="1",
                                required=True, help="Due mails leave in order of priority.")
    auto_delete = fields.Boolean(help="Delete the email once sent.")
    is_notification = fields.Boolean(help="A chatter notification: its mail.message is kept.")
    mail_server_id = fields.Many2one("ir.mail_server", "Outgoing Mail Server", ondelete="set null",
                                     help="Empty: chosen from the From address.")
    attempt_count = fields.Integer("Attempts", readonly=True, copy=False,
                                   help="Attempts that failed temporarily so far.")
    next_attempt = fields.Datetime("Next Attempt", readonly=True, copy=False,
                                   help="When a temporary failure or a sending limit lets the "
                                        "mail be tried again.")
    recipient_results = fields.Json(readonly=True, copy=False,
                                    help="The recipients done so far: sent, or why they failed.")
    failure_type = fields.Selection(FAILURE_TYPES + [("mail_size", "Message too large")],
                                    "Failure Type", readonly=True, copy=False)
    failure_reason = fields.Text("Failure Reason", readonly=True, copy=False)

    def init(self) -> None:
        # Partial indexes rather than one on state: the queue reads the outgoing mails, people
        # look for failed ones, and sending a mail then updates two indexes, not three.
        self.env.cr.execute("CREATE INDEX IF NOT EXISTS mail_mail_outgoing_index ON mail_mail"
                            " (priority DESC, id) WHERE state = 'outgoing'")
        self.env.cr.execute("CREATE INDEX IF NOT EXISTS mail_mail_exception_index ON mail_mail"
                            " (id) WHERE state = 'exception'")

    @api.depends("body_html")
    def _compute_body_text(self) -> None:
        for mail in self:
            mail.body_text = html_to_text(mail.body_html) if mail.body_html else False

    @api.constrains("headers")
    def _check_headers(self) -> None:
        for mail in self:
            try:
                check_extra_headers(mail.headers)
            except HeaderError as exc:
                raise ValidationError(str(exc)) from None

    # ------------------------------------------------------------------
    # CRUD: wake the workers
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        mails = super().create(vals_list)
        if any(mail.state == "outgoing" for mail in mails):
            self._wake_workers()
        return mails

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if vals.get("state") == "outgoing" or vals.get("scheduled_date"):
            self._wake_workers()
        return result

    @api.model
    def _wake_workers(self) -> None:
        """Tell the queue workers, once this transaction commits, that there is mail."""
        cr = self.env.cr
        if not cr.precommit.data.get(QUEUE_CHANNEL):
            cr.precommit.data[QUEUE_CHANNEL] = True
            cr.precommit.add(lambda: notify(cr, QUEUE_CHANNEL))

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------
    def action_send(self) -> bool:
        """Send Now: send the outgoing mails at once, ignoring their schedule."""
        self.filtered(lambda mail: mail.state == "outgoing").send()
        return True

    def action_retry(self) -> bool:
        """Retry: failed or cancelled mails go back to the queue, to the recipients not reached."""
        mails = self.filtered(lambda mail: mail.state in ("exception", "cancel"))
        for mail in mails:
            results = {key: result for key, result in (mail.recipient_results or {}).items()
                       if result == SENT}
            mail.write({"state": "outgoing", "attempt_count": 0, "next_attempt": False,
                        "failure_type": False, "failure_reason": False,
                        "recipient_results": results})
        notifications = self._notifications().filtered(
            lambda n: n.mail_mail_id in mails and n.notification_status != "sent")
        notifications.write({"notification_status": "ready", "failure_type": False,
                             "failure_reason": False})
        return True

    def cancel(self) -> bool:
        """Cancel: the mails not sent yet will not be (a mail being sent right now is)."""
        self.env.cr.execute("SELECT id FROM mail_mail WHERE id = ANY(%s) AND state IN"
                            " ('outgoing', 'exception') FOR NO KEY UPDATE", (self.ids,))
        mails = self.browse([row[0] for row in self.env.cr.fetchall()])
        self.env.invalidate_all()  # a worker may just have sent some: read their state afresh
        mails.write({"state": "cancel", "next_attempt": False})
        notifications = self._notifications().filtered(
            lambda n: n.mail_mail_id in mails and n.notification_status != "sent")
        notifications._set_delivery_status("canceled")
        return True

    def _notifications(self) -> Any:
        """The email notifications these mails deliver."""
        return self.env["mail.notification"].sudo().search([("mail_mail_id", "in", self.ids)])

    # ------------------------------------------------------------------
    # the queue
    # ------------------------------------------------------------------
    @api.model
    def process_email_queue(self, limit: int | None = None) -> int:
        """Mail: Email Queue Manager. Send the due mails (at most ``limit``, else the parameter
        ``mail.mail.queue.batch.size``, 1000) as a queue worker does, on cursors of its own;
        returns how many were handled. Sent mails left for deletion are deleted."""
        self.search([("state", "=", "sent"), ("auto_delete", "=", True),
                     ("failure_type", "=", False)]).unlink()
        limit = limit or int(self.env["ir.config_parameter"].sudo().get_param(
            "mail.mail.queue.batch.size", 1000))
        worker = QueueWorker(self.pool.database, lambda: self.pool, name="mail-queue-cron")
        try:
            return worker.run_once(limit)
        finally:
            worker.close()

    @api.model
    def _claim_due(self, limit: int) -> Any:
        """Reserve up to ``limit`` due mails for this connection (session advisory locks).

        Release them with :meth:`_release_claims`; a connection that dies releases them too.
        """
        self.env.cr.execute(_CLAIM, {"now": _utcnow(), "scan": limit * CLAIM_SCAN_FACTOR,
                                     "limit": limit, "space": CLAIM_LOCK_SPACE})
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _release_claims(self) -> None:
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, id) FROM unnest(%s::int[]) id",
                            (CLAIM_LOCK_SPACE, self.ids))

    @api.model
    def _next_due(self) -> datetime.datetime | None:
        """When the next outgoing mail is due (naive UTC), or None if none is outgoing."""
        self.env.cr.execute("SELECT min(COALESCE(GREATEST(scheduled_date, next_attempt), %s))"
                            " FROM mail_mail WHERE state = 'outgoing'", (_utcnow(),))
        return self.env.cr.fetchone()[0]

    def _retry_policy(self) -> RetryPolicy:
        params = self.env["ir.config_parameter"].sudo()
        default = RetryPolicy()
        return RetryPolicy(
            max_attempts=int(params.get_param("mail.mail.max_attempts", default.max_attempts)),
            delay=float(params.get_param("mail.mail.retry_delay", default.delay)),
            max_delay=float(params.get_param("mail.mail.retry_delay_max", default.max_delay)))

    # ------------------------------------------------------------------
    # sending
    # ------------------------------------------------------------------
    def send(self, auto_commit: bool = False) -> bool:
        """Send these mails now, whatever their schedule, in the current transaction.

        With ``auto_commit``, each mail's outcome is committed right after it is sent: only
        for a cursor of the caller's own (a worker's), never a request's.
        """
        with SessionPool() as sessions:
            self._send(sessions, auto_commit=auto_commit)
        return True

    def _send(self, sessions: SessionPool, auto_commit: bool = False,
              due_only: bool = False) -> None:
        """Send each of these mails that is still outgoing (and due, with ``due_only``)."""
        batch = _Batch(servers=self.env["ir.mail_server"].sudo().search([]),
                       policy=self._retry_policy(), isolated=auto_commit)
        for notification in self._notifications():
            batch.notifications.setdefault(notification.mail_mail_id.id, {})[
                notification.res_partner_id.id] = notification
        mails = self.sudo()
        done = mails.browse()
        uncommitted = False  # an outcome waits for its commit (which locks the next mail too)
        for mail in mails:
            locked = mail._lock_for_sending(due_only, commit_first=uncommitted)
            uncommitted = False
            if not locked:
                continue
            try:
                outcomes, partner_keys = mail._deliver(sessions, batch)
            except psycopg2.Error:
                raise
            except Exception as exc:
                _logger.exception("mail.mail %s: unexpected error while sending", mail.id)
                outcomes, partner_keys = {"": Outcome(FAILED, "unknown", f"Unexpected error: "
                                                      f"{type(exc).__name__}: {exc}")}, {}
            with self.env.cr.deferring() if auto_commit else contextlib.nullcontext():
                values = mail._postprocess_sent_message(outcomes, partner_keys, batch)
            if mail.auto_delete and values.get("state") == "sent" and not values["failure_type"]:
                done |= mail
            uncommitted = auto_commit
        if uncommitted:
            self.env.cr.commit()
        if done:
            done.unlink()
            if auto_commit:
                self.env.cr.commit()

    def _lock_for_sending(self, due_only: bool, commit_first: bool = False) -> bool:
        """Lock this mail until the transaction ends, if it is still outgoing (and due).

        False when another worker holds it or it was sent, cancelled or rescheduled since it
        was picked. Cached values of a mail changed since they were read are dropped. With
        ``commit_first``, the current transaction (the previous mail's outcome) is committed
        in the same round trip, and the lock taken in the next one.
        """
        cr = self.env.cr
        params = {"id": self.id, "due": due_only, "now": _utcnow()}
        if commit_first:
            rows = cr.commit_then(_LOCK, params)
        else:
            cr.execute(_LOCK, params)
            rows = cr.fetchall()
        if not rows:
            return False
        cache, field = self.env.cache, self._fields["write_date"]
        if cache.contains(field, self.id) and cache.get(field, self.id) != rows[0][0]:
            cache.invalidate_ids("mail.message", self.mail_message_id.ids)
            cache.invalidate_ids("mail.mail", self.ids)
        return True

    def _deliver(self, sessions: SessionPool,
                 batch: _Batch) -> tuple[dict[str, Outcome], dict[int, str]]:
        """One attempt at this mail: each recipient's outcome, and each partner's recipient."""
        envelopes, partner_keys, outcomes = self._prepare_recipients()
        if not envelopes:
            if not outcomes and not self.recipient_results:
                outcomes[""] = Outcome(FAILED, "mail_email_missing",
                                       _("The mail has no recipient."))
            return outcomes, partner_keys
        pending = [address for envelope in envelopes for address in envelope.recipients]
        try:
            sender, reply_to, server = self._prepare_sender(batch)
            message = self.mail_message_id  # its fields directly, not through _inherits
            html = str(self.body_html or message.body or "")
            attachments = [Attachment(a.name, a.raw, a.mimetype or "application/octet-stream")
                           for a in message.attachment_ids]
            body = build_body(self.body_text or html_to_text(html), html, attachments)
            message_id = check_message_id(message.message_id)
            headers = check_extra_headers(self.headers)
        except (MailFailure, HeaderError) as exc:
            failure = exc if isinstance(exc, MailFailure) else \
                MailFailure("unknown", _("Invalid header: %s", exc))
            return {**outcomes, **dict.fromkeys((a.key for a in pending), failure.outcome())}, \
                partner_keys
        config = batch.config(server)
        envelope_from = self._envelope_sender(sender)
        max_bytes = batch.max_bytes(server)

        def from_here(index: int, outcome: Outcome) -> None:
            """``outcome`` for the recipients of envelope ``index`` and the following ones."""
            outcomes.update(dict.fromkeys(
                (a.key for later in envelopes[index:] for a in later.recipients), outcome))

        for index, envelope in enumerate(envelopes):
            data = build_message(sender=sender, to=envelope.to, cc=envelope.cc, reply_to=reply_to,
                                 subject=message.subject or "", message_id=message_id, body=body,
                                 headers=headers)
            if len(data) > max_bytes:
                outcomes.update(dict.fromkeys((a.key for a in envelope.recipients), Outcome(
                    FAILED, "mail_size", _(
                        "The message is %.1f MB; the server takes at most %.1f MB. Send large "
                        "files as links rather than attachments.", len(data) / 2**20,
                        max_bytes / 2**20))))
                continue
            smtputf8 = sender.needs_smtputf8 or any(a.needs_smtputf8 for a in envelope.recipients)
            with self._sending_turn(server, batch) as turn:
                if turn.later:
                    from_here(index, Outcome(WAIT, until=turn.later, reason=_(
                        "Waiting for the sending limits of %s until %s UTC.", server.name,
                        f"{turn.later:%Y-%m-%d %H:%M:%S}")))
                    break
                try:
                    transaction = sessions.send(server.id, config, envelope_from,
                                                [a.email for a in envelope.recipients], data,
                                                smtputf8)
                except SMTPFailure as failure:
                    from_here(index, failure_outcome(failure, config, envelope_from))
                    break
                turn.accepted = bool(transaction.accepted)
            by_email = {address.email: address.key for address in envelope.recipients}
            outcomes.update({by_email[email]: outcome for email, outcome in
                             transaction_outcomes(transaction, config.host).items()})
        return outcomes, partner_keys

    @contextlib.contextmanager
    def _sending_turn(self, server: Any, batch: _Batch) -> Iterator[SendingTurn]:
        """``server``'s turn to send one message: always free when it has no limits; taken in a
        transaction of its own for workers, so that its lock ends with the message."""
        if not server._has_limits():
            yield SendingTurn()
        elif batch.isolated:
            with self.pool.cursor() as cr, server._sending_turn(cr, MAX_RATE_WAIT) as turn:
                yield turn
        else:
            with server._sending_turn(self.env.cr, MAX_RATE_WAIT) as turn:
                yield turn

    def _prepare_recipients(self) -> tuple[list[Envelope], dict[int, str], dict[str, Outcome]]:
        """The copies to send, each partner's recipient key, and the recipients failed already.

        A partner gets a copy of their own; the raw To and Cc addresses one copy together.
        An address is sent to once, whatever the number of times it is listed; recipients
        done in earlier attempts are left out.
        """
        done = set(self.recipient_results or {})
        seen = set(done)
        envelopes: list[Envelope] = []
        partner_keys: dict[int, str] = {}
        outcomes: dict[str, Outcome] = {}
        for partner in self.recipient_ids:
            entry = next(iter_addresses(partner.email), None) if partner.email else None
            if entry is None:
                key = partner_keys[partner.id] = f"partner-{partner.id}"
                outcome = Outcome(FAILED, "mail_email_missing",
                                  _("%s has no email address.", partner.display_name))
            elif isinstance(entry, InvalidAddress):
                key = partner_keys[partner.id] = entry.entry.lower()
                outcome = Outcome(FAILED, "mail_email_invalid", str(entry))
            else:
                key = partner_keys[partner.id] = entry.key
                if key not in seen:
                    seen.add(key)
                    envelopes.append(Envelope([entry.with_name(partner.name or entry.name)], [],
                                              [entry]))
                continue
            if key not in done:
                outcomes[key] = outcome
        to, cc = [], []
        for addresses, text in ((to, self.email_to), (cc, self.email_cc)):
            for entry in iter_addresses(text):
                if isinstance(entry, Address):
                    addresses.append(entry)
                elif entry.entry.lower() not in done:
                    outcomes[entry.entry.lower()] = Outcome(FAILED, "mail_email_invalid",
                                                            str(entry))
        recipients = []
        for address in to + cc:
            if address.key not in seen:
                seen.add(address.key)
                recipients.append(address)
        if recipients:
            envelopes.append(Envelope(to, cc, recipients))
        return envelopes, partner_keys, outcomes

    def _prepare_sender(self, batch: _Batch) -> tuple[Address, list[Address], Any]:
        """The From, the Reply-To and the server of this mail (MailFailure when impossible).

        The server is the mail's own or the one ``from_filter`` chooses; a From the server may
        not send becomes the notification address with the author's name, and the author's
        address becomes the Reply-To unless the mail has one.
        """
        IrMailServer = self.env["ir.mail_server"]
        message = self.mail_message_id
        email_from = message.email_from or IrMailServer._get_default_from_address()
        if not email_from:
            raise MailFailure("mail_from_missing", _(
                "The mail has no sender: set its From, or the notification address (system "
                "parameters mail.default.from and mail.catchall.domain)."))
        try:
            author = parse_addresses(email_from)[0]
        except (InvalidAddress, IndexError) as exc:
            raise MailFailure("mail_from_invalid", _("Invalid sender address: %s", exc)) from None
        key = (email_from, self.mail_server_id.id)
        if key not in batch.senders:
            server = self.mail_server_id.sudo()
            if server:
                from_header = email_from
                notifications = IrMailServer._get_default_from_address()
                if notifications and not IrMailServer._match_from_filter(author.email,
                                                                         server.from_filter):
                    from_header = IrMailServer._encapsulate_from(author, notifications)
            else:
                server, from_header = IrMailServer._find_mail_server(email_from, batch.servers)
            batch.senders[key] = (server, from_header)
        server, from_header = batch.senders[key]
        if not server:
            raise MailFailure("mail_smtp", _(
                "No outgoing mail server is set up: add one in Settings > Technical > Email > "
                "Outgoing Mail Servers."), temporary=True)
        sender = parse_addresses(from_header)[0]
        reply_to = [entry for entry in iter_addresses(message.reply_to)
                    if isinstance(entry, Address)]
        if not reply_to and sender.key != author.key:
            reply_to = [author]
        return sender, reply_to, server

    def _envelope_sender(self, sender: Address) -> str:
        """The SMTP envelope sender (``MAIL FROM``, where bounces go): the From address."""
        return sender.email

    def _postprocess_sent_message(self, outcomes: dict[str, Outcome], partner_keys: dict[int, str],
                                  batch: _Batch) -> dict[str, Any]:
        """Record an attempt: the mail's state and reasons, and its notifications' status.

        Returns the values written on the mail.
        """
        values = summarize(self.recipient_results or {}, outcomes, self.attempt_count,
                           batch.policy, _utcnow())
        self.write({name: value for name, value in values.items() if value != self[name]})
        results = values["recipient_results"]  # False: sent to everyone
        by_status: dict[tuple[str, str | bool, str | bool], list[Any]] = defaultdict(list)
        for partner_id, notification in batch.notifications.get(self.id, {}).items():
            result = SENT if results is False else results.get(partner_keys.get(partner_id))
            if result == SENT:
                by_status["sent", False, False].append(notification)
            elif result is not None:
                status = "bounce" if result[0] == "mail_bounce" else "exception"
                by_status[status, result[0], result[1]].append(notification)
        for (status, failure_type, reason), notifications in by_status.items():
            self.env["mail.notification"].sudo().browse(n.id for n in notifications) \
                ._set_delivery_status(status, failure_type, reason)
        return values
