"""Merchant API for refunds and after-sales: scoping, who may call, agree, refuse (with evidence), goods receipt,
reship, intervention, work-list filters and ordering, query counts, and the schema entries."""

import io
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from disputes.choices import CreditRating
from disputes.models import Intervention, RefundEvidence, RefundRequest, RefundState
from disputes.services.refunds.buyer import refund_apply, refund_cancel, refund_ship_return
from disputes.services.refunds.express import refund_express_claim, refund_express_decide
from disputes.services.refunds.merchant import refund_agree, refund_refuse
from tests import factories as f
from tests.api.helpers import BJ, T0, assert_fields_refused, token_client

pytestmark = pytest.mark.django_db

LIST = reverse("api:merchant-refund-list")


def detail_url(pk, action=None):
    if action is None:
        return reverse("api:merchant-refund-detail", args=[pk])
    return reverse(f"api:merchant-refund-{action}", args=[pk])


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 160, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name="box.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def fake_jpeg(name="proof.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"Plain text pretending to be a photo.\n" * 20, content_type="image/jpeg")


def order_item(buyer, merchant, *, amount_paid_fen=300_000):
    """A signed order item of `buyer` from `merchant` (shipped 4 days, signed 2 days before now)."""
    return f.OrderItemFactory(
        order=f.OrderFactory(buyer=buyer, merchant=merchant), amount_paid_fen=amount_paid_fen, services=[]
    )


def apply(buyer, merchant, *, refund_type="return_refund", reason="quality", amount_fen=50_000):
    """Apply through the service, on a new item, at the current (frozen) time."""
    return refund_apply(
        actor=buyer.user,
        order_item_id=order_item(buyer, merchant).pk,
        refund_type=refund_type,
        reason=reason,
        amount_fen=None if refund_type in ("exchange", "repair") else amount_fen,
        description="Not what I ordered.",
    )


def ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.content
    return [row["id"] for row in resp.json()["results"]]


def shipped_back(buyer, merchant, merchant_user, *, refund_type="return_refund") -> RefundRequest:
    """A request the merchant agreed to and whose goods the buyer shipped back."""
    refund = apply(buyer, merchant, refund_type=refund_type)
    refund_agree(actor=merchant_user, refund_id=refund.pk)
    refund_ship_return(actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF900")
    refund.refresh_from_db()
    return refund


# --- scoping and who may call ------------------------------------------------------------------


def test_merchant_lists_and_reads_only_its_own_refunds(buyer, merchant, merchant_user, clock):
    mine = apply(buyer, merchant)
    clock.shift(timedelta(minutes=5))
    cancelled = apply(buyer, merchant, refund_type="refund_only")
    refund_cancel(actor=buyer.user, refund_id=cancelled.pk)
    elsewhere = apply(buyer, f.MerchantFactory())

    api = token_client(merchant_user)
    # Cancelled requests stay on the merchant's list (closed): unlike help requests, they were seen.
    assert ids(api.get(LIST)) == [cancelled.pk, mine.pk]
    row = api.get(LIST).json()["results"][1]
    assert row["state"] == "wait_seller_agree"
    assert row["buyer_nickname"] == buyer.nickname
    assert row["amount_fen"] == 50_000 and row["refundable_fen"] == 300_000
    assert (row["due_at"], row["due_action"]) == ("2026-03-04T10:00:00+08:00", "agree")

    assert api.get(detail_url(mine.pk)).status_code == 200
    for pk in (elsewhere.pk, 999_999, "abc"):
        resp = api.get(detail_url(pk))
        assert resp.status_code == 404
        assert resp.json()["code"] == "refund_not_found"


def test_merchant_cannot_act_on_another_merchants_refund(buyer, merchant, other_merchant_user):
    refund = apply(buyer, merchant)
    api = token_client(other_merchant_user)

    assert ids(api.get(LIST)) == []
    for action, payload, fmt in (
        ("agree", {}, "json"),
        ("refuse", {"reason": "No.", "files": [png_upload()]}, "multipart"),
        ("confirm-goods", {}, "json"),
        ("refuse-goods", {"reason": "No."}, "multipart"),
        ("reship", {"waybill": "YT1"}, "json"),
        ("intervention", {"reason": "Help."}, "json"),
    ):
        resp = api.post(detail_url(refund.pk, action), payload, format=fmt)
        assert resp.status_code == 404, action
        assert resp.json()["code"] == "refund_not_found"
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE
    assert RefundEvidence.objects.count() == 0


def test_a_service_provider_user_gets_party_required(buyer, merchant, provider_user):
    refund = apply(buyer, merchant)
    api = token_client(provider_user)
    for resp in (api.get(LIST), api.get(detail_url(refund.pk)), api.post(detail_url(refund.pk, "agree"))):
        assert resp.status_code == 403
        assert resp.json()["code"] == "party_required"
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE


@pytest.mark.parametrize("who", ["buyer", "agent"])
def test_a_caller_who_is_no_party_gets_party_required(request, who):
    user = request.getfixturevalue(who)
    resp = token_client(getattr(user, "user", user)).get(LIST)
    assert resp.status_code == 403
    assert resp.json()["code"] == "party_required"


def test_merchant_api_takes_tokens_not_browser_sessions(api, merchant_user):
    assert api.get(LIST).status_code == 401
    session = APIClient()
    session.force_login(merchant_user)
    assert session.get(LIST).status_code == 401
    assert token_client(merchant_user).get(LIST).status_code == 200


# --- agree and refuse --------------------------------------------------------------------------


def test_agreeing_to_a_refund_only_request_pays_it(buyer, merchant, merchant_user, clock):
    refund = apply(buyer, merchant, refund_type="refund_only", amount_fen=50_000)
    clock.move_to(datetime(2026, 3, 2, 16, 0, tzinfo=BJ))
    resp = token_client(merchant_user).post(detail_url(refund.pk, "agree"))

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "success"
    assert body["agreed_at"] == body["succeeded_at"] == "2026-03-02T16:00:00+08:00"
    assert body["due_at"] is None and body["due_action"] == ""
    # 3,000 元 paid − 500 元 refunded.
    assert body["refundable_fen"] == 250_000


def test_agreeing_to_a_return_gives_the_address(buyer, merchant, merchant_user):
    refund = apply(buyer, merchant)
    resp = token_client(merchant_user).post(
        detail_url(refund.pk, "agree"), {"return_address": "杭州市余杭区 仓库 3 号门"}, format="json"
    )

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "wait_buyer_return"
    assert body["return_address"] == "杭州市余杭区 仓库 3 号门"
    assert body["agreed_at"] == "2026-03-02T10:00:00+08:00"
    # The buyer has 7 days to ship, else the request closes.
    assert (body["due_at"], body["due_action"]) == ("2026-03-09T10:00:00+08:00", "close_not_shipped")
    assert body["refundable_fen"] == 300_000

    again = token_client(merchant_user).post(detail_url(refund.pk, "agree"))
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_agreeing_without_an_address_uses_the_shops_default(buyer, merchant, merchant_user):
    refund = apply(buyer, merchant)
    resp = token_client(merchant_user).post(detail_url(refund.pk, "agree"))
    assert resp.status_code == 200, resp.content
    assert resp.json()["return_address"] == "王售后 021-5555-0000 上海市浦东新区张江路 1 号 退货仓"


def test_merchant_refuses_with_a_photo(buyer, merchant, merchant_user, clock, media_root):
    refund = apply(buyer, merchant)
    clock.move_to(datetime(2026, 3, 2, 11, 30, tzinfo=BJ))
    resp = token_client(merchant_user).post(
        detail_url(refund.pk, "refuse"),
        {"reason": "Packed intact; see the photo.", "files": [png_upload()]},
        format="multipart",
    )

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "seller_refused"
    assert body["refuse_reason"] == "Packed intact; see the photo."
    assert body["refused_at"] == "2026-03-02T11:30:00+08:00"
    assert body["refused_goods"] is False
    # The buyer has 7 days to modify or escalate, else the request closes.
    assert (body["due_at"], body["due_action"]) == ("2026-03-09T11:30:00+08:00", "close_refused")
    assert [(e["purpose"], e["original_name"], e["content_type"], e["size"]) for e in body["evidence"]] == [
        ("refusal", "box.png", "image/png", len(png_bytes()))
    ]
    assert RefundEvidence.objects.get().uploaded_by == merchant_user
    assert len([p for p in media_root.rglob("*") if p.is_file()]) == 1


def test_refusal_with_a_renamed_text_file_is_refused_and_nothing_changes(buyer, merchant, merchant_user, media_root):
    refund = apply(buyer, merchant)
    resp = token_client(merchant_user).post(
        detail_url(refund.pk, "refuse"), {"reason": "No.", "files": [png_upload(), fake_jpeg()]}, format="multipart"
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "evidence_type_refused"
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE
    assert RefundEvidence.objects.count() == 0
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_refusal_needs_a_reason_and_multipart(buyer, merchant, merchant_user):
    refund = apply(buyer, merchant)
    api = token_client(merchant_user)
    resp = api.post(detail_url(refund.pk, "refuse"), {"files": [png_upload()]}, format="multipart")
    assert resp.status_code == 400
    assert set(resp.json()["fields"]) == {"reason"}
    assert api.post(detail_url(refund.pk, "refuse"), {"reason": "No."}, format="json").status_code == 415
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE


# --- the returned goods ------------------------------------------------------------------------


def test_merchant_confirms_the_returned_goods_and_the_refund_is_paid(buyer, merchant, merchant_user, clock):
    refund = shipped_back(buyer, merchant, merchant_user)
    clock.move_to(datetime(2026, 3, 5, 9, 0, tzinfo=BJ))
    resp = token_client(merchant_user).post(detail_url(refund.pk, "confirm-goods"))

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "success"
    assert body["goods_received_at"] == body["succeeded_at"] == "2026-03-05T09:00:00+08:00"
    assert (body["return_carrier"], body["return_waybill"]) == ("SF", "SF900")
    assert body["refundable_fen"] == 250_000
    assert body["due_at"] is None


def test_exchange_goods_are_confirmed_then_sent_back(buyer, merchant, merchant_user, clock):
    refund = shipped_back(buyer, merchant, merchant_user, refund_type="exchange")
    api = token_client(merchant_user)
    confirmed = api.post(detail_url(refund.pk, "confirm-goods"))
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["state"] == "wait_seller_reship"
    assert confirmed.json()["amount_fen"] == 0

    clock.move_to(datetime(2026, 3, 3, 10, 0, tzinfo=BJ))
    resp = api.post(detail_url(refund.pk, "reship"), {"waybill": "YT77001"}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "success"
    assert body["reship_waybill"] == "YT77001"
    assert body["succeeded_at"] == "2026-03-03T10:00:00+08:00"
    # An exchange moves no money: everything paid is still refundable.
    assert body["refundable_fen"] == 300_000


def test_reship_needs_a_waybill_and_the_right_state(buyer, merchant, merchant_user):
    refund = apply(buyer, merchant, refund_type="exchange")
    api = token_client(merchant_user)
    assert set(api.post(detail_url(refund.pk, "reship"), {}, format="json").json()["fields"]) == {"waybill"}
    resp = api.post(detail_url(refund.pk, "reship"), {"waybill": "YT1"}, format="json")
    assert resp.status_code == 409
    assert resp.json()["code"] == "invalid_transition"
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE and refund.reship_waybill == ""


def test_merchant_refuses_the_goods_then_asks_for_intervention(buyer, merchant, merchant_user, clock):
    refund = shipped_back(buyer, merchant, merchant_user)
    clock.move_to(datetime(2026, 3, 4, 10, 0, tzinfo=BJ))
    api = token_client(merchant_user)
    resp = api.post(
        detail_url(refund.pk, "refuse-goods"),
        {"reason": "A different, used cabinet came back.", "files": [png_upload("returned.png")]},
        format="multipart",
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "seller_refused"
    assert body["refused_goods"] is True
    assert body["refused_at"] == "2026-03-04T10:00:00+08:00"
    assert [(e["purpose"], e["original_name"]) for e in body["evidence"]] == [("goods_refusal", "returned.png")]
    assert body["interventions"] == []

    clock.move_to(datetime(2026, 3, 4, 11, 0, tzinfo=BJ))
    resp = api.post(detail_url(refund.pk, "intervention"), {"reason": "Please check the serial number."})
    assert resp.status_code == 201, resp.content
    case = Intervention.objects.get()
    assert (case.refund_id, case.applicant, case.claim) == (refund.pk, "merchant", "Please check the serial number.")
    summary = {
        "id": case.pk,
        "number": f"IV-{case.pk}",
        "state": "applied",
        "state_label": "Applied (需要客服介入)",
        "ground": "goods_refused",
        "applied_at": "2026-03-04T11:00:00+08:00",
        "priority": 0,  # not an express refund
    }
    assert resp.json() == summary
    detail = api.get(detail_url(refund.pk)).json()
    assert detail["intervention_requested_at"] == "2026-03-04T11:00:00+08:00"
    assert detail["due_at"] is None
    assert detail["interventions"] == [summary]

    again = api.post(detail_url(refund.pk, "intervention"), {"reason": "Once more."})
    assert again.status_code == 422
    assert again.json()["code"] == "intervention_exists"
    assert Intervention.objects.count() == 1


def test_refusing_the_goods_of_an_express_refund_opens_a_priority_case(buyer, merchant, merchant_user, senior, clock):
    buyer.credit_rating = CreditRating.EXCELLENT
    buyer.save(update_fields=["credit_rating"])
    refund = apply(buyer, merchant, reason="damaged")
    refund_refuse(actor=merchant_user, refund_id=refund.pk, reason="Damaged by the buyer.")
    claim = refund_express_claim(
        actor=buyer.user, refund_id=refund.pk, description="Box crushed on arrival.", files=[png_upload()]
    )
    refund_express_decide(actor=senior, claim_id=claim.pk, verified=True, reason="Courier photos confirm it.")
    refund_ship_return(actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF42")
    clock.move_to(datetime(2026, 3, 4, 10, 0, tzinfo=BJ))

    resp = token_client(merchant_user).post(
        detail_url(refund.pk, "refuse-goods"), {"reason": "The seal is broken."}, format="multipart"
    )

    assert resp.status_code == 200, resp.content
    body = resp.json()
    case = Intervention.objects.get()
    assert (case.refund_id, case.applicant, case.express) == (refund.pk, "merchant", True)
    assert case.claim == "Express case: merchant refused the goods: The seal is broken."
    assert body["interventions"] == [
        {
            "id": case.pk,
            "number": f"IV-{case.pk}",
            "state": "applied",
            "state_label": "Applied (需要客服介入)",
            "ground": "goods_refused",
            "applied_at": "2026-03-04T10:00:00+08:00",
            "priority": 2,
        }
    ]
    assert (body["state"], body["intervention_requested_at"], body["due_at"]) == (
        "seller_refused",
        "2026-03-04T10:00:00+08:00",
        None,
    )


def test_merchant_intervention_needs_a_refusal_of_the_goods(buyer, merchant, merchant_user):
    refund = apply(buyer, merchant)
    refund_refuse(actor=merchant_user, refund_id=refund.pk, reason="No damage.")
    resp = token_client(merchant_user).post(detail_url(refund.pk, "intervention"), {"reason": "Decide, please."})
    assert resp.status_code == 409
    assert resp.json()["code"] == "intervention_not_available"
    assert Intervention.objects.count() == 0


def test_confirming_goods_that_were_not_shipped_is_an_invalid_transition(buyer, merchant, merchant_user):
    refund = apply(buyer, merchant)
    resp = token_client(merchant_user).post(detail_url(refund.pk, "confirm-goods"))
    assert resp.status_code == 409
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE and refund.goods_received_at is None


# --- the work list: filters and ordering -------------------------------------------------------


@pytest.fixture
def work_list(buyer, merchant, merchant_user, senior, clock):
    """Five refunds on `merchant`, applied at different times and in different states.

    a: Mon 10:00 return_refund/quality, waiting: due Wed 10:00 (agree)
    b: Mon 11:00 refund_only/not_received, waiting: due Wed 11:00 (pay)
    c: Mon 12:00 exchange/not_as_described, agreed 12:30: due next Mon 12:30 (close_not_shipped)
    d: Tue 09:00 return_refund/damaged by an excellent buyer, refused 09:30, express claim verified
       by staff at 10:00 (agreed on the merchant's behalf): due next Tue 10:00 (close_not_shipped)
    e: Tue 10:00 refund_only/quality, cancelled 10:05: no deadline
    """
    excellent = f.BuyerFactory(credit_rating=CreditRating.EXCELLENT)
    made = {}
    clock.move_to(datetime(2026, 3, 2, 10, 0, tzinfo=BJ))
    made["a"] = apply(buyer, merchant)
    clock.move_to(datetime(2026, 3, 2, 11, 0, tzinfo=BJ))
    made["b"] = apply(buyer, merchant, refund_type="refund_only", reason="not_received")
    clock.move_to(datetime(2026, 3, 2, 12, 0, tzinfo=BJ))
    made["c"] = apply(buyer, merchant, refund_type="exchange", reason="not_as_described")
    clock.move_to(datetime(2026, 3, 2, 12, 30, tzinfo=BJ))
    refund_agree(actor=merchant_user, refund_id=made["c"].pk)
    clock.move_to(datetime(2026, 3, 3, 9, 0, tzinfo=BJ))
    made["d"] = apply(excellent, merchant, reason="damaged")
    clock.move_to(datetime(2026, 3, 3, 9, 30, tzinfo=BJ))
    refund_refuse(actor=merchant_user, refund_id=made["d"].pk, reason="Damaged by the buyer.")
    claim = refund_express_claim(
        actor=excellent.user, refund_id=made["d"].pk, description="Box crushed on arrival.", files=[png_upload()]
    )
    clock.move_to(datetime(2026, 3, 3, 10, 0, tzinfo=BJ))
    refund_express_decide(actor=senior, claim_id=claim.pk, verified=True, reason="Courier photos confirm it.")
    made["e"] = apply(buyer, merchant, refund_type="refund_only")
    clock.move_to(datetime(2026, 3, 3, 10, 5, tzinfo=BJ))
    refund_cancel(actor=buyer.user, refund_id=made["e"].pk)
    for refund in made.values():
        refund.refresh_from_db()
    assert made["d"].express and made["d"].state == RefundState.WAIT_BUYER_RETURN
    return made


def listed(merchant_user, **params) -> list[int]:
    return ids(token_client(merchant_user).get(f"{LIST}?{urlencode(params, doseq=True)}"))


def names(work_list, *keys) -> list[int]:
    return [work_list[key].pk for key in keys]


def test_default_order_is_newest_first(work_list, merchant_user):
    assert listed(merchant_user) == names(work_list, "e", "d", "c", "b", "a")


def test_filter_by_one_or_several_states(work_list, merchant_user):
    w = work_list
    assert listed(merchant_user, state="wait_seller_agree") == names(w, "b", "a")
    assert listed(merchant_user, state=["wait_buyer_return", "closed"]) == names(w, "e", "d", "c")
    assert listed(merchant_user, state="success") == []


def test_filter_due_before(work_list, merchant_user):
    w = work_list
    assert listed(merchant_user, due_before="2026-03-04T10:30:00+08:00") == names(w, "a")
    # b's deadline is Wed 11:00 exactly: "before" is exclusive.
    assert listed(merchant_user, due_before="2026-03-04T11:00:00+08:00") == names(w, "a")
    assert listed(merchant_user, due_before="2026-03-09T13:00:00+08:00") == names(w, "c", "b", "a")
    # e has no deadline at all: never due.
    assert listed(merchant_user, due_before="2027-01-01T00:00:00+08:00") == names(w, "d", "c", "b", "a")


def test_filter_by_type_reason_and_express(work_list, merchant_user):
    w = work_list
    assert listed(merchant_user, refund_type="exchange") == names(w, "c")
    assert listed(merchant_user, refund_type="refund_only") == names(w, "e", "b")
    assert listed(merchant_user, reason="damaged") == names(w, "d")
    assert listed(merchant_user, reason="quality") == names(w, "e", "a")
    assert listed(merchant_user, express="true") == names(w, "d")
    assert listed(merchant_user, express="false") == names(w, "e", "c", "b", "a")


def test_filter_by_apply_time(work_list, merchant_user):
    w = work_list
    # created_after is inclusive, created_before exclusive.
    assert listed(
        merchant_user, created_after="2026-03-02T11:00:00+08:00", created_before="2026-03-03T09:00:00+08:00"
    ) == names(w, "c", "b")
    assert listed(merchant_user, created_after="2026-03-03T00:00:00+08:00") == names(w, "e", "d")


def test_ordering_by_apply_time_and_deadline(work_list, merchant_user):
    w = work_list
    assert listed(merchant_user, ordering="created_at") == names(w, "a", "b", "c", "d", "e")
    # e has no deadline: it sorts last in both directions.
    assert listed(merchant_user, ordering="due_at") == names(w, "a", "b", "c", "d", "e")
    assert listed(merchant_user, ordering="-due_at") == names(w, "d", "c", "b", "a", "e")
    assert listed(merchant_user, ordering="due_at", state="wait_buyer_return") == names(w, "c", "d")


def test_several_sort_keys_repeated_or_comma_separated(work_list, buyer, merchant, merchant_user, clock):
    """A generated client repeats the parameter (the OpenAPI document's form); django-filter's comma list works
    too. Both sort by the first key, then by the next."""
    clock.move_to(datetime(2026, 3, 3, 11, 0, tzinfo=BJ))
    later = apply(buyer, merchant, refund_type="refund_only")
    refund_cancel(actor=buyer.user, refund_id=later.pk)  # no deadline, like e: the second key decides
    w = {**work_list, "f": later}
    assert listed(merchant_user, ordering=["due_at", "created_at"]) == names(w, "a", "b", "c", "d", "e", "f")
    assert listed(merchant_user, ordering=["due_at", "-created_at"]) == names(w, "a", "b", "c", "d", "f", "e")
    assert listed(merchant_user, ordering="due_at,-created_at") == names(w, "a", "b", "c", "d", "f", "e")
    refused = token_client(merchant_user).get(f"{LIST}?ordering=-due_at&ordering=amount_fen")
    assert refused.status_code == 400
    assert_fields_refused(refused.json(), {"ordering": "invalid_ordering"})


def test_the_express_case_shows_the_verified_claim(work_list, merchant_user):
    detail = token_client(merchant_user).get(detail_url(work_list["d"].pk)).json()
    assert detail["express"] is True and detail["agreed_on_behalf"] is True
    assert [(c["status"], c["decision_reason"]) for c in detail["express_claims"]] == [
        ("verified", "Courier photos confirm it.")
    ]
    assert detail["return_address"] == "王售后 021-5555-0000 上海市浦东新区张江路 1 号 退货仓"
    assert (detail["due_at"], detail["due_action"]) == ("2026-03-10T10:00:00+08:00", "close_not_shipped")


@pytest.mark.parametrize(
    ("params", "bad_field"),
    [
        ({"state": "lost"}, "state"),
        ({"due_before": "next week"}, "due_before"),
        ({"created_after": "2026-13-45"}, "created_after"),
        ({"refund_type": "swap"}, "refund_type"),
        ({"reason": "bored"}, "reason"),
        ({"express": "maybe"}, "express"),
        ({"ordering": "amount_fen"}, "ordering"),
    ],
)
def test_bad_filter_values_are_refused_per_field(merchant_user, params, bad_field):
    resp = token_client(merchant_user).get(f"{LIST}?{urlencode(params)}")
    assert resp.status_code == 400
    expected = "invalid_type" if bad_field == "refund_type" else f"invalid_{bad_field}"
    assert_fields_refused(resp.json(), {bad_field: expected})


# --- queries and schema ------------------------------------------------------------------------


def test_list_does_not_query_per_row(buyer, merchant, merchant_user, clock, django_assert_max_num_queries):
    for minute in range(6):
        clock.move_to(T0 + timedelta(minutes=minute))
        apply(buyer, merchant)
    api = token_client(merchant_user)
    # Token + user, merchant link, merchant, count, page (the refundable amount is a subquery of the page).
    # A per-row lookup of buyer, order, product or refunded sum would add at least 6.
    with django_assert_max_num_queries(5):
        resp = api.get(LIST)
    assert resp.json()["count"] == 6
    assert {row["buyer_nickname"] for row in resp.json()["results"]} == {buyer.nickname}


def test_schema_lists_the_refund_operations(agent):
    from tests.api.helpers import client_for

    resp = client_for(agent).get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    schema = resp.json()
    paths = schema["paths"]
    assert set(paths["/api/buyer/refunds/"]) == {"get", "post"}
    assert set(paths["/api/buyer/refunds/"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "multipart/form-data",
    }
    for action in ("modify", "cancel", "ship-return", "express-claim", "intervention"):
        assert set(paths[f"/api/buyer/refunds/{{id}}/{action}/"]) == {"post"}
    for action in ("agree", "refuse", "confirm-goods", "refuse-goods", "reship", "intervention"):
        assert set(paths[f"/api/merchant/refunds/{{id}}/{action}/"]) == {"post"}
    for multipart_only in ("/api/buyer/refunds/{id}/express-claim/", "/api/merchant/refunds/{id}/refuse/"):
        assert list(paths[multipart_only]["post"]["requestBody"]["content"]) == ["multipart/form-data"]
    params = {p["name"] for p in paths["/api/merchant/refunds/"]["get"]["parameters"]}
    assert {"state", "due_before", "refund_type", "reason", "express", "created_after", "created_before"} <= params
    assert "ordering" in params
    components = schema["components"]["schemas"]
    assert {"BuyerRefundDetail", "MerchantRefundDetail", "RefundStateEnum", "HelpStateEnum"} <= set(components)
