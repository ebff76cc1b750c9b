from . import content
from . import home
from . import listing
from . import pickers
from . import preview
from . import record
from . import server_actions
from . import session
