"""The merchant's violations through the API: its own only, filters, points per Beijing calendar year, and the
appeal with every refusal code (404 another merchant's, 409 not counted, 422 twice or too late, 400 no reason) and
an Idempotency-Key retry; the same queries for 1 row as for 30."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disputes.models import Violation, ViolationStatus
from disputes.services.violations import help_complaint_file, violation_decide, violation_decide_appeal
from tests import factories as f
from tests.api.helpers import BJ, dispatch, raise_request, token_client

pytestmark = pytest.mark.django_db

URL = reverse("api:merchant-violation-list")
POINTS = reverse("api:merchant-violation-points")


def appeal_url(pk):
    return reverse("api:merchant-violation-appeal", args=[pk])


def counted_complaint(buyer, merchant, item, senior, clock, *, at=None):
    """A complaint on a fresh help request of `merchant`, filed and counted at `at` (default now)."""
    if at is not None:
        clock.move_to(at)
    order_item = f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant, city=item.order.city))
    request = dispatch(raise_request(buyer, order_item))
    complaint = help_complaint_file(actor=buyer.user, request_id=request.pk, text="Nobody came.")
    return violation_decide(actor=senior, violation_id=complaint.pk, count=True, reason="Confirmed.")


@pytest.fixture
def counted(buyer, merchant, item, senior, clock):
    return counted_complaint(buyer, merchant, item, senior, clock)


def test_the_merchant_lists_its_own_violations_with_the_appeal_state(
    buyer, merchant, item, senior, clock, counted, merchant_user, other_merchant_user
):
    other = counted_complaint(buyer, f.MerchantFactory(), item, senior, clock)
    rows = token_client(merchant_user).get(URL).json()["results"]
    assert [row["id"] for row in rows] == [counted.pk]
    row = rows[0]
    assert (row["kind"], row["status"], row["counts"], row["score_points"]) == ("breach_of_promise", "counted", True, 4)
    assert row["case"]["type"] == "help_request" and row["case"]["id"] == counted.help_request_id
    assert row["appeal"] == {
        "can_appeal": True,
        "due_at": "2026-03-09T10:00:00+08:00",  # 7 days after it was counted
        "appealed_at": None,
        "reason": "",
        "outcome": None,
        "decided_at": None,
        "decision_reason": "",
    }
    assert token_client(other_merchant_user).get(URL).json()["results"] == []
    resp = token_client(merchant_user).get(reverse("api:merchant-violation-detail", args=[other.pk]))
    assert (resp.status_code, resp.json()["code"]) == (404, "violation_not_found")


def test_the_merchant_appeals_and_reads_the_decision(counted, merchant_user, senior, clock):
    api = token_client(merchant_user)
    clock.shift(timedelta(days=2))
    resp = api.post(appeal_url(counted.pk), {"reason": "The buyer rescheduled; chat log attached."}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "appealed" and resp.json()["counts"] is True
    assert resp.json()["appeal"]["outcome"] == "pending" and resp.json()["appeal"]["can_appeal"] is False
    violation_decide_appeal(actor=senior, violation_id=counted.pk, grant=True, reason="The chat log holds.")
    body = api.get(reverse("api:merchant-violation-detail", args=[counted.pk])).json()
    assert (body["status"], body["counts"]) == ("revoked", False)
    assert body["appeal"]["outcome"] == "granted" and body["appeal"]["decision_reason"] == "The chat log holds."


def test_every_refusal_of_an_appeal_has_its_code(buyer, merchant, item, senior, clock, counted, merchant_user):
    api = token_client(merchant_user)
    other = counted_complaint(buyer, f.MerchantFactory(), item, senior, clock)
    resp = api.post(appeal_url(other.pk), {"reason": "Not ours."}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (404, "violation_not_found")
    for body, code in (({}, "reason_required"), ({"reason": "x" * 1001}, "reason_too_long")):
        resp = api.post(appeal_url(counted.pk), body, format="json")
        assert (resp.status_code, resp.json()["code"]) == (400, code)
    pending = help_complaint_file(
        actor=buyer.user,
        request_id=dispatch(
            raise_request(
                buyer, f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant, city=item.order.city))
            )
        ).pk,
        text="Rude.",
    )
    resp = api.post(appeal_url(pending.pk), {"reason": "Not yet counted."}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (409, "invalid_transition")
    assert resp.json()["details"] == {"status": "pending_review"}
    due = Violation.objects.get(pk=counted.pk).appeal_due_at
    clock.move_to(due + timedelta(seconds=1))
    resp = api.post(appeal_url(counted.pk), {"reason": "Too late."}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (422, "appeal_window_closed")
    clock.move_to(due)  # its last second is still in time
    assert api.post(appeal_url(counted.pk), {"reason": "Just in time."}, format="json").status_code == 200
    resp = api.post(appeal_url(counted.pk), {"reason": "Again."}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (422, "already_appealed")
    assert resp.json()["details"] == {"status": "appealed"}


def test_an_appeal_retried_with_its_idempotency_key_is_answered_again(counted, merchant_user):
    api = token_client(merchant_user)
    first = api.post(appeal_url(counted.pk), {"reason": "Chat log."}, format="json", HTTP_IDEMPOTENCY_KEY="ap-1")
    again = api.post(appeal_url(counted.pk), {"reason": "Chat log."}, format="json", HTTP_IDEMPOTENCY_KEY="ap-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()


def test_filters_by_status_and_beijing_year(buyer, merchant, item, senior, clock, merchant_user):
    late_2026 = counted_complaint(buyer, merchant, item, senior, clock, at=datetime(2026, 12, 31, 23, 30, tzinfo=BJ))
    early_2027 = counted_complaint(buyer, merchant, item, senior, clock, at=datetime(2027, 1, 1, 0, 10, tzinfo=BJ))
    Violation.objects.filter(pk=late_2026.pk).update(status=ViolationStatus.REVOKED)
    api = token_client(merchant_user)
    assert [row["id"] for row in api.get(f"{URL}?year=2027").json()["results"]] == [early_2027.pk]
    assert [row["id"] for row in api.get(f"{URL}?year=2026").json()["results"]] == [late_2026.pk]
    assert [row["id"] for row in api.get(f"{URL}?status=revoked").json()["results"]] == [late_2026.pk]
    assert api.get(f"{URL}?year=1999").json()["code"] == "invalid_year"


def test_points_per_beijing_calendar_year_count_counted_and_appealed(
    buyer, merchant, item, senior, clock, merchant_user
):
    # 2026-12-31 23:30 and 2027-01-01 00:10 Beijing time are both 2026 in UTC: the year is Beijing's.
    counted_complaint(buyer, merchant, item, senior, clock, at=datetime(2026, 12, 31, 23, 30, tzinfo=BJ))
    appealed = counted_complaint(buyer, merchant, item, senior, clock, at=datetime(2027, 1, 1, 0, 10, tzinfo=BJ))
    revoked = counted_complaint(buyer, merchant, item, senior, clock, at=datetime(2027, 1, 1, 8, 0, tzinfo=BJ))
    Violation.objects.filter(pk=revoked.pk).update(status=ViolationStatus.REVOKED)
    api = token_client(merchant_user)
    api.post(appeal_url(appealed.pk), {"reason": "Appealing."}, format="json")
    assert api.get(POINTS).json() == {
        "results": [{"year": 2027, "points": 4, "violations": 1}, {"year": 2026, "points": 4, "violations": 1}]
    }
    assert api.get(reverse("api:merchant-account-list")).json()["points"] == {
        "year": 2027,
        "points": 4,
        "violations": 1,
    }
    clock.move_to(datetime(2028, 1, 1, 0, 0, tzinfo=BJ))  # points reset on 1 January
    assert api.get(POINTS).json()["results"][0] == {"year": 2028, "points": 0, "violations": 0}


def test_the_same_queries_for_1_row_as_for_30(buyer, merchant, item, senior, clock, merchant_user):
    for _ in range(30):
        counted_complaint(buyer, merchant, item, senior, clock)
    api = token_client(merchant_user)
    api.get(f"{URL}?limit=1")
    counts = []
    for limit in (1, 30):
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(f"{URL}?limit={limit}").json()["results"]) == limit
        counts.append(len(queries))
    assert counts == [4, 4]  # token, merchant link, merchant, the page with its cases' orders
    rows = []
    url = f"{URL}?limit=7"
    while url:
        body = api.get(url).json()
        rows += body["results"]
        url = body["next"]
    assert len({row["id"] for row in rows}) == len(rows) == 30
