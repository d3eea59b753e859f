"""Pure deadline arithmetic: the Beijing business window and the Chinese working-day calendar (no ORM)."""

from disputes.sla.window import (
    BEIJING,
    BUSINESS_END,
    BUSINESS_START,
    in_business_window,
    solution_due_at,
    to_beijing,
)
from disputes.sla.working_days import add_working_days, is_working_day, working_days_between

__all__ = [
    "BEIJING",
    "BUSINESS_END",
    "BUSINESS_START",
    "add_working_days",
    "in_business_window",
    "is_working_day",
    "solution_due_at",
    "to_beijing",
    "working_days_between",
]
