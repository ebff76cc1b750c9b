"""``from postroom import fields``: the field types addons declare."""

from postroom.orm.fields import *  # noqa: F403
from postroom.orm.fields import __all__  # noqa: F401
