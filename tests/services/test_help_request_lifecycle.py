"""Every help-request transition: allowed and refused source states, who may do it, and its audit row."""

from datetime import timedelta

import pytest
import time_machine
from django_fsm_log.models import StateLog

from disputes.actors import SYSTEM_USERNAME, system_actor
from disputes.errors import Forbidden, InvalidTransition, NotFound, RuleRefused, ValidationFailed
from disputes.models import HelpState
from disputes.services.help_requests import (
    help_request_cancel,
    help_request_close,
    help_request_confirm,
    help_request_dispatch,
    help_request_give_solution,
    help_request_mark_resolved,
    help_request_object,
    help_request_record_followup,
    help_request_rule_objection,
)
from disputes.services.help_sweep import help_sweep
from tests import factories as f
from tests.services.helpers import bj, raise_at, raised_and_dispatched, step_events

pytestmark = pytest.mark.django_db
T0 = bj(2026, 3, 2, 10, 0)


def last_log(request):
    return StateLog.objects.for_(request).order_by("-id").first()


# --- cancel window -------------------------------------------------------------------------


def test_cancel_inside_the_window(item, buyer):
    request = raise_at(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(seconds=9, microseconds=999_999), tick=False):
        help_request_cancel(actor=buyer.user, request_id=request.pk)
    request.refresh_from_db()
    assert request.state == HelpState.CANCELLED
    log = last_log(request)
    assert (log.transition, log.by) == ("cancel", buyer.user)
    # Void: the sweep never dispatches it, no clock, no penalty.
    result = help_sweep(now=T0 + timedelta(days=3))
    request.refresh_from_db()
    assert request.state == HelpState.CANCELLED
    assert (result.dispatched, result.solution_misses, result.resolution_misses, result.credits) == (0, 0, 0, 0)


def test_cancel_at_ten_seconds_is_in_time(item, buyer):
    request = raise_at(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        help_request_cancel(actor=buyer.user, request_id=request.pk)
    request.refresh_from_db()
    assert request.state == HelpState.CANCELLED


def test_cancel_after_ten_seconds_is_refused(item, buyer):
    request = raise_at(T0, buyer=buyer, item=item)
    with (
        time_machine.travel(T0 + timedelta(seconds=10, microseconds=1), tick=False),
        pytest.raises(RuleRefused) as caught,
    ):
        help_request_cancel(actor=buyer.user, request_id=request.pk)
    assert caught.value.code == "cancel_window_passed"
    request.refresh_from_db()
    assert request.state == HelpState.RAISED


def test_cancel_by_someone_else_is_not_found(item, buyer, other_buyer):
    request = raise_at(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False), pytest.raises(NotFound):
        help_request_cancel(actor=other_buyer.user, request_id=request.pk)


def test_cancel_after_dispatch_is_refused(item, buyer):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False), pytest.raises(InvalidTransition):
        help_request_cancel(actor=buyer.user, request_id=request.pk)


# --- dispatch -------------------------------------------------------------------------------


def test_dispatch_waits_for_the_cancel_window(item, buyer):
    request = raise_at(T0, buyer=buyer, item=item)
    for early in (T0 + timedelta(seconds=9), T0 + timedelta(seconds=10)):  # the buyer may still cancel at 10 s
        assert help_request_dispatch(request_id=request.pk, actor=system_actor(), now=early) is False
        assert help_sweep(now=early).dispatched == 0
    assert help_sweep(now=T0 + timedelta(seconds=11)).dispatched == 1
    request.refresh_from_db()
    assert request.state == HelpState.DISPATCHED
    log = last_log(request)
    assert (log.transition, log.source_state, log.by.username) == ("dispatch", HelpState.RAISED, SYSTEM_USERNAME)
    # A second dispatch is a no-op.
    assert help_request_dispatch(request_id=request.pk, actor=system_actor(), now=T0 + timedelta(minutes=1)) is False


def test_party_cannot_see_a_request_inside_the_cancel_window(item, buyer, merchant_user):
    request = raise_at(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(seconds=2), tick=False), pytest.raises(NotFound):
        help_request_give_solution(actor=merchant_user, request_id=request.pk, text="we come tomorrow")


# --- solution and resolution ----------------------------------------------------------------


def test_merchant_gives_solution_in_time(item, buyer, merchant_user, django_capture_on_commit_callbacks):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    appointment = T0 + timedelta(days=1)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False), django_capture_on_commit_callbacks():
        help_request_give_solution(
            actor=merchant_user, request_id=request.pk, text="Installer Li comes tomorrow", appointment_at=appointment
        )
    # The step writes its event with it.
    assert step_events(request)[-1] == ("give_solution", "solution_given")
    request.refresh_from_db()
    assert request.state == HelpState.SOLUTION_GIVEN
    assert request.solution_given_at == T0 + timedelta(minutes=30)
    assert request.appointment_at == appointment
    assert (last_log(request).transition, last_log(request).by) == ("give_solution", merchant_user)
    assert help_sweep(now=T0 + timedelta(hours=2)).solution_misses == 0


def test_solution_refusals(item, buyer, merchant_user, other_merchant_user):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        with pytest.raises(NotFound):
            help_request_give_solution(actor=other_merchant_user, request_id=request.pk, text="x")
        with pytest.raises(NotFound):
            help_request_give_solution(actor=buyer.user, request_id=request.pk, text="x")
        with pytest.raises(ValidationFailed):
            help_request_give_solution(actor=merchant_user, request_id=request.pk, text=" ")
        with pytest.raises(RuleRefused) as caught:
            help_request_give_solution(
                actor=merchant_user, request_id=request.pk, text="x", appointment_at=T0 - timedelta(days=1)
            )
        assert caught.value.code == "appointment_in_past"
        help_request_give_solution(actor=merchant_user, request_id=request.pk, text="ok")
        with pytest.raises(InvalidTransition):
            help_request_give_solution(actor=merchant_user, request_id=request.pk, text="again")


def test_designated_provider_acts_and_other_provider_cannot(item, buyer, merchant):
    designation = f.DesignationFactory(merchant=merchant)
    provider_user = f.ProviderUserFactory(provider=designation.provider).user
    stranger = f.ProviderUserFactory().user
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    assert request.provider == designation.provider
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        with pytest.raises(NotFound):
            help_request_give_solution(actor=stranger, request_id=request.pk, text="x")
        help_request_give_solution(actor=provider_user, request_id=request.pk, text="on our way")
    request.refresh_from_db()
    assert request.state == HelpState.SOLUTION_GIVEN


def test_staff_record_a_solution_taken_by_phone(item, buyer, agent):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        help_request_give_solution(actor=agent, request_id=request.pk, text="merchant said by phone: tomorrow 9:00")
    log = last_log(request)
    assert log.by == agent
    assert "staff" in log.description


def _resolved(item, buyer, merchant_user, at):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        help_request_give_solution(actor=merchant_user, request_id=request.pk, text="tomorrow")
    with time_machine.travel(at, tick=False):
        help_request_mark_resolved(actor=merchant_user, request_id=request.pk, note="installed")
    request.refresh_from_db()
    return request


def test_mark_resolved_then_buyer_confirms(item, buyer, merchant_user):
    request = _resolved(item, buyer, merchant_user, T0 + timedelta(hours=5))
    assert request.state == HelpState.RESOLVED_PENDING
    assert request.confirm_due_at == T0 + timedelta(hours=29)
    with time_machine.travel(T0 + timedelta(hours=6), tick=False):
        help_request_confirm(actor=buyer.user, request_id=request.pk)
    request.refresh_from_db()
    assert request.state == HelpState.RESOLVED
    assert (last_log(request).transition, last_log(request).by) == ("confirm", buyer.user)
    # Resolved before 48 h: no resolution miss even long after.
    assert help_sweep(now=T0 + timedelta(days=5)).resolution_misses == 0


def test_resolution_confirmed_automatically_after_24_hours(item, buyer, merchant_user):
    request = _resolved(item, buyer, merchant_user, T0 + timedelta(hours=5))
    for early in (T0 + timedelta(hours=29) - timedelta(seconds=1), T0 + timedelta(hours=29)):
        assert help_sweep(now=early).confirmed == 0
    assert help_sweep(now=T0 + timedelta(hours=29, seconds=1)).confirmed == 1
    request.refresh_from_db()
    assert request.state == HelpState.RESOLVED
    assert request.confirmed_at == T0 + timedelta(hours=29)
    assert last_log(request).by.username == SYSTEM_USERNAME


def test_buyer_objects_and_staff_rule(item, buyer, merchant_user, agent, senior):
    request = _resolved(item, buyer, merchant_user, T0 + timedelta(hours=5))
    with time_machine.travel(T0 + timedelta(hours=6), tick=False):
        help_request_object(actor=buyer.user, request_id=request.pk, text="still leaking")
    request.refresh_from_db()
    assert request.state == HelpState.UNDER_REVIEW
    # Under review the resolution is neither auto-confirmed nor counted as a 48-hour miss.
    result = help_sweep(now=T0 + timedelta(hours=30))
    assert (result.confirmed, result.resolution_misses) == (0, 0)
    with pytest.raises(Forbidden):
        help_request_rule_objection(actor=agent, request_id=request.pk, resolved=True, reason="looks fine")
    help_request_rule_objection(actor=senior, request_id=request.pk, resolved=True, reason="photos show it fixed")
    request.refresh_from_db()
    assert request.state == HelpState.RESOLVED
    assert last_log(request).by == senior
    assert "photos show it fixed" in last_log(request).description


def test_objection_after_the_confirmation_period_is_refused(item, buyer, merchant_user):
    request = _resolved(item, buyer, merchant_user, T0 + timedelta(hours=5))
    with (
        time_machine.travel(T0 + timedelta(hours=29, seconds=1), tick=False),
        pytest.raises(RuleRefused) as caught,
    ):
        help_request_object(actor=buyer.user, request_id=request.pk, text="late")
    assert caught.value.code == "objection_window_passed"


def test_objection_upheld_reopens_and_the_48_hour_miss_is_dated_at_the_deadline(item, buyer, merchant_user, senior):
    request = _resolved(item, buyer, merchant_user, T0 + timedelta(hours=40))
    with time_machine.travel(T0 + timedelta(hours=41), tick=False):
        help_request_object(actor=buyer.user, request_id=request.pk, text="not fixed")
    with time_machine.travel(T0 + timedelta(hours=50), tick=False):
        help_request_rule_objection(actor=senior, request_id=request.pk, resolved=False, reason="video shows leak")
    request.refresh_from_db()
    assert request.state == HelpState.SOLUTION_GIVEN
    assert request.resolved_at is None
    result = help_sweep(now=T0 + timedelta(hours=50))
    assert result.resolution_misses == 1
    violation = request.violations.get()
    assert violation.occurred_at == T0 + timedelta(hours=48)
    assert violation.compensation_points == 5000  # delivery + install, solution given: "late"


def test_confirm_and_object_belong_to_the_buyer(item, buyer, other_buyer, merchant_user):
    request = _resolved(item, buyer, merchant_user, T0 + timedelta(hours=5))
    with time_machine.travel(T0 + timedelta(hours=6), tick=False):
        with pytest.raises(NotFound):
            help_request_confirm(actor=other_buyer.user, request_id=request.pk)
        with pytest.raises(NotFound):
            help_request_object(actor=merchant_user, request_id=request.pk, text="x")
        with pytest.raises(InvalidTransition):
            help_request_mark_resolved(actor=merchant_user, request_id=request.pk, note="again")


def test_confirm_refused_before_resolution(item, buyer):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with pytest.raises(InvalidTransition):
        help_request_confirm(actor=buyer.user, request_id=request.pk)


def test_close_needs_the_senior_permission(item, buyer, agent, senior):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with pytest.raises(Forbidden):
        help_request_close(actor=agent, request_id=request.pk, reason="buyer withdrew by phone")
    help_request_close(actor=senior, request_id=request.pk, reason="buyer withdrew by phone")
    request.refresh_from_db()
    assert request.state == HelpState.CLOSED
    assert help_sweep(now=T0 + timedelta(days=3)).solution_misses == 0
    with pytest.raises(InvalidTransition):
        help_request_close(actor=senior, request_id=request.pk, reason="again")


def test_closing_after_a_missed_deadline_records_the_miss_first(item, buyer, senior):
    # Closed half a minute after the 1-hour deadline, before the sweep ran: the miss happened, and closing the
    # request is no way out of its penalty (as for a late solution or resolution).
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with time_machine.travel(request.solution_due_at + timedelta(seconds=30), tick=False):
        help_request_close(actor=senior, request_id=request.pk, reason="buyer withdrew by phone")
    request.refresh_from_db()
    assert (request.state, request.solution_breached_at) == (HelpState.CLOSED, request.solution_due_at)
    [miss] = request.violations.all()
    assert (miss.deadline, miss.compensation_points) == ("solution", 5000)
    assert help_sweep(now=T0 + timedelta(days=3)).solution_misses == 0


def test_followup_queue(item, buyer, agent):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with pytest.raises(InvalidTransition):
        help_request_record_followup(actor=agent, request_id=request.pk, note="called")
    help_sweep(now=T0 + timedelta(hours=48))
    request.refresh_from_db()
    assert request.followup_queued_at is None  # the 48-hour deadline's own second is still the merchant's
    help_sweep(now=T0 + timedelta(hours=48, seconds=1))
    request.refresh_from_db()
    assert request.followup_queued_at == T0 + timedelta(hours=48, seconds=1)
    with pytest.raises(Forbidden):
        help_request_record_followup(actor=buyer.user, request_id=request.pk, note="called")
    help_request_record_followup(actor=agent, request_id=request.pk, note="called buyer, installer booked")
    request.refresh_from_db()
    assert request.followup_done_at is not None
    with pytest.raises(InvalidTransition):
        help_request_record_followup(actor=agent, request_id=request.pk, note="twice")
