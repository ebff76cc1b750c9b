"""Field types, one family per module; ``from postroom import fields``."""

from postroom.orm.fields.base import Field
from postroom.orm.fields.binary import Binary
from postroom.orm.fields.relational import Command, Many2many, Many2one, One2many
from postroom.orm.fields.scalar import Boolean, Char, Float, Html, Id, Integer, Json, Monetary, Text
from postroom.orm.fields.selection import Selection
from postroom.orm.fields.temporal import Date, Datetime

__all__ = ["Binary", "Boolean", "Char", "Command", "Date", "Datetime", "Field", "Float", "Html",
           "Id", "Integer", "Json", "Many2many", "Many2one", "Monetary", "One2many", "Selection",
           "Text"]
