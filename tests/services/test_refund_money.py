"""What refunds move on the ledgers, each exactly once (RULES.md sections 2 and 7): the refund charge, the
return shipping cover, the damage-guarantee penalty and the instant-refund advance with its recovery,
repayment and revocation."""

from datetime import timedelta

import pytest
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes.errors import Forbidden, InvalidTransition, RuleRefused
from disputes.models import (
    AdvanceState,
    BuyerPointsEntry,
    EntryKind,
    MerchantAccountEntry,
    PlatformAdvanceEntry,
    RefundRequest,
    RefundState,
)
from disputes.policies import PolicySnapshot
from disputes.services.refunds.advances import refund_advance_repaid, refund_uphold_goods_refusal
from disputes.services.refunds.buyer import refund_cancel, refund_modify, refund_ship_return
from disputes.services.refunds.common import RefundNotAllowed
from disputes.services.refunds.merchant import (
    refund_agree,
    refund_confirm_goods,
    refund_refuse,
    refund_refuse_goods,
    refund_reship,
)
from disputes.services.refunds.money import RefundRow, refund_paid, shipping_cover_paid
from disputes.services.refunds.sweep import refund_sweep
from tests.services.helpers import bj, event_types
from tests.services.refund_helpers import (
    COVER,
    DAMAGE,
    T0,
    account,
    advances,
    apply_at,
    call_at,
    points,
    refund_env,  # noqa: F401  (fixture)
    signed_item,
    system_log,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]

AGREED = bj(2026, 4, 1, 11, 0)
SHIPPED = bj(2026, 4, 1, 12, 0)
CONFIRMED = bj(2026, 4, 3, 12, 0)
ONE_SECOND = timedelta(seconds=1)


def repayment_notices(refund) -> int:
    """How many times the buyer was told to repay the advance on `refund` (its advance_repayment_due events)."""
    return event_types(refund).count("refund.advance_repayment_due")


def shipped_return(buyer, merchant, merchant_user, *, item=None, amount_fen=50_000, **kwargs):
    item = item or signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, amount_fen=amount_fen, **kwargs)
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(SHIPPED, refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF100")
    refund.refresh_from_db()
    return refund


# --- the refund charge ----------------------------------------------------------------------------------


def test_merchant_agreeing_charges_the_refund_once(buyer, merchant, merchant_user):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only")
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=refund.pk)
    with pytest.raises(InvalidTransition):  # a retried call finds the request already paid
        call_at(AGREED + timedelta(seconds=5), refund_agree, actor=merchant_user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.state, refund.succeeded_at, refund.agreed_at) == (RefundState.SUCCESS, AGREED, AGREED)
    charge = MerchantAccountEntry.objects.get()
    assert (charge.amount, charge.kind, charge.idempotency_key) == (
        -50_000,
        EntryKind.REFUND,
        f"refund:{refund.pk}:refund",
    )
    assert (charge.occurred_at, charge.created_by, charge.source) == (AGREED, merchant_user, refund)
    # Posting the same refund again (a retry after a crash between commit and reply) adds nothing.
    policies = policy_table.load("refund.")
    assert refund_paid(RefundRow.of(refund), at=AGREED, actor=merchant_user, policies=policies).write() == (0, 0, 0)
    assert refund_sweep(now=T0 + timedelta(days=60)).total == 0
    assert account(merchant) == -50_000
    assert (points(buyer), advances(buyer)) == (0, 0)


def test_merchant_confirming_the_goods_charges_the_refund_once(buyer, merchant, merchant_user):
    refund = shipped_return(buyer, merchant, merchant_user)
    call_at(CONFIRMED, refund_confirm_goods, actor=merchant_user, refund_id=refund.pk)
    with pytest.raises(InvalidTransition):
        call_at(CONFIRMED, refund_confirm_goods, actor=merchant_user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.state, refund.goods_received_at, refund.succeeded_at) == (RefundState.SUCCESS, CONFIRMED, CONFIRMED)
    assert list(MerchantAccountEntry.objects.values_list("amount", "occurred_at")) == [(-50_000, CONFIRMED)]
    assert refund_sweep(now=T0 + timedelta(days=60)).total == 0
    assert account(merchant) == -50_000


def test_a_refusal_charges_nothing(buyer, merchant, merchant_user):
    refund = shipped_return(buyer, merchant, merchant_user)
    call_at(CONFIRMED, refund_refuse_goods, actor=merchant_user, refund_id=refund.pk, reason="Not our goods")
    assert refund_sweep(now=T0 + timedelta(days=60)).closed == 1
    assert account(merchant) == 0


def test_exchange_and_repair_move_no_money(buyer, merchant, merchant_user):
    refund = shipped_return(buyer, merchant, merchant_user, refund_type="repair", amount_fen=None)
    call_at(CONFIRMED, refund_confirm_goods, actor=merchant_user, refund_id=refund.pk)
    call_at(CONFIRMED + timedelta(days=1), refund_reship, actor=merchant_user, refund_id=refund.pk, waybill="SF9")
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCESS
    assert (MerchantAccountEntry.objects.count(), BuyerPointsEntry.objects.count()) == (0, 0)


# --- return shipping cover (退货包运费) --------------------------------------------------------------------


def test_shipping_cover_credits_1000_points_once_when_the_return_ships(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, services=COVER)
    refund = apply_at(T0, buyer=buyer, item=item, reason="no_reason")
    assert refund.shipping_cover is True
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=refund.pk)
    assert points(buyer) == 0  # not yet: the return has not shipped
    call_at(SHIPPED, refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF1")
    with pytest.raises(InvalidTransition):
        call_at(SHIPPED, refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF1")
    cover = BuyerPointsEntry.objects.get()
    assert (cover.amount, cover.kind, cover.occurred_at) == (1000, EntryKind.SHIPPING_COVER, SHIPPED)
    assert cover.idempotency_key == f"refund:{refund.pk}:shipping_cover"
    assert account(merchant) == 0  # the cover pays, not the merchant
    call_at(CONFIRMED, refund_confirm_goods, actor=merchant_user, refund_id=refund.pk)
    assert points(buyer) == 1000
    assert account(merchant) == -50_000


@pytest.mark.parametrize("reason", ["quality", "damaged", "not_as_described", "missing_parts"])
def test_no_shipping_cover_for_other_reasons(buyer, merchant, merchant_user, reason):
    item = signed_item(buyer, merchant, services=COVER)
    refund = shipped_return(buyer, merchant, merchant_user, item=item, reason=reason)
    assert refund.shipping_cover is False
    assert points(buyer) == 0


def test_no_shipping_cover_without_the_commitment(buyer, merchant, merchant_user):
    refund = shipped_return(buyer, merchant, merchant_user, reason="no_reason")
    assert refund.shipping_cover is False
    assert points(buyer) == 0


def test_changing_the_reason_away_from_no_reason_drops_the_cover(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, services=COVER)
    refund = apply_at(T0, buyer=buyer, item=item, reason="no_reason")
    call_at(AGREED, refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="Tags removed")
    call_at(AGREED + timedelta(hours=1), refund_modify, actor=buyer.user, refund_id=refund.pk, reason="quality")
    refund.refresh_from_db()
    assert (refund.reason, refund.shipping_cover) == ("quality", False)
    call_at(AGREED + timedelta(hours=2), refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(
        SHIPPED + timedelta(hours=2),
        refund_ship_return,
        actor=buyer.user,
        refund_id=refund.pk,
        carrier="SF",
        waybill="1",
    )
    assert points(buyer) == 0


def test_changing_the_reason_to_no_reason_follows_the_seven_day_rules(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, services=COVER, signed_at=bj(2026, 3, 31, 10, 0))
    refund = apply_at(T0, buyer=buyer, item=item, reason="quality")
    assert refund.shipping_cover is False
    call_at(AGREED, refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="No defect")
    # Signed 03-31: the 7 days end at 04-08 00:00.
    with pytest.raises(RefundNotAllowed) as caught:
        call_at(bj(2026, 4, 8, 0, 0), refund_modify, actor=buyer.user, refund_id=refund.pk, reason="no_reason")
    assert caught.value.code == "seven_day_window_passed"
    refund.refresh_from_db()
    assert (refund.state, refund.reason) == (RefundState.SELLER_REFUSED, "quality")
    call_at(bj(2026, 4, 7, 23, 59, 59), refund_modify, actor=buyer.user, refund_id=refund.pk, reason="no_reason")
    refund.refresh_from_db()
    assert (refund.reason, refund.shipping_cover) == ("no_reason", True)


# --- damage return guarantee (破损包退) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount_fen", "penalty"),
    [
        (1_000, 500),  # 10 元: 20 % is 2 元, the minimum is 5 元
        (2_500, 500),  # exactly 20 % = the minimum
        (2_505, 501),
        (10_000, 2_000),  # 100 元 → 20 元
        (25_000, 5_000),  # exactly 20 % = the cap
        (100_000, 5_000),  # 1,000 元: 200 元, capped at 50 元
    ],
)
def test_damage_penalty_20_percent_between_5_and_50_yuan(buyer, merchant, merchant_user, amount_fen, penalty):
    item = signed_item(buyer, merchant, services=DAMAGE, price_fen=100_000)
    refund = apply_at(
        T0,
        buyer=buyer,
        item=item,
        refund_type="refund_only",
        reason="damaged",
        amount_fen=amount_fen,
        damage_guarantee=True,
    )
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=refund.pk)
    assert points(buyer) == penalty
    assert account(merchant) == -(amount_fen + penalty)
    entry = BuyerPointsEntry.objects.get()
    assert (entry.kind, entry.idempotency_key, entry.occurred_at) == (
        EntryKind.DAMAGE_PENALTY,
        f"refund:{refund.pk}:damage_penalty",
        AGREED,
    )
    assert MerchantAccountEntry.objects.get(kind=EntryKind.DAMAGE_PENALTY).amount == -penalty
    assert refund_sweep(now=T0 + timedelta(days=30)).credits == 0
    assert points(buyer) == penalty


def test_damage_refund_only_paid_after_24_hours_of_silence_with_the_penalty(buyer, merchant):
    item = signed_item(buyer, merchant, services=DAMAGE)
    refund = apply_at(
        T0,
        buyer=buyer,
        item=item,
        refund_type="refund_only",
        reason="damaged",
        amount_fen=10_000,
        damage_guarantee=True,
    )
    due = bj(2026, 4, 2, 10, 0)
    for early in (due - ONE_SECOND, due):
        assert refund_sweep(now=early).total == 0
    result = refund_sweep(now=due + ONE_SECOND)
    assert (result.paid, result.credits) == (1, 2)  # the refund and the penalty charge
    assert refund_sweep(now=due + timedelta(days=1)).total == 0
    assert points(buyer) == 2_000
    assert account(merchant) == -12_000
    assert set(BuyerPointsEntry.objects.values_list("occurred_at", flat=True)) == {due}
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCESS
    system_log(refund, "timeout_pay")


def test_damage_return_agreed_after_24_hours_and_penalty_paid_on_receipt(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, services=DAMAGE)
    refund = apply_at(T0, buyer=buyer, item=item, reason="damaged", amount_fen=100_000, damage_guarantee=True)
    due = bj(2026, 4, 2, 10, 0)
    for early in (due - ONE_SECOND, due):
        assert refund_sweep(now=early).total == 0
    assert refund_sweep(now=due + ONE_SECOND).agreed == 1
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_BUYER_RETURN
    system_log(refund, "timeout_agree")
    assert points(buyer) == 0  # no penalty until the refund is paid
    call_at(
        due + timedelta(hours=1), refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="9"
    )
    call_at(due + timedelta(days=2), refund_confirm_goods, actor=merchant_user, refund_id=refund.pk)
    assert points(buyer) == 5_000
    assert account(merchant) == -105_000


def test_no_damage_penalty_without_the_guarantee_claim(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, services=DAMAGE)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="refund_only", reason="damaged", amount_fen=10_000)
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=refund.pk)
    assert (points(buyer), account(merchant)) == (0, -10_000)


def test_a_damage_claim_cannot_change_its_reason(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, services=DAMAGE)
    refund = apply_at(T0, buyer=buyer, item=item, reason="damaged", amount_fen=10_000, damage_guarantee=True)
    call_at(AGREED, refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="Packed well")
    with pytest.raises(RefundNotAllowed) as caught:
        call_at(AGREED, refund_modify, actor=buyer.user, refund_id=refund.pk, reason="quality")
    assert caught.value.code == "damage_reason_required"


# --- instant refund (极速退款) -----------------------------------------------------------------------------


def test_instant_refund_quota_defaults_by_rating():
    quotas = policy_table.load("refund.instant_quota.")
    # RULES.md: 300-1,200 元 by credit rating.
    assert {k: quotas.int(k) for k in quotas.values} == {
        "refund.instant_quota.ordinary": 30_000,
        "refund.instant_quota.good": 60_000,
        "refund.instant_quota.excellent": 90_000,
        "refund.instant_quota.outstanding": 120_000,
    }


@pytest.fixture
def quota_buyer(buyer):
    buyer.instant_refund_quota_fen = 90_000
    buyer.save()
    return buyer


@pytest.mark.parametrize(("amount_fen", "advanced"), [(50_000, True), (50_001, False)])
def test_advance_up_to_the_quota_net_of_outstanding_advances(
    quota_buyer, merchant, merchant_user, amount_fen, advanced
):
    buyer = quota_buyer
    first = shipped_return(buyer, merchant, merchant_user, amount_fen=40_000)
    assert first.advance_state == AdvanceState.ADVANCED
    assert advances(buyer) == 40_000
    second = shipped_return(buyer, merchant, merchant_user, amount_fen=amount_fen)
    if advanced:
        assert second.advance_state == AdvanceState.ADVANCED
        assert advances(buyer) == 90_000
        entry = PlatformAdvanceEntry.objects.get(source_id=second.pk)
        assert (entry.amount, entry.kind, entry.occurred_at, entry.merchant) == (
            50_000,
            EntryKind.ADVANCE,
            SHIPPED,
            merchant,
        )
    else:
        assert second.advance_state == AdvanceState.CLOSED
        assert advances(buyer) == 40_000
        [log] = [entry for entry in _advance_logs(second) if entry.transition == "close_advance"]
        assert "50001 fen is over the quota left (50000 fen)" in log.description
    # The request itself still waits for the merchant either way.
    assert second.state == RefundState.WAIT_SELLER_CONFIRM
    assert account(merchant) == 0


def _advance_logs(refund):
    return list(StateLog.objects.for_(refund).order_by("pk"))


def test_a_recovered_advance_frees_the_quota(quota_buyer, merchant, merchant_user):
    buyer = quota_buyer
    first = shipped_return(buyer, merchant, merchant_user, amount_fen=90_000)
    call_at(CONFIRMED, refund_confirm_goods, actor=merchant_user, refund_id=first.pk)
    assert advances(buyer) == 0
    second = shipped_return(buyer, merchant, merchant_user, amount_fen=90_000)
    assert second.advance_state == AdvanceState.ADVANCED


def test_merchant_confirming_recovers_the_advance_once(quota_buyer, merchant, merchant_user):
    buyer = quota_buyer
    refund = shipped_return(buyer, merchant, merchant_user)
    assert (refund.advance_state, refund.state) == (AdvanceState.ADVANCED, RefundState.WAIT_SELLER_CONFIRM)
    call_at(CONFIRMED, refund_confirm_goods, actor=merchant_user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state) == (RefundState.SUCCESS, AdvanceState.SETTLED)
    assert list(PlatformAdvanceEntry.objects.order_by("pk").values_list("kind", "amount", "occurred_at")) == [
        (EntryKind.ADVANCE, 50_000, SHIPPED),
        (EntryKind.ADVANCE_RECOVERY, -50_000, CONFIRMED),
    ]
    assert advances(buyer) == 0
    assert account(merchant) == -50_000
    assert refund_sweep(now=T0 + timedelta(days=60)).total == 0
    assert (advances(buyer), account(merchant)) == (0, -50_000)


def test_the_sweep_paying_an_advanced_refund_recovers_the_advance(quota_buyer, merchant, merchant_user):
    buyer = quota_buyer
    refund = shipped_return(buyer, merchant, merchant_user)
    due = bj(2026, 4, 11, 12, 0)
    result = refund_sweep(now=due + ONE_SECOND)
    assert (result.paid, result.credits) == (1, 1)
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state) == (RefundState.SUCCESS, AdvanceState.SETTLED)
    recovery = PlatformAdvanceEntry.objects.get(kind=EntryKind.ADVANCE_RECOVERY)
    assert (recovery.amount, recovery.occurred_at) == (-50_000, due)
    assert (advances(buyer), account(merchant)) == (0, -50_000)
    assert refund_sweep(now=due + timedelta(days=1)).total == 0
    assert PlatformAdvanceEntry.objects.count() == 2


def test_cancelled_before_shipping_closes_the_advance(quota_buyer, merchant, merchant_user):
    refund = apply_at(T0, buyer=quota_buyer, item=signed_item(quota_buyer, merchant))
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(SHIPPED, refund_cancel, actor=quota_buyer.user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state) == (RefundState.CLOSED, AdvanceState.CLOSED)
    assert PlatformAdvanceEntry.objects.count() == 0


# --- the merchant refuses the returned goods -----------------------------------------------------------------

REFUSED_GOODS = bj(2026, 4, 3, 12, 0)
UPHELD = bj(2026, 4, 5, 10, 0)
REPAY_DUE = bj(2026, 4, 12, 10, 0)


def refused_goods(buyer, merchant, merchant_user):
    refund = shipped_return(buyer, merchant, merchant_user)
    call_at(REFUSED_GOODS, refund_refuse_goods, actor=merchant_user, refund_id=refund.pk, reason="Returned used")
    refund.refresh_from_db()
    return refund


def upheld(buyer, merchant, merchant_user, senior):
    refund = refused_goods(buyer, merchant, merchant_user)
    call_at(UPHELD, refund_uphold_goods_refusal, actor=senior, refund_id=refund.pk, reason="Photos show wear")
    refund.refresh_from_db()
    return refund


def test_merchant_refusing_the_goods_leaves_the_advance_outstanding(quota_buyer, merchant, merchant_user):
    refund = refused_goods(quota_buyer, merchant, merchant_user)
    assert (refund.state, refund.refused_goods) == (RefundState.SELLER_REFUSED, True)
    assert refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS
    assert refund.due_at == bj(2026, 4, 10, 12, 0)
    assert (advances(quota_buyer), account(merchant)) == (50_000, 0)
    assert refund.repayment_due_at is None  # not owed yet: the buyer may still modify or escalate


def test_upholding_the_refusal_sends_a_repayment_notice_due_in_7_days(
    quota_buyer, merchant, merchant_user, senior, agent, django_capture_on_commit_callbacks
):
    refund = refused_goods(quota_buyer, merchant, merchant_user)
    with pytest.raises(Forbidden):
        call_at(UPHELD, refund_uphold_goods_refusal, actor=agent, refund_id=refund.pk, reason="agents may not")
    with django_capture_on_commit_callbacks():
        call_at(UPHELD, refund_uphold_goods_refusal, actor=senior, refund_id=refund.pk, reason="Photos show wear")
    assert repayment_notices(refund) == 1
    refund.refresh_from_db()
    assert (refund.state, refund.closed_at, refund.due_at) == (RefundState.CLOSED, UPHELD, None)
    assert (refund.repayment_notice_at, refund.repayment_due_at) == (UPHELD, REPAY_DUE)
    assert refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS
    with pytest.raises(InvalidTransition) as caught:
        call_at(UPHELD, refund_uphold_goods_refusal, actor=senior, refund_id=refund.pk, reason="again")
    assert caught.value.code == "not_goods_refusal"


def test_repaid_in_time_settles_the_advance(quota_buyer, merchant, merchant_user, senior, agent):
    refund = upheld(quota_buyer, merchant, merchant_user, senior)
    with pytest.raises(Forbidden):
        call_at(REPAY_DUE, refund_advance_repaid, actor=quota_buyer.user, refund_id=refund.pk)
    call_at(REPAY_DUE - timedelta(seconds=1), refund_advance_repaid, actor=agent, refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.advance_state, refund.repaid_at) == (AdvanceState.SETTLED, REPAY_DUE - timedelta(seconds=1))
    assert advances(quota_buyer) == 0
    assert account(merchant) == 0  # the merchant won: it never pays
    with pytest.raises(InvalidTransition) as caught:
        call_at(REPAY_DUE, refund_advance_repaid, actor=agent, refund_id=refund.pk)
    assert caught.value.code == "no_advance_owed"
    assert refund_sweep(now=REPAY_DUE + timedelta(days=1)).revoked == 0
    quota_buyer.refresh_from_db()
    assert quota_buyer.instant_refund_revoked_at is None


def test_not_repaid_by_the_due_date_revokes_the_privilege(quota_buyer, merchant, merchant_user, senior):
    refund = upheld(quota_buyer, merchant, merchant_user, senior)
    for early in (REPAY_DUE - ONE_SECOND, REPAY_DUE):
        assert refund_sweep(now=early).revoked == 0
    quota_buyer.refresh_from_db()
    assert quota_buyer.instant_refund_revoked_at is None
    assert refund_sweep(now=REPAY_DUE + ONE_SECOND).revoked == 1
    assert refund_sweep(now=REPAY_DUE + timedelta(hours=1)).revoked == 0
    quota_buyer.refresh_from_db()
    refund.refresh_from_db()
    # A revocation is dated when the scheduler acts.
    assert quota_buyer.instant_refund_revoked_at == REPAY_DUE + ONE_SECOND
    assert refund.privilege_revoked_at == REPAY_DUE + ONE_SECOND
    assert advances(quota_buyer) == 50_000  # still owed: revocation is not repayment
    # A later return gets no advance at all, even well within the quota.
    later = apply_at(bj(2026, 4, 20, 10, 0), buyer=quota_buyer, item=signed_item(quota_buyer, merchant), amount_fen=100)
    assert later.advance_state == AdvanceState.NONE
    call_at(bj(2026, 4, 20, 11, 0), refund_agree, actor=merchant_user, refund_id=later.pk)
    call_at(
        bj(2026, 4, 20, 12, 0),
        refund_ship_return,
        actor=quota_buyer.user,
        refund_id=later.pk,
        carrier="SF",
        waybill="2",
    )
    later.refresh_from_db()
    assert later.advance_state == AdvanceState.NONE
    assert advances(quota_buyer) == 50_000


def test_revoked_while_a_return_was_pending_means_no_advance_at_the_waybill(
    quota_buyer, merchant, merchant_user, senior
):
    pending = apply_at(T0, buyer=quota_buyer, item=signed_item(quota_buyer, merchant), amount_fen=100)
    assert pending.advance_state == AdvanceState.APPLIED
    upheld(quota_buyer, merchant, merchant_user, senior)
    # The same sweep revokes the privilege and agrees the pending return for its silent merchant.
    result = refund_sweep(now=REPAY_DUE + ONE_SECOND)
    assert (result.revoked, result.agreed) == (1, 1)
    call_at(
        REPAY_DUE + ONE_SECOND,
        refund_ship_return,
        actor=quota_buyer.user,
        refund_id=pending.pk,
        carrier="SF",
        waybill="3",
    )
    pending.refresh_from_db()
    assert pending.advance_state == AdvanceState.CLOSED
    assert PlatformAdvanceEntry.objects.filter(source_id=pending.pk).count() == 0


def test_sweep_closing_a_refused_goods_refund_sends_the_repayment_notice(
    quota_buyer, merchant, merchant_user, django_capture_on_commit_callbacks
):
    refund = refused_goods(quota_buyer, merchant, merchant_user)
    closes = bj(2026, 4, 10, 12, 0)  # refused + 7 days, the buyer silent
    swept = closes + ONE_SECOND
    with django_capture_on_commit_callbacks() as callbacks:
        result = refund_sweep(now=swept)
    assert (result.closed, result.notices) == (1, 1)
    # The batch writes its notices as events, in its own transaction.
    assert repayment_notices(refund) == 1
    refund.refresh_from_db()
    assert (refund.state, refund.closed_at) == (RefundState.CLOSED, closes)
    assert (refund.repayment_notice_at, refund.repayment_due_at) == (swept, bj(2026, 4, 17, 12, 0, 1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert refund_sweep(now=swept).total == 0
    assert callbacks == []
    assert repayment_notices(refund) == 1
    assert refund_sweep(now=bj(2026, 4, 17, 12, 0, 1)).revoked == 0
    assert refund_sweep(now=bj(2026, 4, 17, 12, 0, 2)).revoked == 1


def test_buyer_cancelling_after_a_goods_refusal_owes_the_advance(
    quota_buyer, merchant, merchant_user, django_capture_on_commit_callbacks
):
    refund = refused_goods(quota_buyer, merchant, merchant_user)
    cancelled = bj(2026, 4, 4, 12, 0)
    with django_capture_on_commit_callbacks():
        call_at(cancelled, refund_cancel, actor=quota_buyer.user, refund_id=refund.pk)
    assert repayment_notices(refund) == 1
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state) == (RefundState.CLOSED, AdvanceState.MERCHANT_REFUSED_GOODS)
    assert (refund.repayment_notice_at, refund.repayment_due_at) == (cancelled, bj(2026, 4, 11, 12, 0))
    assert refund_sweep(now=bj(2026, 4, 11, 12, 0)).revoked == 0
    assert refund_sweep(now=bj(2026, 4, 11, 12, 0, 1)).revoked == 1


def test_modified_after_a_goods_refusal_and_paid_recovers_the_advance(quota_buyer, merchant, merchant_user):
    refund = refused_goods(quota_buyer, merchant, merchant_user)
    call_at(bj(2026, 4, 4, 12, 0), refund_modify, actor=quota_buyer.user, refund_id=refund.pk, description="Unused")
    call_at(bj(2026, 4, 4, 13, 0), refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(
        bj(2026, 4, 4, 14, 0),
        refund_ship_return,
        actor=quota_buyer.user,
        refund_id=refund.pk,
        carrier="SF",
        waybill="4",
    )
    call_at(bj(2026, 4, 6, 14, 0), refund_confirm_goods, actor=merchant_user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCESS
    # The buyer already holds the advance: the merchant's charge repays the platform, once.
    assert refund.advance_state == AdvanceState.SETTLED
    assert (advances(quota_buyer), account(merchant)) == (0, -50_000)
    assert PlatformAdvanceEntry.objects.count() == 2


def test_the_sweep_paying_a_modified_goods_refusal_recovers_the_advance(quota_buyer, merchant, merchant_user):
    refund = refused_goods(quota_buyer, merchant, merchant_user)
    call_at(bj(2026, 4, 4, 12, 0), refund_modify, actor=quota_buyer.user, refund_id=refund.pk, description="Unused")
    call_at(bj(2026, 4, 4, 13, 0), refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(
        bj(2026, 4, 4, 14, 0),
        refund_ship_return,
        actor=quota_buyer.user,
        refund_id=refund.pk,
        carrier="SF",
        waybill="4",
    )
    due = bj(2026, 4, 14, 14, 0)
    assert refund_sweep(now=due).paid == 0
    assert refund_sweep(now=due + ONE_SECOND).paid == 1
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state) == (RefundState.SUCCESS, AdvanceState.SETTLED)
    assert (advances(quota_buyer), account(merchant)) == (0, -50_000)


def test_the_amount_cannot_change_while_an_advance_is_outstanding(quota_buyer, merchant, merchant_user):
    refund = refused_goods(quota_buyer, merchant, merchant_user)
    with pytest.raises(RuleRefused) as caught:
        call_at(bj(2026, 4, 4, 12, 0), refund_modify, actor=quota_buyer.user, refund_id=refund.pk, amount_fen=30_000)
    assert caught.value.code == "amount_locked_by_advance"
    refund.refresh_from_db()
    assert (refund.state, refund.amount_fen) == (RefundState.SELLER_REFUSED, 50_000)
    assert RefundRequest.objects.get(pk=refund.pk).modified_at is None


def test_a_zero_cover_or_penalty_in_the_policy_table_posts_nothing():
    """The policy table can switch shipping cover or the damage penalty off (0): no zero entry is written."""
    values = {
        "refund.shipping_cover": ("points", 0),
        "refund.damage_penalty_percent": ("percent", 0),
        "refund.damage_penalty_min": ("fen", 0),
        "refund.damage_penalty_max": ("fen", 0),
    }
    policies = PolicySnapshot(values)
    row = RefundRow(7, 1, 2, 10_000, AdvanceState.NONE, True)
    assert shipping_cover_paid(row, at=T0, actor=None, policies=policies).points == []
    paid = refund_paid(row, at=T0, actor=None, policies=policies)
    assert ([e.amount for e in paid.merchant], paid.points) == ([-10_000], [])
    with_penalty = PolicySnapshot({**values, "refund.damage_penalty_min": ("fen", 500)})
    paid = refund_paid(row, at=T0, actor=None, policies=with_penalty)
    assert ([e.amount for e in paid.merchant], [e.amount for e in paid.points]) == ([-10_000, -500], [500])
