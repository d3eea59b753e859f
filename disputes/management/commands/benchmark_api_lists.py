"""Benchmark of the API's lists at scale: one large merchant and one large buyer among many small ones, 1,000,000
help requests, 1,000,000 merchant account entries and 1,000,000 buyer points entries; then 200 requests of each
list for the large party and for a small one, walking pages by their `next` links, and one JSON line with p50/p95
(ms) and the queries per request of each.

The data set is loaded once and kept (a second run reuses it; --reload rebuilds it): run it on a database of its
own, on PostgreSQL, with the owner's DATABASE_URL."""

import json
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from disputes.choices import ServiceKind
from disputes.management.bench import settle
from disputes.models import (
    AnomalyKind,
    Buyer,
    BuyerPointsEntry,
    EntryKind,
    HelpRequest,
    HelpState,
    Merchant,
    MerchantAccountEntry,
    MerchantUser,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ServiceCommitment,
    Violation,
    ViolationKind,
    ViolationStatus,
)

MARK = "bench-lists"
SMALL = 200  # small merchants, and as many small buyers
ITEM_CASES = 100  # help requests per order item, over the year
PRICE_FEN = 300_000


@dataclass(frozen=True)
class Endpoint:
    name: str
    party: str  # "merchant" or "buyer"
    path: str


# Every list of the API a merchant's or a buyer's system pages through, and the filters that matter at scale.
ENDPOINTS = (
    Endpoint("merchant statement", "merchant", "/api/merchant/statement/"),
    Endpoint("merchant statement kind=refund", "merchant", "/api/merchant/statement/?kind=refund"),
    Endpoint("merchant statement one case", "merchant", "/api/merchant/statement/?case_type=help_request&case_id=5"),
    Endpoint("merchant account", "merchant", "/api/merchant/account/"),
    Endpoint("merchant penalties", "merchant", "/api/merchant/penalties/"),
    Endpoint("merchant violations", "merchant", "/api/merchant/violations/"),
    Endpoint("merchant violation points", "merchant", "/api/merchant/violations/points/"),
    Endpoint("merchant at-risk", "merchant", "/api/merchant/at-risk/"),
    Endpoint("buyer points", "buyer", "/api/buyer/points/"),
    Endpoint("buyer points entries", "buyer", "/api/buyer/points-entries/"),
    Endpoint("buyer order items", "buyer", "/api/buyer/order-items/"),
    Endpoint("merchant events", "merchant", "/api/merchant/events/"),
    # The case lists still page by offset and count the whole list (the scale issue's part).
    Endpoint("merchant help-requests", "merchant", "/api/merchant/help-requests/"),
    Endpoint("buyer help-requests", "buyer", "/api/buyer/help-requests/"),
)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rows", type=int, default=1_000_000, help="Rows of each table (help requests, ...).")
        parser.add_argument("--large-share", type=float, default=0.3, help="The large party's share of the rows.")
        parser.add_argument("--requests", type=int, default=200, help="Requests per list and party.")
        parser.add_argument("--reload", action="store_true", help="Delete and rebuild the data set.")
        parser.add_argument("--only", default="", help="Only the lists whose name contains this text.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("benchmark_api_lists loads with PostgreSQL's generate_series: set DATABASE_URL.")
        rows, share = options["rows"], options["large_share"]
        if rows < SMALL or not 0 < share < 1:
            raise CommandError(f"--rows is at least {SMALL} and --large-share between 0 and 1.")
        parties = self._parties()
        if parties is None or options["reload"]:
            started = time.perf_counter()
            self._delete()
            parties = self._load(rows, share)
            self.stdout.write(f"loaded {rows:,} rows of each table in {time.perf_counter() - started:.0f}s")
        results = {}
        # The rate limits are the one thing a client's 200 requests a list would meet that a merchant's system does
        # not: off while timing.
        unthrottled = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": dict.fromkeys(("token", "address", "anonymous")),
        }
        with override_settings(REST_FRAMEWORK=unthrottled):
            for endpoint in ENDPOINTS:
                if options["only"] and options["only"] not in endpoint.name:
                    continue
                for size in ("large", "small"):
                    token = parties[f"{endpoint.party}_{size}"]
                    results[f"{endpoint.name} ({size})"] = self._time(endpoint.path, token, options["requests"])
        self.stdout.write(json.dumps({"rows": rows, "large_share": share, "lists": results}, ensure_ascii=False))

    # Timing

    def _time(self, path: str, token: str, requests: int) -> dict[str, Any]:
        """`requests` GETs: the first page, then each page's `next`, back to the first page when a walk ends."""
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        timings, queries = [], []
        url: str | None = path
        statuses: set[int] = set()
        for _ in range(requests):
            target = url or path
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(target)
                timings.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured.captured_queries))
            statuses.add(response.status_code)
            body = response.json() if response.status_code == 200 else {}
            url = body.get("next") if isinstance(body, dict) else None
        timings.sort()
        return {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
            "queries": max(queries),
            "status": sorted(statuses),
        }

    # Data set

    def _parties(self) -> dict[str, str] | None:
        """The tokens of the large and a small merchant and buyer, if the data set is there."""
        users = {
            key: get_user_model().objects.filter(username=f"{MARK}-{key}").first()
            for key in ("merchant_large", "merchant_small", "buyer_large", "buyer_small")
        }
        if any(user is None for user in users.values()):
            return None
        return {key: Token.objects.get_or_create(user=user)[0].key for key, user in users.items()}

    def _delete(self) -> None:
        """Every row of an earlier load: the whole tables it filled (the database is the benchmark's own)."""
        tables = [
            BuyerPointsEntry,
            MerchantAccountEntry,
            Violation,
            HelpRequest,
            ServiceCommitment,
            OrderItem,
            Order,
            Product,
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            merchants = f"SELECT id FROM {_table(Merchant)} WHERE shop_name LIKE %s"
            if Merchant.objects.exclude(shop_name__startswith=MARK).exists():
                raise CommandError("This database holds other merchants: give the benchmark a database of its own.")
            if not Merchant.objects.filter(shop_name__startswith=MARK).exists():
                return
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no trigger event pending when ALTER TABLE runs
            for model in tables:
                cursor.execute(f"ALTER TABLE {_table(model)} DISABLE TRIGGER USER")
                cursor.execute(f"DELETE FROM {_table(model)}")
                cursor.execute(f"ALTER TABLE {_table(model)} ENABLE TRIGGER USER")
            cursor.execute(f"DELETE FROM {_table(MerchantUser)} WHERE merchant_id IN ({merchants})", [f"{MARK}%"])
            cursor.execute(f"DELETE FROM {_table(Merchant)} WHERE shop_name LIKE %s", [f"{MARK}%"])
            cursor.execute(f"DELETE FROM {_table(Buyer)} WHERE nickname LIKE %s", [f"{MARK}%"])
            users = f"SELECT id FROM {_table(get_user_model())} WHERE username LIKE %s"
            cursor.execute(f"DELETE FROM {_table(Token)} WHERE user_id IN ({users})", [f"{MARK}%"])
            cursor.execute(f"DELETE FROM {_table(get_user_model())} WHERE username LIKE %s", [f"{MARK}%"])
        settle(tables, stdout=self.stdout, checkpoint=False)

    def _load(self, rows: int, share: float) -> dict[str, str]:
        now = timezone.now()
        user_model = get_user_model()
        with transaction.atomic():
            merchants = Merchant.objects.bulk_create(
                Merchant(shop_name=f"{MARK} {n}", return_contact="bench", return_phone="000", return_address="-")
                for n in range(SMALL + 1)
            )
            buyer_users = user_model.objects.bulk_create(
                user_model(username=f"{MARK}-buyer-{n}", password="!") for n in range(SMALL + 1)
            )
            buyers = Buyer.objects.bulk_create(
                Buyer(user=user, nickname=f"{MARK} buyer {n}", phone=f"1990{n:07d}")
                for n, user in enumerate(buyer_users)
            )
            products = Product.objects.bulk_create(
                Product(merchant=m, title="bench sofa", category_path="家装大件/家具", price_fen=PRICE_FEN)
                for m in merchants
            )
            # Party n is buyer n at merchant n (the large ones are number 0), with an order item per ITEM_CASES of its
            # cases: a case belongs to an item, and an item has few cases, as the rules make it.
            large = int(rows * share)
            counts = [max(1, large // ITEM_CASES)] + [max(1, (rows - large) // SMALL // ITEM_CASES)] * SMALL
            orders = Order.objects.bulk_create(
                Order(
                    order_no=f"{MARK}-{n}-{k}",
                    buyer=buyers[n],
                    merchant=merchants[n],
                    status=OrderStatus.SIGNED,
                    city="杭州",
                    paid_at=now - timedelta(days=5),
                    shipped_at=now - timedelta(days=4),
                    signed_at=now - timedelta(days=3),
                )
                for n in range(SMALL + 1)
                for k in range(counts[n])
            )
            owners = [n for n in range(SMALL + 1) for _ in range(counts[n])]
            items = OrderItem.objects.bulk_create(
                OrderItem(order=order, product=products[owners[i]], amount_paid_fen=PRICE_FEN)
                for i, order in enumerate(orders)
            )
            ServiceCommitment.objects.bulk_create(
                ServiceCommitment(order_item=item, kind=ServiceKind.DELIVERY_AND_INSTALL) for item in items
            )
            keys = {}
            for key, index in (("large", 0), ("small", 1)):
                merchant_user = user_model.objects.create(username=f"{MARK}-merchant_{key}", password="!")
                MerchantUser.objects.create(user=merchant_user, merchant=merchants[index])
                keys[f"merchant_{key}"] = merchant_user
                buyer_user = buyer_users[index]
                buyer_user.username = f"{MARK}-buyer_{key}"
                buyer_user.save(update_fields=["username"])
                keys[f"buyer_{key}"] = buyer_user
            starts = [sum(counts[:n]) for n in range(SMALL + 1)]
            self._load_rows(rows, share, [i.pk for i in items], starts, counts, now)
        settle((HelpRequest, Violation, MerchantAccountEntry, BuyerPointsEntry), stdout=self.stdout, checkpoint=True)
        return {key: Token.objects.get_or_create(user=user)[0].key for key, user in keys.items()}

    def _load_rows(
        self, rows: int, share: float, item_ids: list[int], starts: list[int], counts: list[int], now: Any
    ) -> None:
        """Row g belongs to party 0 (the large one) for `share` of the rows spread evenly, else to 1 + g % SMALL, and
        to one of its party's order items. Times spread evenly over the past year; the requests of the last three
        days are open (dispatched), the older ones closed."""
        # 1-based index into the arrays of parties: exactly floor(rows * share) rows are the large party's.
        party = f"(CASE WHEN floor(g * {share}) <> floor((g - 1) * {share}) THEN 1 ELSE 2 + g % {SMALL} END)"
        help_ct = ContentType.objects.get_for_model(HelpRequest).pk
        common = {
            "items": item_ids,
            "starts": starts,
            "counts": counts,
            "rows": rows,
            "now": now,
            "price": PRICE_FEN,
            "step": 365 * 86400 / rows,
        }
        item = f"(%(items)s::bigint[])[1 + (%(starts)s::int[])[{party}] + (g / 7) % (%(counts)s::int[])[{party}]]"
        owners = f"""(SELECT o.buyer_id, o.merchant_id, i.id AS item_id FROM {_table(OrderItem)} i
                      JOIN {_table(Order)} o ON o.id = i.order_id WHERE i.id = {item})"""
        statements = [
            f"""
            INSERT INTO {_table(HelpRequest)} (order_item_id, buyer_id, merchant_id, service_kind, anomaly_kind,
                description, item_price_fen, state, raised_at, dispatch_at, dispatched_at, solution_due_at,
                resolution_due_at, solution_text, resolution_note, objection_text, followup_note)
            SELECT p.item_id, p.buyer_id, p.merchant_id, '{ServiceKind.DELIVERY_AND_INSTALL.value}',
                   '{AnomalyKind.NOT_PERFORMED.value}', 'benchmark request', %(price)s,
                   CASE WHEN t.at > %(now)s::timestamptz - interval '3 days' THEN '{HelpState.DISPATCHED.value}'
                        ELSE '{HelpState.CLOSED.value}' END,
                   t.at, t.at + interval '5 minutes', t.at + interval '5 minutes', t.at + interval '65 minutes',
                   t.at + interval '48 hours', '', '', '', ''
            FROM generate_series(1, %(rows)s) AS g
            CROSS JOIN LATERAL (SELECT %(now)s::timestamptz - g * %(step)s * interval '1 second' AS at) AS t
            CROSS JOIN LATERAL {owners} AS p""",
            f"""
            INSERT INTO {_table(Violation)} (merchant_id, buyer_id, kind, help_request_id, deadline, idempotency_key,
                occurred_at, status, score_points, compensation_points, penalty_basis, note, decision_reason,
                appeal_reason, appeal_decision_reason, created_at)
            SELECT h.merchant_id, h.buyer_id, '{ViolationKind.BREACH_OF_PROMISE.value}', h.id, 'solution',
                   'bench:' || h.id, h.solution_due_at,
                   CASE WHEN h.id % 3 = 0 THEN '{ViolationStatus.COUNTED.value}'
                        ELSE '{ViolationStatus.NOT_COUNTED.value}' END,
                   4, 5000, 'fixed', '', '', '', '', h.solution_due_at
            FROM {_table(HelpRequest)} h WHERE h.id % 5 = 0""",
            f"""
            INSERT INTO {_table(MerchantAccountEntry)} (merchant_id, amount, kind, idempotency_key, source_type_id,
                source_id, memo, occurred_at, created_at)
            SELECT h.merchant_id, CASE WHEN h.id % 5 = 0 THEN -5000 ELSE -(h.id % 9000) - 100 END,
                   CASE WHEN h.id % 5 = 0 THEN '{EntryKind.HELP_SOLUTION_PENALTY.value}'
                        ELSE '{EntryKind.REFUND.value}' END,
                   'bench:m:' || h.id, {help_ct}, h.id, 'benchmark', h.raised_at, h.raised_at
            FROM {_table(HelpRequest)} h""",
            f"""
            INSERT INTO {_table(BuyerPointsEntry)} (buyer_id, amount, kind, idempotency_key, source_type_id,
                source_id, memo, occurred_at, created_at)
            SELECT h.buyer_id, 5000, '{EntryKind.HELP_SOLUTION_PENALTY.value}', 'bench:b:' || h.id, {help_ct}, h.id,
                   'benchmark', h.raised_at, h.raised_at
            FROM {_table(HelpRequest)} h""",
        ]
        with connection.cursor() as cursor:
            for sql in statements:
                started = time.perf_counter()
                cursor.execute(sql.replace("%", "%%").replace("%%(", "%("), common)
                self.stdout.write(f"  {cursor.rowcount:,} rows in {time.perf_counter() - started:.0f}s")
