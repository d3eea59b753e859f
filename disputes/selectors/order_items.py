"""A buyer's order items as the buyer's app reads them: the product, the services each carries, what is still
refundable, and what the buyer may raise on it now (one-click help, a refund or after-sales request, a 7-day
return, a damage guarantee claim), each with the end of the window that limits it.

Each action is judged by the rule function its raise service enforces (help_raise_refusal for help_request_raise,
refund_apply_refusal for refund_apply) on the facts both load the same way (disputes.selectors.raising): an action
listed as allowed is one the service accepts at that moment, and a refused one carries the code the service would
refuse it with (tests/api/test_buyer_order_items.py holds the two together)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from disputes import policies as policy_table
from disputes.actors import buyer_of
from disputes.errors import DomainError, NotFound
from disputes.events.catalogue import case_type_of
from disputes.models import MONEY_TYPES, HelpRequest, OrderItem, RefundReason, RefundRequest, RefundType
from disputes.policies import PolicySnapshot
from disputes.selectors.raising import HelpFacts, RefundFacts, with_help_facts, with_refund_facts
from disputes.services.help_requests import help_raise_refusal
from disputes.services.refunds.buyer import refund_apply_refusal
from disputes.services.refunds.common import after_sales_deadline, damage_claim_deadline, seven_day_deadline

HELP_REQUEST = "help_request"


@dataclass(frozen=True)
class RefundAsk:
    """The application an action stands for: what the buyer would POST to /api/buyer/refunds/. A money request is
    judged for the smallest amount (1 fen): allowed means some amount up to `refundable_fen` is accepted."""

    action: str
    refund_type: str
    reason: str
    damage_guarantee: bool = False

    @property
    def amount_fen(self) -> int | None:
        return 1 if self.refund_type in MONEY_TYPES else None


# Any reason but 7-day no-reason and a damage claim's "damaged" is judged alike; `other` stands for them all.
REFUND_ASKS = (
    RefundAsk("refund_only", RefundType.REFUND_ONLY, RefundReason.OTHER),
    RefundAsk("return_refund", RefundType.RETURN_AND_REFUND, RefundReason.OTHER),
    RefundAsk("seven_day_return", RefundType.RETURN_AND_REFUND, RefundReason.NO_REASON),
    RefundAsk("damage_claim", RefundType.REFUND_ONLY, RefundReason.DAMAGED, damage_guarantee=True),
    RefundAsk("exchange", RefundType.EXCHANGE, RefundReason.OTHER),
    RefundAsk("repair", RefundType.REPAIR, RefundReason.OTHER),
)
ACTION_CHOICES = [
    (HELP_REQUEST, "One-click help request (一键求助): POST /api/buyer/help-requests/ with the service_kind"),
    ("refund_only", "Refund only (仅退款): refund_type refund_only, any reason but no_reason"),
    ("return_refund", "Return and refund (退货退款): refund_type return_refund, any reason but no_reason"),
    ("seven_day_return", "7-day no-reason return (七天无理由): refund_type return_refund, reason no_reason"),
    ("damage_claim", "Damage guarantee claim (破损包退): damage_guarantee true, reason damaged"),
    ("exchange", "Exchange (换货): refund_type exchange"),
    ("repair", "Repair (维修): refund_type repair"),
]
# Every code an action may be refused with: the raise services' own codes (disputes.api.error_codes lists them
# under the raise operations).
REFUSAL_CODES = (
    "order_closed",
    "service_not_eligible",
    "city_not_supported",
    "help_request_exists",
    "refund_exists",
    "reopen_refused",
    "after_sales_window_passed",
    "not_shipped",
    "amount_exceeds_refundable",
    "seven_day_excluded",
    "seven_day_not_signed",
    "seven_day_window_passed",
    "no_damage_guarantee",
    "damage_claim_window_passed",
)


@dataclass(frozen=True)
class RaiseAction:
    """One thing the buyer may (or may not) raise on an item now."""

    action: str
    service_kind: str | None
    allowed: bool
    reason: str | None
    message: str | None
    # Allowed: the last moment it stays allowed, itself in time (disputes.deadlines); None when no window limits it.
    # Refused because a window passed: when that window closed. Refused otherwise: None.
    until: datetime | None
    seconds_left: int | None
    # The open case that stands in the way (help_request_exists, refund_exists).
    case: dict[str, Any] | None


def order_items_for_buyer(user: object) -> QuerySet[OrderItem]:
    """The buyer's order items with everything a row shows and the raise rules read, in a fixed number of queries
    whatever the page's size; none for a user who is not a buyer."""
    buyer = buyer_of(user)
    if buyer is None:
        return OrderItem.objects.none()
    items = OrderItem.objects.filter(order__buyer=buyer).select_related("order__merchant")
    return with_refund_facts(with_help_facts(items))


def order_item_from(queryset: QuerySet[OrderItem], pk: str | int) -> OrderItem:
    """One item from a caller-scoped queryset; outside the scope (or not a number) it does not exist, with the code
    the raise services use."""
    found = None
    if isinstance(pk, int) or (pk.isascii() and pk.isdigit() and len(pk) <= 19):
        found = queryset.filter(pk=int(pk)).first()
    if found is None:
        raise NotFound("No such order item on your orders.", code="order_item_not_found")
    return found


def with_actions(items: list[OrderItem], *, now: datetime) -> list[OrderItem]:
    """Set `raise_actions` on each item (loaded by order_items_for_buyer): one policy read for them all."""
    policies = policy_table.load("refund.")
    for item in items:
        item.raise_actions = raise_actions(item, now=now, policies=policies)  # type: ignore[attr-defined]
    return items


def raise_actions(item: OrderItem, *, now: datetime, policies: PolicySnapshot) -> list[RaiseAction]:
    """Every action on the item: a help request per help-eligible service it carries (one, refused, when it carries
    none), then each kind of refund application."""
    help_facts = HelpFacts.of(item)
    actions = [
        _action(
            HELP_REQUEST,
            help_raise_refusal(help_facts, kind),
            now=now,
            until=None,
            service_kind=kind,
            case=_case(HelpRequest, help_facts.live.get(kind) if kind else None),
        )
        for kind in help_facts.eligible or (None,)
    ]
    facts = RefundFacts.of(item)
    for ask in REFUND_ASKS:
        refusal = refund_apply_refusal(
            facts,
            refund_type=ask.refund_type,
            reason=ask.reason,
            amount_fen=ask.amount_fen,
            damage_guarantee=ask.damage_guarantee,
            now=now,
            policies=policies,
        )
        until = _until(refusal, _windows(item, ask, policies))
        actions.append(
            _action(ask.action, refusal, now=now, until=until, case=_case(RefundRequest, facts.live_refund_id))
        )
    return actions


def _windows(item: OrderItem, ask: RefundAsk, policies: PolicySnapshot) -> dict[str, datetime | None]:
    """The windows the application is held to, each by the code that refuses it once it has closed: the after-sales
    window, and a 7-day return's or a damage claim's own window from signing (the functions the rules apply)."""
    windows = {"after_sales_window_passed": after_sales_deadline(item, policies)}
    signed = item.order.signed_at
    if signed is not None and ask.reason == RefundReason.NO_REASON:
        windows["seven_day_window_passed"] = seven_day_deadline(signed, policies)
    if signed is not None and ask.damage_guarantee:
        windows["damage_claim_window_passed"] = damage_claim_deadline(signed, policies)
    return windows


def _until(refusal: DomainError | None, windows: dict[str, datetime | None]) -> datetime | None:
    """Allowed: the first window to close. Refused because a window closed: when it did. Refused for anything else:
    None (no countdown to a moment that would change nothing)."""
    if refusal is None:
        ends = [end for end in windows.values() if end is not None]
        return min(ends) if ends else None
    return windows.get(refusal.code)


def _action(
    action: str,
    refusal: DomainError | None,
    *,
    now: datetime,
    until: datetime | None,
    service_kind: str | None = None,
    case: dict[str, Any] | None = None,
) -> RaiseAction:
    blocking = refusal is not None and refusal.code in ("help_request_exists", "refund_exists")
    message = refusal.message if refusal is not None else None
    if refusal is not None and refusal.code == "amount_exceeds_refundable":
        # The service's words name the amount asked, here the 1 fen the action stands for.
        message = "Nothing is left to refund on this item."
    return RaiseAction(
        action=action,
        service_kind=service_kind,
        allowed=refusal is None,
        reason=refusal.code if refusal is not None else None,
        message=message,
        until=until,
        seconds_left=max(0, int((until - now).total_seconds())) if until is not None else None,
        case=case if blocking else None,
    )


def _case(model: type[Any], pk: int | None) -> dict[str, Any] | None:
    return {"type": case_type_of(model), "id": pk} if pk is not None else None
