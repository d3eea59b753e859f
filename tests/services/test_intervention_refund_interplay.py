"""Where a case and its refund meet: no refund is paid twice, judged refunds count against what is
refundable, and a suspension does not eat the time staff and parties had left."""

from datetime import timedelta

import pytest

from disputes.errors import InvalidTransition, RuleRefused
from disputes.models import CaseState, MerchantAccountEntry, RefundState
from disputes.services.interventions.deciding import intervention_judge
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.sweep import intervention_sweep
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_resume,
    intervention_suspend,
    intervention_withdraw,
)
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.buyer import refund_cancel, refund_modify
from disputes.services.refunds.common import refundable
from tests.services.refund_helpers import signed_item
from tests.services.test_intervention_helpers import ASKED, PAID, T0, at, refused_refund

pytestmark = pytest.mark.django_db


def test_refund_cannot_be_modified_or_cancelled_around_an_open_case(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(hours=2)):
        case = intervention_open(actor=buyer.user, ground="quality", claim="Broken", refund_id=refund.pk)
        with pytest.raises(InvalidTransition) as caught:
            refund_modify(actor=buyer.user, refund_id=refund.pk, amount_fen=ASKED)
        assert caught.value.code == "intervention_open"
        with pytest.raises(InvalidTransition):
            refund_cancel(actor=buyer.user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED
    # Withdrawn, the case gives the refund back to the parties.
    with at(T0 + timedelta(hours=3)):
        intervention_withdraw(actor=buyer.user, case_id=case.pk, reason="settled by chat")
        refund_modify(actor=buyer.user, refund_id=refund.pk, amount_fen=30_000)
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE


def test_a_judged_refund_without_a_refund_request_counts_against_the_item(buyer, merchant, agent):
    item = signed_item(buyer, merchant, signed_at=T0 - timedelta(days=1), price_fen=PAID)
    with at(T0):
        case = intervention_open(actor=buyer.user, ground="false_advertising", claim="Not oak", order_item_id=item.pk)
        intervention_accept(actor=agent, case_id=case.pk)
        intervention_judge(actor=agent, case_id=case.pk, outcome="partial_refund", refund_fen=60_000, reasons="veneer")
    assert refundable(item) == PAID - 60_000
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -60_000
    from tests.services.refund_helpers import apply_at

    with pytest.raises(RuleRefused) as caught:
        apply_at(T0 + timedelta(days=1), buyer=buyer, item=item, refund_type="refund_only", amount_fen=40_001)
    assert caught.value.code == "amount_exceeds_refundable"


def test_suspension_moves_the_deadlines_on_by_the_time_suspended(buyer, merchant, merchant_user, agent):
    refund = refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(hours=2)):
        case = intervention_open(actor=buyer.user, ground="quality", claim="Broken", refund_id=refund.pk)
        intervention_accept(actor=agent, case_id=case.pk)
    case.refresh_from_db()
    decision_due, evidence_due = case.decision_due_at, case.evidence_due_at
    with at(T0 + timedelta(days=1, hours=2)):
        intervention_suspend(actor=agent, case_id=case.pk, reason="both_parties", note="talking it over")
    with at(T0 + timedelta(days=11, hours=2)):
        intervention_resume(actor=agent, case_id=case.pk, reason="no settlement")
    case.refresh_from_db()
    assert case.state == CaseState.EVIDENCE
    assert case.decision_due_at == decision_due + timedelta(days=10)
    assert case.evidence_due_at == evidence_due + timedelta(days=10)
    # Resumed with time left: the sweep neither flags the decision nor closes evidence yet.
    result = intervention_sweep(now=T0 + timedelta(days=11, hours=3))
    assert (result.breached, result.to_mediation) == (0, 0)


def test_the_sweep_resumes_a_suspension_and_shifts_the_deadlines_too(buyer, merchant, merchant_user, agent):
    refund = refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(hours=2)):
        case = intervention_open(actor=buyer.user, ground="quality", claim="Broken", refund_id=refund.pk)
        intervention_accept(actor=agent, case_id=case.pk)
        intervention_suspend(actor=agent, case_id=case.pk, reason="both_parties", note="talking")
    case.refresh_from_db()
    decision_due = case.decision_due_at
    assert intervention_sweep(now=case.resume_due_at).resumed == 0
    resume_at = case.resume_due_at + timedelta(seconds=1)
    assert intervention_sweep(now=resume_at).resumed == 1
    case.refresh_from_db()
    assert case.decision_due_at == decision_due + (resume_at - (T0 + timedelta(hours=2)))
