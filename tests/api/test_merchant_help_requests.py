"""Merchant/provider API for one-click help: scoping, filters, solution, resolution, query counts."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from disputes.choices import ServiceKind
from disputes.models import HelpState
from disputes.services.help_requests import help_request_cancel, help_request_give_solution
from disputes.services.help_sweep import help_sweep
from tests import factories as f
from tests.api.helpers import BJ, T0, assert_fields_refused, dispatch, new_item, raise_request, token_client

pytestmark = pytest.mark.django_db

LIST = reverse("api:merchant-help-request-list")


def detail_url(pk, action=None):
    if action is None:
        return reverse("api:merchant-help-request-detail", args=[pk])
    return reverse(f"api:merchant-help-request-{action}", args=[pk])


def ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.content
    return [row["id"] for row in resp.json()["results"]]


# --- scoping -----------------------------------------------------------------------------------


def test_merchant_sees_its_dispatched_requests_only(buyer, other_buyer, item, merchant, merchant_user, clock):
    mine = dispatch(raise_request(buyer, item))
    clock.shift(timedelta(minutes=1))
    still_cancellable = raise_request(buyer, new_item(buyer, merchant))
    cancelled = raise_request(other_buyer, new_item(other_buyer, merchant))
    help_request_cancel(actor=other_buyer.user, request_id=cancelled.pk)
    other_shop = f.MerchantFactory()
    elsewhere = dispatch(raise_request(buyer, new_item(buyer, other_shop)))

    api = token_client(merchant_user)
    assert ids(api.get(LIST)) == [mine.pk]
    row = api.get(LIST).json()["results"][0]
    assert row["state"] == "dispatched"
    assert row["merchant_shop_name"] == merchant.shop_name
    assert row["buyer_nickname"] == buyer.nickname
    assert row["order_no"] == item.order.order_no
    assert row["solution_due_at"] == "2026-03-02T11:00:00+08:00"
    assert row["resolution_due_at"] == "2026-03-04T10:00:00+08:00"

    assert api.get(detail_url(mine.pk)).status_code == 200
    for hidden in (still_cancellable, cancelled, elsewhere):
        resp = api.get(detail_url(hidden.pk))
        assert resp.status_code == 404, hidden.state
        assert resp.json()["code"] == "help_request_not_found"


def test_merchant_cannot_act_on_another_merchants_request(buyer, item, other_merchant_user):
    req = dispatch(raise_request(buyer, item))
    api = token_client(other_merchant_user)

    assert ids(api.get(LIST)) == []
    for action, payload in (("solution", {"text": "Mine now."}), ("resolve", {"note": "Done."})):
        resp = api.post(detail_url(req.pk, action), payload, format="json")
        assert resp.status_code == 404
        assert resp.json()["code"] == "help_request_not_found"
    req.refresh_from_db()
    assert req.state == HelpState.DISPATCHED
    assert req.solution_text == ""


def test_provider_sees_only_requests_dispatched_to_it(
    buyer, item, merchant, merchant_user, designation, provider_user, clock
):
    to_provider = dispatch(raise_request(buyer, item))
    clock.shift(timedelta(minutes=1))
    # The merchant delivers 送货入户 itself: no designation for that service.
    by_merchant = dispatch(raise_request(buyer, new_item(buyer, merchant, services=[ServiceKind.HOME_DELIVERY])))
    other_provider_user = f.ProviderUserFactory().user

    provider_api = token_client(provider_user)
    assert ids(provider_api.get(LIST)) == [to_provider.pk]
    assert provider_api.get(LIST).json()["results"][0]["provider_name"] == "Installer Hangzhou"
    assert provider_api.get(detail_url(by_merchant.pk)).json()["code"] == "help_request_not_found"
    assert ids(token_client(merchant_user).get(LIST)) == [by_merchant.pk, to_provider.pk]
    assert ids(token_client(other_provider_user).get(LIST)) == []
    assert token_client(other_provider_user).get(detail_url(to_provider.pk)).status_code == 404

    resp = provider_api.post(detail_url(to_provider.pk, "solution"), {"text": "Team B comes at 15:00."}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "solution_given"
    refused = provider_api.post(detail_url(by_merchant.pk, "solution"), {"text": "Not ours."}, format="json")
    assert refused.status_code == 404
    by_merchant.refresh_from_db()
    assert by_merchant.state == HelpState.DISPATCHED


@pytest.mark.parametrize("who", ["buyer", "agent"])
def test_a_caller_who_is_no_party_gets_party_required(request, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    resp = token_client(user).get(LIST)
    assert resp.status_code == 403
    assert resp.json()["code"] == "party_required"


def test_merchant_api_needs_a_valid_token(api, merchant_user):
    assert api.get(LIST).status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    resp = api.get(LIST)
    assert resp.status_code == 401
    assert resp.json()["code"] == "authentication_failed"


# --- solution and resolution -------------------------------------------------------------------


def test_merchant_gives_a_solution_with_an_appointment(buyer, item, merchant_user, clock):
    req = dispatch(raise_request(buyer, item))
    clock.move_to(datetime(2026, 3, 2, 10, 25, tzinfo=BJ))

    resp = token_client(merchant_user).post(
        detail_url(req.pk, "solution"),
        {"text": "Installer visits tomorrow morning.", "appointment_at": "2026-03-03T09:30:00+08:00"},
        format="json",
    )

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "solution_given"
    assert body["solution_text"] == "Installer visits tomorrow morning."
    assert body["appointment_at"] == "2026-03-03T09:30:00+08:00"
    assert body["solution_given_at"] == "2026-03-02T10:25:00+08:00"
    assert body["solution_breached_at"] is None
    req.refresh_from_db()
    assert req.state == HelpState.SOLUTION_GIVEN
    assert req.appointment_at == datetime(2026, 3, 3, 9, 30, tzinfo=BJ)


@pytest.mark.parametrize(
    ("payload", "bad_fields"),
    [
        ({"text": "Tomorrow.", "appointment_at": "tomorrow morning"}, {"appointment_at": "invalid_appointment_at"}),
        # No offset: refused, not guessed to be Beijing time.
        ({"text": "Tomorrow.", "appointment_at": "2026-03-03T09:30:00"}, {"appointment_at": "invalid_appointment_at"}),
        ({"appointment_at": "2026-03-03T09:30:00+08:00"}, {"text": "text_required"}),
        ({"text": ""}, {"text": "text_required"}),
    ],
)
def test_invalid_solution_is_refused_and_changes_nothing(buyer, item, merchant_user, payload, bad_fields):
    req = dispatch(raise_request(buyer, item))
    resp = token_client(merchant_user).post(detail_url(req.pk, "solution"), payload, format="json")
    assert resp.status_code == 400
    assert_fields_refused(resp.json(), bad_fields)
    req.refresh_from_db()
    assert req.state == HelpState.DISPATCHED
    assert req.solution_given_at is None


def test_appointment_in_the_past_keeps_the_service_code(buyer, item, merchant_user):
    req = dispatch(raise_request(buyer, item))
    resp = token_client(merchant_user).post(
        detail_url(req.pk, "solution"),
        {"text": "We came yesterday.", "appointment_at": "2026-03-01T09:00:00+08:00"},
        format="json",
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "appointment_in_past"
    req.refresh_from_db()
    assert req.state == HelpState.DISPATCHED


def test_a_second_solution_is_an_invalid_transition(buyer, item, merchant_user):
    req = dispatch(raise_request(buyer, item))
    api = token_client(merchant_user)
    assert api.post(detail_url(req.pk, "solution"), {"text": "First."}, format="json").status_code == 200
    resp = api.post(detail_url(req.pk, "solution"), {"text": "Second."}, format="json")
    assert resp.status_code == 409
    assert resp.json()["code"] == "invalid_transition"
    req.refresh_from_db()
    assert req.solution_text == "First."


def test_merchant_marks_the_problem_resolved(buyer, item, merchant_user, clock):
    req = dispatch(raise_request(buyer, item))
    clock.move_to(datetime(2026, 3, 2, 15, 0, tzinfo=BJ))
    resp = token_client(merchant_user).post(
        detail_url(req.pk, "resolve"), {"note": "Installed and tested."}, format="json"
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "resolved_pending"
    assert body["resolution_note"] == "Installed and tested."
    assert body["resolved_at"] == "2026-03-02T15:00:00+08:00"
    assert body["confirm_due_at"] == "2026-03-03T15:00:00+08:00"


def test_resolve_without_a_note_is_invalid(buyer, item, merchant_user):
    req = dispatch(raise_request(buyer, item))
    resp = token_client(merchant_user).post(detail_url(req.pk, "resolve"), {}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()["fields"]) == {"note"}
    req.refresh_from_db()
    assert req.state == HelpState.DISPATCHED


# --- filters and ordering ----------------------------------------------------------------------


@pytest.fixture
def work_list(buyer, merchant, merchant_user, city, clock):
    """Four dispatched requests of `merchant`, raised at different times and in different states.

    a: Mon 10:00, delivery_install, 1-hour deadline missed at 11:00 (sweep at 11:30)
    b: Mon 11:00, home_delivery, solution given at 11:10
    c: Mon 20:00, delivery_install, no 1-hour deadline (outside 09:00-18:00)
    d: Tue 09:30, three_year_warranty, still awaiting a solution
    """
    made = {}
    clock.move_to(datetime(2026, 3, 2, 10, 0, tzinfo=BJ))
    made["a"] = dispatch(raise_request(buyer, new_item(buyer, merchant)))
    clock.move_to(datetime(2026, 3, 2, 11, 0, tzinfo=BJ))
    made["b"] = dispatch(raise_request(buyer, new_item(buyer, merchant, services=[ServiceKind.HOME_DELIVERY])))
    clock.move_to(datetime(2026, 3, 2, 11, 10, tzinfo=BJ))
    help_request_give_solution(actor=merchant_user, request_id=made["b"].pk, text="Redelivery at 14:00.")
    # Sweep at 11:30: request a missed its 11:00 deadline; b answered in time.
    help_sweep(now=datetime(2026, 3, 2, 11, 30, tzinfo=BJ))
    clock.move_to(datetime(2026, 3, 2, 20, 0, tzinfo=BJ))
    made["c"] = dispatch(raise_request(buyer, new_item(buyer, merchant)))
    clock.move_to(datetime(2026, 3, 3, 9, 30, tzinfo=BJ))
    made["d"] = dispatch(raise_request(buyer, new_item(buyer, merchant, services=[ServiceKind.THREE_YEAR_WARRANTY])))
    for request in made.values():
        request.refresh_from_db()
    assert made["a"].solution_breached_at == datetime(2026, 3, 2, 11, 0, tzinfo=BJ)
    return made


def listed(merchant_user, **params) -> list[int]:
    query = urlencode(params, doseq=True)
    return ids(token_client(merchant_user).get(f"{LIST}?{query}"))


def test_default_order_is_newest_first(work_list, merchant_user):
    w = work_list
    assert listed(merchant_user) == [w["d"].pk, w["c"].pk, w["b"].pk, w["a"].pk]


def test_filter_by_one_or_several_states(work_list, merchant_user):
    w = work_list
    assert listed(merchant_user, state="solution_given") == [w["b"].pk]
    assert set(listed(merchant_user, state=["dispatched", "solution_given"])) == {
        w["a"].pk,
        w["b"].pk,
        w["c"].pk,
        w["d"].pk,
    }
    assert listed(merchant_user, state="resolved") == []


def test_filter_by_breach(work_list, merchant_user):
    w = work_list
    assert listed(merchant_user, breached="true") == [w["a"].pk]
    assert set(listed(merchant_user, breached="false")) == {w["b"].pk, w["c"].pk, w["d"].pk}


def test_filter_due_before_covers_either_deadline(work_list, merchant_user):
    w = work_list
    # Before Mon 11:30: only a's 1-hour deadline (11:00); b's 12:00, d's Tue 10:30; 48-hour ones are Wed+.
    assert listed(merchant_user, due_before="2026-03-02T11:30:00+08:00") == [w["a"].pk]
    # Before Tue 11:00: d's 1-hour deadline (10:30) joins; c has none.
    assert set(listed(merchant_user, due_before="2026-03-03T11:00:00+08:00")) == {w["a"].pk, w["b"].pk, w["d"].pk}
    # Before Wed 20:30: c's 48-hour deadline (Wed 20:00) joins.
    assert len(listed(merchant_user, due_before="2026-03-04T20:30:00+08:00")) == 4


def test_filter_by_service_and_raise_time(work_list, merchant_user):
    w = work_list
    assert set(listed(merchant_user, service_kind="delivery_install")) == {w["a"].pk, w["c"].pk}
    assert listed(merchant_user, service_kind="three_year_warranty") == [w["d"].pk]
    assert listed(
        merchant_user, raised_after="2026-03-02T12:00:00+08:00", raised_before="2026-03-03T00:00:00+08:00"
    ) == [w["c"].pk]
    # raised_after is inclusive, raised_before exclusive.
    assert listed(
        merchant_user, raised_after="2026-03-02T11:00:00+08:00", raised_before="2026-03-02T20:00:00+08:00"
    ) == [w["b"].pk]


def test_ordering_by_deadlines(work_list, merchant_user):
    w = work_list
    assert listed(merchant_user, ordering="raised_at") == [w["a"].pk, w["b"].pk, w["c"].pk, w["d"].pk]
    assert listed(merchant_user, ordering="-resolution_due_at") == [w["d"].pk, w["c"].pk, w["b"].pk, w["a"].pk]
    # c has no 1-hour deadline: it sorts last in both directions.
    assert listed(merchant_user, ordering="solution_due_at") == [w["a"].pk, w["b"].pk, w["d"].pk, w["c"].pk]
    assert listed(merchant_user, ordering="-solution_due_at") == [w["d"].pk, w["b"].pk, w["a"].pk, w["c"].pk]
    assert listed(merchant_user, ordering="solution_due_at", state="dispatched") == [w["a"].pk, w["d"].pk, w["c"].pk]


@pytest.mark.parametrize(
    ("params", "bad_field"),
    [
        ({"state": "lost"}, "state"),
        ({"due_before": "next week"}, "due_before"),
        ({"raised_after": "2026-13-45"}, "raised_after"),
        ({"service_kind": "massage"}, "service_kind"),
        ({"ordering": "buyer"}, "ordering"),
    ],
)
def test_bad_filter_values_are_refused_per_field(merchant_user, params, bad_field):
    resp = token_client(merchant_user).get(f"{LIST}?{urlencode(params)}")
    assert resp.status_code == 400
    assert_fields_refused(resp.json(), {bad_field: f"invalid_{bad_field}"})


# --- queries -----------------------------------------------------------------------------------


def test_list_does_not_query_per_row(
    buyer, merchant, merchant_user, designation, city, clock, django_assert_max_num_queries
):
    provider_item_requests = []
    for minute in range(6):
        clock.move_to(T0 + timedelta(minutes=minute))
        provider_item_requests.append(dispatch(raise_request(buyer, new_item(buyer, merchant))))
    clock.move_to(T0 + timedelta(minutes=10))
    api = token_client(merchant_user)
    # Token + user, merchant link + merchant, provider link (absent), count, page.
    # A per-row lookup of merchant, provider, buyer, order or product would add at least 6.
    with django_assert_max_num_queries(7):
        resp = api.get(LIST)
    assert resp.json()["count"] == 6
    assert all(row["provider_name"] == "Installer Hangzhou" for row in resp.json()["results"])


def test_merchant_api_takes_tokens_not_browser_sessions(merchant_user, buyer, item):
    dispatch(raise_request(buyer, item))
    session = APIClient()
    session.force_login(merchant_user)
    assert session.get(LIST).status_code == 401
    assert token_client(merchant_user).get(LIST).status_code == 200


def test_unknown_request_id_is_not_found(merchant_user):
    api = token_client(merchant_user)
    for url in (detail_url(999999), detail_url("abc")):
        resp = api.get(url)
        assert resp.status_code == 404
        assert resp.json()["code"] == "help_request_not_found"
    resp = api.post(detail_url(999999, "solution"), {"text": "?"}, format="json")
    assert resp.status_code == 404
    assert resp.json()["code"] == "help_request_not_found"
