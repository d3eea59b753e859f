"""A judgment on a refund the platform advanced (先行垫付): the merchant's charge repays the platform up to what is
outstanding; what the judgment leaves with the buyer is owed back, with the repayment notice and deadline of an
upheld refusal; an overturn on review moves that debt with the new outcome. Amounts come from the ledger."""

from datetime import timedelta

import pytest
from django_fsm_log.models import StateLog

from disputes.models import AdvanceState, MerchantAccountEntry, PlatformAdvanceEntry, RefundState
from disputes.services.interventions.deciding import intervention_appeal, intervention_review
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.advances import refund_advance_repaid
from disputes.services.refunds.sweep import refund_sweep
from tests.services.helpers import event_types
from tests.services.test_intervention_helpers import ASKED, at, judged, other_senior
from tests.services.test_intervention_judgment import JUDGED, goods_case

pytestmark = pytest.mark.django_db

REVIEWED = JUDGED + timedelta(days=2)
REPAY_DUE = JUDGED + timedelta(days=7)  # the buyer may repay through this second
REVOKED = REPAY_DUE + timedelta(seconds=1)  # the first sweep after it revokes, dated when it runs


def advance(buyer) -> int:
    return ledger_balance(PlatformAdvanceEntry, buyer=buyer)


def charged(merchant) -> int:
    return ledger_balance(MerchantAccountEntry, merchant=merchant)


def overturn(case, appellant, *, outcome, **kwargs):
    with at(JUDGED + timedelta(days=1)):
        intervention_appeal(actor=appellant, case_id=case.pk, reasons="New photos of the seal.")
    with at(REVIEWED):
        intervention_review(
            actor=other_senior(), case_id=case.pk, overturn=True, outcome=outcome, reasons="Seal intact.", **kwargs
        )


@pytest.fixture
def advanced_case(buyer, merchant, merchant_user, agent):
    case, refund = goods_case(buyer, merchant, merchant_user, agent, advance_quota=100_000)
    assert (refund.advance_state, advance(buyer)) == (AdvanceState.MERCHANT_REFUSED_GOODS, ASKED)
    return case, refund


def test_a_partial_refund_leaves_the_buyer_owing_the_rest_of_the_advance(
    advanced_case, buyer, merchant, agent, django_capture_on_commit_callbacks
):
    case, refund = advanced_case
    with django_capture_on_commit_callbacks():
        judged(case, agent, moment=JUDGED, outcome="partial_refund", refund_fen=15_000)
    refund.refresh_from_db()
    assert (refund.state, refund.amount_fen, refund.advance_state) == (
        RefundState.SUCCESS,
        15_000,
        AdvanceState.MERCHANT_REFUSED_GOODS,
    )
    assert (refund.repayment_notice_at, refund.repayment_due_at) == (JUDGED, JUDGED + timedelta(days=7))
    assert "refund.advance_repayment_due" in event_types(refund)
    # The merchant's 150 元 repays that much of the platform's 400 元; the buyer holds the other 250 元.
    assert (charged(merchant), advance(buyer)) == (-15_000, ASKED - 15_000)

    with at(JUDGED + timedelta(days=1)):
        refund_advance_repaid(actor=agent, refund_id=refund.pk)
    repaid = PlatformAdvanceEntry.objects.get(idempotency_key=f"refund:{refund.pk}:advance_repaid")
    assert repaid.amount == -(ASKED - 15_000)
    assert advance(buyer) == 0
    refund.refresh_from_db()
    assert (refund.advance_state, refund.repaid_at) == (AdvanceState.SETTLED, JUDGED + timedelta(days=1))


def test_the_rest_of_the_advance_not_repaid_in_time_revokes_the_privilege(advanced_case, buyer, agent):
    case, _ = advanced_case
    judged(case, agent, moment=JUDGED, outcome="partial_refund", refund_fen=15_000)
    for early in (REPAY_DUE - timedelta(seconds=1), REPAY_DUE):
        assert refund_sweep(now=early).revoked == 0
    assert refund_sweep(now=REVOKED).revoked == 1
    buyer.refresh_from_db()
    assert buyer.instant_refund_revoked_at == REVOKED


def test_a_refund_judged_above_the_advance_recovers_only_what_was_advanced(advanced_case, buyer, merchant, agent):
    case, refund = advanced_case
    judged(case, agent, moment=JUDGED, outcome="partial_refund", refund_fen=ASKED + 20_000)
    assert (charged(merchant), advance(buyer)) == (-(ASKED + 20_000), 0)
    refund.refresh_from_db()
    assert (refund.advance_state, refund.repayment_notice_at) == (AdvanceState.SETTLED, None)


def test_an_overturn_to_the_full_refund_clears_the_debt(advanced_case, buyer, merchant, agent):
    case, refund = advanced_case
    judged(case, agent, moment=JUDGED, outcome="partial_refund", refund_fen=15_000)
    overturn(case, buyer.user, outcome="full_refund", refund_fen=ASKED)
    assert (charged(merchant), advance(buyer)) == (-ASKED, 0)
    refund.refresh_from_db()
    assert (refund.advance_state, refund.repayment_due_at) == (AdvanceState.SETTLED, None)
    assert refund_sweep(now=JUDGED + timedelta(days=30)).revoked == 0


def test_an_overturn_for_the_merchant_makes_the_buyer_owe_the_whole_advance(
    advanced_case, buyer, merchant, merchant_user, agent
):
    case, refund = advanced_case
    judged(case, agent, moment=JUDGED, outcome="return_refund")
    refund.refresh_from_db()
    assert (refund.advance_state, advance(buyer)) == (AdvanceState.SETTLED, 0)
    overturn(case, merchant_user, outcome="support_merchant")
    assert (charged(merchant), advance(buyer)) == (0, ASKED)
    refund.refresh_from_db()
    assert refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS
    assert (refund.repayment_notice_at, refund.repayment_due_at) == (REVIEWED, REVIEWED + timedelta(days=7))


def test_an_overturn_that_clears_the_debt_gives_back_the_privilege_it_cost(
    advanced_case, buyer, merchant, merchant_user, agent
):
    case, refund = advanced_case
    judged(case, agent, moment=JUDGED, outcome="support_merchant")
    with at(JUDGED + timedelta(days=1)):
        intervention_appeal(actor=buyer.user, case_id=case.pk, reasons="The seal was intact on delivery.")
    # The review takes longer than the repayment window: the sweep revokes the privilege meanwhile.
    assert refund_sweep(now=REVOKED).revoked == 1
    buyer.refresh_from_db()
    assert buyer.instant_refund_revoked_at == REVOKED
    with at(JUDGED + timedelta(days=9)):
        intervention_review(
            actor=other_senior(), case_id=case.pk, overturn=True, outcome="full_refund", reasons="Seal intact."
        )
    assert (charged(merchant), advance(buyer)) == (-ASKED, 0)
    buyer.refresh_from_db()
    refund.refresh_from_db()
    assert buyer.instant_refund_revoked_at is None
    assert (refund.state, refund.advance_state) == (RefundState.SUCCESS, AdvanceState.SETTLED)
    # The request keeps the fact that it once cost the privilege; its history says it was given back.
    assert refund.privilege_revoked_at == REVOKED
    restored = StateLog.objects.for_(refund).get(transition="restore_instant_refund")
    assert restored.by.username == "senior-two"


def test_a_late_repayment_does_not_give_back_the_privilege(advanced_case, buyer, agent):
    case, refund = advanced_case
    judged(case, agent, moment=JUDGED, outcome="support_merchant")
    assert refund_sweep(now=REVOKED).revoked == 1
    with at(JUDGED + timedelta(days=8)):
        refund_advance_repaid(actor=agent, refund_id=refund.pk)
    assert advance(buyer) == 0
    buyer.refresh_from_db()
    assert buyer.instant_refund_revoked_at == REVOKED
