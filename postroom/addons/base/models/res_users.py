"""res.users: people who log in. Each user is also a partner (``_inherits``).

Passwords are hashed with Argon2 (argon2-cffi) and kept in a ``password``
column that no field exposes: the ``password`` field only accepts a new value
(write-only) and reads as empty. The superuser (id 1) is not a login: it has
no password and is inactive; it is the identity of ``sudo()`` and of the system.
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from postroom import api, fields, models
from postroom.exceptions import AccessError, UserError, ValidationError
from postroom.orm.environment import SUPERUSER_ID

_hasher = PasswordHasher()
#: verified against when the login is unknown, so the answer takes as long either way
_DUMMY_HASH = _hasher.hash("no such user: constant-time refusal")


class ResUsers(models.Model):
    _name = "res.users"
    _description = "User"
    _inherits = {"res.partner": "partner_id"}
    _order = "login"
    _rec_name = "name"

    partner_id = fields.Many2one("res.partner", "Related Partner", required=True,
                                 ondelete="restrict", index=True)
    login = fields.Char(required=True, help="Used to log in, usually the email address.")
    password = fields.Char(compute="_compute_password", inverse="_inverse_password",
                           copy=False, help="Write-only: reading it gives an empty value.")
    active = fields.Boolean(default=True)
    groups_id = fields.Many2many("res.groups", "res_groups_users_rel", "uid", "gid",
                                 string="Groups", default=lambda self: self._default_groups())
    company_id = fields.Many2one("res.company", "Company", required=True,
                                 default=lambda self: self.env.company.id)
    company_ids = fields.Many2many("res.company", "res_company_users_rel", "user_id", "cid",
                                   string="Companies", default=lambda self: self.env.company.ids)
    notification_type = fields.Selection([("email", "Handle by Emails"),
                                          ("inbox", "Handle in Postroom")],
                                         default="email", required=True,
                                         help="How this user is told about new messages.")
    signature = fields.Html()
    share = fields.Boolean("Share User", compute="_compute_share", store=True,
                           help="Portal and public users (no backend access)")
    login_date = fields.Datetime("Latest Login", readonly=True)

    _sql_constraints = [("login_key", "UNIQUE (login)", "Another user already uses this login.")]

    def init(self) -> None:
        self.env.cr.execute("ALTER TABLE res_users ADD COLUMN IF NOT EXISTS password varchar")

    def _default_groups(self) -> list[int]:
        group = self.env.ref("base.group_user", raise_if_not_found=False)
        return [group.id] if group else []

    @api.depends("groups_id")
    def _compute_share(self) -> None:
        user_group = self.env.ref("base.group_user", raise_if_not_found=False)
        for user in self:
            user.share = not user_group or user_group not in user.groups_id

    def _compute_password(self) -> None:
        for user in self:
            user.password = ""

    def _inverse_password(self) -> None:
        for user in self:
            if user.password:
                user._set_password(user.password)

    def _set_password(self, password: str) -> None:
        if len(password) < 8 and not self.env.context.get("install_mode"):
            raise ValidationError("Passwords must have at least 8 characters.")
        self.env.cr.execute("UPDATE res_users SET password = %s WHERE id = %s",
                            (_hasher.hash(password), self.id))

    # ------------------------------------------------------------------
    # groups
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        for vals in vals_list:
            if vals.get("login") and not vals.get("email") and "@" in vals["login"]:
                vals["email"] = vals["login"]
        users = super().create(vals_list)
        users._apply_implied_groups()
        for user in users:
            if user.partner_id.company_id != user.company_id:
                user.partner_id.company_id = user.company_id
        return users

    def write(self, vals: dict[str, Any]) -> bool:
        if SUPERUSER_ID in self._ids and "active" in vals and vals["active"]:
            raise UserError("The superuser is a system identity and cannot be activated.")
        result = super().write(vals)
        if "groups_id" in vals:
            self._apply_implied_groups()
            self.pool.signal.changed(self.env.cr)
        return result

    def unlink(self) -> bool:
        if SUPERUSER_ID in self._ids:
            raise UserError("The superuser cannot be deleted.")
        self.pool.signal.changed(self.env.cr)
        return super().unlink()

    def _apply_implied_groups(self) -> None:
        """Add to each user the groups implied by the groups it has."""
        if not self._ids:
            return
        self.env.cr.execute("""
            WITH RECURSIVE implied(uid, gid) AS (
                SELECT uid, gid FROM res_groups_users_rel WHERE uid = ANY(%s)
                UNION SELECT i.uid, r.hid FROM res_groups_implied_rel r
                       JOIN implied i ON i.gid = r.gid)
            INSERT INTO res_groups_users_rel (uid, gid)
            SELECT uid, gid FROM implied ON CONFLICT DO NOTHING""", (list(self._ids),))
        self.env.transaction.cache.invalidate(self._fields["groups_id"])
        self.pool.signal.changed(self.env.cr)
        self.modified(["groups_id"])
        self.pool.recompute(self.env)

    def _group_ids(self) -> frozenset[int]:
        cache = self.pool.groups_cache
        uid = self.id
        if uid not in cache:
            self.env.cr.execute("SELECT gid FROM res_groups_users_rel WHERE uid = %s", (uid,))
            cache[uid] = frozenset(row[0] for row in self.env.cr.fetchall())
        return cache[uid]

    def has_group(self, xmlid: str) -> bool:
        """Whether the user is in the group with external id ``xmlid``."""
        self.ensure_one()
        group = self.env.ref(xmlid, raise_if_not_found=False)
        return bool(group) and group.id in self._group_ids()

    def _has_any_group(self, groups: str) -> bool:
        """``groups``: comma-separated xmlids; ``!xmlid`` means "not in"."""
        for xmlid in (g.strip() for g in groups.split(",")):
            if xmlid.startswith("!"):
                if not self.has_group(xmlid[1:]):
                    return True
            elif self.has_group(xmlid):
                return True
        return False

    def _is_system(self) -> bool:
        return self.id == SUPERUSER_ID or self.has_group("base.group_system")

    def _is_admin(self) -> bool:
        return self._is_system() or self.has_group("base.group_erp_manager")

    def _is_internal(self) -> bool:
        return self.has_group("base.group_user")

    # ------------------------------------------------------------------
    # authentication
    # ------------------------------------------------------------------
    @api.model
    def _login(self, login: str, password: str) -> int:
        """The id of the active user with these credentials; AccessError otherwise."""
        self.env.cr.execute("SELECT id, password FROM res_users WHERE login = %s AND active",
                            (login,))
        row = self.env.cr.fetchone()
        usable = bool(row and row[0] != SUPERUSER_ID and row[1] and password)
        try:
            _hasher.verify(row[1] if usable else _DUMMY_HASH, password or "")
        except (VerificationError, InvalidHashError):
            usable = False
        if not usable:
            raise AccessError("Wrong login or password.")
        stored = row[1]
        if _hasher.check_needs_rehash(stored):
            self.env.cr.execute("UPDATE res_users SET password = %s WHERE id = %s",
                                (_hasher.hash(password), row[0]))
        self.env.cr.execute("UPDATE res_users SET login_date = now() at time zone 'UTC' "
                            "WHERE id = %s", (row[0],))
        return row[0]

    @api.model
    def context_get(self) -> dict[str, Any]:
        """The user's context: language and time zone."""
        user = self.env.user
        return {"lang": user.lang or "en_US", "tz": user.tz or "UTC", "uid": user.id}

    def _check_credentials(self, password: str) -> None:
        """Raise AccessError unless ``password`` is this user's password."""
        self.ensure_one()
        self._login(self.login, password)
