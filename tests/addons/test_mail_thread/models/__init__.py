from . import ticket
from . import ticket_portal
