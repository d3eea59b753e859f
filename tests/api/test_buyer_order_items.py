"""Buyer API for order items: the services each carries and what may be raised on it now. Every action the list
shows is what the raise service does at that moment (allowed: the service accepts it; refused: the service refuses
with the same code), over items in every state that refuses something; windows end at their own second; nobody
sees another buyer's items; the queries do not grow with the page."""

from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.choices import ServiceKind, SevenDayExclusion
from disputes.errors import DomainError
from disputes.models import OrderStatus
from disputes.selectors.order_items import REFUSAL_CODES
from disputes.services.help_requests import help_request_raise
from disputes.services.refunds.buyer import refund_apply, refund_cancel
from disputes.services.refunds.merchant import refund_agree
from tests import factories as f
from tests.api.helpers import BJ, T0, dispatch, raise_request, token_client
from tests.api.test_refunds_buyer import apply

pytestmark = pytest.mark.django_db

LIST = reverse("api:buyer-order-item-list")
SECOND = timedelta(seconds=1)
EVERY_SERVICE = [ServiceKind.DELIVERY_AND_INSTALL, ServiceKind.DAMAGE_GUARANTEE, ServiceKind.RETURN_SHIPPING_COVER]


def detail_url(pk):
    return reverse("api:buyer-order-item-detail", args=[pk])


def goods(buyer, merchant, *, services=EVERY_SERVICE, signed=T0 - timedelta(hours=1), city="杭州", **order):
    """An order item of `buyer`, shipped the day before `signed` and signed for then (None: not yet)."""
    fields = {
        "status": OrderStatus.SIGNED if signed else OrderStatus.SHIPPED,
        "paid_at": T0 - timedelta(days=20),
        "shipped_at": (signed or T0) - timedelta(days=1),
        "signed_at": signed,
        **order,
    }
    product = fields.pop("product", None)
    item_kwargs = {"product": product} if product is not None else {}
    order_row = f.OrderFactory(buyer=buyer, merchant=merchant, city=city, **fields)
    return f.OrderItemFactory(order=order_row, amount_paid_fen=100_000, services=list(services), **item_kwargs)


def actions_of(row: dict) -> dict[str, dict]:
    """The row's actions by name (a help request by `help_request:<service>`)."""
    return {
        f"{a['action']}:{a['service_kind']}" if a["action"] == "help_request" else a["action"]: a
        for a in row["actions"]
    }


def walk(api, url=LIST):
    rows = []
    while url:
        resp = api.get(url)
        assert resp.status_code == 200, resp.content
        rows += resp.json()["results"]
        url = resp.json()["next"]
    return rows


# What the buyer would send for each action; any reason but no_reason and damaged is judged alike, so these differ
# from the list's own stand-ins on purpose.
REFUND_CALLS = {
    "refund_only": {"refund_type": "refund_only", "reason": "quality", "amount_fen": 1},
    "return_refund": {"refund_type": "return_refund", "reason": "not_as_described", "amount_fen": 1},
    "seven_day_return": {"refund_type": "return_refund", "reason": "no_reason", "amount_fen": 1},
    "damage_claim": {"refund_type": "refund_only", "reason": "damaged", "amount_fen": 1, "damage_guarantee": True},
    "exchange": {"refund_type": "exchange", "reason": "quality", "amount_fen": None},
    "repair": {"refund_type": "repair", "reason": "missing_parts", "amount_fen": None},
}


def attempt(buyer, item_id: int, action: dict) -> str | None:
    """Raise the action through its service, then undo it: None when the service accepts it, else its code."""
    try:
        with transaction.atomic():
            if action["action"] == "help_request":
                help_request_raise(
                    actor=buyer.user,
                    order_item_id=item_id,
                    anomaly_kind="not_performed",
                    description="Nobody came.",
                    service_kind=action["service_kind"],
                )
            else:
                refund_apply(actor=buyer.user, order_item_id=item_id, description="", **REFUND_CALLS[action["action"]])
            transaction.set_rollback(True)
    except DomainError as refusal:
        return refusal.code
    return None


@pytest.fixture
def items_in_every_state(buyer, merchant, merchant_user, city):
    """Items that, between them, refuse every action for every reason the list can give (and allow each one)."""
    made = {
        "fresh": goods(buyer, merchant),
        "closed": goods(buyer, merchant, status=OrderStatus.CLOSED),
        "no_services": goods(buyer, merchant, services=[]),
        "two_help_services": goods(
            buyer, merchant, services=[ServiceKind.ONSITE_INSTALL, ServiceKind.THREE_YEAR_WARRANTY]
        ),
        "city_not_served": goods(buyer, merchant, city="拉萨"),
        "help_open": goods(buyer, merchant),
        "refund_open": goods(buyer, merchant),
        "cancelled_before": goods(buyer, merchant),
        "after_sales_over": goods(
            buyer,
            merchant,
            signed=T0 - timedelta(days=30),
            status=OrderStatus.SUCCEEDED,
            succeeded_at=T0 - timedelta(days=16),
        ),
        "unshipped": goods(buyer, merchant, signed=None, status=OrderStatus.PAID, shipped_at=None),
        "refunded_in_full": goods(buyer, merchant, signed=None, status=OrderStatus.PAID, shipped_at=None),
        "made_to_order": goods(
            buyer,
            merchant,
            product=f.ProductFactory(merchant=merchant, seven_day_exclusion=SevenDayExclusion.MADE_TO_ORDER),
        ),
        "in_transit": goods(buyer, merchant, signed=None),
        "signed_nine_days_ago": goods(buyer, merchant, signed=T0 - timedelta(days=9)),
    }
    dispatch(raise_request(buyer, made["help_open"]))
    apply(buyer, made["refund_open"])
    refund_cancel(actor=buyer.user, refund_id=apply(buyer, made["cancelled_before"]).pk)
    full = apply(buyer, made["refunded_in_full"], refund_type="refund_only", amount_fen=100_000)
    refund_agree(actor=merchant_user, refund_id=full.pk)  # not shipped: paid at once
    return made


def test_each_action_is_what_its_service_does_now(buyer, items_in_every_state):
    rows = walk(token_client(buyer.user), f"{LIST}?limit=5")
    assert {row["id"] for row in rows} == {item.pk for item in items_in_every_state.values()}
    seen = set()
    for row in rows:
        for action in row["actions"]:
            assert attempt(buyer, row["id"], action) == action["reason"], (row["id"], action)
            assert action["allowed"] is (action["reason"] is None)
            assert (action["message"] is None) is action["allowed"]
            seen.add((action["action"], action["reason"]))
    # Every refusal the list can give was given, and every action was allowed somewhere.
    assert {reason for _, reason in seen} == {*REFUSAL_CODES, None}
    assert {name for name, reason in seen if reason is None} == {"help_request", *REFUND_CALLS}


def test_what_each_state_allows(buyer, items_in_every_state):
    api = token_client(buyer.user)
    by_item = {name: actions_of(api.get(detail_url(item.pk)).json()) for name, item in items_in_every_state.items()}
    reasons = {name: {key: a["reason"] for key, a in actions.items()} for name, actions in by_item.items()}
    assert reasons["fresh"] == {
        "help_request:delivery_install": None,
        **dict.fromkeys(REFUND_CALLS),
    }
    assert set(reasons["closed"].values()) == {"order_closed"}
    assert reasons["no_services"]["help_request:None"] == "service_not_eligible"
    assert reasons["no_services"]["damage_claim"] == "no_damage_guarantee"
    assert reasons["two_help_services"]["help_request:onsite_install"] is None
    assert reasons["two_help_services"]["help_request:three_year_warranty"] is None
    assert reasons["city_not_served"]["help_request:delivery_install"] == "city_not_supported"
    assert reasons["city_not_served"]["refund_only"] is None
    assert reasons["help_open"]["help_request:delivery_install"] == "help_request_exists"
    assert reasons["refund_open"]["help_request:delivery_install"] is None
    assert {reasons["refund_open"][name] for name in REFUND_CALLS} == {"refund_exists"}
    assert {reasons["cancelled_before"][name] for name in REFUND_CALLS} == {"reopen_refused"}
    assert {reasons["after_sales_over"][name] for name in REFUND_CALLS} == {"after_sales_window_passed"}
    assert reasons["unshipped"]["refund_only"] is None
    assert reasons["unshipped"]["return_refund"] == reasons["unshipped"]["exchange"] == "not_shipped"
    assert reasons["refunded_in_full"]["refund_only"] == "amount_exceeds_refundable"
    assert reasons["made_to_order"]["seven_day_return"] == "seven_day_excluded"
    assert reasons["in_transit"]["seven_day_return"] == "seven_day_not_signed"
    assert reasons["in_transit"]["damage_claim"] == "damage_claim_window_passed"
    assert reasons["signed_nine_days_ago"]["seven_day_return"] == "seven_day_window_passed"
    assert reasons["signed_nine_days_ago"]["damage_claim"] == "damage_claim_window_passed"
    assert reasons["signed_nine_days_ago"]["return_refund"] is None
    # A countdown only where time is what allows or refuses it: the window that closed, not the first one.
    succeeded = items_in_every_state["after_sales_over"].order.succeeded_at
    after_sales_end = (succeeded + timedelta(days=15)).astimezone(BJ).isoformat()
    assert by_item["after_sales_over"]["seven_day_return"]["until"] == after_sales_end
    assert by_item["signed_nine_days_ago"]["seven_day_return"]["until"] == "2026-02-28T23:59:59.999999+08:00"
    for name in ("no_services", "refund_open", "closed"):
        assert by_item[name]["damage_claim"]["until"] is None
        assert by_item[name]["damage_claim"]["seconds_left"] is None
    assert by_item["refunded_in_full"]["refund_only"]["message"] == "Nothing is left to refund on this item."


def test_an_open_case_in_the_way_is_named(buyer, items_in_every_state):
    api = token_client(buyer.user)
    help_open = items_in_every_state["help_open"]
    [request] = help_open.help_requests.all()
    actions = actions_of(api.get(detail_url(help_open.pk)).json())
    assert actions["help_request:delivery_install"]["case"] == {"type": "help_request", "id": request.pk}
    assert actions["refund_only"]["case"] is None
    refund_open = items_in_every_state["refund_open"]
    [refund] = refund_open.refund_requests.all()
    actions = actions_of(api.get(detail_url(refund_open.pk)).json())
    assert {str(actions[name]["case"]) for name in REFUND_CALLS} == {str({"type": "refund", "id": refund.pk})}


def test_an_item_reads_with_its_order_product_services_and_windows(buyer, merchant):
    item = goods(buyer, merchant, signed=datetime(2026, 3, 1, 23, 30, tzinfo=BJ))
    body = token_client(buyer.user).get(detail_url(item.pk)).json()
    assert body["id"] == item.pk
    assert body["order"]["order_no"] == item.order.order_no
    assert body["order"]["status"] == "signed"
    assert body["order"]["merchant"] == {"id": merchant.pk, "shop_name": merchant.shop_name}
    assert body["order"]["signed_at"] == "2026-03-01T23:30:00+08:00"
    assert body["product"]["title"] == item.product.title
    assert (body["amount_paid_fen"], body["refundable_fen"]) == (100_000, 100_000)
    assert [s["kind"] for s in body["services"]] == EVERY_SERVICE
    assert body["services"][0]["label"] == "Delivery into the home and installation (送货入户并安装)"
    actions = actions_of(body)
    # Signed 1 March 23:30 Beijing: 7 days from 2 March, the whole of 8 March included (RULES.md section 5.4).
    assert actions["seven_day_return"]["until"] == "2026-03-08T23:59:59.999999+08:00"
    assert actions["seven_day_return"]["seconds_left"] == 6 * 86400 + 14 * 3600 - 1
    assert actions["damage_claim"]["until"] == "2026-03-04T23:30:00+08:00"  # 72 hours after signing
    # No after-sales window runs before the trade succeeds; one-click help has none.
    assert actions["refund_only"]["until"] is None and actions["refund_only"]["seconds_left"] is None
    assert actions["help_request:delivery_install"]["until"] is None


def _at(clock, moment, buyer, item, name):
    clock.move_to(moment)
    action = actions_of(token_client(buyer.user).get(detail_url(item.pk)).json())[name]
    assert attempt(buyer, item.pk, action) == action["reason"]
    return action


def test_the_7_day_return_allows_the_last_second_of_its_last_day(buyer, merchant, clock):
    item = goods(buyer, merchant, signed=datetime(2026, 3, 1, 23, 30, tzinfo=BJ))
    last = datetime(2026, 3, 8, 23, 59, 59, tzinfo=BJ)
    before = _at(clock, last - SECOND, buyer, item, "seven_day_return")
    assert (before["allowed"], before["seconds_left"]) == (True, 1)
    inside = _at(clock, last, buyer, item, "seven_day_return")
    assert (inside["allowed"], inside["seconds_left"]) == (True, 0)
    after = _at(clock, last + SECOND, buyer, item, "seven_day_return")
    assert (after["allowed"], after["reason"], after["seconds_left"]) == (False, "seven_day_window_passed", 0)


def test_the_damage_claim_window_allows_its_own_second(buyer, merchant, clock):
    signed = T0 - timedelta(hours=1)
    item = goods(buyer, merchant, signed=signed)
    due = signed + timedelta(hours=72)
    inside = _at(clock, due, buyer, item, "damage_claim")
    assert (inside["allowed"], inside["until"], inside["seconds_left"]) == (True, "2026-03-05T09:00:00+08:00", 0)
    after = _at(clock, due + SECOND, buyer, item, "damage_claim")
    assert (after["allowed"], after["reason"]) == (False, "damage_claim_window_passed")


@pytest.mark.parametrize(("override", "days"), [(None, 15), (30, 30)])
def test_the_after_sales_window_allows_its_own_second(buyer, merchant, clock, override, days):
    succeeded = T0 - timedelta(days=1)
    product = f.ProductFactory(merchant=merchant, after_sales_days=override)
    item = goods(buyer, merchant, status=OrderStatus.SUCCEEDED, succeeded_at=succeeded, product=product)
    due = succeeded + timedelta(days=days)
    for name in ("refund_only", "return_refund", "exchange", "repair"):
        inside = _at(clock, due, buyer, item, name)
        assert (inside["allowed"], inside["until"], inside["seconds_left"]) == (
            True,
            due.astimezone(BJ).isoformat(),
            0,
        )
        after = _at(clock, due + SECOND, buyer, item, name)
        assert (after["allowed"], after["reason"]) == (False, "after_sales_window_passed")


def test_another_buyers_items_do_not_exist_for_you(buyer, other_buyer, merchant, merchant_user):
    mine = goods(buyer, merchant)
    theirs = goods(other_buyer, merchant)
    api = token_client(buyer.user)
    assert [row["id"] for row in walk(api)] == [mine.pk]
    resp = api.get(detail_url(theirs.pk))
    assert (resp.status_code, resp.json()["code"]) == (404, "order_item_not_found")
    for url in (LIST, detail_url(mine.pk)):
        resp = token_client(merchant_user).get(url)
        assert (resp.status_code, resp.json()["code"]) == (403, "buyer_required")


@pytest.mark.parametrize("pk", ["0", "abc", "99999999999999999999999"])
def test_an_id_that_names_no_item_is_a_404(buyer, pk):
    resp = token_client(buyer.user).get(detail_url(pk))
    assert resp.status_code == 404
    assert resp.json()["code"] in ("order_item_not_found", "not_found")


def test_a_walk_meets_every_item_once_newest_first(buyer, merchant):
    made = [goods(buyer, merchant).pk for _ in range(7)]
    rows = walk(token_client(buyer.user), f"{LIST}?limit=3")
    assert [row["id"] for row in rows] == sorted(made, reverse=True)


def _queries(api, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_the_queries_do_not_grow_with_the_page(buyer, merchant, merchant_user, city, items_in_every_state):
    api = token_client(buyer.user)
    one = goods(buyer, merchant)
    list_one = _queries(api, f"{LIST}?limit=1")
    detail = _queries(api, detail_url(one.pk))
    while len(walk(api)) < 30:
        item = goods(buyer, merchant)
        raise_request(buyer, item)  # live help requests and refunds on many rows
        apply(buyer, item)
    assert len(api.get(f"{LIST}?limit=30").json()["results"]) == 30
    # Token and user, buyer, the page (its facts are subqueries of it), commitments, live help requests, policies.
    assert list_one == _queries(api, f"{LIST}?limit=30") == detail == 6
