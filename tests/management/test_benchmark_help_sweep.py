"""benchmark_help_sweep: builds valid due rows, reports credits and duplicates honestly, cleans up after itself."""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from disputes.management.commands.benchmark_help_sweep import BENCH_MERCHANT, Command
from disputes.models import (
    Buyer,
    BuyerPointsEntry,
    EntryKind,
    HelpRequest,
    HelpState,
    Merchant,
    MerchantAccountEntry,
    Violation,
)
from disputes.services.help_sweep import help_sweep
from disputes.services.ledger import ledger_post
from disputes.sla import in_business_window

# Benchmarks clean up their ledger rows as the owner of the tables; CI runs these as the owner role.
pytestmark = pytest.mark.database_owner

BJ = ZoneInfo("Asia/Shanghai")
SMALL = ("--requests", "200", "--solution-due", "20", "--resolution-due", "10")


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("benchmark_help_sweep", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def sweep_line(lines: list[str], label: str) -> dict[str, int]:
    (line,) = [x for x in lines if x.startswith(f"{label}: ")]
    return json.loads(line.removeprefix(f"{label}: "))


# Before the window opens, inside it, and after it closes: the data set must come out the same.
@pytest.mark.parametrize("clock", [(7, 30), (12, 0), (21, 15)])
@pytest.mark.django_db
def test_small_run_prints_json_last(clock):
    with time_machine.travel(datetime(2026, 3, 4, *clock, tzinfo=BJ), tick=True):
        lines = run(*SMALL)
    report = json.loads(lines[-1])
    assert report["requests"] == 200
    assert report["due"] == 30
    assert report["credits"] == 30
    assert report["duplicates"] == 0
    assert report["sweep_s"] >= 0 and report["empty_sweep_s"] >= 0
    assert sweep_line(lines, "sweep")["solution_misses"] == 20
    assert sweep_line(lines, "sweep")["resolution_misses"] == 10
    assert sweep_line(lines, "second sweep")["credits"] == 0
    # Without --keep nothing of the benchmark is left.
    assert not Merchant.objects.filter(shop_name=BENCH_MERCHANT).exists()
    assert not HelpRequest.objects.exists()
    assert not BuyerPointsEntry.objects.exists()
    assert not Violation.objects.exists()
    assert not Buyer.objects.exists()


@pytest.mark.parametrize("clock", [(12, 0), (21, 15)])
@pytest.mark.django_db
def test_keep_leaves_valid_rows_and_a_further_sweep_credits_nothing(clock):
    start = datetime(2026, 3, 4, *clock, tzinfo=BJ)
    with time_machine.travel(start, tick=True):
        run(*SMALL, "--keep")
    requests = HelpRequest.objects.all()
    assert requests.count() == 200
    assert requests.filter(solution_breached_at__isnull=False).count() == 20
    assert requests.filter(resolution_breached_at__isnull=False, state=HelpState.SOLUTION_GIVEN).count() == 10
    for request in requests:
        assert request.dispatch_at == request.dispatched_at == request.raised_at + timedelta(seconds=10)
        assert request.resolution_due_at == request.raised_at + timedelta(hours=48)
        # A 1-hour deadline exactly when raised 09:00-18:00 Beijing, as help_request_raise would set it.
        if in_business_window(request.raised_at):
            assert request.solution_due_at == request.raised_at + timedelta(hours=1)
        else:
            assert request.solution_due_at is None
        if request.state == HelpState.SOLUTION_GIVEN:
            assert request.solution_text
            assert (
                request.raised_at < request.solution_given_at <= (request.solution_due_at or request.resolution_due_at)
            )
        else:
            assert request.solution_given_at is None
    # 1-hour misses pay 5,000; the 48-hour ones on 送货入户并安装 answered in time pay "late", 5,000.
    assert sorted(set(BuyerPointsEntry.objects.values_list("kind", "amount"))) == [
        (EntryKind.HELP_RESOLUTION_PENALTY, 5000),
        (EntryKind.HELP_SOLUTION_PENALTY, 5000),
    ]
    assert BuyerPointsEntry.objects.count() == 30
    assert MerchantAccountEntry.objects.count() == 30
    with time_machine.travel(start + timedelta(minutes=1), tick=True):
        assert help_sweep().credits == 0
        # A second run removes the kept data first and builds the same set again.
        report = json.loads(run(*SMALL)[-1])
    assert report["credits"] == 30
    assert not HelpRequest.objects.exists()


@pytest.mark.django_db
def test_duplicates_count_a_real_second_penalty():
    run(*SMALL, "--keep")
    merchant = Merchant.objects.get(shop_name=BENCH_MERCHANT)
    buyer_ids = list(Buyer.objects.values_list("id", flat=True))
    assert Command()._duplicates(buyer_ids, merchant.pk) == 0
    paid = BuyerPointsEntry.objects.filter(kind=EntryKind.HELP_SOLUTION_PENALTY).first()
    request = HelpRequest.objects.get(pk=paid.source_id)
    # The same penalty credited again under another key: what a broken idempotency key would do.
    ledger_post(
        model=BuyerPointsEntry,
        amount=5000,
        kind=EntryKind.HELP_SOLUTION_PENALTY,
        idempotency_key="bogus-second-key",
        actor=None,
        source=request,
        buyer_id=paid.buyer_id,
    )
    assert Command()._duplicates(buyer_ids, merchant.pk) == 1


@pytest.mark.django_db
def test_rejects_impossible_counts():
    with pytest.raises(CommandError):
        run("--requests", "10", "--solution-due", "8", "--resolution-due", "5")
