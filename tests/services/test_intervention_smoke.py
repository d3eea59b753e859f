"""A first end-to-end pass through an intervention: refusal, case, evidence, judgment, appeal, overturn."""

from datetime import timedelta

import pytest
import time_machine

from disputes.models import BuyerPointsEntry, CaseState, MerchantAccountEntry, RefundState, Violation, ViolationStatus
from disputes.services.interventions.deciding import intervention_appeal, intervention_judge, intervention_review
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import intervention_accept, intervention_submit_evidence
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.merchant import refund_refuse
from tests import factories as f
from tests.services.refund_helpers import T0, apply_at, signed_item

pytestmark = pytest.mark.django_db


def test_refused_refund_to_judgment_appeal_and_overturn(buyer, merchant, merchant_user, agent, senior):
    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="refund_only", amount_fen=40_000)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        refund_refuse(actor=merchant_user, refund_id=refund.pk, reason="used goods")
        case = intervention_open(actor=buyer.user, ground="quality", claim="Broken on arrival", refund_id=refund.pk)
        intervention_accept(actor=agent, case_id=case.pk)
        intervention_submit_evidence(actor=buyer.user, case_id=case.pk, text="photos attached")
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        judgment = intervention_judge(
            actor=agent,
            case_id=case.pk,
            outcome="full_refund",
            reasons="Defect visible in photos",
            compensation_points=2000,
            violation_kind="breach_of_promise",
        )
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCESS
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -40_000 - 2000
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 2000
    assert judgment.refund_fen == 40_000
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        intervention_appeal(actor=merchant_user, case_id=case.pk, reasons="The photos are of another item")
        intervention_review(
            actor=senior, case_id=case.pk, overturn=True, reasons="Serial number differs", outcome="support_merchant"
        )
    case.refresh_from_db()
    assert case.state == CaseState.FINAL
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == 0
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 0
    assert MerchantAccountEntry.objects.count() == 4  # two postings and their two reversals
    assert Violation.objects.get().status == ViolationStatus.REVOKED


def test_reviewer_cannot_be_the_judge(buyer, merchant, merchant_user, senior):
    from disputes.errors import Forbidden

    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="refund_only", amount_fen=40_000)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        refund_refuse(actor=merchant_user, refund_id=refund.pk, reason="no")
        case = intervention_open(actor=buyer.user, ground="quality", claim="Broken", refund_id=refund.pk)
        intervention_accept(actor=senior, case_id=case.pk)
        intervention_judge(actor=senior, case_id=case.pk, outcome="support_merchant", reasons="no proof")
        intervention_appeal(actor=buyer.user, case_id=case.pk, reasons="new photos")
        with pytest.raises(Forbidden):
            intervention_review(actor=senior, case_id=case.pk, overturn=False, reasons="confirm")
    other_senior = f.StaffFactory(username="senior2", groups=["Senior agent (小二)"])
    intervention_review(actor=other_senior, case_id=case.pk, overturn=False, reasons="confirmed")
    case.refresh_from_db()
    assert case.state == CaseState.FINAL
