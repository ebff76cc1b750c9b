"""Postroom: an Odoo-style runtime for the Postroom email suite.

Addons use the same programming model as Odoo::

    from postroom import api, fields, models

    class Ticket(models.Model):
        _name = "helpdesk.ticket"
        _inherit = ["mail.thread"]
        _description = "Ticket"

        name = fields.Char(required=True, tracking=True)
        partner_id = fields.Many2one("res.partner")

The runtime is organised by concern: :mod:`postroom.orm` (models, fields,
domains, registry), :mod:`postroom.modules` (addon discovery and
installation), :mod:`postroom.data` (XML/CSV data files), :mod:`postroom.render`
(templates and the sandbox), :mod:`postroom.service` (PostgreSQL, cron),
:mod:`postroom.http` (the web layer), :mod:`postroom.cli` (the command).
"""

from postroom import api, exceptions, fields, models
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.orm.fields import Command
from postroom.tools.misc import _

__version__ = "0.1.0"
__all__ = ["Command", "Environment", "SUPERUSER_ID", "_", "api", "exceptions", "fields", "models"]
