"""Benchmark of the refund sweep: load refunds due on every timeout, time one sweep with them due and one with none."""

import json
import math
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from disputes import policies as policy_table
from disputes.choices import CreditRating, ServiceKind
from disputes.management.bench import Marks, delete_benchmark_data, settle

# Benchmark rows are found by these marks, so cleanup never touches anything else.
from disputes.management.refund_bench_data import (
    AMOUNT_STEP_FEN,
    AMOUNT_STEPS,
    BENCH_MERCHANT,
    BENCH_ORDER_PREFIX,
    BENCH_USER_PREFIX,
    ITEM_PRICE_FEN,
    ONCE_PER_REFUND_KINDS,
    ORDERS,
    PLAIN_BUYERS,
    REFUND_TIMES,
    SPREAD_S,
    SQLITE_CHUNK,
    TABLES,
    Group,
    Parties,
    advance_row_count,
    buyer_for,
    define_groups,
    refund_row,
    table_name,
)
from disputes.models import (
    LEDGER_MODELS,
    MONEY_TYPES,
    AdvanceState,
    Buyer,
    EntryKind,
    Event,
    Merchant,
    MerchantAccountEntry,
    Order,
    OrderItem,
    PlatformAdvanceEntry,
    Product,
    RefundRequest,
    RefundState,
    ServiceCommitment,
)
from disputes.policies import PolicySnapshot
from disputes.services.refunds.sweep import refund_sweep


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

        events_before = Event.objects.count()
        started = time.perf_counter()
        result = refund_sweep()
        sweep_s = time.perf_counter() - started
        self.stdout.write(f"sweep: {json.dumps(result.as_dict())}")
        started = time.perf_counter()
        empty = refund_sweep()
        empty_sweep_s = time.perf_counter() - started
        self.stdout.write(f"second sweep: {json.dumps(empty.as_dict())}")
        duplicates = self._duplicates(parties.all_buyer_ids, parties.merchant_id)

        events = Event.objects.count() - events_before  # written by the two sweeps, with their changes
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
                    "events": events,
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
                INSERT INTO {table_name(Order)} (
                    order_no, buyer_id, merchant_id, status, city, address, paid_at, shipped_at, signed_at
                )
                SELECT %(prefix)s::text || g, buyer_id, %(merchant)s, %(order_status)s, '杭州', '', {order_times}
                FROM src
                RETURNING id, order_no
            ),
            i AS (
                INSERT INTO {table_name(OrderItem)} (
                    order_id, product_id, quantity, amount_paid_fen, seven_day_excluded_by_buyer
                )
                SELECT id, %(product)s, 1, %(price)s, false FROM o
                RETURNING id, order_id
            ),
            c AS (
                INSERT INTO {table_name(ServiceCommitment)} (order_item_id, kind)
                SELECT id, %(damage_kind)s FROM i WHERE %(damage)s
            )
            INSERT INTO {table_name(RefundRequest)} (
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
                        # psycopg sends a timedelta as an interval; the stubs' list of SQL parameter types omits it.
                        **{f"o_{k}": order_times_of.get(k) for k in ("paid_at", "shipped_at", "signed_at")},  # type: ignore[misc]
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
                        **{f"r_{k}": group.times.get(k) for k in REFUND_TIMES},  # type: ignore[misc]  # intervals, as above
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
                            buyer_id=buyer_for(group, g, parties),
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
        refunds = table_name(RefundRequest)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table_name(PlatformAdvanceEntry)} ({columns}, buyer_id, merchant_id)
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
                INSERT INTO {table_name(MerchantAccountEntry)} ({columns}, merchant_id)
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
            # The account column depends on the ledger (a merchant's, or a buyer's), so the lookup is built here.
            account = Q(merchant_id=merchant_id) if "merchant" in fields else Q(buyer_id__in=buyer_ids)
            entries = model.objects.order_by().filter(account)
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
