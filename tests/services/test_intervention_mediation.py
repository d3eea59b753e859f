"""Mediation (调解): staff propose terms, both parties accept → the case closes as agreed and the terms are
executed; a decline keeps the case in mediation; only one proposal is open at a time."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from disputes.errors import Forbidden, InvalidTransition, NotFound, RuleRefused
from disputes.models import (
    CaseState,
    Judgment,
    MediationProposal,
    MerchantAccountEntry,
    ProposalStatus,
    RefundState,
)
from disputes.services.interventions.mediation import intervention_propose, intervention_respond
from disputes.services.ledger import ledger_balance
from tests.services.helpers import bj
from tests.services.test_intervention_helpers import (
    ASKED,
    PAID,
    accepted_case,
    at,
    case_logs,
    in_mediation,
)

pytestmark = pytest.mark.django_db

ACCEPTED = bj(2026, 3, 2, 10, 0)
MEDIATING = bj(2026, 3, 5, 10, 0)


@pytest.fixture
def case(buyer, merchant, merchant_user, agent):
    return in_mediation(
        accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED), agent, moment=MEDIATING
    )


def propose(case, agent, *, moment=MEDIATING + timedelta(hours=1), **kwargs):
    kwargs.setdefault("outcome", "partial_refund")
    kwargs.setdefault("refund_fen", 30_000)
    kwargs.setdefault("terms", "The merchant refunds 300 元; the buyer keeps the item.")
    with at(moment):
        return intervention_propose(actor=agent, case_id=case.pk, **kwargs)


def respond(actor, proposal, accept, *, moment):
    with at(moment):
        return intervention_respond(actor=actor, proposal_id=proposal.pk, accept=accept)


def test_both_parties_accepting_is_an_agreement_executed_at_once(case, agent, buyer, merchant, merchant_user):
    proposal = propose(case, agent)
    assert proposal.status == ProposalStatus.OPEN

    respond(buyer.user, proposal, True, moment=MEDIATING + timedelta(hours=2))
    proposal.refresh_from_db()
    assert (proposal.status, proposal.buyer_accepted_at, proposal.merchant_accepted_at) == (
        ProposalStatus.OPEN,
        MEDIATING + timedelta(hours=2),
        None,
    )
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == 0

    agreed_at = MEDIATING + timedelta(hours=3)
    respond(merchant_user, proposal, True, moment=agreed_at)

    proposal.refresh_from_db()
    case.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert (case.state, case.closed_at) == (CaseState.AGREED, agreed_at)
    assert case.outcome_note == "The merchant refunds 300 元; the buyer keeps the item."
    judgment = Judgment.objects.get(intervention=case)
    assert (judgment.outcome, judgment.refund_fen, judgment.via_agreement, judgment.executed_at) == (
        "partial_refund",
        30_000,
        True,
        agreed_at,
    )
    [entry] = MerchantAccountEntry.objects.filter(merchant=merchant)
    assert (entry.amount, entry.kind, entry.idempotency_key) == (-30_000, "refund", f"judgment:{judgment.pk}:refund")
    refund = case.refund
    refund.refresh_from_db()
    assert (refund.state, refund.amount_fen, refund.succeeded_at) == (RefundState.SUCCESS, 30_000, agreed_at)
    assert [log.transition for log in case_logs(case)][-3:] == ["accept_proposal", "agree", "accept_proposal"]


def test_a_decline_keeps_the_case_in_mediation(case, agent, buyer, merchant_user):
    proposal = propose(case, agent)
    respond(buyer.user, proposal, True, moment=MEDIATING + timedelta(hours=2))
    respond(merchant_user, proposal, False, moment=MEDIATING + timedelta(hours=3))
    proposal.refresh_from_db()
    case.refresh_from_db()
    assert (proposal.status, proposal.declined_by) == (ProposalStatus.DECLINED, "merchant")
    assert case.state == CaseState.MEDIATION
    assert Judgment.objects.count() == 0 and MerchantAccountEntry.objects.count() == 0
    with pytest.raises(InvalidTransition) as caught:
        respond(buyer.user, proposal, True, moment=MEDIATING + timedelta(hours=4))
    assert caught.value.code == "proposal_closed"


def test_only_one_proposal_is_open(case, agent, buyer):
    first = propose(case, agent)
    second = propose(
        case, agent, moment=MEDIATING + timedelta(hours=2), outcome="full_refund", refund_fen=0, terms="Full refund."
    )
    first.refresh_from_db()
    assert (first.status, first.declined_by) == (ProposalStatus.DECLINED, "staff")
    assert list(MediationProposal.objects.filter(status=ProposalStatus.OPEN)) == [second]
    with pytest.raises(InvalidTransition):
        respond(buyer.user, first, True, moment=MEDIATING + timedelta(hours=3))
    # The database holds the line too.
    with pytest.raises(IntegrityError), transaction.atomic():
        MediationProposal.objects.create(
            intervention=case, outcome="repair", terms="Repair.", proposed_by=agent, status=ProposalStatus.OPEN
        )


def test_proposals_are_made_in_mediation_only(buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)
    with pytest.raises(InvalidTransition) as caught:
        propose(case, agent, moment=ACCEPTED + timedelta(hours=1))
    assert caught.value.code == "not_in_mediation"


def test_a_proposal_over_what_is_refundable_is_refused(case, agent):
    with pytest.raises(RuleRefused) as caught:
        propose(case, agent, refund_fen=PAID + 1)
    assert caught.value.code == "amount_exceeds_refundable"
    assert propose(case, agent, refund_fen=PAID).refund_fen == PAID


def test_only_staff_propose_and_only_the_parties_respond(case, agent, buyer, other_buyer, other_merchant_user):
    with pytest.raises(Forbidden):
        propose(case, buyer.user)
    proposal = propose(case, agent)
    for outsider in (other_buyer.user, other_merchant_user, agent):
        with pytest.raises(NotFound):
            respond(outsider, proposal, True, moment=MEDIATING + timedelta(hours=2))
    proposal.refresh_from_db()
    assert (proposal.buyer_accepted_at, proposal.merchant_accepted_at) == (None, None)


def test_an_agreement_to_support_the_merchant_closes_the_refund(case, agent, buyer, merchant_user, merchant):
    proposal = propose(case, agent, outcome="support_merchant", refund_fen=0, terms="The buyer drops the claim.")
    respond(merchant_user, proposal, True, moment=MEDIATING + timedelta(hours=2))
    respond(buyer.user, proposal, True, moment=MEDIATING + timedelta(hours=3))
    refund = case.refund
    refund.refresh_from_db()
    assert refund.state == RefundState.CLOSED
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == 0
    assert refund.amount_fen == ASKED
