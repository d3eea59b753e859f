"""Opening a platform intervention case (RULES.md section 4): who may open on what, staff filing on a party's
behalf, virtual goods, one open case per item, express priority, the refund's clock, and the staff queue."""

from datetime import timedelta

import pytest
from django_fsm_log.models import StateLog

from disputes.errors import DomainError, Forbidden, NotFound, ValidationFailed
from disputes.models import (
    CaseState,
    DueAction,
    EvidenceItem,
    Intervention,
    RefundState,
)
from disputes.services.interventions.common import InterventionNotAllowed
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.sweep import intervention_queue
from disputes.services.interventions.workflow import intervention_accept, intervention_escalate, intervention_withdraw
from disputes.services.refunds.sweep import refund_sweep
from tests import factories as f
from tests.services.helpers import event_types
from tests.services.refund_helpers import apply_at, signed_item
from tests.services.test_intervention_helpers import (
    ASKED,
    T0,
    accepted_case,
    at,
    case_logs,
    express_goods_refused_refund,
    goods_refused_refund,
    judged,
    open_case,
    png_upload,
    refused_refund,
)

pytestmark = pytest.mark.django_db


def refused_open(code, error_type=DomainError, **kwargs):
    """Open, expect the refusal `code`, and check that nothing was stored."""
    before = (Intervention.objects.count(), StateLog.objects.count(), EvidenceItem.objects.count())
    with pytest.raises(error_type) as caught:
        intervention_open(**kwargs)
    assert caught.value.code == code, caught.value.message
    assert (Intervention.objects.count(), StateLog.objects.count(), EvidenceItem.objects.count()) == before
    return caught.value


# --- the buyer -------------------------------------------------------------------------------------


def test_buyer_opens_after_a_refused_refund(buyer, merchant, merchant_user, django_capture_on_commit_callbacks):
    refund = refused_refund(buyer, merchant, merchant_user)
    moment = T0 + timedelta(hours=5)
    with at(moment), django_capture_on_commit_callbacks():
        case = intervention_open(
            actor=buyer.user,
            ground="quality",
            claim="  Cracked on day one.  ",
            refund_id=refund.pk,
            files=[png_upload()],
        )

    case.refresh_from_db()
    assert case.state == CaseState.APPLIED
    assert (case.applicant, case.channel, case.tier, case.express, case.priority) == (
        "buyer",
        "order_page",
        "agent",
        False,
        0,
    )
    assert (case.refund_id, case.order_item_id, case.buyer_id, case.merchant_id) == (
        refund.pk,
        refund.order_item_id,
        buyer.pk,
        merchant.pk,
    )
    assert case.ground == "quality"
    assert case.claim == "Cracked on day one."
    assert case.applied_at == moment
    assert case.accepted_at is None and case.decision_due_at is None and case.evidence_due_at is None
    [log] = case_logs(case)
    assert (log.transition, log.source_state, log.state, log.by) == ("open", None, "applied", buyer.user)
    [item] = EvidenceItem.objects.filter(intervention=case)
    assert (item.party, item.submitted_by, item.original_name, item.content_type) == (
        "buyer",
        buyer.user,
        "crack.png",
        "image/png",
    )
    assert event_types(case) == ["intervention.opened"]


def test_the_refunds_automatic_close_stops_while_the_case_is_open(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user)
    # Refused at T0+1h: without intervention the request closes 7 days later.
    assert (refund.due_at, refund.due_action) == (T0 + timedelta(hours=1, days=7), DueAction.CLOSE_REFUSED)

    open_case(buyer, refund, moment=T0 + timedelta(days=1))

    refund.refresh_from_db()
    assert (refund.due_at, refund.due_action) == (None, "")
    assert refund.intervention_requested_at == T0 + timedelta(days=1)
    refund_sweep(now=T0 + timedelta(days=30))
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED


def test_buyer_opens_on_a_listed_ground_without_a_refund(buyer, merchant):
    item = signed_item(buyer, merchant)
    with at(T0):
        case = intervention_open(
            actor=buyer.user, ground="logistics_lost", claim="The parcel never arrived.", order_item_id=item.pk
        )
    assert (case.refund_id, case.order_item_id, case.applicant, case.ground) == (
        None,
        item.pk,
        "buyer",
        "logistics_lost",
    )


def test_buyer_cannot_claim_goods_refused_without_a_refusal_of_goods(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user)
    error = refused_open("ground_mismatch", actor=buyer.user, ground="goods_refused", claim="x", refund_id=refund.pk)
    assert isinstance(error, InterventionNotAllowed) and error.status == 422


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"ground": "unhappy", "claim": "x"}, "invalid_ground"),
        ({"ground": "quality", "claim": "   "}, "claim_required"),
        ({"ground": "quality", "claim": "x" * 4001}, "claim_too_long"),
        ({"ground": "quality", "claim": "x", "use_item": False}, "subject_required"),
    ],
)
def test_bad_input_is_refused(buyer, merchant, kwargs, code):
    item = signed_item(buyer, merchant)
    use_item = kwargs.pop("use_item", True)
    subject = {"order_item_id": item.pk} if use_item else {}
    error = refused_open(code, actor=buyer.user, **kwargs, **subject)
    assert isinstance(error, ValidationFailed)


def test_a_refund_the_merchant_has_not_refused_is_refused(buyer, merchant):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only", amount_fen=ASKED)
    assert refund.state == RefundState.WAIT_SELLER_AGREE
    with at(T0 + timedelta(hours=1)):
        error = refused_open("refund_not_refused", actor=buyer.user, ground="quality", claim="x", refund_id=refund.pk)
    assert error.status == 422


def test_another_buyers_refund_does_not_exist_for_the_caller(buyer, other_buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user)
    # Someone else's refund and a missing one look the same: no way to probe which ids exist.
    for refund_id in (refund.pk, refund.pk + 1000):
        error = refused_open(
            "refund_not_found", NotFound, actor=other_buyer.user, ground="quality", claim="x", refund_id=refund_id
        )
        assert error.status == 404
    item = signed_item(buyer, merchant)
    refused_open(
        "order_item_not_found", NotFound, actor=other_buyer.user, ground="quality", claim="x", order_item_id=item.pk
    )


def test_a_second_open_case_on_the_item_is_refused(buyer, merchant, merchant_user, agent):
    refund = refused_refund(buyer, merchant, merchant_user)
    case = open_case(buyer, refund, moment=T0 + timedelta(hours=2))
    with at(T0 + timedelta(hours=3)):
        refused_open("intervention_exists", actor=buyer.user, ground="quality", claim="x", refund_id=refund.pk)
        refused_open(
            "intervention_exists", actor=buyer.user, ground="quality", claim="x", order_item_id=refund.order_item_id
        )
    # Still refused once judged: the appeal window keeps the case alive.
    with at(T0 + timedelta(hours=4)):
        intervention_accept(actor=agent, case_id=case.pk)
    judged(case, agent, moment=T0 + timedelta(hours=5), outcome="support_merchant")
    with at(T0 + timedelta(hours=6)):
        refused_open(
            "intervention_exists", actor=buyer.user, ground="quality", claim="x", order_item_id=refund.order_item_id
        )


def test_a_withdrawn_case_does_not_block_a_new_one(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user)
    first = open_case(buyer, refund, moment=T0 + timedelta(hours=2))
    with at(T0 + timedelta(hours=3)):
        intervention_withdraw(actor=buyer.user, case_id=first.pk, reason="Talking to the shop")
    second = open_case(buyer, refund, moment=T0 + timedelta(hours=4))
    assert second.pk != first.pk and second.state == CaseState.APPLIED


# --- virtual goods ---------------------------------------------------------------------------------


@pytest.fixture
def virtual_refund(buyer, merchant, merchant_user):
    """A refused refund on virtual goods, applied at T0 (refused at T0+1h)."""
    product = f.ProductFactory(merchant=merchant, is_virtual=True, title="Game top-up")
    item = signed_item(buyer, merchant, product=product)
    return refused_refund(buyer, merchant, merchant_user, item=item)


def test_virtual_goods_wait_3_days_after_the_refund_request(buyer, virtual_refund):
    with at(T0 + timedelta(days=3) - timedelta(seconds=1)):
        error = refused_open(
            "virtual_goods_wait", actor=buyer.user, ground="quality", claim="x", refund_id=virtual_refund.pk
        )
    assert error.status == 422
    case = open_case(buyer, virtual_refund, moment=T0 + timedelta(days=3))
    assert case.state == CaseState.APPLIED


def test_virtual_goods_need_a_refund_request_first(buyer, virtual_refund):
    with at(T0 + timedelta(days=10)):
        refused_open(
            "virtual_goods_wait",
            actor=buyer.user,
            ground="quality",
            claim="x",
            order_item_id=virtual_refund.order_item_id,
        )


# --- the merchant ----------------------------------------------------------------------------------


def test_merchant_opens_after_refusing_the_returned_goods(buyer, merchant, merchant_user):
    refund = goods_refused_refund(buyer, merchant, merchant_user)
    assert refund.refused_goods
    with at(T0 + timedelta(days=3)):
        case = intervention_open(
            actor=merchant_user, ground="goods_refused", claim="The returned item is damaged.", refund_id=refund.pk
        )
    assert (case.applicant, case.ground, case.channel, case.buyer_id, case.merchant_id) == (
        "merchant",
        "goods_refused",
        "order_page",
        buyer.pk,
        merchant.pk,
    )
    [log] = case_logs(case)
    assert log.by == merchant_user


def test_merchant_needs_the_goods_refused_ground(buyer, merchant, merchant_user):
    refund = goods_refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(days=3)):
        refused_open("merchant_ground", actor=merchant_user, ground="quality", claim="x", refund_id=refund.pk)


def test_merchant_cannot_open_after_refusing_only_the_request(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(hours=2)):
        refused_open("merchant_ground", actor=merchant_user, ground="goods_refused", claim="x", refund_id=refund.pk)
        refused_open(
            "merchant_ground",
            actor=merchant_user,
            ground="goods_refused",
            claim="x",
            order_item_id=refund.order_item_id,
        )


def test_another_merchant_cannot_open_on_the_refund(buyer, merchant, merchant_user, other_merchant_user):
    refund = goods_refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(days=3)):
        refused_open(
            "refund_not_found",
            NotFound,
            actor=other_merchant_user,
            ground="goods_refused",
            claim="x",
            refund_id=refund.pk,
        )


# --- staff filing on a party's behalf -------------------------------------------------------------


@pytest.mark.parametrize("channel", ["phone", "online_chat"])
def test_staff_file_from_phone_or_chat_on_the_buyers_behalf(buyer, merchant, merchant_user, agent, channel):
    refund = refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(hours=2)):
        case = intervention_open(
            actor=agent,
            ground="quality",
            claim="Buyer called: broken.",
            refund_id=refund.pk,
            channel=channel,
            on_behalf_of="buyer",
            files=[png_upload()],
        )
    assert (case.applicant, case.channel, case.tier, case.priority) == ("buyer", channel, "agent", 0)
    [log] = case_logs(case)
    assert log.by == agent
    assert "filed by staff" in log.description
    [item] = case.evidence.all()
    # The buyer's evidence, handed in through the agent.
    assert (item.party, item.submitted_by) == ("buyer", agent)


def test_staff_file_for_the_merchant_on_the_same_rules(buyer, merchant, merchant_user, agent):
    refund = goods_refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(days=3)):
        case = intervention_open(
            actor=agent,
            ground="goods_refused",
            claim="Merchant called.",
            refund_id=refund.pk,
            channel="phone",
            on_behalf_of="merchant",
        )
        assert case.applicant == "merchant"
    plain = refused_refund(buyer, merchant, merchant_user, item=signed_item(buyer, merchant))
    with at(T0 + timedelta(days=3)):
        refused_open(
            "merchant_ground",
            actor=agent,
            ground="goods_refused",
            claim="x",
            refund_id=plain.pk,
            channel="phone",
            on_behalf_of="merchant",
        )


def test_the_senior_channel_puts_the_case_in_the_senior_tier(buyer, merchant, merchant_user, senior):
    refund = refused_refund(buyer, merchant, merchant_user)
    with at(T0 + timedelta(hours=2)):
        case = intervention_open(
            actor=senior,
            ground="quality",
            claim="Escalated.",
            refund_id=refund.pk,
            channel="senior",
            on_behalf_of="buyer",
        )
    assert (case.tier, case.priority, case.channel) == ("senior", 1, "senior")


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"channel": "phone"}, "on_behalf_required"),
        ({"channel": "phone", "on_behalf_of": "staff"}, "on_behalf_required"),
        ({"on_behalf_of": "buyer"}, "invalid_channel"),
        ({"channel": "order_page", "on_behalf_of": "buyer"}, "invalid_channel"),
    ],
)
def test_staff_filing_needs_a_party_and_a_staff_channel(buyer, merchant, merchant_user, agent, extra, code):
    refund = refused_refund(buyer, merchant, merchant_user)
    refused_open(code, ValidationFailed, actor=agent, ground="quality", claim="x", refund_id=refund.pk, **extra)


def test_staff_without_the_intervention_permission_cannot_file(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user)
    clerk = f.StaffFactory(username="clerk")
    refused_open(
        "staff_permission_required",
        Forbidden,
        actor=clerk,
        ground="quality",
        claim="x",
        refund_id=refund.pk,
        channel="phone",
        on_behalf_of="buyer",
    )


# --- express cases and the queue ------------------------------------------------------------------


def test_an_express_refusal_of_the_goods_opens_the_merchants_case_with_priority_2(
    buyer, merchant, merchant_user, senior
):
    refund = express_goods_refused_refund(buyer, merchant, merchant_user, senior)
    assert refund.express and refund.refused_goods
    # The merchant refused the goods at T0 + 2 days: that opened the case at once, as the merchant's.
    [case] = Intervention.objects.filter(refund=refund)
    assert (case.state, case.applicant, case.channel, case.ground) == (
        CaseState.APPLIED,
        "merchant",
        "order_page",
        "goods_refused",
    )
    assert (case.express, case.priority, case.applied_at) == (True, 2, T0 + timedelta(days=2))
    assert case.claim == "Express case: merchant refused the goods: Different serial number."
    [log] = case_logs(case)
    assert (log.transition, log.by) == ("open", merchant_user)
    # The buyer cannot open a second case beside it.
    refused_open("intervention_exists", actor=buyer.user, ground="quality", claim="Broken", refund_id=refund.pk)


def test_the_queue_puts_express_first_then_senior_then_the_decision_deadline(
    buyer, merchant, merchant_user, agent, senior
):
    # Two agent-tier cases: the one accepted first is due first.
    early = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=T0 + timedelta(days=2))
    late = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=T0 + timedelta(days=3))
    # A new agent-tier case, not accepted yet: no deadline, so after the accepted ones.
    fresh = open_case(
        buyer,
        refused_refund(buyer, merchant, merchant_user, start=T0 + timedelta(days=4)),
        moment=T0 + timedelta(days=5),
    )
    # A 小二 case accepted last, and an express case the refusal of the goods opened on day 6: both jump ahead.
    senior_case = accepted_case(buyer, merchant, merchant_user, senior, accepted_at=T0 + timedelta(days=6))
    with at(T0 + timedelta(days=6, hours=1)):
        intervention_escalate(actor=senior, case_id=senior_case.pk, reason="Repeat complaint")
    express_refund = express_goods_refused_refund(buyer, merchant, merchant_user, senior, start=T0 + timedelta(days=4))
    express = Intervention.objects.get(refund=express_refund)
    # Closed cases are not in the queue.
    closed = open_case(
        buyer,
        refused_refund(buyer, merchant, merchant_user, start=T0 + timedelta(days=4)),
        moment=T0 + timedelta(days=5),
    )
    with at(T0 + timedelta(days=5, hours=1)):
        intervention_withdraw(actor=buyer.user, case_id=closed.pk)

    assert [c.pk for c in intervention_queue()] == [express.pk, senior_case.pk, early.pk, late.pk, fresh.pk]
