from datetime import timedelta

import pytest
import time_machine

from disputes.models import AdvanceState, MerchantAccountEntry, PlatformAdvanceEntry, RefundState
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.merchant import refund_agree, refund_confirm_goods
from disputes.services.refunds.sweep import refund_sweep
from tests.services.refund_helpers import T0, apply_at, signed_item

pytestmark = pytest.mark.django_db


def test_instant_refund_flow(buyer, merchant, merchant_user):
    buyer.instant_refund_quota_fen = 90_000
    buyer.save()
    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item)
    assert refund.advance_state == AdvanceState.APPLIED
    assert refund.due_at == T0 + timedelta(days=2)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        refund_agree(actor=merchant_user, refund_id=refund.pk)
        refund_ship_return(actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF123")
    refund.refresh_from_db()
    assert refund.advance_state == AdvanceState.ADVANCED
    assert ledger_balance(PlatformAdvanceEntry, buyer=buyer) == 50_000
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        refund_confirm_goods(actor=merchant_user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCESS and refund.advance_state == AdvanceState.SETTLED
    assert ledger_balance(PlatformAdvanceEntry, buyer=buyer) == 0
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -50_000
    assert refund_sweep(now=T0 + timedelta(days=30)).total == 0


def test_sweep_pays_after_silence(buyer, merchant):
    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="refund_only")
    assert refund_sweep(now=T0 + timedelta(hours=48)).total == 0  # the deadline's own second is the merchant's
    r = refund_sweep(now=T0 + timedelta(hours=48, seconds=1))
    assert r.paid == 1 and r.credits == 1
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCESS
    assert refund_sweep(now=T0 + timedelta(hours=49)).total == 0
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -50_000
