"""The help-request queue: filters, badges, query count, transition buttons and the case page's sections."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog
from pytest_django.asserts import assertNumQueries

from disputes.admin.help_requests import breach_badges, deadline_badge
from disputes.models import HelpRequest, HelpState, Policy
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.help_requests import help_request_give_solution
from disputes.services.help_sweep import help_sweep
from tests.admin.helpers import T0, action_url, dispatched, messages_of, new_item, png_upload, under_review

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/disputes/helprequest/"
NOW = T0 + timedelta(minutes=50)  # 10:50: the 11:00 solution deadlines are 10 minutes away


@pytest.fixture
def queue(buyer, merchant, item, merchant_user):
    """One request per queue, reached through the services (see each comment for its state at NOW)."""

    def another():
        return new_item(buyer=buyer, merchant=merchant)

    # Raised three days earlier and never answered: both deadlines missed, in the follow-up queue.
    followup = dispatched(buyer=buyer, item=another(), at=T0 - timedelta(days=3))
    help_sweep(now=T0 - timedelta(days=1) + timedelta(seconds=1))
    # Raised the day before: its 1-hour deadline was missed, its 48-hour deadline is tomorrow.
    breached = dispatched(buyer=buyer, item=another(), at=T0 - timedelta(days=1))
    help_sweep(now=T0 - timedelta(days=1) + timedelta(hours=1, seconds=1))
    # Raised at 10:00 today: solution due at 11:00, so at risk at 10:50.
    awaiting = dispatched(buyer=buyer, item=item)
    # Same, with a pending force-majeure claim on the 1-hour deadline.
    claimed = dispatched(buyer=buyer, item=another())
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        help_force_majeure_claim(
            actor=merchant_user,
            request_id=claimed.pk,
            deadline="solution",
            category="heavy_rain",
            note="Heavy rain warning.",
            files=[png_upload()],
        )
    # Solution given at 10:10: only the 48-hour clock runs, due in two days.
    answered = dispatched(buyer=buyer, item=another())
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        help_request_give_solution(actor=merchant_user, request_id=answered.pk, text="Installer comes tomorrow 9:00.")
    # Marked resolved, and the buyer objected.
    objected = under_review(buyer=buyer, item=another(), merchant_user=merchant_user)
    return {
        "followup": followup,
        "breached": breached,
        "awaiting": awaiting,
        "claimed": claimed,
        "answered": answered,
        "objected": objected,
    }


def listed(client, **params) -> set[int]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_queue_filters_select_the_right_requests(client, queue, agent):
    ids = {name: request.pk for name, request in queue.items()}
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert listed(client) == set(ids.values())
        assert listed(client, queue="awaiting_solution") == {
            ids["awaiting"],
            ids["claimed"],
            ids["breached"],
            ids["followup"],
        }
        assert listed(client, queue="at_risk") == {ids["awaiting"], ids["claimed"]}
        assert listed(client, queue="breached") == {ids["breached"], ids["followup"]}
        assert listed(client, queue="force_majeure") == {ids["claimed"]}
        assert listed(client, queue="objections") == {ids["objected"]}
        assert listed(client, queue="followup") == {ids["followup"]}
        assert listed(client, state="solution_given") == {ids["answered"]}


def test_at_risk_follows_the_policy_value(client, queue, agent):
    # With a 5-minute window, 10 minutes before the deadline is not yet at risk.
    Policy.objects.filter(key="help.at_risk_before").update(value=5)
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert listed(client, queue="at_risk") == set()


def test_search_by_order_number_buyer_phone_and_case_number(client, queue, agent, buyer, other_buyer, merchant):
    stranger = dispatched(buyer=other_buyer, item=new_item(buyer=other_buyer, merchant=merchant))
    client.force_login(agent)
    order_no = queue["objected"].order_item.order.order_no
    assert listed(client, q=order_no) == {queue["objected"].pk}
    assert listed(client, q=other_buyer.phone) == {stranger.pk}
    assert listed(client, q=f"HR-{queue['answered'].pk}") == {queue["answered"].pk}


def test_list_shows_countdown_and_breach_badges(client, queue, agent):
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        html = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1h due in 10 min" in html
    assert "background:#f5a623" in html  # amber: inside the at-risk window
    # The day-old request missed its 1-hour deadline at 11:00 yesterday: 23h 50m before NOW.
    assert "1h breached 23h 50m ago" in html


def test_badges_from_stored_deadlines():
    due = T0 + timedelta(hours=1)
    window = timedelta(minutes=15)
    request = HelpRequest(
        state=HelpState.DISPATCHED, solution_due_at=due, resolution_due_at=T0 + timedelta(hours=48), raised_at=T0
    )
    assert "due in 12 min" in deadline_badge(request, now=due - timedelta(minutes=12), window=window)
    assert "#f5a623" in deadline_badge(request, now=due - timedelta(minutes=12), window=window)
    far = deadline_badge(request, now=due - timedelta(minutes=40), window=window)
    assert "due in 40 min" in far and "#e8e8e8" in far
    late = deadline_badge(request, now=due + timedelta(minutes=3), window=window)
    assert "1h overdue 3 min" in late and "#ba2121" in late
    breached = HelpRequest(
        state=HelpState.DISPATCHED,
        solution_due_at=due,
        solution_breached_at=due,
        resolution_due_at=T0 + timedelta(hours=48),
        raised_at=T0,
    )
    # Once the 1-hour deadline is recorded as missed, the countdown moves to the 48-hour deadline.
    assert "48h due in 1d 23h" in deadline_badge(breached, now=due, window=window)
    assert "1h breached 1h ago" in breach_badges(breached, now=due + timedelta(hours=1))
    closed = HelpRequest(state=HelpState.CLOSED, solution_due_at=due, resolution_due_at=due, raised_at=T0)
    assert deadline_badge(closed, now=T0, window=window) == "-"
    assert breach_badges(closed, now=T0) == "-"


def test_changelist_query_count_does_not_grow_with_rows(client, agent, buyer, merchant, merchant_user):
    first = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    client.force_login(agent)
    with CaptureQueriesContext(connection) as two_rows:
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 2
    for n in range(18):
        request = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
        if n % 3 == 0:
            with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
                help_force_majeure_claim(
                    actor=merchant_user, request_id=request.pk, deadline="solution", category="fog", note="Fog."
                )
    help_sweep(now=T0 + timedelta(hours=2))
    assert HelpRequest.objects.exclude(solution_breached_at=None).exclude(pk=first.pk).exists()
    with assertNumQueries(len(two_rows.captured_queries)):
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 20
    assert len(two_rows.captured_queries) <= 12


def test_changelist_with_twenty_rows_stays_under_the_query_budget(
    client, agent, buyer, merchant, django_assert_max_num_queries
):
    for _ in range(20):
        dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    client.force_login(agent)
    with django_assert_max_num_queries(12):
        response = client.get(CHANGELIST, {"queue": "awaiting_solution"})
    assert response.context["cl"].result_count == 20


# Buttons -----------------------------------------------------------------------------------------------------


def change_actions(client, request) -> set[str]:
    response = client.get(reverse("admin:disputes_helprequest_change", args=[request.pk]))
    assert response.status_code == 200
    return {tool["name"] for tool in response.context["objectactions"]}


def test_agent_records_a_solution_taken_by_phone(client, queue, agent):
    awaiting = queue["awaiting"]
    url = action_url("helprequest", awaiting.pk, "give_solution")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        client.force_login(agent)
        assert "give_solution" in change_actions(client, awaiting)
        form_page = client.get(url)
        assert form_page.status_code == 200
        assert "text" in form_page.context["form"].fields
        response = client.post(url, {"text": "Merchant calls back at 14:00 with a date."})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:disputes_helprequest_change", args=[awaiting.pk])
    awaiting.refresh_from_db()
    assert awaiting.state == HelpState.SOLUTION_GIVEN
    assert awaiting.solution_text == "Merchant calls back at 14:00 with a date."
    assert awaiting.solution_given_at == T0 + timedelta(minutes=30)
    log = StateLog.objects.for_(awaiting).latest("timestamp")
    assert (log.transition, log.by, log.description) == ("give_solution", agent, "Solution given (recorded by staff)")
    assert messages_of(response)[0][0] == "success"


def test_agent_records_resolved(client, queue, agent):
    answered = queue["answered"]
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        client.force_login(agent)
        response = client.post(action_url("helprequest", answered.pk, "mark_resolved"), {"note": "Installed."})
    assert response.status_code == 302
    answered.refresh_from_db()
    assert answered.state == HelpState.RESOLVED_PENDING
    assert answered.resolution_note == "Installed."
    assert StateLog.objects.for_(answered).latest("timestamp").by == agent


def test_senior_rules_an_objection_resolved(client, queue, senior):
    objected = queue["objected"]
    with time_machine.travel(NOW, tick=False):
        client.force_login(senior)
        assert {"rule_resolved", "rule_not_resolved", "close"} <= change_actions(client, objected)
        client.post(action_url("helprequest", objected.pk, "rule_resolved"), {"reason": "Photos show it installed."})
    objected.refresh_from_db()
    assert objected.state == HelpState.RESOLVED
    log = StateLog.objects.for_(objected).latest("timestamp")
    assert log.by == senior
    assert log.description == "Objection rejected: Photos show it installed."


def test_senior_rules_an_objection_not_resolved(client, queue, senior):
    objected = queue["objected"]
    with time_machine.travel(NOW, tick=False):
        client.force_login(senior)
        client.post(action_url("helprequest", objected.pk, "rule_not_resolved"), {"reason": "Still broken."})
    objected.refresh_from_db()
    assert objected.state == HelpState.SOLUTION_GIVEN
    assert objected.resolved_at is None


def test_senior_closes_a_request(client, queue, senior):
    awaiting = queue["awaiting"]
    with time_machine.travel(NOW, tick=False):
        client.force_login(senior)
        client.post(action_url("helprequest", awaiting.pk, "close"), {"reason": "Buyer withdrew by phone."})
    awaiting.refresh_from_db()
    assert awaiting.state == HelpState.CLOSED
    assert awaiting.closed_at == NOW


def test_agent_records_the_48_hour_follow_up(client, queue, agent):
    followup = queue["followup"]
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert "record_followup" in change_actions(client, followup)
        client.post(action_url("helprequest", followup.pk, "record_followup"), {"note": "Buyer reached; fixed."})
        assert listed(client, queue="followup") == set()
    followup.refresh_from_db()
    assert followup.followup_done_at == NOW
    assert followup.followup_note == "Buyer reached; fixed."


def test_a_refused_transition_shows_the_service_message_and_changes_nothing(client, queue, agent):
    answered = queue["answered"]
    logs_before = StateLog.objects.for_(answered).count()
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert "give_solution" not in change_actions(client, answered)
        response = client.post(action_url("helprequest", answered.pk, "give_solution"), {"text": "Again."})
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith("A solution can only be given while the request awaits one")
    answered.refresh_from_db()
    assert answered.state == HelpState.SOLUTION_GIVEN
    assert answered.solution_text == "Installer comes tomorrow 9:00."
    assert StateLog.objects.for_(answered).count() == logs_before


def test_an_agent_cannot_close_or_rule(client, queue, agent):
    objected = queue["objected"]
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert change_actions(client, objected) == set()
        response = client.post(action_url("helprequest", objected.pk, "close"), {"reason": "Not my call."})
    assert [level for level, _ in messages_of(response)] == ["error"]
    objected.refresh_from_db()
    assert objected.state == HelpState.UNDER_REVIEW


def test_an_empty_reason_redisplays_the_form(client, queue, senior):
    awaiting = queue["awaiting"]
    client.force_login(senior)
    response = client.post(action_url("helprequest", awaiting.pk, "close"), {"reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    awaiting.refresh_from_db()
    assert awaiting.state == HelpState.DISPATCHED


def test_the_case_page_is_read_only_and_cannot_be_saved(client, queue, superuser):
    awaiting = queue["awaiting"]
    client.force_login(superuser)
    url = reverse("admin:disputes_helprequest_change", args=[awaiting.pk])
    response = client.get(url)
    assert response.context["has_change_permission"] is False
    assert client.post(url, {"description": "edited"}).status_code == 403
    assert client.get(reverse("admin:disputes_helprequest_add")).status_code == 403
    assert client.get(reverse("admin:disputes_helprequest_delete", args=[awaiting.pk])).status_code == 403
    awaiting.refresh_from_db()
    assert awaiting.description == "Nobody came."


def test_the_case_page_shows_history_claims_violations_and_ledger_entries(client, queue, agent):
    breached = queue["breached"]
    client.force_login(agent)
    response = client.get(reverse("admin:disputes_helprequest_change", args=[breached.pk]))
    formsets = {fs.formset.model.__name__: fs for fs in response.context["inline_admin_formsets"]}
    history = [form.original for form in formsets["StateLog"]]
    assert [log.transition for log in history] == ["raise", "dispatch"]
    assert history[0].by == breached.buyer.user
    [points] = [form.original for form in formsets["BuyerPointsEntry"]]
    assert (points.amount, points.idempotency_key) == (5000, f"help:{breached.pk}:solution_penalty")
    [charge] = [form.original for form in formsets["MerchantAccountEntry"]]
    assert charge.amount == -5000
    [violation] = [form.original for form in formsets["Violation"]]
    assert violation.status == "not_counted"
    assert len(list(formsets["ForceMajeureClaim"])) == 0


def test_the_claim_inline_links_its_evidence_for_download(client, queue, agent):
    claimed = queue["claimed"]
    evidence = claimed.force_majeure_claims.get().evidence.get()
    client.force_login(agent)
    html = client.get(reverse("admin:disputes_helprequest_change", args=[claimed.pk])).content.decode()
    assert f'href="/admin/disputes/forcemajeureevidence/{evidence.pk}/download/"' in html


# --- the first hour of a new agent: urgency first, everything to act on the one page ----------------------------


def test_the_queue_lists_the_most_urgent_first(client, queue, agent):
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        response = client.get(CHANGELIST)
        order = [obj.pk for obj in response.context["cl"].result_list]
        ids = {name: request.pk for name, request in queue.items()}
        # Open and breached first: the one whose 48-hour clock still runs, then the one past both deadlines;
        # then the running deadlines soonest first (both 1-hour deadlines at 11:00, then the 48-hour one);
        # last the request under review, which no clock drives.
        assert order[:2] == [ids["breached"], ids["followup"]]
        assert set(order[2:4]) == {ids["awaiting"], ids["claimed"]}
        assert order[4:] == [ids["answered"], ids["objected"]]
        # A column header still sorts by that column.
        column = list(response.context["cl"].list_display).index("number")
        by_number = client.get(CHANGELIST, {"o": str(column)}).context["cl"].result_list
        assert [obj.pk for obj in by_number] == sorted(ids.values())


def test_the_case_page_has_what_a_phone_solution_needs_at_the_top(client, queue, superuser, merchant):
    merchant.contact_phone = "0571-8821-3366"
    merchant.save()
    client.force_login(superuser)
    claimed = queue["claimed"]
    html = client.get(f"{CHANGELIST}{claimed.pk}/change/").content.decode()
    assert "0571-8821-3366" in html
    # The pending force-majeure claim links to where it is decided, in the first section of the page.
    claim = claimed.force_majeure_claims.get()
    link = reverse("admin:disputes_forcemajeureclaim_change", args=[claim.pk])
    assert html.index(link) < html.index("Clocks</h2>")
    # Money reads as 元, never raw fen; the button that closes the request is not the page's own 关闭.
    assert f"{claimed.item_price_fen // 100:,}.{claimed.item_price_fen % 100:02d} 元" in html
    assert "Close request" in html


def test_history_headers_and_flags_speak_the_admins_language(client, queue, agent, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(agent)
    html = client.get(f"{CHANGELIST}{queue['answered'].pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for english in (">timestamp<", ">transition<", ">description<", ">TIMESTAMP<"):
        assert english not in html
    for chinese in ("时间", "操作人", "商家电话"):
        assert chinese in html
