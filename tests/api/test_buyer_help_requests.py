"""Buyer API for one-click help: raise, list/read own requests, cancel window, confirm, object, complain."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from disputes.choices import ServiceKind
from disputes.models import HelpRequest, HelpState, Violation, ViolationKind, ViolationStatus
from disputes.services.help_requests import help_request_give_solution, help_request_mark_resolved
from tests.api.helpers import BJ, T0, assert_fields_refused, client_for, dispatch, new_item, raise_request, token_client

pytestmark = pytest.mark.django_db

LIST = reverse("api:buyer-help-request-list")


def detail_url(pk, action=None):
    if action is None:
        return reverse("api:buyer-help-request-detail", args=[pk])
    return reverse(f"api:buyer-help-request-{action}", args=[pk])


def resolved_pending(buyer, item, merchant_user, clock) -> HelpRequest:
    req = dispatch(raise_request(buyer, item))
    clock.shift(timedelta(minutes=20))
    help_request_mark_resolved(actor=merchant_user, request_id=req.pk, note="Installed on a second visit.")
    return req


# --- raise -----------------------------------------------------------------------------------


def test_buyer_raises_a_request_and_sees_every_deadline(buyer, item, merchant):
    api = client_for(buyer.user)
    resp = api.post(
        LIST,
        {"order_item": item.pk, "anomaly_kind": "not_performed", "description": "Nobody came to install the sofa."},
        format="json",
    )

    assert resp.status_code == 201, resp.content
    body = resp.json()
    stored = HelpRequest.objects.get()
    assert body["id"] == stored.pk
    assert body["number"] == f"HR-{stored.pk}"
    assert stored.buyer == buyer and stored.order_item == item
    assert body["state"] == "raised"
    assert body["service_kind"] == "delivery_install"
    assert body["anomaly_kind"] == "not_performed"
    assert body["merchant_shop_name"] == merchant.shop_name
    assert body["description"] == "Nobody came to install the sofa."
    assert body["cancellable"] is True
    # Raised Monday 10:00 Beijing: cancel window 10 s, 1-hour and 48-hour deadlines.
    assert body["raised_at"] == "2026-03-02T10:00:00+08:00"
    assert body["dispatch_at"] == "2026-03-02T10:00:10+08:00"
    assert body["solution_due_at"] == "2026-03-02T11:00:00+08:00"
    assert body["resolution_due_at"] == "2026-03-04T10:00:00+08:00"
    assert body["confirm_due_at"] is None
    assert body["solution_breached_at"] is None and body["resolution_breached_at"] is None
    assert body["solution_text"] == "" and body["appointment_at"] is None
    for label in ("state_label", "service_kind_label", "anomaly_kind_label"):
        assert body[label]


def test_raised_in_the_evening_has_no_one_hour_deadline(buyer, item, clock):
    clock.move_to(datetime(2026, 3, 2, 19, 30, tzinfo=BJ))
    resp = client_for(buyer.user).post(
        LIST, {"order_item": item.pk, "anomaly_kind": "extra_fee", "description": "Charged 200 元 extra."}
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["solution_due_at"] is None
    assert resp.json()["resolution_due_at"] == "2026-03-04T19:30:00+08:00"


def test_buyer_names_the_service_when_the_item_carries_several(buyer, merchant, city):
    item = new_item(buyer, merchant, services=[ServiceKind.HOME_DELIVERY, ServiceKind.THREE_YEAR_WARRANTY])
    api = client_for(buyer.user)
    payload = {"order_item": item.pk, "anomaly_kind": "partly_performed", "description": "Left at the door."}

    refused = api.post(LIST, payload, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "service_kind_required"

    resp = api.post(LIST, {**payload, "service_kind": "home_delivery"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["service_kind"] == "home_delivery"


DROP = object()


@pytest.mark.parametrize(
    ("changes", "bad_fields"),
    [
        ({"order_item": DROP}, {"order_item": "order_item_required"}),
        ({"order_item": "abc"}, {"order_item": "invalid_order_item"}),
        ({"anomaly_kind": "broken"}, {"anomaly_kind": "invalid_anomaly_kind"}),
        ({"description": DROP}, {"description": "description_required"}),
        ({"description": "x" * 2001}, {"description": "description_too_long"}),
        ({"service_kind": "massage"}, {"service_kind": "invalid_service_kind"}),
        (
            {"anomaly_kind": DROP, "service_kind": "massage"},
            {"anomaly_kind": "anomaly_kind_required", "service_kind": "invalid_service_kind"},
        ),
    ],
)
def test_invalid_input_is_refused_per_field_and_nothing_is_stored(buyer, item, changes, bad_fields):
    payload = {"order_item": item.pk, "anomaly_kind": "not_performed", "description": "Nobody came.", **changes}
    payload = {key: value for key, value in payload.items() if value is not DROP}
    resp = client_for(buyer.user).post(LIST, payload, format="json")

    assert resp.status_code == 400
    assert_fields_refused(resp.json(), bad_fields)
    assert HelpRequest.objects.count() == 0


def test_item_without_an_eligible_service_is_refused_with_422(buyer, merchant, city):
    item = new_item(buyer, merchant, services=[ServiceKind.AUTHENTICITY])
    resp = client_for(buyer.user).post(
        LIST, {"order_item": item.pk, "anomaly_kind": "not_performed", "description": "x"}, format="json"
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "service_not_eligible"
    assert resp.json()["message"]
    assert HelpRequest.objects.count() == 0


def test_unsupported_city_is_refused_with_422(buyer, merchant, city):
    item = new_item(buyer, merchant, city="拉萨")
    resp = client_for(buyer.user).post(
        LIST, {"order_item": item.pk, "anomaly_kind": "not_performed", "description": "x"}, format="json"
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "city_not_supported"
    assert HelpRequest.objects.count() == 0


def test_someone_elses_order_item_is_not_found(other_buyer, item):
    resp = client_for(other_buyer.user).post(
        LIST, {"order_item": item.pk, "anomaly_kind": "not_performed", "description": "x"}, format="json"
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "order_item_not_found"
    assert HelpRequest.objects.count() == 0


def test_a_second_live_request_on_the_same_item_is_refused(buyer, item):
    raise_request(buyer, item)
    resp = client_for(buyer.user).post(
        LIST, {"order_item": item.pk, "anomaly_kind": "not_performed", "description": "again"}, format="json"
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "help_request_exists"
    assert HelpRequest.objects.count() == 1


# --- who may call ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["merchant_user", "agent"])
def test_a_caller_who_is_not_a_buyer_gets_buyer_required(request, who, item):
    api = client_for(request.getfixturevalue(who))
    for resp in (
        api.get(LIST),
        api.post(LIST, {"order_item": item.pk, "anomaly_kind": "not_performed", "description": "x"}, format="json"),
    ):
        assert resp.status_code == 403
        assert resp.json()["code"] == "buyer_required"
    assert HelpRequest.objects.count() == 0


def test_anonymous_caller_is_not_authenticated(api):
    resp = api.get(LIST)
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_buyer_can_use_an_api_token(buyer, item):
    req = raise_request(buyer, item)
    resp = token_client(buyer.user).get(LIST)
    assert resp.status_code == 200
    assert [row["id"] for row in resp.json()["results"]] == [req.pk]


# --- list and read -----------------------------------------------------------------------------


def test_buyer_lists_and_reads_only_their_own_requests(buyer, other_buyer, item, merchant, clock):
    mine_first = raise_request(buyer, item)
    clock.shift(timedelta(minutes=5))
    mine_second = raise_request(buyer, new_item(buyer, merchant))
    theirs = raise_request(other_buyer, new_item(other_buyer, merchant))

    api = client_for(buyer.user)
    resp = api.get(LIST)
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == 2
    # Newest first.
    assert [row["id"] for row in body["results"]] == [mine_second.pk, mine_first.pk]

    assert api.get(detail_url(mine_first.pk)).status_code == 200
    resp = api.get(detail_url(theirs.pk))
    assert resp.status_code == 404
    assert resp.json()["code"] == "help_request_not_found"
    assert api.get(detail_url(999999)).json()["code"] == "help_request_not_found"


def test_buyer_list_does_not_query_per_row(buyer, merchant, city, django_assert_max_num_queries, clock):
    for _ in range(6):
        raise_request(buyer, new_item(buyer, merchant))
        clock.shift(timedelta(seconds=1))
    api = token_client(buyer.user)
    # Token + user, buyer, count, page: a per-row lookup would add at least 6.
    with django_assert_max_num_queries(5):
        resp = api.get(LIST)
    assert resp.status_code == 200
    assert resp.json()["count"] == 6


def test_detail_shows_solution_appointment_and_breach_times(buyer, item, merchant_user, clock):
    req = dispatch(raise_request(buyer, item))
    # Answered at 11:30, half an hour after the 11:00 deadline: the miss is recorded at 11:00.
    clock.move_to(datetime(2026, 3, 2, 11, 30, tzinfo=BJ))
    help_request_give_solution(
        actor=merchant_user,
        request_id=req.pk,
        text="Our installer comes tomorrow at 09:00.",
        appointment_at=datetime(2026, 3, 3, 9, 0, tzinfo=BJ),
    )

    body = client_for(buyer.user).get(detail_url(req.pk)).json()
    assert body["state"] == "solution_given"
    assert body["solution_text"] == "Our installer comes tomorrow at 09:00."
    assert body["appointment_at"] == "2026-03-03T09:00:00+08:00"
    assert body["solution_given_at"] == "2026-03-02T11:30:00+08:00"
    assert body["solution_breached_at"] == "2026-03-02T11:00:00+08:00"
    assert body["resolution_breached_at"] is None
    assert body["dispatched_at"] == "2026-03-02T10:00:11+08:00"  # one second after the cancel window's last


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_within_ten_seconds(buyer, item, clock):
    req = raise_request(buyer, item)
    clock.move_to(T0 + timedelta(seconds=9, microseconds=999_000))

    resp = client_for(buyer.user).post(detail_url(req.pk, "cancel"))

    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "cancelled"
    assert resp.json()["cancelled_at"] == "2026-03-02T10:00:09.999000+08:00"
    req.refresh_from_db()
    assert req.state == HelpState.CANCELLED


def test_cancel_at_ten_seconds_is_in_time(buyer, item, clock):
    req = raise_request(buyer, item)
    clock.move_to(T0 + timedelta(seconds=10))

    resp = client_for(buyer.user).post(detail_url(req.pk, "cancel"))

    assert resp.status_code == 200, resp.content
    req.refresh_from_db()
    assert req.state == HelpState.CANCELLED


def test_cancel_is_refused_after_ten_seconds(buyer, item, clock):
    req = raise_request(buyer, item)
    clock.move_to(T0 + timedelta(seconds=11))

    resp = client_for(buyer.user).post(detail_url(req.pk, "cancel"))

    assert resp.status_code == 422
    assert resp.json()["code"] == "cancel_window_passed"
    req.refresh_from_db()
    assert req.state == HelpState.RAISED
    assert req.cancelled_at is None


def test_cancel_after_dispatch_is_a_state_conflict_not_a_window(buyer, item, clock):
    # The window is a business rule (422, above); a request that has moved on is a state conflict (409).
    req = dispatch(raise_request(buyer, item))
    resp = client_for(buyer.user).post(detail_url(req.pk, "cancel"))
    assert (resp.status_code, resp.json()["code"]) == (409, "invalid_transition")
    assert resp.json()["details"] == {"state": "dispatched"}
    req.refresh_from_db()
    assert req.state == HelpState.DISPATCHED


def test_cannot_cancel_someone_elses_request(buyer, other_buyer, item):
    req = raise_request(buyer, item)
    resp = client_for(other_buyer.user).post(detail_url(req.pk, "cancel"))
    assert resp.status_code == 404
    assert resp.json()["code"] == "help_request_not_found"
    req.refresh_from_db()
    assert req.state == HelpState.RAISED


# --- confirm, object, complain ------------------------------------------------------------------


def test_buyer_confirms_the_resolution(buyer, item, merchant_user, clock):
    req = resolved_pending(buyer, item, merchant_user, clock)
    body = client_for(buyer.user).get(detail_url(req.pk)).json()
    assert body["state"] == "resolved_pending"
    assert body["resolution_note"] == "Installed on a second visit."
    # Marked resolved at 10:20; auto-confirmed 24 h later.
    assert body["confirm_due_at"] == "2026-03-03T10:20:00+08:00"

    clock.shift(timedelta(hours=1))
    resp = client_for(buyer.user).post(detail_url(req.pk, "confirm"))

    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "resolved"
    assert resp.json()["confirmed_at"] == "2026-03-02T11:20:00+08:00"


def test_confirm_before_resolution_is_an_invalid_transition(buyer, item):
    req = dispatch(raise_request(buyer, item))
    resp = client_for(buyer.user).post(detail_url(req.pk, "confirm"))
    assert resp.status_code == 409
    assert resp.json()["code"] == "invalid_transition"
    assert resp.json()["details"] == {"state": "dispatched"}


def test_buyer_objects_to_the_resolution(buyer, item, merchant_user, clock):
    req = resolved_pending(buyer, item, merchant_user, clock)
    resp = client_for(buyer.user).post(
        detail_url(req.pk, "object"), {"text": "The cabinet door still does not close."}, format="json"
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "under_review"
    assert resp.json()["objection_text"] == "The cabinet door still does not close."


def test_objection_without_text_is_invalid(buyer, item, merchant_user, clock):
    req = resolved_pending(buyer, item, merchant_user, clock)
    resp = client_for(buyer.user).post(detail_url(req.pk, "object"), {}, format="json")
    assert resp.status_code == 400
    assert_fields_refused(resp.json(), {"text": "text_required"})
    req.refresh_from_db()
    assert req.state == HelpState.RESOLVED_PENDING


def test_buyer_files_a_breach_of_promise_complaint(buyer, item, merchant):
    req = dispatch(raise_request(buyer, item))
    resp = client_for(buyer.user).post(
        detail_url(req.pk, "complaint"), {"text": "They promised installation and never came."}, format="json"
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    violation = Violation.objects.get()
    assert body["id"] == violation.pk
    assert body["help_request"] == req.pk
    assert body["kind"] == "breach_of_promise"
    assert body["status"] == "pending_review"
    assert violation.merchant == merchant
    assert violation.kind == ViolationKind.BREACH_OF_PROMISE
    assert violation.status == ViolationStatus.PENDING_REVIEW

    again = client_for(buyer.user).post(detail_url(req.pk, "complaint"), {"text": "Again."}, format="json")
    assert again.status_code == 422
    assert again.json()["code"] == "complaint_exists"
    assert Violation.objects.count() == 1


def test_complaint_after_a_paid_penalty_is_already_compensated(buyer, item, merchant_user, clock):
    req = dispatch(raise_request(buyer, item))
    clock.move_to(datetime(2026, 3, 2, 11, 5, tzinfo=BJ))
    # A late solution records the 1-hour miss and pays the penalty (not counted as a violation).
    help_request_give_solution(actor=merchant_user, request_id=req.pk, text="Coming tomorrow.")
    violations_before = Violation.objects.count()

    resp = client_for(buyer.user).post(detail_url(req.pk, "complaint"), {"text": "Late!"}, format="json")

    assert resp.status_code == 422
    assert resp.json()["code"] == "already_compensated"
    assert Violation.objects.count() == violations_before


def test_complaint_on_someone_elses_request_is_not_found(buyer, other_buyer, item):
    req = dispatch(raise_request(buyer, item))
    resp = client_for(other_buyer.user).post(detail_url(req.pk, "complaint"), {"text": "x"}, format="json")
    assert resp.status_code == 404
    assert resp.json()["code"] == "help_request_not_found"
    assert not Violation.objects.exists()


def test_provider_name_shows_when_a_provider_serves(buyer, item, designation):
    req = raise_request(buyer, item)
    body = client_for(buyer.user).get(detail_url(req.pk)).json()
    assert body["provider_name"] == "Installer Hangzhou"
