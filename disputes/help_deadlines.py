"""A one-click help request's two deadlines from its raise time and the policy values in force (RULES.md section 1):
the rules help_request_raise sets them by (disputes.explain.deadlines.RULES), for a policy what-if to replay with a
proposed value (disputes.selectors.what_if)."""

from datetime import datetime
from typing import NamedTuple

from disputes.explain.deadlines import RULES
from disputes.policies import PolicySnapshot

# The policies these deadlines are computed from: a change to one of them moves deadlines, not amounts.
DEADLINE_POLICIES = ("help.solution_sla", "help.resolution_sla", "help.window_start", "help.window_end")


class HelpDeadlines(NamedTuple):
    solution_due_at: datetime | None  # None when raised outside the business window: no 1-hour deadline
    resolution_due_at: datetime


def help_deadlines(raised_at: datetime, policies: PolicySnapshot) -> HelpDeadlines:
    """The 1-hour solution deadline (only inside the Beijing business window) and the 48-hour resolution deadline.

    Raises ValueError when the window's start is not before its end (sla.solution_due_at)."""
    resolution_due_at = RULES["help.resolution_due"].due([raised_at], policies)
    assert resolution_due_at is not None  # an elapsed-time rule always gives a time
    return HelpDeadlines(RULES["help.solution_due"].due([raised_at], policies), resolution_due_at)
