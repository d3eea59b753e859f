"""Express rights protection (极速维权, RULES.md section 3): a highly rated buyer's claim after a refusal, and
staff verifying it."""

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.choices import EXPRESS_PROTECTION_RATINGS
from disputes.deadlines import missed
from disputes.errors import InvalidTransition, ValidationFailed
from disputes.models import EXPRESS_REASONS, MONEY_TYPES, AdvanceState, DueAction, ExpressClaim, RefundState
from disputes.services.inputs import clean_text
from disputes.services.refunds.common import (
    RefundNotAllowed,
    after_sales_deadline,
    checked_files,
    lock_refund,
    require_buyer,
    reschedule,
    store_files,
)
from disputes.services.steps import audit, lock, require_allowed, require_step


def refund_express_claim(
    *, actor: Actor, refund_id: int, description: str, files: list[UploadedFile] | None = None
) -> ExpressClaim:
    """A buyer rated 优秀 or 极好 asks for express rights protection after a quality/damage refusal."""
    text = clean_text(description, field="description")
    checked = checked_files(files)
    if not checked:
        raise ValidationFailed("Express rights protection needs at least one photo.", code="photos_required")
    with transaction.atomic():
        refund = lock_refund(refund_id)
        require_buyer(actor, refund)
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
        if window_end is not None and missed(window_end, timezone.now()):
            raise RefundNotAllowed("The after-sales window has ended.", code="after_sales_window_passed")
        try:
            with transaction.atomic():
                claim = ExpressClaim.objects.create(refund=refund, description=text)
        except IntegrityError:
            raise InvalidTransition(
                "An express claim is already waiting for staff.", code="express_claim_pending"
            ) from None
        store_files(refund, checked, purpose="express_claim", actor=actor)
        refund.due_at, refund.due_action = None, DueAction.NONE
        audit(refund, actor=actor, step="express_claim", description="Express claim submitted")
        refund.save()
    return claim


def refund_express_decide(*, actor: Actor, claim_id: int, verified: bool, reason: str) -> ExpressClaim:
    """Staff verify an express claim: true → agree to a return on the merchant's behalf with its default
    return address (the platform advances the refund when the buyer ships); false → the refusal stands."""
    why = clean_text(reason, field="reason")
    step = "verify" if verified else "reject"
    with transaction.atomic():
        claim = lock(ExpressClaim, claim_id, missing="No such express claim.", code="express_claim_not_found")
        require_allowed(claim, step, actor)
        refund = lock_refund(claim.refund_id)
        if not can_proceed(getattr(claim, step)):
            raise InvalidTransition("The claim was already decided.", code="express_claim_decided")
        now = timezone.now()
        getattr(claim, step)(at=now, by=actor, reason=why, description=why)
        claim.save()
        policies = policy_table.load("refund.")
        if verified:
            require_step(refund, "agree_on_behalf", message="The refusal is no longer standing")
            refund.agree_on_behalf(
                at=now,
                address=refund.merchant.full_return_address[:300],
                by=actor,
                description=f"Express rights protection verified, return agreed on the merchant's behalf: {why}",
            )
            # The platform advances money only: an exchange or a repair refunds nothing.
            if refund.advance_state == AdvanceState.NONE and refund.refund_type in MONEY_TYPES:
                refund.apply_advance(by=actor, description="Express: the platform refunds when the buyer ships")
            reschedule(refund, policies)
        else:
            # The refusal stands; the buyer's 7 days to modify or escalate run again from now.
            refund.refused_at = now
            reschedule(refund, policies)
            audit(refund, actor=actor, step="express_rejected", description=why)
        refund.save()
    return claim
