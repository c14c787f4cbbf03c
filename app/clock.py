"""Time is stored in UTC (naive, so SQLite and PostgreSQL agree) and shown in Asia/Shanghai.

Every "now" in the app comes from `utcnow()` (models use it as their column default), so
`travel()` moves the whole app through time: tests jump to a deadline instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# How far `travel()` has moved the clock; the top of the stack is the offset in force.
_offsets: list[timedelta] = [timedelta(0)]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + _offsets[-1]


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI)


# Shanghai has kept +8 without summer time since 1991: a time after that is shown by adding
# it, four times cheaper than the zone's conversion and strftime (a list shows twenty)
SHANGHAI_OFFSET = timedelta(hours=8)
FIXED_OFFSET_SINCE = datetime(1991, 9, 15)


def local_minute(value: datetime) -> str:
    """A naive UTC time as Shanghai's "2026-11-30 18:03"."""
    if value.tzinfo is None and value >= FIXED_OFFSET_SINCE:
        return (value + SHANGHAI_OFFSET).isoformat(" ", "minutes")
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def local_day_start(day: date) -> datetime:
    """The UTC instant at which a Shanghai calendar day begins (for "today" and date filters)."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def local_today() -> date:
    return (datetime.now(SHANGHAI) + _offsets[-1]).date()


@contextmanager
def travel(delta: timedelta) -> Iterator[datetime]:
    """Shift `utcnow()` and `local_today()` by `delta` (negative goes back) until the block ends.

    The clock keeps running; blocks nest (offsets add up) and each restores the offset it found.
    It moves the whole process, every thread included: meant for tests and demos.
    Yields the shifted `utcnow()`.
    """
    _offsets.append(_offsets[-1] + delta)
    try:
        yield utcnow()
    finally:
        _offsets.pop()
