"""Date and Datetime fields.

Datetimes are stored as naive UTC (``timestamp without time zone``), as in
Odoo; the user's time zone applies only when displaying them.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from postroom.orm.fields.base import Field

if TYPE_CHECKING:
    from postroom.orm.models.base import BaseModel

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Date(Field):
    type = "date"
    column_type = "date"

    @staticmethod
    def to_date(value: Any) -> datetime.date | None:
        """Parse ``value`` (date, datetime or ``YYYY-MM-DD``) into a date."""
        if not value:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        return datetime.date.fromisoformat(str(value)[:10])

    @staticmethod
    def today(*args: Any) -> datetime.date:
        return datetime.date.today()

    @staticmethod
    def context_today(record: Any, timestamp: datetime.datetime | None = None) -> datetime.date:
        """Today in the user's time zone."""
        from zoneinfo import ZoneInfo
        tz = record.env.context.get("tz") or "UTC"
        now = timestamp or datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        return now.replace(tzinfo=datetime.UTC).astimezone(ZoneInfo(tz)).date()

    @staticmethod
    def to_string(value: Any) -> str | bool:
        return value.strftime(DATE_FORMAT) if value else False

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        try:
            return self.to_date(value)
        except ValueError:
            raise ValueError(f"Invalid date {value!r} for field {self.string!r}: use YYYY-MM-DD") from None

    def convert_to_read(self, value: Any, record: BaseModel) -> Any:
        return self.to_string(value)

    def convert_to_write(self, value: Any, record: BaseModel) -> Any:
        return value or False


class Datetime(Field):
    type = "datetime"
    column_type = "timestamp"

    @staticmethod
    def to_datetime(value: Any) -> datetime.datetime | None:
        """Parse ``value`` into a naive UTC datetime."""
        if not value:
            return None
        if isinstance(value, datetime.datetime):
            if value.tzinfo:
                value = value.astimezone(datetime.UTC).replace(tzinfo=None)
            return value
        if isinstance(value, datetime.date):
            return datetime.datetime(value.year, value.month, value.day)
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return Datetime.to_datetime(parsed)

    @staticmethod
    def now(*args: Any) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None).replace(microsecond=0)

    @staticmethod
    def to_string(value: Any) -> str | bool:
        return value.strftime(DATETIME_FORMAT) if value else False

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        try:
            return self.to_datetime(value)
        except ValueError:
            raise ValueError(f"Invalid date and time {value!r} for field {self.string!r}: "
                             "use YYYY-MM-DD HH:MM:SS (UTC)") from None

    def convert_to_read(self, value: Any, record: BaseModel) -> Any:
        return self.to_string(value)

    def convert_to_write(self, value: Any, record: BaseModel) -> Any:
        return value or False
