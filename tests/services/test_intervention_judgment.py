"""Judgment (判决) and its execution by the system, exactly once: refunds paid to the merchant ledger, the
linked refund settled, compensation credited and charged, violations recorded, the merchant supported (with the
advance repayment notice), amounts over what is refundable refused."""

from datetime import timedelta

import pytest

from disputes.errors import Forbidden, InvalidTransition, RuleRefused, ValidationFailed
from disputes.models import (
    AdvanceState,
    BuyerPointsEntry,
    CaseState,
    DueAction,
    Judgment,
    MerchantAccountEntry,
    PlatformAdvanceEntry,
    RefundState,
    Violation,
    ViolationStatus,
)
from disputes.services.interventions import execution as service
from disputes.services.interventions.deciding import intervention_judge
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import intervention_accept, intervention_escalate
from disputes.services.ledger import ledger_balance
from tests.services.helpers import bj, event_types, step_events
from tests.services.refund_helpers import signed_item
from tests.services.test_intervention_helpers import (
    ASKED,
    PAID,
    accepted_case,
    at,
    goods_refused_refund,
    judged,
)

pytestmark = pytest.mark.django_db

ACCEPTED = bj(2026, 3, 2, 10, 0)
JUDGED = bj(2026, 3, 6, 15, 0)


@pytest.fixture
def case(buyer, merchant, merchant_user, agent):
    return accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)


def merchant_balance(merchant):
    return ledger_balance(MerchantAccountEntry, merchant=merchant)


def points(buyer):
    return ledger_balance(BuyerPointsEntry, buyer=buyer)


def test_judging_opens_the_7_day_appeal_window(case, agent, django_capture_on_commit_callbacks):
    with at(JUDGED), django_capture_on_commit_callbacks():
        judgment = intervention_judge(
            actor=agent, case_id=case.pk, outcome="support_merchant", reasons="No defect visible."
        )
    case.refresh_from_db()
    assert (case.state, case.appeal_due_at, case.outcome_note) == (
        CaseState.JUDGED,
        JUDGED + timedelta(days=7),
        "No defect visible.",
    )
    assert (judgment.judged_by, judgment.judged_at, judgment.executed_at) == (agent, JUDGED, JUDGED)
    assert step_events(case)[-1] == ("judge", "judged")


# --- refunds -------------------------------------------------------------------------------------------


def test_a_full_refund_is_paid_once_and_settles_the_refund(case, agent, merchant):
    judgment = judged(case, agent, moment=JUDGED, outcome="full_refund")

    # A full refund pays what the refund request asked for.
    assert judgment.refund_fen == ASKED
    [entry] = MerchantAccountEntry.objects.all()
    assert (entry.merchant_id, entry.amount, entry.kind, entry.idempotency_key, entry.source) == (
        merchant.pk,
        -ASKED,
        "refund",
        f"judgment:{judgment.pk}:refund",
        judgment,
    )
    refund = case.refund
    refund.refresh_from_db()
    assert (refund.state, refund.amount_fen, refund.succeeded_at, refund.due_at) == (
        RefundState.SUCCESS,
        ASKED,
        JUDGED,
        None,
    )
    assert refund.intervention_requested_at is None

    # A retry of the execution (e.g. after a crash between posting and marking it executed) posts nothing more.
    with at(JUDGED + timedelta(minutes=1)):
        service.judgment_execute(Judgment.objects.get(pk=judgment.pk), case=case, actor=agent)
    assert MerchantAccountEntry.objects.count() == 1
    assert merchant_balance(merchant) == -ASKED
    # And the case cannot be judged a second time.
    with pytest.raises(InvalidTransition), at(JUDGED + timedelta(minutes=2)):
        intervention_judge(actor=agent, case_id=case.pk, outcome="full_refund", reasons="again")
    assert MerchantAccountEntry.objects.count() == 1


def test_a_partial_refund_pays_the_judged_amount(case, agent, merchant):
    judged(case, agent, moment=JUDGED, outcome="partial_refund", refund_fen=12_345)
    assert merchant_balance(merchant) == -12_345
    refund = case.refund
    refund.refresh_from_db()
    assert (refund.state, refund.amount_fen) == (RefundState.SUCCESS, 12_345)


@pytest.mark.parametrize("outcome", ["full_refund", "partial_refund"])
def test_amounts_over_what_is_refundable_are_refused(case, agent, merchant, outcome):
    with pytest.raises(RuleRefused) as caught:
        judged(case, agent, moment=JUDGED, outcome=outcome, refund_fen=PAID + 1)
    assert caught.value.code == "amount_exceeds_refundable"
    case.refresh_from_db()
    assert case.state == CaseState.EVIDENCE
    assert Judgment.objects.count() == 0 and MerchantAccountEntry.objects.count() == 0
    # Everything the buyer paid is the most a judgment can refund.
    judged(case, agent, moment=JUDGED, outcome=outcome, refund_fen=PAID)
    assert merchant_balance(merchant) == -PAID


def test_a_refund_on_an_item_without_a_refund_request_pays_what_is_refundable(buyer, merchant, agent):
    item = signed_item(buyer, merchant, price_fen=PAID)
    with at(ACCEPTED - timedelta(hours=1)):
        case = intervention_open(
            actor=buyer.user, ground="logistics_lost", claim="Never arrived.", order_item_id=item.pk
        )
    with at(ACCEPTED):
        intervention_accept(actor=agent, case_id=case.pk)
    judgment = judged(case, agent, moment=JUDGED, outcome="full_refund")
    assert judgment.refund_fen == PAID
    assert merchant_balance(merchant) == -PAID


# --- compensation and violations -------------------------------------------------------------------------


def test_compensation_is_credited_to_the_buyer_and_charged_to_the_merchant(case, agent, buyer, merchant):
    judgment = judged(case, agent, moment=JUDGED, outcome="compensation", compensation_points=2_500)
    assert points(buyer) == 2_500
    assert merchant_balance(merchant) == -2_500
    keys = {e.idempotency_key for e in [*BuyerPointsEntry.objects.all(), *MerchantAccountEntry.objects.all()]}
    assert keys == {f"judgment:{judgment.pk}:compensation"}
    # A compensation-only judgment pays no refund but decides the dispute: the request is closed, not left
    # waiting in "refused" with no deadline.
    refund = case.refund
    refund.refresh_from_db()
    assert (refund.state, refund.close_reason, refund.closed_at, refund.due_at) == (
        RefundState.CLOSED,
        "Compensated by judgment",
        JUDGED,
        None,
    )


@pytest.mark.parametrize(("kind", "score"), [("breach_of_promise", 4), ("refuse_return", 6)])
def test_a_violation_is_recorded_and_counted(case, agent, buyer, merchant, kind, score):
    judgment = judged(case, agent, moment=JUDGED, outcome="full_refund", compensation_points=1_000, violation_kind=kind)
    [violation] = Violation.objects.all()
    assert (
        violation.merchant,
        violation.buyer,
        violation.intervention_id,
        violation.kind,
        violation.status,
        violation.score_points,
        violation.compensation_points,
        violation.occurred_at,
        violation.decided_by,
        violation.idempotency_key,
    ) == (
        merchant,
        buyer,
        case.pk,
        kind,
        ViolationStatus.COUNTED,
        score,
        1_000,
        JUDGED,
        agent,
        f"judgment:{judgment.pk}:violation",
    )
    with at(JUDGED + timedelta(minutes=1)):
        service.judgment_execute(Judgment.objects.get(pk=judgment.pk), case=case, actor=agent)
    assert Violation.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"outcome": "support_merchant", "violation_kind": "breach_of_promise"}, "invalid_violation_kind"),
        ({"outcome": "full_refund", "violation_kind": "rudeness"}, "invalid_violation_kind"),
        ({"outcome": "compensation"}, "invalid_amount"),
        ({"outcome": "partial_refund"}, "invalid_amount"),
        ({"outcome": "support_merchant", "compensation_points": 100}, "invalid_amount"),
        ({"outcome": "full_refund", "refund_fen": -1}, "invalid_amount"),
        ({"outcome": "everything"}, "invalid_outcome"),
        ({"outcome": "full_refund", "reasons": " "}, "reasons_required"),
    ],
)
def test_inconsistent_judgments_are_refused(case, agent, kwargs, code):
    with pytest.raises(ValidationFailed) as caught:
        judged(case, agent, moment=JUDGED, **kwargs)
    assert caught.value.code == code
    assert Judgment.objects.count() == 0


def test_a_plain_agent_cannot_judge_a_senior_tier_case(buyer, merchant, merchant_user, agent, senior):
    case = accepted_case(buyer, merchant, merchant_user, senior, accepted_at=ACCEPTED)
    with at(ACCEPTED + timedelta(hours=1)):
        intervention_escalate(actor=senior, case_id=case.pk, reason="Large amount")
    with pytest.raises(Forbidden) as caught:
        judged(case, agent, moment=JUDGED, outcome="support_merchant")
    assert caught.value.code == "senior_tier_required"
    judged(case, senior, moment=JUDGED, outcome="support_merchant")


# --- supporting the merchant ---------------------------------------------------------------------------------


def test_supporting_the_merchant_closes_the_refund_and_moves_no_money(case, agent, buyer, merchant):
    judged(case, agent, moment=JUDGED, outcome="support_merchant")
    refund = case.refund
    refund.refresh_from_db()
    assert (refund.state, refund.closed_at, refund.due_at, refund.repayment_notice_at) == (
        RefundState.CLOSED,
        JUDGED,
        None,
        None,
    )
    assert MerchantAccountEntry.objects.count() == BuyerPointsEntry.objects.count() == 0


def goods_case(buyer, merchant, merchant_user, agent, *, advance_quota):
    """The merchant's case after refusing the returned goods (refund applied 25 Feb, goods refused 27 Feb)."""
    refund = goods_refused_refund(
        buyer, merchant, merchant_user, start=bj(2026, 2, 25, 10, 0), advance_quota=advance_quota
    )
    with at(ACCEPTED - timedelta(hours=1)):
        case = intervention_open(
            actor=merchant_user, ground="goods_refused", claim="Returned damaged.", refund_id=refund.pk
        )
    with at(ACCEPTED):
        intervention_accept(actor=agent, case_id=case.pk)
    return case, refund


def test_supporting_the_merchant_after_an_advance_sends_the_repayment_notice(
    buyer, merchant, merchant_user, agent, django_capture_on_commit_callbacks
):
    case, refund = goods_case(buyer, merchant, merchant_user, agent, advance_quota=100_000)
    assert refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS
    assert ledger_balance(PlatformAdvanceEntry, buyer=buyer) == ASKED  # the buyer holds the platform's money

    with django_capture_on_commit_callbacks():
        judged(case, agent, moment=JUDGED, outcome="support_merchant", reasons="The goods came back damaged.")

    refund.refresh_from_db()
    assert (refund.state, refund.repayment_notice_at, refund.repayment_due_at) == (
        RefundState.CLOSED,
        JUDGED,
        JUDGED + timedelta(days=7),
    )
    assert "refund.advance_repayment_due" in event_types(refund)
    assert step_events(case)[-1] == ("judge", "judged")
    assert MerchantAccountEntry.objects.count() == 0


def test_supporting_the_merchant_without_an_advance_sends_no_notice(buyer, merchant, merchant_user, agent):
    case, refund = goods_case(buyer, merchant, merchant_user, agent, advance_quota=0)
    judged(case, agent, moment=JUDGED, outcome="support_merchant")
    refund.refresh_from_db()
    assert (refund.state, refund.repayment_notice_at) == (RefundState.CLOSED, None)


def test_a_return_and_refund_after_refused_goods_pays_and_recovers_the_advance(buyer, merchant, merchant_user, agent):
    case, refund = goods_case(buyer, merchant, merchant_user, agent, advance_quota=100_000)
    judgment = judged(case, agent, moment=JUDGED, outcome="return_refund")
    assert judgment.refund_fen == ASKED
    assert merchant_balance(merchant) == -ASKED
    # The buyer already had the money from the platform: the merchant's charge repays the platform.
    assert ledger_balance(PlatformAdvanceEntry, buyer=buyer) == 0
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state) == (RefundState.SUCCESS, AdvanceState.SETTLED)


def test_a_return_judged_on_a_refused_request_sends_the_goods_back_first(case, agent, merchant):
    judged(case, agent, moment=JUDGED, outcome="return_refund")
    refund = case.refund
    refund.refresh_from_db()
    assert (refund.state, refund.refund_type, refund.agreed_on_behalf) == (
        RefundState.WAIT_BUYER_RETURN,
        "return_refund",
        True,
    )
    assert refund.return_address == merchant.full_return_address
    # The buyer now has the usual 7 days to ship it back; the money follows the return.
    assert (refund.due_at, refund.due_action) == (JUDGED + timedelta(days=7), DueAction.CLOSE_NOT_SHIPPED)
    assert MerchantAccountEntry.objects.count() == 0
