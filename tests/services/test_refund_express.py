"""Express rights protection (极速维权, RULES.md section 3): who may claim and when, staff verification on the
merchant's behalf, the platform's advance beyond the quota, and what follows the merchant's answer."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm_log.models import StateLog

from disputes.choices import CreditRating
from disputes.errors import DomainError, Forbidden, InvalidTransition, NotFound, ValidationFailed
from disputes.models import (
    AdvanceState,
    DueAction,
    EntryKind,
    ExpressClaim,
    ExpressStatus,
    Intervention,
    OrderStatus,
    PlatformAdvanceEntry,
    RefundEvidence,
    RefundState,
    RefundType,
)
from disputes.services.interventions.sweep import intervention_queue
from disputes.services.refunds.buyer import refund_modify, refund_ship_return
from disputes.services.refunds.common import RefundNotAllowed
from disputes.services.refunds.escalation import refund_request_intervention
from disputes.services.refunds.express import refund_express_claim, refund_express_decide
from disputes.services.refunds.merchant import refund_agree, refund_confirm_goods, refund_refuse, refund_refuse_goods
from disputes.services.refunds.sweep import refund_sweep
from tests import factories as f
from tests.services.helpers import bj
from tests.services.refund_helpers import (
    DEFAULT_RETURN_ADDRESS,
    T0,
    account,
    advances,
    apply_at,
    call_at,
    logs,
    photo,
    refund_env,  # noqa: F401  (fixture)
    signed_item,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]

REFUSED = bj(2026, 4, 1, 12, 0)
CLAIMED = bj(2026, 4, 2, 10, 0)
DECIDED = bj(2026, 4, 2, 14, 0)
SHIPPED = bj(2026, 4, 3, 10, 0)


@pytest.fixture
def excellent(buyer):
    buyer.credit_rating = CreditRating.EXCELLENT
    buyer.save()
    return buyer


def refused(buyer, merchant, merchant_user, *, reason="quality", refund_type="refund_only", item=None):
    item = item or signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type=refund_type, reason=reason)
    call_at(REFUSED, refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="No defect visible")
    refund.refresh_from_db()
    return refund


def claim(buyer, refund, *, at=CLAIMED, files=None, description="The leg snapped on first use"):
    return call_at(
        at,
        refund_express_claim,
        actor=buyer.user,
        refund_id=refund.pk,
        description=description,
        files=[photo()] if files is None else files,
    )


def verified(buyer, merchant, merchant_user, senior, **kwargs):
    refund = refused(buyer, merchant, merchant_user, **kwargs)
    express = claim(buyer, refund)
    call_at(DECIDED, refund_express_decide, actor=senior, claim_id=express.pk, verified=True, reason="Photo shows it")
    refund.refresh_from_db()
    return refund


def shipped(buyer, merchant, merchant_user, senior, **kwargs):
    refund = verified(buyer, merchant, merchant_user, senior, **kwargs)
    call_at(SHIPPED, refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF777")
    refund.refresh_from_db()
    return refund


# --- who may claim, and when ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "allowed"),
    [
        (CreditRating.ORDINARY, False),
        (CreditRating.GOOD, False),
        (CreditRating.EXCELLENT, True),
        (CreditRating.OUTSTANDING, True),
    ],
)
def test_only_buyers_rated_excellent_or_outstanding(buyer, merchant, merchant_user, rating, allowed):
    buyer.credit_rating = rating
    buyer.save()
    refund = refused(buyer, merchant, merchant_user)
    if allowed:
        express = claim(buyer, refund)
        assert (express.status, express.submitted_at) == (ExpressStatus.PENDING, CLAIMED)
    else:
        with pytest.raises(RefundNotAllowed) as caught:
            claim(buyer, refund)
        assert caught.value.code == "express_rating_required"
        assert ExpressClaim.objects.count() == 0


@pytest.mark.parametrize("reason", ["quality", "damaged"])
def test_quality_and_damage_refusals_open_express(excellent, merchant, merchant_user, reason):
    refund = refused(excellent, merchant, merchant_user, reason=reason)
    claim(excellent, refund)
    refund.refresh_from_db()
    assert (refund.due_at, refund.due_action) == (None, DueAction.NONE)  # the refusal clock stops
    [evidence] = RefundEvidence.objects.filter(refund=refund)
    assert (evidence.purpose, evidence.uploaded_by) == ("express_claim", excellent.user)
    [log] = logs(refund, "express_claim")
    assert log.by == excellent.user


@pytest.mark.parametrize("reason", ["not_as_described", "not_received", "counterfeit", "missing_parts", "other"])
def test_other_reasons_do_not_open_express(excellent, merchant, merchant_user, reason):
    refund = refused(excellent, merchant, merchant_user, reason=reason)
    with pytest.raises(RefundNotAllowed) as caught:
        claim(excellent, refund)
    assert caught.value.code == "express_reason"
    assert (ExpressClaim.objects.count(), RefundEvidence.objects.count()) == (0, 0)


def test_no_express_before_a_refusal(excellent, merchant):
    refund = apply_at(T0, buyer=excellent, item=signed_item(excellent, merchant), refund_type="refund_only")
    with pytest.raises(InvalidTransition) as caught:
        claim(excellent, refund)
    assert caught.value.code == "express_not_available"


def test_no_express_after_a_refusal_of_the_goods(excellent, merchant, merchant_user):
    refund = apply_at(T0, buyer=excellent, item=signed_item(excellent, merchant))
    call_at(T0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(
        T0 + timedelta(hours=2),
        refund_ship_return,
        actor=excellent.user,
        refund_id=refund.pk,
        carrier="SF",
        waybill="1",
    )
    call_at(T0 + timedelta(days=2), refund_refuse_goods, actor=merchant_user, refund_id=refund.pk, reason="Worn")
    with pytest.raises(InvalidTransition) as caught:
        claim(excellent, refund, at=T0 + timedelta(days=3))
    assert caught.value.code == "express_not_available"


def test_photos_and_a_description_are_required(excellent, merchant, merchant_user):
    refund = refused(excellent, merchant, merchant_user)
    with pytest.raises(ValidationFailed) as caught:
        claim(excellent, refund, files=[])
    assert caught.value.code == "photos_required"
    with pytest.raises(ValidationFailed) as caught:
        claim(excellent, refund, description="  ")
    assert caught.value.code == "description_required"
    text = SimpleUploadedFile("leg.jpg", b"just words, no picture\n" * 5, content_type="image/jpeg")
    with pytest.raises(ValidationFailed) as caught:
        claim(excellent, refund, files=[text])
    assert caught.value.code == "evidence_type_refused"
    assert (ExpressClaim.objects.count(), RefundEvidence.objects.count()) == (0, 0)


def test_only_the_buyer_of_the_refund_may_claim(excellent, other_buyer, merchant, merchant_user):
    refund = refused(excellent, merchant, merchant_user)
    other_buyer.credit_rating = CreditRating.OUTSTANDING
    other_buyer.save()
    with pytest.raises(NotFound):
        claim(other_buyer, refund)


def test_express_within_the_after_sales_window(excellent, merchant, merchant_user):
    succeeded = bj(2026, 3, 20, 10, 0)
    item = signed_item(
        excellent, merchant, signed_at=bj(2026, 3, 18, 10, 0), status=OrderStatus.SUCCEEDED, succeeded_at=succeeded
    )
    refund = refused(excellent, merchant, merchant_user, item=item)
    with pytest.raises(RefundNotAllowed) as caught:
        claim(excellent, refund, at=bj(2026, 4, 4, 10, 0, 1))  # succeeded + 15 days + 1 s
    assert caught.value.code == "after_sales_window_passed"
    assert claim(excellent, refund, at=bj(2026, 4, 4, 10, 0)).pk


def test_a_pending_claim_holds_the_refusal_and_blocks_duplicates_and_changes(excellent, merchant, merchant_user):
    refund = refused(excellent, merchant, merchant_user)
    claim(excellent, refund)
    assert refund_sweep(now=REFUSED + timedelta(days=30)).total == 0
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED
    with pytest.raises(DomainError) as caught:
        claim(excellent, refund, at=CLAIMED + timedelta(hours=1))
    assert caught.value.code == "express_claim_pending"
    with pytest.raises(InvalidTransition) as caught:
        call_at(CLAIMED, refund_modify, actor=excellent.user, refund_id=refund.pk, amount_fen=10_000)
    assert caught.value.code == "express_claim_pending"
    assert ExpressClaim.objects.count() == 1


# --- staff verification ---------------------------------------------------------------------------------


def test_an_agent_cannot_verify(excellent, merchant, merchant_user, agent):
    refund = refused(excellent, merchant, merchant_user)
    express = claim(excellent, refund)
    with pytest.raises(Forbidden):
        call_at(DECIDED, refund_express_decide, actor=agent, claim_id=express.pk, verified=True, reason="looks bad")
    express.refresh_from_db()
    assert express.status == ExpressStatus.PENDING


def test_verified_claim_agrees_the_return_on_the_merchants_behalf(excellent, merchant, merchant_user, senior):
    refund = verified(excellent, merchant, merchant_user, senior)
    assert refund.state == RefundState.WAIT_BUYER_RETURN
    assert refund.refund_type == RefundType.RETURN_AND_REFUND  # refund only becomes a return
    assert (refund.agreed_on_behalf, refund.express, refund.agreed_at) == (True, True, DECIDED)
    assert refund.return_address == DEFAULT_RETURN_ADDRESS
    assert refund.advance_state == AdvanceState.APPLIED
    assert (refund.due_at, refund.due_action) == (bj(2026, 4, 9, 14, 0), DueAction.CLOSE_NOT_SHIPPED)
    express = ExpressClaim.objects.get()
    assert (express.status, express.decided_by, express.decided_at) == (ExpressStatus.VERIFIED, senior, DECIDED)
    [log] = logs(refund, "agree_on_behalf")
    assert log.by == senior and "Photo shows it" in log.description
    with pytest.raises(InvalidTransition) as caught:
        call_at(DECIDED, refund_express_decide, actor=senior, claim_id=express.pk, verified=False, reason="oops")
    assert caught.value.code == "express_claim_decided"


def test_a_return_request_stays_a_return(excellent, merchant, merchant_user, senior):
    refund = verified(excellent, merchant, merchant_user, senior, refund_type="return_refund")
    assert refund.refund_type == RefundType.RETURN_AND_REFUND


@pytest.mark.parametrize("quota", [0, 30_000])
def test_the_platform_advances_at_the_waybill_even_beyond_the_quota(excellent, merchant, merchant_user, senior, quota):
    excellent.instant_refund_quota_fen = quota
    excellent.save()
    refund = shipped(excellent, merchant, merchant_user, senior)
    assert (refund.state, refund.advance_state) == (RefundState.WAIT_SELLER_CONFIRM, AdvanceState.ADVANCED)
    entry = PlatformAdvanceEntry.objects.get()
    assert (entry.amount, entry.kind, entry.occurred_at) == (50_000, EntryKind.ADVANCE, SHIPPED)
    assert advances(excellent) == 50_000
    assert account(merchant) == 0


@pytest.mark.parametrize("refund_type", [RefundType.EXCHANGE, RefundType.REPAIR])
def test_an_express_exchange_or_repair_ships_back_with_no_advance(
    excellent, merchant, merchant_user, senior, refund_type
):
    # Nothing is refunded on an exchange or a repair, so the platform has nothing to advance: the buyer ships the
    # goods back as for any exchange or repair.
    refund = apply_at(
        T0, buyer=excellent, item=signed_item(excellent, merchant), refund_type=refund_type, amount_fen=None
    )
    call_at(REFUSED, refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="No defect visible")
    express = claim(excellent, refund)
    call_at(DECIDED, refund_express_decide, actor=senior, claim_id=express.pk, verified=True, reason="Photo shows it")
    call_at(SHIPPED, refund_ship_return, actor=excellent.user, refund_id=refund.pk, carrier="SF", waybill="SF777")
    refund.refresh_from_db()
    assert (refund.refund_type, refund.state) == (refund_type, RefundState.WAIT_SELLER_CONFIRM)
    assert refund.advance_state == AdvanceState.NONE
    assert PlatformAdvanceEntry.objects.count() == 0


def test_merchant_confirming_recovers_the_advance(excellent, merchant, merchant_user, senior):
    refund = shipped(excellent, merchant, merchant_user, senior)
    confirmed = bj(2026, 4, 5, 10, 0)
    call_at(confirmed, refund_confirm_goods, actor=merchant_user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state, refund.succeeded_at) == (
        RefundState.SUCCESS,
        AdvanceState.SETTLED,
        confirmed,
    )
    assert (advances(excellent), account(merchant)) == (0, -50_000)


def test_merchant_refusing_the_goods_opens_a_priority_intervention(excellent, merchant, merchant_user, senior):
    # An ordinary case asked for earlier waits behind the express one.
    other_buyer = f.BuyerFactory()
    ordinary = refused(other_buyer, merchant, merchant_user)
    ordinary_case = call_at(
        REFUSED, refund_request_intervention, actor=other_buyer.user, refund_id=ordinary.pk, reason="Please look"
    )
    refund = shipped(excellent, merchant, merchant_user, senior)
    refused_at = bj(2026, 4, 5, 10, 0)
    call_at(refused_at, refund_refuse_goods, actor=merchant_user, refund_id=refund.pk, reason="Leg cut on purpose")
    refund.refresh_from_db()
    assert (refund.state, refund.refused_goods) == (RefundState.SELLER_REFUSED, True)
    assert refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS
    assert (refund.due_at, refund.intervention_requested_at) == (None, refused_at)
    case = Intervention.objects.get(refund=refund)
    assert (case.applicant, case.ground, case.express, case.priority, case.applied_at) == (
        "merchant",
        "goods_refused",
        True,
        2,
        refused_at,
    )
    assert case.claim == "Express case: merchant refused the goods: Leg cut on purpose"
    assert [log.by for log in StateLog.objects.for_(case).filter(transition="open")] == [merchant_user]
    [requested] = logs(refund, "request_intervention")
    assert (requested.by, requested.description) == (
        merchant_user,
        f"IV-{case.pk} opened: Express case: merchant refused the goods: Leg cut on purpose",
    )
    # The express case jumps ahead of the ordinary one asked for earlier.
    assert (ordinary_case.priority, ordinary_case.applicant) == (0, "buyer")
    assert [c.pk for c in intervention_queue()] == [case.pk, ordinary_case.pk]
    assert refund_sweep(now=refused_at + timedelta(days=30)).total == 0
    assert advances(excellent) == 50_000


def test_rejected_claim_restarts_the_refusal_clock(excellent, merchant, merchant_user, senior):
    refund = refused(excellent, merchant, merchant_user)
    express = claim(excellent, refund)
    rejected = bj(2026, 4, 3, 9, 0)
    call_at(rejected, refund_express_decide, actor=senior, claim_id=express.pk, verified=False, reason="Wear and tear")
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED
    due = bj(2026, 4, 10, 9, 0)  # 7 days from the rejection
    assert (refund.due_at, refund.due_action) == (due, DueAction.CLOSE_REFUSED)
    express.refresh_from_db()
    assert (express.status, express.decision_reason) == (ExpressStatus.REJECTED, "Wear and tear")
    [log] = logs(refund, "express_rejected")
    assert log.by == senior
    for early in (due - timedelta(seconds=1), due):
        assert refund_sweep(now=early).total == 0
    assert refund_sweep(now=due + timedelta(seconds=1)).closed == 1
    refund.refresh_from_db()
    assert (refund.state, refund.closed_at) == (RefundState.CLOSED, due)
    assert StateLog.objects.filter(transition="timeout_close_refused").count() == 1


def test_after_a_rejection_the_buyer_may_claim_again_or_modify(excellent, merchant, merchant_user, senior):
    refund = refused(excellent, merchant, merchant_user)
    first = claim(excellent, refund)
    call_at(DECIDED, refund_express_decide, actor=senior, claim_id=first.pk, verified=False, reason="Unclear photo")
    second = claim(excellent, refund, at=DECIDED + timedelta(hours=1))
    assert second.status == ExpressStatus.PENDING
    assert ExpressClaim.objects.count() == 2
