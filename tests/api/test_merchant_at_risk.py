"""GET /api/merchant/at-risk/: every deadline of the merchant's open cases that charges it when missed, priced by the
sweeps' own rules (RULES.md sections 1, 2 and 6). The key test lets the clock pass every deadline, runs the real
sweeps until nothing is due, and finds the merchant's account moved by exactly -total_fen and the buyers' points by
the listed points."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from disputes.choices import ServiceKind
from disputes.models import (
    BuyerPointsEntry,
    HelpRequest,
    MerchantAccountEntry,
    RefundRequest,
    RefundState,
    Violation,
    ViolationStatus,
)
from disputes.services.force_majeure import help_force_majeure_claim, help_force_majeure_decide
from disputes.services.help_requests import help_request_give_solution
from disputes.services.help_sweep import help_sweep
from disputes.services.interventions.sweep import intervention_sweep
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.merchant import refund_agree
from disputes.services.refunds.sweep import refund_sweep
from tests import factories as f
from tests.api.helpers import T0, token_client
from tests.services.helpers import raised_and_dispatched
from tests.services.refund_helpers import DAMAGE, apply_at, call_at, signed_item, unshipped_item

pytestmark = pytest.mark.django_db
URL = "/api/merchant/at-risk/"
HOUR = timedelta(hours=1)
NIGHT = T0.replace(hour=20)  # outside 09:00-18:00: no 1-hour deadline


def account(merchant) -> int:
    return ledger_balance(MerchantAccountEntry, merchant=merchant)


def points(buyer) -> int:
    return ledger_balance(BuyerPointsEntry, buyer=buyer)


def help_item(buyer, merchant, city, service=ServiceKind.DELIVERY_AND_INSTALL, price_fen=300_000):
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name)
    return f.OrderItemFactory(order=order, services=[service], amount_paid_fen=price_fen)


def claim(request, user, deadline="solution"):
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        return help_force_majeure_claim(
            actor=user, request_id=request.pk, deadline=deadline, category="typhoon", note="Roads shut by typhoon"
        )


def build_cases(*, merchant, merchant_user, senior, city):
    """A mix of open cases, each with the amounts RULES.md gives (default policies), computed by hand."""
    buyers = [f.BuyerFactory() for _ in range(8)]
    b = iter(buyers)
    cases: dict[str, object] = {}
    # 送货入户并安装, no solution: the 1-hour penalty 5,000, then 48-hour "not provided" 30,000.
    cases["silent"] = raised_and_dispatched(T0, buyer=(buyer := next(b)), item=help_item(buyer, merchant, city))
    # A solution in time: only the 48-hour penalty, "late", 5,000.
    answered = raised_and_dispatched(T0, buyer=(buyer := next(b)), item=help_item(buyer, merchant, city))
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        help_request_give_solution(actor=merchant_user, request_id=answered.pk, text="The fitter comes at 3 pm")
    cases["answered"] = answered
    # Raised at night (no 1-hour deadline), 预约安装 on a 3,000 元 item: 10 % = 30,000, within 5,000..50,000.
    install = help_item(buyer := next(b), merchant, city, ServiceKind.SCHEDULED_INSTALL, 300_000)
    cases["night"] = raised_and_dispatched(NIGHT, buyer=buyer, item=install)
    # 三年质保 on a 1,234.56 元 item: 15 x 1,234 = 18,510 points at 48 hours, and 5,000 at one hour.
    warranty = help_item(buyer := next(b), merchant, city, ServiceKind.THREE_YEAR_WARRANTY, 123_456)
    cases["warranty"] = raised_and_dispatched(T0, buyer=buyer, item=warranty)
    # A pending force-majeure claim on the 1-hour deadline: that 5,000 is held; the 48-hour 30,000 is not.
    cases["claimed"] = raised_and_dispatched(T0, buyer=(buyer := next(b)), item=help_item(buyer, merchant, city))
    claim(cases["claimed"], merchant_user)
    # An approved claim on the 1-hour deadline: that miss costs nothing; the 48-hour 30,000 stands.
    cases["exempt"] = raised_and_dispatched(T0, buyer=(buyer := next(b)), item=help_item(buyer, merchant, city))
    approved = claim(cases["exempt"], merchant_user)
    with time_machine.travel(T0 + timedelta(minutes=25), tick=False):
        help_force_majeure_decide(actor=senior, claim_id=approved.pk, approve=True, reason="Typhoon confirmed")
    # Refund only on an unshipped order, merchant silent 24 h: the refund is paid, 80,000 charged.
    buyer = next(b)
    cases["refund"] = apply_at(
        T0, buyer=buyer, item=unshipped_item(buyer, merchant), refund_type="refund_only", amount_fen=80_000
    )
    # 破损包退 refund only of 100 元, silent 24 h: 10,000 + 20 % penalty (2,000 fen, within 5..50 元) = 12,000,
    # the buyer credited 2,000 points.
    buyer = next(b)
    damaged = signed_item(buyer, merchant, services=DAMAGE, signed_at=T0 - timedelta(days=1))
    cases["damage"] = apply_at(
        T0,
        buyer=buyer,
        item=damaged,
        refund_type="refund_only",
        reason="damaged",
        amount_fen=10_000,
        damage_guarantee=True,
    )
    # Return and refund, merchant silent: agreed automatically (no money), then closed when the buyer does not ship.
    buyer = buyers[0]
    cases["agree_only"] = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant, signed_at=T0 - timedelta(days=1)))
    # Return shipped, the platform advanced the refund: the merchant's silence pays it, 50,000 charged to the merchant
    # (the advance is recovered into the platform's account, not charged twice).
    buyer = buyers[1]
    buyer.instant_refund_quota_fen = 90_000
    buyer.save()
    returned = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant, signed_at=T0 - timedelta(days=1)))
    call_at(T0 + HOUR, refund_agree, actor=merchant_user, refund_id=returned.pk)
    call_at(T0 + 2 * HOUR, refund_ship_return, actor=buyer.user, refund_id=returned.pk, carrier="SF", waybill="SF1")
    cases["receipt"] = returned
    # Another merchant's case: not listed, not charged to this merchant.
    other = f.MerchantFactory()
    raised_and_dispatched(T0, buyer=(buyer := f.BuyerFactory()), item=help_item(buyer, other, city))
    for case in cases.values():
        case.refresh_from_db()  # type: ignore[attr-defined]
    return cases, buyers


# (case, deadline, due, penalty_fen, buyer_points, basis, held), by hand from RULES.md and the default policies.
def expected_rows(cases):
    c = cases
    day = timedelta(days=1)
    return [
        ("silent", "solution_due", T0 + HOUR, 5_000, 5_000, "fixed", False),
        ("silent", "resolution_due", T0 + 48 * HOUR, 30_000, 30_000, "not_provided", False),
        ("answered", "resolution_due", T0 + 48 * HOUR, 5_000, 5_000, "late", False),
        ("night", "resolution_due", NIGHT + 48 * HOUR, 30_000, 30_000, "fixed", False),
        ("warranty", "solution_due", T0 + HOUR, 5_000, 5_000, "fixed", False),
        ("warranty", "resolution_due", T0 + 48 * HOUR, 18_510, 18_510, "fixed", False),
        ("claimed", "solution_due", T0 + HOUR, 5_000, 5_000, "fixed", True),
        ("claimed", "resolution_due", T0 + 48 * HOUR, 30_000, 30_000, "not_provided", False),
        ("exempt", "solution_due", T0 + HOUR, 0, 0, "exempted", False),
        ("exempt", "resolution_due", T0 + 48 * HOUR, 30_000, 30_000, "not_provided", False),
        ("refund", "answer_due", T0 + day, 80_000, 0, "refund", False),
        ("damage", "answer_due", T0 + day, 12_000, 2_000, "refund_and_damage_penalty", False),
        ("receipt", "receipt_due", T0 + 2 * HOUR + 10 * day, 50_000, 0, "refund", False),
    ], c


TOTAL = 5_000 + 30_000 + 5_000 + 30_000 + 5_000 + 18_510 + 30_000 + 0 + 30_000 + 80_000 + 12_000 + 50_000
HELD = 5_000


def as_tuples(body, cases):
    names = {(case_type_of(case), case.pk): name for name, case in cases.items()}
    return [
        (
            names[(row["case"]["type"], row["case"]["id"])],
            row["deadline"],
            row["due_at"],
            row["penalty_fen"],
            row["buyer_points"],
            row["basis"],
            row["held"],
        )
        for row in body["results"]
    ]


def case_type_of(case) -> str:
    return "help_request" if isinstance(case, HelpRequest) else "refund"


def iso(moment) -> str:
    from rest_framework.fields import DateTimeField

    return DateTimeField().to_representation(moment)


@pytest.fixture
def cases(merchant, merchant_user, senior, city):
    return build_cases(merchant=merchant, merchant_user=merchant_user, senior=senior, city=city)


def sweep_until_quiet(start):
    """The real sweeps, run again and again as the clock moves on, until a whole round at a later time does
    nothing: second-level deadlines the first sweeps set (a return agreed → the buyer's 7 days to ship) come due
    and are swept too."""
    now, quiet_rounds = start, 0
    while quiet_rounds < 2:
        did = 0
        while True:
            step = help_sweep(now=now).total + refund_sweep(now=now).total + intervention_sweep(now=now).total
            if not step:
                break
            did += step
        quiet_rounds = 0 if did else quiet_rounds + 1
        now += timedelta(days=8)


def _check_money_moves_by_exactly_the_listed_total(api_cases, merchant, merchant_user):
    cases, buyers = api_cases
    client = token_client(merchant_user)
    body = client.get(URL).json()
    rows, _ = expected_rows(cases)
    want = sorted(
        rows, key=lambda r: (r[2], case_type_of(cases[r[0]]) == "refund", cases[r[0]].pk, r[1] != "solution_due")
    )
    assert as_tuples(body, cases) == [(n, d, iso(due), p, b, basis, h) for n, d, due, p, b, basis, h in want]
    assert (body["total_fen"], body["held_fen"], body["count"], body["next"]) == (TOTAL, HELD, 13, None)

    account_before = account(merchant)
    points_before = {buyer.pk: points(buyer) for buyer in buyers}
    sweep_until_quiet(T0 + timedelta(days=30))

    # The merchant's account moved by exactly the listed total (held penalties apart) ...
    assert account(merchant) - account_before == -TOTAL
    # ... each case by exactly its rows ...
    for name, case in cases.items():
        listed = sum(r[3] for r in rows if r[0] == name and not r[6])
        source = ContentType.objects.get_for_model(type(case))
        charged = MerchantAccountEntry.objects.filter(source_type=source, source_id=case.pk).aggregate(s=Sum("amount"))
        assert -(charged["s"] or 0) == listed, name
    # ... and the buyers' points by the listed points.
    listed_points = sum(r[4] for r in rows if not r[6])
    assert sum(points(buyer) - points_before[buyer.pk] for buyer in buyers) == listed_points
    # The held penalty was recorded as held at the listed amount, not charged.
    held = Violation.objects.get(help_request=cases["claimed"], deadline="solution")
    assert (held.status, held.compensation_points) == (ViolationStatus.HELD, 5_000)
    # The second-level deadline was swept too (and cost nothing): the agreed return closed unshipped.
    cases["agree_only"].refresh_from_db()
    assert cases["agree_only"].state == RefundState.CLOSED
    # Nothing is at risk any more.
    after = client.get(URL).json()
    assert (after["total_fen"], after["count"]) == (0, 0)


def test_money_moves_by_exactly_the_listed_total(cases, merchant, merchant_user):
    _check_money_moves_by_exactly_the_listed_total(cases, merchant, merchant_user)


@pytest.mark.postgres
def test_money_moves_by_exactly_the_listed_total_on_postgres_set_based_sweep(cases, merchant, merchant_user):
    """The same, where the help sweep writes its misses with set-based SQL (disputes.sql.help_misses)."""
    assert connection.vendor == "postgresql"
    _check_money_moves_by_exactly_the_listed_total(cases, merchant, merchant_user)


def test_sorted_by_amount_largest_first(cases, merchant_user):
    body = token_client(merchant_user).get(URL, {"order": "amount"}).json()
    amounts = [row["penalty_fen"] for row in body["results"]]
    assert amounts == sorted(amounts, reverse=True) and amounts[0] == 80_000 and amounts[-1] == 0
    assert (body["order"], body["total_fen"], body["count"]) == ("amount", TOTAL, 13)


def test_before_lists_only_earlier_deadlines_and_totals_them(cases, merchant_user):
    body = token_client(merchant_user).get(URL, {"before": iso(T0 + 2 * HOUR)}).json()
    # The three 1-hour deadlines (one held, one exempt): 5,000 + 5,000 charged, 5,000 held.
    assert [row["deadline"] for row in body["results"]] == ["solution_due"] * 4
    assert (body["total_fen"], body["held_fen"], body["count"]) == (10_000, 5_000, 4)
    # A deadline at `before` itself is not before it.
    assert token_client(merchant_user).get(URL, {"before": iso(T0 + HOUR)}).json()["count"] == 0
    # A `+` typed into the URL unencoded arrives as a space, and still means the offset.
    typed = token_client(merchant_user).get(f"{URL}?before=2026-03-02T12:00:00+08:00")
    assert (typed.status_code, typed.json()["count"]) == (200, 4)


@pytest.mark.parametrize("order", ["deadline", "amount"])
def test_pages_walk_every_row_once_and_each_carries_the_whole_total(cases, merchant_user, order):
    client = token_client(merchant_user)
    whole = client.get(URL, {"order": order}).json()["results"]
    seen, url = [], f"{URL}?order={order}&limit=4"
    while url:
        page = client.get(url).json()
        assert (page["total_fen"], page["count"]) == (TOTAL, 13)
        assert len(page["results"]) <= 4
        seen += page["results"]
        url = page["next"]
    assert seen == whole


def test_refusals(cases, merchant_user, buyer, provider_user):
    client = token_client(merchant_user)
    bad_order = client.get(URL, {"order": "biggest"})
    assert (bad_order.status_code, bad_order.json()["code"]) == (400, "invalid_order")
    naive = client.get(URL, {"before": "2026-03-02T10:00:00"})
    assert (naive.status_code, naive.json()["code"]) == (400, "invalid_before")
    other_order_cursor = base64.urlsafe_b64encode(json.dumps([1, 2, 3, 4]).encode()).decode().rstrip("=")
    for cursor in ("nonsense", other_order_cursor):
        refused = client.get(URL, {"order": "amount", "cursor": cursor})
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_cursor")
    too_many = client.get(URL, {"limit": "201"})
    assert (too_many.status_code, too_many.json()["code"]) == (400, "invalid_limit")
    for user in (buyer.user, provider_user):
        refused = token_client(user).get(URL)
        assert (refused.status_code, refused.json()["code"]) == (403, "merchant_required")
    assert token_client(f.MerchantUserFactory().user).get(URL).json() == {
        "order": "deadline",
        "total_fen": 0,
        "held_fen": 0,
        "count": 0,
        "next": None,
        "results": [],
    }


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_cases(merchant, merchant_user, city):
    client = token_client(merchant_user)
    buyer = f.BuyerFactory()

    def add_cases(n: int) -> None:
        for _ in range(n):
            raised_and_dispatched(T0, buyer=buyer, item=help_item(buyer, merchant, city))
            apply_at(T0, buyer=buyer, item=unshipped_item(buyer, merchant), refund_type="refund_only", amount_fen=100)

    add_cases(1)
    one = _queries(client)
    add_cases(29)
    assert client.get(URL).json()["count"] == 30 * 3
    assert _queries(client) == one
    assert RefundRequest.objects.filter(merchant=merchant).count() == 30
