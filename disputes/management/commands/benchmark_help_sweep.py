"""Benchmark of the one-click help sweep: load many open requests, time a sweep with some due and one with none."""

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes import sla
from disputes.choices import ServiceKind
from disputes.management.bench import Marks, delete_benchmark_data, settle
from disputes.models import (
    LEDGER_MODELS,
    AnomalyKind,
    Buyer,
    BuyerPointsEntry,
    EntryKind,
    Event,
    ForceMajeureClaim,
    ForceMajeureEvidence,
    HelpRequest,
    HelpState,
    Merchant,
    MerchantAccountEntry,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ServiceCommitment,
    Violation,
)
from disputes.services.help_sweep import help_sweep

# Benchmark rows are found by these marks, so cleanup never touches anything else.
BENCH_MERCHANT = "bench-merchant"
BENCH_USER_PREFIX = "bench-buyer-"
BENCH_ORDER_PREFIX = "BENCH-"
BUYERS = 8
ITEM_PRICE_FEN = 300_000
SQLITE_CHUNK = 5000
# The tables a load fills and a cleanup empties: vacuumed after each (disputes.management.bench.settle).
TABLES = (HelpRequest, Violation, StateLog, Event, *LEDGER_MODELS)
PENALTY_KINDS = (EntryKind.HELP_SOLUTION_PENALTY, EntryKind.HELP_RESOLUTION_PENALTY)


@dataclass(frozen=True)
class Group:
    """A slice of the benchmark's requests that share a state and a deadline pattern."""

    count: int
    state: str
    raised_at: datetime
    has_solution_due: bool
    solution_given: bool
    spread_s: int  # rows are raised up to this many seconds after raised_at


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class Command(BaseCommand):
    help = (
        "Build a benchmark data set of one-click help requests in the configured database, time help_sweep() "
        "with some due and again with none due, and print one JSON line. help_sweep() applies every due row "
        "in the database, so run it on a database of its own."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--requests", type=int, default=1_000_000, help="Total help requests to load.")
        parser.add_argument(
            "--solution-due", type=int, default=10_000, help="Requests whose 1-hour deadline has passed."
        )
        parser.add_argument(
            "--resolution-due", type=int, default=10_000, help="Requests whose 48-hour deadline has passed."
        )
        parser.add_argument("--keep", action="store_true", help="Leave the benchmark data in place afterwards.")

    def handle(self, *args: Any, **options: Any) -> None:
        total, solution_due, resolution_due = options["requests"], options["solution_due"], options["resolution_due"]
        if min(total, solution_due, resolution_due) < 0 or solution_due + resolution_due > total:
            raise CommandError("Need 0 <= --solution-due + --resolution-due <= --requests.")
        postgres = connection.vendor == "postgresql"
        if not postgres:
            self.stdout.write(
                f"note: {connection.vendor} has no generate_series; loading with bulk_create in chunks "
                "(only sensible for small --requests)."
            )
        removed = self._cleanup()
        settle(TABLES, stdout=self.stdout, checkpoint=False)
        if removed:
            self.stdout.write(f"removed previous benchmark data: {removed} help requests")

        started = time.perf_counter()
        buyer_ids, item_ids, merchant_id = self._build_parties()
        groups = self._groups(total, solution_due, resolution_due)
        with transaction.atomic():
            if postgres:
                self._load_postgres(groups, buyer_ids, item_ids, merchant_id)
            else:
                self._load_bulk(groups, buyer_ids, item_ids, merchant_id)
        settle(TABLES, stdout=self.stdout, checkpoint=True)
        self.stdout.write(f"loaded {total} help requests in {time.perf_counter() - started:.1f}s")

        events_before = Event.objects.count()
        started = time.perf_counter()
        result = help_sweep()
        sweep_s = time.perf_counter() - started
        self.stdout.write(f"sweep: {json.dumps(result.as_dict())}")
        started = time.perf_counter()
        empty = help_sweep()
        empty_sweep_s = time.perf_counter() - started
        self.stdout.write(f"second sweep: {json.dumps(empty.as_dict())}")
        duplicates = self._duplicates(buyer_ids, merchant_id)

        events = Event.objects.count() - events_before  # written by the two sweeps, with their changes
        if not options["keep"]:
            self._cleanup()
            settle(TABLES, stdout=self.stdout, checkpoint=False)
        self.stdout.write(
            json.dumps(
                {
                    "requests": total,
                    "due": solution_due + resolution_due,
                    "sweep_s": round(sweep_s, 4),
                    "empty_sweep_s": round(empty_sweep_s, 4),
                    "credits": result.credits,
                    "duplicates": duplicates,
                    "events": events,
                }
            )
        )

    # Data set

    def _build_parties(self) -> tuple[list[int], list[int], int]:
        """A merchant, a product and a few buyers with one eligible order item each, reused by every request."""
        now = timezone.now()
        with transaction.atomic():
            merchant = Merchant.objects.create(
                shop_name=BENCH_MERCHANT,
                return_contact="bench",
                return_phone="000",
                return_address="benchmark",
            )
            product = Product.objects.create(
                merchant=merchant, title="bench sofa", category_path="家装大件/家具", price_fen=ITEM_PRICE_FEN
            )
            buyer_ids, item_ids = [], []
            for n in range(BUYERS):
                user = get_user_model().objects.create(username=f"{BENCH_USER_PREFIX}{n}", password="!")
                buyer = Buyer.objects.create(user=user, nickname=f"bench buyer {n}", phone=f"1990000{n:04d}")
                order = Order.objects.create(
                    order_no=f"{BENCH_ORDER_PREFIX}{n}",
                    buyer=buyer,
                    merchant=merchant,
                    status=OrderStatus.SIGNED,
                    city="杭州",
                    paid_at=now - timedelta(days=5),
                    shipped_at=now - timedelta(days=4),
                    signed_at=now - timedelta(days=3),
                )
                item = OrderItem.objects.create(order=order, product=product, amount_paid_fen=ITEM_PRICE_FEN)
                ServiceCommitment.objects.create(order_item=item, kind=ServiceKind.DELIVERY_AND_INSTALL)
                buyer_ids.append(buyer.pk)
                item_ids.append(item.pk)
        return buyer_ids, item_ids, merchant.pk

    def _groups(self, total: int, solution_due: int, resolution_due: int) -> list[Group]:
        """Split the requests: 1-hour deadline passed, 48-hour deadline passed, and nothing due yet."""
        policies = policy_table.load("help.")
        now = timezone.now()
        window_start = policies.clock("help.window_start")
        solution_sla = policies.duration("help.solution_sla")
        resolution_sla = policies.duration("help.resolution_sla")
        spread = 300
        # The latest moment at the window's opening whose 1-hour deadline (plus the spread) has passed:
        # raised inside the window, so the deadline is real, and within the last day, so the 48-hour one is not.
        beijing_now = timezone.localtime(now, sla.BEIJING)
        opening = beijing_now.replace(hour=window_start.hour, minute=window_start.minute, second=0, microsecond=0)
        if opening + solution_sla + timedelta(seconds=spread + 60) > now:
            opening -= timedelta(days=1)
        # Raised one resolution period before that opening: the 48-hour deadline has passed too.
        long_ago = opening - resolution_sla
        recent = now - timedelta(minutes=5)
        recent_has_due = sla.in_business_window(recent, start=window_start, end=policies.clock("help.window_end"))
        rest = total - solution_due - resolution_due
        return [
            Group(solution_due, HelpState.DISPATCHED, opening, True, False, spread),
            # A solution was given in time, so only the 48-hour rule applies to these.
            Group(resolution_due, HelpState.SOLUTION_GIVEN, long_ago, True, True, spread),
            Group(rest // 2, HelpState.DISPATCHED, recent, recent_has_due, False, 1),
            Group(rest - rest // 2, HelpState.SOLUTION_GIVEN, recent, recent_has_due, True, 1),
        ]

    def _timings(self) -> dict[str, timedelta]:
        policies = policy_table.load("help.")
        return {
            "cancel": policies.duration("help.cancel_window"),
            "solution_sla": policies.duration("help.solution_sla"),
            "resolution_sla": policies.duration("help.resolution_sla"),
            # Well before the 1-hour deadline, and never after the request was raised plus the window.
            "given_after": policies.duration("help.cancel_window") + timedelta(minutes=1),
        }

    def _load_postgres(self, groups: list[Group], buyer_ids: list[int], item_ids: list[int], merchant_id: int) -> None:
        """Set-based load: one INSERT ... SELECT FROM generate_series per group."""
        timings = self._timings()
        sql = f"""
            INSERT INTO {_table(HelpRequest)} (
                order_item_id, buyer_id, merchant_id, provider_id, service_kind, anomaly_kind, description,
                item_price_fen, state, raised_at, dispatch_at, dispatched_at, solution_due_at, resolution_due_at,
                solution_text, solution_given_at, resolution_note, objection_text, followup_note
            )
            SELECT
                (%(items)s::bigint[])[1 + g %% %(n)s],
                (%(buyers)s::bigint[])[1 + g %% %(n)s],
                %(merchant)s, NULL, %(kind)s, %(anomaly)s, 'benchmark request', %(price)s, %(state)s,
                r.raised_at,
                r.raised_at + %(cancel)s,
                r.raised_at + %(cancel)s,
                CASE WHEN %(has_due)s THEN r.raised_at + %(solution_sla)s END,
                r.raised_at + %(resolution_sla)s,
                CASE WHEN %(given)s THEN 'benchmark solution' ELSE '' END,
                CASE WHEN %(given)s THEN r.raised_at + %(given_after)s END,
                '', '', ''
            FROM generate_series(1, %(count)s) AS g
            CROSS JOIN LATERAL (
                SELECT %(raised)s::timestamptz + (g %% %(spread)s) * interval '1 second' AS raised_at
            ) AS r
        """
        with connection.cursor() as cursor:
            for group in groups:
                if group.count:
                    cursor.execute(
                        sql,
                        {
                            # psycopg sends a timedelta as an interval; the stubs' list of SQL parameter types omits it.
                            **timings,  # type: ignore[dict-item]
                            "items": item_ids,
                            "buyers": buyer_ids,
                            "n": len(item_ids),
                            "merchant": merchant_id,
                            "kind": ServiceKind.DELIVERY_AND_INSTALL.value,
                            "anomaly": AnomalyKind.NOT_PERFORMED.value,
                            "price": ITEM_PRICE_FEN,
                            "state": group.state,
                            "has_due": group.has_solution_due,
                            "given": group.solution_given,
                            "count": group.count,
                            "raised": group.raised_at,
                            "spread": group.spread_s,
                        },
                    )

    def _load_bulk(self, groups: list[Group], buyer_ids: list[int], item_ids: list[int], merchant_id: int) -> None:
        """The same rows as _load_postgres, built in Python and inserted in chunks."""
        timings = self._timings()
        chunk: list[HelpRequest] = []
        for group in groups:
            for g in range(1, group.count + 1):
                raised = group.raised_at + timedelta(seconds=g % group.spread_s)
                chunk.append(
                    HelpRequest(
                        order_item_id=item_ids[g % len(item_ids)],
                        buyer_id=buyer_ids[g % len(buyer_ids)],
                        merchant_id=merchant_id,
                        service_kind=ServiceKind.DELIVERY_AND_INSTALL,
                        anomaly_kind=AnomalyKind.NOT_PERFORMED,
                        description="benchmark request",
                        item_price_fen=ITEM_PRICE_FEN,
                        state=group.state,
                        raised_at=raised,
                        dispatch_at=raised + timings["cancel"],
                        dispatched_at=raised + timings["cancel"],
                        solution_due_at=raised + timings["solution_sla"] if group.has_solution_due else None,
                        resolution_due_at=raised + timings["resolution_sla"],
                        solution_text="benchmark solution" if group.solution_given else "",
                        solution_given_at=raised + timings["given_after"] if group.solution_given else None,
                    )
                )
                if len(chunk) >= SQLITE_CHUNK:
                    HelpRequest.objects.bulk_create(chunk)
                    chunk = []
        HelpRequest.objects.bulk_create(chunk)

    # Checks and cleanup

    def _duplicates(self, buyer_ids: list[int], merchant_id: int) -> int:
        """Keys credited more than once, plus penalty entries beyond one per (request, rule), on both ledgers."""
        buyer_entries = BuyerPointsEntry.objects.filter(buyer_id__in=buyer_ids).order_by()
        repeated_keys = (
            buyer_entries.exclude(idempotency_key=None)
            .values("idempotency_key")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        extra = 0
        for entries in (buyer_entries, MerchantAccountEntry.objects.filter(merchant_id=merchant_id).order_by()):
            penalties = entries.filter(kind__in=PENALTY_KINDS)
            extra += penalties.count() - penalties.values("source_id", "kind").distinct().count()
        return repeated_keys + extra

    def _cleanup(self) -> int:
        """Delete every benchmark row; returns how many help requests went."""
        marks = Marks(BENCH_MERCHANT, BENCH_USER_PREFIX)
        requests = marks.cases(HelpRequest)
        claims = f"SELECT id FROM {_table(ForceMajeureClaim)} WHERE help_request_id IN ({requests})"

        def before_requests(cursor: Any) -> None:
            cursor.execute(f"DELETE FROM {_table(Violation)} WHERE merchant_id IN ({marks.merchants})", marks.m)
            cursor.execute(f"DELETE FROM {_table(ForceMajeureEvidence)} WHERE claim_id IN ({claims})", marks.m)
            cursor.execute(f"DELETE FROM {_table(ForceMajeureClaim)} WHERE help_request_id IN ({requests})", marks.m)

        return delete_benchmark_data(marks, case_model=HelpRequest, before_cases=before_requests)
