"""fetchmail.server: the IMAP and POP mailboxes whose mail Postroom fetches and processes.

A server is fetched once it is *Confirmed* (Test & Confirm logged in for real); changing
how it connects sends it back to *Not Confirmed*. The "Mail: Fetchmail Service" scheduled
action fetches every confirmed server, ``batch_limit`` messages at a time, and runs again
at once while messages remain; Fetch Now does the same for one server.

Each message is processed in a transaction of its own and acknowledged to the server
(IMAP ``\\Seen``, POP ``DELE``) only once that transaction committed. A message that fails
is kept, with the reason, in the failed incoming messages (``mail.incoming.failed``),
and acknowledged: it is neither lost nor retried in a loop. The keys of the messages
handled are kept per server (``fetchmail.server.uid``), so that a message is processed
once even when its acknowledgement is lost, or another client read it first; two fetches
of one server never run at once (see :mod:`..gateway.fetcher`).
"""

from __future__ import annotations

import logging
from typing import Any

from postroom import _, api, fields, models
from postroom.exceptions import UserError, ValidationError

from ..gateway.diagnosis import explain
from ..gateway.fetcher import FetchReport, fetch
from ..gateway.intake import Source
from ..gateway.mailbox import DEFAULT_PORTS, FetchFailure, MailboxConfig, open_mailbox

_logger = logging.getLogger(__name__)

#: messages fetched per server and run of the scheduled action
BATCH_LIMIT = 50
#: changing one of these fields calls for a new Test & Confirm
CONNECTION_FIELDS = frozenset({"server", "port", "server_type", "encryption", "ssl_verify",
                               "user", "password", "folder"})


class FetchmailServer(models.Model):
    _name = "fetchmail.server"
    _description = "Incoming Mail Server"
    _order = "priority, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    state = fields.Selection([("draft", "Not Confirmed"), ("done", "Confirmed")], "Status",
                             default="draft", required=True, readonly=True, copy=False,
                             help="Only confirmed servers are fetched: Test & Confirm logs in "
                                  "to confirm a server.")
    server_type = fields.Selection(
        [("imap", "IMAP Server"), ("pop", "POP Server")], "Server Type", required=True,
        default="imap",
        help="IMAP (recommended): the mail stays on the server, marked as read once processed. "
             "POP: the mail is deleted from the server once processed.")
    server = fields.Char("Server Name", required=True, help="Host name or IP address, e.g. "
                                                            "imap.gmail.com.")
    port = fields.Integer(required=True, default=993,
                          help="IMAP: 993 with SSL/TLS, 143 with STARTTLS. POP: 995 with "
                               "SSL/TLS, 110 with STARTTLS.")
    encryption = fields.Selection(
        [("none", "None"), ("starttls", "TLS (STARTTLS)"), ("ssl", "SSL/TLS")],
        "Connection Security", required=True, default="ssl",
        help="SSL/TLS: TLS from the first byte (ports 993, 995). TLS (STARTTLS): the "
             "connection starts plain and switches to TLS (ports 143, 110). None: plain text, "
             "only on a network you trust.")
    ssl_verify = fields.Boolean(
        "Verify Certificate", default=True,
        help="Check the server's TLS certificate. Untick only for a server with a self-signed "
             "certificate on a network you trust.")
    user = fields.Char("Username", groups="base.group_system")
    password = fields.Char(groups="base.group_system")
    folder = fields.Char(default="INBOX", help="IMAP: the folder to fetch, e.g. INBOX or "
                                               "INBOX.Support.")
    timeout = fields.Integer("Timeout (s)", required=True, default=60,
                             help="How long to wait for the server at each step.")
    object_id = fields.Many2one(
        "ir.model", "Create a New Record", ondelete="set null",
        help="Mail that is not a reply to a known message (and matches no alias) creates a "
             "record of this model, which must have a chatter. Empty: such mail is kept in "
             "the failed incoming messages.")
    priority = fields.Integer("Server Priority", default=5,
                              help="Servers are fetched in this order, lowest first.")
    attach = fields.Boolean("Keep Attachments", default=True,
                            help="Keep the files of incoming mail (inline images included).")
    original = fields.Boolean("Keep Original", default=False,
                              help="Attach the whole original message (original_email.eml) to "
                                   "the chatter message, e.g. to forward it later.")
    date = fields.Datetime("Last Fetch Date", readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False,
                             help="Why the last fetch failed; empty when it succeeded.")
    error_date = fields.Datetime("Failing Since", readonly=True, copy=False)
    failed_ids = fields.One2many("mail.incoming.failed", "fetchmail_server_id",
                                 "Failed Messages", readonly=True)

    @api.constrains("port", "timeout", "server_type", "folder", "object_id")
    def _check_settings(self) -> None:
        thread_models = self.env["mail.thread"]._thread_models()
        for server in self:
            if not 0 < server.port < 65536:
                raise ValidationError(_("The port must be between 1 and 65535."))
            if server.timeout < 1:
                raise ValidationError(_("The timeout must be at least one second."))
            if server.server_type == "imap" and not (server.folder or "").strip():
                raise ValidationError(_("An IMAP server needs a folder, e.g. INBOX."))
            if server.object_id and server.object_id.model not in thread_models:
                raise ValidationError(_(
                    "'Create a New Record': %s has no chatter (it does not inherit mail.thread),"
                    " so incoming mail cannot be posted on its records.", server.object_id.name))

    @api.onchange("server_type", "encryption")
    def _onchange_server_type(self) -> None:
        """Suggest the port that usually goes with the protocol and the security."""
        if not self.port or self.port in DEFAULT_PORTS.values():
            self.port = DEFAULT_PORTS[self.server_type or "imap", self.encryption or "ssl"]

    def write(self, vals: dict[str, Any]) -> bool:
        if CONNECTION_FIELDS & vals.keys() and "state" not in vals:
            vals = {**vals, "state": "draft"}
        return super().write(vals)

    # ------------------------------------------------------------------
    # connecting
    # ------------------------------------------------------------------
    def _mailbox_config(self) -> MailboxConfig:
        """How to reach this server's mailbox (credentials included: keep it out of logs)."""
        self.ensure_one()
        server = self.sudo()
        return MailboxConfig(host=(server.server or "").strip(), port=server.port,
                             security=server.encryption, user=server.user or "",
                             password=server.password or "", timeout=server.timeout,
                             verify=server.ssl_verify, protocol=server.server_type,
                             folder=(server.folder or "INBOX").strip())

    def _source(self) -> Source:
        """How this server's mail is processed."""
        self.ensure_one()
        return Source(server_id=self.id, model=self.object_id.model or None,
                      save_original=self.original, strip_attachments=not self.attach)

    def button_confirm_login(self) -> dict[str, Any]:
        """Test & Confirm: log in for real (and open the folder); confirm the server.

        A failure raises a UserError saying, in plain words, what went wrong and what to do.
        """
        for server in self:
            config = server._mailbox_config()
            try:
                open_mailbox(config).close()
            except FetchFailure as failure:
                raise UserError(_("Connection test failed. %s", explain(failure, config))) \
                    from None
            server.write({"state": "done", "last_error": False, "error_date": False})
        config = self[-1:]._mailbox_config()
        where = _("folder %s", config.folder) if config.protocol == "imap" else _("the mailbox")
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": _("Connection Test Successful!"),
                           "message": _("Logged in to %s as %s and opened %s. The server is "
                                        "confirmed: its mail is fetched from now on.",
                                        config.where, config.user, where),
                           "type": "success", "sticky": False}}

    def set_draft(self) -> bool:
        """Reset Confirmation: stop fetching this server until it is confirmed again."""
        self.write({"state": "draft"})
        return True

    # ------------------------------------------------------------------
    # fetching
    # ------------------------------------------------------------------
    @api.model
    def _fetch_mails(self, batch_limit: int = BATCH_LIMIT) -> None:
        """Mail: Fetchmail Service. Fetch every confirmed server; run again at once while
        messages remain."""
        servers = self.search([("state", "=", "done")])
        reports = servers._fetch_mail(batch_limit)
        if any(report.remaining for report in reports):
            self.env.ref("mail_core.ir_cron_mail_gateway_action").sudo()._trigger()

    def fetch_mail(self) -> dict[str, Any]:
        """Fetch Now: fetch a batch of each of these servers, whatever their status."""
        self.check_access_rights("write")
        reports = self._fetch_mail(BATCH_LIMIT)
        message = "\n".join(f"{server.name}: {server._report_text(report)}"
                            for server, report in zip(self, reports))
        failed = any(report.error for report in reports)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": _("Fetch failed") if failed else _("Mail fetched"),
                           "message": message, "type": "danger" if failed else "success",
                           "sticky": failed}}

    def _fetch_mail(self, batch_limit: int) -> list[FetchReport]:
        """Fetch up to ``batch_limit`` messages of each server, then record how it went.

        The messages are processed in transactions of their own (see the module
        docstring); only the server's last fetch date and error are written here, in the
        caller's transaction.
        """
        reports = []
        for server in self.sudo():
            config = server._mailbox_config()
            report = fetch(self.pool, config, server._source(), batch_limit)
            reports.append(report)
            if report.busy:
                _logger.info("fetchmail.server %s (%s): another fetch is running, skipped",
                             server.id, server.name)
                continue
            now = fields.Datetime.now()
            if report.error:
                reason = explain(report.error, config)
                _logger.warning("fetchmail.server %s (%s): %s", server.id, server.name, reason)
                server.write({"last_error": reason, "error_date": server.error_date or now})
            else:
                _logger.info("fetchmail.server %s (%s): %s", server.id, server.name,
                             server._report_text(report))
                server.write({"date": now, "last_error": False, "error_date": False})
        return reports

    def _report_text(self, report: FetchReport) -> str:
        """One line on a fetch, for people."""
        if report.busy:
            return _("another fetch of this server is running; try again in a moment.")
        text = _("%s processed, %s ignored (duplicates or automatic replies), %s kept in the "
                 "failed incoming messages.", report.processed, report.ignored, report.failed)
        if report.remaining:
            text += " " + _("%s more wait for the next run.", report.remaining)
        if report.error:
            text += " " + explain(report.error, self._mailbox_config())
        return text
