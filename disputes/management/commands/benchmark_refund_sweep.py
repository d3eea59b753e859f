"""Benchmark of the refund sweep: load refunds due on every timeout, time one sweep with them due and one with none."""

import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes.choices import CreditRating, ServiceKind
from disputes.management.bench import Marks, delete_benchmark_data, settle
from disputes.models import (
    LEDGER_MODELS,
    MONEY_TYPES,
    RETURN_TYPES,
    AdvanceState,
    Buyer,
    DueAction,
    EntryKind,
    Merchant,
    MerchantAccountEntry,
    Order,
    OrderItem,
    OrderStatus,
    PlatformAdvanceEntry,
    Product,
    RefundReason,
    RefundRequest,
    RefundState,
    RefundType,
    ServiceCommitment,
)
from disputes.policies import PolicySnapshot
from disputes.services.refunds.sweep import refund_sweep

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
TABLES = (RefundRequest, Order, OrderItem, ServiceCommitment, StateLog, *LEDGER_MODELS)
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


def _table(model: Any) -> str:
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
        buyer_id=_buyer(group, g, parties),
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


def _buyer(group: Group, g: int, parties: Parties) -> int:
    if group.instant_from is None:
        return parties.buyer_ids[g % len(parties.buyer_ids)]
    return parties.instant_ids[(group.instant_from + g - 1) // parties.per_instant_buyer]


class Command(BaseCommand):
    help = (
        "Build a benchmark data set of refund requests in the configured database (some due on every timeout of "
        "RULES.md section 2, the rest not yet due or finished), time refund_sweep() with those due and again with "
        "none due, and print one JSON line. refund_sweep() applies every due row in the database, so run it on a "
        "database of its own."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--requests", type=int, default=1_000_000, help="Total refund requests to load.")
        parser.add_argument("--due", type=int, default=20_000, help="Requests whose deadline has passed.")
        parser.add_argument("--keep", action="store_true", help="Leave the benchmark data in place afterwards.")

    def handle(self, *args: Any, **options: Any) -> None:
        total, due = options["requests"], options["due"]
        if min(total, due) < 0 or due > total:
            raise CommandError("Need 0 <= --due <= --requests.")
        postgres = connection.vendor == "postgresql"
        if not postgres:
            self.stdout.write(
                f"note: {connection.vendor} has no generate_series; loading with bulk_create in chunks "
                "(only sensible for small --requests)."
            )
        if settings.DEBUG:
            self.stdout.write(
                "note: DEBUG is on, so Django logs every query and renders its parameters a second time; "
                "DJANGO_DEBUG=0 times what production runs."
            )
        removed = self._cleanup()
        settle(TABLES, stdout=self.stdout, checkpoint=False)
        if removed:
            self.stdout.write(f"removed previous benchmark data: {removed} refund requests")

        started = time.perf_counter()
        parties = self.build(total=total, due=due, now=timezone.now())
        settle(TABLES, stdout=self.stdout, checkpoint=True)
        self.stdout.write(f"loaded {total} refund requests in {time.perf_counter() - started:.1f}s")

        started = time.perf_counter()
        result = refund_sweep()
        sweep_s = time.perf_counter() - started
        self.stdout.write(f"sweep: {json.dumps(result.as_dict())}")
        started = time.perf_counter()
        empty = refund_sweep()
        empty_sweep_s = time.perf_counter() - started
        self.stdout.write(f"second sweep: {json.dumps(empty.as_dict())}")
        duplicates = self._duplicates(parties.all_buyer_ids, parties.merchant_id)

        if not options["keep"]:
            self._cleanup()
            settle(TABLES, stdout=self.stdout, checkpoint=False)
        self.stdout.write(
            json.dumps(
                {
                    "requests": total,
                    "due": due,
                    "sweep_s": round(sweep_s, 4),
                    "empty_sweep_s": round(empty_sweep_s, 4),
                    "credits": result.credits,
                    "duplicates": duplicates,
                }
            )
        )

    # Data set

    def build(self, *, total: int, due: int, now: datetime) -> Parties:
        """Load the whole data set as of `now`: parties, orders, items, refunds and the ledger entries the
        services would have posted for them already (advances paid, refunds that succeeded)."""
        policies = policy_table.load("refund.")
        groups = define_groups(total, due, now, policies)
        with transaction.atomic():
            parties = self._build_parties(advance_rows=advance_row_count(groups), policies=policies)
            if connection.vendor == "postgresql":
                self._load_postgres(groups, parties)
            else:
                self._load_bulk(groups, parties)
            self._post_earlier_money(parties.merchant_id, now=now)
        return parties

    def _build_parties(self, *, advance_rows: int, policies: PolicySnapshot) -> Parties:
        """A merchant, a product, a few buyers without an instant-refund quota, and enough buyers rated 极好
        that every advance fits into its buyer's quota, as refund_ship_return requires."""
        merchant = Merchant.objects.create(
            shop_name=BENCH_MERCHANT, return_contact="bench", return_phone="000", return_address="benchmark"
        )
        product = Product.objects.create(
            merchant=merchant, title="bench refund goods", category_path="家装大件/家具", price_fen=ITEM_PRICE_FEN
        )
        quota = policies.int("refund.instant_quota.outstanding")
        per_instant_buyer = quota // ITEM_PRICE_FEN
        if advance_rows and per_instant_buyer < 1:
            raise CommandError("The instant-refund quota is below one benchmark item's price.")
        instant = math.ceil(advance_rows / per_instant_buyer) if advance_rows else 0
        user_model = get_user_model()
        users = user_model.objects.bulk_create(
            [user_model(username=f"{BENCH_USER_PREFIX}{n}", password="!") for n in range(PLAIN_BUYERS + instant)]
        )
        buyers = Buyer.objects.bulk_create(
            [
                Buyer(
                    user_id=user.pk,
                    nickname=f"bench refund buyer {n}",
                    phone=f"1980000{n:04d}",
                    credit_rating=CreditRating.ORDINARY if n < PLAIN_BUYERS else CreditRating.OUTSTANDING,
                    instant_refund_quota_fen=0 if n < PLAIN_BUYERS else quota,
                )
                for n, user in enumerate(users)
            ]
        )
        ids = [b.pk for b in buyers]
        return Parties(
            merchant_id=merchant.pk,
            product_id=product.pk,
            return_address=merchant.full_return_address[:300],
            buyer_ids=ids[:PLAIN_BUYERS],
            instant_ids=ids[PLAIN_BUYERS:],
            per_instant_buyer=max(per_instant_buyer, 1),
        )

    def _load_postgres(self, groups: list[Group], parties: Parties) -> None:
        """Set-based load: per group, one statement inserts the orders, their items (and damage-guarantee
        commitments) and the refunds on them from generate_series."""
        t = "src.t"
        order_times = ", ".join(f"{t} + %(o_{k})s::interval" for k in ("paid_at", "shipped_at", "signed_at"))
        refund_times = ", ".join(f"{t} + %(r_{k})s::interval" for k in REFUND_TIMES)
        sql = f"""
            WITH src AS (
                SELECT
                    g,
                    %(anchor)s::timestamptz - (g %% {SPREAD_S}) * interval '1 second' AS t,
                    CASE WHEN %(instant)s
                        THEN (%(instant_ids)s::bigint[])[1 + (%(instant_from)s + g - 1) / %(per_instant)s]
                        ELSE (%(buyer_ids)s::bigint[])[1 + g %% %(n_buyers)s]
                    END AS buyer_id
                FROM generate_series(1, %(count)s) AS g
            ),
            o AS (
                INSERT INTO {_table(Order)} (
                    order_no, buyer_id, merchant_id, status, city, address, paid_at, shipped_at, signed_at
                )
                SELECT %(prefix)s::text || g, buyer_id, %(merchant)s, %(order_status)s, '杭州', '', {order_times}
                FROM src
                RETURNING id, order_no
            ),
            i AS (
                INSERT INTO {_table(OrderItem)} (
                    order_id, product_id, quantity, amount_paid_fen, seven_day_excluded_by_buyer
                )
                SELECT id, %(product)s, 1, %(price)s, false FROM o
                RETURNING id, order_id
            ),
            c AS (
                INSERT INTO {_table(ServiceCommitment)} (order_item_id, kind)
                SELECT id, %(damage_kind)s FROM i WHERE %(damage)s
            )
            INSERT INTO {_table(RefundRequest)} (
                order_item_id, buyer_id, merchant_id, refund_type, reason, description, amount_fen,
                order_shipped, damage_guarantee, shipping_cover, express, state, advance_state, due_action,
                agreed_on_behalf, return_address, return_carrier, return_waybill, refuse_reason, refused_goods,
                reship_waybill, close_reason, cancelled_by_buyer, {", ".join(REFUND_TIMES)}
            )
            SELECT
                i.id, src.buyer_id, %(merchant)s, (%(types)s::text[])[1 + src.g %% %(n_types)s], %(reason)s,
                'benchmark refund',
                CASE WHEN %(money)s THEN %(price)s - (src.g %% {AMOUNT_STEPS}) * {AMOUNT_STEP_FEN} ELSE 0 END,
                %(order_shipped)s, %(damage)s, false, false, %(state)s, %(advance_state)s, %(due_action)s,
                false, %(return_address)s,
                CASE WHEN %(shipped_back)s THEN 'SF' ELSE '' END,
                CASE WHEN %(shipped_back)s THEN 'BRF' || src.g ELSE '' END,
                %(refuse_reason)s, %(refused_goods)s, '', %(close_reason)s, %(cancelled)s,
                {refund_times}
            FROM src
            JOIN o ON o.order_no = %(prefix)s::text || src.g
            JOIN i ON i.order_id = o.id
        """
        with connection.cursor() as cursor:
            for n, group in enumerate(groups):
                if not group.count:
                    continue
                order_times_of = group.order_times()
                cursor.execute(
                    sql,
                    {
                        "anchor": group.anchor,
                        "instant": group.instant_from is not None,
                        "instant_ids": parties.instant_ids or [0],
                        "instant_from": group.instant_from or 0,
                        "per_instant": parties.per_instant_buyer,
                        "buyer_ids": parties.buyer_ids,
                        "n_buyers": len(parties.buyer_ids),
                        "count": group.count,
                        "prefix": f"{BENCH_ORDER_PREFIX}{n}-",
                        "merchant": parties.merchant_id,
                        "order_status": ORDERS[group.order][0],
                        **{f"o_{k}": order_times_of.get(k) for k in ("paid_at", "shipped_at", "signed_at")},
                        "product": parties.product_id,
                        "price": ITEM_PRICE_FEN,
                        "damage_kind": ServiceKind.DAMAGE_GUARANTEE.value,
                        "damage": group.damage,
                        "types": list(group.refund_types),
                        "n_types": len(group.refund_types),
                        "reason": group.reason,
                        "money": group.money,
                        "order_shipped": group.order != "unshipped",
                        "state": group.state,
                        "advance_state": group.advance_state,
                        "due_action": group.due_action,
                        "return_address": parties.return_address if group.return_address_given else "",
                        "shipped_back": "return_shipped_at" in group.times,
                        "refuse_reason": "benchmark refusal" if "refused_at" in group.times else "",
                        "refused_goods": group.refused_goods,
                        "close_reason": "Cancelled by the buyer" if group.cancelled else "",
                        "cancelled": group.cancelled,
                        **{f"r_{k}": group.times.get(k) for k in REFUND_TIMES},
                    },
                )

    def _load_bulk(self, groups: list[Group], parties: Parties) -> None:
        """The same rows as _load_postgres, built in Python and inserted in chunks."""
        for n, group in enumerate(groups):
            status, _ = ORDERS[group.order]
            order_times_of = group.order_times()
            for start in range(1, group.count + 1, SQLITE_CHUNK):
                numbers = range(start, min(start + SQLITE_CHUNK, group.count + 1))
                orders = Order.objects.bulk_create(
                    [
                        Order(
                            order_no=f"{BENCH_ORDER_PREFIX}{n}-{g}",
                            buyer_id=_buyer(group, g, parties),
                            merchant_id=parties.merchant_id,
                            status=status,
                            city="杭州",
                            **{
                                k: group.anchor - timedelta(seconds=g % SPREAD_S) + v for k, v in order_times_of.items()
                            },
                        )
                        for g in numbers
                    ]
                )
                items = OrderItem.objects.bulk_create(
                    [
                        OrderItem(order_id=o.pk, product_id=parties.product_id, amount_paid_fen=ITEM_PRICE_FEN)
                        for o in orders
                    ]
                )
                if group.damage:
                    ServiceCommitment.objects.bulk_create(
                        [ServiceCommitment(order_item_id=i.pk, kind=ServiceKind.DAMAGE_GUARANTEE) for i in items]
                    )
                RefundRequest.objects.bulk_create(
                    [refund_row(group, g, parties, item.pk) for g, item in zip(numbers, items, strict=True)]
                )

    def _post_earlier_money(self, merchant_id: int, *, now: datetime) -> None:
        """The postings the services made before the deadlines the data set starts from: the platform's advance
        when each advanced return shipped (refund_ship_return), and the merchant's charge for every refund that
        already succeeded (refund_agree). Keys and amounts follow disputes.services.refunds.money."""
        ct = ContentType.objects.get_for_model(RefundRequest).pk
        stamp = connection.ops.adapt_datetimefield_value(now)
        columns = "amount, kind, idempotency_key, source_type_id, source_id, memo, occurred_at, created_at"
        refunds = _table(RefundRequest)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {_table(PlatformAdvanceEntry)} ({columns}, buyer_id, merchant_id)
                SELECT amount_fen, %s, 'refund:' || id || ':advance', %s, id, 'RF-' || id || ' instant refund advance',
                       return_shipped_at, %s, buyer_id, merchant_id
                FROM {refunds}
                WHERE merchant_id = %s AND advance_state IN (%s, %s)
                """,
                [
                    EntryKind.ADVANCE.value,
                    ct,
                    stamp,
                    merchant_id,
                    AdvanceState.ADVANCED.value,
                    AdvanceState.MERCHANT_REFUSED_GOODS.value,
                ],
            )
            cursor.execute(
                f"""
                INSERT INTO {_table(MerchantAccountEntry)} ({columns}, merchant_id)
                SELECT -amount_fen, %s, 'refund:' || id || ':refund', %s, id, 'RF-' || id || ' refund',
                       succeeded_at, %s, merchant_id
                FROM {refunds}
                WHERE merchant_id = %s AND state = %s AND refund_type IN (%s, %s) AND amount_fen > 0
                """,
                [
                    EntryKind.REFUND.value,
                    ct,
                    stamp,
                    merchant_id,
                    RefundState.SUCCESS.value,
                    *(t.value for t in MONEY_TYPES),
                ],
            )

    # Checks and cleanup

    def _duplicates(self, buyer_ids: list[int], merchant_id: int) -> int:
        """Keys used more than once in a ledger, plus per-refund postings beyond one per (refund, kind): a refund
        charged twice under two keys shows here even though the unique key cannot."""
        ct = ContentType.objects.get_for_model(RefundRequest)
        total = 0
        for model in LEDGER_MODELS:
            fields = {f.name for f in model._meta.concrete_fields}
            entries = model.objects.order_by()
            entries = (
                entries.filter(merchant_id=merchant_id)
                if "merchant" in fields
                else entries.filter(buyer_id__in=buyer_ids)
            )
            total += (
                entries.exclude(idempotency_key=None)
                .values("idempotency_key")
                .annotate(n=Count("id"))
                .filter(n__gt=1)
                .count()
            )
            once = entries.filter(source_type=ct, kind__in=ONCE_PER_REFUND_KINDS)
            total += once.count() - once.values("source_id", "kind").distinct().count()
        return total

    def _cleanup(self) -> int:
        """Delete every benchmark row; returns how many refund requests went."""
        return delete_benchmark_data(Marks(BENCH_MERCHANT, BENCH_USER_PREFIX), case_model=RefundRequest)
