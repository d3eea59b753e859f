"""Every penalty is explained: the amount recomputed from the recorded policy versions equals what the ledger
credited, the formula shows its clamps, and a policy edit later changes neither the amount nor its explanation."""

from datetime import timedelta

import pytest
import time_machine

from disputes.choices import ServiceKind
from disputes.models import BuyerPointsEntry, EntryKind, MerchantAccountEntry, Policy, Violation
from disputes.selectors.explanations import explain_penalty
from disputes.services.help_requests import help_request_give_solution
from disputes.services.help_sweep import help_sweep
from disputes.services.policies import policy_update
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.merchant import refund_agree
from tests import factories as f
from tests.services.helpers import bj, raised_and_dispatched
from tests.services.refund_helpers import apply_at, call_at, refund_env, signed_item  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]

T0 = bj(2026, 3, 2, 10, 0)
NIGHT = bj(2026, 3, 2, 20, 0)  # outside the window: only the 48-hour deadline
SECOND = timedelta(seconds=1)


@pytest.fixture
def superuser(db):
    return f.StaffFactory(username="root", is_superuser=True)


def edit(key: str, value: int, actor) -> None:
    policy_update(actor=actor, policy_id=Policy.objects.get(key=key).pk, value=value, reason="Later edit")


def test_one_hour_penalty_explained_from_its_versions_after_a_policy_edit(item, buyer, merchant, city, superuser):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    help_sweep(now=T0 + timedelta(hours=1) + SECOND)
    violation = Violation.objects.get(help_request=request)
    assert violation.policy_versions == {"help.solution_penalty": 1, "violation.breach_of_promise_points": 1}
    edit("help.solution_penalty", 8000, superuser)  # version 2, for later misses only
    entry = BuyerPointsEntry.objects.get(source_id=request.pk)
    for record in (violation, entry, MerchantAccountEntry.objects.get(source_id=request.pk)):
        explanation = explain_penalty(record)
        assert explanation is not None
        assert (explanation["amount"], explanation["recomputed_amount"], explanation["reproduced"]) == (
            5000,
            5000,
            True,
        )
        assert explanation["amount"] == entry.amount
        assert explanation["policies"] == [
            {"key": "help.solution_penalty", "value": 5000, "unit": "points", "version": 1}
        ]
        assert explanation["deadline"]["field"] == "solution_due_at"
        assert explanation["deadline"]["due_at_local"] == "2026-03-02T11:00:00+08:00"
        assert explanation["deadline"]["window"]["inside"] is True
    # A miss after the edit uses and records version 2.
    other = f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name))
    later = raised_and_dispatched(T0 + timedelta(days=1), buyer=buyer, item=other)
    help_sweep(now=T0 + timedelta(days=1, hours=1) + SECOND)
    newer = explain_penalty(Violation.objects.get(help_request=later, deadline="solution"))
    assert newer is not None
    assert (newer["amount"], newer["policies"][0]["version"]) == (8000, 2)


@pytest.mark.parametrize(
    ("service", "price_yuan", "solution_given", "amount", "basis", "formula"),
    [
        # RULES.md section 6, by hand: 10 % of 10,000 fen = 1,000 points, raised to the 5,000 minimum.
        (
            ServiceKind.ONSITE_INSTALL,
            100,
            False,
            5_000,
            "fixed",
            {"item_price_fen": 10_000, "percent": 10, "share": 1_000, "min": 5_000, "max": 50_000, "clamped": "min"},
        ),
        # 10 % of 1,000,000 fen = 100,000 points, capped at 50,000.
        (
            ServiceKind.SCHEDULED_INSTALL,
            10_000,
            True,
            50_000,
            "fixed",
            {
                "item_price_fen": 1_000_000,
                "percent": 10,
                "share": 100_000,
                "min": 5_000,
                "max": 50_000,
                "clamped": "max",
            },
        ),
        # 15 points per 元 × 10,000 元 = 150,000, capped at 100,000.
        (
            ServiceKind.THREE_YEAR_WARRANTY,
            10_000,
            False,
            100_000,
            "fixed",
            {
                "item_price_fen": 1_000_000,
                "item_price_yuan": 10_000,
                "multiplier": 15,
                "product": 150_000,
                "max": 100_000,
                "clamped": "max",
            },
        ),
        (ServiceKind.DELIVERY_AND_INSTALL, 3000, False, 30_000, "not_provided", {}),
        (ServiceKind.HOME_DELIVERY, 800, True, 5_000, "late", {}),
    ],
)
def test_48_hour_penalty_recomputed_equals_the_ledger(
    buyer, merchant, city, merchant_user, superuser, service, price_yuan, solution_given, amount, basis, formula
):
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name)
    item = f.OrderItemFactory(order=order, services=[service], amount_paid_fen=price_yuan * 100)
    request = raised_and_dispatched(NIGHT, buyer=buyer, item=item)
    if solution_given:
        with time_machine.travel(NIGHT + timedelta(hours=3), tick=False):
            help_request_give_solution(actor=merchant_user, request_id=request.pk, text="coming")
    help_sweep(now=NIGHT + timedelta(hours=48) + SECOND)
    entry = BuyerPointsEntry.objects.get(kind=EntryKind.HELP_RESOLUTION_PENALTY)
    assert entry.amount == amount
    # Every policy the amount used is edited afterwards: the explanation keeps the values it was computed with.
    violation = Violation.objects.get(help_request=request)
    for key in violation.policy_versions:
        if key.startswith("standard."):
            edit(key, Policy.objects.get(key=key).value + 1, superuser)
    explanation = explain_penalty(entry)
    assert explanation is not None
    assert (explanation["amount"], explanation["recomputed_amount"], explanation["reproduced"]) == (
        amount,
        amount,
        True,
    )
    assert (explanation["basis"], explanation["formula"]) == (basis, formula)
    assert all(p["version"] == 1 for p in explanation["policies"])
    assert explanation["deadline"]["due_at_local"] == "2026-03-04T20:00:00+08:00"


def test_damage_penalty_and_shipping_cover_explained(buyer, merchant, merchant_user, superuser):
    t0 = bj(2026, 4, 1, 10, 0)
    item = signed_item(buyer, merchant, services=[ServiceKind.DAMAGE_GUARANTEE], price_fen=100_000)
    refund = apply_at(
        t0,
        buyer=buyer,
        item=item,
        refund_type="refund_only",
        reason="damaged",
        amount_fen=100_000,
        damage_guarantee=True,
    )
    call_at(t0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=refund.pk)
    entry = BuyerPointsEntry.objects.get(kind=EntryKind.DAMAGE_PENALTY)
    edit("refund.damage_penalty_max", 6000, superuser)
    explanation = explain_penalty(entry)
    assert explanation is not None
    # 20 % of 100,000 fen = 20,000, capped at 5,000 (the cap in force then, version 1).
    assert (explanation["amount"], explanation["recomputed_amount"]) == (entry.amount, 5_000)
    assert explanation["formula"]["clamped"] == "max" and explanation["formula"]["share"] == 20_000
    assert {p["key"]: (p["value"], p["version"]) for p in explanation["policies"]} == {
        "refund.damage_penalty_percent": (20, 1),
        "refund.damage_penalty_min": (500, 1),
        "refund.damage_penalty_max": (5000, 1),
    }

    cover_item = signed_item(buyer, merchant, services=[ServiceKind.RETURN_SHIPPING_COVER])
    covered = apply_at(t0, buyer=buyer, item=cover_item, reason="no_reason")
    call_at(t0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=covered.pk)
    call_at(
        t0 + timedelta(hours=2), refund_ship_return, actor=buyer.user, refund_id=covered.pk, carrier="SF", waybill="1"
    )
    cover = explain_penalty(BuyerPointsEntry.objects.get(kind=EntryKind.SHIPPING_COVER))
    assert cover is not None
    assert (cover["amount"], cover["recomputed_amount"], cover["reproduced"]) == (1000, 1000, True)


def test_an_entry_that_is_no_penalty_has_no_explanation(buyer, merchant, merchant_user):
    t0 = bj(2026, 4, 1, 10, 0)
    refund = apply_at(t0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only", amount_fen=100)
    call_at(t0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=refund.pk)
    assert explain_penalty(MerchantAccountEntry.objects.get(kind=EntryKind.REFUND)) is None
