"""Opening a platform intervention case (客服介入): by a buyer, by a merchant after refusing returned goods, or by
staff for a party who called or chatted; refused with a reason when the claim is outside the rules."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor, buyer_of, merchant_of
from disputes.errors import Forbidden, NotFound, RuleRefused, ValidationFailed
from disputes.models import (
    CASE_PENDING_STATES,
    Channel,
    Ground,
    Intervention,
    Order,
    OrderItem,
    Party,
    RefundRequest,
    RefundState,
    Tier,
)
from disputes.models.interventions.case import WORK
from disputes.services.interventions.common import (
    InterventionNotAllowed,
    case_text,
    checked_uploads,
    store_evidence,
)
from disputes.services.refunds.platform import refund_hold_for_case
from disputes.services.steps import audit


def intervention_open(
    *,
    actor: Actor,
    ground: str,
    claim: str,
    order_item_id: int | None = None,
    refund_id: int | None = None,
    channel: str | None = None,
    on_behalf_of: str | None = None,
    files: list[UploadedFile] | None = None,
) -> Intervention:
    """Open a case: a buyer after a refused refund or on a listed ground; a merchant after refusing returned
    goods; staff from the phone or online-chat channel (or 小二 escalation) on a party's behalf.

    Refuses claims outside the rules (422 with a reason): virtual goods before the policy's wait after the refund
    request, a merchant without a refusal of goods, a second open case on the item (intervention_exists).
    The refusal clock on the refund stops. Raises InterventionNotAllowed, DomainError, NotFound, ValidationFailed.
    """
    if ground not in Ground.values:
        raise ValidationFailed(f"ground must be one of {', '.join(Ground.values)}.", code="invalid_ground")
    text = case_text(claim, field="claim")
    uploads = checked_uploads(files)
    staff = getattr(actor, "is_staff", False)
    if staff:
        if not actor.has_perm(WORK):
            raise Forbidden("Only intervention staff may file a case.", code="staff_permission_required")
        if on_behalf_of is None or on_behalf_of not in (Party.BUYER, Party.MERCHANT):
            raise ValidationFailed(
                "Staff file a case on behalf of the buyer or the merchant.", code="on_behalf_required"
            )
        if channel not in (Channel.PHONE, Channel.ONLINE_CHAT, Channel.SENIOR):
            raise ValidationFailed("Staff file from the phone, online chat or 小二 channel.", code="invalid_channel")
        filed_for: str | None = on_behalf_of
    else:
        channel = Channel.ORDER_PAGE
        filed_for = None
    with transaction.atomic():
        refund = None
        if refund_id is not None:
            refund = RefundRequest.objects.select_for_update().select_related("order_item").filter(pk=refund_id).first()
            if refund is None:
                raise NotFound("No such refund request.", code="refund_not_found")
            item = refund.order_item
        elif order_item_id is not None:
            # The item's row lock serializes openings on one item (the refund lock above takes it too, through
            # the join): without it two requests both find no open case and both create one.
            item = (
                OrderItem.objects.select_for_update(of=("self",))
                .select_related("order", "product")
                .filter(pk=order_item_id)
                .first()
            )
            if item is None:
                raise NotFound("No such order item.", code="order_item_not_found")
        else:
            raise ValidationFailed("Name the refund request or the order item.", code="subject_required")
        order = item.order
        # Staff name the party they file for; a party files for itself.
        applicant = filed_for if filed_for is not None else _applicant(actor, order, refund)
        _check_grounds(applicant=applicant, ground=ground, refund=refund, item=item)
        if Intervention.objects.filter(order_item=item, state__in=CASE_PENDING_STATES).exists():
            raise RuleRefused("An intervention case on this item is already open.", code="intervention_exists")
        tier = Tier.SENIOR if channel == Channel.SENIOR else Tier.AGENT
        express = bool(refund and refund.express)
        case = Intervention.objects.create(
            order_item=item,
            refund=refund,
            buyer_id=order.buyer_id,
            merchant_id=order.merchant_id,
            applicant=applicant,
            channel=channel,
            ground=ground,
            claim=text,
            tier=tier,
            express=express,
            priority=Intervention.priority_for(express=express, tier=tier),
        )
        by_staff = f" (filed by staff via {Channel(channel).label})" if staff else ""
        audit(case, actor=actor, step="open", description=f"Opened by the {applicant}{by_staff}", source=None)
        store_evidence(case, party=applicant, actor=actor, text="", files=uploads)
        if refund is not None:
            refund_hold_for_case(refund, at=timezone.now())
    return case


def _applicant(actor: Actor, order: Order, refund: RefundRequest | None) -> str:
    """The party of the order a buyer or merchant files as; NotFound for anyone else."""
    buyer, merchant = buyer_of(actor), merchant_of(actor)
    if buyer is not None and buyer.pk == order.buyer_id:
        return Party.BUYER
    if merchant is not None and merchant.pk == order.merchant_id:
        return Party.MERCHANT
    if refund is not None:
        # The same answer as for a missing refund: another party's refund must not be told apart.
        raise NotFound("No such refund request.", code="refund_not_found")
    raise NotFound("No such order item on your orders.", code="order_item_not_found")


def _check_grounds(*, applicant: str, ground: str, refund: RefundRequest | None, item: OrderItem) -> None:
    policies = policy_table.load("intervention.")
    if item.product.is_virtual:
        wait = policies.duration("intervention.virtual_goods_wait")
        if refund is None or timezone.now() < refund.created_at + wait:
            raise InterventionNotAllowed(
                "For virtual goods, intervention can be asked "
                f"{policies.describe('intervention.virtual_goods_wait')} after the refund request.",
                code="virtual_goods_wait",
            )
    if refund is not None and refund.state != RefundState.SELLER_REFUSED:
        raise InterventionNotAllowed(
            f"Intervention on a refund follows the merchant's refusal; this refund is {refund.get_state_display()}.",
            code="refund_not_refused",
        )
    if applicant == Party.MERCHANT:
        if refund is None or not refund.refused_goods or ground != Ground.GOODS_REFUSED:
            raise InterventionNotAllowed(
                "A merchant asks for intervention after refusing the returned goods.", code="merchant_ground"
            )
    elif ground == Ground.GOODS_REFUSED and (refund is None or not refund.refused_goods):
        raise InterventionNotAllowed("The merchant did not refuse returned goods.", code="ground_mismatch")
