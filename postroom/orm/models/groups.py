"""Date ranges for read_group buckets (day, week, month, quarter, year)."""

from __future__ import annotations

import datetime
from typing import Any

from dateutil.relativedelta import relativedelta

_STEP = {
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "quarter": relativedelta(months=3),
    "year": relativedelta(years=1),
}


def date_range_domain(field: Any, start: datetime.date | None, granularity: str) -> list:
    """The domain selecting the records of one date bucket."""
    if not start:
        return [(field.name, "=", False)]
    end = start + _STEP[granularity]
    if field.type == "datetime":
        start = datetime.datetime.combine(start, datetime.time())
        end = datetime.datetime.combine(end, datetime.time())
    return ["&", (field.name, ">=", start.isoformat()), (field.name, "<", end.isoformat())]
