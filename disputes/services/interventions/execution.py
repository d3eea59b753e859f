"""Executing a judgment (or a mediation agreement) exactly once, and reversing it when overturned on review:
the refund's side through services.refunds.platform, compensation credited and charged, the merchant's violation
recorded or revoked. Every posting is keyed by (judgment, what); a reversal is a compensating entry."""

from datetime import datetime

from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.models import (
    LEDGER_MODELS,
    BuyerPointsEntry,
    EntryKind,
    Intervention,
    Judgment,
    MerchantAccountEntry,
    Violation,
    ViolationKind,
    ViolationStatus,
)
from disputes.services.ledger import Posting, ledger_post, ledger_reverse
from disputes.services.refunds.money import judgment_key
from disputes.services.refunds.platform import refund_execute_judgment


def judgment_execute(judgment: Judgment, *, case: Intervention, actor: Actor) -> None:
    """Carry out a judgment: its effect on the refund (services.refunds.platform), compensation credited to the
    buyer and charged to the merchant, the merchant's violation. Every posting is keyed by (judgment, what), so a
    retry posts nothing twice."""
    now = timezone.now()
    refund_execute_judgment(judgment, case=case, actor=actor, at=now)
    if judgment.compensation_points:
        common: Posting = {
            "kind": EntryKind.COMPENSATION,
            "idempotency_key": judgment_key(judgment.pk, "compensation"),
            "actor": actor,
            "source": judgment,
            "occurred_at": now,
            "memo": f"{case.number} compensation by judgment",
        }
        ledger_post(model=BuyerPointsEntry, amount=judgment.compensation_points, buyer_id=case.buyer_id, **common)
        ledger_post(
            model=MerchantAccountEntry, amount=-judgment.compensation_points, merchant_id=case.merchant_id, **common
        )
    if judgment.violation_kind:
        _record_violation(judgment, case=case, actor=actor, at=now)
    judgment.executed_at = now
    judgment.save(update_fields=["executed_at", "refund_fen", "refund_before"])


def _record_violation(judgment: Judgment, *, case: Intervention, actor: Actor, at: datetime) -> None:
    policies = policy_table.load("violation.")
    points = (
        policies.int("violation.refuse_return_points")
        if judgment.violation_kind == ViolationKind.REFUSE_RETURN
        else policies.int("violation.breach_of_promise_points")
    )
    Violation.objects.get_or_create(
        idempotency_key=judgment_key(judgment.pk, "violation"),
        defaults={
            "merchant_id": case.merchant_id,
            "buyer_id": case.buyer_id,
            "kind": judgment.violation_kind,
            "intervention": case,
            "occurred_at": at,
            "status": ViolationStatus.COUNTED,
            "score_points": points,
            "compensation_points": judgment.compensation_points,
            "note": f"{case.number}: {judgment.reasons[:500]}",
            "decided_at": at,
            "decided_by": actor,
            "appeal_due_at": at + policies.duration("violation.appeal_window"),
        },
    )


def judgment_reverse(judgment: Judgment, *, actor: Actor, reason: str) -> None:
    """Undo what a judgment moved with compensating entries; revoke its violation. Never edits or deletes."""
    prefix = judgment_key(judgment.pk, "")
    now = timezone.now()
    for model in LEDGER_MODELS:
        for entry in model.objects.filter(idempotency_key__startswith=prefix, reverses__isnull=True):
            ledger_reverse(entry=entry, actor=actor, reason=reason[:255])
    violation = (
        Violation.objects.select_for_update()
        .filter(idempotency_key=judgment_key(judgment.pk, "violation"), status=ViolationStatus.COUNTED)
        .first()
    )
    if violation is not None:
        violation.revoke_by_review(at=now, by=actor, description=reason[:2000])
        violation.save()
    judgment.reversed_at = now
    judgment.save(update_fields=["reversed_at"])
