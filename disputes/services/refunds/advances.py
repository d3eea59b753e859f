"""What staff record on a refund from outside the parties' own steps: the return signed for (logistics), the
merchant's refusal of the goods upheld, an advance repaid by the buyer."""

from dataclasses import replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.errors import InvalidTransition, RuleRefused
from disputes.models import AdvanceState, DueAction, RefundRequest
from disputes.services.inputs import clean_text
from disputes.services.refunds.common import lock_refund, repayment_notice, reschedule
from disputes.services.refunds.money import RefundRow, advance_outstanding, advance_repaid
from disputes.services.steps import require_allowed, require_step


def refund_return_signed(*, actor: Actor, refund_id: int, signed_at: datetime | None = None) -> RefundRequest:
    """Logistics show the return signed for: the merchant's time to confirm shortens (policies
    refund.merchant_confirm_after_signed and refund.merchant_confirm_receipt, whichever ends first)."""
    with transaction.atomic():
        refund = lock_refund(refund_id)
        require_allowed(refund, "return_signed", actor)
        require_step(
            refund,
            "return_signed",
            message="Only a return on its way can be signed for.",
            code="not_in_transit",
            say_state=False,
        )
        when = signed_at or timezone.now()
        shipped = refund.return_shipped_at
        if timezone.is_naive(when) or (shipped is not None and when < shipped) or when > timezone.now():
            raise RuleRefused("signed_at must be between shipping and now.", code="invalid_signed_at")
        refund.return_signed(at=when, by=actor, description="Logistics: signed for")
        reschedule(refund, policy_table.load("refund."))
        refund.save()
    return refund


def refund_uphold_goods_refusal(*, actor: Actor, refund_id: int, reason: str) -> RefundRequest:
    """Staff uphold the merchant's refusal of the goods (the merchant wins): the refund closes and a buyer
    who got an advance is sent a repayment notice with the policy's deadline. Refused (intervention_open)
    while a platform intervention case on the refund is open: that case's judgment decides instead."""
    why = clean_text(reason, field="reason")
    with transaction.atomic():
        refund = lock_refund(refund_id)
        require_allowed(refund, "close", actor)
        # An open case decides the refusal instead (its judgment closes the refund and sends the repayment notice).
        require_step(
            refund,
            "close",
            message="Only a refusal of returned goods can be upheld.",
            code="not_goods_refusal",
            say_state=False,
        )
        now = timezone.now()
        refund.close(
            at=now, reason="Merchant's refusal of the goods upheld", by=actor, description=f"Refusal upheld: {why}"
        )
        if refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS:
            repayment_notice(refund, now=now, policies=policy_table.load("refund."))
        refund.due_at, refund.due_action = None, DueAction.NONE
        refund.save()
    return refund


def refund_advance_repaid(*, actor: Actor, refund_id: int) -> RefundRequest:
    """Record that the buyer repaid an advance (the payment itself arrives through the payment channel)."""
    with transaction.atomic():
        refund = lock_refund(refund_id)
        require_allowed(refund, "record_repaid", actor)
        require_step(
            refund,
            "record_repaid",
            message="No advance is owed on this request.",
            code="no_advance_owed",
            say_state=False,
        )
        # What is owed, from the ledger: the whole advance, or what a partial judgment left with the buyer.
        owed = advance_outstanding(refund)
        if owed <= 0:
            raise InvalidTransition("No advance is owed on this request.", code="no_advance_owed")
        now = timezone.now()
        advance_repaid(replace(RefundRow.of(refund), amount_fen=owed), at=now, actor=actor).write()
        refund.record_repaid(at=now, by=actor, description="Advance repaid by the buyer")
        refund.save()
    return refund
