"""Buyer API for points: the balance is the ledger's sum, each entry names the case it came from (after real
postings: a swept help-request miss, a return's shipping cover, a judgment's compensation, an adjustment and its
reversal), nobody sees another buyer's, filters refuse bad values, and the queries do not grow with the page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.actors import system_actor
from disputes.choices import ServiceKind
from disputes.models import BuyerPointsEntry, EntryKind
from disputes.services.help_sweep import help_sweep
from disputes.services.ledger import ledger_post, ledger_reverse
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.merchant import refund_agree
from tests.api.helpers import T0, dispatch, new_item, raise_request, token_client
from tests.api.test_refunds_buyer import apply, order_item
from tests.services.test_intervention_helpers import accepted_case, judged

pytestmark = pytest.mark.django_db

SUMMARY = reverse("api:buyer-points-list")
ENTRIES = reverse("api:buyer-points-entry-list")


def entry_url(pk):
    return reverse("api:buyer-points-entry-detail", args=[pk])


def walk(api, url=ENTRIES):
    """Every entry the list gives, following `next` to the end."""
    rows = []
    while url:
        resp = api.get(url)
        assert resp.status_code == 200, resp.content
        rows += resp.json()["results"]
        url = resp.json()["next"]
    return rows


def adjust(buyer, amount, memo="Goodwill after a phone call"):
    return ledger_post(
        model=BuyerPointsEntry,
        amount=amount,
        kind=EntryKind.ADJUSTMENT,
        idempotency_key=None,
        actor=system_actor(),
        memo=memo,
        buyer=buyer,
    ).entry


def missed_solution(buyer, item, clock):
    """A help request whose 1-hour solution deadline passes unanswered; the sweep credits the 5,000-point penalty."""
    request = dispatch(raise_request(buyer, item))
    clock.move_to(request.solution_due_at + timedelta(seconds=1))
    assert help_sweep().credits == 1
    return request


def test_the_balance_is_the_ledgers_sum_and_each_entry_names_its_case(
    buyer, item, merchant, merchant_user, agent, clock
):
    request = missed_solution(buyer, item, clock)
    # A 7-day return on an item with return shipping cover: 1,000 points when the buyer ships it back.
    covered = order_item(buyer, merchant, services=[ServiceKind.RETURN_SHIPPING_COVER])
    refund = apply(buyer, covered, reason="no_reason")
    refund_agree(actor=merchant_user, refund_id=refund.pk)
    refund_ship_return(actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF123")
    # A judgment's compensation: the posting's source is the judgment; its case is the intervention.
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=T0 + timedelta(days=10))
    judged(case, agent, moment=T0 + timedelta(days=11), outcome="compensation", compensation_points=2_500)
    # A supervisor's adjustment, then its reversal.
    clock.move_to(T0 + timedelta(days=12))
    goodwill = adjust(buyer, 300)
    clock.shift(timedelta(minutes=1))
    reversal = ledger_reverse(entry=goodwill, actor=system_actor(), reason="Posted twice by mistake").entry

    api = token_client(buyer.user)
    summary = api.get(SUMMARY).json()
    ledger = BuyerPointsEntry.objects.filter(buyer=buyer).aggregate(total=Sum("amount"))["total"]
    assert summary["balance"] == ledger == 5_000 + 1_000 + 2_500 + 300 - 300
    assert (summary["credited_total"], summary["debited_total"], summary["entry_count"]) == (8_800, -300, 5)
    assert summary["entries"] == f"http://testserver{ENTRIES}"

    rows = walk(api)
    assert sum(row["amount"] for row in rows) == summary["balance"]
    by_kind = {row["kind"]: row for row in rows}
    newest_first = ["reversal", "adjustment", "compensation", "shipping_cover", "help_solution_penalty"]
    assert [row["kind"] for row in rows] == newest_first
    penalty = by_kind["help_solution_penalty"]
    assert penalty["amount"] == 5_000
    assert penalty["case"] == {"type": "help_request", "id": request.pk}
    assert penalty["kind_display"] == "One-click help: 1-hour solution penalty"
    assert penalty["memo"] == f"HR-{request.pk} 1-hour solution deadline missed"
    assert penalty["occurred_at"] == "2026-03-02T11:00:00+08:00"  # dated at the deadline it is for
    assert by_kind["shipping_cover"]["case"] == {"type": "refund", "id": refund.pk}
    assert by_kind["compensation"]["case"] == {"type": "intervention", "id": case.pk}
    assert by_kind["compensation"]["amount"] == 2_500
    assert by_kind["adjustment"]["case"] is None
    assert (by_kind["adjustment"]["reversed_by"], by_kind["reversal"]["reverses"]) == (reversal.pk, goodwill.pk)
    assert by_kind["reversal"]["amount"] == -300
    assert by_kind["reversal"]["memo"] == "Posted twice by mistake"
    assert api.get(entry_url(penalty["id"])).json() == penalty


def test_another_buyer_sees_nothing_of_yours(buyer, other_buyer, item, clock, merchant_user):
    missed_solution(buyer, item, clock)
    entry = BuyerPointsEntry.objects.get()
    api = token_client(other_buyer.user)
    assert api.get(SUMMARY).json() == {
        "balance": 0,
        "credited_total": 0,
        "debited_total": 0,
        "entry_count": 0,
        "entries": f"http://testserver{ENTRIES}",
    }
    assert api.get(ENTRIES).json() == {"next": None, "results": []}
    resp = api.get(entry_url(entry.pk))
    assert (resp.status_code, resp.json()["code"]) == (404, "points_entry_not_found")
    for url in (SUMMARY, ENTRIES, entry_url(entry.pk)):
        resp = token_client(merchant_user).get(url)
        assert (resp.status_code, resp.json()["code"]) == (403, "buyer_required")
        assert token_client(buyer.user).get(url).status_code == 200


@pytest.mark.parametrize("pk", ["0", "abc", "99999999999999999999999"])
def test_an_id_that_names_no_entry_is_a_404(buyer, pk):
    resp = token_client(buyer.user).get(entry_url(pk))
    assert resp.status_code == 404
    assert resp.json()["code"] in ("points_entry_not_found", "not_found")


def test_a_walk_meets_every_entry_once_newest_first(buyer, clock):
    made = []
    for n in range(7):
        made.append(adjust(buyer, 100 + n).pk)
        if n % 3 == 0:
            clock.shift(timedelta(seconds=1))  # several entries share a time: the id breaks the tie
    rows = walk(token_client(buyer.user), f"{ENTRIES}?limit=3")
    assert [row["id"] for row in rows] == sorted(made, reverse=True)


def test_filters_by_kind_and_time(buyer, item, clock):
    missed_solution(buyer, item, clock)
    clock.shift(timedelta(days=1))
    adjust(buyer, 700)
    api = token_client(buyer.user)
    kinds = lambda query: [row["kind"] for row in api.get(f"{ENTRIES}?{query}").json()["results"]]  # noqa: E731
    assert kinds("kind=adjustment") == ["adjustment"]
    assert kinds("kind=adjustment&kind=help_solution_penalty") == ["adjustment", "help_solution_penalty"]
    # The penalty occurred at its deadline, 11:00 on 2 March.
    assert kinds("occurred_before=2026-03-02T11:00:01%2B08:00") == ["help_solution_penalty"]
    assert kinds("occurred_after=2026-03-02T11:00:01%2B08:00") == ["adjustment"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("kind=bonus", "invalid_kind"),
        ("occurred_after=yesterday", "invalid_occurred_after"),
        ("occurred_before=2026-13-01T00:00:00Z", "invalid_occurred_before"),
        ("cursor=nonsense", "invalid_cursor"),
        ("limit=0", "invalid_limit"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_parameter(buyer, query, code):
    resp = token_client(buyer.user).get(f"{ENTRIES}?{query}")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == code
    assert list(body["field_codes"].values()) == [code]


def _queries(api, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured)


def test_the_queries_do_not_grow_with_the_page(buyer, city, merchant, merchant_user, agent, clock):
    api = token_client(buyer.user)
    missed_solution(buyer, new_item(buyer, merchant), clock)
    api.get(ENTRIES)  # Django caches content types per process: warm it, as a running server is
    one = _queries(api, ENTRIES)
    # 29 more, of every kind of source: help requests, refunds, a judgment, adjustments and a reversal.
    for _ in range(4):
        missed_solution(buyer, new_item(buyer, merchant), clock)
    for _ in range(3):
        covered = order_item(buyer, merchant, services=[ServiceKind.RETURN_SHIPPING_COVER])
        refund = apply(buyer, covered, reason="no_reason")
        refund_agree(actor=merchant_user, refund_id=refund.pk)
        refund_ship_return(actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF1")
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=T0 + timedelta(days=10))
    judged(case, agent, moment=T0 + timedelta(days=11), outcome="compensation", compensation_points=100)
    while BuyerPointsEntry.objects.count() < 29:
        adjust(buyer, 10)
    ledger_reverse(entry=BuyerPointsEntry.objects.filter(kind="adjustment").first(), actor=system_actor(), reason="x")
    assert BuyerPointsEntry.objects.filter(buyer=buyer).count() == 30
    thirty = _queries(api, ENTRIES)
    assert len(api.get(ENTRIES).json()["results"]) == 30
    # Token and user, buyer, the page (cases and reversals are part of its query).
    assert one == thirty == 3
    assert _queries(api, SUMMARY) == 3  # token and user, buyer, one aggregate


def test_the_summary_is_one_aggregate_whatever_the_history(buyer, django_assert_num_queries):
    for n in range(12):
        adjust(buyer, n + 1)
    api = token_client(buyer.user)
    with django_assert_num_queries(3):
        assert api.get(SUMMARY).json()["balance"] == sum(range(1, 13))


def test_kind_labels_follow_the_callers_language(buyer, item, clock):
    missed_solution(buyer, item, clock)
    resp = token_client(buyer.user).get(ENTRIES, HTTP_ACCEPT_LANGUAGE="zh-hans")
    [row] = resp.json()["results"]
    assert row["kind"] == "help_solution_penalty"
    assert row["kind_display"] != "One-click help: 1-hour solution penalty"


def test_points_from_another_buyer_never_count(buyer, other_buyer, merchant, clock):
    adjust(other_buyer, 9_999)
    adjust(buyer, 1)
    assert token_client(buyer.user).get(SUMMARY).json()["balance"] == 1
