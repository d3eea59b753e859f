"""Which refund requests a buyer or merchant may read, annotated and loaded for listing and detail."""

from typing import Any

from django.db.models import BigIntegerField, F, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from disputes.actors import buyer_of, merchant_of
from disputes.errors import NotFound
from disputes.models import MONEY_TYPES, Intervention, RefundRequest, RefundState

# Everything a list row shows, in one query: no per-row lookups.
_LIST_RELATIONS = ("merchant", "buyer", "order_item__order", "order_item__product")
# What a detail adds: evidence metadata, express claims, intervention cases (one query each).
_DETAIL_PREFETCH = (
    "evidence",
    "express_claims",
    # Oldest first, as the refund's story reads (the model's default order is the staff queue's).
    Prefetch("interventions", queryset=Intervention.objects.order_by("applied_at", "id")),
)


def _with_refundable(queryset: QuerySet[RefundRequest]) -> QuerySet[RefundRequest]:
    """Annotate `refundable_fen`: the item's paid amount minus its successful money refunds (RULES.md section 2),
    the same sum the service checks an amount against, computed in the row's own query."""
    refunded = (
        RefundRequest.objects.filter(
            order_item=OuterRef("order_item"), state=RefundState.SUCCESS, refund_type__in=MONEY_TYPES
        )
        .order_by()
        .values("order_item")
        .annotate(total=Sum("amount_fen"))
        .values("total")
    )
    remaining = F("order_item__amount_paid_fen") - Coalesce(
        Subquery(refunded, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField()
    )
    return queryset.annotate(refundable_fen=Greatest(remaining, Value(0), output_field=BigIntegerField()))


def refunds_for_buyer(user: Any) -> QuerySet[RefundRequest]:
    """The buyer's own refund requests in every state, newest first; none for a user who is not a buyer."""
    buyer = buyer_of(user)
    if buyer is None:
        return RefundRequest.objects.none()
    queryset = RefundRequest.objects.filter(buyer=buyer).select_related(*_LIST_RELATIONS)
    # The id breaks ties so that offset pagination never repeats or skips a row.
    return _with_refundable(queryset).order_by("-created_at", "-id")


def refunds_for_merchant(user: Any) -> QuerySet[RefundRequest]:
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
