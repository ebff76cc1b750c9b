"""``from postroom import api``: decorators and the Environment."""

from postroom.orm.api import *  # noqa: F403
from postroom.orm.api import __all__  # noqa: F401
from postroom.orm.environment import SUPERUSER_ID  # noqa: F401
