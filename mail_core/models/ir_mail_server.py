"""ir.mail_server: the SMTP servers outgoing mail goes through.

Which server sends a mail follows ``from_filter`` (:meth:`IrMailServer._find_mail_server`):
a server whose filter names the From address, then one whose filter names its domain, then
one allowed to send as the notification address (and the From becomes
``"Author" <notifications@domain>``), then one without a filter, then the first server.

Each server may cap its sending: ``send_rate_limit`` messages per minute, spread evenly
(a message starts at least 60/N seconds after the previous one ended, so that no minute
ever sees more than N), and a warm-up schedule, a daily cap that starts at
``warmup_first_day_limit`` on ``warmup_start_date`` and grows by ``warmup_daily_growth``
percent a day. The messages of a limited server take turns (:meth:`IrMailServer._sending_turn`
locks the server row for the length of each SMTP transaction), so the limits hold exactly
whatever the number of workers; servers without limits are never locked.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from postroom import _, api, fields, models
from postroom.exceptions import UserError, ValidationError

from ..mailer.addresses import InvalidAddress, parse_address, parse_addresses
from ..mailer.diagnosis import explain
from ..mailer.smtp import ServerConfig, SMTPFailure, probe

#: the ports that usually go with each connection security
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
#: ICP with the size limit (MB) of servers that do not set their own
MAX_SIZE_PARAM = "base.default_max_email_size"
DEFAULT_MAX_SIZE_MB = 10.0

# A limited server's sending state, locked: the sender holds the lock through its SMTP
# transaction, so the messages of a limited server go one at a time, whatever the workers.
_LOCK_LIMITS = """
    SELECT send_slot, sent_day, sent_day_count, (clock_timestamp() AT TIME ZONE 'UTC')::timestamp
      FROM ir_mail_server WHERE id = %s FOR NO KEY UPDATE
"""
# After a message: the next one may start %(interval)s seconds from now; count it if taken.
_COUNT_SENT = """
    UPDATE ir_mail_server
       SET send_slot = CASE WHEN %(interval)s > 0
                            THEN (clock_timestamp() AT TIME ZONE 'UTC')::timestamp
                                 + make_interval(secs => %(interval)s)
                            ELSE send_slot END,
           sent_day_count = CASE WHEN sent_day = %(day)s THEN sent_day_count + %(sent)s
                                 ELSE %(sent)s END,
           sent_day = %(day)s
     WHERE id = %(id)s
"""


@dataclass
class SendingTurn:
    """A limited server's turn to send one message; ``later`` when it must wait instead."""

    later: datetime.datetime | None = None
    accepted: bool = False


class IrMailServer(models.Model):
    _name = "ir.mail_server"
    _description = "Outgoing Mail Server"
    _order = "sequence, id"

    name = fields.Char("Name", required=True)
    from_filter = fields.Char(
        "FROM Filtering",
        help="The From addresses this server may send: addresses or domains, comma-separated "
             "(e.g. 'sales@example.com, example.org'). Empty: any address. Mail whose From is "
             "not allowed here goes through another server, or leaves with the notification "
             "address as From and the author's name.")
    smtp_host = fields.Char("SMTP Server", required=True, help="Host name or IP address.")
    smtp_port = fields.Integer("SMTP Port", required=True, default=25,
                               help="587 for TLS (STARTTLS), 465 for SSL/TLS, 25 for servers of "
                                    "your own network.")
    smtp_encryption = fields.Selection(
        [("none", "None"), ("starttls", "TLS (STARTTLS)"), ("ssl", "SSL/TLS")],
        "Connection Security", required=True, default="none",
        help="None: plain text (only on a network you trust). TLS (STARTTLS): the connection "
             "starts plain and switches to TLS, usually on port 587. SSL/TLS: TLS from the first "
             "byte, usually on port 465.")
    smtp_ssl_verify = fields.Boolean(
        "Verify Certificate", default=True,
        help="Check the server's TLS certificate. Untick only for a server with a self-signed "
             "certificate on a network you trust.")
    smtp_user = fields.Char("Username", groups="base.group_system")
    smtp_pass = fields.Char("Password", groups="base.group_system")
    smtp_timeout = fields.Integer("Timeout (s)", required=True, default=60,
                                  help="How long to wait for the server at each step.")
    max_email_size = fields.Float(
        "Max Email Size (MB)",
        help="Larger messages fail at once instead of being sent. Empty: the system default "
             "(parameter base.default_max_email_size, 10 MB).")
    send_rate_limit = fields.Integer(
        "Rate Limit (per minute)",
        help="At most this many messages in any minute, spread evenly (60 per minute: one a "
             "second). 0: no limit.")
    warmup_start_date = fields.Date(
        "Warm-up Start",
        help="Warm up a new sending address or IP: from this day, a daily cap that grows day "
             "by day. Empty: no warm-up.")
    warmup_first_day_limit = fields.Integer("First Day Cap", default=100,
                                            help="Messages allowed on the first day.")
    warmup_daily_growth = fields.Float("Daily Growth (%)", default=50.0,
                                       help="How much the cap grows each day.")
    warmup_daily_cap = fields.Integer("Today's Cap", compute="_compute_warmup_daily_cap",
                                      help="Messages allowed today (0: no cap).")
    sequence = fields.Integer("Priority", default=10,
                              help="Among servers that fit a mail equally, the lowest comes first.")
    active = fields.Boolean(default=True)
    # bookkeeping of the limits, kept by the queue workers
    send_slot = fields.Datetime("Next Free Slot", readonly=True, copy=False)
    sent_day = fields.Date("Counting Day", readonly=True, copy=False)
    sent_day_count = fields.Integer("Counted That Day", readonly=True, copy=False)
    sent_today = fields.Integer("Sent Today", compute="_compute_sent_today",
                                help="Messages counted against today's limits.")

    @api.constrains("smtp_port", "smtp_timeout", "max_email_size", "send_rate_limit",
                    "warmup_first_day_limit", "warmup_daily_growth", "from_filter")
    def _check_settings(self) -> None:
        for server in self:
            if not 0 < server.smtp_port < 65536:
                raise ValidationError(_("The SMTP port must be between 1 and 65535."))
            if server.smtp_timeout < 1:
                raise ValidationError(_("The timeout must be at least one second."))
            if server.max_email_size < 0 or server.send_rate_limit < 0:
                raise ValidationError(_("Size and rate limits cannot be negative."))
            if server.warmup_start_date and (server.warmup_first_day_limit < 1
                                             or server.warmup_daily_growth < 0):
                raise ValidationError(_("A warm-up needs a first-day cap of at least 1 and a "
                                        "growth of 0 % or more."))
            for entry in self._parse_from_filter(server.from_filter):
                try:
                    parse_address(entry if "@" in entry else f"postmaster@{entry}")
                except InvalidAddress:
                    raise ValidationError(_("FROM Filtering: %r is neither an address nor a "
                                            "domain.", entry)) from None

    @api.onchange("smtp_encryption")
    def _onchange_smtp_encryption(self) -> None:
        """Suggest the port that usually goes with the connection security."""
        if self.smtp_port in DEFAULT_PORTS.values():
            self.smtp_port = DEFAULT_PORTS[self.smtp_encryption or "none"]

    @api.depends("warmup_start_date", "warmup_first_day_limit", "warmup_daily_growth")
    def _compute_warmup_daily_cap(self) -> None:
        today = fields.Date.today()
        for server in self:
            server.warmup_daily_cap = server._warmup_cap(today) or 0

    @api.depends("sent_day", "sent_day_count")
    def _compute_sent_today(self) -> None:
        today = fields.Date.today()
        for server in self:
            server.sent_today = server.sent_day_count if server.sent_day == today else 0

    def _warmup_cap(self, day: datetime.date) -> int | None:
        """The warm-up cap of ``day``; None when the server is not warming up."""
        self.ensure_one()
        if not self.warmup_start_date:
            return None
        days = max(0, (day - self.warmup_start_date).days)
        growth = 1 + self.warmup_daily_growth / 100
        return math.floor(self.warmup_first_day_limit * growth ** min(days, 365))

    # ------------------------------------------------------------------
    # connecting
    # ------------------------------------------------------------------
    def _smtp_config(self) -> ServerConfig:
        """How to reach this server (credentials included: keep it out of logs)."""
        self.ensure_one()
        server = self.sudo()
        return ServerConfig(host=server.smtp_host.strip(), port=server.smtp_port,
                            security=server.smtp_encryption, user=server.smtp_user or "",
                            password=server.smtp_pass or "", timeout=server.smtp_timeout,
                            verify=server.smtp_ssl_verify)

    def _max_email_bytes(self) -> int:
        """The size above which a message is refused before it is sent."""
        size = self.max_email_size if self else 0.0
        if not size:
            size = float(self.env["ir.config_parameter"].sudo().get_param(
                MAX_SIZE_PARAM, DEFAULT_MAX_SIZE_MB) or DEFAULT_MAX_SIZE_MB)
        return int(size * 1024 * 1024)

    def _test_sender(self) -> str:
        """The address a connection test sends from: one the server may use."""
        entries = self._parse_from_filter(self.from_filter)
        for entry in entries:
            if "@" in entry:
                return entry
        if entries:
            return f"noreply@{entries[0]}"
        return (self._get_default_from_address() or self.env.user.email
                or f"noreply@{self.smtp_host}")

    def test_smtp_connection(self) -> dict[str, Any]:
        """Test Connection: a real SMTP dialogue up to ``RCPT TO``, without sending anything.

        Failures raise a UserError saying, in plain words, what went wrong and what to do.
        """
        self.ensure_one()
        config = self._smtp_config()
        sender = self._test_sender()
        try:
            limit = probe(config, sender, sender)
        except SMTPFailure as failure:
            raise UserError(_("Connection test failed. %s", explain(failure, config, sender))) \
                from None
        message = _("Connected to %s:%s and the server accepts mail from %s.",
                    config.host, config.port, sender)
        if limit:
            message += " " + _("It takes messages up to %.1f MB.", limit / 1024 / 1024)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": _("Connection Test Successful!"), "message": message,
                           "type": "success", "sticky": False}}

    # ------------------------------------------------------------------
    # which server, which From
    # ------------------------------------------------------------------
    @api.model
    def _parse_from_filter(self, from_filter: str | bool) -> list[str]:
        """The lowercased addresses and domains of a from_filter."""
        return [entry.strip().lower() for entry in (from_filter or "").split(",") if entry.strip()]

    @api.model
    def _match_from_filter(self, email: str, from_filter: str | bool) -> bool:
        """Whether ``email`` (a bare address) may be sent by a server with ``from_filter``."""
        entries = self._parse_from_filter(from_filter)
        if not entries:
            return True
        email = email.lower()
        return email in entries or email.rpartition("@")[2] in entries

    @api.model
    def _get_default_from_address(self) -> str | bool:
        """The notification address (``mail.default.from`` at ``mail.catchall.domain``)."""
        formatted = self.env["mail.thread"]._mail_default_from("")
        try:
            return parse_addresses(formatted)[0].email if formatted else False
        except InvalidAddress:
            return False

    @api.model
    def _find_mail_server(self, email_from: str, mail_servers: Any = None) -> tuple[Any, str]:
        """The server to send ``email_from``'s mail, and the From to use with it.

        Order: a server whose from_filter names the address, then its domain; then one that
        may send as the notification address, the From becoming ``"Name" <notifications@…>``;
        then a server without filter; then the first server, with the notification address.
        ``mail_servers`` (the active servers by priority) saves a search when given.
        ``email_from`` must be a valid address (InvalidAddress otherwise).
        """
        servers = mail_servers if mail_servers is not None else self.sudo().search([])
        address = parse_addresses(email_from)[0]
        entries = {server: self._parse_from_filter(server.from_filter) for server in servers}
        for candidate in (address.email.lower(), address.domain):
            for server, allowed in entries.items():
                if candidate in allowed:
                    return server, email_from
        notifications = self._get_default_from_address()
        if notifications:
            rewritten = self._encapsulate_from(address, notifications)
            for candidate in (notifications.lower(), notifications.rpartition("@")[2].lower()):
                for server, allowed in entries.items():
                    if candidate in allowed:
                        return server, rewritten
        for server, allowed in entries.items():
            if not allowed:
                return server, email_from
        return servers[:1], (self._encapsulate_from(address, notifications) if notifications
                             else email_from)

    @api.model
    def _encapsulate_from(self, author: Any, notifications: str) -> str:
        """``"Author Name" <notifications@domain>``: the author's name, our address."""
        return parse_address(notifications, author.name or author.local).header()

    # ------------------------------------------------------------------
    # sending limits
    # ------------------------------------------------------------------
    def _has_limits(self) -> bool:
        return bool(self.send_rate_limit or self.warmup_start_date)

    @contextlib.contextmanager
    def _sending_turn(self, cr: Any, max_wait: float) -> Iterator[SendingTurn]:
        """This server's turn to send one message within its limits, in ``cr``'s transaction.

        Waits for the turn (another sender holds it until its message is done), then for
        the rate limit's next slot if it is at most ``max_wait`` seconds away. When the slot
        is further, or today's cap is reached, the turn's ``later`` says when to come back
        and nothing must be sent. Set ``accepted`` once the server took the message: it
        counts against the day's cap; the next slot starts 60/rate seconds after the end of
        this message whatever happened to it, so that no minute ever sees more than the
        rate, as the server counts.
        """
        self.ensure_one()
        cr.execute(_LOCK_LIMITS, (self.id,))
        slot, day, count, now = cr.fetchone()
        cap = self._warmup_cap(now.date())
        interval = 60.0 / self.send_rate_limit if self.send_rate_limit else 0.0
        if cap is not None and day == now.date() and count >= cap:
            yield SendingTurn(later=datetime.datetime.combine(
                now.date() + datetime.timedelta(days=1), datetime.time()))
            return
        wait = (slot - now).total_seconds() if interval and slot else 0.0
        if wait > max_wait:
            yield SendingTurn(later=slot)
            return
        if wait > 0:
            time.sleep(wait)
        turn = SendingTurn()
        yield turn
        cr.execute(_COUNT_SENT, {"id": self.id, "interval": interval, "day": now.date(),
                                 "sent": int(turn.accepted)})
        for name in ("send_slot", "sent_day", "sent_day_count", "sent_today"):
            self.env.cache.invalidate(self._fields[name], self.ids)  # changed behind the ORM
