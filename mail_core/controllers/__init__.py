from . import chatter
from . import inbox
from . import record_link
