"""When a deadline is met and when it is missed: the one rule every service, sweep, selector, badge and SQL statement
applies (docs/rules.md section 10).

A deadline D is met by an action at t when t <= D: the deadline's own second is still in time, and a window "open
until D" accepts an action at D. It is missed once now > D, so the scheduler takes a row only after its second has
passed (`D < now`). Raw SQL states the same comparison with `<` (and "in time" with `<=`) and points here."""

from datetime import date

from django.db.models import Q

__all__ = ["in_time", "missed", "missed_q", "open_q"]


def in_time(at: date, deadline: date) -> bool:
    """Whether something done at `at` meets `deadline` (or falls inside a window that closes at `deadline`).

    Works on datetimes and, for windows counted in calendar days, on dates (the last day is still in time)."""
    return at <= deadline


def missed(deadline: date, now: date) -> bool:
    """Whether `deadline` has passed at `now`: what an action at `now` could no longer meet."""
    return not in_time(now, deadline)


def missed_q(field: str, now: date) -> Q:
    """Rows whose deadline in `field` has passed at `now`: the lookup every sweep selects its due rows with."""
    return Q(**{f"{field}__lt": now})


def open_q(field: str, now: date) -> Q:
    """Rows whose deadline in `field` has not passed at `now` (the window is still open): missed_q's complement on
    rows that have the deadline."""
    return Q(**{f"{field}__gte": now})
