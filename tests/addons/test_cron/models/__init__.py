from . import cron_counter
from . import cron_run
