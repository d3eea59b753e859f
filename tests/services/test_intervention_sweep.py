"""The scheduler's pass over intervention deadlines (intervention_sweep): evidence → mediation, the appeal
window → final, suspensions resuming, decision deadlines at risk and missed. Each at its boundary (nothing at the
deadline's own second, the step one second later), and a second run changes nothing."""

from datetime import timedelta

import pytest

from disputes.actors import SYSTEM_USERNAME
from disputes.models import CaseState
from disputes.services.interventions.sweep import intervention_sweep
from disputes.services.interventions.workflow import (
    intervention_record_proof,
    intervention_request_evidence,
    intervention_submit_evidence,
    intervention_suspend,
)
from tests.services.helpers import bj
from tests.services.test_intervention_helpers import (
    accepted_case,
    at,
    case_logs,
    in_mediation,
    judged,
)

pytestmark = pytest.mark.django_db

# Accepted Monday 2 March 2026 10:00: evidence until Thu 5 March 10:00, decision due Tue 10 March 10:00.
ACCEPTED = bj(2026, 3, 2, 10, 0)
EVIDENCE_DUE = bj(2026, 3, 5, 10, 0)
DECISION_DUE = bj(2026, 3, 10, 10, 0)
SECOND = timedelta(seconds=1)


@pytest.fixture
def case(buyer, merchant, merchant_user, agent):
    found = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)
    assert (found.evidence_due_at, found.decision_due_at) == (EVIDENCE_DUE, DECISION_DUE)
    return found


def sweep(moment):
    with at(moment):
        return intervention_sweep()


def state_of(case):
    case.refresh_from_db()
    return case.state


# --- evidence → mediation ---------------------------------------------------------------------------


def test_the_evidence_window_closing_starts_mediation(case):
    for early in (EVIDENCE_DUE - SECOND, EVIDENCE_DUE):
        assert sweep(early).to_mediation == 0
    assert state_of(case) == CaseState.EVIDENCE

    assert sweep(EVIDENCE_DUE + SECOND).to_mediation == 1
    assert state_of(case) == CaseState.MEDIATION
    [log] = case_logs(case, "start_mediation")
    assert (log.by.username, log.source_state, log.state) == (SYSTEM_USERNAME, "evidence", "mediation")

    assert sweep(EVIDENCE_DUE + timedelta(minutes=5)).to_mediation == 0
    assert len(case_logs(case, "start_mediation")) == 1


def test_not_while_the_merchants_24_hours_run(case, buyer):
    with at(EVIDENCE_DUE - timedelta(hours=2)):
        intervention_submit_evidence(actor=buyer.user, case_id=case.pk, text="Photos.")
    answer_due = EVIDENCE_DUE + timedelta(hours=22)
    assert sweep(EVIDENCE_DUE + SECOND).to_mediation == 0
    assert sweep(answer_due).to_mediation == 0
    assert state_of(case) == CaseState.EVIDENCE
    assert sweep(answer_due + SECOND).to_mediation == 1
    assert state_of(case) == CaseState.MEDIATION


def test_not_while_a_staff_request_for_evidence_runs(case, agent, merchant_user):
    request_due = EVIDENCE_DUE + timedelta(days=2)
    with at(EVIDENCE_DUE - timedelta(hours=1)):
        intervention_request_evidence(
            actor=agent, case_id=case.pk, party="merchant", note="The invoice, please.", due_at=request_due
        )
    assert sweep(EVIDENCE_DUE + timedelta(days=1)).to_mediation == 0
    assert state_of(case) == CaseState.EVIDENCE
    # Answered early: the next pass moves the case on without waiting for the request's due time.
    with at(EVIDENCE_DUE + timedelta(days=1, hours=1)):
        intervention_submit_evidence(actor=merchant_user, case_id=case.pk, text="Invoice no. 42.")
    assert sweep(EVIDENCE_DUE + timedelta(days=1, hours=2)).to_mediation == 1
    assert state_of(case) == CaseState.MEDIATION


def test_an_unanswered_request_stops_holding_the_case_at_its_due(case, agent):
    request_due = EVIDENCE_DUE + timedelta(days=2)
    with at(EVIDENCE_DUE - timedelta(hours=1)):
        intervention_request_evidence(actor=agent, case_id=case.pk, party="buyer", note="x", due_at=request_due)
    assert sweep(request_due).to_mediation == 0
    assert sweep(request_due + SECOND).to_mediation == 1


# --- the appeal window -------------------------------------------------------------------------------


def test_the_appeal_window_closing_makes_the_judgment_final(case, agent):
    judged_at = EVIDENCE_DUE + timedelta(hours=3)
    in_mediation(case, agent, moment=EVIDENCE_DUE + timedelta(hours=1))
    judged(case, agent, moment=judged_at, outcome="support_merchant")
    case.refresh_from_db()
    assert case.appeal_due_at == judged_at + timedelta(days=7)

    appeal_due = judged_at + timedelta(days=7)
    for early in (appeal_due - SECOND, appeal_due):
        assert sweep(early).finalized == 0
    assert state_of(case) == CaseState.JUDGED
    assert sweep(appeal_due + SECOND).finalized == 1
    case.refresh_from_db()
    assert (case.state, case.closed_at) == (CaseState.FINAL, appeal_due + SECOND)
    assert case_logs(case, "finalize")[0].by.username == SYSTEM_USERNAME
    assert sweep(judged_at + timedelta(days=8)).finalized == 0


# --- suspension --------------------------------------------------------------------------------------


def suspend(case, agent, reason, moment):
    with at(moment):
        intervention_suspend(actor=agent, case_id=case.pk, reason=reason, note="Parties asked.")
    case.refresh_from_db()
    return case


def test_self_settlement_resumes_after_30_days(case, agent):
    suspended_at = ACCEPTED + timedelta(days=1)
    suspend(case, agent, "both_parties", suspended_at)
    assert (case.state, case.suspended_from, case.resume_due_at) == (
        CaseState.SUSPENDED,
        "evidence",
        suspended_at + timedelta(days=30),
    )
    assert sweep(suspended_at + timedelta(days=30)).resumed == 0
    assert state_of(case) == CaseState.SUSPENDED
    assert sweep(suspended_at + timedelta(days=30) + SECOND).resumed == 1
    case.refresh_from_db()
    assert (case.state, case.suspended_from, case.suspend_reason, case.resume_due_at) == (
        CaseState.EVIDENCE,
        "",
        "",
        None,
    )
    assert case_logs(case, "resume")[0].by.username == SYSTEM_USERNAME


def test_a_case_suspended_in_mediation_resumes_in_mediation(case, agent):
    in_mediation(case, agent, moment=EVIDENCE_DUE)
    suspend(case, agent, "both_parties", EVIDENCE_DUE + timedelta(hours=1))
    sweep(EVIDENCE_DUE + timedelta(days=31))
    assert state_of(case) == CaseState.MEDIATION


@pytest.mark.parametrize("reason", ["court", "police"])
def test_court_or_police_without_proof_resumes_after_7_working_days(case, agent, reason):
    # Suspended Tue 3 March 2026 10:00: working days 4, 5, 6, 9, 10, 11, 12 March.
    suspend(case, agent, reason, bj(2026, 3, 3, 10, 0))
    assert case.resume_due_at == bj(2026, 3, 12, 10, 0)
    assert sweep(bj(2026, 3, 12, 10, 0)).resumed == 0
    assert sweep(bj(2026, 3, 12, 10, 0, 1)).resumed == 1
    assert state_of(case) == CaseState.EVIDENCE


def test_police_proof_holds_the_case_for_180_days(case, agent):
    suspend(case, agent, "police", bj(2026, 3, 3, 10, 0))
    proof_at = bj(2026, 3, 6, 15, 0)
    with at(proof_at):
        intervention_record_proof(actor=agent, case_id=case.pk, note="Police receipt no. 7781.")
    case.refresh_from_db()
    assert case.resume_due_at == proof_at + timedelta(days=180)
    assert sweep(bj(2026, 3, 12, 10, 0)).resumed == 0
    assert sweep(proof_at + timedelta(days=180)).resumed == 0
    assert state_of(case) == CaseState.SUSPENDED
    assert sweep(proof_at + timedelta(days=180) + SECOND).resumed == 1
    assert state_of(case) == CaseState.EVIDENCE


def test_court_proof_holds_the_case_until_staff_resume_it(case, agent):
    suspend(case, agent, "court", bj(2026, 3, 3, 10, 0))
    with at(bj(2026, 3, 6, 15, 0)):
        intervention_record_proof(actor=agent, case_id=case.pk, note="Court filing accepted.")
    case.refresh_from_db()
    assert case.resume_due_at is None
    assert sweep(bj(2027, 3, 3, 10, 0)).resumed == 0
    assert state_of(case) == CaseState.SUSPENDED


# --- the decision deadline ---------------------------------------------------------------------------------


def test_the_decision_is_flagged_at_risk_24_hours_before_it_is_due(case, agent):
    in_mediation(case, agent, moment=EVIDENCE_DUE)
    risk_from = DECISION_DUE - timedelta(hours=24)
    assert sweep(risk_from - timedelta(seconds=1)).at_risk == 0
    case.refresh_from_db()
    assert case.decision_at_risk_at is None

    assert sweep(risk_from).at_risk == 1
    case.refresh_from_db()
    assert (case.decision_at_risk_at, case.decision_breached_at) == (risk_from, None)

    result = sweep(risk_from + timedelta(hours=1))
    assert (result.at_risk, result.breached) == (0, 0)
    case.refresh_from_db()
    assert case.decision_at_risk_at == risk_from


def test_the_decision_is_flagged_missed_after_its_deadline_once(case, agent):
    sweep(DECISION_DUE - timedelta(hours=2))
    for early in (DECISION_DUE - SECOND, DECISION_DUE):
        assert sweep(early).breached == 0
    assert sweep(DECISION_DUE + SECOND).breached == 1
    case.refresh_from_db()
    assert case.decision_breached_at == DECISION_DUE + SECOND
    at_risk = case.decision_at_risk_at

    again = sweep(DECISION_DUE + timedelta(hours=5))
    assert again.total == 0
    case.refresh_from_db()
    assert (case.decision_breached_at, case.decision_at_risk_at) == (DECISION_DUE + SECOND, at_risk)


def test_judged_or_suspended_cases_are_not_flagged(buyer, merchant, merchant_user, agent):
    judged_case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)
    judged(judged_case, agent, moment=ACCEPTED + timedelta(days=1), outcome="support_merchant")
    paused = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)
    suspend(paused, agent, "both_parties", ACCEPTED + timedelta(days=1))
    result = sweep(DECISION_DUE + SECOND)
    assert (result.at_risk, result.breached) == (0, 0)
    for found in (judged_case, paused):
        found.refresh_from_db()
        assert (found.decision_at_risk_at, found.decision_breached_at) == (None, None)
