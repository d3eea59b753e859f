"""The Chinese working-day calendar (statutory holidays plus adjusted make-up working weekends)."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays

from disputes.sla.window import require_aware, to_beijing

__all__ = ["DayWalked", "add_working_days", "is_working_day", "walk_working_days", "working_days_between"]

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


class DayWalked(NamedTuple):
    """One calendar day add_working_days stepped over: counted (a working day) or skipped, and why."""

    day: date
    counted: bool
    why: str  # "working_day", "adjusted_working_day" (a make-up weekend), "weekend" or "holiday"
    name: str  # the holiday's name from the calendar, when it is one


def _why(day: date, counted: bool) -> tuple[str, str]:
    calendar = _china_calendar(day.year)
    name = str(calendar.get(day) or "")
    weekend = day.weekday() >= 5
    if counted:
        return ("adjusted_working_day" if weekend else "working_day"), name
    return ("holiday" if name or not weekend else "weekend"), name


def walk_working_days(start_day: date, days: int) -> Iterator[DayWalked]:
    """Every day after `start_day` up to the `days`-th working day, each with whether it counted and why: the
    walk add_working_days makes, for explanations."""
    _require_date(start_day, "start_day")
    day, remaining = start_day, days
    while remaining > 0:
        day += _ONE_DAY
        counted = is_working_day(day)
        if counted:
            remaining -= 1
        why, name = _why(day, counted)
        yield DayWalked(day, counted, why, name)


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
    for walked in walk_working_days(day, days):
        day = walked.day
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
