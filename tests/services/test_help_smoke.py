from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from disputes.models import BuyerPointsEntry, HelpState, MerchantAccountEntry, Violation
from disputes.services.help_penalties import help_sweep
from disputes.services.help_requests import help_request_raise
from disputes.services.ledger import ledger_balance

BJ = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_raise_dispatch_and_miss(item, buyer, merchant):
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
    with time_machine.travel(t0, tick=False):
        req = help_request_raise(
            actor=buyer.user, order_item_id=item.pk, anomaly_kind="not_performed", description="no show"
        )
    assert req.solution_due_at == t0 + timedelta(hours=1)
    r = help_sweep(now=t0 + timedelta(hours=1))
    assert r.dispatched == 1 and r.solution_misses == 1 and r.credits == 1
    r2 = help_sweep(now=t0 + timedelta(hours=1))
    assert r2.credits == 0
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 5000
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -5000
    r3 = help_sweep(now=t0 + timedelta(hours=49))
    assert r3.resolution_misses == 1
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 5000 + 30000
    req.refresh_from_db()
    assert req.state == HelpState.DISPATCHED
    assert Violation.objects.count() == 2
