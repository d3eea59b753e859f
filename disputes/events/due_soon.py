"""The scheduler's "at risk" events: `help_request.solution_due_soon`, `help_request.resolution_due_soon` and
`refund.due_soon`, written once per deadline when it comes within its policy's lead time (help.at_risk_before,
refund.at_risk_before; 15 minutes by default). The dedupe key names the deadline's due time, so a deadline that is
moved (a refund's next timeout) is announced again, and a rerun of the sweep announces nothing twice."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from disputes import policies as policy_table
from disputes.events.money import dedupe
from disputes.events.record import PendingEvent, record_many
from disputes.models import DeadlineKind, HelpRequest, RefundRequest
from disputes.models.help_requests import DUE_FIELD, deadline_due_by

BATCH = 5000


def due_soon_sweep(*, now: datetime | None = None) -> int:
    """Write the due-soon event of every deadline within its lead time not announced yet; returns how many."""
    now = now or timezone.now()
    policies = policy_table.load()
    written = 0
    help_horizon = now + policies.duration("help.at_risk_before")
    for kind in (DeadlineKind.SOLUTION, DeadlineKind.RESOLUTION):
        field = DUE_FIELD[kind]
        rows = (
            HelpRequest.objects.filter(deadline_due_by(kind, help_horizon), **{f"{field}__gt": now})
            .order_by()
            .values_list("id", "merchant_id", "buyer_id", field)
        )
        written += _write(
            [
                PendingEvent(
                    f"help_request.{kind}_due_soon",
                    "help_request",
                    pk,
                    merchant,
                    buyer,
                    now,
                    {"deadline": str(kind), "due_at": due},
                    dedupe("help_request", pk, f"{kind}_due_soon", due.isoformat()),
                )
                for pk, merchant, buyer, due in rows.iterator(chunk_size=BATCH)
            ]
        )
    refund_horizon = now + policies.duration("refund.at_risk_before")
    refunds = (
        RefundRequest.objects.filter(due_at__gt=now, due_at__lte=refund_horizon)
        .order_by()
        .values_list("id", "merchant_id", "buyer_id", "due_at", "due_action", "state")
    )
    written += _write(
        [
            PendingEvent(
                "refund.due_soon",
                "refund",
                pk,
                merchant,
                buyer,
                now,
                {"due_at": due, "due_action": action, "state": state},
                dedupe("refund", pk, "due_soon", due.isoformat()),
            )
            for pk, merchant, buyer, due, action, state in refunds.iterator(chunk_size=BATCH)
        ]
    )
    return written


def _write(events: list[PendingEvent]) -> int:
    written = 0
    for start in range(0, len(events), BATCH):
        with transaction.atomic():
            written += record_many(events[start : start + BATCH])
    return written
