"""Refunds write their events like help requests: the application, each step, the scheduler's timeouts (in bulk)
and the money they move, each once."""

from datetime import timedelta

import pytest

from disputes.models import Event
from disputes.services.refunds.merchant import refund_agree
from disputes.services.refunds.sweep import refund_sweep
from tests.services.helpers import bj
from tests.services.refund_helpers import (
    T0,
    apply_at,
    call_at,
    refund_env,  # noqa: F401  (fixture)
    signed_item,
    unshipped_item,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]


def events_of(refund):
    return list(Event.objects.filter(case_type="refund", case_id=refund.pk).order_by("id"))


def test_a_silent_merchant_is_paid_out_by_the_sweep_with_its_events_once(buyer, merchant):
    refund = apply_at(
        T0, buyer=buyer, item=unshipped_item(buyer, merchant), refund_type="refund_only", amount_fen=80_000
    )
    due = bj(2026, 4, 2, 10, 0)
    for _ in range(3):
        refund_sweep(now=due + timedelta(seconds=1))
    assert [e.type for e in events_of(refund)] == ["refund.applied", "refund.timeout_applied", "ledger.entry_posted"]
    applied, timeout, posting = events_of(refund)
    assert (applied.merchant_id, applied.buyer_id) == (merchant.pk, buyer.pk)
    assert timeout.payload["transition"] == "timeout_pay"
    assert (timeout.payload["from"], timeout.payload["to"], timeout.payload["by"]) == (
        "wait_seller_agree",
        "success",
        "system",
    )
    assert (posting.merchant_id, posting.buyer_id) == (merchant.pk, None)
    assert (posting.payload["ledger"], posting.payload["amount"], posting.payload["kind"]) == (
        "merchant_account",
        -80_000,
        "refund",
    )
    assert posting.occurred_at == due


def test_a_merchants_agreement_is_a_state_change_by_the_merchant(buyer, merchant, merchant_user):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    call_at(T0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=refund.pk)
    changed = [e for e in events_of(refund) if e.type == "refund.state_changed"]
    assert [(e.payload["transition"], e.payload["by"]) for e in changed] == [("agree_return", "merchant")]
    assert changed[0].payload["deadlines"]["due_at"] is not None  # the buyer's 7 days to ship
