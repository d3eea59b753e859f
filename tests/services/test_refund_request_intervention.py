"""A refund taken to the platform (客服介入): refund_request_intervention and the express refusal of the goods open
real intervention cases (ground, applicant, priority), the case's judgment pays the refund exactly once, and
staff cannot settle the refund around an open case."""

from datetime import timedelta

import pytest
from django_fsm_log.models import StateLog

from disputes.choices import CreditRating
from disputes.errors import DomainError, InvalidTransition
from disputes.models import AdvanceState, CaseState, Intervention, MerchantAccountEntry, RefundState
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.sweep import intervention_sweep
from disputes.services.interventions.workflow import intervention_accept, intervention_withdraw
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.advances import refund_uphold_goods_refusal
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.escalation import refund_request_intervention
from disputes.services.refunds.express import refund_express_claim, refund_express_decide
from disputes.services.refunds.merchant import refund_agree, refund_refuse, refund_refuse_goods
from disputes.services.refunds.sweep import refund_sweep
from tests.services.refund_helpers import apply_at, signed_item
from tests.services.test_intervention_helpers import (
    ASKED,
    PAID,
    T0,
    at,
    goods_refused_refund,
    judged,
    png_upload,
    refused_refund,
)

pytestmark = pytest.mark.django_db

ASKED_AT = T0 + timedelta(hours=2)  # an hour after the refusal


def request(actor, refund, *, moment=ASKED_AT, reason="Please decide."):
    with at(moment):
        return refund_request_intervention(actor=actor, refund_id=refund.pk, reason=reason)


def merchant_balance(merchant) -> int:
    return ledger_balance(MerchantAccountEntry, merchant=merchant)


# --- the buyer's and the merchant's requests --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "refund_type", "ground"),
    [
        ("quality", "refund_only", "quality"),
        ("damaged", "refund_only", "logistics_damaged"),
        ("not_as_described", "refund_only", "false_advertising"),
        ("counterfeit", "refund_only", "counterfeit"),
        ("not_received", "refund_only", "logistics_lost"),
        ("missing_parts", "refund_only", "quality"),
        ("no_reason", "return_refund", "service_not_honoured"),  # a 7-day no-reason request is a return
        ("other", "refund_only", "service_not_honoured"),
    ],
)
def test_the_buyers_request_opens_a_case_on_the_ground_of_the_refund_reason(
    buyer, merchant, merchant_user, reason, refund_type, ground
):
    refund = refused_refund(buyer, merchant, merchant_user, reason=reason, refund_type=refund_type)

    case = request(buyer.user, refund, reason="  The merchant ignores my photos.  ")

    case.refresh_from_db()
    assert (case.refund_id, case.order_item_id, case.buyer_id, case.merchant_id) == (
        refund.pk,
        refund.order_item_id,
        buyer.pk,
        merchant.pk,
    )
    assert (case.state, case.applicant, case.channel, case.ground) == (
        CaseState.APPLIED,
        "buyer",
        "order_page",
        ground,
    )
    assert (case.express, case.priority, case.applied_at) == (False, 0, ASKED_AT)
    assert case.claim == "The merchant ignores my photos."


def test_the_merchants_request_after_refusing_the_goods_opens_a_goods_refused_case(buyer, merchant, merchant_user):
    refund = goods_refused_refund(buyer, merchant, merchant_user)
    asked = T0 + timedelta(days=2, hours=1)

    case = request(merchant_user, refund, moment=asked, reason="The serial number differs.")

    assert (case.applicant, case.ground, case.channel, case.priority, case.applied_at) == (
        "merchant",
        "goods_refused",
        "order_page",
        0,  # not an express refund
        asked,
    )
    [log] = StateLog.objects.for_(refund).filter(transition="request_intervention")
    assert (log.by, log.description) == (merchant_user, f"IV-{case.pk} opened: The serial number differs.")
    refund.refresh_from_db()
    assert (refund.intervention_requested_at, refund.due_at) == (asked, None)


def test_a_second_request_while_the_case_is_open_is_refused_by_the_intervention_service(buyer, merchant, merchant_user):
    refund = goods_refused_refund(buyer, merchant, merchant_user)
    first = request(buyer.user, refund, moment=T0 + timedelta(days=2, hours=1))
    for actor in (buyer.user, merchant_user):
        with pytest.raises(DomainError) as caught:
            request(actor, refund, moment=T0 + timedelta(days=2, hours=2))
        assert caught.value.code == "intervention_exists"
    assert list(Intervention.objects.values_list("pk", flat=True)) == [first.pk]
    assert StateLog.objects.for_(refund).filter(transition="request_intervention").count() == 1


# --- the judgment pays the refund once -------------------------------------------------------------------------


def test_a_requested_case_judged_full_refund_pays_the_refund_exactly_once(buyer, merchant, merchant_user, agent):
    refund = refused_refund(buyer, merchant, merchant_user)  # refund only, asks 400 元 of the 1,000 元 paid
    case = request(buyer.user, refund)
    with at(T0 + timedelta(hours=3)):
        intervention_accept(actor=agent, case_id=case.pk)
    judged_at = T0 + timedelta(days=1)
    judgment = judged(case, agent, moment=judged_at, outcome="full_refund")

    assert judgment.refund_fen == ASKED
    [entry] = MerchantAccountEntry.objects.all()
    assert (entry.merchant_id, entry.amount, entry.idempotency_key) == (
        merchant.pk,
        -ASKED,
        f"judgment:{judgment.pk}:refund",
    )
    refund.refresh_from_db()
    assert (refund.state, refund.amount_fen, refund.succeeded_at, refund.due_at) == (
        RefundState.SUCCESS,
        ASKED,
        judged_at,
        None,
    )
    # Nothing pays it a second time: not the merchant, not another request, not the schedulers.
    with pytest.raises(InvalidTransition), at(judged_at + timedelta(hours=1)):
        refund_agree(actor=merchant_user, refund_id=refund.pk)
    with pytest.raises(InvalidTransition) as caught:
        request(buyer.user, refund, moment=judged_at + timedelta(hours=1))
    assert caught.value.code == "intervention_not_available"
    assert refund_sweep(now=judged_at + timedelta(days=60)).total == 0
    assert intervention_sweep(now=judged_at + timedelta(days=8)).finalized == 1
    assert MerchantAccountEntry.objects.count() == 1
    assert merchant_balance(merchant) == -ASKED


# --- staff cannot settle the refund around an open case ---------------------------------------------------------


def test_upholding_the_refusal_of_the_goods_waits_for_the_open_case(buyer, merchant, merchant_user, senior):
    refund = goods_refused_refund(buyer, merchant, merchant_user)
    case = request(merchant_user, refund, moment=T0 + timedelta(days=2, hours=1))

    with pytest.raises(InvalidTransition) as caught, at(T0 + timedelta(days=3)):
        refund_uphold_goods_refusal(actor=senior, refund_id=refund.pk, reason="Scratches on the photos.")
    assert caught.value.code == "intervention_open"
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED

    # Once the merchant withdraws its case, staff may uphold the refusal.
    with at(T0 + timedelta(days=3, hours=1)):
        intervention_withdraw(actor=merchant_user, case_id=case.pk)
    with at(T0 + timedelta(days=3, hours=2)):
        refund_uphold_goods_refusal(actor=senior, refund_id=refund.pk, reason="Scratches on the photos.")
    refund.refresh_from_db()
    assert refund.state == RefundState.CLOSED


# --- the express refusal of the goods ----------------------------------------------------------------------------


def express_in_transit(buyer, merchant, merchant_user, senior):
    """An express refund (极速维权): refused, claim verified by staff, return shipped with the platform's advance."""
    buyer.credit_rating = CreditRating.EXCELLENT
    buyer.save(update_fields=["credit_rating"])
    item = signed_item(buyer, merchant, signed_at=T0 - timedelta(days=1), price_fen=PAID)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="return_refund", reason="damaged", amount_fen=ASKED)
    with at(T0 + timedelta(hours=1)):
        refund_refuse(actor=merchant_user, refund_id=refund.pk, reason="Damaged by the buyer.")
    with at(T0 + timedelta(hours=2)):
        claim = refund_express_claim(
            actor=buyer.user, refund_id=refund.pk, description="Crushed box.", files=[png_upload()]
        )
    with at(T0 + timedelta(hours=3)):
        refund_express_decide(actor=senior, claim_id=claim.pk, verified=True, reason="Courier photos confirm it.")
    with at(T0 + timedelta(hours=4)):
        refund_ship_return(actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF777")
    return refund


def test_staff_refusing_the_goods_for_the_merchant_file_the_express_case_on_its_behalf(
    buyer, merchant, merchant_user, senior, agent
):
    refund = express_in_transit(buyer, merchant, merchant_user, senior)
    refused_at = T0 + timedelta(days=2)

    with at(refused_at):
        returned = refund_refuse_goods(
            actor=agent, refund_id=refund.pk, reason="Seal broken.", on_behalf_reason="Merchant called, ref 88"
        )

    # The refund handed back shows the clock the case stopped.
    assert (returned.state, returned.intervention_requested_at, returned.due_at, returned.due_action) == (
        RefundState.SELLER_REFUSED,
        refused_at,
        None,
        "",
    )
    [case] = Intervention.objects.filter(refund=refund)
    assert (case.applicant, case.channel, case.ground, case.express, case.priority) == (
        "merchant",
        "phone",
        "goods_refused",
        True,
        2,
    )
    assert case.claim == "Express case: merchant refused the goods: Seal broken."
    [log] = StateLog.objects.for_(case)
    assert (log.transition, log.by) == ("open", agent)


def test_when_the_express_case_cannot_open_the_refusal_of_the_goods_is_not_recorded(
    buyer, merchant, merchant_user, senior
):
    refund = express_in_transit(buyer, merchant, merchant_user, senior)
    # The buyer already has a case open on the same item (on a listed ground, not on the refund).
    with at(T0 + timedelta(hours=5)):
        other = intervention_open(
            actor=buyer.user, ground="false_advertising", claim="Not solid wood.", order_item_id=refund.order_item_id
        )

    with pytest.raises(DomainError) as caught, at(T0 + timedelta(days=2)):
        refund_refuse_goods(actor=merchant_user, refund_id=refund.pk, reason="Seal broken.")

    assert caught.value.code == "intervention_exists"
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state, refund.refused_goods, refund.intervention_requested_at) == (
        RefundState.WAIT_SELLER_CONFIRM,
        AdvanceState.ADVANCED,
        False,
        None,
    )
    assert list(Intervention.objects.values_list("pk", flat=True)) == [other.pk]
