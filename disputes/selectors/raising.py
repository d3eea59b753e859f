"""The facts the raise rules read about an order item: its order, product and commitments, whether its delivery
city is served, and what its other cases say (a live help request per service, a live or cancelled refund, what
is still refundable). Loaded in a fixed number of queries for one item or a whole page.

The raise services (help_request_raise, refund_apply) load their item through these, and so does the buyer's
order-item list (disputes.selectors.order_items): both hand the same facts to the same rule functions
(help_raise_refusal, refund_apply_refusal), so what the list says a buyer may raise is what the service accepts."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from disputes.choices import HELP_ELIGIBLE_SERVICES
from disputes.models import (
    LIVE_HELP_STATES,
    LIVE_REFUND_STATES,
    HelpRequest,
    OrderItem,
    RefundRequest,
    SupportedCity,
)
from disputes.selectors.refunds import refundable_expression

LIVE_HELP = "live_help_requests"


def with_help_facts(queryset: QuerySet[OrderItem]) -> QuerySet[OrderItem]:
    """The items with what help_raise_refusal reads: order, product, commitments, the city check (a subquery of the
    row's own query) and the live help requests (one query for all the items)."""
    # The state too: a HelpRequest reads it when loaded (its FSM field is protected), a query per row if deferred.
    live = HelpRequest.objects.filter(state__in=LIVE_HELP_STATES).only("id", "order_item_id", "service_kind", "state")
    return (
        queryset.select_related("order", "product")
        .prefetch_related("commitments", Prefetch("help_requests", queryset=live.order_by("id"), to_attr=LIVE_HELP))
        .annotate(
            city_supported=Exists(SupportedCity.objects.filter(name=OuterRef("order__city"), is_active=True)),
        )
    )


def with_refund_facts(queryset: QuerySet[OrderItem]) -> QuerySet[OrderItem]:
    """The items with what refund_apply_refusal reads: order, product, commitments, and as subqueries of the row's own
    query the live refund (its id), whether the buyer cancelled one before, and what is still refundable."""
    refunds = RefundRequest.objects.filter(order_item=OuterRef("pk"))
    return (
        queryset.select_related("order", "product")
        .prefetch_related("commitments")
        .annotate(
            live_refund_id=Subquery(refunds.filter(state__in=LIVE_REFUND_STATES).order_by("id").values("id")[:1]),
            cancelled_by_buyer_before=Exists(refunds.filter(cancelled_by_buyer=True)),
            refundable_now_fen=refundable_expression("pk"),
        )
    )


def commitments_of(item: OrderItem) -> frozenset[str]:
    return frozenset(c.kind for c in item.commitments.all())


@dataclass(frozen=True)
class HelpFacts:
    """What the one-click help rules read about one item (loaded by with_help_facts)."""

    item: OrderItem
    # The help-eligible services the item carries, sorted (RULES.md section 1).
    eligible: tuple[str, ...]
    city_supported: bool
    # The id of the live request on the item, per service kind.
    live: dict[str, int]

    @classmethod
    def of(cls, item: OrderItem) -> "HelpFacts":
        live: dict[str, int] = {}
        for request in getattr(item, LIVE_HELP):
            live.setdefault(request.service_kind, request.pk)
        return cls(
            item=item,
            eligible=tuple(kind for kind in sorted(commitments_of(item)) if kind in HELP_ELIGIBLE_SERVICES),
            city_supported=bool(item.city_supported),  # type: ignore[attr-defined]  # with_help_facts' annotation
            live=live,
        )


@dataclass(frozen=True)
class RefundFacts:
    """What the refund application rules read about one item (loaded by with_refund_facts)."""

    item: OrderItem
    commitments: frozenset[str]
    live_refund_id: int | None
    cancelled_by_buyer_before: bool
    refundable_fen: int

    @classmethod
    def of(cls, item: OrderItem) -> "RefundFacts":
        # with_refund_facts' annotations.
        return cls(
            item=item,
            commitments=commitments_of(item),
            live_refund_id=item.live_refund_id,  # type: ignore[attr-defined]
            cancelled_by_buyer_before=bool(item.cancelled_by_buyer_before),  # type: ignore[attr-defined]
            refundable_fen=int(item.refundable_now_fen),  # type: ignore[attr-defined]
        )
