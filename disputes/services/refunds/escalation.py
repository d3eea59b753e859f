"""A party asks the platform to intervene on a refund (客服介入): the buyer after a refusal, the merchant after
refusing the returned goods (at once on an express case). Opens the case through the intervention services."""

from django.db import transaction

from disputes.actors import Actor, buyer_of, merchant_of
from disputes.errors import InvalidTransition
from disputes.models import Channel, Ground, Intervention, Party, RefundReason, RefundRequest, RefundState
from disputes.services.inputs import clean_text
from disputes.services.interventions.opening import intervention_open
from disputes.services.refunds.common import lock_refund, not_found
from disputes.services.steps import audit

# The intervention ground (客服介入 grounds, RULES.md section 4) a buyer's request is filed under, by refund reason.
REASON_GROUNDS: dict[str, Ground] = {
    RefundReason.QUALITY: Ground.QUALITY,
    RefundReason.DAMAGED: Ground.LOGISTICS_DAMAGED,
    RefundReason.NOT_AS_DESCRIBED: Ground.FALSE_ADVERTISING,
    RefundReason.COUNTERFEIT: Ground.COUNTERFEIT,
    RefundReason.NOT_RECEIVED: Ground.LOGISTICS_LOST,
    RefundReason.MISSING_PARTS: Ground.QUALITY,
    RefundReason.NO_REASON: Ground.SERVICE_NOT_HONOURED,
    RefundReason.OTHER: Ground.SERVICE_NOT_HONOURED,
}


def refund_request_intervention(*, actor: Actor, refund_id: int, reason: str) -> Intervention:
    """Buyer (after a refusal) or merchant (after refusing the goods) asks the platform to intervene (客服介入).

    Opens an intervention case on the refund through intervention_open and returns it. The buyer's case is
    filed on the ground its refund reason maps to (REASON_GROUNDS), the merchant's on goods_refused; the
    refusal's automatic close stops while the case is open. Raises InvalidTransition
    (intervention_not_available) before a refusal, or for a merchant that did not refuse the goods;
    DomainError (intervention_exists) while a case on the item is open; whatever else intervention_open refuses.
    """
    why = clean_text(reason, field="reason")
    with transaction.atomic():
        refund = lock_refund(refund_id)
        buyer, merchant = buyer_of(actor), merchant_of(actor)
        if buyer is not None and buyer.pk == refund.buyer_id:
            role, ground = Party.BUYER, REASON_GROUNDS[refund.reason]
        elif merchant is not None and merchant.pk == refund.merchant_id:
            role, ground = Party.MERCHANT, Ground.GOODS_REFUSED
        else:
            raise not_found()
        if refund.state != RefundState.SELLER_REFUSED:
            raise InvalidTransition("Intervention can be asked for after a refusal.", code="intervention_not_available")
        if role == Party.MERCHANT and not refund.refused_goods:
            raise InvalidTransition(
                "A merchant asks for intervention after refusing returned goods.", code="intervention_not_available"
            )
        return open_case(refund, actor=actor, ground=ground, claim=why)


def open_case(
    refund: RefundRequest, *, actor: Actor, ground: str, claim: str, on_behalf_of: str | None = None
) -> Intervention:
    """Open the platform's case on a saved refund and note it in the refund's history. intervention_open
    stops the refund's clock itself (in the database: reload the refund to see it)."""
    # Staff act for a merchant that called in (the admin's on-behalf reason records the call).
    if on_behalf_of:
        case = intervention_open(
            actor=actor,
            ground=ground,
            claim=claim,
            refund_id=refund.pk,
            on_behalf_of=on_behalf_of,
            channel=Channel.PHONE,
        )
    else:
        case = intervention_open(actor=actor, ground=ground, claim=claim, refund_id=refund.pk)
    audit(refund, actor=actor, step="request_intervention", description=f"{case.number} opened: {claim}"[:500])
    return case
