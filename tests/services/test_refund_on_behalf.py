"""Staff acting on a party's behalf (代操作): allowed with the act_on_behalf permission and a recorded reason,
refused without either; the parties themselves act only on their own requests."""

from datetime import timedelta

import pytest

from disputes.errors import NotFound, ValidationFailed
from disputes.models import MerchantAccountEntry, RefundState
from disputes.services.refunds.buyer import refund_cancel, refund_ship_return
from disputes.services.refunds.merchant import refund_agree, refund_confirm_goods, refund_refuse
from tests import factories as f
from tests.services.refund_helpers import (
    T0,
    account,
    apply_at,
    call_at,
    logs,
    refund_env,  # noqa: F401  (fixture)
    refused_apply,
    signed_item,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]

LATER = T0 + timedelta(hours=3)
WHY = "Merchant confirmed by phone, ticket 8841"


def test_agent_agrees_for_the_merchant_with_a_reason(buyer, merchant, agent):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only")
    call_at(LATER, refund_agree, actor=agent, refund_id=refund.pk, on_behalf_reason=WHY)
    refund.refresh_from_db()
    assert (refund.state, refund.succeeded_at) == (RefundState.SUCCESS, LATER)
    [log] = logs(refund, "agree_refund")
    assert log.by == agent
    assert log.description == f"Refund agreed (by staff on the merchant's behalf: {WHY})"
    charge = MerchantAccountEntry.objects.get()
    assert (charge.amount, charge.created_by) == (-50_000, agent)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_acting_for_the_merchant_without_a_reason_is_refused(buyer, merchant, agent, reason):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only")
    with pytest.raises(ValidationFailed) as caught:
        call_at(LATER, refund_agree, actor=agent, refund_id=refund.pk, on_behalf_reason=reason)
    assert caught.value.code == "on_behalf_reason_required"
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE
    assert [log.transition for log in logs(refund)] == ["apply"]
    assert account(merchant) == 0


def test_agent_agrees_a_return_with_the_address_given(buyer, merchant, agent):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    call_at(
        LATER, refund_agree, actor=agent, refund_id=refund.pk, return_address="杭州仓 李四 0571-1", on_behalf_reason=WHY
    )
    refund.refresh_from_db()
    assert (refund.state, refund.return_address) == (RefundState.WAIT_BUYER_RETURN, "杭州仓 李四 0571-1")
    assert refund.agreed_on_behalf is False  # the merchant's own decision, relayed by staff
    [log] = logs(refund, "agree_return")
    assert log.by == agent and WHY in log.description


def test_agent_refuses_and_confirms_goods_for_the_merchant(buyer, merchant, merchant_user, agent):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only")
    call_at(LATER, refund_refuse, actor=agent, refund_id=refund.pk, reason="Used", on_behalf_reason=WHY)
    [log] = logs(refund, "refuse")
    assert log.by == agent and log.description == f"Refused (by staff on the merchant's behalf: {WHY}): Used"

    other = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    call_at(LATER, refund_agree, actor=merchant_user, refund_id=other.pk)
    call_at(LATER, refund_ship_return, actor=buyer.user, refund_id=other.pk, carrier="SF", waybill="7")
    call_at(LATER + timedelta(days=1), refund_confirm_goods, actor=agent, refund_id=other.pk, on_behalf_reason=WHY)
    other.refresh_from_db()
    assert other.state == RefundState.SUCCESS
    assert account(merchant) == -50_000


def test_agent_cancels_for_the_buyer_with_a_reason(buyer, merchant, agent):
    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item)
    with pytest.raises(ValidationFailed) as caught:
        call_at(LATER, refund_cancel, actor=agent, refund_id=refund.pk)
    assert caught.value.code == "on_behalf_reason_required"
    call_at(LATER, refund_cancel, actor=agent, refund_id=refund.pk, on_behalf_reason="Buyer asked on the hotline")
    refund.refresh_from_db()
    assert (refund.state, refund.closed_at, refund.cancelled_by_buyer) == (RefundState.CLOSED, LATER, True)
    [log] = logs(refund, "cancel")
    assert log.by == agent
    assert log.description == "Cancelled by the buyer (by staff on the buyer's behalf: Buyer asked on the hotline)"
    # A cancellation is a cancellation, whoever keyed it in: the item cannot be reopened.
    refused_apply("reopen_refused", LATER + timedelta(hours=1), buyer=buyer, item=item)


def test_agent_ships_the_return_for_the_buyer(buyer, merchant, merchant_user, agent):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    call_at(LATER, refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(
        LATER, refund_ship_return, actor=agent, refund_id=refund.pk, carrier="SF", waybill="SF5", on_behalf_reason=WHY
    )
    refund.refresh_from_db()
    assert (refund.state, refund.return_waybill) == (RefundState.WAIT_SELLER_CONFIRM, "SF5")
    [log] = logs(refund, "ship_return")
    assert log.by == agent and WHY in log.description


def test_staff_without_the_permission_and_strangers_are_not_let_in(buyer, other_buyer, merchant, other_merchant_user):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only")
    bare_staff = f.StaffFactory(username="no-role")  # is_staff, but in no group
    for actor in (bare_staff, other_merchant_user, buyer.user):
        with pytest.raises(NotFound):
            call_at(LATER, refund_agree, actor=actor, refund_id=refund.pk, on_behalf_reason=WHY)
    for actor in (bare_staff, other_buyer.user, other_merchant_user):
        with pytest.raises(NotFound):
            call_at(LATER, refund_cancel, actor=actor, refund_id=refund.pk, on_behalf_reason=WHY)
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE
    assert account(merchant) == 0


def test_the_merchant_cannot_cancel_for_the_buyer(buyer, merchant, merchant_user):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    with pytest.raises(NotFound):
        call_at(LATER, refund_cancel, actor=merchant_user, refund_id=refund.pk, on_behalf_reason=WHY)


def test_a_supervisor_may_act_on_behalf_too(buyer, merchant, supervisor):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only")
    call_at(LATER, refund_agree, actor=supervisor, refund_id=refund.pk, on_behalf_reason=WHY)
    assert logs(refund, "agree_refund")[0].by == supervisor
