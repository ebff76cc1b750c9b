"""Model base classes: ``Model``, ``AbstractModel``, ``TransientModel``.

:class:`BaseModel` is assembled from one mixin per concern, each in its own
module: recordset behaviour (:mod:`.base`), creating (:mod:`.create`), reading
(:mod:`.reading`), writing and deleting (:mod:`.storage`), search (:mod:`.search`),
access control (:mod:`.access`) and field metadata (:mod:`.introspection`).
"""

from __future__ import annotations

import datetime

from postroom.orm import api
from postroom.orm.models.access import AccessMixin
from postroom.orm.models.base import PREFETCH_MAX, RecordsetMixin
from postroom.orm.models.create import CreateMixin
from postroom.orm.models.introspection import IntrospectionMixin
from postroom.orm.models.meta import MetaModel
from postroom.orm.models.reading import ReadMixin
from postroom.orm.models.search import SearchMixin
from postroom.orm.models.storage import LOG_ACCESS_FIELDS, StorageMixin
from postroom.orm.sql import SQL


class BaseModel(CreateMixin, StorageMixin, ReadMixin, SearchMixin, AccessMixin,
                IntrospectionMixin, RecordsetMixin):
    """Everything every model can do; subclass one of the three below."""

    __slots__ = ()
    _register = False


class AbstractModel(BaseModel):
    """A model without a table, to be inherited (a mixin such as ``mail.thread``)."""

    __slots__ = ()
    _register = False
    _auto = False
    _abstract = True


class Model(AbstractModel):
    """A model stored in its own table."""

    __slots__ = ()
    _register = False
    _auto = True
    _abstract = False


class TransientModel(Model):
    """A model for wizards: its records are short-lived and garbage-collected.

    :meth:`_transient_vacuum` deletes the records nobody changed for
    ``_transient_max_hours``; schedule it with an ``ir.cron`` row whose model
    is the transient model and whose method is ``_transient_vacuum``.
    """

    __slots__ = ()
    _register = False
    _transient = True
    _transient_max_hours = 1.0

    @api.model
    def _transient_vacuum(self) -> int:
        """Delete the records last written more than ``_transient_max_hours`` ago; return how many."""
        if not self._transient_max_hours:
            return 0
        cutoff = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - \
            datetime.timedelta(hours=self._transient_max_hours)
        query = SQL("SELECT id FROM %s WHERE COALESCE(write_date, create_date) < %s",
                    SQL.identifier(self._table), cutoff)
        self.env.cr.execute(query.code, query.params)
        expired = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        expired.unlink()
        return len(expired)


__all__ = [
    "LOG_ACCESS_FIELDS",
    "PREFETCH_MAX",
    "AbstractModel",
    "BaseModel",
    "MetaModel",
    "Model",
    "TransientModel",
]
