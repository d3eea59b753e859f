"""What the buyer does on a refund (and staff for the buyer, where the step allows it): apply, modify after a
refusal, cancel, ship the return (with the instant-refund advance and the shipping cover)."""

from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor, buyer_of
from disputes.choices import ServiceKind, SevenDayExclusion
from disputes.deadlines import missed
from disputes.errors import DomainError, Forbidden, NotFound, RuleRefused, ValidationFailed
from disputes.models import (
    RETURN_TYPES,
    AdvanceState,
    Buyer,
    DueAction,
    OrderItem,
    OrderStatus,
    PlatformAdvanceEntry,
    RefundReason,
    RefundRequest,
    RefundType,
)
from disputes.policies import PolicySnapshot
from disputes.selectors.raising import RefundFacts, with_refund_facts
from disputes.services.inputs import clean_text
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.common import (
    RefundNotAllowed,
    acting_for,
    after_sales_deadline,
    check_amount,
    checked_files,
    damage_claim_deadline,
    lock_refund,
    refundable,
    repayment_notice,
    require_buyer,
    reschedule,
    seven_day_last_day,
    store_files,
)
from disputes.services.refunds.money import RefundRow, advance_paid, shipping_cover_paid
from disputes.services.steps import audit, require_step
from disputes.sla import to_beijing


def refund_apply(
    *,
    actor: Actor,
    order_item_id: int,
    refund_type: str,
    reason: str,
    amount_fen: Any = None,
    description: str = "",
    damage_guarantee: bool = False,
    files: list[UploadedFile] | None = None,
) -> RefundRequest:
    """A buyer applies for a refund or after-sales service on one of their order items.

    Checks the amount (0 < amount ≤ paid − refunded), one live request per item, no reopening
    after a cancellation, the after-sales window, the 7-day no-reason rules and the 72-hour
    damage-claim window; photos are checked by content. Schedules the merchant's deadline.
    Raises ValidationFailed, RefundNotAllowed, NotFound, DomainError(refund_exists).
    """
    buyer = buyer_of(actor)
    if buyer is None:
        raise Forbidden("Only a buyer account can apply for a refund.", code="buyer_required")
    if refund_type not in RefundType.values:
        raise ValidationFailed(f"refund_type must be one of {', '.join(RefundType.values)}.", code="invalid_type")
    if reason not in RefundReason.values:
        raise ValidationFailed(f"reason must be one of {', '.join(RefundReason.values)}.", code="invalid_reason")
    text = clean_text(description, field="description", required=False)
    checked = checked_files(files)
    with transaction.atomic():
        locked = (
            OrderItem.objects.select_for_update()
            .select_related("order", "product")
            .filter(pk=order_item_id, order__buyer=buyer)
            .first()
        )
        if locked is None:
            raise NotFound("No such order item on your orders.", code="order_item_not_found")
        # Read after the lock, in a statement of its own: a request on the item committed while this one waited for
        # the lock is seen (the locking statement's subqueries would read from before the wait).
        facts = RefundFacts.of(with_refund_facts(OrderItem.objects.filter(pk=locked.pk)).get())
        item, order = facts.item, facts.item.order
        now = timezone.now()
        policies = policy_table.load("refund.")
        refusal = refund_apply_refusal(
            facts,
            refund_type=refund_type,
            reason=reason,
            amount_fen=amount_fen,
            damage_guarantee=damage_guarantee,
            now=now,
            policies=policies,
        )
        if refusal is not None:
            raise refusal
        amount = check_amount(amount_fen, refund_type=refund_type, refundable=facts.refundable_fen)
        refund = RefundRequest.objects.create(
            order_item=item,
            buyer=buyer,
            merchant_id=order.merchant_id,
            refund_type=refund_type,
            reason=reason,
            description=text,
            amount_fen=amount,
            order_shipped=order.shipped_at is not None,
            damage_guarantee=damage_guarantee,
            shipping_cover=reason == RefundReason.NO_REASON and ServiceKind.RETURN_SHIPPING_COVER in facts.commitments,
            created_at=now,
        )
        audit(refund, actor=actor, step="apply", description="Applied by the buyer", source=None)
        if (
            refund_type == RefundType.RETURN_AND_REFUND
            and buyer.instant_refund_quota_fen > 0
            and buyer.instant_refund_revoked_at is None
        ):
            refund.apply_advance(by=actor, description="Instant refund: paid when the return ships")
        reschedule(refund, policies)
        refund.save()
        store_files(refund, checked, purpose="application", actor=actor)
    return refund


def refund_apply_refusal(
    facts: RefundFacts,
    *,
    refund_type: str,
    reason: str,
    amount_fen: Any,
    damage_guarantee: bool,
    now: datetime,
    policies: PolicySnapshot,
) -> DomainError | None:
    """Why the buyer may not apply with these answers at `now`, or None when they may: the one statement of RULES.md
    section 5.2's rules in the order refund_apply checks them, which it enforces and the buyer's order-item list
    shows (disputes.selectors.order_items). `refund_type` and `reason` are valid choices."""
    item = facts.item
    order = item.order
    if order.status == OrderStatus.CLOSED:
        return RefundNotAllowed("The order is closed.", code="order_closed")
    if facts.live_refund_id is not None:
        return RuleRefused("A refund request for this item is already open.", code="refund_exists")
    if facts.cancelled_by_buyer_before:
        return RefundNotAllowed(
            "You cancelled a request on this item before; it cannot be reopened.", code="reopen_refused"
        )
    window_end = after_sales_deadline(item, policies)
    if window_end is not None and missed(window_end, now):
        return RefundNotAllowed("The after-sales window has ended.", code="after_sales_window_passed")
    if refund_type in RETURN_TYPES and order.shipped_at is None:
        return RefundNotAllowed("Nothing was shipped, so there is nothing to return.", code="not_shipped")
    try:
        check_amount(amount_fen, refund_type=refund_type, refundable=facts.refundable_fen)
    except DomainError as refusal:
        return refusal
    if reason == RefundReason.NO_REASON:
        refused = seven_day_refusal(item, refund_type=refund_type, now=now, policies=policies)
        if refused is not None:
            return refused
    if damage_guarantee:
        return damage_claim_refusal(item, reason=reason, commitments=facts.commitments, now=now, policies=policies)
    return None


def seven_day_refusal(
    item: OrderItem, *, refund_type: str, now: datetime, policies: PolicySnapshot
) -> RefundNotAllowed | None:
    """Why a 7-day no-reason request on the item is refused at `now` (RULES.md section 5.4), or None."""
    if refund_type != RefundType.RETURN_AND_REFUND:
        return RefundNotAllowed("A 7-day no-reason request is a return and refund.", code="seven_day_needs_return")
    product = item.product
    if not product.seven_day_return or product.seven_day_exclusion != SevenDayExclusion.NONE:
        label = product.get_seven_day_exclusion_display() if product.seven_day_exclusion else "not eligible"
        return RefundNotAllowed(
            f"This product is excluded from 7-day no-reason returns: {label}.", code="seven_day_excluded"
        )
    if item.seven_day_excluded_by_buyer:
        return RefundNotAllowed(
            "You confirmed at purchase that this item has no 7-day no-reason return.", code="seven_day_excluded"
        )
    if item.order.signed_at is None:
        return RefundNotAllowed(
            "The no-reason return period starts after the goods are signed for.", code="seven_day_not_signed"
        )
    if missed(seven_day_last_day(item.order.signed_at, policies), to_beijing(now).date()):
        return RefundNotAllowed(
            f"The no-reason return period ({policies.describe('refund.seven_day_window')} after signing) has ended.",
            code="seven_day_window_passed",
        )
    return None


def damage_claim_refusal(
    item: OrderItem, *, reason: str, commitments: frozenset[str], now: datetime, policies: PolicySnapshot
) -> RefundNotAllowed | None:
    """Why a damage guarantee claim on the item is refused at `now` (RULES.md section 5.9), or None."""
    if ServiceKind.DAMAGE_GUARANTEE not in commitments:
        return RefundNotAllowed("This item has no damage return guarantee.", code="no_damage_guarantee")
    if reason != RefundReason.DAMAGED:
        return RefundNotAllowed("A damage guarantee claim needs the reason 'damaged'.", code="damage_reason_required")
    signed = item.order.signed_at
    if signed is None or missed(damage_claim_deadline(signed, policies), now):
        return RefundNotAllowed(
            f"Damage claims are accepted within {policies.describe('refund.damage_claim_window')} of signing.",
            code="damage_claim_window_passed",
        )
    return None


def refund_modify(
    *,
    actor: Actor,
    refund_id: int,
    amount_fen: Any = None,
    reason: str | None = None,
    description: str | None = None,
) -> RefundRequest:
    """After a refusal, the buyer changes the request and it goes back to the merchant with a fresh deadline."""
    with transaction.atomic():
        refund = lock_refund(refund_id)
        require_buyer(actor, refund)
        require_step(refund, "modify", message="Only a refused request can be modified")
        now = timezone.now()
        policies = policy_table.load("refund.")
        if reason is not None:
            if reason not in RefundReason.values:
                raise ValidationFailed(
                    f"reason must be one of {', '.join(RefundReason.values)}.", code="invalid_reason"
                )
            if reason != refund.reason:
                _check_new_reason(refund, reason=reason, now=now, policies=policies)
        if amount_fen is not None:
            amount = check_amount(amount_fen, refund_type=refund.refund_type, refundable=refundable(refund.order_item))
            if amount != refund.amount_fen and refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS:
                # The buyer holds an advance of the current amount; the recovery posts that amount.
                raise RuleRefused(
                    "The amount cannot change while the platform's advance is outstanding.",
                    code="amount_locked_by_advance",
                )
            refund.amount_fen = amount
        if description is not None:
            refund.description = clean_text(description, field="description", required=False)
        refund.modify(at=now, by=actor, description="Modified by the buyer after a refusal")
        reschedule(refund, policies)
        refund.save()
    return refund


def _check_new_reason(refund: RefundRequest, *, reason: str, now: datetime, policies: PolicySnapshot) -> None:
    """A changed reason is checked like a new application's: a damage claim stays 'damaged', a 7-day return
    follows the 7-day rules, and only a 7-day return keeps the shipping cover."""
    if refund.damage_guarantee and reason != RefundReason.DAMAGED:
        raise RefundNotAllowed("A damage guarantee claim needs the reason 'damaged'.", code="damage_reason_required")
    item = refund.order_item
    if reason == RefundReason.NO_REASON:
        refused = seven_day_refusal(item, refund_type=refund.refund_type, now=now, policies=policies)
        if refused is not None:
            raise refused
    refund.reason = reason
    refund.shipping_cover = reason == RefundReason.NO_REASON and item.has_service(ServiceKind.RETURN_SHIPPING_COVER)


def refund_cancel(*, actor: Actor, refund_id: int, on_behalf_reason: str | None = None) -> RefundRequest:
    """The buyer (or staff for the buyer, with a reason) cancels; the item can never be reopened afterwards."""
    with transaction.atomic():
        refund = lock_refund(refund_id)
        suffix = acting_for(actor, refund, "cancel", on_behalf_reason)
        require_step(refund, "cancel", message="This request can no longer be cancelled")
        now = timezone.now()
        refund.cancel(at=now, by=actor, description=f"Cancelled by the buyer{suffix}")
        if refund.advance_state == AdvanceState.APPLIED:
            refund.close_advance(by=actor, description="Request cancelled before the return shipped")
        elif refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS:
            # Giving up after the merchant refused the goods leaves the refusal standing: the advance is owed.
            repayment_notice(refund, now=now, policies=policy_table.load("refund."))
        refund.due_at, refund.due_action = None, DueAction.NONE
        refund.save()
    return refund


def refund_ship_return(
    *, actor: Actor, refund_id: int, carrier: str, waybill: str, on_behalf_reason: str | None = None
) -> RefundRequest:
    """The buyer (or staff for the buyer) enters the return waybill; an instant refund is advanced now if the
    quota allows.

    Also credits the return shipping cover when it applies. Every posting has its own key.
    """
    carrier_text = clean_text(carrier, field="carrier")[:40]
    waybill_text = clean_text(waybill, field="waybill")[:40]
    with transaction.atomic():
        refund = lock_refund(refund_id)
        suffix = acting_for(actor, refund, "ship_return", on_behalf_reason)
        require_step(refund, "ship_return", message="The return can be shipped only after the merchant agreed")
        now = timezone.now()
        policies = policy_table.load("refund.")
        refund.ship_return(
            at=now, carrier=carrier_text, waybill=waybill_text, by=actor, description=f"Return shipped{suffix}"
        )
        row = RefundRow.of(refund)
        if refund.shipping_cover:
            shipping_cover_paid(row, at=now, actor=actor, policies=policies).write()
        if refund.advance_state == AdvanceState.APPLIED:
            _advance_or_close(refund, actor=actor, now=now)
        reschedule(refund, policies)
        refund.save()
    return refund


def _advance_or_close(refund: RefundRequest, *, actor: Actor, now: datetime) -> None:
    # Lock the buyer: two returns shipped at once must not both fit into the same quota room.
    buyer = Buyer.objects.select_for_update().get(pk=refund.buyer_id)
    outstanding = ledger_balance(PlatformAdvanceEntry, buyer=buyer)
    room = buyer.instant_refund_quota_fen - outstanding
    if refund.express or (buyer.instant_refund_revoked_at is None and refund.amount_fen <= room):
        advance_paid(RefundRow.of(refund), at=now, actor=actor).write()
        why = "Express rights protection: platform refunds first" if refund.express else "Instant refund advanced"
        refund.advance(by=actor, description=why)
    else:
        refund.close_advance(
            by=actor,
            description=f"No advance: {refund.amount_fen} fen is over the quota left ({max(room, 0)} fen)"
            if buyer.instant_refund_revoked_at is None
            else "No advance: the instant-refund privilege was revoked",
        )
