"""Buyer API for refunds and after-sales: apply (JSON and multipart), bad input, windows, reopening, list/read,
modify, cancel, return shipping, express rights protection, intervention, scoping and query counts."""

import io
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from disputes.choices import CreditRating, ServiceKind
from disputes.models import (
    AdvanceState,
    ExpressClaim,
    Intervention,
    OrderStatus,
    RefundEvidence,
    RefundRequest,
    RefundState,
)
from disputes.services.interventions.deciding import intervention_judge
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import intervention_accept
from disputes.services.refunds.buyer import refund_apply
from disputes.services.refunds.merchant import refund_agree, refund_refuse
from tests import factories as f
from tests.api.helpers import BJ, T0, assert_fields_refused, client_for, token_client

pytestmark = pytest.mark.django_db

LIST = reverse("api:buyer-refund-list")


def detail_url(pk, action=None):
    if action is None:
        return reverse("api:buyer-refund-detail", args=[pk])
    return reverse(f"api:buyer-refund-{action}", args=[pk])


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name="crack.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def fake_jpeg(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"This is a text file, not a photo.\n" * 20, content_type="image/jpeg")


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def order_item(buyer, merchant, *, services=(), amount_paid_fen=300_000, **order):
    """An order item of `buyer` from `merchant`; by default shipped 4 days and signed 2 days before T0."""
    return f.OrderItemFactory(
        order=f.OrderFactory(buyer=buyer, merchant=merchant, **order),
        amount_paid_fen=amount_paid_fen,
        services=list(services),
    )


def apply(buyer, item, *, refund_type="return_refund", reason="quality", amount_fen=50_000, **kwargs):
    """Apply through the service at the current (frozen) time."""
    return refund_apply(
        actor=buyer.user,
        order_item_id=item.pk,
        refund_type=refund_type,
        reason=reason,
        amount_fen=amount_fen,
        description=kwargs.pop("description", "The cabinet door arrived cracked."),
        **kwargs,
    )


@pytest.fixture
def goods(buyer, merchant):
    """A signed order item worth 3,000 元 (300,000 fen)."""
    return order_item(buyer, merchant)


@pytest.fixture
def refused(buyer, goods, merchant_user):
    """A quality return-and-refund of 500 元 that the merchant refused at T0."""
    refund = apply(buyer, goods)
    refund_refuse(actor=merchant_user, refund_id=refund.pk, reason="The photos show no damage.")
    return refund


# --- apply -------------------------------------------------------------------------------------


def test_buyer_applies_as_json_and_sees_the_merchants_deadline(buyer, goods, merchant):
    resp = client_for(buyer.user).post(
        LIST,
        {
            "order_item": goods.pk,
            "refund_type": "return_refund",
            "reason": "quality",
            "amount_fen": 50_000,
            "description": "The cabinet door arrived cracked.",
        },
        format="json",
        # Labels follow the caller's language (LocaleMiddleware; the default is Chinese): pin English here.
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert resp.status_code == 201, resp.content
    body = resp.json()
    stored = RefundRequest.objects.get()
    assert body["id"] == stored.pk
    assert body["number"] == f"RF-{stored.pk}"
    assert stored.buyer == buyer and stored.order_item == goods and stored.merchant == merchant
    assert stored.amount_fen == 50_000
    assert body["state"] == "wait_seller_agree"
    assert body["state_label"] == "Waiting for the merchant (等待卖家同意)"
    assert body["advance_state"] == "none"
    assert body["refund_type"] == "return_refund" and body["reason"] == "quality"
    assert body["amount_fen"] == 50_000
    # Nothing refunded yet: all 3,000 元 are still refundable.
    assert body["refundable_fen"] == 300_000
    assert body["amount_paid_fen"] == 300_000
    assert body["merchant_shop_name"] == merchant.shop_name
    assert body["order_no"] == goods.order.order_no
    assert body["description"] == "The cabinet door arrived cracked."
    assert body["created_at"] == "2026-03-02T10:00:00+08:00"
    # Return and refund, merchant silent 2 days: agreed on its behalf.
    assert body["due_at"] == "2026-03-04T10:00:00+08:00"
    assert body["due_action"] == "agree"
    assert body["due_action_label"] == "Agreed on the merchant's behalf"
    assert body["order_shipped"] is True
    for stamp in ("modified_at", "agreed_at", "return_shipped_at", "refused_at", "closed_at", "succeeded_at"):
        assert body[stamp] is None
    assert body["return_address"] == ""
    assert body["evidence"] == [] and body["express_claims"] == [] and body["interventions"] == []


def test_buyer_applies_as_multipart_with_a_real_png(buyer, merchant, media_root):
    unshipped = order_item(
        buyer, merchant, status=OrderStatus.PAID, shipped_at=None, signed_at=None, amount_paid_fen=80_000
    )
    resp = client_for(buyer.user).post(
        LIST,
        {
            "order_item": unshipped.pk,
            "refund_type": "refund_only",
            "reason": "other",
            "amount_fen": "80000",
            "description": "Ordered the wrong colour.",
            "files": [png_upload()],
        },
        format="multipart",
    )

    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["amount_fen"] == 80_000
    assert body["order_shipped"] is False
    # Not shipped, merchant silent 24 h: the refund is paid.
    assert body["due_at"] == "2026-03-03T10:00:00+08:00"
    assert body["due_action"] == "pay"
    evidence = body["evidence"]
    assert len(evidence) == 1
    # Metadata only: no file path or URL leaves private storage.
    assert set(evidence[0]) == {"id", "purpose", "original_name", "content_type", "size", "uploaded_at"}
    assert (evidence[0]["original_name"], evidence[0]["content_type"], evidence[0]["size"]) == (
        "crack.png",
        "image/png",
        len(png_bytes()),
    )
    assert evidence[0]["purpose"] == "application"
    stored = RefundEvidence.objects.get()
    assert stored.refund_id == body["id"] and stored.uploaded_by == buyer.user
    assert [p.read_bytes() for p in stored_files(media_root)] == [png_bytes()]


@pytest.mark.parametrize(("signed_hours_ago", "status_code"), [(48, 201), (73, 422)])
def test_damage_guarantee_claim_as_multipart(buyer, merchant, signed_hours_ago, status_code):
    signed = T0 - timedelta(hours=signed_hours_ago)
    item = order_item(
        buyer,
        merchant,
        services=[ServiceKind.DAMAGE_GUARANTEE],
        paid_at=signed - timedelta(days=3),
        shipped_at=signed - timedelta(days=2),
        signed_at=signed,
    )
    resp = client_for(buyer.user).post(
        LIST,
        {
            "order_item": item.pk,
            "refund_type": "return_refund",
            "reason": "damaged",
            "amount_fen": "100000",
            "damage_guarantee": "true",
            "files": [png_upload("dent.png")],
        },
        format="multipart",
    )
    assert resp.status_code == status_code, resp.content
    if status_code == 201:
        body = resp.json()
        assert body["damage_guarantee"] is True
        # A damage claim gives the merchant 24 h, not the usual 2 days.
        assert (body["due_at"], body["due_action"]) == ("2026-03-03T10:00:00+08:00", "agree")
    else:
        # Claims are accepted within 72 h of signing.
        assert resp.json()["code"] == "damage_claim_window_passed"
        assert RefundRequest.objects.count() == 0
        assert RefundEvidence.objects.count() == 0


def test_a_text_file_renamed_jpg_is_refused_and_nothing_is_stored(buyer, goods, media_root):
    resp = client_for(buyer.user).post(
        LIST,
        {
            "order_item": goods.pk,
            "refund_type": "return_refund",
            "reason": "damaged",
            "amount_fen": "10000",
            "files": [png_upload(), fake_jpeg()],
        },
        format="multipart",
    )

    assert resp.status_code == 400
    assert resp.json()["code"] == "evidence_type_refused"
    assert "photo.jpg" in resp.json()["message"]
    assert RefundRequest.objects.count() == 0
    assert RefundEvidence.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("amount", "fmt", "code"),
    [
        # Type errors (the serializer finds them) and value errors (the service finds them) share one code.
        ("abc", "json", "invalid_amount"),
        (12.5, "json", "invalid_amount"),
        (True, "json", "invalid_amount"),
        ("abc", "multipart", "invalid_amount"),
        ("12.5", "multipart", "invalid_amount"),
        (0, "json", "invalid_amount"),
        (-1, "json", "invalid_amount"),
        ("-1", "multipart", "invalid_amount"),
        (2**63, "json", "invalid_amount"),
        ("9" * 40, "multipart", "invalid_amount"),
        # A well-formed amount that a business rule refuses: 422.
        (300_001, "json", "amount_exceeds_refundable"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_stored(buyer, goods, amount, fmt, code):
    resp = client_for(buyer.user).post(
        LIST,
        {"order_item": goods.pk, "refund_type": "refund_only", "reason": "quality", "amount_fen": amount},
        format=fmt,
    )

    assert resp.status_code == (422 if code == "amount_exceeds_refundable" else 400)
    body = resp.json()
    assert body["code"] == code
    assert RefundRequest.objects.count() == 0


def test_a_money_refund_without_an_amount_is_refused(buyer, goods):
    resp = client_for(buyer.user).post(
        LIST, {"order_item": goods.pk, "refund_type": "refund_only", "reason": "quality"}, format="json"
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_amount"
    assert RefundRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("refund_type", "amount", "status", "code"),
    [
        ("return_refund", None, 400, "invalid_amount"),
        ("exchange", 100, 400, "amount_not_allowed"),
        ("repair", 0, 400, "invalid_amount"),
        ("exchange", None, 201, None),
        ("repair", "omitted", 201, None),
    ],
)
def test_the_amount_is_required_exactly_where_the_document_says(agent, buyer, goods, refund_type, amount, status, code):
    """OpenAPI cannot make `amount_fen` required on `refund_type`'s value; its description says what happens."""
    field = (
        client_for(agent)
        .get(reverse("api:schema"), {"format": "json"})
        .json()["components"]["schemas"]["BuyerRefundApplyRequest"]["properties"]["amount_fen"]
    )
    assert "Required when `refund_type` is `refund_only` or `return_refund`" in field["description"]
    assert "(400 `amount_not_allowed`" in field["description"]
    body = {"order_item": goods.pk, "refund_type": refund_type, "reason": "quality", "amount_fen": amount}
    if amount == "omitted":
        del body["amount_fen"]
    resp = client_for(buyer.user).post(LIST, body, format="json")
    assert resp.status_code == status, resp.content
    assert resp.json().get("code") == code


def test_the_refundable_amount_counts_earlier_successful_refunds(buyer, goods, merchant_user, clock):
    first = apply(buyer, goods, refund_type="refund_only", amount_fen=100_000)
    refund_agree(actor=merchant_user, refund_id=first.pk)
    clock.shift(timedelta(hours=1))
    api = client_for(buyer.user)

    # 3,000 元 paid − 1,000 元 refunded = 2,000 元 left.
    row = api.get(LIST).json()["results"][0]
    assert (row["id"], row["state"], row["refundable_fen"]) == (first.pk, "success", 200_000)
    payload = {"order_item": goods.pk, "refund_type": "refund_only", "reason": "quality"}
    over = api.post(LIST, {**payload, "amount_fen": 200_001}, format="json")
    assert over.status_code == 422
    assert over.json()["code"] == "amount_exceeds_refundable"
    assert over.json()["details"] == {"refundable_fen": 200_000}
    assert RefundRequest.objects.count() == 1

    resp = api.post(LIST, {**payload, "amount_fen": 200_000}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["refundable_fen"] == 200_000


def test_the_refundable_amount_counts_a_refund_judged_on_a_case_without_a_refund_request(
    buyer, goods, merchant_user, agent, clock
):
    # The buyer went straight to the platform about the item; the judgment paid 1,000 元 with no refund request.
    case = intervention_open(actor=buyer.user, ground="quality", claim="It broke.", order_item_id=goods.pk)
    intervention_accept(actor=agent, case_id=case.pk)
    intervention_judge(actor=agent, case_id=case.pk, outcome="partial_refund", refund_fen=100_000, reasons="Broken.")
    clock.shift(timedelta(hours=1))
    refund = apply(buyer, goods, refund_type="refund_only", amount_fen=50_000)
    api = client_for(buyer.user)

    # 3,000 元 paid − 1,000 元 judged = 2,000 元 left: the list and the detail say what the service enforces.
    assert api.get(LIST).json()["results"][0]["refundable_fen"] == 200_000
    assert api.get(detail_url(refund.pk)).json()["refundable_fen"] == 200_000


@pytest.mark.parametrize(
    ("changes", "bad_fields"),
    [
        ({"order_item": None}, {"order_item": "order_item_required"}),
        ({"order_item": "abc"}, {"order_item": "invalid_order_item"}),
        ({"refund_type": "swap"}, {"refund_type": "invalid_type"}),
        ({"reason": "changed_my_mind"}, {"reason": "invalid_reason"}),
        ({"description": "x" * 2001}, {"description": "description_too_long"}),
    ],
)
def test_invalid_fields_are_refused_per_field(buyer, goods, changes, bad_fields):
    payload = {"order_item": goods.pk, "refund_type": "refund_only", "reason": "quality", "amount_fen": 100, **changes}
    resp = client_for(buyer.user).post(LIST, payload, format="json")
    assert resp.status_code == 400
    assert_fields_refused(resp.json(), bad_fields)
    assert RefundRequest.objects.count() == 0


def test_another_buyers_order_item_is_not_found(other_buyer, goods):
    resp = client_for(other_buyer.user).post(
        LIST,
        {"order_item": goods.pk, "refund_type": "refund_only", "reason": "quality", "amount_fen": 100},
        format="json",
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "order_item_not_found"
    assert RefundRequest.objects.count() == 0


@pytest.mark.parametrize(("days_ago", "status_code"), [(16, 422), (14, 201)])
def test_the_after_sales_window_is_15_days_from_trade_success(buyer, merchant, days_ago, status_code):
    succeeded = T0 - timedelta(days=days_ago)
    item = order_item(
        buyer,
        merchant,
        status=OrderStatus.SUCCEEDED,
        paid_at=succeeded - timedelta(days=9),
        shipped_at=succeeded - timedelta(days=8),
        signed_at=succeeded - timedelta(days=6),
        succeeded_at=succeeded,
    )
    resp = client_for(buyer.user).post(
        LIST,
        {"order_item": item.pk, "refund_type": "return_refund", "reason": "quality", "amount_fen": 10_000},
        format="json",
    )
    assert resp.status_code == status_code, resp.content
    if status_code == 422:
        assert resp.json()["code"] == "after_sales_window_passed"
        assert RefundRequest.objects.count() == 0
    else:
        assert RefundRequest.objects.count() == 1


@pytest.mark.parametrize(("signed_days_ago", "status_code"), [(8, 422), (7, 201)])
def test_the_seven_day_return_starts_the_day_after_signing(buyer, merchant, signed_days_ago, status_code):
    # Signed 8 days ago (Feb 22): days 1-7 are Feb 23 - Mar 1, so on Mar 2 the window has passed.
    # Signed 7 days ago (Feb 23): Mar 2 is day 7, still inside.
    signed = T0 - timedelta(days=signed_days_ago)
    item = order_item(
        buyer,
        merchant,
        services=[ServiceKind.SEVEN_DAY_RETURN],
        paid_at=signed - timedelta(days=3),
        shipped_at=signed - timedelta(days=2),
        signed_at=signed,
    )
    resp = client_for(buyer.user).post(
        LIST,
        {"order_item": item.pk, "refund_type": "return_refund", "reason": "no_reason", "amount_fen": 10_000},
        format="json",
    )
    assert resp.status_code == status_code, resp.content
    if status_code == 422:
        assert resp.json()["code"] == "seven_day_window_passed"
        assert RefundRequest.objects.count() == 0
    else:
        assert RefundRequest.objects.count() == 1


def test_reapplying_after_a_cancellation_is_refused(buyer, goods):
    api = client_for(buyer.user)
    payload = {"order_item": goods.pk, "refund_type": "return_refund", "reason": "quality", "amount_fen": 20_000}
    first = api.post(LIST, payload, format="json")
    assert first.status_code == 201, first.content
    assert api.post(detail_url(first.json()["id"], "cancel")).status_code == 200

    again = api.post(LIST, payload, format="json")
    assert again.status_code == 422
    assert again.json()["code"] == "reopen_refused"
    assert RefundRequest.objects.count() == 1


def test_a_second_live_request_on_the_same_item_is_refused(buyer, goods):
    apply(buyer, goods)
    resp = client_for(buyer.user).post(
        LIST,
        {"order_item": goods.pk, "refund_type": "refund_only", "reason": "quality", "amount_fen": 100},
        format="json",
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "refund_exists"
    assert RefundRequest.objects.count() == 1


# --- who may call ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["merchant_user", "agent"])
def test_a_caller_who_is_not_a_buyer_gets_buyer_required(request, who, goods):
    api = client_for(request.getfixturevalue(who))
    payload = {"order_item": goods.pk, "refund_type": "refund_only", "reason": "quality", "amount_fen": 100}
    for resp in (api.get(LIST), api.post(LIST, payload, format="json")):
        assert resp.status_code == 403
        assert resp.json()["code"] == "buyer_required"
    assert RefundRequest.objects.count() == 0


def test_anonymous_caller_is_not_authenticated(api):
    assert api.get(LIST).status_code == 401


# --- list and read -----------------------------------------------------------------------------


def test_buyer_lists_and_reads_only_their_own_refunds(buyer, other_buyer, merchant, clock):
    mine_first = apply(buyer, order_item(buyer, merchant))
    clock.shift(timedelta(minutes=5))
    mine_second = apply(buyer, order_item(buyer, merchant), refund_type="refund_only")
    theirs = apply(other_buyer, order_item(other_buyer, merchant))

    api = client_for(buyer.user)
    body = api.get(LIST).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [mine_second.pk, mine_first.pk]
    assert body["results"][0]["due_action"] == "pay"
    assert body["results"][1]["due_action"] == "agree"

    assert api.get(detail_url(mine_first.pk)).status_code == 200
    for pk in (theirs.pk, 999_999, "abc"):
        resp = api.get(detail_url(pk))
        assert resp.status_code == 404
        assert resp.json()["code"] == "refund_not_found"


def test_buyer_cannot_act_on_another_buyers_refund(other_buyer, refused, media_root):
    api = client_for(other_buyer.user)
    for action, payload, fmt in (
        ("cancel", {}, "json"),
        ("modify", {"amount_fen": 100}, "json"),
        ("ship-return", {"carrier": "SF", "waybill": "SF1"}, "json"),
        ("intervention", {"reason": "Help."}, "json"),
        ("express-claim", {"description": "Broken.", "files": [png_upload()]}, "multipart"),
    ):
        resp = api.post(detail_url(refused.pk, action), payload, format=fmt)
        assert resp.status_code == 404, action
        assert resp.json()["code"] == "refund_not_found"
    refused.refresh_from_db()
    assert refused.state == RefundState.SELLER_REFUSED
    assert refused.amount_fen == 50_000
    assert ExpressClaim.objects.count() == 0 and Intervention.objects.count() == 0
    assert RefundEvidence.objects.count() == 0


def test_buyer_list_does_not_query_per_row(buyer, clock, django_assert_max_num_queries):
    for _ in range(6):
        apply(buyer, order_item(buyer, f.MerchantFactory()))
        clock.shift(timedelta(seconds=1))
    api = token_client(buyer.user)
    # Token + user, buyer, count, page (the refundable amount is a subquery of the page query).
    # A per-row lookup of merchant, order, product or refunded sum would add at least 6.
    with django_assert_max_num_queries(5):
        resp = api.get(LIST)
    assert resp.status_code == 200
    assert resp.json()["count"] == 6
    assert {row["refundable_fen"] for row in resp.json()["results"]} == {300_000}


def test_detail_does_not_query_per_evidence_file(buyer, goods, django_assert_max_num_queries):
    refund = apply(buyer, goods, files=[png_upload("a.png"), png_upload("b.png"), png_upload("c.png")])
    api = token_client(buyer.user)
    # Token + user, buyer, the row, evidence, express claims, intervention cases, and the policies its deadline used
    # (the explanation: one query, whatever the number of files).
    with django_assert_max_num_queries(7):
        resp = api.get(detail_url(refund.pk))
    assert [e["original_name"] for e in resp.json()["evidence"]] == ["a.png", "b.png", "c.png"]


# --- modify and cancel -------------------------------------------------------------------------


def test_buyer_modifies_a_refused_request(buyer, refused, clock):
    clock.move_to(datetime(2026, 3, 3, 9, 0, tzinfo=BJ))
    resp = client_for(buyer.user).post(
        detail_url(refused.pk, "modify"),
        {"amount_fen": 40_000, "reason": "damaged", "description": "Cracked in transit, see the box."},
        format="json",
    )

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "wait_seller_agree"
    assert (body["amount_fen"], body["reason"]) == (40_000, "damaged")
    assert body["description"] == "Cracked in transit, see the box."
    assert body["modified_at"] == "2026-03-03T09:00:00+08:00"
    assert body["refused_at"] is None
    # A fresh 2 days for the merchant, from the modification.
    assert body["due_at"] == "2026-03-05T09:00:00+08:00"
    assert body["due_action"] == "agree"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"amount_fen": "abc"}, "invalid_amount"),
        ({"amount_fen": 12.5}, "invalid_amount"),
        ({"amount_fen": 0}, "invalid_amount"),
        ({"amount_fen": -1}, "invalid_amount"),
        ({"amount_fen": 300_001}, "amount_exceeds_refundable"),
        ({"reason": "bored"}, "invalid_reason"),
    ],
)
def test_bad_modifications_change_nothing(buyer, refused, payload, code):
    resp = client_for(buyer.user).post(detail_url(refused.pk, "modify"), payload, format="json")
    assert resp.status_code == (422 if code == "amount_exceeds_refundable" else 400)
    assert resp.json()["code"] == code
    refused.refresh_from_db()
    assert refused.state == RefundState.SELLER_REFUSED
    assert (refused.amount_fen, refused.reason) == (50_000, "quality")


def test_only_a_refused_request_can_be_modified(buyer, goods):
    refund = apply(buyer, goods)
    resp = client_for(buyer.user).post(detail_url(refund.pk, "modify"), {"amount_fen": 100}, format="json")
    assert resp.status_code == 409
    assert resp.json()["code"] == "invalid_transition"
    refund.refresh_from_db()
    assert refund.amount_fen == 50_000


def test_buyer_cancels(buyer, goods, clock):
    refund = apply(buyer, goods)
    clock.shift(timedelta(minutes=30))
    resp = client_for(buyer.user).post(detail_url(refund.pk, "cancel"))

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "closed"
    assert body["cancelled_by_buyer"] is True
    assert body["closed_at"] == "2026-03-02T10:30:00+08:00"
    assert body["due_at"] is None and body["due_action"] == ""
    assert client_for(buyer.user).post(detail_url(refund.pk, "cancel")).status_code == 409


# --- the return --------------------------------------------------------------------------------


def test_buyer_ships_the_return_and_gets_an_instant_refund(buyer, goods, merchant, merchant_user, clock):
    buyer.instant_refund_quota_fen = 90_000
    buyer.save()
    refund = apply(buyer, goods)
    refund_agree(actor=merchant_user, refund_id=refund.pk)
    api = client_for(buyer.user)
    agreed = api.get(detail_url(refund.pk)).json()
    assert agreed["state"] == "wait_buyer_return"
    assert agreed["return_address"] == "王售后 021-5555-0000 上海市浦东新区张江路 1 号 退货仓"
    assert agreed["advance_state"] == "applied"
    assert (agreed["due_at"], agreed["due_action"]) == ("2026-03-09T10:00:00+08:00", "close_not_shipped")

    clock.move_to(datetime(2026, 3, 3, 15, 0, tzinfo=BJ))
    resp = api.post(detail_url(refund.pk, "ship-return"), {"carrier": "SF Express", "waybill": "SF1234567"})

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "wait_seller_confirm"
    assert (body["return_carrier"], body["return_waybill"]) == ("SF Express", "SF1234567")
    assert body["return_shipped_at"] == "2026-03-03T15:00:00+08:00"
    # 500 元 is inside the 900 元 quota: the platform pays now.
    assert body["advance_state"] == "advanced"
    assert (body["due_at"], body["due_action"]) == ("2026-03-13T15:00:00+08:00", "pay")
    refund.refresh_from_db()
    assert refund.advance_state == AdvanceState.ADVANCED


def test_ship_return_needs_carrier_and_waybill(buyer, goods, merchant_user):
    refund = apply(buyer, goods)
    refund_agree(actor=merchant_user, refund_id=refund.pk)
    resp = client_for(buyer.user).post(detail_url(refund.pk, "ship-return"), {"carrier": "SF"}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()["fields"]) == {"waybill"}
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_BUYER_RETURN


# --- express rights protection and intervention ------------------------------------------------


@pytest.fixture
def excellent(buyer):
    buyer.credit_rating = CreditRating.EXCELLENT
    buyer.save()
    return buyer


def test_excellent_buyer_claims_express_protection_with_a_photo(excellent, refused, clock, media_root):
    clock.move_to(datetime(2026, 3, 2, 14, 0, tzinfo=BJ))
    api = client_for(excellent.user)
    resp = api.post(
        detail_url(refused.pk, "express-claim"),
        {"description": "The door is split along the hinge.", "files": [png_upload("hinge.png")]},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert resp.status_code == 201, resp.content
    body = resp.json()
    claim = ExpressClaim.objects.get()
    assert body["id"] == claim.pk and claim.refund_id == refused.pk
    assert (body["status"], body["status_label"]) == ("pending", "Awaiting staff verification")
    assert body["submitted_at"] == "2026-03-02T14:00:00+08:00"
    assert body["description"] == "The door is split along the hinge."

    detail = api.get(detail_url(refused.pk)).json()
    assert [(c["id"], c["status"]) for c in detail["express_claims"]] == [(claim.pk, "pending")]
    assert [(e["purpose"], e["original_name"]) for e in detail["evidence"]] == [("express_claim", "hinge.png")]
    # The refusal's automatic close is stopped while staff verify.
    assert detail["due_at"] is None and detail["due_action"] == ""
    assert len(stored_files(media_root)) == 1


@pytest.mark.parametrize("rating", [CreditRating.ORDINARY, CreditRating.GOOD])
def test_express_claim_by_a_lower_rated_buyer_is_refused(buyer, refused, rating, media_root):
    buyer.credit_rating = rating
    buyer.save()
    resp = client_for(buyer.user).post(
        detail_url(refused.pk, "express-claim"),
        {"description": "Broken.", "files": [png_upload()]},
        format="multipart",
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "express_rating_required"
    assert ExpressClaim.objects.count() == 0
    assert RefundEvidence.objects.count() == 0
    assert stored_files(media_root) == []
    refused.refresh_from_db()
    assert refused.due_at is not None


def test_express_claim_needs_at_least_one_photo(excellent, refused):
    resp = client_for(excellent.user).post(
        detail_url(refused.pk, "express-claim"), {"description": "Broken."}, format="multipart"
    )
    assert resp.status_code == 400
    assert_fields_refused(resp.json(), {"files": "files_required"})
    assert ExpressClaim.objects.count() == 0


def test_express_claim_with_a_renamed_text_file_is_refused(excellent, refused, media_root):
    resp = client_for(excellent.user).post(
        detail_url(refused.pk, "express-claim"),
        {"description": "Broken.", "files": [fake_jpeg()]},
        format="multipart",
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "evidence_type_refused"
    assert ExpressClaim.objects.count() == 0
    assert stored_files(media_root) == []


def test_express_claim_is_not_taken_as_json(excellent, refused):
    resp = client_for(excellent.user).post(
        detail_url(refused.pk, "express-claim"), {"description": "Broken."}, format="json"
    )
    assert resp.status_code == 415
    assert ExpressClaim.objects.count() == 0


def test_buyer_asks_for_intervention_after_a_refusal(buyer, refused, clock):
    clock.move_to(datetime(2026, 3, 4, 9, 0, tzinfo=BJ))
    api = client_for(buyer.user)
    resp = api.post(detail_url(refused.pk, "intervention"), {"reason": "The merchant ignores my photos."})

    assert resp.status_code == 201, resp.content
    case = Intervention.objects.get()
    assert (case.refund_id, case.applicant, case.claim) == (refused.pk, "buyer", "The merchant ignores my photos.")
    summary = {
        "id": case.pk,
        "number": f"IV-{case.pk}",
        "state": "applied",
        "state_label": "Applied (需要客服介入)",
        "ground": "quality",  # the refund's reason, quality, is the case's ground
        "applied_at": "2026-03-04T09:00:00+08:00",
        "priority": 0,
    }
    assert resp.json() == summary
    detail = api.get(detail_url(refused.pk)).json()
    assert detail["intervention_requested_at"] == "2026-03-04T09:00:00+08:00"
    assert detail["due_at"] is None
    assert detail["interventions"] == [summary]

    again = api.post(detail_url(refused.pk, "intervention"), {"reason": "Again."})
    assert again.status_code == 422
    assert again.json()["code"] == "intervention_exists"
    assert Intervention.objects.count() == 1


def test_intervention_before_a_refusal_is_not_available(buyer, goods):
    refund = apply(buyer, goods)
    resp = client_for(buyer.user).post(detail_url(refund.pk, "intervention"), {"reason": "Too slow."})
    assert resp.status_code == 409
    assert resp.json()["code"] == "intervention_not_available"
    assert Intervention.objects.count() == 0
