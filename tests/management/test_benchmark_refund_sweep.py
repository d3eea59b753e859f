"""benchmark_refund_sweep: builds rows the refund services would have written, reports credits and duplicates
honestly, cleans up after itself."""

import json
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes.choices import ServiceKind
from disputes.management.commands.benchmark_refund_sweep import BENCH_MERCHANT, BENCH_USER_PREFIX, Command
from disputes.models import (
    MONEY_TYPES,
    RETURN_TYPES,
    AdvanceState,
    Buyer,
    BuyerPointsEntry,
    DueAction,
    EntryKind,
    Merchant,
    MerchantAccountEntry,
    Order,
    OrderItem,
    PlatformAdvanceEntry,
    Product,
    RefundReason,
    RefundRequest,
    RefundState,
    RefundType,
    ServiceCommitment,
)
from disputes.services.ledger import ledger_post
from disputes.services.refunds.common import next_deadline
from disputes.services.refunds.money import RefundRow, advance_paid, refund_key, refund_paid
from disputes.services.refunds.sweep import refund_sweep
from tests import factories as f

# Benchmarks clean up their ledger rows as the owner of the tables; CI runs these as the owner role.
pytestmark = pytest.mark.database_owner

SMALL = ("--requests", "300", "--due", "60")
# The data set's definition at 300/60: the 60 due rows go over eleven kinds, the first five get 6 and the
# other six get 5 (unshipped pay 6, shipped pay 6, damage pay 6, return agree 6, buyer-return close 6,
# confirm pay 5, confirm signed pay 5, confirm advanced pay 5, exchange/repair received 5, refused close 5,
# refused-goods close 5). The other 240 go over seven kinds: 35, 35, then 34 each (unshipped refund-only
# waiting, return waiting, buyer's return, merchant confirming, refused, success, cancelled).
PAY_ROWS = 6 + 6 + 6 + 5 + 5 + 5
DAMAGE_ROWS = 6
# result.credits counts every new merchant charge: the refund, and on a damage claim also the penalty.
EXPECTED_CREDITS = PAY_ROWS + DAMAGE_ROWS
EXPECTED_SWEEP = {
    "paid": PAY_ROWS,
    "agreed": 6,
    "closed": 6 + 5 + 5,
    "received": 5,
    "revoked": 0,
    "credits": EXPECTED_CREDITS,
    "notices": 5,
}
FUTURE_SUCCESS = 34


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("benchmark_refund_sweep", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def sweep_line(lines: list[str], label: str) -> dict[str, int]:
    (line,) = [x for x in lines if x.startswith(f"{label}: ")]
    return json.loads(line.removeprefix(f"{label}: "))


def assert_no_benchmark_rows() -> None:
    assert not Merchant.objects.filter(shop_name=BENCH_MERCHANT).exists()
    assert not get_user_model().objects.filter(username__startswith=BENCH_USER_PREFIX).exists()
    for model in (RefundRequest, Order, OrderItem, ServiceCommitment, Product, Buyer):
        assert not model.objects.exists(), model
    for model in (BuyerPointsEntry, MerchantAccountEntry, PlatformAdvanceEntry):
        assert not model.objects.exists(), model
    assert not StateLog.objects.filter(content_type=ContentType.objects.get_for_model(RefundRequest)).exists()


@pytest.mark.django_db
def test_small_run_prints_json_last_and_cleans_up():
    lines = run(*SMALL)
    report = json.loads(lines[-1])
    assert report["requests"] == 300
    assert report["due"] == 60
    assert report["credits"] == EXPECTED_CREDITS
    assert report["duplicates"] == 0
    assert report["sweep_s"] >= 0 and report["empty_sweep_s"] >= 0
    assert sweep_line(lines, "sweep") == EXPECTED_SWEEP
    assert sweep_line(lines, "second sweep") == dict.fromkeys(EXPECTED_SWEEP, 0)
    # Without --keep nothing of the benchmark is left.
    assert_no_benchmark_rows()


@pytest.mark.django_db
def test_keep_leaves_the_swept_rows_and_their_money():
    run(*SMALL, "--keep")
    states = Counter(RefundRequest.objects.values_list("state", flat=True))
    assert states == {
        RefundState.SUCCESS: PAY_ROWS + FUTURE_SUCCESS,
        RefundState.WAIT_BUYER_RETURN: 6 + 34,  # agreed by the sweep, plus those already waiting
        RefundState.CLOSED: 16 + 34,  # closed by the sweep, plus the buyers' cancellations
        RefundState.WAIT_SELLER_RESHIP: 5,
        RefundState.WAIT_SELLER_AGREE: 35 + 35,
        RefundState.WAIT_SELLER_CONFIRM: 34,
        RefundState.SELLER_REFUSED: 34,
    }
    charges = MerchantAccountEntry.objects.filter(kind=EntryKind.REFUND)
    # One charge per refund paid by the sweep, plus those posted for refunds that had succeeded before.
    assert charges.count() == PAY_ROWS + FUTURE_SUCCESS
    assert charges.values("source_id").distinct().count() == PAY_ROWS + FUTURE_SUCCESS
    for charge in charges:
        assert charge.amount == -RefundRequest.objects.get(pk=charge.source_id).amount_fen
    # Damage claims of 150, 100, 50, 200, 150, 100 元: 20 % each, all between the 5 元 floor and the 50 元 cap.
    penalties = [1000, 2000, 2000, 3000, 3000, 4000]
    assert sorted(BuyerPointsEntry.objects.filter(kind=EntryKind.DAMAGE_PENALTY).values_list("amount", flat=True)) == (
        penalties
    )
    merchant_penalties = MerchantAccountEntry.objects.filter(kind=EntryKind.DAMAGE_PENALTY)
    assert sorted(-a for a in merchant_penalties.values_list("amount", flat=True)) == penalties
    # Ten advances (five confirmed by timeout, five whose goods the merchant refused); the five paid are
    # recovered (150+100+50+200+150 元), the five refused stay owed and get a repayment notice.
    assert PlatformAdvanceEntry.objects.filter(kind=EntryKind.ADVANCE).count() == 10
    recoveries = PlatformAdvanceEntry.objects.filter(kind=EntryKind.ADVANCE_RECOVERY)
    assert sorted(recoveries.values_list("amount", flat=True)) == [-20000, -15000, -15000, -10000, -5000]
    assert PlatformAdvanceEntry.objects.aggregate(total=Sum("amount"))["total"] == 65000
    assert RefundRequest.objects.filter(repayment_notice_at__isnull=False).count() == 5
    assert RefundRequest.objects.filter(advance_state=AdvanceState.SETTLED).count() == 5
    assert refund_sweep().credits == 0
    # A second run removes the kept data first and builds the same set again.
    report = json.loads(run(*SMALL)[-1])
    assert report["credits"] == EXPECTED_CREDITS
    assert_no_benchmark_rows()


@pytest.mark.django_db
def test_loaded_rows_are_what_the_services_would_have_written():
    now = timezone.now()
    parties = Command().build(total=300, due=60, now=now)
    policies = policy_table.load("refund.")
    refunds = list(RefundRequest.objects.select_related("order_item__order", "buyer"))
    assert len(refunds) == 300
    # One request per order item, so no item is refunded twice or has two live requests.
    assert len({r.order_item_id for r in refunds}) == 300
    damage_items = set(
        ServiceCommitment.objects.filter(kind=ServiceKind.DAMAGE_GUARANTEE).values_list("order_item_id", flat=True)
    )
    for r in refunds:
        order = r.order_item.order
        # The deadline and its action are exactly what the services schedule for the row's state.
        assert (r.due_at, r.due_action) == next_deadline(r, policies), r.pk
        assert r.buyer_id == order.buyer_id and r.merchant_id == order.merchant_id
        assert r.order_shipped == (order.shipped_at is not None)
        assert order.paid_at < r.created_at <= now
        if r.refund_type in MONEY_TYPES:
            assert 0 < r.amount_fen <= r.order_item.amount_paid_fen
        else:
            assert r.amount_fen == 0
        if r.refund_type in RETURN_TYPES:
            assert order.shipped_at is not None
        agreed = r.state in (RefundState.WAIT_BUYER_RETURN, RefundState.WAIT_SELLER_CONFIRM, RefundState.SUCCESS)
        assert (r.agreed_at is not None) == (agreed or r.refused_goods)
        assert (r.return_shipped_at is not None) == (r.state == RefundState.WAIT_SELLER_CONFIRM or r.refused_goods)
        assert (r.refused_at is not None) == (r.state == RefundState.SELLER_REFUSED)
        assert bool(r.return_address) == (r.agreed_at is not None and r.refund_type in RETURN_TYPES)
        steps = [r.created_at, r.agreed_at, r.return_shipped_at, r.return_signed_at, r.refused_at]
        present = [s for s in steps if s is not None]
        assert present == sorted(present) and present[-1] <= now
        if r.state == RefundState.SUCCESS:
            assert r.succeeded_at == r.agreed_at
        if r.state == RefundState.CLOSED:
            assert r.closed_at is not None and r.cancelled_by_buyer
        if r.damage_guarantee:
            assert r.reason == RefundReason.DAMAGED and r.refund_type == RefundType.REFUND_ONLY
            assert r.order_item_id in damage_items
            assert r.created_at - policies.duration("refund.damage_claim_window") <= order.signed_at < r.created_at
        # refund_apply applies for an instant refund on a return and refund exactly when the buyer has a quota.
        if r.refund_type == RefundType.RETURN_AND_REFUND:
            assert (r.buyer.instant_refund_quota_fen > 0) == (r.advance_state != AdvanceState.NONE)
        else:
            assert r.advance_state == AdvanceState.NONE
    due = [r for r in refunds if r.due_at is not None and r.due_at <= now]
    assert Counter(r.due_action for r in due) == {
        DueAction.PAY: PAY_ROWS,
        DueAction.AGREE: 6,
        DueAction.CLOSE_NOT_SHIPPED: 6,
        DueAction.RECEIVED: 5,
        DueAction.CLOSE_REFUSED: 10,
    }
    assert sum(r.damage_guarantee for r in due) == DAMAGE_ROWS
    assert sum(r.return_signed_at is not None for r in due) == 5
    assert Counter(r.advance_state for r in due) == {
        AdvanceState.NONE: 50,
        AdvanceState.ADVANCED: 5,
        AdvanceState.MERCHANT_REFUSED_GOODS: 5,
    }
    assert Counter(r.refund_type for r in due if r.due_action == DueAction.RECEIVED) == {
        RefundType.EXCHANGE: 2,
        RefundType.REPAIR: 3,
    }
    ahead = [r for r in refunds if r.due_at is not None and r.due_at > now]
    assert len(ahead) == 35 + 35 + 34 + 34 + 34
    assert min(r.due_at for r in ahead) > now + timedelta(hours=20)
    assert sum(r.due_at is None for r in refunds) == FUTURE_SUCCESS + 34
    # The money posted before the data set's deadlines is what the services post, under their keys: posting
    # it again through refund_money finds every key taken.
    succeeded = [r for r in refunds if r.state == RefundState.SUCCESS]
    advanced = [r for r in refunds if r.advance_state != AdvanceState.NONE]
    assert len(succeeded) == FUTURE_SUCCESS and len(advanced) == 10
    for r in succeeded:
        assert refund_paid(RefundRow.of(r), at=r.succeeded_at, actor=None, policies=policies).write() == (0, 0, 0)
        entry = MerchantAccountEntry.objects.get(idempotency_key=refund_key(r.pk, "refund"))
        assert (entry.amount, entry.kind, entry.occurred_at) == (-r.amount_fen, EntryKind.REFUND, r.succeeded_at)
    for r in advanced:
        assert advance_paid(RefundRow.of(r), at=r.return_shipped_at, actor=None).write() == (0, 0, 0)
        entry = PlatformAdvanceEntry.objects.get(idempotency_key=refund_key(r.pk, "advance"))
        assert (entry.amount, entry.buyer_id, entry.occurred_at) == (r.amount_fen, r.buyer_id, r.return_shipped_at)
    # Every advance fitted into its buyer's quota (refund_ship_return checks that before advancing).
    outstanding = PlatformAdvanceEntry.objects.values("buyer_id").annotate(total=Sum("amount"))
    quota = policies.int("refund.instant_quota.outstanding")
    assert outstanding and all(0 < o["total"] <= quota for o in outstanding)
    assert set(parties.instant_ids) == {o["buyer_id"] for o in outstanding}


@pytest.mark.django_db
def test_duplicates_count_a_real_second_charge():
    run(*SMALL, "--keep")
    merchant = Merchant.objects.get(shop_name=BENCH_MERCHANT)
    buyer_ids = list(Buyer.objects.values_list("id", flat=True))
    assert Command()._duplicates(buyer_ids, merchant.pk) == 0
    paid = MerchantAccountEntry.objects.filter(kind=EntryKind.REFUND).first()
    refund = RefundRequest.objects.get(pk=paid.source_id)
    # The same refund charged again under another key: what a broken idempotency key would do.
    ledger_post(
        model=MerchantAccountEntry,
        amount=paid.amount,
        kind=EntryKind.REFUND,
        idempotency_key="bogus-second-key",
        actor=None,
        source=refund,
        merchant_id=merchant.pk,
    )
    assert Command()._duplicates(buyer_ids, merchant.pk) == 1


@pytest.mark.django_db
def test_cleanup_leaves_other_accounts_alone():
    buyer, merchant = f.BuyerFactory(), f.MerchantFactory()
    ledger_post(
        model=BuyerPointsEntry,
        amount=500,
        kind=EntryKind.ADJUSTMENT,
        idempotency_key="other:1",
        actor=None,
        buyer=buyer,
    )
    ledger_post(
        model=MerchantAccountEntry,
        amount=-500,
        kind=EntryKind.ADJUSTMENT,
        idempotency_key="other:2",
        actor=None,
        merchant=merchant,
    )
    run(*SMALL)
    assert list(Buyer.objects.all()) == [buyer]
    assert list(Merchant.objects.all()) == [merchant]
    assert BuyerPointsEntry.objects.get().idempotency_key == "other:1"
    assert MerchantAccountEntry.objects.get().idempotency_key == "other:2"
    assert not RefundRequest.objects.exists()


@pytest.mark.django_db
def test_rejects_impossible_counts():
    with pytest.raises(CommandError):
        run("--requests", "10", "--due", "11")
