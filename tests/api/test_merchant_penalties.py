"""The merchant's penalties: credited, held, voided and reversed, each with its case and order number, the deadline
it was for, its amount and its violation record; filters; a cursor walk over the two sources meets each once; the
same queries for 1 row as for 10; another merchant's never show."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.models import EntryKind, MerchantAccountEntry, Violation
from disputes.services.force_majeure import help_force_majeure_claim, help_force_majeure_decide
from disputes.services.help_sweep import help_sweep
from disputes.services.ledger import ledger_reverse
from tests import factories as f
from tests.admin.case_helpers import judged_case
from tests.api.helpers import T0, dispatch, raise_request, token_client

pytestmark = pytest.mark.django_db

URL = reverse("api:merchant-penalty-list")
MISSED = T0 + timedelta(hours=1, seconds=1)  # the sweep that records the 1-hour misses of requests raised at T0


def another_item(buyer, merchant, item):
    return f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant, city=item.order.city))


@pytest.fixture
def penalties(buyer, merchant, item, merchant_user, senior, agent, clock):
    """A 1-hour miss charged; one held by a pending force-majeure claim; one voided by an approved claim; a
    judgment's compensation, reversed."""
    charged = dispatch(raise_request(buyer, item))
    held = dispatch(raise_request(buyer, another_item(buyer, merchant, item)))
    voided = dispatch(raise_request(buyer, another_item(buyer, merchant, item)))
    clock.shift(timedelta(minutes=20))
    for request in (held, voided):
        claim = help_force_majeure_claim(
            actor=merchant_user, request_id=request.pk, deadline="solution", category="typhoon", note="Roads shut."
        )
    help_force_majeure_decide(actor=senior, claim_id=claim.pk, approve=True, reason="Typhoon warning confirmed.")
    clock.move_to(MISSED)
    help_sweep(now=MISSED)
    case = judged_case(buyer, merchant, merchant_user, agent)
    compensation = MerchantAccountEntry.objects.get(kind=EntryKind.COMPENSATION, merchant=merchant)
    reversal = ledger_reverse(entry=compensation, actor=senior, reason="Overturned on review.").entry
    return {"charged": charged, "held": held, "voided": voided, "case": case, "reversal": reversal}


def walk(api, url):
    rows = []
    while url:
        body = api.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


def test_each_penalty_with_its_status_case_deadline_and_violation(merchant_user, penalties):
    rows = walk(token_client(merchant_user), URL)
    by_status = {row["status"]: row for row in rows}
    assert sorted(by_status) == ["credited", "held", "reversed", "voided"] and len(rows) == 4
    charged = by_status["credited"]
    request = penalties["charged"]
    assert charged["key"] == f"help:{request.pk}:solution_penalty"
    assert (charged["kind"], charged["amount_fen"], charged["amount_yuan"]) == ("help_solution_penalty", 5000, "50.00")
    assert charged["deadline"] == "solution" and charged["penalty_basis"] == "fixed"
    assert charged["occurred_at"] == "2026-03-02T11:00:00+08:00"  # the deadline missed
    assert charged["case"] == {
        "type": "help_request",
        "id": request.pk,
        "number": f"HR-{request.pk}",
        "order_no": request.order_item.order.order_no,
    }
    entry = MerchantAccountEntry.objects.get(pk=charged["entry"])
    assert entry.amount == -5000 and charged["reversal_entry"] is None
    violation = Violation.objects.get(help_request=request)
    assert charged["violation"] == {
        "id": violation.pk,
        "kind": "breach_of_promise",
        "status": "not_counted",
        "score_points": 4,
    }
    for status, request in (("held", penalties["held"]), ("voided", penalties["voided"])):
        row = by_status[status]
        assert row["key"] == f"help:{request.pk}:solution_penalty"
        assert (row["entry"], row["amount_fen"], row["case"]["id"]) == (None, 5000, request.pk)
        assert row["violation"]["status"] == {"held": "held", "voided": "exempted"}[status]
    reversed_ = by_status["reversed"]
    case = penalties["case"]
    assert (reversed_["kind"], reversed_["amount_fen"]) == ("compensation", 2000)
    assert reversed_["reversal_entry"] == penalties["reversal"].pk
    assert reversed_["case"]["type"] == "intervention" and reversed_["case"]["number"] == f"IV-{case.pk}"
    assert reversed_["violation"]["kind"] == "breach_of_promise"
    assert reversed_["violation"]["status"] == "counted"


def test_filters_by_status_and_kind(merchant_user, penalties):
    api = token_client(merchant_user)
    assert [row["status"] for row in walk(api, f"{URL}?status=held")] == ["held"]
    assert sorted(row["status"] for row in walk(api, f"{URL}?status=held&status=credited")) == ["credited", "held"]
    assert [row["kind"] for row in walk(api, f"{URL}?kind=compensation")] == ["compensation"]
    assert len(walk(api, f"{URL}?kind=help_solution_penalty")) == 3
    assert walk(api, f"{URL}?kind=damage_penalty") == []
    resp = api.get(f"{URL}?status=paid")
    assert (resp.status_code, resp.json()["code"]) == (400, "invalid_status")


def test_a_walk_one_at_a_time_meets_each_penalty_once_newest_first(merchant_user, penalties):
    api = token_client(merchant_user)
    one_by_one = walk(api, f"{URL}?limit=1")
    assert [row["key"] for row in one_by_one] == [row["key"] for row in walk(api, URL)]
    assert len({row["key"] for row in one_by_one}) == 4
    times = [row["recorded_at"] for row in one_by_one]
    assert times == sorted(times, reverse=True)


def test_the_same_queries_for_1_row_as_for_10(buyer, merchant, item, merchant_user, clock):
    items = [item] + [another_item(buyer, merchant, item) for _ in range(9)]
    for each in items:
        dispatch(raise_request(buyer, each))
    clock.move_to(MISSED)
    help_sweep(now=MISSED)
    api = token_client(merchant_user)
    api.get(f"{URL}?limit=1")
    counts = []
    for limit in (1, 10):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(f"{URL}?limit={limit}").json()["results"]) == limit
        counts.append(len(queries))
    # Token, merchant link, merchant, the misses, the entries, their violations, their help requests' orders.
    assert counts == [7, 7]


def test_another_merchants_penalties_never_show(other_merchant_user, penalties):
    assert walk(token_client(other_merchant_user), URL) == []


def test_a_charged_penalty_explains_itself_on_its_statement_entry_and_its_violation(merchant_user, penalties):
    """The statement entry that charged a penalty, and its violation record, say how it was computed: the 1-hour
    deadline missed (raised 10:00 Beijing inside the window, due at 11:00) and the fixed 5,000 of the policy's
    version 1, recomputed to the recorded amount."""
    api = token_client(merchant_user)
    charged = next(row for row in walk(api, URL) if row["status"] == "credited")
    entry = api.get(reverse("api:merchant-statement-detail", args=[charged["entry"]])).json()
    assert entry["amount_fen"] == -5000 and entry["id"] == charged["entry"]
    explanation = entry["explanation"]
    assert explanation["reproduced"] is True
    assert abs(explanation["amount"]) == abs(explanation["recomputed_amount"]) == 5000
    assert {"key": "help.solution_penalty", "version": 1} in [
        {"key": p["key"], "version": p["version"]} for p in explanation["policies"]
    ]
    assert explanation["deadline"]["due_at_local"].startswith("2026-03-02T11:00:00")

    violation = api.get(reverse("api:merchant-violation-detail", args=[charged["violation"]["id"]])).json()
    assert violation["explanation"]["reproduced"] is True
    assert violation["explanation"]["recomputed_amount"] == 5000


def test_an_entry_that_is_no_penalty_has_no_explanation_and_another_merchants_entry_is_not_found(
    merchant, merchant_user, other_merchant_user, penalties
):
    api = token_client(merchant_user)
    refund_like = ledger_reverse(
        entry=MerchantAccountEntry.objects.filter(merchant=merchant, kind=EntryKind.HELP_SOLUTION_PENALTY).first(),
        actor=f.StaffFactory(is_superuser=True),
        reason="Goodwill",
    ).entry
    body = api.get(reverse("api:merchant-statement-detail", args=[refund_like.pk])).json()
    assert body["kind"] == "reversal" and body["explanation"] is None
    stranger = token_client(other_merchant_user).get(reverse("api:merchant-statement-detail", args=[refund_like.pk]))
    assert stranger.status_code == 404 and stranger.json()["code"] == "statement_entry_not_found"
    assert api.get(reverse("api:merchant-statement-detail", args=["1x"])).json()["code"] == "statement_entry_not_found"
