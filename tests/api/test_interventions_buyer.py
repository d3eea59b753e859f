"""Buyer API for platform intervention: opening (JSON and multipart), the case record with every deadline,
evidence uploads checked by content, answering a proposal, appealing, withdrawing, scoping and query counts."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from disputes.models import EvidenceItem, Intervention, MediationProposal
from disputes.services.interventions.deciding import intervention_appeal, intervention_review
from disputes.services.interventions.mediation import intervention_propose, intervention_respond
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_request_evidence,
    intervention_start_mediation,
    intervention_submit_evidence,
)
from tests import factories as f
from tests.api.helpers import BJ, T0, assert_fields_refused, client_for, token_client
from tests.services.refund_helpers import apply_at, signed_item
from tests.services.test_intervention_helpers import (
    ASKED,
    at,
    bomb_png,
    jpeg_upload,
    judged,
    open_case,
    other_senior,
    pdf_upload,
    png_upload,
    refused_refund,
    script_as_jpeg,
    stored_files,
)

pytestmark = pytest.mark.django_db

LIST = reverse("api:buyer-intervention-list")
# The refund was applied on Friday 27 Feb and refused an hour later; the case opens Monday 2 March 10:00 (T0).
REFUND_START = datetime(2026, 2, 27, 10, 0, tzinfo=BJ)
ACCEPTED = T0 + timedelta(hours=1)


def detail_url(pk, action=None):
    if action is None:
        return reverse("api:buyer-intervention-detail", args=[pk])
    return reverse(f"api:buyer-intervention-{action}", args=[pk])


def respond_url(pk, proposal_id):
    return reverse("api:buyer-intervention-proposal-respond", args=[pk, proposal_id])


@pytest.fixture
def refund(buyer, merchant, merchant_user):
    return refused_refund(buyer, merchant, merchant_user, start=REFUND_START)


@pytest.fixture
def case(buyer, refund):
    return open_case(buyer, refund, moment=T0)


@pytest.fixture
def accepted(case, agent, clock):
    with at(ACCEPTED):
        intervention_accept(actor=agent, case_id=case.pk)
    clock.move_to(ACCEPTED + timedelta(hours=1))
    case.refresh_from_db()
    return case


@pytest.fixture
def mediating(accepted, agent, clock):
    with at(ACCEPTED + timedelta(hours=2)):
        intervention_start_mediation(actor=agent, case_id=accepted.pk)
    clock.move_to(ACCEPTED + timedelta(hours=3))
    return accepted


# --- opening ----------------------------------------------------------------------------------------------


def test_buyer_opens_a_case_on_a_refused_refund(buyer, merchant, refund):
    api = token_client(buyer.user)
    resp = api.post(
        LIST,
        {"refund": refund.pk, "ground": "quality", "claim": "The door hinge snapped on day one."},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert resp.status_code == 201, resp.content
    body = resp.json()
    stored = Intervention.objects.get()
    assert body["id"] == stored.pk and body["number"] == f"IV-{stored.pk}"
    assert (body["stage"], body["stage_label"]) == ("applied", "Applied (需要客服介入)")
    assert (body["tier"], body["tier_label"], body["express"]) == ("agent", "Customer service (客服)", False)
    assert (body["channel"], body["ground"], body["applicant"]) == ("order_page", "quality", "buyer")
    assert body["ground_label"] == "Quality problem (商品质量问题)"
    assert body["claim"] == "The door hinge snapped on day one."
    assert (body["refund"], body["order_item"], body["order_no"]) == (
        refund.pk,
        refund.order_item_id,
        refund.order_item.order.order_no,
    )
    assert body["merchant_shop_name"] == merchant.shop_name
    assert body["applied_at"] == "2026-03-02T10:00:00+08:00"
    for deadline in (
        "evidence_due_at",
        "merchant_answer_due_at",
        "decision_due_at",
        "appeal_due_at",
        "resume_due_at",
        "accepted_at",
        "closed_at",
    ):
        assert body[deadline] is None
    assert body["open_evidence_requests"] == [] and body["evidence"] == [] and body["judgments"] == []
    assert body["open_proposal"] is None and body["appeal"] is None


def test_buyer_opens_without_a_refund_as_multipart_with_photos(buyer, merchant, media_root):
    item = signed_item(buyer, merchant)
    resp = token_client(buyer.user).post(
        LIST,
        {
            "order_item": item.pk,
            "ground": "logistics_damaged",
            "claim": "Box crushed.",
            "files": [png_upload("box.png"), pdf_upload("waybill.pdf")],
        },
        format="multipart",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["refund"], body["order_item"], body["ground"]) == (None, item.pk, "logistics_damaged")
    assert [(e["party"], e["original_name"], e["content_type"]) for e in body["evidence"]] == [
        ("buyer", "box.png", "image/png"),
        ("buyer", "waybill.pdf", "application/pdf"),
    ]
    # Metadata only: the files stay in private storage, with no URL in the API.
    assert all("file" not in e and "url" not in e for e in body["evidence"])
    assert len(stored_files(media_root)) == 2


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"ground": "quality", "claim": "x"}, 400, "subject_required"),
        ({"ground": "unhappy", "claim": "x", "use_refund": True}, 400, "invalid_ground"),
        ({"ground": "quality", "use_refund": True}, 400, "claim_required"),
        ({"ground": "goods_refused", "claim": "x", "use_refund": True}, 422, "ground_mismatch"),
        ({"ground": "quality", "claim": "x", "refund": 999_999}, 404, "refund_not_found"),
    ],
)
def test_opening_errors(buyer, refund, payload, status, code):
    if payload.pop("use_refund", False):
        payload["refund"] = refund.pk
    resp = token_client(buyer.user).post(LIST, payload, format="json")
    assert resp.status_code == status, resp.content
    assert resp.json()["code"] == code
    assert Intervention.objects.count() == 0


def test_a_refund_not_refused_cannot_be_taken_to_intervention(buyer, merchant):
    pending = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant), refund_type="refund_only", amount_fen=ASKED)
    resp = token_client(buyer.user).post(LIST, {"refund": pending.pk, "ground": "quality", "claim": "x"}, format="json")
    assert resp.status_code == 422
    assert resp.json()["code"] == "refund_not_refused"


def test_a_second_case_on_the_item_is_refused(buyer, case, refund):
    resp = token_client(buyer.user).post(LIST, {"refund": refund.pk, "ground": "quality", "claim": "x"}, format="json")
    assert resp.status_code == 422
    assert resp.json()["code"] == "intervention_exists"


def test_another_buyers_refund_is_not_found(other_buyer, refund):
    resp = token_client(other_buyer.user).post(
        LIST, {"refund": refund.pk, "ground": "quality", "claim": "x"}, format="json"
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "refund_not_found"


def test_a_script_named_jpg_refuses_the_opening_and_stores_nothing(buyer, refund, media_root):
    resp = token_client(buyer.user).post(
        LIST,
        {"refund": refund.pk, "ground": "quality", "claim": "x", "files": [png_upload(), script_as_jpeg("x.jpg")]},
        format="multipart",
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "evidence_type_refused"
    assert Intervention.objects.count() == 0 and EvidenceItem.objects.count() == 0
    assert stored_files(media_root) == []


def test_the_buyer_endpoints_are_for_buyers(merchant_user, agent):
    assert token_client(merchant_user).get(LIST).status_code == 403
    assert client_for(agent).get(LIST).status_code == 403


def test_anonymous_callers_are_refused(api):
    assert api.get(LIST).status_code == 401


# --- reading ------------------------------------------------------------------------------------------


def test_the_case_shows_every_deadline_once_accepted(buyer, accepted, agent):
    body = token_client(buyer.user).get(detail_url(accepted.pk)).json()
    assert body["stage"] == "evidence"
    assert body["accepted_at"] == "2026-03-02T11:00:00+08:00"
    assert body["evidence_due_at"] == "2026-03-05T11:00:00+08:00"
    # Six working days after Monday 2 March: 3, 4, 5, 6, 9, 10 March.
    assert body["decision_due_at"] == "2026-03-10T11:00:00+08:00"
    assert body["merchant_answer_due_at"] is None


def test_the_case_shows_the_evidence_requests_addressed_to_the_caller_while_open(
    buyer, merchant_user, accepted, agent, clock
):
    with at(ACCEPTED + timedelta(hours=1)):
        to_buyer = intervention_request_evidence(
            actor=agent,
            case_id=accepted.pk,
            party="buyer",
            note="A photo of the label.",
            due_at=ACCEPTED + timedelta(days=1),
        )
        intervention_request_evidence(
            actor=agent, case_id=accepted.pk, party="merchant", note="The invoice.", due_at=ACCEPTED + timedelta(days=2)
        )
    clock.move_to(ACCEPTED + timedelta(hours=2))
    buyer_api = token_client(buyer.user)
    requests = buyer_api.get(detail_url(accepted.pk)).json()["open_evidence_requests"]
    assert [(r["id"], r["party"], r["note"], r["due_at"]) for r in requests] == [
        (to_buyer.pk, "buyer", "A photo of the label.", "2026-03-03T11:00:00+08:00")
    ]
    merchant_requests = (
        token_client(merchant_user)
        .get(reverse("api:merchant-intervention-detail", args=[accepted.pk]))
        .json()["open_evidence_requests"]
    )
    assert [r["note"] for r in merchant_requests] == ["The invoice."]
    # Open through its due second; past it, a request is no longer open.
    clock.move_to(ACCEPTED + timedelta(days=1))
    assert [r["id"] for r in buyer_api.get(detail_url(accepted.pk)).json()["open_evidence_requests"]] == [to_buyer.pk]
    clock.move_to(ACCEPTED + timedelta(days=1, seconds=1))
    assert buyer_api.get(detail_url(accepted.pk)).json()["open_evidence_requests"] == []


def test_another_buyers_case_does_not_exist(other_buyer, case):
    api = token_client(other_buyer.user)
    assert api.get(LIST).json()["count"] == 0
    calls = [
        api.get(detail_url(case.pk)),
        api.post(detail_url(case.pk, "evidence"), {"text": "x"}, format="multipart"),
        api.post(detail_url(case.pk, "appeal"), {"reasons": "x"}, format="multipart"),
        api.post(detail_url(case.pk, "withdraw"), {}, format="json"),
        api.post(respond_url(case.pk, 1), {"accept": True}, format="json"),
    ]
    assert [(r.status_code, r.json()["code"]) for r in calls] == [(404, "intervention_not_found")] * 5
    assert Intervention.objects.get().state == "applied"


def test_a_non_numeric_id_names_no_case(buyer, case):
    resp = token_client(buyer.user).get(detail_url("abc"))
    assert resp.status_code == 404


def test_buyer_list_does_not_query_per_row(buyer, merchant, merchant_user, agent, clock, django_assert_max_num_queries):
    for n in range(6):
        start = REFUND_START - timedelta(days=10 - n)
        refund = refused_refund(buyer, merchant, merchant_user, start=start)
        case = open_case(buyer, refund, moment=start + timedelta(hours=2))
        with at(start + timedelta(hours=3)):
            intervention_accept(actor=agent, case_id=case.pk)
            intervention_request_evidence(
                actor=agent, case_id=case.pk, party="buyer", note="More.", due_at=T0 + timedelta(days=5)
            )
        with at(start + timedelta(hours=4)):
            intervention_submit_evidence(actor=buyer.user, case_id=case.pk, text="Photo.", files=[png_upload()])
    api = token_client(buyer.user)
    # Token + user, buyer, count, page, then one query each for evidence, open requests, open proposals,
    # judgments and appeals. A per-row lookup would add at least 6.
    with django_assert_max_num_queries(9):
        resp = api.get(LIST)
    body = resp.json()
    assert body["count"] == 6
    assert all(len(row["evidence"]) == 2 and len(row["open_evidence_requests"]) == 0 for row in body["results"])
    assert all(row["merchant_shop_name"] == merchant.shop_name for row in body["results"])


# --- evidence ---------------------------------------------------------------------------------------------


def test_buyer_sends_text_and_files(buyer, accepted, media_root):
    resp = token_client(buyer.user).post(
        detail_url(accepted.pk, "evidence"),
        {"text": "Crack next to the hinge.", "files": [jpeg_upload("hinge.jpg"), png_upload("label.png")]},
        format="multipart",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert [(e["party"], e["text"], e["original_name"], e["content_type"]) for e in body["evidence"]] == [
        ("buyer", "Crack next to the hinge.", "", ""),
        ("buyer", "", "hinge.jpg", "image/jpeg"),
        ("buyer", "", "label.png", "image/png"),
    ]
    assert all(e["submitted_at"] == "2026-03-02T12:00:00+08:00" for e in body["evidence"])
    assert body["evidence"][1]["size"] == EvidenceItem.objects.get(original_name="hinge.jpg").size > 0
    # The buyer's first evidence starts the merchant's 24 hours.
    assert body["merchant_answer_due_at"] == "2026-03-03T12:00:00+08:00"


@pytest.mark.parametrize(
    ("make_file", "limit", "code"),
    [
        (lambda: script_as_jpeg("x.jpg"), None, "evidence_type_refused"),
        (png_upload, 10, "evidence_too_large"),
        (bomb_png, None, "evidence_image_too_large"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(buyer, accepted, media_root, make_file, limit, code):
    api = token_client(buyer.user)
    settings_override = override_settings(EVIDENCE_MAX_BYTES=limit) if limit else override_settings()
    with settings_override:
        resp = api.post(
            detail_url(accepted.pk, "evidence"), {"text": "see file", "files": [make_file()]}, format="multipart"
        )
    assert resp.status_code == 400, resp.content
    assert resp.json()["code"] == code
    assert EvidenceItem.objects.count() == 0
    assert stored_files(media_root) == []


def test_evidence_after_the_window_is_refused(buyer, accepted, clock):
    clock.move_to(datetime(2026, 3, 5, 11, 0, 1, tzinfo=BJ))  # one second after the window's last
    resp = token_client(buyer.user).post(detail_url(accepted.pk, "evidence"), {"text": "late"}, format="multipart")
    assert resp.status_code == 422
    assert resp.json()["code"] == "evidence_window_closed"


def test_empty_evidence_is_refused(buyer, accepted):
    resp = token_client(buyer.user).post(detail_url(accepted.pk, "evidence"), {"text": ""}, format="multipart")
    assert (resp.status_code, resp.json()["code"]) == (400, "evidence_empty")


def test_evidence_is_sent_as_multipart(buyer, accepted):
    resp = token_client(buyer.user).post(detail_url(accepted.pk, "evidence"), {"text": "json"}, format="json")
    assert resp.status_code == 415


# --- mediation --------------------------------------------------------------------------------------------


def propose(case, agent, **kwargs):
    kwargs.setdefault("outcome", "partial_refund")
    kwargs.setdefault("refund_fen", 20_000)
    kwargs.setdefault("terms", "200 元 back, the buyer keeps the item.")
    with at(ACCEPTED + timedelta(hours=2, minutes=30)):
        return intervention_propose(actor=agent, case_id=case.pk, **kwargs)


def test_the_open_proposal_shows_and_the_buyer_accepts(buyer, merchant_user, mediating, agent):
    proposal = propose(mediating, agent)
    api = token_client(buyer.user)
    shown = api.get(detail_url(mediating.pk)).json()["open_proposal"]
    assert (shown["id"], shown["outcome"], shown["refund_fen"], shown["terms"]) == (
        proposal.pk,
        "partial_refund",
        20_000,
        "200 元 back, the buyer keeps the item.",
    )
    assert (shown["buyer_accepted_at"], shown["merchant_accepted_at"]) == (None, None)

    resp = api.post(respond_url(mediating.pk, proposal.pk), {"accept": True}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["stage"] == "mediation"
    assert body["open_proposal"]["buyer_accepted_at"] == "2026-03-02T14:00:00+08:00"

    with at(ACCEPTED + timedelta(hours=4)):
        intervention_respond(actor=merchant_user, proposal_id=proposal.pk, accept=True)
    body = api.get(detail_url(mediating.pk)).json()
    assert (body["stage"], body["open_proposal"]) == ("agreed", None)
    [judgment] = body["judgments"]
    assert (judgment["outcome"], judgment["refund_fen"], judgment["via_agreement"], judgment["superseded"]) == (
        "partial_refund",
        20_000,
        True,
        False,
    )


def test_the_buyer_declines_and_the_case_stays_in_mediation(buyer, mediating, agent):
    proposal = propose(mediating, agent)
    api = token_client(buyer.user)
    resp = api.post(respond_url(mediating.pk, proposal.pk), {"accept": False}, format="json")
    assert resp.status_code == 200
    assert (resp.json()["stage"], resp.json()["open_proposal"]) == ("mediation", None)
    again = api.post(respond_url(mediating.pk, proposal.pk), {"accept": True}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "proposal_closed")


def test_respond_errors(buyer, mediating, agent, merchant, merchant_user, clock):
    proposal = propose(mediating, agent)
    api = token_client(buyer.user)
    missing = api.post(respond_url(mediating.pk, proposal.pk), {}, format="json")
    assert missing.status_code == 400
    assert_fields_refused(missing.json(), {"accept": "accept_required"})
    # A proposal of another of the buyer's cases is not this case's proposal.
    other_refund = refused_refund(buyer, merchant, merchant_user, start=REFUND_START)
    other_case = open_case(buyer, other_refund, moment=T0)
    resp = api.post(respond_url(other_case.pk, proposal.pk), {"accept": True}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (404, "proposal_not_found")
    assert MediationProposal.objects.get().buyer_accepted_at is None


# --- appeal and withdrawal --------------------------------------------------------------------------------


@pytest.fixture
def judged_case(accepted, agent, clock):
    judged(accepted, agent, moment=ACCEPTED + timedelta(days=1), outcome="support_merchant", reasons="No defect.")
    clock.move_to(ACCEPTED + timedelta(days=2))
    return accepted


def test_buyer_appeals_with_new_reasons_and_a_file(buyer, judged_case):
    resp = token_client(buyer.user).post(
        detail_url(judged_case.pk, "appeal"),
        {"reasons": "New video shows the defect.", "files": [png_upload("frame.png")]},
        format="multipart",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["stage"] == "appealed"
    appeal = body["appeal"]
    assert (appeal["party"], appeal["reasons"], appeal["reviewed_at"], appeal["overturned"]) == (
        "buyer",
        "New video shows the defect.",
        None,
        None,
    )
    assert appeal["judgment"] == body["judgments"][0]["id"]
    assert [(e["original_name"], e["for_appeal"]) for e in body["evidence"]] == [("frame.png", True)]
    assert body["appeal_due_at"] == "2026-03-10T11:00:00+08:00"


def test_an_appeal_repeating_the_judgment_is_taken_with_a_new_file_and_refused_with_a_file_on_file(
    buyer, merchant_user, accepted, agent, clock
):
    with at(ACCEPTED + timedelta(hours=1)):
        intervention_submit_evidence(actor=merchant_user, case_id=accepted.pk, text="Packing.", files=[png_upload()])
    judged(accepted, agent, moment=ACCEPTED + timedelta(days=1), outcome="support_merchant", reasons="No defect.")
    clock.move_to(ACCEPTED + timedelta(days=2))
    api = token_client(buyer.user)
    on_file = api.post(
        detail_url(accepted.pk, "appeal"),
        {"reasons": "A new angle.", "files": [png_upload("same-bytes.png")]},
        format="multipart",
    )
    assert (on_file.status_code, on_file.json()["code"]) == (422, "appeal_file_already_submitted")
    assert on_file.json()["details"] == {"file": "same-bytes.png"}
    taken = api.post(
        detail_url(accepted.pk, "appeal"),
        {"reasons": "No defect!", "files": [pdf_upload("lab.pdf")]},
        format="multipart",
    )
    assert taken.status_code == 201, taken.content
    assert taken.json()["stage"] == "appealed"


def test_appeal_errors(buyer, judged_case, clock):
    api = token_client(buyer.user)
    blank = api.post(detail_url(judged_case.pk, "appeal"), {"reasons": ""}, format="multipart")
    assert (blank.status_code, blank.json()["code"]) == (400, "reasons_required")
    same = api.post(detail_url(judged_case.pk, "appeal"), {"reasons": "No defect."}, format="multipart")
    assert (same.status_code, same.json()["code"]) == (422, "appeal_nothing_new")
    clock.move_to(datetime(2026, 3, 10, 11, 0, 1, tzinfo=BJ))  # one second after the appeal window's last
    late = api.post(detail_url(judged_case.pk, "appeal"), {"reasons": "Late"}, format="multipart")
    assert (late.status_code, late.json()["code"]) == (422, "appeal_window_closed")


def test_an_overturned_judgment_shows_as_superseded(buyer, judged_case, clock):
    with at(ACCEPTED + timedelta(days=2)):
        intervention_appeal(actor=buyer.user, case_id=judged_case.pk, reasons="Video.")
    with at(ACCEPTED + timedelta(days=3)):
        intervention_review(
            actor=other_senior(), case_id=judged_case.pk, overturn=True, outcome="full_refund", reasons="Video clear."
        )
    body = token_client(buyer.user).get(detail_url(judged_case.pk)).json()
    assert body["stage"] == "final"
    old, new = body["judgments"]
    assert (old["outcome"], old["superseded"], old["reversed_at"]) == (
        "support_merchant",
        True,
        "2026-03-05T11:00:00+08:00",
    )
    assert (new["outcome"], new["superseded"], new["via_review"], new["supersedes"], new["refund_fen"]) == (
        "full_refund",
        False,
        True,
        old["id"],
        ASKED,
    )
    assert (body["appeal"]["overturned"], body["appeal"]["review_reasons"]) == (True, "Video clear.")


def test_buyer_withdraws_before_judgment(buyer, accepted):
    resp = token_client(buyer.user).post(
        detail_url(accepted.pk, "withdraw"), {"reason": "Settled with the shop."}, format="json"
    )
    assert resp.status_code == 200, resp.content
    assert (resp.json()["stage"], resp.json()["closed_at"]) == ("withdrawn", "2026-03-02T12:00:00+08:00")


def test_no_withdrawal_after_judgment(buyer, judged_case):
    resp = token_client(buyer.user).post(detail_url(judged_case.pk, "withdraw"), {}, format="json")
    assert resp.status_code == 409
    assert resp.json()["code"] == "invalid_transition"


# --- the schema ---------------------------------------------------------------------------------------------


def test_the_schema_documents_the_intervention_operations(agent):
    resp = client_for(agent).get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = resp.json()["paths"]
    for side in ("buyer", "merchant"):
        base = f"/api/{side}/interventions/"
        assert set(paths[base]) == {"get", "post"}
        assert set(paths[base]["post"]["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
        for action in ("evidence", "appeal"):
            body = paths[f"{base}{{id}}/{action}/"]["post"]["requestBody"]["content"]
            assert list(body) == ["multipart/form-data"]
        respond = paths[f"{base}{{id}}/proposals/{{proposal_id}}/respond/"]["post"]
        params = {p["name"]: p["schema"]["type"] for p in respond["parameters"]}
        assert params == {"id": "integer", "proposal_id": "integer"}
        assert set(paths[f"{base}{{id}}/withdraw/"]) == {"post"}


def test_a_provider_user_is_not_a_buyer(db):
    provider_user = f.ProviderUserFactory().user
    assert token_client(provider_user).get(LIST).status_code == 403
