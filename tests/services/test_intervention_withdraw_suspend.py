"""Withdrawal by the applicant before judgment, and suspension (中止) / resumption by staff."""

from datetime import timedelta

import pytest

from disputes.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from disputes.models import CaseState, DueAction, RefundState
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_record_proof,
    intervention_resume,
    intervention_suspend,
    intervention_withdraw,
)
from tests.services.helpers import bj
from tests.services.test_intervention_helpers import (
    accepted_case,
    at,
    case_logs,
    goods_refused_refund,
    in_mediation,
    judged,
    open_case,
    refused_refund,
)

pytestmark = pytest.mark.django_db

ACCEPTED = bj(2026, 3, 2, 10, 0)


@pytest.fixture
def case(buyer, merchant, merchant_user, agent):
    return accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)


def withdraw(actor, case, *, moment=ACCEPTED + timedelta(days=1), reason=""):
    with at(moment):
        return intervention_withdraw(actor=actor, case_id=case.pk, reason=reason)


def suspend(actor, case, *, reason="both_parties", moment=ACCEPTED + timedelta(days=1)):
    with at(moment):
        return intervention_suspend(actor=actor, case_id=case.pk, reason=reason, note="The parties are talking.")


# --- withdrawal ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["applied", "evidence", "mediation", "suspended"])
def test_the_applicant_withdraws_before_judgment(buyer, merchant, merchant_user, agent, stage):
    refund = refused_refund(buyer, merchant, merchant_user, start=ACCEPTED - timedelta(days=2))
    case = open_case(buyer, refund, moment=ACCEPTED - timedelta(hours=1))
    if stage != "applied":
        with at(ACCEPTED):
            intervention_accept(actor=agent, case_id=case.pk)
    if stage == "mediation":
        in_mediation(case, agent, moment=ACCEPTED + timedelta(hours=1))
    if stage == "suspended":
        suspend(agent, case, moment=ACCEPTED + timedelta(hours=1))
    moment = ACCEPTED + timedelta(days=1)

    withdraw(buyer.user, case, moment=moment, reason="Settled with the shop.")

    case.refresh_from_db()
    assert (case.state, case.closed_at) == (CaseState.WITHDRAWN, moment)
    log = case_logs(case, "withdraw")[0]
    assert (log.by, log.source_state, log.description) == (buyer.user, stage, "Withdrawn: Settled with the shop.")
    # The refusal stands again: the buyer's 7 days to modify or escalate restart.
    refund.refresh_from_db()
    assert (refund.state, refund.due_at, refund.due_action, refund.intervention_requested_at) == (
        RefundState.SELLER_REFUSED,
        moment + timedelta(days=7),
        DueAction.CLOSE_REFUSED,
        None,
    )


def test_only_the_applicant_withdraws(case, merchant_user, other_buyer):
    with pytest.raises(Forbidden) as caught:
        withdraw(merchant_user, case)
    assert caught.value.code == "applicant_only"
    with pytest.raises(NotFound):
        withdraw(other_buyer.user, case)
    case.refresh_from_db()
    assert case.state == CaseState.EVIDENCE


def test_a_merchants_case_is_withdrawn_by_the_merchant_not_the_buyer(buyer, merchant, merchant_user):
    refund = goods_refused_refund(buyer, merchant, merchant_user, start=ACCEPTED - timedelta(days=3))
    with at(ACCEPTED):
        case = intervention_open(actor=merchant_user, ground="goods_refused", claim="Damaged.", refund_id=refund.pk)
    with pytest.raises(Forbidden):
        withdraw(buyer.user, case)
    withdraw(merchant_user, case)
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN


def test_no_withdrawal_after_judgment(case, buyer, agent):
    judged(case, agent, moment=ACCEPTED + timedelta(days=1), outcome="support_merchant")
    with pytest.raises(InvalidTransition):
        withdraw(buyer.user, case, moment=ACCEPTED + timedelta(days=2))
    case.refresh_from_db()
    assert case.state == CaseState.JUDGED


def test_staff_withdraw_for_the_applicant_only_with_a_reason(case, agent):
    with pytest.raises(ValidationFailed) as caught:
        withdraw(agent, case)
    assert caught.value.code == "reason_required"
    withdraw(agent, case, reason="Buyer phoned to withdraw.")
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    assert case_logs(case, "withdraw")[0].by == agent


# --- suspension --------------------------------------------------------------------------------------------


def test_staff_suspend_and_resume_where_the_case_stopped(case, agent):
    in_mediation(case, agent, moment=ACCEPTED + timedelta(hours=1))
    suspend(agent, case, reason="both_parties", moment=ACCEPTED + timedelta(hours=2))
    case.refresh_from_db()
    assert (case.state, case.suspended_from, case.suspend_reason) == (CaseState.SUSPENDED, "mediation", "both_parties")
    with at(ACCEPTED + timedelta(days=2)):
        intervention_resume(actor=agent, case_id=case.pk, reason="Settlement failed.")
    case.refresh_from_db()
    assert (case.state, case.suspended_from, case.suspend_reason, case.resume_due_at) == (
        CaseState.MEDIATION,
        "",
        "",
        None,
    )
    assert [log.by for log in case_logs(case) if log.transition in ("suspend", "resume")] == [agent, agent]


def test_parties_cannot_suspend_or_resume(case, agent, buyer, merchant_user):
    for actor in (buyer.user, merchant_user):
        with pytest.raises(Forbidden):
            suspend(actor, case)
    suspend(agent, case)
    for actor in (buyer.user, merchant_user):
        with pytest.raises(Forbidden), at(ACCEPTED + timedelta(days=2)):
            intervention_resume(actor=actor, case_id=case.pk, reason="x")
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED


def test_only_a_working_case_is_suspended_and_only_a_suspended_one_resumed(buyer, merchant, merchant_user, agent):
    refund = refused_refund(buyer, merchant, merchant_user, start=ACCEPTED - timedelta(days=2))
    new = open_case(buyer, refund, moment=ACCEPTED)
    with pytest.raises(InvalidTransition):
        suspend(agent, new)
    with pytest.raises(InvalidTransition), at(ACCEPTED + timedelta(hours=1)):
        intervention_resume(actor=agent, case_id=new.pk, reason="x")


def test_a_suspension_needs_a_known_reason(case, agent):
    with pytest.raises(ValidationFailed) as caught:
        suspend(agent, case, reason="holiday")
    assert caught.value.code == "invalid_reason"


def test_proof_is_taken_only_for_court_or_police(case, agent):
    suspend(agent, case, reason="both_parties")
    with pytest.raises(InvalidTransition) as caught, at(ACCEPTED + timedelta(days=2)):
        intervention_record_proof(actor=agent, case_id=case.pk, note="receipt")
    assert caught.value.code == "no_proof_expected"
