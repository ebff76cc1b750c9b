"""mail.followers: who follows which record, for which subtypes.

One row per (document, partner). The rows are written through
:meth:`mail.thread.message_subscribe` / ``message_unsubscribe``, which check the
caller's rights on the document; this model's methods work in batch and are
used by them and by the notification code (:meth:`_get_recipient_data` is the
single query that decides who hears of a message).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

from postroom import api, fields, models
from postroom.orm.fields import Command


class RecipientData(TypedDict):
    """One partner to notify of a message, as :meth:`_get_recipient_data` finds it."""

    id: int
    email: str | None
    lang: str | None
    uid: int | None
    share: bool
    notification_type: str


class MailFollowers(models.Model):
    _name = "mail.followers"
    _description = "Document Follower"
    _rec_name = "partner_id"
    _log_access = False

    res_model = fields.Char("Related Document Model", required=True, index=True)
    res_id = fields.Integer("Related Document ID", index=True)
    partner_id = fields.Many2one("res.partner", "Follower", required=True, ondelete="cascade",
                                 index=True)
    subtype_ids = fields.Many2many("mail.message.subtype", "mail_followers_mail_message_subtype_rel",
                                   "mail_followers_id", "mail_message_subtype_id", string="Subtypes",
                                   help="The kinds of messages this follower is notified of.")

    _sql_constraints = [("mail_followers_res_partner_res_model_id",
                         "UNIQUE (res_model, res_id, partner_id)",
                         "A partner follows a document only once.")]

    #: the fields of mail.thread computed from the followers
    _THREAD_FIELDS = ("message_follower_ids", "message_partner_ids", "message_is_follower")

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        followers = super().create(vals_list)
        self.env["mail.thread"]._invalidate_thread_fields(
            {vals.get("res_model") for vals in vals_list}, self._THREAD_FIELDS)
        return followers

    def unlink(self) -> bool:
        model_names = set(self.sudo().mapped("res_model"))
        result = super().unlink()
        self.env["mail.thread"]._invalidate_thread_fields(model_names, self._THREAD_FIELDS)
        return result

    # ------------------------------------------------------------------
    # subscription, in batch
    # ------------------------------------------------------------------
    @api.model
    def _insert_followers(self, res_model: str, res_ids: Iterable[int], partner_ids: Iterable[int],
                          subtype_ids: Iterable[int] | None = None) -> None:
        """Make ``partner_ids`` follow every document of ``res_ids``.

        Without ``subtype_ids``, new followers get the model's default subtypes
        (internal ones only if they are internal users) and existing followers
        are left alone; with ``subtype_ids``, every follower gets exactly those.
        """
        res_ids, partner_ids = list(res_ids), list(dict.fromkeys(partner_ids))
        if not res_ids or not partner_ids:
            return
        followers = self.sudo()
        existing = followers.search([("res_model", "=", res_model), ("res_id", "in", res_ids),
                                     ("partner_id", "in", partner_ids)])
        known = {(f.res_id, f.partner_id.id) for f in existing}
        new_subtypes: dict[int, list[int]] = {}
        missing = [(res_id, pid) for res_id in res_ids for pid in partner_ids
                   if (res_id, pid) not in known]
        if subtype_ids is not None:
            subtype_ids = list(subtype_ids)
            existing.write({"subtype_ids": [Command.set(subtype_ids)]})
            new_subtypes = dict.fromkeys(partner_ids, subtype_ids)
        elif missing:
            defaults, internal = self.env["mail.message.subtype"]._default_subtypes(res_model)
            internal_partners = self._internal_partner_ids(partner_ids) if internal else set()
            external_subtypes = (defaults - internal).ids
            new_subtypes = {pid: defaults.ids if pid in internal_partners else external_subtypes
                            for pid in partner_ids}
        followers.create([{"res_model": res_model, "res_id": res_id, "partner_id": pid,
                           "subtype_ids": [Command.set(new_subtypes[pid])]}
                          for res_id, pid in missing])

    @api.model
    def _internal_partner_ids(self, partner_ids: list[int]) -> set[int]:
        """The partners among ``partner_ids`` that have an active internal user."""
        self.env.cr.execute("""
            SELECT DISTINCT partner_id FROM res_users
             WHERE partner_id = ANY(%s) AND active AND share IS NOT TRUE""", (partner_ids,))
        return {row[0] for row in self.env.cr.fetchall()}

    # ------------------------------------------------------------------
    # recipients
    # ------------------------------------------------------------------
    @api.model
    def _get_recipient_data(self, res_model: str | None, res_id: int | None,
                            subtype_id: int | None, partner_ids: Iterable[int] = ()
                            ) -> list[RecipientData]:
        """Who to notify of a message: one query, whatever the number of followers.

        The followers of the document that follow ``subtype_id`` plus the
        explicit ``partner_ids``, active partners only. For each: their address
        and language, and the user through which they log in, if any (an
        internal one rather than a portal one when they have both), with the
        user's notification preference; partners without a user get email.
        """
        self.env.cr.execute("""
            WITH recipients AS (
                SELECT f.partner_id AS pid
                  FROM mail_followers f
                  JOIN mail_followers_mail_message_subtype_rel rel
                    ON rel.mail_followers_id = f.id AND rel.mail_message_subtype_id = %(subtype)s
                 WHERE f.res_model = %(model)s AND f.res_id = %(res_id)s
                UNION
                SELECT unnest(%(partners)s::int[])
            )
            SELECT DISTINCT ON (p.id) p.id, p.email, p.lang, u.id,
                   COALESCE(u.share, TRUE), COALESCE(u.notification_type, 'email')
              FROM recipients r
              JOIN res_partner p ON p.id = r.pid AND p.active
              LEFT JOIN res_users u ON u.partner_id = p.id AND u.active
             ORDER BY p.id, u.share ASC NULLS LAST, u.id""",
            {"subtype": subtype_id or 0, "model": res_model or "", "res_id": res_id or 0,
             "partners": list(partner_ids)})
        return [RecipientData(id=pid, email=email, lang=lang, uid=uid, share=share,
                              notification_type=notification_type)
                for pid, email, lang, uid, share, notification_type in self.env.cr.fetchall()]

    # ------------------------------------------------------------------
    # for the chatter
    # ------------------------------------------------------------------
    def _format_followers(self) -> list[dict[str, Any]]:
        """The followers as the chatter shows them (names, addresses, subtypes followed)."""
        return [{"id": follower.id, "partner_id": follower.partner_id.id,
                 "name": follower.partner_id.display_name, "email": follower.partner_id.email or "",
                 "is_active": follower.partner_id.active,
                 "subtype_ids": follower.subtype_ids.ids}
                for follower in self.sudo()]
