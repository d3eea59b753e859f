"""Refund races on real PostgreSQL: concurrent sweeps, a doubled merchant confirmation and two returns shipped
at once against one instant-refund quota each move money exactly once."""

from datetime import timedelta

import pytest
import time_machine
from django_fsm_log.models import StateLog

from disputes.errors import InvalidTransition
from disputes.models import (
    AdvanceState,
    MerchantAccountEntry,
    PlatformAdvanceEntry,
    RefundRequest,
    RefundState,
)
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.merchant import refund_agree, refund_confirm_goods
from disputes.services.refunds.sweep import refund_sweep
from tests import factories as f
from tests.services.helpers import run_together
from tests.services.refund_helpers import T0, account, advances, apply_at, call_at, signed_item

# serialized_rollback: the flush after a transactional test would otherwise take the seeded policies,
# roles and scheduler user with it.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_four_concurrent_sweeps_charge_each_of_60_refunds_once():
    merchant = f.MerchantFactory()
    amounts = []
    for b in range(3):
        buyer = f.BuyerFactory()
        for i in range(20):
            amount = 10_000 + 100 * b + i
            amounts.append(amount)
            apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only", amount_fen=amount)
    now = T0 + timedelta(days=30)
    results, errors = run_together(*[lambda: refund_sweep(now=now, batch_size=7)] * 4)
    assert errors == []
    assert sum(r.paid for r in results) == 60
    assert sum(r.credits for r in results) == 60
    assert MerchantAccountEntry.objects.count() == 60
    assert account(merchant) == -sum(amounts)
    assert set(RefundRequest.objects.values_list("state", flat=True)) == {RefundState.SUCCESS}
    assert StateLog.objects.filter(transition="timeout_pay").count() == 60
    assert refund_sweep(now=now).total == 0
    # Dated at the deadline (applied + 48 h), not when the sweeps ran.
    assert set(MerchantAccountEntry.objects.values_list("occurred_at", flat=True)) == {T0 + timedelta(hours=48)}


def test_two_concurrent_confirmations_pay_once():
    merchant = f.MerchantFactory()
    merchant_user = f.MerchantUserFactory(merchant=merchant).user
    buyer = f.BuyerFactory(instant_refund_quota_fen=90_000)
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    call_at(T0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(
        T0 + timedelta(hours=2), refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="1"
    )
    assert advances(buyer) == 50_000
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        results, errors = run_together(*[lambda: refund_confirm_goods(actor=merchant_user, refund_id=refund.pk)] * 2)
    assert len(results) == 1
    assert [type(e) for e in errors] == [InvalidTransition]
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state) == (RefundState.SUCCESS, AdvanceState.SETTLED)
    assert MerchantAccountEntry.objects.count() == 1
    assert account(merchant) == -50_000
    assert advances(buyer) == 0
    assert StateLog.objects.filter(transition="confirm_goods_refund").count() == 1


def test_two_returns_shipped_at_once_stay_within_one_quota():
    merchant = f.MerchantFactory()
    merchant_user = f.MerchantUserFactory(merchant=merchant).user
    buyer = f.BuyerFactory(instant_refund_quota_fen=90_000)
    refunds = []
    for _ in range(2):
        refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), amount_fen=50_000)
        call_at(T0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=refund.pk)
        refunds.append(refund)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        _results, errors = run_together(
            *[
                (lambda pk=r.pk: refund_ship_return(actor=buyer.user, refund_id=pk, carrier="SF", waybill=f"SF{pk}"))
                for r in refunds
            ]
        )
    assert errors == []
    # 50,000 + 50,000 would exceed 90,000: only one of the two may be advanced.
    states = sorted(RefundRequest.objects.values_list("advance_state", flat=True))
    assert states == [AdvanceState.ADVANCED, AdvanceState.CLOSED]
    assert PlatformAdvanceEntry.objects.count() == 1
    assert advances(buyer) == 50_000
