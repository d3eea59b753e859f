"""Every timeout of RULES.md section 2, applied by refund_sweep at its exact boundary (the first second after the
deadline's own), audited as the system user, idempotent, and caught up after downtime with refunds dated at their
deadlines."""

from datetime import timedelta

import pytest
from django_fsm_log.models import StateLog

from disputes.errors import DomainError, Forbidden, InvalidTransition, NotFound, RuleRefused
from disputes.models import (
    AdvanceState,
    CaseState,
    DueAction,
    EntryKind,
    Intervention,
    MerchantAccountEntry,
    RefundRequest,
    RefundState,
)
from disputes.services.interventions.workflow import intervention_withdraw
from disputes.services.refunds.advances import refund_return_signed
from disputes.services.refunds.buyer import refund_modify, refund_ship_return
from disputes.services.refunds.escalation import refund_request_intervention
from disputes.services.refunds.merchant import refund_agree, refund_refuse
from disputes.services.refunds.sweep import refund_sweep
from tests.services.helpers import bj
from tests.services.refund_helpers import (
    DEFAULT_RETURN_ADDRESS,
    T0,
    account,
    apply_at,
    call_at,
    refund_env,  # noqa: F401  (fixture)
    signed_item,
    system_log,
    unshipped_item,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]

AGREED = bj(2026, 4, 1, 11, 0)
SHIPPED = bj(2026, 4, 1, 12, 0)
REFUSED = bj(2026, 4, 1, 12, 0)
ONE_SECOND = timedelta(seconds=1)


def at_boundary(refund, due, **expected):
    """Nothing happens 1 s before `due` nor at `due` (its second is still the merchant's or buyer's); 1 s after, the
    sweep applies exactly `expected`; a rerun does nothing."""
    refund.refresh_from_db()
    state, logs_before = refund.state, StateLog.objects.count()
    assert refund.due_at == due
    for early in (due - timedelta(seconds=1), due):
        assert refund_sweep(now=early).total == 0
    refund.refresh_from_db()
    assert (refund.state, refund.due_at, StateLog.objects.count()) == (state, due, logs_before)
    result = refund_sweep(now=due + ONE_SECOND)
    counts = {k: v for k, v in result.as_dict().items() if v}
    assert counts == expected
    logs_after, entries_after = StateLog.objects.count(), MerchantAccountEntry.objects.count()
    for later in (due + ONE_SECOND, due + timedelta(hours=1)):
        assert refund_sweep(now=later).total == 0
    assert (StateLog.objects.count(), MerchantAccountEntry.objects.count()) == (logs_after, entries_after)
    refund.refresh_from_db()
    return refund


def refund_charge(refund) -> MerchantAccountEntry:
    return MerchantAccountEntry.objects.get(idempotency_key=f"refund:{refund.pk}:refund")


# --- merchant silent on the request -------------------------------------------------------------------


def test_unshipped_refund_only_is_paid_after_24_hours(buyer, merchant):
    refund = apply_at(
        T0, buyer=buyer, item=unshipped_item(buyer, merchant), refund_type="refund_only", amount_fen=80_000
    )
    due = bj(2026, 4, 2, 10, 0)
    refund = at_boundary(refund, due, paid=1, credits=1)
    assert refund.state == RefundState.SUCCESS
    assert (refund.succeeded_at, refund.agreed_at) == (due, due)
    assert (refund.due_at, refund.due_action) == (None, DueAction.NONE)
    assert account(merchant) == -80_000
    charge = refund_charge(refund)
    assert (charge.amount, charge.kind, charge.occurred_at) == (-80_000, EntryKind.REFUND, due)
    assert charge.source == refund and charge.created_by.username == "system-scheduler"
    log = system_log(refund, "timeout_pay")
    assert (log.source_state, log.state, log.timestamp) == ("wait_seller_agree", "success", due + ONE_SECOND)


def test_shipped_refund_only_is_paid_after_48_hours(buyer, merchant):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only")
    due = bj(2026, 4, 3, 10, 0)
    refund = at_boundary(refund, due, paid=1, credits=1)
    assert refund.state == RefundState.SUCCESS and refund.succeeded_at == due
    assert account(merchant) == -50_000
    system_log(refund, "timeout_pay")


def test_return_is_agreed_with_the_default_address_after_2_days(buyer, merchant):
    buyer.instant_refund_quota_fen = 90_000
    buyer.save()
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    due = bj(2026, 4, 3, 10, 0)
    refund = at_boundary(refund, due, agreed=1)
    assert refund.state == RefundState.WAIT_BUYER_RETURN
    assert refund.return_address == DEFAULT_RETURN_ADDRESS
    assert refund.agreed_at == due + ONE_SECOND and refund.agreed_on_behalf is False
    # The buyer's 7 days to ship start now; the instant refund waits for the waybill.
    assert (refund.due_at, refund.due_action) == (bj(2026, 4, 10, 10, 0, 1), DueAction.CLOSE_NOT_SHIPPED)
    assert refund.advance_state == AdvanceState.APPLIED
    assert account(merchant) == 0
    log = system_log(refund, "timeout_agree")
    assert (log.source_state, log.state) == ("wait_seller_agree", "wait_buyer_return")
    assert "default return address" in log.description


# --- the return -------------------------------------------------------------------------------------


def test_buyer_not_shipping_within_7_days_closes_the_request(buyer, merchant, merchant_user):
    buyer.instant_refund_quota_fen = 90_000
    buyer.save()
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=refund.pk)
    due = bj(2026, 4, 8, 11, 0)
    refund = at_boundary(refund, due, closed=1)
    assert refund.state == RefundState.CLOSED
    assert refund.closed_at == due
    assert refund.close_reason == "Buyer did not ship the return in time: closed"
    assert refund.cancelled_by_buyer is False
    assert refund.advance_state == AdvanceState.CLOSED  # never advanced: nothing shipped
    assert account(merchant) == 0
    log = system_log(refund, "timeout_close_not_shipped")
    assert (log.source_state, log.state) == ("wait_buyer_return", "closed")


def _shipped_return(buyer, merchant, merchant_user, **kwargs):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), **kwargs)
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(SHIPPED, refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF100")
    refund.refresh_from_db()
    return refund


def test_merchant_not_confirming_within_10_days_of_shipping_pays(buyer, merchant, merchant_user):
    refund = _shipped_return(buyer, merchant, merchant_user)
    assert refund.state == RefundState.WAIT_SELLER_CONFIRM
    due = bj(2026, 4, 11, 12, 0)
    refund = at_boundary(refund, due, paid=1, credits=1)
    assert refund.state == RefundState.SUCCESS
    assert (refund.goods_received_at, refund.succeeded_at) == (due, due)
    assert refund.agreed_at == AGREED  # unchanged: the merchant agreed itself
    assert refund_charge(refund).occurred_at == due
    assert account(merchant) == -50_000
    log = system_log(refund, "timeout_pay")
    assert (log.source_state, log.state) == ("wait_seller_confirm", "success")


@pytest.mark.parametrize(
    ("signed_at", "staff_at", "due"),
    [
        (bj(2026, 4, 2, 12, 0), bj(2026, 4, 3, 9, 0), bj(2026, 4, 5, 12, 0)),  # signed + 3 days comes first
        (bj(2026, 4, 8, 12, 0), bj(2026, 4, 8, 13, 0), bj(2026, 4, 11, 12, 0)),  # both on the same second
        (bj(2026, 4, 9, 12, 0), bj(2026, 4, 9, 13, 0), bj(2026, 4, 11, 12, 0)),  # shipped + 10 days comes first
    ],
)
def test_once_signed_the_merchant_has_3_days_and_the_earlier_deadline_wins(
    buyer, merchant, merchant_user, agent, signed_at, staff_at, due
):
    refund = _shipped_return(buyer, merchant, merchant_user)
    call_at(staff_at, refund_return_signed, actor=agent, refund_id=refund.pk, signed_at=signed_at)
    refund.refresh_from_db()
    assert refund.return_signed_at == signed_at
    assert refund.due_action == DueAction.PAY
    [log] = [entry for entry in StateLog.objects.for_(refund) if entry.transition == "return_signed"]
    assert log.by == agent
    refund = at_boundary(refund, due, paid=1, credits=1)
    assert refund.state == RefundState.SUCCESS and refund.succeeded_at == due


def test_return_signed_is_for_staff_and_checks_the_time(buyer, merchant, merchant_user, agent):
    refund = _shipped_return(buyer, merchant, merchant_user)
    now = bj(2026, 4, 3, 9, 0)
    with pytest.raises(Forbidden):
        call_at(now, refund_return_signed, actor=merchant_user, refund_id=refund.pk, signed_at=bj(2026, 4, 2, 12, 0))
    for wrong in (SHIPPED - timedelta(seconds=1), now + timedelta(seconds=1)):
        with pytest.raises(RuleRefused) as caught:
            call_at(now, refund_return_signed, actor=agent, refund_id=refund.pk, signed_at=wrong)
        assert caught.value.code == "invalid_signed_at"
    refund.refresh_from_db()
    assert refund.return_signed_at is None and refund.due_at == bj(2026, 4, 11, 12, 0)
    # Without a time, "now" is taken.
    call_at(now, refund_return_signed, actor=agent, refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.return_signed_at == now and refund.due_at == bj(2026, 4, 6, 9, 0)


def test_return_signed_needs_a_return_on_its_way(buyer, merchant, agent):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    with pytest.raises(InvalidTransition) as caught:
        call_at(T0 + timedelta(hours=1), refund_return_signed, actor=agent, refund_id=refund.pk)
    assert caught.value.code == "not_in_transit"


def test_exchange_goods_not_confirmed_in_10_days_are_taken_as_received(buyer, merchant, merchant_user):
    refund = _shipped_return(buyer, merchant, merchant_user, refund_type="exchange", amount_fen=None)
    due = bj(2026, 4, 11, 12, 0)
    refund = at_boundary(refund, due, received=1)
    assert refund.state == RefundState.WAIT_SELLER_RESHIP
    assert refund.goods_received_at == due
    assert MerchantAccountEntry.objects.count() == 0
    system_log(refund, "timeout_received")


# --- after a refusal ---------------------------------------------------------------------------------


def _refused(buyer, merchant, merchant_user, **kwargs):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), **kwargs)
    call_at(REFUSED, refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="Scratches are normal wear")
    refund.refresh_from_db()
    return refund


def test_refused_and_buyer_silent_for_7_days_closes(buyer, merchant, merchant_user):
    refund = _refused(buyer, merchant, merchant_user)
    assert refund.due_action == DueAction.CLOSE_REFUSED
    due = bj(2026, 4, 8, 12, 0)
    refund = at_boundary(refund, due, closed=1)
    assert refund.state == RefundState.CLOSED and refund.closed_at == due
    assert refund.close_reason == "Buyer neither modified nor asked for intervention: closed"
    log = system_log(refund, "timeout_close_refused")
    assert (log.source_state, log.state) == ("seller_refused", "closed")


@pytest.mark.parametrize(
    ("refund_type", "due", "expected", "target"),
    [
        ("refund_only", bj(2026, 4, 5, 12, 0), {"paid": 1, "credits": 1}, RefundState.SUCCESS),  # modified + 48 h
        ("return_refund", bj(2026, 4, 5, 12, 0), {"agreed": 1}, RefundState.WAIT_BUYER_RETURN),  # modified + 2 days
    ],
)
def test_modifying_after_a_refusal_restarts_the_merchants_deadline(
    buyer, merchant, merchant_user, refund_type, due, expected, target
):
    refund = _refused(buyer, merchant, merchant_user, refund_type=refund_type)
    modified = bj(2026, 4, 3, 12, 0)
    call_at(modified, refund_modify, actor=buyer.user, refund_id=refund.pk, amount_fen=40_000)
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE
    assert (refund.modified_at, refund.refused_at, refund.amount_fen) == (modified, None, 40_000)
    # The original deadline (applied + 48 h / 2 days = 04-03 10:00) has passed and no longer counts.
    assert refund_sweep(now=bj(2026, 4, 3, 12, 0, 1)).total == 0
    refund = at_boundary(refund, due, **expected)
    assert refund.state == target


def test_asking_for_intervention_opens_a_case_and_stops_the_close(buyer, merchant, merchant_user):
    refund = _refused(buyer, merchant, merchant_user)
    asked = bj(2026, 4, 2, 12, 0)
    case = call_at(
        asked,
        refund_request_intervention,
        actor=buyer.user,
        refund_id=refund.pk,
        reason="The crack was there on delivery",
    )
    # A quality refund is taken to the platform on the ground "quality", as the buyer's ordinary case.
    assert (case.refund_id, case.state, case.applicant, case.ground, case.priority) == (
        refund.pk,
        CaseState.APPLIED,
        "buyer",
        "quality",
        0,
    )
    assert (case.claim, case.applied_at) == ("The crack was there on delivery", asked)
    [log] = StateLog.objects.for_(refund).filter(transition="request_intervention")
    assert (log.by, log.description) == (buyer.user, f"IV-{case.pk} opened: The crack was there on delivery")
    refund.refresh_from_db()
    assert refund.intervention_requested_at == asked
    assert (refund.due_at, refund.due_action) == (None, DueAction.NONE)
    assert refund_sweep(now=bj(2026, 5, 30, 0, 0)).total == 0
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED
    # A second request is refused while the case is open.
    with pytest.raises(DomainError) as caught:
        call_at(
            bj(2026, 4, 3, 12, 0), refund_request_intervention, actor=buyer.user, refund_id=refund.pk, reason="again"
        )
    assert caught.value.code == "intervention_exists"
    assert Intervention.objects.count() == 1
    # Modifying around the open case is refused too: the case decides the refund.
    with pytest.raises(InvalidTransition) as caught:
        call_at(bj(2026, 4, 4, 11, 0), refund_modify, actor=buyer.user, refund_id=refund.pk, amount_fen=30_000)
    assert caught.value.code == "intervention_open"
    # Once the buyer withdraws the case, modifying hands the request back to the merchant and the clock restarts.
    call_at(bj(2026, 4, 4, 11, 30), intervention_withdraw, actor=buyer.user, case_id=case.pk)
    call_at(bj(2026, 4, 4, 12, 0), refund_modify, actor=buyer.user, refund_id=refund.pk, amount_fen=30_000)
    refund.refresh_from_db()
    assert (refund.state, refund.intervention_requested_at, refund.amount_fen) == (
        RefundState.WAIT_SELLER_AGREE,
        None,
        30_000,
    )
    assert (refund.due_at, refund.due_action) == (bj(2026, 4, 6, 12, 0), DueAction.AGREE)


def test_intervention_is_only_after_a_refusal_and_for_the_parties(buyer, other_buyer, merchant, merchant_user):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    with pytest.raises(InvalidTransition):
        call_at(T0, refund_request_intervention, actor=buyer.user, refund_id=refund.pk, reason="now")
    call_at(REFUSED, refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="no")
    with pytest.raises(InvalidTransition) as caught:  # the merchant only after refusing the goods
        call_at(REFUSED, refund_request_intervention, actor=merchant_user, refund_id=refund.pk, reason="help")
    assert caught.value.code == "intervention_not_available"
    with pytest.raises(NotFound):
        call_at(REFUSED, refund_request_intervention, actor=other_buyer.user, refund_id=refund.pk, reason="me too")
    assert Intervention.objects.count() == 0
    assert not StateLog.objects.for_(refund).filter(transition="request_intervention").exists()


# --- the scheduler as a whole ---------------------------------------------------------------------------


def test_catch_up_after_30_days_of_downtime_dates_everything_at_its_deadline(buyer, merchant, merchant_user):
    unshipped = apply_at(
        T0, buyer=buyer, item=unshipped_item(buyer, merchant), refund_type="refund_only", amount_fen=10_000
    )
    shipped = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only", amount_fen=20_000)
    not_shipped = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), amount_fen=30_000)
    call_at(AGREED, refund_agree, actor=merchant_user, refund_id=not_shipped.pk)
    in_transit = _shipped_return(buyer, merchant, merchant_user, amount_fen=40_000)
    refused = _refused(buyer, merchant, merchant_user, amount_fen=60_000)
    silent_return = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), amount_fen=70_000)

    now = T0 + timedelta(days=30)
    result = refund_sweep(now=now)
    assert (result.paid, result.agreed, result.closed, result.credits) == (3, 1, 2, 3)
    assert refund_sweep(now=now).total == 0

    expected_paid = {
        unshipped.pk: bj(2026, 4, 2, 10, 0),
        shipped.pk: bj(2026, 4, 3, 10, 0),
        in_transit.pk: bj(2026, 4, 11, 12, 0),
    }
    charges = dict(MerchantAccountEntry.objects.values_list("source_id", "occurred_at"))
    assert charges == expected_paid
    for pk, due in expected_paid.items():
        refund = RefundRequest.objects.get(pk=pk)
        assert (refund.state, refund.succeeded_at) == (RefundState.SUCCESS, due)
        assert system_log(refund, "timeout_pay").timestamp == now  # the audit says when the sweep ran
    assert account(merchant) == -(10_000 + 20_000 + 40_000)

    for refund, closed_at in ((not_shipped, bj(2026, 4, 8, 11, 0)), (refused, bj(2026, 4, 8, 12, 0))):
        refund.refresh_from_db()
        assert (refund.state, refund.closed_at) == (RefundState.CLOSED, closed_at)

    # The return agreed for the silent merchant: the buyer gets 7 days from when the address is given.
    silent_return.refresh_from_db()
    assert silent_return.state == RefundState.WAIT_BUYER_RETURN
    assert silent_return.agreed_at == now
    assert silent_return.due_at == bj(2026, 5, 8, 10, 0)
    assert refund_sweep(now=bj(2026, 5, 8, 10, 0)).total == 0
    assert refund_sweep(now=bj(2026, 5, 8, 10, 0, 1)).closed == 1


def test_sweep_processes_more_rows_than_one_batch(buyer, merchant):
    refunds = [
        apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only", amount_fen=1_000 + i)
        for i in range(7)
    ]
    result = refund_sweep(now=bj(2026, 4, 3, 10, 0, 1), batch_size=3)
    assert (result.paid, result.credits) == (7, 7)
    assert account(merchant) == -(7 * 1_000 + sum(range(7)))
    assert set(RefundRequest.objects.values_list("state", flat=True)) == {RefundState.SUCCESS}
    assert StateLog.objects.filter(transition="timeout_pay").count() == len(refunds)


def test_rows_the_sweep_must_not_touch(buyer, merchant, merchant_user):
    # A request the merchant already paid has no deadline, whatever the clock says.
    paid = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only")
    call_at(T0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=paid.pk)
    paid.refresh_from_db()
    assert (paid.state, paid.due_at) == (RefundState.SUCCESS, None)
    assert refund_sweep(now=T0 + timedelta(days=60)).total == 0
    assert MerchantAccountEntry.objects.count() == 1


def test_a_deadline_that_does_not_fit_the_state_is_neither_paid_nor_looped_on(buyer, merchant, caplog):
    """Should a row's due action not fit its state (no service writes one), the sweep pays and moves
    nothing for it, names it in an error for staff, and still finishes even when every batch would
    otherwise be full of such rows."""
    good = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only", amount_fen=1_000)
    odd = [
        apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only", amount_fen=2_000)
        for _ in range(2)
    ]
    RefundRequest.objects.filter(pk__in=[r.pk for r in odd]).update(state=RefundState.WAIT_BUYER_RETURN)
    due = bj(2026, 4, 3, 10, 0)
    with caplog.at_level("ERROR", logger="disputes.services.refunds.sweep"):
        result = refund_sweep(now=due + ONE_SECOND, batch_size=1)
    assert (result.paid, result.credits) == (1, 1)
    assert account(merchant) == -1_000
    for refund in odd:
        refund.refresh_from_db()
        assert (refund.state, refund.due_action, refund.due_at) == (RefundState.WAIT_BUYER_RETURN, DueAction.PAY, due)
        assert f"RF-{refund.pk}" in caplog.text
    good.refresh_from_db()
    assert good.state == RefundState.SUCCESS
