"""The Selection field: one value out of a list of ``(value, label)`` pairs.

An extension adds choices with ``selection_add=[('new', 'New'), ('done',)]``;
a 1-tuple positions an existing value after the added ones. ``selection`` may
also name a model method returning the list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from postroom.exceptions import ValidationError
from postroom.orm.fields.base import Field

if TYPE_CHECKING:
    from postroom.orm.models.base import BaseModel


class Selection(Field):
    type = "selection"
    column_type = "varchar"
    _positional = ("selection", "string")

    def setup(self, model: type[BaseModel]) -> None:
        super().setup(model)
        if self.selection_add and isinstance(self.selection, list):
            self.selection = merge_selection(self.selection, self.selection_add)

    def get_values(self, records: BaseModel) -> list[tuple[str, str]]:
        """The ``(value, label)`` list, calling the method if ``selection`` names one."""
        selection = self.selection
        if isinstance(selection, str):
            return getattr(records, selection)()
        if callable(selection):
            return selection(records)
        return list(selection or [])

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        if value is None or value is False:
            return None
        if validate and not isinstance(self.selection, (str,)) and not callable(self.selection):
            allowed = [v for v, _label in self.selection or []]
            if value not in allowed:
                raise ValidationError(f"Wrong value for {self.string!r}: {value!r}. "
                                      f"Allowed values: {', '.join(map(str, allowed))}.")
        return value


def merge_selection(base: list, added: list) -> list:
    """Apply ``selection_add`` to a selection list."""
    labels = dict(base)
    order = [value for value, _label in base]
    for item in added:
        value = item[0]
        if len(item) > 1:
            labels[value] = item[1]
        if value in order:
            order.remove(value)
        order.append(value)
    return [(value, labels[value]) for value in order]
