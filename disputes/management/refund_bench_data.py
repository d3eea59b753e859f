"""The refund sweep benchmark's data set: groups of refunds for every timeout, due or not, and the rows each becomes."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import CommandError
from django.db import connection
from django_fsm_log.models import StateLog

from disputes.models import (
    LEDGER_MODELS,
    MONEY_TYPES,
    RETURN_TYPES,
    AdvanceState,
    DueAction,
    EntryKind,
    Event,
    Order,
    OrderItem,
    OrderStatus,
    RefundReason,
    RefundRequest,
    RefundState,
    RefundType,
    ServiceCommitment,
)
from disputes.policies import PolicySnapshot

# Benchmark rows are found by these marks, so cleanup never touches anything else.
BENCH_MERCHANT = "bench-refund-merchant"
BENCH_USER_PREFIX = "bench-refund-buyer-"
BENCH_ORDER_PREFIX = "BENCH-RF-"
PLAIN_BUYERS = 8
ITEM_PRICE_FEN = 20_000
# Refund amounts step down from the full price paid: 200, 150, 100, 50 元 (damage penalties 40, 30, 20, 10 元).
AMOUNT_STEP_FEN = 5_000
AMOUNT_STEPS = 4
SPREAD_S = 600  # row g's timeout starts g % SPREAD_S seconds before its group's anchor
DUE_LAG = timedelta(minutes=10)  # the latest due row's deadline passed this long before the load
FUTURE_LAG = timedelta(minutes=1)  # rows with a future deadline started their clock this long ago, or a bit more
SQLITE_CHUNK = 5000
# The tables a load fills and a cleanup empties: vacuumed after each (disputes.management.bench.settle).
TABLES = (RefundRequest, Order, OrderItem, ServiceCommitment, StateLog, Event, *LEDGER_MODELS)
# Postings a refund gets at most once each (the sweep's charge and damage penalty, an advance and its recovery).
ONCE_PER_REFUND_KINDS = (EntryKind.REFUND, EntryKind.DAMAGE_PENALTY, EntryKind.ADVANCE, EntryKind.ADVANCE_RECOVERY)

Z, H, D = timedelta(0), timedelta(hours=1), timedelta(days=1)
# The order each kind of request sits on: status and its times relative to the refund's created_at.
ORDERS: dict[str, tuple[str, dict[str, timedelta]]] = {
    "unshipped": (OrderStatus.PAID, {"paid_at": -2 * H}),
    "shipped": (OrderStatus.SHIPPED, {"paid_at": -3 * D, "shipped_at": -2 * D}),
    "signed": (OrderStatus.SIGNED, {"paid_at": -5 * D, "shipped_at": -4 * D, "signed_at": -3 * D}),
    # Signed an hour before the claim: well inside the 72-hour damage-claim window.
    "damage": (OrderStatus.SIGNED, {"paid_at": -3 * D, "shipped_at": -2 * D, "signed_at": -H}),
}
# name, state, refund types (alternating by row), reason, order kind, due action, refund times, Group extras
Spec = tuple[str, str, tuple[str, ...], str, str, str, dict[str, timedelta], dict[str, Any]]
REFUND_TIMES = (
    "created_at",
    "agreed_at",
    "return_shipped_at",
    "return_signed_at",
    "refused_at",
    "succeeded_at",
    "closed_at",
    "due_at",
)


@dataclass(frozen=True)
class Group:
    """A slice of the benchmark's refunds in one state, every row timed from one event (its anchor).

    `times` places the refund's timestamps relative to the row's anchor (a missing key is NULL); row g's
    anchor is `anchor` minus g % SPREAD_S seconds. Instant-refund rows take their buyer from the instant
    pool, `instant_from` being the group's first row's index among all advance rows.
    """

    name: str
    count: int
    state: str
    refund_types: tuple[str, ...]
    reason: str
    order: str
    due_action: str
    times: dict[str, timedelta]
    anchor: datetime
    advance_state: str = AdvanceState.NONE
    instant_from: int | None = None
    damage: bool = False
    refused_goods: bool = False
    cancelled: bool = False

    @property
    def money(self) -> bool:
        return self.refund_types[0] in MONEY_TYPES

    @property
    def return_address_given(self) -> bool:
        # Agreeing to a return gives the address; agreeing to a refund-only request pays it instead.
        return "agreed_at" in self.times and self.refund_types[0] in RETURN_TYPES

    def order_times(self) -> dict[str, timedelta]:
        return {k: self.times["created_at"] + v for k, v in ORDERS[self.order][1].items()}


@dataclass
class Parties:
    """The benchmark's merchant, product and buyers, shared by every row."""

    merchant_id: int
    product_id: int
    return_address: str
    buyer_ids: list[int]  # no instant-refund quota
    instant_ids: list[int] = field(default_factory=list)  # rated 极好, with the full quota
    per_instant_buyer: int = 1  # advances that fit into one instant buyer's quota at once

    @property
    def all_buyer_ids(self) -> list[int]:
        return self.buyer_ids + self.instant_ids


def table_name(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _split(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal counts, the first ones one larger."""
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


def define_groups(total: int, due: int, now: datetime, policies: PolicySnapshot) -> list[Group]:
    """The data set: `due` rows split evenly over the eleven kinds of passed deadline below (one per timeout of
    RULES.md section 2, with the advance, signed-return and exchange/repair variants), the rest split evenly
    over five states whose deadline is ahead and two with none (success, closed)."""
    d = policies.duration
    agree_silent_unshipped = d("refund.unshipped_merchant_silent")
    agree_silent_shipped = d("refund.shipped_refund_only_silent")
    return_silent = d("refund.return_merchant_silent")
    buyer_ship = d("refund.buyer_ship_return")
    confirm = d("refund.merchant_confirm_receipt")
    confirm_signed = d("refund.merchant_confirm_after_signed")
    refused_silent = d("refund.refused_buyer_silent")
    damage_silent = d("refund.damage_merchant_silent")
    ro, rr = (RefundType.REFUND_ONLY,), (RefundType.RETURN_AND_REFUND,)
    wait_agree, confirming, refused = (
        RefundState.WAIT_SELLER_AGREE,
        RefundState.WAIT_SELLER_CONFIRM,
        RefundState.SELLER_REFUSED,
    )
    # (name, state, types, reason, order, action, times relative to the anchor, extra)
    # fmt: off
    kinds: list[Spec] = [
        ("unshipped_pay", wait_agree, ro, RefundReason.OTHER, "unshipped", DueAction.PAY,
         {"created_at": Z, "due_at": agree_silent_unshipped}, {}),
        ("shipped_pay", wait_agree, ro, RefundReason.NOT_RECEIVED, "shipped", DueAction.PAY,
         {"created_at": Z, "due_at": agree_silent_shipped}, {}),
        ("damage_pay", wait_agree, ro, RefundReason.DAMAGED, "damage", DueAction.PAY,
         {"created_at": Z, "due_at": damage_silent}, {"damage": True}),
        ("return_agree", wait_agree, rr, RefundReason.QUALITY, "signed", DueAction.AGREE,
         {"created_at": Z, "due_at": return_silent}, {}),
        ("buyer_return_close", RefundState.WAIT_BUYER_RETURN, rr, RefundReason.QUALITY, "signed",
         DueAction.CLOSE_NOT_SHIPPED, {"created_at": -D, "agreed_at": Z, "due_at": buyer_ship}, {}),
        ("confirm_pay", confirming, rr, RefundReason.QUALITY, "signed", DueAction.PAY,
         {"created_at": -2 * D, "agreed_at": -D, "return_shipped_at": Z, "due_at": confirm}, {}),
        # Logistics show the return signed: 3 days from signing, well before 10 days from shipping.
        ("confirm_signed_pay", confirming, rr, RefundReason.QUALITY, "signed", DueAction.PAY,
         {"created_at": -4 * D, "agreed_at": -3 * D, "return_shipped_at": -2 * D, "return_signed_at": Z,
          "due_at": min(confirm_signed, confirm - 2 * D)}, {}),
        ("confirm_advanced_pay", confirming, rr, RefundReason.QUALITY, "signed", DueAction.PAY,
         {"created_at": -2 * D, "agreed_at": -D, "return_shipped_at": Z, "due_at": confirm},
         {"advance_state": AdvanceState.ADVANCED}),
        ("confirm_received", confirming, (RefundType.EXCHANGE, RefundType.REPAIR), RefundReason.QUALITY, "signed",
         DueAction.RECEIVED,
         {"created_at": -2 * D, "agreed_at": -D, "return_shipped_at": Z, "due_at": confirm}, {}),
        ("refused_close", refused, ro, RefundReason.NOT_AS_DESCRIBED, "shipped", DueAction.CLOSE_REFUSED,
         {"created_at": -D, "refused_at": Z, "due_at": refused_silent}, {}),
        # The merchant refused the goods after the platform advanced the refund: closing sends a repayment notice.
        ("refused_goods_close", refused, rr, RefundReason.QUALITY, "signed", DueAction.CLOSE_REFUSED,
         {"created_at": -4 * D, "agreed_at": -3 * D, "return_shipped_at": -2 * D, "refused_at": Z,
          "due_at": refused_silent},
         {"advance_state": AdvanceState.MERCHANT_REFUSED_GOODS, "refused_goods": True}),
    ]
    future: list[Spec] = [
        (f"future_{k[0]}", *k[1:]) for k in kinds if k[0] in {
            "unshipped_pay", "return_agree", "buyer_return_close", "confirm_pay", "refused_close"
        }
    ]
    future += [
        ("success", RefundState.SUCCESS, ro, RefundReason.NOT_AS_DESCRIBED, "shipped", DueAction.NONE,
         {"created_at": -D, "agreed_at": Z, "succeeded_at": Z}, {}),
        ("cancelled", RefundState.CLOSED, ro, RefundReason.OTHER, "unshipped", DueAction.NONE,
         {"created_at": -H, "closed_at": Z}, {"cancelled": True}),
    ]
    # fmt: on
    groups: list[Group] = []
    advance_rows = 0
    for counts, specs, is_due in ((_split(due, len(kinds)), kinds, True), (_split(total - due, 7), future, False)):
        for count, (name, state, types, reason, order, action, times, extra) in zip(counts, specs, strict=True):
            delay = times.get("due_at")
            if is_due:
                if delay is None:  # every kind that falls due states its deadline
                    raise CommandError(f"{name} has no deadline to fall due on.")
                anchor = now - DUE_LAG - delay
            else:
                if delay is not None and delay <= timedelta(seconds=SPREAD_S) + FUTURE_LAG + timedelta(minutes=5):
                    raise CommandError(f"The policy behind {name} is too short for a deadline that is still ahead.")
                anchor = now - FUTURE_LAG
            instant_from = None
            if extra.get("advance_state", AdvanceState.NONE) != AdvanceState.NONE:
                instant_from, advance_rows = advance_rows, advance_rows + count
            groups.append(
                Group(
                    name, count, state, types, reason, order, action, times, anchor, instant_from=instant_from, **extra
                )
            )
    return groups


def advance_row_count(groups: list[Group]) -> int:
    """How many rows hold a platform advance, each needing room in an instant buyer's quota."""
    return sum(g.count for g in groups if g.instant_from is not None)


def refund_row(group: Group, g: int, parties: Parties, order_item_id: int) -> RefundRequest:
    """Row g (1-based) of a group as an unsaved refund: the same values _load_postgres computes in SQL."""
    t = group.anchor - timedelta(seconds=g % SPREAD_S)
    at = {k: (t + group.times[k]) if k in group.times else None for k in REFUND_TIMES}
    return RefundRequest(
        order_item_id=order_item_id,
        buyer_id=buyer_for(group, g, parties),
        merchant_id=parties.merchant_id,
        refund_type=group.refund_types[g % len(group.refund_types)],
        reason=group.reason,
        description="benchmark refund",
        amount_fen=ITEM_PRICE_FEN - (g % AMOUNT_STEPS) * AMOUNT_STEP_FEN if group.money else 0,
        order_shipped=group.order != "unshipped",
        damage_guarantee=group.damage,
        state=group.state,
        advance_state=group.advance_state,
        due_action=group.due_action,
        return_address=parties.return_address if group.return_address_given else "",
        return_carrier="SF" if "return_shipped_at" in group.times else "",
        return_waybill=f"BRF{g}" if "return_shipped_at" in group.times else "",
        refuse_reason="benchmark refusal" if "refused_at" in group.times else "",
        refused_goods=group.refused_goods,
        close_reason="Cancelled by the buyer" if group.cancelled else "",
        cancelled_by_buyer=group.cancelled,
        **at,
    )


def buyer_for(group: Group, g: int, parties: Parties) -> int:
    if group.instant_from is None:
        return parties.buyer_ids[g % len(parties.buyer_ids)]
    return parties.instant_ids[(group.instant_from + g - 1) // parties.per_instant_buyer]
