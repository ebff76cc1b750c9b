"""Widgets: how each field type is shown and edited (see :mod:`.base`).

Importing the package registers every widget of the web addon.
"""

from . import attachments, binary, choice, numeric, relational, temporal, text  # noqa: F401
