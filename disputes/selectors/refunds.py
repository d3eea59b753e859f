"""Which refund requests a buyer or merchant may read, annotated and loaded for listing and detail."""

from typing import Any

from django.db.models import BigIntegerField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from disputes.actors import buyer_of, merchant_of
from disputes.errors import NotFound
from disputes.models import MONEY_TYPES, Intervention, Judgment, OrderItem, Outcome, RefundRequest, RefundState

# Everything a list row shows, in one query: no per-row lookups.
_LIST_RELATIONS = ("merchant", "buyer", "order_item__order", "order_item__product")
# What a detail adds: evidence metadata, express claims, intervention cases (one query each).
_DETAIL_PREFETCH = (
    "evidence",
    "express_claims",
    # Oldest first, as the refund's story reads (the model's default order is the staff queue's).
    Prefetch("interventions", queryset=Intervention.objects.order_by("applied_at", "id")),
)


# Outcomes of a judgment that pay the buyer money.
_REFUND_OUTCOMES = (Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_REFUND)


def _sum(queryset: QuerySet[Any], *, per: str, field: str) -> Coalesce:
    """SUM(field) of a correlated subquery (one group, `per`), 0 when there are no rows."""
    total = queryset.order_by().values(per).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total[:1], output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())


def refundable_expression(item: str, *, exclude_refund: Any = None) -> Greatest:
    """What is still refundable on the order item that the column or outer reference `item` names
    (RULES.md section 2): paid, less the successful money refunds, less the refunds a platform judgment paid
    on a case that had no refund request (those have no refund row to count). `exclude_refund` leaves one
    refund out, e.g. the one a judgment is deciding. The one definition the API shows and the services enforce."""
    item_ref = OuterRef(item)
    refunds = RefundRequest.objects.filter(order_item=item_ref, state=RefundState.SUCCESS, refund_type__in=MONEY_TYPES)
    if exclude_refund is not None:
        refunds = refunds.exclude(pk=exclude_refund)
    judged = Judgment.objects.filter(
        intervention__order_item=item_ref,
        intervention__refund__isnull=True,
        executed_at__isnull=False,
        reversed_at__isnull=True,
        outcome__in=_REFUND_OUTCOMES,
    )
    paid = F(f"{item}__amount_paid_fen") if item != "pk" else F("amount_paid_fen")
    remaining = (
        paid
        - _sum(refunds, per="order_item", field="amount_fen")
        - _sum(judged, per="intervention__order_item", field="refund_fen")
    )
    return Greatest(remaining, Value(0), output_field=BigIntegerField())


def refundable_fen(item_id: int, *, exclude_refund: int | None = None) -> int:
    """refundable_expression for one order item, as the services check an amount against it."""
    found = (
        OrderItem.objects.filter(pk=item_id)
        .annotate(refundable=refundable_expression("pk", exclude_refund=exclude_refund))
        .values_list("refundable", flat=True)
        .first()
    )
    return found or 0


def _with_refundable(queryset: QuerySet[RefundRequest]) -> QuerySet[RefundRequest]:
    """Annotate `refundable_fen` (refundable_expression) in the row's own query."""
    return queryset.annotate(refundable_fen=refundable_expression("order_item"))


def refunds_for_buyer(user: object) -> QuerySet[RefundRequest]:
    """The buyer's own refund requests in every state, newest first; none for a user who is not a buyer."""
    buyer = buyer_of(user)
    if buyer is None:
        return RefundRequest.objects.none()
    queryset = RefundRequest.objects.filter(buyer=buyer).select_related(*_LIST_RELATIONS)
    # The id breaks ties so that offset pagination never repeats or skips a row.
    return _with_refundable(queryset).order_by("-created_at", "-id")


def refunds_for_merchant(user: object) -> QuerySet[RefundRequest]:
    """Every refund request on the merchant's shop, newest first; none for anyone but a merchant API user.

    Service providers answer one-click help only: refunds are the merchant's own business.
    """
    merchant = merchant_of(user)
    if merchant is None:
        return RefundRequest.objects.none()
    queryset = RefundRequest.objects.filter(merchant=merchant).select_related(*_LIST_RELATIONS)
    return _with_refundable(queryset).order_by("-created_at", "-id")


def with_refund_details(queryset: QuerySet[RefundRequest]) -> QuerySet[RefundRequest]:
    """Load what a detail view shows besides the row: evidence, express claims, intervention cases."""
    return queryset.prefetch_related(*_DETAIL_PREFETCH)


def refund_from(queryset: QuerySet[RefundRequest], pk: str | int) -> RefundRequest:
    """One refund from a caller-scoped queryset; an id outside the scope (or not a number) names no refund,
    with the same code the services use."""
    if not isinstance(pk, int) and not (pk.isascii() and pk.isdigit()):
        raise NotFound("No such refund request.", code="refund_not_found")
    found = queryset.filter(pk=int(pk)).first()
    if found is None:
        raise NotFound("No such refund request.", code="refund_not_found")
    return found
