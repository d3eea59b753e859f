"""What every refund service shares: the row lock, who acts (the party itself, or staff for it, by the step's
declared Who), evidence files, the amount and window rules, and the automatic deadline of each state."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from disputes.actors import Actor
from disputes.errors import NotFound, RuleRefused, ValidationFailed
from disputes.events.refunds import repayment_due_event
from disputes.evidence import CheckedFile, check_evidence_file
from disputes.explain.deadlines import RULES, DeadlineRule
from disputes.models import (
    MONEY_TYPES,
    AdvanceState,
    DueAction,
    OrderItem,
    RefundEvidence,
    RefundRequest,
    RefundState,
    RefundType,
)
from disputes.models.steps import is_buyer, is_merchant
from disputes.policies import PolicySnapshot
from disputes.selectors.refunds import refundable_fen
from disputes.services.inputs import clean_text
from disputes.services.refunds.money import ADVANCE_OUTSTANDING, RefundRow, Written, refund_paid
from disputes.services.steps import lock, who_takes
from disputes.sla import BEIJING, to_beijing

MAX_TEXT = 2000
MAX_FILES = 10


class RefundNotAllowed(RuleRefused):
    """The rules do not allow this request; the message says which rule."""


def lock_refund(refund_id: int) -> RefundRequest:
    return lock(RefundRequest, refund_id, missing="No such refund request.", code="refund_not_found")


def not_found() -> NotFound:
    """What a party hears about a refund that is not theirs: the same as for one that does not exist."""
    return NotFound("No such refund request.", code="refund_not_found")


def require_buyer(actor: Actor, refund: RefundRequest) -> None:
    if not is_buyer(refund, actor):
        raise not_found()


def acting_for(actor: Actor, refund: RefundRequest, step: str, on_behalf_reason: str | None) -> str:
    """Let through whoever the step declares (RefundRequest's Who: the party itself, or staff acting for it with a
    reason they must give); anyone else is told the refund does not exist. Returns the audit suffix."""
    if who_takes(refund, step).refusal(refund, actor) is not None:
        raise not_found()
    if is_buyer(refund, actor) or is_merchant(refund, actor):
        return ""
    reason = clean_text(on_behalf_reason, field="on_behalf_reason")
    party = "buyer" if is_buyer in who_takes(refund, step).parties else "merchant"
    return f" (by staff on the {party}'s behalf: {reason})"


def checked_files(files: list[UploadedFile] | None) -> list[tuple[UploadedFile, CheckedFile]]:
    uploads = list(files or [])
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(f"At most {MAX_FILES} files.", code="too_many_files")
    return [(f, check_evidence_file(f)) for f in uploads]


def store_files(
    refund: RefundRequest, checked: list[tuple[UploadedFile, CheckedFile]], *, purpose: str, actor: Actor
) -> None:
    for upload, info in checked:
        RefundEvidence.objects.create(
            refund=refund,
            purpose=purpose,
            file=upload,
            original_name=info.original_name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            uploaded_by=actor,
        )


def refundable(item: OrderItem, *, exclude_id: int | None = None) -> int:
    """What is still refundable on the item (selectors.refunds.refundable_expression, the one definition)."""
    return refundable_fen(item.pk, exclude_refund=exclude_id)


def check_amount(amount_fen: Any, *, refund_type: str, refundable: int) -> int:
    if refund_type not in MONEY_TYPES:
        # Strictly None or the integer 0: False and 0.0 compare equal to 0 but are not amounts.
        if amount_fen is not None and (type(amount_fen) is not int or amount_fen != 0):
            raise ValidationFailed("An exchange or repair has no refund amount.", code="amount_not_allowed")
        return 0
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise ValidationFailed("amount_fen must be a whole number of fen.", code="invalid_amount")
    if amount_fen <= 0:
        raise ValidationFailed("The refund amount must be more than zero.", code="invalid_amount")
    if amount_fen > refundable:
        raise RuleRefused(
            f"The refund amount {amount_fen} fen is more than the {refundable} fen still refundable.",
            code="amount_exceeds_refundable",
            details={"refundable_fen": refundable},
        )
    return amount_fen


def after_sales_deadline(item: OrderItem, policies: PolicySnapshot) -> datetime | None:
    """Last moment to apply, itself included (disputes.deadlines): the window runs from trade success (per-product
    override up to 180 days)."""
    succeeded = item.order.succeeded_at
    if succeeded is None:
        return None
    days = item.product.after_sales_days or policies.int("refund.after_sales_window")
    return succeeded + timedelta(days=days)


def seven_day_last_day(signed_at: datetime, policies: PolicySnapshot) -> date:
    """The last Beijing date of the 7-day no-reason return: the 7 days start the day after signing, and the whole of
    day 7 is in time (disputes.deadlines.in_time on dates)."""
    return to_beijing(signed_at).date() + timedelta(days=policies.int("refund.seven_day_window"))


def seven_day_deadline(signed_at: datetime, policies: PolicySnapshot) -> datetime:
    """The last moment of the 7-day no-reason return, itself in time: the end of seven_day_last_day in Beijing
    (23:59:59.999999), what the date rule allows stated as a time, for a client counting down."""
    return datetime.combine(seven_day_last_day(signed_at, policies), time.max, tzinfo=BEIJING)


def damage_claim_deadline(signed_at: datetime, policies: PolicySnapshot) -> datetime:
    """Last moment of a damage guarantee claim, itself in time: the damage claim window after signing."""
    return signed_at + policies.duration("refund.damage_claim_window")


def deadline_rule(refund: RefundRequest) -> tuple[DeadlineRule | None, tuple[datetime, ...], str]:
    """Which rule (disputes.explain.deadlines) sets the automatic deadline of the refund's current state, from which
    start time(s), and what happens then (RULES.md section 2). Each action is a timeout step the model declares from
    that state (tests/services/test_refund_bulk_steps.py)."""
    state = refund.state
    if state == RefundState.WAIT_SELLER_AGREE:
        since = refund.modified_at or refund.created_at
        pays = refund.refund_type == RefundType.REFUND_ONLY
        if refund.damage_guarantee:
            name = "refund.merchant_silent_damage"
        elif pays:
            name = "refund.merchant_silent_shipped" if refund.order_shipped else "refund.merchant_silent_unshipped"
        else:
            name = "refund.merchant_silent_return"
        return RULES[name], (since,), DueAction.PAY if pays else DueAction.AGREE
    if state == RefundState.WAIT_BUYER_RETURN and refund.agreed_at is not None:
        return RULES["refund.buyer_ship_return"], (refund.agreed_at,), DueAction.CLOSE_NOT_SHIPPED
    if state == RefundState.WAIT_SELLER_CONFIRM and refund.return_shipped_at is not None:
        # The earlier of: so long after shipping, and (once logistics show it signed) so long after signing.
        starts = (refund.return_shipped_at,) + (() if refund.return_signed_at is None else (refund.return_signed_at,))
        action = DueAction.PAY if refund.refund_type == RefundType.RETURN_AND_REFUND else DueAction.RECEIVED
        return RULES["refund.merchant_confirm"], starts, action
    if state == RefundState.SELLER_REFUSED and refund.refused_at is not None:
        if refund.intervention_requested_at is not None or refund.express_claim_pending():
            return None, (), DueAction.NONE
        return RULES["refund.buyer_silent_after_refusal"], (refund.refused_at,), DueAction.CLOSE_REFUSED
    return None, (), DueAction.NONE


def next_deadline(refund: RefundRequest, policies: PolicySnapshot) -> tuple[datetime | None, str]:
    """The automatic deadline of the refund's current state and what happens then (deadline_rule)."""
    rule, starts, action = deadline_rule(refund)
    return (None if rule is None else rule.due(starts, policies)), action


def reschedule(refund: RefundRequest, policies: PolicySnapshot) -> None:
    """Set the automatic deadline of the refund's current state, recording what it was computed from."""
    rule, starts, action = deadline_rule(refund)
    if rule is None:
        refund.due_at, refund.due_action = None, action
        return
    refund.due_at, refund.deadline_basis["due_at"] = rule.set(*starts, policies=policies)
    refund.due_action = action


def pay(refund: RefundRequest, *, at: datetime, actor: Actor, policies: PolicySnapshot) -> Written:
    """Post the refund's money (once, by key) and settle an advance. Returns what was written to each ledger."""
    written = refund_paid(RefundRow.of(refund), at=at, actor=actor, policies=policies).write()
    if refund.advance_state in ADVANCE_OUTSTANDING:
        refund.settle_advance(by=actor, description="Advance recovered from the merchant")
    elif refund.advance_state == AdvanceState.APPLIED:
        refund.close_advance(by=actor, description="Refunded without an advance")
    return written


def repayment_notice(refund: RefundRequest, *, now: datetime, policies: PolicySnapshot) -> None:
    """The buyer holds an advance the merchant's refusal of the goods does not owe them: tell them to repay it."""
    refund.repayment_notice_at = now
    refund.repayment_due_at, refund.deadline_basis["repayment_due_at"] = RULES["refund.repayment"].set(
        now, policies=policies
    )
    repayment_due_event(refund)
