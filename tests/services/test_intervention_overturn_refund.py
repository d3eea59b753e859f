"""An overturn on review (复审) puts the linked refund back as the overturned judgment found it, then executes the
new judgment on it: the refund's state, amount and deadline follow the new outcome, not the old one, and what is
still refundable on the item counts only what the new judgment paid."""

from datetime import timedelta

import pytest
from django_fsm_log.models import StateLog

from disputes.models import DueAction, Judgment, MerchantAccountEntry, RefundRequest, RefundState
from disputes.services.interventions.deciding import intervention_appeal, intervention_review
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.common import refundable
from tests.services.test_intervention_helpers import ASKED, PAID, accepted_case, at, judged
from tests.services.test_intervention_judgment import ACCEPTED, JUDGED

pytestmark = pytest.mark.django_db

APPEALED = JUDGED + timedelta(days=1)
REVIEWED = JUDGED + timedelta(days=2)


@pytest.fixture
def case(buyer, merchant, merchant_user, agent):
    """A buyer's case on a refund-only request for ASKED that the merchant refused."""
    return accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)


@pytest.fixture
def reviewer(db):
    from tests.services.test_intervention_helpers import other_senior

    return other_senior()


def overturn(case, appellant, reviewer, *, outcome, **kwargs) -> RefundRequest:
    with at(APPEALED):
        intervention_appeal(actor=appellant, case_id=case.pk, reasons="New photos.")
    with at(REVIEWED):
        intervention_review(
            actor=reviewer, case_id=case.pk, overturn=True, outcome=outcome, reasons="The photos decide it.", **kwargs
        )
    return RefundRequest.objects.get(pk=case.refund_id)


def transitions(refund: RefundRequest) -> list[str]:
    return list(StateLog.objects.for_(refund).order_by("timestamp", "pk").values_list("transition", flat=True))


def charged(merchant) -> int:
    return ledger_balance(MerchantAccountEntry, merchant=merchant)


def test_a_full_refund_overturned_for_the_merchant_closes_the_refund(case, agent, merchant, merchant_user, reviewer):
    judged(case, agent, moment=JUDGED, outcome="full_refund")
    refund = overturn(case, merchant_user, reviewer, outcome="support_merchant")
    assert (refund.state, refund.amount_fen, refund.succeeded_at) == (RefundState.CLOSED, ASKED, None)
    assert refund.closed_at == REVIEWED
    assert charged(merchant) == 0
    # Nothing was refunded in the end: the whole price is refundable again.
    assert refundable(refund.order_item) == PAID
    assert transitions(refund)[-3:] == ["settle_by_judgment", "reopen_by_review", "close_by_judgment"]
    reopened = StateLog.objects.for_(refund).get(transition="reopen_by_review")
    assert (reopened.source_state, reopened.state, reopened.by) == (
        RefundState.SUCCESS,
        RefundState.SELLER_REFUSED,
        reviewer,
    )


def test_a_partial_refund_overturned_to_a_full_refund_pays_what_was_asked(case, agent, buyer, merchant, reviewer):
    judged(case, agent, moment=JUDGED, outcome="partial_refund", refund_fen=15_000)
    refund = overturn(case, buyer.user, reviewer, outcome="full_refund")
    assert (refund.state, refund.amount_fen, refund.succeeded_at) == (RefundState.SUCCESS, ASKED, REVIEWED)
    assert charged(merchant) == -ASKED
    assert Judgment.objects.get(via_review=True).refund_fen == ASKED
    assert refundable(refund.order_item) == PAID - ASKED


def test_a_full_refund_overturned_to_a_partial_refund_counts_the_new_amount(
    case, agent, merchant, merchant_user, reviewer
):
    judged(case, agent, moment=JUDGED, outcome="full_refund")
    refund = overturn(case, merchant_user, reviewer, outcome="partial_refund", refund_fen=10_000)
    assert (refund.state, refund.amount_fen) == (RefundState.SUCCESS, 10_000)
    assert charged(merchant) == -10_000
    assert refundable(refund.order_item) == PAID - 10_000


def test_a_refund_overturned_to_a_return_waits_for_the_goods(case, agent, merchant, merchant_user, reviewer):
    judged(case, agent, moment=JUDGED, outcome="full_refund")
    refund = overturn(case, merchant_user, reviewer, outcome="return_refund")
    assert (refund.state, refund.succeeded_at, refund.agreed_on_behalf) == (RefundState.WAIT_BUYER_RETURN, None, True)
    assert refund.return_address == merchant.full_return_address
    assert (refund.due_at, refund.due_action) == (REVIEWED + timedelta(days=7), DueAction.CLOSE_NOT_SHIPPED)
    assert charged(merchant) == 0  # the money follows the goods


def test_a_refund_that_moved_on_is_left_as_it_stands_and_the_case_says_so(
    case, agent, buyer, merchant, merchant_user, reviewer
):
    judged(case, agent, moment=JUDGED, outcome="return_refund")
    with at(JUDGED + timedelta(hours=5)):
        refund_ship_return(actor=buyer.user, refund_id=case.refund_id, carrier="SF", waybill="SF123456789")
    refund = overturn(case, merchant_user, reviewer, outcome="support_merchant")
    # The goods are on their way back: the review does not pull the request back behind them.
    assert refund.state == RefundState.WAIT_SELLER_CONFIRM
    assert "reopen_by_review" not in transitions(refund)
    note = StateLog.objects.for_(case).get(transition="refund_not_reopened")
    assert (note.by, f"RF-{refund.pk}" in note.description) == (reviewer, True)


def test_a_confirmed_judgment_leaves_the_refund_alone(case, agent, merchant_user, reviewer):
    judged(case, agent, moment=JUDGED, outcome="full_refund")
    with at(APPEALED):
        intervention_appeal(actor=merchant_user, case_id=case.pk, reasons="New photos.")
    with at(REVIEWED):
        intervention_review(actor=reviewer, case_id=case.pk, overturn=False, reasons="The photos change nothing.")
    refund = RefundRequest.objects.get(pk=case.refund_id)
    assert (refund.state, refund.amount_fen) == (RefundState.SUCCESS, ASKED)
    assert "reopen_by_review" not in transitions(refund)


def test_compensation_overturned_to_a_full_refund_pays_the_reopened_request(case, agent, buyer, merchant, reviewer):
    judged(case, agent, moment=JUDGED, outcome="compensation", compensation_points=2_000)
    refund = overturn(case, buyer.user, reviewer, outcome="full_refund")
    assert (refund.state, refund.amount_fen, refund.close_reason) == (RefundState.SUCCESS, ASKED, "")
    assert charged(merchant) == -ASKED  # the compensation's charge is reversed, the refund's posted
    assert transitions(refund)[-3:] == ["close_by_judgment", "reopen_by_review", "settle_by_judgment"]
