"""The Chinese working-day calendar (statutory holidays plus adjusted make-up working weekends)."""

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from disputes.sla.window import require_aware, to_beijing

__all__ = ["add_working_days", "is_working_day", "working_days_between"]

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _china_calendar(year: int) -> holidays.HolidayBase:
    """Fully populated mainland-China public-holiday calendar for one year (cached per year).

    `expand=False` keeps the cached object read-only after construction. Cross-year make-up
    working days (e.g. 2001-12-29 worked for the 2002 New Year) are loaded by the library's
    static-holiday setup regardless of the populated year, so one year per object is enough.
    """
    return holidays.China(years=year, expand=False)


def _require_date(day: date, name: str) -> None:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(
            f"{name} must be a date (not a datetime), got {type(day).__name__}; "
            "use to_beijing(moment).date() to get the Beijing calendar day"
        )


def is_working_day(day: date) -> bool:
    """True if `day` is a working day in mainland China, including adjusted (调休) working weekends."""
    _require_date(day, "day")
    return _china_calendar(day.year).is_working_day(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The Beijing wall-clock time of `start` on the `days`-th working day after its Beijing date.

    The day of `start` itself never counts, whether or not it is a working day. `days == 0`
    returns `start` unchanged; otherwise the result is an aware datetime in Beijing time.
    """
    require_aware(start, "start")
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, got {type(days).__name__}")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    if days == 0:
        return start
    local = to_beijing(start)
    day = local.date()
    remaining = days
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def working_days_between(start: date, end: date) -> int:
    """Number of working days d with start < d <= end (0 when end <= start)."""
    _require_date(start, "start")
    _require_date(end, "end")
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        if is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count
