"""Accepting and assigning intervention cases: the 3-day evidence window, the decision due in 6 working days on
the Chinese calendar, who may claim or assign a case, the senior (小二) tier, and refusing a claim."""

from datetime import timedelta

import pytest

from disputes.errors import Forbidden, InvalidTransition, RuleRefused
from disputes.models import CaseState, DueAction
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_assign,
    intervention_escalate,
    intervention_refuse,
)
from tests import factories as f
from tests.services.helpers import bj, step_events
from tests.services.test_intervention_helpers import (
    T0,
    accepted_case,
    at,
    case_logs,
    open_case,
    refused_refund,
)

pytestmark = pytest.mark.django_db


def new_case(buyer, merchant, merchant_user, *, moment):
    """A buyer's case opened at `moment` on a refund refused the day before."""
    refund = refused_refund(buyer, merchant, merchant_user, start=moment - timedelta(days=1))
    return open_case(buyer, refund, moment=moment)


# --- deadlines -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "evidence_due", "decision_due"),
    [
        # Tue 30 Sep 2025: 1-8 Oct is the National Day / Mid-Autumn holiday; Sat 11 Oct is a make-up
        # working day. Working days: 9, 10, 11, 13, 14, 15 Oct.
        (bj(2025, 9, 30, 10, 0), bj(2025, 10, 3, 10, 0), bj(2025, 10, 15, 10, 0)),
        # Mon 2 Mar 2026, an ordinary fortnight: 3, 4, 5, 6, 9, 10 Mar.
        (bj(2026, 3, 2, 10, 0), bj(2026, 3, 5, 10, 0), bj(2026, 3, 10, 10, 0)),
        # Fri 6 Mar 2026 at 17:45: the weekend is skipped, the time of day kept: 9, 10, 11, 12, 13, 16 Mar.
        (bj(2026, 3, 6, 17, 45), bj(2026, 3, 9, 17, 45), bj(2026, 3, 16, 17, 45)),
    ],
)
def test_accepting_opens_3_days_of_evidence_and_sets_the_decision_6_working_days_out(
    buyer, merchant, merchant_user, agent, accepted, evidence_due, decision_due, django_capture_on_commit_callbacks
):
    case = new_case(buyer, merchant, merchant_user, moment=accepted - timedelta(hours=1))
    with at(accepted), django_capture_on_commit_callbacks():
        intervention_accept(actor=agent, case_id=case.pk)
    case.refresh_from_db()
    assert case.state == CaseState.EVIDENCE
    assert (case.accepted_at, case.evidence_due_at, case.decision_due_at) == (accepted, evidence_due, decision_due)
    assert case.assigned_to == agent
    assert case.merchant_answer_due_at is None
    log = case_logs(case, "accept")[0]
    assert (log.by, log.source_state, log.state) == (agent, "applied", "evidence")
    assert step_events(case)[-1] == ("accept", "evidence")


# --- who takes the case -----------------------------------------------------------------------------


def test_supervisor_assigns_a_new_case_to_an_agent(buyer, merchant, merchant_user, agent, supervisor):
    case = new_case(buyer, merchant, merchant_user, moment=T0)
    with at(T0 + timedelta(hours=1)):
        intervention_assign(actor=supervisor, case_id=case.pk, assign_to=agent)
    case.refresh_from_db()
    assert (case.state, case.assigned_to, case.accepted_at) == (CaseState.EVIDENCE, agent, T0 + timedelta(hours=1))
    assert case_logs(case, "accept")[0].by == supervisor


def test_supervisor_reassigns_an_accepted_case_without_moving_its_deadlines(
    buyer, merchant, merchant_user, agent, supervisor
):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=T0)
    other_agent = f.StaffFactory(username="agent-two", groups=["Customer-service agent (客服)"])
    with at(T0 + timedelta(days=1)):
        intervention_assign(actor=supervisor, case_id=case.pk, assign_to=other_agent)
    after = type(case).objects.get(pk=case.pk)
    assert after.assigned_to == other_agent
    assert (after.evidence_due_at, after.decision_due_at) == (case.evidence_due_at, case.decision_due_at)
    log = case_logs(case, "assign")[0]
    assert log.by == supervisor


def test_an_agent_cannot_assign_a_case_to_someone_else(buyer, merchant, merchant_user, agent):
    case = new_case(buyer, merchant, merchant_user, moment=T0)
    other_agent = f.StaffFactory(username="agent-two", groups=["Customer-service agent (客服)"])
    with at(T0 + timedelta(hours=1)):
        with pytest.raises(Forbidden) as caught:
            intervention_accept(actor=agent, case_id=case.pk, assign_to=other_agent)
        assert caught.value.code == "assign_permission_required"
        with pytest.raises(Forbidden) as caught:
            intervention_assign(actor=agent, case_id=case.pk, assign_to=other_agent)
        assert caught.value.code == "assign_permission_required"
    case.refresh_from_db()
    assert (case.state, case.assigned_to) == (CaseState.APPLIED, None)


def test_the_assignee_must_work_intervention_cases(buyer, merchant, merchant_user, supervisor):
    case = new_case(buyer, merchant, merchant_user, moment=T0)
    clerk = f.StaffFactory(username="clerk")
    for assignee in (clerk, merchant_user, buyer.user):
        with at(T0 + timedelta(hours=1)), pytest.raises(RuleRefused) as caught:
            intervention_assign(actor=supervisor, case_id=case.pk, assign_to=assignee)
        assert caught.value.code == "invalid_assignee"


@pytest.mark.parametrize("who", ["buyer", "merchant", "clerk"])
def test_only_intervention_staff_accept(buyer, merchant, merchant_user, who):
    case = new_case(buyer, merchant, merchant_user, moment=T0)
    actor = {"buyer": buyer.user, "merchant": merchant_user, "clerk": f.StaffFactory(username="clerk")}[who]
    with at(T0 + timedelta(hours=1)), pytest.raises(Forbidden) as caught:
        intervention_accept(actor=actor, case_id=case.pk)
    assert caught.value.code == "staff_permission_required"


def test_a_case_is_accepted_once(buyer, merchant, merchant_user, agent, senior):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=T0)
    with at(T0 + timedelta(hours=1)), pytest.raises(InvalidTransition):
        intervention_accept(actor=senior, case_id=case.pk)
    case.refresh_from_db()
    assert (case.assigned_to, case.accepted_at) == (agent, T0)


# --- the senior tier --------------------------------------------------------------------------------


@pytest.fixture
def senior_tier_case(buyer, merchant, merchant_user, agent):
    refund = refused_refund(buyer, merchant, merchant_user, start=T0 - timedelta(days=1))
    with at(T0):
        return intervention_open(
            actor=agent,
            ground="quality",
            claim="Escalated.",
            refund_id=refund.pk,
            channel="senior",
            on_behalf_of="buyer",
        )


def test_a_plain_agent_cannot_take_a_senior_tier_case(senior_tier_case, agent, senior):
    with at(T0 + timedelta(hours=1)), pytest.raises(Forbidden) as caught:
        intervention_accept(actor=agent, case_id=senior_tier_case.pk)
    assert caught.value.code == "senior_tier_required"
    with at(T0 + timedelta(hours=2)):
        intervention_accept(actor=senior, case_id=senior_tier_case.pk)
    senior_tier_case.refresh_from_db()
    assert senior_tier_case.assigned_to == senior


def test_a_supervisor_cannot_hand_a_senior_tier_case_to_a_plain_agent(senior_tier_case, agent, senior, supervisor):
    with at(T0 + timedelta(hours=1)), pytest.raises(Forbidden) as caught:
        intervention_assign(actor=supervisor, case_id=senior_tier_case.pk, assign_to=agent)
    assert caught.value.code == "senior_tier_required"
    with at(T0 + timedelta(hours=2)):
        intervention_assign(actor=supervisor, case_id=senior_tier_case.pk, assign_to=senior)
    with at(T0 + timedelta(hours=3)), pytest.raises(Forbidden) as caught:
        intervention_assign(actor=supervisor, case_id=senior_tier_case.pk, assign_to=agent)
    assert caught.value.code == "senior_tier_required"
    senior_tier_case.refresh_from_db()
    assert senior_tier_case.assigned_to == senior


def test_escalating_moves_the_case_to_the_senior_tier_and_off_a_plain_agent(
    buyer, merchant, merchant_user, agent, senior
):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=T0)
    assert (case.tier, case.priority) == ("agent", 0)
    with at(T0 + timedelta(hours=1)):
        intervention_escalate(actor=agent, case_id=case.pk, reason="Buyer threatens to go to court.")
    case.refresh_from_db()
    assert (case.tier, case.priority, case.assigned_to) == ("senior", 1, None)
    with at(T0 + timedelta(hours=2)), pytest.raises(InvalidTransition):
        intervention_escalate(actor=senior, case_id=case.pk, reason="again")


# --- refusing a claim outside the rules ---------------------------------------------------------------


def test_refusing_a_claim_closes_it_and_restarts_the_refunds_clock(buyer, merchant, merchant_user, agent):
    refund = refused_refund(buyer, merchant, merchant_user)
    case = open_case(buyer, refund, moment=T0 + timedelta(hours=2))
    moment = T0 + timedelta(days=1)
    with at(moment):
        intervention_refuse(actor=agent, case_id=case.pk, reason="The listing said 'no returns on opened seals'.")
    case.refresh_from_db()
    assert (case.state, case.closed_at) == (CaseState.REFUSED, moment)
    assert case.outcome_note == "The listing said 'no returns on opened seals'."
    refund.refresh_from_db()
    # The buyer's 7 days to modify the request or escalate run again from the refusal of the case.
    assert (refund.due_at, refund.due_action) == (moment + timedelta(days=7), DueAction.CLOSE_REFUSED)
    assert refund.intervention_requested_at is None
    with at(moment + timedelta(hours=1)), pytest.raises(InvalidTransition):
        intervention_accept(actor=agent, case_id=case.pk)
