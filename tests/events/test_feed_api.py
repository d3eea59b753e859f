"""The event feeds: the caller's published events only, in sequence order, page by page after a sequence."""

from datetime import timedelta

import pytest

from disputes.events.publish import publish
from disputes.models import Event
from disputes.services.help_sweep import help_sweep
from tests import factories as f
from tests.api.helpers import token_client
from tests.services.helpers import bj, raised_and_dispatched

pytestmark = pytest.mark.django_db
T0 = bj(2026, 3, 2, 10, 0)


@pytest.fixture
def missed(item, buyer):
    """One request whose 1-hour deadline was missed: raised, dispatched, breached, penalty, two postings."""
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    help_sweep(now=T0 + timedelta(hours=1, seconds=1))
    publish()
    return request


def walk(client, url):
    seen, pages = [], 0
    while url:
        body = client.get(url).json()
        seen.extend(body["results"])
        url = body["next"]
        pages += 1
    return seen, pages


def test_the_merchant_reads_its_events_in_order_page_by_page(missed, merchant_user, merchant):
    expected = list(Event.objects.filter(merchant=merchant).order_by("sequence").values_list("uid", flat=True))
    assert len(expected) == 5  # raised, dispatched, breached, penalty credited, the merchant's own posting
    seen, pages = walk(token_client(merchant_user), "/api/merchant/events/?limit=2")
    assert [e["id"] for e in seen] == [str(u) for u in expected]
    assert pages == 3
    assert [e["sequence"] for e in seen] == sorted(e["sequence"] for e in seen)
    posting = next(e for e in seen if e["type"] == "ledger.entry_posted")
    assert posting["data"]["ledger"] == "merchant_account" and posting["data"]["amount"] == -5000
    assert posting["case"] == {"type": "help_request", "id": missed.pk}


def test_after_a_sequence_returns_only_what_came_later(missed, merchant_user):
    client = token_client(merchant_user)
    first = client.get("/api/merchant/events/").json()
    last = first["last_sequence"]
    assert first["next"] is None  # a short page: nothing more for now
    assert client.get(f"/api/merchant/events/?after={last}").json()["results"] == []
    help_sweep(now=T0 + timedelta(days=3))  # the 48-hour deadline passes too
    publish()
    later = client.get(f"/api/merchant/events/?after={last}").json()["results"]
    assert later and all(e["sequence"] > last for e in later)
    assert "help_request.resolution_breached" in {e["type"] for e in later}


def test_unpublished_events_are_not_served_yet(item, buyer, merchant_user):
    raised_and_dispatched(T0, buyer=buyer, item=item)
    assert token_client(merchant_user).get("/api/merchant/events/").json()["results"] == []
    publish()
    assert len(token_client(merchant_user).get("/api/merchant/events/").json()["results"]) == 2


def test_another_merchant_and_another_buyer_see_none_of_it(missed, other_merchant_user, other_buyer):
    assert token_client(other_merchant_user).get("/api/merchant/events/").json()["results"] == []
    assert token_client(other_buyer.user).get("/api/buyer/events/").json()["results"] == []


def test_the_buyer_reads_its_points_but_not_the_merchants_account(missed, buyer):
    seen, _ = walk(token_client(buyer.user), "/api/buyer/events/")
    postings = [e["data"] for e in seen if e["type"] == "ledger.entry_posted"]
    assert [(p["ledger"], p["amount"]) for p in postings] == [("buyer_points", 5000)]


def test_who_may_not_read_a_merchant_feed_is_told_why(missed, buyer):
    provider_user = f.ProviderUserFactory().user
    for user in (buyer.user, provider_user):
        resp = token_client(user).get("/api/merchant/events/")
        assert (resp.status_code, resp.json()["code"]) == (403, "merchant_required")
    assert token_client(buyer.user).get("/api/buyer/events/").status_code == 200


@pytest.mark.parametrize("query", ["after=-1", "after=x", "after=99999999999999999999", "limit=0", "limit=201"])
def test_a_bad_cursor_or_limit_is_a_400_with_its_code(missed, merchant_user, query):
    resp = token_client(merchant_user).get(f"/api/merchant/events/?{query}")
    assert resp.status_code == 400
    name = query.split("=")[0]
    assert resp.json()["field_codes"][name] == f"invalid_{name}"
