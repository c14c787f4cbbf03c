"""Time is stored in UTC (naive, so SQLite and PostgreSQL agree) and shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI)


def local_day_start(day: date) -> datetime:
    """The UTC instant at which a Shanghai calendar day begins (for "today" and date filters)."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def local_today() -> date:
    return datetime.now(SHANGHAI).date()
