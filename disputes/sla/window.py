"""The Beijing business window: whether a moment falls inside it and the solution deadline it implies."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "BEIJING",
    "BUSINESS_END",
    "BUSINESS_START",
    "in_business_window",
    "solution_due_at",
    "to_beijing",
]

BEIJING = ZoneInfo("Asia/Shanghai")

BUSINESS_START = time(9, 0)
BUSINESS_END = time(18, 0)


def require_aware(moment: datetime, name: str = "moment") -> None:
    """Raise ValueError unless `moment` is a timezone-aware datetime."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(
            f"{name} must be a timezone-aware datetime, got naive {moment.isoformat()}; "
            "attach a tzinfo (e.g. BEIJING or UTC) before doing deadline arithmetic"
        )


def _check_window(start: time, end: time) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("window bounds must be naive wall-clock times (interpreted in Beijing)")
    if not start < end:
        raise ValueError(f"window start {start.isoformat()} must be before end {end.isoformat()}")


def to_beijing(moment: datetime) -> datetime:
    """Return the same instant expressed in Beijing time (Asia/Shanghai)."""
    require_aware(moment)
    return moment.astimezone(BEIJING)


def in_business_window(moment: datetime, *, start: time = BUSINESS_START, end: time = BUSINESS_END) -> bool:
    """True when the Beijing wall-clock time of `moment` is in [start, end), any day of the week."""
    require_aware(moment)
    _check_window(start, end)
    wall = to_beijing(moment).time()
    return start <= wall < end


def solution_due_at(
    raised_at: datetime,
    *,
    sla: timedelta,
    start: time = BUSINESS_START,
    end: time = BUSINESS_END,
) -> datetime | None:
    """Deadline `raised_at + sla` if raised inside the Beijing business window, else None.

    The SLA is elapsed time (computed in UTC), so a DST change in the input's zone does not
    stretch or shrink it; the result is expressed in the input's timezone.
    """
    require_aware(raised_at, "raised_at")
    if sla < timedelta(0):
        raise ValueError(f"sla must not be negative, got {sla!r}")
    if not in_business_window(raised_at, start=start, end=end):
        return None
    return (raised_at.astimezone(UTC) + sla).astimezone(raised_at.tzinfo)
