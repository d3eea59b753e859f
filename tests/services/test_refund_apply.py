"""Applying for a refund (RULES.md section 2): amounts, one live request, reopening, the after-sales window,
7-day no-reason returns and damage-guarantee claims, each at its boundary. Every refusal stores nothing."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from disputes import policies as policy_table
from disputes.choices import SevenDayExclusion
from disputes.errors import Forbidden, NotFound, RuleRefused, ValidationFailed
from disputes.models import (
    AdvanceState,
    DueAction,
    OrderStatus,
    Policy,
    RefundEvidence,
    RefundRequest,
    RefundState,
    RefundType,
)
from disputes.services.refunds.buyer import refund_apply, refund_cancel, refund_ship_return
from disputes.services.refunds.common import RefundNotAllowed, seven_day_last_day
from disputes.services.refunds.merchant import refund_agree, refund_confirm_goods, refund_refuse, refund_reship
from disputes.services.refunds.sweep import refund_sweep
from tests import factories as f
from tests.services.helpers import bj
from tests.services.refund_helpers import (
    COVER,
    DAMAGE,
    T0,
    apply_at,
    call_at,
    in_transit_item,
    logs,
    photo,
    refund_env,  # noqa: F401  (fixture)
    refused_apply,
    signed_item,
    unshipped_item,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]


# --- the amount ------------------------------------------------------------------------------------


def test_exactly_the_amount_paid_is_accepted(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, price_fen=100_000)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="refund_only", amount_fen=100_000)
    assert refund.amount_fen == 100_000
    assert refund.state == RefundState.WAIT_SELLER_AGREE
    assert refund.created_at == T0
    assert refund.order_shipped is True
    assert refund.buyer == buyer and refund.merchant == merchant
    [log] = logs(refund)
    assert (log.transition, log.source_state, log.state, log.by) == ("apply", None, "wait_seller_agree", buyer.user)


def test_one_fen_over_the_amount_paid_is_refused(buyer, merchant):
    item = signed_item(buyer, merchant, price_fen=100_000)
    error = refused_apply("amount_exceeds_refundable", T0, buyer=buyer, item=item, amount_fen=100_001)
    assert isinstance(error, RuleRefused)
    assert error.details == {"refundable_fen": 100_000}


@pytest.mark.parametrize("amount", [0, -1, -100_000, None, "500", 500.0, 1.5, True, False, [500]])
def test_amount_must_be_a_positive_whole_number_of_fen(buyer, merchant, amount):
    item = signed_item(buyer, merchant)
    error = refused_apply("invalid_amount", T0, buyer=buyer, item=item, amount_fen=amount)
    assert isinstance(error, ValidationFailed)


def test_a_successful_partial_refund_shrinks_what_is_refundable(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, price_fen=100_000)
    first = apply_at(T0, buyer=buyer, item=item, refund_type="refund_only", amount_fen=30_000)
    call_at(T0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=first.pk)
    later = T0 + timedelta(days=1)
    error = refused_apply("amount_exceeds_refundable", later, buyer=buyer, item=item, amount_fen=70_001)
    assert error.details == {"refundable_fen": 70_000}
    second = apply_at(later, buyer=buyer, item=item, refund_type="refund_only", amount_fen=70_000)
    assert second.amount_fen == 70_000
    call_at(later + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=second.pk)
    # Everything was refunded: not even 1 fen is left.
    error = refused_apply("amount_exceeds_refundable", later + timedelta(days=1), buyer=buyer, item=item, amount_fen=1)
    assert error.details == {"refundable_fen": 0}


def test_a_refused_request_is_still_live(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, price_fen=100_000)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="refund_only", amount_fen=100_000)
    call_at(T0 + timedelta(hours=1), refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="Used")
    # Still live while refused: a second request is refused as a duplicate, not for its amount.
    refused_apply("refund_exists", T0 + timedelta(hours=2), buyer=buyer, item=item, amount_fen=100_000)


def test_an_exchange_that_succeeded_does_not_shrink_what_is_refundable(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, price_fen=100_000)
    exchange = apply_at(T0, buyer=buyer, item=item, refund_type="exchange", amount_fen=None)
    call_at(T0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=exchange.pk)
    call_at(
        T0 + timedelta(hours=2), refund_ship_return, actor=buyer.user, refund_id=exchange.pk, carrier="SF", waybill="1"
    )
    call_at(T0 + timedelta(days=1), refund_confirm_goods, actor=merchant_user, refund_id=exchange.pk)
    call_at(T0 + timedelta(days=2), refund_reship, actor=merchant_user, refund_id=exchange.pk, waybill="SF2")
    exchange.refresh_from_db()
    assert exchange.state == RefundState.SUCCESS
    refund = apply_at(T0 + timedelta(days=3), buyer=buyer, item=item, refund_type="refund_only", amount_fen=100_000)
    assert refund.amount_fen == 100_000


# --- exchange and repair -------------------------------------------------------------------------


@pytest.mark.parametrize("refund_type", ["exchange", "repair"])
@pytest.mark.parametrize("amount", [0, None])
def test_exchange_and_repair_carry_no_amount(buyer, merchant, refund_type, amount):
    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type=refund_type, amount_fen=amount)
    assert refund.amount_fen == 0
    assert refund.refund_type == refund_type
    # A return: the merchant has 2 days before the return is agreed for them.
    assert (refund.due_at, refund.due_action) == (bj(2026, 4, 3, 10, 0), DueAction.AGREE)


@pytest.mark.parametrize("refund_type", ["exchange", "repair"])
@pytest.mark.parametrize("amount", [1, 50_000, -1, False, True, 0.0, "0"])
def test_exchange_and_repair_refuse_an_amount(buyer, merchant, refund_type, amount):
    item = signed_item(buyer, merchant)
    error = refused_apply("amount_not_allowed", T0, buyer=buyer, item=item, refund_type=refund_type, amount_fen=amount)
    assert isinstance(error, ValidationFailed)


# --- who and what -----------------------------------------------------------------------------------


def test_one_live_request_per_item(buyer, merchant):
    item = signed_item(buyer, merchant)
    apply_at(T0, buyer=buyer, item=item)
    refused_apply("refund_exists", T0 + timedelta(minutes=1), buyer=buyer, item=item, refund_type="refund_only")
    # Another item of the same order is a separate request.
    other = f.OrderItemFactory(order=item.order, amount_paid_fen=20_000, services=[])
    assert apply_at(T0, buyer=buyer, item=other, amount_fen=20_000).order_item == other


def test_cancel_once_then_reapplying_is_refused(buyer, merchant):
    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item)
    call_at(T0 + timedelta(hours=1), refund_cancel, actor=buyer.user, refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.state == RefundState.CLOSED and refund.cancelled_by_buyer
    assert (refund.due_at, refund.due_action) == (None, DueAction.NONE)
    error = refused_apply("reopen_refused", T0 + timedelta(hours=2), buyer=buyer, item=item)
    assert isinstance(error, RefundNotAllowed)
    # Neither type nor reason matters: the item cannot be reopened.
    refused_apply("reopen_refused", T0 + timedelta(hours=2), buyer=buyer, item=item, refund_type="refund_only")


def test_a_request_closed_by_the_scheduler_does_not_block_reapplying(buyer, merchant, merchant_user):
    item = signed_item(buyer, merchant, price_fen=100_000)
    refund = apply_at(T0, buyer=buyer, item=item, amount_fen=100_000)
    call_at(T0 + timedelta(hours=1), refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="No defect")
    assert refund_sweep(now=T0 + timedelta(days=8)).closed == 1
    # Closed without a refund: the whole amount is still refundable.
    again = apply_at(T0 + timedelta(days=8), buyer=buyer, item=item, amount_fen=100_000)
    assert again.state == RefundState.WAIT_SELLER_AGREE


def test_another_buyers_item_is_not_found(buyer, other_buyer, merchant):
    item = signed_item(other_buyer, merchant)
    error = refused_apply("order_item_not_found", T0, buyer=buyer, item=item)
    assert isinstance(error, NotFound)


def test_only_a_buyer_can_apply(buyer, merchant, merchant_user, agent):
    item = signed_item(buyer, merchant)
    for actor in (merchant_user, agent):
        with pytest.raises(Forbidden) as caught, time_machine.travel(T0, tick=False):
            refund_apply(actor=actor, order_item_id=item.pk, refund_type="refund_only", reason="quality", amount_fen=1)
        assert caught.value.code == "buyer_required"
    assert RefundRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "code"), [("refund_type", "swap", "invalid_type"), ("reason", "meh", "invalid_reason")]
)
def test_unknown_type_or_reason_is_refused(buyer, merchant, field, value, code):
    item = signed_item(buyer, merchant)
    refused_apply(code, T0, buyer=buyer, item=item, **{field: value})


def test_a_closed_order_is_refused(buyer, merchant):
    item = signed_item(buyer, merchant, status=OrderStatus.CLOSED)
    error = refused_apply("order_closed", T0, buyer=buyer, item=item, refund_type="refund_only")
    assert isinstance(error, RefundNotAllowed)


@pytest.mark.parametrize("refund_type", ["return_refund", "exchange", "repair"])
def test_a_return_needs_shipped_goods(buyer, merchant, refund_type):
    item = unshipped_item(buyer, merchant)
    amount = 50_000 if refund_type == "return_refund" else None
    refused_apply("not_shipped", T0, buyer=buyer, item=item, refund_type=refund_type, amount_fen=amount)


def test_an_unshipped_order_can_be_refunded_only(buyer, merchant):
    item = unshipped_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="refund_only", amount_fen=100_000)
    assert refund.order_shipped is False
    assert (refund.due_at, refund.due_action) == (bj(2026, 4, 2, 10, 0), DueAction.PAY)


def test_photos_are_stored_with_the_request_and_bad_files_store_nothing(buyer, merchant, settings):
    item = signed_item(buyer, merchant)
    fake = SimpleUploadedFile("crack.jpg", b"not a picture at all\n" * 10, content_type="image/jpeg")
    refused_apply("evidence_type_refused", T0, buyer=buyer, item=item, files=[photo(), fake])
    refused_apply("too_many_files", T0, buyer=buyer, item=item, files=[photo(f"p{i}.png") for i in range(11)])
    # A valid photo with a refused amount: no evidence row and no file on disk.
    refused_apply("amount_exceeds_refundable", T0, buyer=buyer, item=item, amount_fen=100_001, files=[photo()])
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []
    refund = apply_at(T0, buyer=buyer, item=item, files=[photo("a.png"), photo("b.png")])
    stored = list(RefundEvidence.objects.filter(refund=refund).order_by("original_name"))
    assert [(e.original_name, e.content_type, e.purpose, e.uploaded_by) for e in stored] == [
        ("a.png", "image/png", "application", buyer.user),
        ("b.png", "image/png", "application", buyer.user),
    ]


def test_description_longer_than_2000_characters_is_refused(buyer, merchant):
    item = signed_item(buyer, merchant)
    with pytest.raises(ValidationFailed) as caught, time_machine.travel(T0, tick=False):
        refund_apply(
            actor=buyer.user,
            order_item_id=item.pk,
            refund_type="refund_only",
            reason="quality",
            amount_fen=1,
            description="x" * 2001,
        )
    assert caught.value.code == "description_too_long"
    assert RefundRequest.objects.count() == 0


# --- after-sales window ---------------------------------------------------------------------------

SUCCEEDED = bj(2026, 4, 1, 10, 0)


def succeeded_item(buyer, merchant, *, after_sales_days=None):
    product = f.ProductFactory(merchant=merchant, after_sales_days=after_sales_days)
    return signed_item(
        buyer,
        merchant,
        signed_at=SUCCEEDED - timedelta(days=10),
        status=OrderStatus.SUCCEEDED,
        succeeded_at=SUCCEEDED,
        product=product,
    )


@pytest.mark.parametrize(
    ("after_sales_days", "last_moment"),
    [
        (None, bj(2026, 4, 16, 10, 0)),  # the default 15 days
        (30, bj(2026, 5, 1, 10, 0)),
        (180, bj(2026, 9, 28, 10, 0)),  # the cap
    ],
)
def test_after_sales_window(buyer, merchant, after_sales_days, last_moment):
    item = succeeded_item(buyer, merchant, after_sales_days=after_sales_days)
    error = refused_apply(
        "after_sales_window_passed",
        last_moment + timedelta(seconds=1),
        buyer=buyer,
        item=item,
        refund_type="refund_only",
    )
    assert isinstance(error, RefundNotAllowed)
    refund = apply_at(last_moment, buyer=buyer, item=item, refund_type="refund_only")
    assert refund.created_at == last_moment


def test_the_after_sales_window_reads_the_policy_table(buyer, merchant):
    Policy.objects.filter(key="refund.after_sales_window").update(value=20)
    item = succeeded_item(buyer, merchant)
    refused_apply("after_sales_window_passed", bj(2026, 4, 21, 10, 0, 1), buyer=buyer, item=item)
    assert apply_at(bj(2026, 4, 21, 10, 0), buyer=buyer, item=item).pk


def test_a_product_window_over_180_days_cannot_be_saved(merchant):
    f.ProductFactory(merchant=merchant, after_sales_days=180)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.ProductFactory(merchant=merchant, after_sales_days=181)


def test_before_trade_success_there_is_no_window_yet(buyer, merchant):
    # Signed long ago but the trade has not succeeded: the 15 days have not started.
    item = signed_item(buyer, merchant, signed_at=T0 - timedelta(days=90))
    assert apply_at(T0, buyer=buyer, item=item).pk


# --- 7-day no-reason return --------------------------------------------------------------------------

SIGNED = bj(2026, 4, 1, 15, 0)


def test_seven_day_window_ends_with_the_seventh_day_after_signing():
    policies = policy_table.load("refund.")
    # Day 1 is 2026-04-02 (the day after signing), day 7 is 2026-04-08: the whole of 04-08 is in time.
    assert seven_day_last_day(SIGNED, policies) == date(2026, 4, 8)
    # Beijing dates, not UTC: 00:30 on 04-02 in Beijing is still 04-01 in UTC.
    assert seven_day_last_day(bj(2026, 4, 2, 0, 30), policies) == date(2026, 4, 9)
    assert seven_day_last_day(bj(2026, 4, 1, 23, 59, 59), policies) == date(2026, 4, 8)
    assert seven_day_last_day(bj(2026, 4, 1, 0, 0), policies) == date(2026, 4, 8)


def test_seven_day_return_allowed_through_the_last_second_of_day_seven(buyer, merchant):
    item = signed_item(buyer, merchant, signed_at=SIGNED, services=COVER)
    error = refused_apply("seven_day_window_passed", bj(2026, 4, 9, 0, 0), buyer=buyer, item=item, reason="no_reason")
    assert isinstance(error, RefundNotAllowed)
    refund = apply_at(bj(2026, 4, 8, 23, 59, 59), buyer=buyer, item=item, reason="no_reason")
    assert refund.reason == "no_reason" and refund.refund_type == RefundType.RETURN_AND_REFUND
    assert refund.shipping_cover is True


def test_seven_day_return_right_after_signing(buyer, merchant):
    item = signed_item(buyer, merchant, signed_at=SIGNED)
    refund = apply_at(SIGNED, buyer=buyer, item=item, reason="no_reason")
    assert refund.shipping_cover is False  # no cover commitment on this item


def test_seven_day_window_follows_a_policy_change(buyer, merchant):
    Policy.objects.filter(key="refund.seven_day_window").update(value=15)
    item = signed_item(buyer, merchant, signed_at=SIGNED)
    refused_apply("seven_day_window_passed", bj(2026, 4, 17, 0, 0), buyer=buyer, item=item, reason="no_reason")
    assert apply_at(bj(2026, 4, 16, 23, 59, 59), buyer=buyer, item=item, reason="no_reason").pk


@pytest.mark.parametrize("exclusion", [e for e in SevenDayExclusion.values if e])
def test_each_seven_day_exclusion_is_refused(buyer, merchant, exclusion):
    product = f.ProductFactory(merchant=merchant, seven_day_exclusion=exclusion)
    item = signed_item(buyer, merchant, signed_at=SIGNED, product=product)
    refused_apply("seven_day_excluded", bj(2026, 4, 2, 10, 0), buyer=buyer, item=item, reason="no_reason")
    # The exclusion concerns no-reason returns only: a quality claim on the same item is fine.
    assert apply_at(bj(2026, 4, 2, 10, 0), buyer=buyer, item=item, reason="quality").pk


def test_a_product_without_seven_day_return_is_refused(buyer, merchant):
    product = f.ProductFactory(merchant=merchant, seven_day_return=False)
    item = signed_item(buyer, merchant, signed_at=SIGNED, product=product)
    refused_apply("seven_day_excluded", bj(2026, 4, 2, 10, 0), buyer=buyer, item=item, reason="no_reason")


def test_an_item_the_buyer_confirmed_as_excluded_is_refused(buyer, merchant):
    item = signed_item(buyer, merchant, signed_at=SIGNED)
    item.seven_day_excluded_by_buyer = True
    item.save()
    refused_apply("seven_day_excluded", bj(2026, 4, 2, 10, 0), buyer=buyer, item=item, reason="no_reason")


def test_seven_day_return_needs_the_goods_signed_for(buyer, merchant):
    item = in_transit_item(buyer, merchant)
    refused_apply("seven_day_not_signed", T0, buyer=buyer, item=item, reason="no_reason")


@pytest.mark.parametrize(("refund_type", "amount"), [("refund_only", 50_000), ("exchange", None), ("repair", None)])
def test_seven_day_return_must_be_a_return_and_refund(buyer, merchant, refund_type, amount):
    item = signed_item(buyer, merchant, signed_at=SIGNED)
    refused_apply(
        "seven_day_needs_return",
        bj(2026, 4, 2, 10, 0),
        buyer=buyer,
        item=item,
        reason="no_reason",
        refund_type=refund_type,
        amount_fen=amount,
    )


# --- damage return guarantee (破损包退) ---------------------------------------------------------------


def test_damage_claim_within_72_hours_of_signing(buyer, merchant):
    item = signed_item(buyer, merchant, signed_at=SIGNED, services=DAMAGE)
    error = refused_apply(
        "damage_claim_window_passed",
        bj(2026, 4, 4, 15, 0, 1),
        buyer=buyer,
        item=item,
        reason="damaged",
        damage_guarantee=True,
    )
    assert isinstance(error, RefundNotAllowed)
    refund = apply_at(bj(2026, 4, 4, 15, 0), buyer=buyer, item=item, reason="damaged", damage_guarantee=True)
    assert refund.damage_guarantee is True
    # The merchant has 24 hours, not the usual 2 days.
    assert (refund.due_at, refund.due_action) == (bj(2026, 4, 5, 15, 0), DueAction.AGREE)


def test_damage_claim_needs_the_commitment(buyer, merchant):
    item = signed_item(buyer, merchant, signed_at=SIGNED, services=COVER)
    refused_apply(
        "no_damage_guarantee", bj(2026, 4, 2, 10, 0), buyer=buyer, item=item, reason="damaged", damage_guarantee=True
    )


@pytest.mark.parametrize("reason", ["quality", "no_reason", "not_as_described", "missing_parts"])
def test_damage_claim_needs_the_reason_damaged(buyer, merchant, reason):
    item = signed_item(buyer, merchant, signed_at=SIGNED, services=DAMAGE)
    refused_apply(
        "damage_reason_required", bj(2026, 4, 2, 10, 0), buyer=buyer, item=item, reason=reason, damage_guarantee=True
    )


def test_damage_claim_needs_the_goods_signed_for(buyer, merchant):
    item = in_transit_item(buyer, merchant)
    item.commitments.create(kind=DAMAGE[0])
    refused_apply("damage_claim_window_passed", T0, buyer=buyer, item=item, reason="damaged", damage_guarantee=True)


def test_a_damaged_reason_without_the_claim_is_an_ordinary_request(buyer, merchant):
    item = signed_item(buyer, merchant, signed_at=SIGNED, services=DAMAGE)
    # After the 72 hours the buyer can still ask for an ordinary refund, without the guarantee's terms.
    refund = apply_at(bj(2026, 4, 10, 10, 0), buyer=buyer, item=item, reason="damaged")
    assert refund.damage_guarantee is False
    assert refund.due_at == bj(2026, 4, 12, 10, 0)


def test_instant_refund_is_applied_for_a_return_by_a_buyer_with_a_quota(buyer, merchant):
    item = signed_item(buyer, merchant)
    assert apply_at(T0, buyer=buyer, item=item).advance_state == AdvanceState.NONE  # no quota
    buyer.instant_refund_quota_fen = 30_000
    buyer.save()
    other = signed_item(buyer, merchant)
    assert apply_at(T0, buyer=buyer, item=other).advance_state == AdvanceState.APPLIED
    refund_only = signed_item(buyer, merchant)
    assert apply_at(T0, buyer=buyer, item=refund_only, refund_type="refund_only").advance_state == AdvanceState.NONE
