from . import category
from . import tag
from . import record
from . import record_extension  # extends record: after it
from . import line
from . import mixin
from . import delegate
from . import wizard
from . import context
