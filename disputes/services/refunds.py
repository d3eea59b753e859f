"""Refund and after-sales services (退款/售后): apply, agree, refuse, modify, cancel, return shipping, goods
receipt, instant-refund advances, express rights protection (极速维权) and asking for platform intervention."""

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes.actors import buyer_of, merchant_of
from disputes.choices import EXPRESS_PROTECTION_RATINGS, ServiceKind, SevenDayExclusion
from disputes.errors import DomainError, Forbidden, InvalidTransition, NotFound, ValidationFailed
from disputes.evidence import check_evidence_file
from disputes.models import (
    EXPRESS_REASONS,
    LIVE_REFUND_STATES,
    MONEY_TYPES,
    RETURN_TYPES,
    AdvanceState,
    Buyer,
    CaseState,
    Channel,
    DueAction,
    ExpressClaim,
    ExpressStatus,
    Ground,
    Intervention,
    OrderItem,
    OrderStatus,
    Party,
    PlatformAdvanceEntry,
    RefundEvidence,
    RefundReason,
    RefundRequest,
    RefundState,
    RefundType,
)
from disputes.notifications import notify_after_commit
from disputes.policies import PolicySnapshot
from disputes.selectors.refunds import refundable_fen
from disputes.services.inputs import clean_text
from disputes.services.ledger import ledger_balance
from disputes.services.refund_money import (
    ADVANCE_OUTSTANDING,
    RefundRow,
    advance_outstanding,
    advance_paid,
    advance_repaid,
    refund_paid,
    shipping_cover_paid,
)
from disputes.sla import to_beijing

MAX_TEXT = 2000
MAX_FILES = 10
# Intervention stages in which a case still decides the refund.
CASE_PENDING_STATES = (
    CaseState.APPLIED,
    CaseState.EVIDENCE,
    CaseState.MEDIATION,
    CaseState.SUSPENDED,
    CaseState.JUDGED,
    CaseState.APPEALED,
)
# The intervention ground (客服介入 grounds, RULES.md section 4) a buyer's request is filed under, by refund reason.
REASON_GROUNDS = {
    RefundReason.QUALITY: Ground.QUALITY,
    RefundReason.DAMAGED: Ground.LOGISTICS_DAMAGED,
    RefundReason.NOT_AS_DESCRIBED: Ground.FALSE_ADVERTISING,
    RefundReason.COUNTERFEIT: Ground.COUNTERFEIT,
    RefundReason.NOT_RECEIVED: Ground.LOGISTICS_LOST,
    RefundReason.MISSING_PARTS: Ground.QUALITY,
    RefundReason.NO_REASON: Ground.SERVICE_NOT_HONOURED,
    RefundReason.OTHER: Ground.SERVICE_NOT_HONOURED,
}


class RefundNotAllowed(DomainError):
    """The rules do not allow this request; the message says which rule."""

    status = 422


# --- small helpers -------------------------------------------------------------------------------


def _checked_files(files: list[UploadedFile] | None) -> list[tuple[UploadedFile, Any]]:
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"At most {MAX_FILES} files.", code="too_many_files")
    return [(f, check_evidence_file(f)) for f in files]


def _store_files(refund: RefundRequest, checked: list[tuple[UploadedFile, Any]], *, purpose: str, actor: Any) -> None:
    for upload, info in checked:
        RefundEvidence.objects.create(
            refund=refund,
            purpose=purpose,
            file=upload,
            original_name=info.original_name,
            content_type=info.content_type,
            size=info.size,
            uploaded_by=actor,
        )


def _lock(refund_id: int) -> RefundRequest:
    found = RefundRequest.objects.select_for_update().filter(pk=refund_id).first()
    if found is None:
        raise NotFound("No such refund request.", code="refund_not_found")
    return found


def _require(refund: RefundRequest, transition_name: str, message: str) -> None:
    if not can_proceed(getattr(refund, transition_name)):
        raise InvalidTransition(
            f"{message} (the request is {refund.get_state_display()}).", details={"state": refund.state}
        )


def _require_buyer(actor: Any, refund: RefundRequest) -> None:
    buyer = buyer_of(actor)
    if buyer is None or buyer.pk != refund.buyer_id:
        raise NotFound("No such refund request.", code="refund_not_found")


def _merchant_or_staff(actor: Any, refund: RefundRequest, on_behalf_reason: str | None) -> str:
    """The merchant itself, or staff acting for it with a recorded reason. Returns the audit suffix."""
    merchant = merchant_of(actor)
    if merchant is not None and merchant.pk == refund.merchant_id:
        return ""
    if getattr(actor, "is_staff", False) and actor.has_perm("disputes.act_on_behalf_refundrequest"):
        reason = clean_text(on_behalf_reason, field="on_behalf_reason")
        return f" (by staff on the merchant's behalf: {reason})"
    raise NotFound("No such refund request.", code="refund_not_found")


def _buyer_or_staff(actor: Any, refund: RefundRequest, on_behalf_reason: str | None) -> str:
    buyer = buyer_of(actor)
    if buyer is not None and buyer.pk == refund.buyer_id:
        return ""
    if getattr(actor, "is_staff", False) and actor.has_perm("disputes.act_on_behalf_refundrequest"):
        reason = clean_text(on_behalf_reason, field="on_behalf_reason")
        return f" (by staff on the buyer's behalf: {reason})"
    raise NotFound("No such refund request.", code="refund_not_found")


def _require_staff(actor: Any, perm: str) -> None:
    if not getattr(actor, "is_staff", False) or not actor.has_perm(perm):
        raise Forbidden("Only staff with the right role may do this.", code="staff_permission_required")


def _log(refund: RefundRequest, *, actor: Any, transition: str, source: str | None, description: str) -> None:
    StateLog.objects.create(
        by=actor,
        source_state=source,
        state=refund.state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(RefundRequest),
        object_id=refund.pk,
        description=description,
    )


def _refundable(item: OrderItem, *, exclude_id: int | None = None) -> int:
    return refundable_fen(item.pk, exclude_refund=exclude_id)


def has_open_case(refund: RefundRequest) -> bool:
    """Whether a platform intervention case on this refund is still open (the admin hides what it blocks)."""
    return refund.interventions.filter(state__in=CASE_PENDING_STATES).exists()


def _require_no_open_case(refund: RefundRequest) -> None:
    """While the platform handles the dispute, the parties do not settle the same refund around it:
    a refund paid by the merchant and again by the judgment would be paid twice."""
    if has_open_case(refund):
        raise InvalidTransition(
            "A platform intervention case is open on this refund; withdraw it first.", code="intervention_open"
        )


def _check_amount(amount_fen: Any, *, refund_type: str, refundable: int) -> int:
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
        raise ValidationFailed(
            f"The refund amount {amount_fen} fen is more than the {refundable} fen still refundable.",
            code="amount_exceeds_refundable",
            details={"refundable_fen": refundable},
        )
    return amount_fen


def after_sales_deadline(item: OrderItem, policies: PolicySnapshot) -> datetime | None:
    """Last moment to apply: the window runs from trade success (per-product override up to 180 days)."""
    succeeded = item.order.succeeded_at
    if succeeded is None:
        return None
    days = item.product.after_sales_days or policies.int("refund.after_sales_window")
    return succeeded + timedelta(days=days)


def seven_day_deadline(signed_at: datetime, policies: PolicySnapshot) -> datetime:
    """The 7 days start the day after signing (Beijing dates): the window ends at the end of day 7."""
    signed_day = to_beijing(signed_at).date()
    last_day = signed_day + timedelta(days=policies.int("refund.seven_day_window"))
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=to_beijing(signed_at).tzinfo)
    return end


def next_deadline(refund: RefundRequest, policies: PolicySnapshot) -> tuple[datetime | None, str]:
    """The automatic deadline of the refund's current state and what happens then (RULES.md section 2)."""
    state = refund.state
    if state == RefundState.WAIT_SELLER_AGREE:
        since = refund.modified_at or refund.created_at
        pays = refund.refund_type == RefundType.REFUND_ONLY
        if refund.damage_guarantee:
            delay = policies.duration("refund.damage_merchant_silent")
        elif pays:
            key = "refund.shipped_refund_only_silent" if refund.order_shipped else "refund.unshipped_merchant_silent"
            delay = policies.duration(key)
        else:
            delay = policies.duration("refund.return_merchant_silent")
        return since + delay, DueAction.PAY if pays else DueAction.AGREE
    if state == RefundState.WAIT_BUYER_RETURN:
        return refund.agreed_at + policies.duration("refund.buyer_ship_return"), DueAction.CLOSE_NOT_SHIPPED
    if state == RefundState.WAIT_SELLER_CONFIRM:
        due = refund.return_shipped_at + policies.duration("refund.merchant_confirm_receipt")
        if refund.return_signed_at is not None:
            due = min(due, refund.return_signed_at + policies.duration("refund.merchant_confirm_after_signed"))
        action = DueAction.PAY if refund.refund_type == RefundType.RETURN_AND_REFUND else DueAction.RECEIVED
        return due, action
    if state == RefundState.SELLER_REFUSED:
        stopped = (
            refund.intervention_requested_at is not None
            or refund.express_claims.filter(status=ExpressStatus.PENDING).exists()
        )
        if stopped:
            return None, DueAction.NONE
        return refund.refused_at + policies.duration("refund.refused_buyer_silent"), DueAction.CLOSE_REFUSED
    return None, DueAction.NONE


def _reschedule(refund: RefundRequest, policies: PolicySnapshot) -> None:
    refund.due_at, refund.due_action = next_deadline(refund, policies)


def _pay(refund: RefundRequest, *, at: datetime, actor: Any, policies: PolicySnapshot) -> None:
    """Post the refund's money (once, by key) and settle an advance."""
    refund_paid(RefundRow.of(refund), at=at, actor=actor, policies=policies).write()
    if refund.advance_state in ADVANCE_OUTSTANDING:
        refund.settle_advance(by=actor, description="Advance recovered from the merchant")
    elif refund.advance_state == AdvanceState.APPLIED:
        refund.close_advance(by=actor, description="Refunded without an advance")


# --- buyer ---------------------------------------------------------------------------------------


def refund_apply(
    *,
    actor: Any,
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
    checked = _checked_files(files)
    with transaction.atomic():
        item = (
            OrderItem.objects.select_for_update()
            .select_related("order", "product")
            .filter(pk=order_item_id, order__buyer=buyer)
            .first()
        )
        if item is None:
            raise NotFound("No such order item on your orders.", code="order_item_not_found")
        order = item.order
        now = timezone.now()
        policies = policy_table.load("refund.")
        if order.status == OrderStatus.CLOSED:
            raise RefundNotAllowed("The order is closed.", code="order_closed")
        if RefundRequest.objects.filter(order_item=item, state__in=LIVE_REFUND_STATES).exists():
            raise DomainError("A refund request for this item is already open.", code="refund_exists")
        if RefundRequest.objects.filter(order_item=item, cancelled_by_buyer=True).exists():
            raise RefundNotAllowed(
                "You cancelled a request on this item before; it cannot be reopened.", code="reopen_refused"
            )
        window_end = after_sales_deadline(item, policies)
        if window_end is not None and now > window_end:
            raise RefundNotAllowed("The after-sales window has ended.", code="after_sales_window_passed")
        if refund_type in RETURN_TYPES and order.shipped_at is None:
            raise RefundNotAllowed("Nothing was shipped, so there is nothing to return.", code="not_shipped")
        amount = _check_amount(amount_fen, refund_type=refund_type, refundable=_refundable(item))
        commitments = set(item.commitments.values_list("kind", flat=True))
        if reason == RefundReason.NO_REASON:
            _check_seven_day(item, refund_type=refund_type, now=now, policies=policies)
        if damage_guarantee:
            _check_damage_claim(item, reason=reason, commitments=commitments, now=now, policies=policies)
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
            shipping_cover=reason == RefundReason.NO_REASON and ServiceKind.RETURN_SHIPPING_COVER in commitments,
            created_at=now,
        )
        _log(refund, actor=actor, transition="apply", source=None, description="Applied by the buyer")
        if (
            refund_type == RefundType.RETURN_AND_REFUND
            and buyer.instant_refund_quota_fen > 0
            and buyer.instant_refund_revoked_at is None
        ):
            refund.apply_advance(by=actor, description="Instant refund: paid when the return ships")
        _reschedule(refund, policies)
        refund.save()
        _store_files(refund, checked, purpose="application", actor=actor)
        notify_after_commit("refund.applied", case="refund", case_id=refund.pk)
    return refund


def _check_seven_day(item: OrderItem, *, refund_type: str, now: datetime, policies: PolicySnapshot) -> None:
    if refund_type != RefundType.RETURN_AND_REFUND:
        raise RefundNotAllowed("A 7-day no-reason request is a return and refund.", code="seven_day_needs_return")
    product = item.product
    if not product.seven_day_return or product.seven_day_exclusion != SevenDayExclusion.NONE:
        label = product.get_seven_day_exclusion_display() if product.seven_day_exclusion else "not eligible"
        raise RefundNotAllowed(
            f"This product is excluded from 7-day no-reason returns: {label}.", code="seven_day_excluded"
        )
    if item.seven_day_excluded_by_buyer:
        raise RefundNotAllowed(
            "You confirmed at purchase that this item has no 7-day no-reason return.", code="seven_day_excluded"
        )
    if item.order.signed_at is None:
        raise RefundNotAllowed("The 7 days start after the goods are signed for.", code="seven_day_not_signed")
    if now >= seven_day_deadline(item.order.signed_at, policies):
        raise RefundNotAllowed("The 7-day no-reason return period has ended.", code="seven_day_window_passed")


def _check_damage_claim(
    item: OrderItem, *, reason: str, commitments: set[str], now: datetime, policies: PolicySnapshot
) -> None:
    if ServiceKind.DAMAGE_GUARANTEE not in commitments:
        raise RefundNotAllowed("This item has no damage return guarantee.", code="no_damage_guarantee")
    if reason != RefundReason.DAMAGED:
        raise RefundNotAllowed("A damage guarantee claim needs the reason 'damaged'.", code="damage_reason_required")
    signed = item.order.signed_at
    if signed is None or now > signed + policies.duration("refund.damage_claim_window"):
        raise RefundNotAllowed(
            "Damage claims are accepted within 72 hours of signing.", code="damage_claim_window_passed"
        )


def refund_modify(
    *,
    actor: Any,
    refund_id: int,
    amount_fen: Any = None,
    reason: str | None = None,
    description: str | None = None,
) -> RefundRequest:
    """After a refusal, the buyer changes the request and it goes back to the merchant with a fresh deadline."""
    with transaction.atomic():
        refund = _lock(refund_id)
        _require_buyer(actor, refund)
        _require(refund, "modify", "Only a refused request can be modified")
        _require_no_open_case(refund)
        if refund.express_claims.filter(status=ExpressStatus.PENDING).exists():
            raise InvalidTransition("Staff are verifying your express claim.", code="express_claim_pending")
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
            amount = _check_amount(
                amount_fen, refund_type=refund.refund_type, refundable=_refundable(refund.order_item)
            )
            if amount != refund.amount_fen and refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS:
                # The buyer holds an advance of the current amount; the recovery posts that amount.
                raise ValidationFailed(
                    "The amount cannot change while the platform's advance is outstanding.",
                    code="amount_locked_by_advance",
                )
            refund.amount_fen = amount
        if description is not None:
            refund.description = clean_text(description, field="description", required=False)
        refund.modify(at=now, by=actor, description="Modified by the buyer after a refusal")
        _reschedule(refund, policies)
        refund.save()
        notify_after_commit("refund.modified", case="refund", case_id=refund.pk)
    return refund


def _check_new_reason(refund: RefundRequest, *, reason: str, now: datetime, policies: PolicySnapshot) -> None:
    """A changed reason is checked like a new application's: a damage claim stays 'damaged', a 7-day return
    follows the 7-day rules, and only a 7-day return keeps the shipping cover."""
    if refund.damage_guarantee and reason != RefundReason.DAMAGED:
        raise RefundNotAllowed("A damage guarantee claim needs the reason 'damaged'.", code="damage_reason_required")
    item = refund.order_item
    if reason == RefundReason.NO_REASON:
        _check_seven_day(item, refund_type=refund.refund_type, now=now, policies=policies)
    refund.reason = reason
    refund.shipping_cover = reason == RefundReason.NO_REASON and item.has_service(ServiceKind.RETURN_SHIPPING_COVER)


def refund_cancel(*, actor: Any, refund_id: int, on_behalf_reason: str | None = None) -> RefundRequest:
    """The buyer (or staff for the buyer, with a reason) cancels; the item can never be reopened afterwards."""
    with transaction.atomic():
        refund = _lock(refund_id)
        suffix = _buyer_or_staff(actor, refund, on_behalf_reason)
        _require(refund, "cancel", "This request can no longer be cancelled")
        _require_no_open_case(refund)
        now = timezone.now()
        refund.cancel(at=now, by=actor, description=f"Cancelled by the buyer{suffix}")
        if refund.advance_state == AdvanceState.APPLIED:
            refund.close_advance(by=actor, description="Request cancelled before the return shipped")
        elif refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS:
            # Giving up after the merchant refused the goods leaves the refusal standing: the advance is owed.
            _repayment_notice(refund, now=now, policies=policy_table.load("refund."))
        refund.due_at, refund.due_action = None, DueAction.NONE
        refund.save()
    return refund


def refund_ship_return(
    *, actor: Any, refund_id: int, carrier: str, waybill: str, on_behalf_reason: str | None = None
) -> RefundRequest:
    """The buyer (or staff for the buyer) enters the return waybill; an instant refund is advanced now if the
    quota allows.

    Also credits the return shipping cover when it applies. Every posting has its own key.
    """
    carrier_text = clean_text(carrier, field="carrier")[:40]
    waybill_text = clean_text(waybill, field="waybill")[:40]
    with transaction.atomic():
        refund = _lock(refund_id)
        suffix = _buyer_or_staff(actor, refund, on_behalf_reason)
        _require(refund, "ship_return", "The return can be shipped only after the merchant agreed")
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
        _reschedule(refund, policies)
        refund.save()
        notify_after_commit("refund.return_shipped", case="refund", case_id=refund.pk)
    return refund


def _advance_or_close(refund: RefundRequest, *, actor: Any, now: datetime) -> None:
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


# --- merchant (or staff on its behalf) -----------------------------------------------------------


def refund_agree(
    *, actor: Any, refund_id: int, return_address: str | None = None, on_behalf_reason: str | None = None
) -> RefundRequest:
    """The merchant agrees: a refund-only request is paid now; a return gets the return address."""
    with transaction.atomic():
        refund = _lock(refund_id)
        suffix = _merchant_or_staff(actor, refund, on_behalf_reason)
        policies = policy_table.load("refund.")
        now = timezone.now()
        if refund.refund_type == RefundType.REFUND_ONLY:
            _require(refund, "agree_refund", "Only a request waiting for the merchant can be agreed")
            refund.agree_refund(at=now, by=actor, description=f"Refund agreed{suffix}")
            _pay(refund, at=now, actor=actor, policies=policies)
        else:
            _require(refund, "agree_return", "Only a request waiting for the merchant can be agreed")
            address = (
                clean_text(return_address, field="return_address", required=False)
                or refund.merchant.full_return_address
            )
            refund.agree_return(at=now, address=address[:300], by=actor, description=f"Return agreed{suffix}")
        _reschedule(refund, policies)
        refund.save()
        notify_after_commit("refund.agreed", case="refund", case_id=refund.pk)
    return refund


def refund_refuse(
    *,
    actor: Any,
    refund_id: int,
    reason: str,
    files: list[UploadedFile] | None = None,
    on_behalf_reason: str | None = None,
) -> RefundRequest:
    """The merchant refuses with a reason and evidence; the buyer may modify or ask for intervention."""
    why = clean_text(reason, field="reason")
    checked = _checked_files(files)
    with transaction.atomic():
        refund = _lock(refund_id)
        suffix = _merchant_or_staff(actor, refund, on_behalf_reason)
        _require(refund, "refuse", "Only a request waiting for the merchant can be refused")
        refund.refuse(at=timezone.now(), reason=why, by=actor, description=f"Refused{suffix}: {why}")
        _reschedule(refund, policy_table.load("refund."))
        refund.save()
        _store_files(refund, checked, purpose="refusal", actor=actor)
        notify_after_commit("refund.refused", case="refund", case_id=refund.pk)
    return refund


def refund_confirm_goods(*, actor: Any, refund_id: int, on_behalf_reason: str | None = None) -> RefundRequest:
    """The merchant confirms the returned goods: a refund succeeds (advance recovered); an exchange or
    repair waits for the merchant to send the goods back."""
    with transaction.atomic():
        refund = _lock(refund_id)
        suffix = _merchant_or_staff(actor, refund, on_behalf_reason)
        now = timezone.now()
        policies = policy_table.load("refund.")
        if refund.refund_type == RefundType.RETURN_AND_REFUND:
            _require(refund, "confirm_goods_refund", "Only goods on their way back can be confirmed")
            refund.confirm_goods_refund(at=now, by=actor, description=f"Goods received, refund paid{suffix}")
            _pay(refund, at=now, actor=actor, policies=policies)
        else:
            _require(refund, "confirm_goods_reship", "Only goods on their way back can be confirmed")
            refund.confirm_goods_reship(at=now, by=actor, description=f"Goods received{suffix}")
        _reschedule(refund, policies)
        refund.save()
        notify_after_commit("refund.goods_confirmed", case="refund", case_id=refund.pk)
    return refund


def refund_refuse_goods(
    *,
    actor: Any,
    refund_id: int,
    reason: str,
    files: list[UploadedFile] | None = None,
    on_behalf_reason: str | None = None,
) -> RefundRequest:
    """The merchant refuses the returned goods.

    On an express case (极速维权) this opens a platform intervention case at once, as the merchant's, on the
    ground goods_refused; the intervention service gives it priority 2 because the refund is express. Staff
    refusing for the merchant file that case on its behalf. Raises what intervention_open raises, and then
    the refusal is not recorded either.
    """
    why = clean_text(reason, field="reason")
    checked = _checked_files(files)
    with transaction.atomic():
        refund = _lock(refund_id)
        suffix = _merchant_or_staff(actor, refund, on_behalf_reason)
        _require(refund, "refuse_goods", "Only goods on their way back can be refused")
        now = timezone.now()
        refund.refuse_goods(at=now, reason=why, by=actor, description=f"Returned goods refused{suffix}: {why}")
        if refund.advance_state == AdvanceState.ADVANCED:
            refund.advance_goods_refused(by=actor, description="Merchant refused the goods after an advance")
        _reschedule(refund, policy_table.load("refund."))
        refund.save()
        if refund.express:
            # After the save: the intervention service re-reads the refund and must find the refusal.
            _open_case(
                refund,
                actor=actor,
                ground=Ground.GOODS_REFUSED,
                claim=f"Express case: merchant refused the goods: {why}",
                on_behalf_of=Party.MERCHANT if suffix else None,
            )
            # The returned refund shows the clock the case stopped. (A partial refresh_from_db on an FSM model
            # recurses in django-fsm, hence the plain read.)
            refund.intervention_requested_at, refund.due_at, refund.due_action = (
                RefundRequest.objects.filter(pk=refund.pk)
                .values_list("intervention_requested_at", "due_at", "due_action")
                .get()
            )
        _store_files(refund, checked, purpose="goods_refusal", actor=actor)
        notify_after_commit("refund.goods_refused", case="refund", case_id=refund.pk)
    return refund


def refund_reship(*, actor: Any, refund_id: int, waybill: str, on_behalf_reason: str | None = None) -> RefundRequest:
    """The merchant sends the exchanged or repaired goods back; the after-sales request succeeds."""
    waybill_text = clean_text(waybill, field="waybill")[:40]
    with transaction.atomic():
        refund = _lock(refund_id)
        suffix = _merchant_or_staff(actor, refund, on_behalf_reason)
        _require(refund, "reship", "Only received exchange or repair goods can be sent back")
        refund.reship(at=timezone.now(), waybill=waybill_text, by=actor, description=f"Goods sent back{suffix}")
        refund.due_at, refund.due_action = None, DueAction.NONE
        refund.save()
    return refund


def refund_request_intervention(*, actor: Any, refund_id: int, reason: str) -> Intervention:
    """Buyer (after a refusal) or merchant (after refusing the goods) asks the platform to intervene (客服介入).

    Opens an intervention case on the refund through intervention_open and returns it. The buyer's case is
    filed on the ground its refund reason maps to (REASON_GROUNDS), the merchant's on goods_refused; the
    refusal's automatic close stops while the case is open. Raises InvalidTransition
    (intervention_not_available) before a refusal, or for a merchant that did not refuse the goods;
    DomainError (intervention_exists) while a case on the item is open; whatever else intervention_open refuses.
    """
    why = clean_text(reason, field="reason")
    with transaction.atomic():
        refund = _lock(refund_id)
        buyer, merchant = buyer_of(actor), merchant_of(actor)
        if buyer is not None and buyer.pk == refund.buyer_id:
            role, ground = Party.BUYER, REASON_GROUNDS[refund.reason]
        elif merchant is not None and merchant.pk == refund.merchant_id:
            role, ground = Party.MERCHANT, Ground.GOODS_REFUSED
        else:
            raise NotFound("No such refund request.", code="refund_not_found")
        if refund.state != RefundState.SELLER_REFUSED:
            raise InvalidTransition("Intervention can be asked for after a refusal.", code="intervention_not_available")
        if role == Party.MERCHANT and not refund.refused_goods:
            raise InvalidTransition(
                "A merchant asks for intervention after refusing returned goods.", code="intervention_not_available"
            )
        return _open_case(refund, actor=actor, ground=ground, claim=why)


def _open_case(
    refund: RefundRequest, *, actor: Any, ground: str, claim: str, on_behalf_of: str | None = None
) -> Intervention:
    """Open the platform's case on a saved refund and note it in the refund's history. intervention_open
    stops the refund's clock itself (in the database: reload the refund to see it)."""
    # Imported here, not at the top: the intervention service reaches back into this module (next_deadline,
    # _refundable), so module-level imports both ways would be a cycle.
    from disputes.services.interventions import intervention_open

    # Staff act for a merchant that called in (the admin's on-behalf reason records the call).
    staff = {"on_behalf_of": on_behalf_of, "channel": Channel.PHONE} if on_behalf_of else {}
    case = intervention_open(actor=actor, ground=ground, claim=claim, refund_id=refund.pk, **staff)
    _log(
        refund,
        actor=actor,
        transition="request_intervention",
        source=refund.state,
        description=f"{case.number} opened: {claim}"[:500],
    )
    return case


# --- express rights protection -------------------------------------------------------------------


def refund_express_claim(
    *, actor: Any, refund_id: int, description: str, files: list[UploadedFile] | None = None
) -> ExpressClaim:
    """A buyer rated 优秀 or 极好 asks for express rights protection after a quality/damage refusal."""
    text = clean_text(description, field="description")
    checked = _checked_files(files)
    if not checked:
        raise ValidationFailed("Express rights protection needs at least one photo.", code="photos_required")
    with transaction.atomic():
        refund = _lock(refund_id)
        _require_buyer(actor, refund)
        buyer = refund.buyer
        if buyer.credit_rating not in EXPRESS_PROTECTION_RATINGS:
            raise RefundNotAllowed(
                "Express rights protection is for buyers rated 优秀 or 极好.", code="express_rating_required"
            )
        if refund.state != RefundState.SELLER_REFUSED or refund.refused_goods:
            raise InvalidTransition(
                "Express rights protection follows a merchant's refusal of the request.", code="express_not_available"
            )
        if refund.reason not in EXPRESS_REASONS:
            raise RefundNotAllowed(
                "Express rights protection covers quality problems and damage in transit.", code="express_reason"
            )
        policies = policy_table.load("refund.")
        window_end = after_sales_deadline(refund.order_item, policies)
        if window_end is not None and timezone.now() > window_end:
            raise RefundNotAllowed("The after-sales window has ended.", code="after_sales_window_passed")
        try:
            with transaction.atomic():
                claim = ExpressClaim.objects.create(refund=refund, description=text)
        except IntegrityError:
            raise DomainError("An express claim is already waiting for staff.", code="express_claim_pending") from None
        _store_files(refund, checked, purpose="express_claim", actor=actor)
        refund.due_at, refund.due_action = None, DueAction.NONE
        _log(
            refund, actor=actor, transition="express_claim", source=refund.state, description="Express claim submitted"
        )
        refund.save()
        notify_after_commit("refund.express_claimed", case="refund", case_id=refund.pk)
    return claim


def refund_express_decide(*, actor: Any, claim_id: int, verified: bool, reason: str) -> ExpressClaim:
    """Staff verify an express claim: true → agree to a return on the merchant's behalf with its default
    return address (the platform advances the refund when the buyer ships); false → the refusal stands."""
    why = clean_text(reason, field="reason")
    _require_staff(actor, "disputes.verify_express_refundrequest")
    with transaction.atomic():
        claim = ExpressClaim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise NotFound("No such express claim.", code="express_claim_not_found")
        refund = _lock(claim.refund_id)
        if claim.status != ExpressStatus.PENDING:
            raise InvalidTransition("The claim was already decided.", code="express_claim_decided")
        now = timezone.now()
        claim.status = ExpressStatus.VERIFIED if verified else ExpressStatus.REJECTED
        claim.decided_at, claim.decided_by, claim.decision_reason = now, actor, why
        claim.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        policies = policy_table.load("refund.")
        if verified:
            _require(refund, "agree_on_behalf", "The refusal is no longer standing")
            refund.agree_on_behalf(
                at=now,
                address=refund.merchant.full_return_address[:300],
                by=actor,
                description=f"Express rights protection verified, return agreed on the merchant's behalf: {why}",
            )
            if refund.advance_state == AdvanceState.NONE:
                refund.apply_advance(by=actor, description="Express: the platform refunds when the buyer ships")
            _reschedule(refund, policies)
        else:
            # The refusal stands; the buyer's 7 days to modify or escalate run again from now.
            refund.refused_at = now
            _reschedule(refund, policies)
            _log(refund, actor=actor, transition="express_rejected", source=refund.state, description=why)
        refund.save()
        notify_after_commit("refund.express_decided", case="refund", case_id=refund.pk)
    return claim


# --- logistics and advances ------------------------------------------------------------------------


def refund_return_signed(*, actor: Any, refund_id: int, signed_at: datetime | None = None) -> RefundRequest:
    """Logistics show the return signed for: the merchant now has 3 days (not 10) to confirm."""
    _require_staff(actor, "disputes.act_on_behalf_refundrequest")
    with transaction.atomic():
        refund = _lock(refund_id)
        if refund.state != RefundState.WAIT_SELLER_CONFIRM:
            raise InvalidTransition("Only a return on its way can be signed for.", code="not_in_transit")
        when = signed_at or timezone.now()
        if timezone.is_naive(when) or when < refund.return_shipped_at or when > timezone.now():
            raise ValidationFailed("signed_at must be between shipping and now.", code="invalid_signed_at")
        refund.return_signed_at = when
        _reschedule(refund, policy_table.load("refund."))
        _log(refund, actor=actor, transition="return_signed", source=refund.state, description="Logistics: signed for")
        refund.save()
    return refund


def refund_uphold_goods_refusal(*, actor: Any, refund_id: int, reason: str) -> RefundRequest:
    """Staff uphold the merchant's refusal of the goods (the merchant wins): the refund closes and a buyer
    who got an advance is sent a repayment notice with the policy's deadline. Refused (intervention_open)
    while a platform intervention case on the refund is open: that case's judgment decides instead."""
    why = clean_text(reason, field="reason")
    _require_staff(actor, "disputes.verify_express_refundrequest")
    with transaction.atomic():
        refund = _lock(refund_id)
        if refund.state != RefundState.SELLER_REFUSED or not refund.refused_goods:
            raise InvalidTransition("Only a refusal of returned goods can be upheld.", code="not_goods_refusal")
        # An open case decides the refusal (its judgment closes the refund and sends the repayment notice).
        _require_no_open_case(refund)
        now = timezone.now()
        refund.close(
            at=now, reason="Merchant's refusal of the goods upheld", by=actor, description=f"Refusal upheld: {why}"
        )
        if refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS:
            _repayment_notice(refund, now=now, policies=policy_table.load("refund."))
        refund.due_at, refund.due_action = None, DueAction.NONE
        refund.save()
    return refund


def _repayment_notice(refund: RefundRequest, *, now: datetime, policies: PolicySnapshot) -> None:
    refund.repayment_notice_at = now
    refund.repayment_due_at = now + policies.duration("refund.advance_repay_window")
    notify_after_commit("refund.advance_repayment_notice", case="refund", case_id=refund.pk)


def refund_advance_repaid(*, actor: Any, refund_id: int) -> RefundRequest:
    """Record that the buyer repaid an advance (the payment itself arrives through the payment channel)."""
    _require_staff(actor, "disputes.act_on_behalf_refundrequest")
    with transaction.atomic():
        refund = _lock(refund_id)
        owed = advance_outstanding(refund)
        if refund.advance_state != AdvanceState.MERCHANT_REFUSED_GOODS or refund.repaid_at is not None or owed <= 0:
            raise InvalidTransition("No advance is owed on this request.", code="no_advance_owed")
        now = timezone.now()
        # What is owed, from the ledger: the whole advance, or what a partial judgment left with the buyer.
        advance_repaid(replace(RefundRow.of(refund), amount_fen=owed), at=now, actor=actor).write()
        refund.repaid_at = now
        refund.settle_advance(by=actor, description="Advance repaid by the buyer")
        refund.save()
    return refund
