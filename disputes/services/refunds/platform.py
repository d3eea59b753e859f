"""What a platform intervention case does to a refund (RULES.md section 4): hold its clock while the case is open,
release it when the case ends undecided, execute a judgment on it (pay, agree a return, close; settle or call
back the advance), and put it back when the judgment is overturned on review. The intervention services call these
public functions; nothing here imports them."""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm import can_proceed

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.events.refunds import repayment_due_event
from disputes.explain.deadlines import RULES
from disputes.models import AdvanceState, Buyer, Intervention, Judgment, Outcome, RefundRequest, RefundState
from disputes.services.refunds.common import refundable, reschedule
from disputes.services.refunds.money import RefundRow, advance_outstanding, judgment_key, refund_paid
from disputes.services.steps import audit


def refund_hold_for_case(refund: RefundRequest, *, at: datetime) -> None:
    """A platform case opened on the refund: its automatic deadline stops while the case decides it."""
    refund.intervention_requested_at = at
    refund.due_at, refund.due_action = None, ""
    refund.save(update_fields=["intervention_requested_at", "due_at", "due_action"])


def refund_release_from_case(case: Intervention) -> None:
    """A case ended without a decision on the refund (refused, withdrawn): its refusal clock runs again."""
    if case.refund_id is None:
        return
    refund = RefundRequest.objects.select_for_update().get(pk=case.refund_id)
    if refund.state == RefundState.SELLER_REFUSED:
        refund.intervention_requested_at = None
        refund.refused_at = timezone.now()
        reschedule(refund, policy_table.load("refund."))
        refund.save(update_fields=["intervention_requested_at", "refused_at", "due_at", "due_action", "deadline_basis"])


def refundable_for_case(case: Intervention) -> int:
    """What a judgment on the case may still refund on its item, the case's own refund request left out."""
    return refundable(case.order_item, exclude_id=case.refund_id)


def refund_execute_judgment(judgment: Judgment, *, case: Intervention, actor: Actor, at: datetime) -> None:
    """What a judgment does to the refund, exactly once: a refund paid (with or without a refund request), a
    return agreed on the merchant's behalf, or the request closed; the advance settled or owed back. Records on
    the judgment what it changed on the refund (refund_before), so an overturn can put it back. The judgment's
    postings are keyed by the judgment, so a retry posts nothing twice and an overturn reverses exactly them."""
    refund = RefundRequest.objects.select_for_update().filter(pk=case.refund_id).first() if case.refund_id else None
    outcome = judgment.outcome
    desc = f"By judgment {case.number}: {Outcome(outcome).label}"
    before = refund.judgment_snapshot() if refund is not None else None
    if outcome in (Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND) or (
        outcome == Outcome.RETURN_REFUND and refund is not None and refund.refused_goods
    ):
        amount = judgment.refund_fen
        if outcome != Outcome.PARTIAL_REFUND and not amount:
            amount = refund.amount_fen if refund is not None and refund.amount_fen else refundable_for_case(case)
            judgment.refund_fen = amount
        _pay_refund(judgment, case=case, refund=refund, amount=amount, actor=actor, at=at, description=desc)
    elif outcome in (Outcome.RETURN_REFUND, Outcome.EXCHANGE, Outcome.REPAIR) and refund is not None:
        if can_proceed(refund.agree_by_judgment):
            refund.agree_by_judgment(
                at=at, address=refund.merchant.full_return_address[:300], by=actor, description=desc
            )
            reschedule(refund, policy_table.load("refund."))
            refund.save()
    elif (
        outcome in (Outcome.SUPPORT_MERCHANT, Outcome.COMPENSATION)
        and refund is not None
        and refund.state
        in (
            RefundState.SELLER_REFUSED,
            RefundState.WAIT_SELLER_AGREE,
        )
    ):
        # Compensation decides the dispute in the buyer's favour without a refund: the request is closed too,
        # or it would wait in "refused" with no deadline once the case is final.
        reason = "Judged for the merchant" if outcome == Outcome.SUPPORT_MERCHANT else "Compensated by judgment"
        refund.close_by_judgment(at=at, reason=reason, by=actor, description=desc)
        refund.due_at, refund.due_action = None, ""
        refund.save()
    if refund is not None and before is not None:
        if refund.state != before["state"] and judgment.refund_before is None:
            judgment.refund_before = {"before": before, "after": refund.state}
        _settle_advance(refund, actor=actor, at=at)


def refund_reopen_for_review(judgment: Judgment, *, case: Intervention, actor: Actor, reason: str) -> None:
    """Put the linked refund back as the overturned judgment found it, so that the new judgment decides it
    afresh: a refund the old one paid does not stay successful at the old amount (it would count as
    refunded, and read so to both parties), one it closed can be agreed to. A refund that has moved on
    since (the buyer has shipped the goods it agreed to take back) is left as it is, and said so."""
    snapshot = judgment.refund_before
    if not snapshot or case.refund_id is None:
        return
    refund = RefundRequest.objects.select_for_update().get(pk=case.refund_id)
    if refund.state != snapshot["after"]:
        # In the case's history, where staff working the review read it.
        audit(
            case,
            actor=actor,
            step="refund_not_reopened",
            description=f"RF-{refund.pk} has moved on to {refund.state} since the overturned judgment; "
            "it is not put back, and the new judgment executes on it as it stands",
        )
        return
    refund.reopen_by_review(
        before=snapshot["before"], by=actor, description=f"Judgment {case.number} overturned on review: {reason}"
    )
    refund.save()


def _pay_refund(
    judgment: Judgment,
    *,
    case: Intervention,
    refund: RefundRequest | None,
    amount: int,
    actor: Actor,
    at: datetime,
    description: str,
) -> None:
    if amount <= 0:
        return
    # An advance the buyer still holds (read from the ledger, so after an overturned judgment's reversal too)
    # is recovered from the merchant's charge, up to what is outstanding; _settle_advance handles the rest.
    outstanding = advance_outstanding(refund) if refund is not None else 0
    row = RefundRow(
        judgment.pk,
        case.buyer_id,
        case.merchant_id,
        amount,
        AdvanceState.ADVANCED if outstanding > 0 else AdvanceState.NONE,
        False,
        advance_fen=outstanding,
    )
    postings = refund_paid(row, at=at, actor=actor, policies=policy_table.load("refund."))
    # Keyed by the judgment, not the refund, so an overturn can reverse exactly what this judgment moved.
    ct = ContentType.objects.get_for_model(Judgment)
    for entry in [*postings.merchant, *postings.advance]:
        entry.idempotency_key = judgment_key(judgment.pk, entry.idempotency_key.rsplit(":", 1)[-1])
        entry.source_type_id, entry.source_id = ct.pk, judgment.pk
        entry.memo = f"{case.number} {entry.kind} by judgment"
    postings.write()
    if refund is not None and can_proceed(refund.settle_by_judgment):
        refund.settle_by_judgment(at=at, amount_fen=amount, by=actor, description=description)
        if refund.advance_state == AdvanceState.APPLIED:
            refund.close_advance(by=actor, description="Refunded by judgment without an advance")
        refund.due_at, refund.due_action = None, ""
        refund.intervention_requested_at = None
        refund.save()


def _settle_advance(refund: RefundRequest, *, actor: Actor, at: datetime) -> None:
    """Once a judgment (or its overturn on review) has finished a refund the platform advanced on: whatever
    the ledger still shows outstanding stays with the buyer, who owes it back (repayment notice, the usual
    deadline, then the privilege goes); nothing outstanding settles the advance. A partial refund thus
    leaves the buyer owing the rest of the advance, and an overturn moves the debt with the new outcome."""
    if refund.state not in (RefundState.SUCCESS, RefundState.CLOSED) or refund.advance_state not in (
        AdvanceState.ADVANCED,
        AdvanceState.MERCHANT_REFUSED_GOODS,
        AdvanceState.SETTLED,
    ):
        return
    owed = advance_outstanding(refund)
    if owed > 0:
        if refund.advance_state != AdvanceState.MERCHANT_REFUSED_GOODS:
            refund.advance_owed_by_judgment(by=actor, description=f"By judgment the buyer owes {owed} fen back")
        # Each judgment that leaves a debt sends its notice, with a fresh deadline for the amount it leaves.
        refund.repaid_at = None
        refund.repayment_notice_at = at
        refund.repayment_due_at, refund.deadline_basis["repayment_due_at"] = RULES["refund.repayment"].set(
            at, policies=policy_table.load("refund.")
        )
        repayment_due_event(refund)
    elif refund.advance_state != AdvanceState.SETTLED:
        refund.settle_advance(by=actor, description="Advance recovered from the merchant by judgment")
        refund.repayment_due_at = None
        _restore_privilege(refund, actor=actor)
    else:
        return
    refund.save()


def _restore_privilege(refund: RefundRequest, *, actor: Actor) -> None:
    """A judgment (in practice an overturn on review) that clears the debt which revoked the buyer's instant-refund
    privilege gives the privilege back: the buyer did not owe what they were revoked for. Only the revocation this
    request caused, and only when no other unpaid debt past its deadline stands. A buyer who repays late keeps
    the revocation (it was for not repaying in time); staff may clear it on the buyer's page."""
    if refund.privilege_revoked_at is None:
        return
    other_debt = (
        RefundRequest.objects.filter(
            buyer_id=refund.buyer_id,
            advance_state=AdvanceState.MERCHANT_REFUSED_GOODS,
            repaid_at__isnull=True,
            privilege_revoked_at__isnull=False,
        )
        .exclude(pk=refund.pk)
        .exists()
    )
    if other_debt:
        return
    restored = Buyer.objects.filter(pk=refund.buyer_id, instant_refund_revoked_at=refund.privilege_revoked_at).update(
        instant_refund_revoked_at=None
    )
    if restored:
        audit(
            refund,
            actor=actor,
            step="restore_instant_refund",
            description="The judgment cleared the advance this request's revocation was for: instant refund restored",
        )
