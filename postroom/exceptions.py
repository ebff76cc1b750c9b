"""Exceptions raised to users and to addon code.

They mirror Odoo's names so addon code reads the same: ``UserError`` for a
business rule the user broke, ``ValidationError`` for a failed constraint,
``AccessError`` for missing rights, ``MissingError`` for records that no longer
exist. The web layer turns them into readable messages; anything else is a bug
and becomes a 500.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix, shown to them as is."""

    def __init__(self, message: str):
        super().__init__(message)

    @property
    def message(self) -> str:
        return self.args[0]


class ValidationError(UserError):
    """A constraint (``@api.constrains``, required field, SQL constraint) failed."""


class AccessError(UserError):
    """The user lacks the access right or record rule for an operation."""


class MissingError(UserError):
    """The record was deleted, or never existed."""


class RedirectWarning(UserError):
    """A warning with an action the user can take to fix it."""

    def __init__(self, message: str, action: int | str, button_text: str):
        super().__init__(message)
        self.action = action
        self.button_text = button_text


class CacheMiss(KeyError):
    """Internal: a field value is not in the transaction cache."""
