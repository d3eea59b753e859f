"""Events for staff only: the platform's own decision deadline on an intervention case coming due or missed. They
concern neither party (no merchant, no buyer), so no feed or webhook carries them; the case's assignee is emailed
(disputes.events.notify)."""

from datetime import datetime

from disputes.events.money import dedupe
from disputes.events.record import PendingEvent, record_many


def decision_events(type_: str, rows: list[tuple[int, datetime | None, int | None]], *, at: datetime) -> int:
    """One `type_` event per (case id, decision deadline, assignee id), once per deadline."""
    return record_many(
        [
            PendingEvent(
                type_,
                "intervention",
                pk,
                None,
                None,
                at,
                {"deadline": "decision", "due_at": due, "assigned_to": assignee},
                dedupe("intervention", pk, type_, due.isoformat() if due else ""),
            )
            for pk, due, assignee in rows
        ]
    )
