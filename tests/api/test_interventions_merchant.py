"""Merchant API for platform intervention: token-only access, opening after refusing returned goods, scoping to
the shop (other merchants and service providers see nothing), evidence inside the merchant's 24 hours, answering
a proposal, appealing, withdrawal rules, query counts."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from disputes.models import EvidenceItem, Intervention
from disputes.services.interventions.mediation import intervention_propose
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_start_mediation,
    intervention_submit_evidence,
)
from tests import factories as f
from tests.api.helpers import BJ, T0, token_client
from tests.services.test_intervention_helpers import (
    at,
    bomb_png,
    goods_refused_refund,
    judged,
    open_case,
    pdf_upload,
    png_upload,
    refused_refund,
    script_as_jpeg,
    stored_files,
)

pytestmark = pytest.mark.django_db

LIST = reverse("api:merchant-intervention-list")
REFUND_START = datetime(2026, 2, 26, 10, 0, tzinfo=BJ)
ACCEPTED = T0 + timedelta(hours=1)


def detail_url(pk, action=None):
    if action is None:
        return reverse("api:merchant-intervention-detail", args=[pk])
    return reverse(f"api:merchant-intervention-{action}", args=[pk])


@pytest.fixture
def goods_refund(buyer, merchant, merchant_user):
    """Goods returned by the buyer and refused by the merchant on 28 Feb."""
    return goods_refused_refund(buyer, merchant, merchant_user, start=REFUND_START)


@pytest.fixture
def buyer_case(buyer, merchant, merchant_user, agent, clock):
    """The buyer's case on a refused refund, accepted at 11:00 on Monday 2 March."""
    refund = refused_refund(buyer, merchant, merchant_user, start=REFUND_START)
    case = open_case(buyer, refund, moment=T0)
    with at(ACCEPTED):
        intervention_accept(actor=agent, case_id=case.pk)
    clock.move_to(ACCEPTED + timedelta(hours=1))
    case.refresh_from_db()
    return case


# --- access -------------------------------------------------------------------------------------------


def test_merchant_api_takes_tokens_not_browser_sessions(merchant_user, buyer_case):
    session = APIClient()
    session.force_login(merchant_user)
    assert session.get(LIST).status_code == 401
    assert token_client(merchant_user).get(LIST).status_code == 200


def test_a_buyer_cannot_use_the_merchant_endpoints(buyer, buyer_case):
    assert token_client(buyer.user).get(LIST).status_code == 403


def test_another_merchant_sees_nothing(other_merchant_user, buyer_case):
    api = token_client(other_merchant_user)
    assert api.get(LIST).json()["count"] == 0
    calls = [
        api.get(detail_url(buyer_case.pk)),
        api.post(detail_url(buyer_case.pk, "evidence"), {"text": "x"}, format="multipart"),
        api.post(detail_url(buyer_case.pk, "appeal"), {"reasons": "x"}, format="multipart"),
        api.post(detail_url(buyer_case.pk, "withdraw"), {}, format="json"),
        api.post(
            reverse("api:merchant-intervention-proposal-respond", args=[buyer_case.pk, 1]),
            {"accept": True},
            format="json",
        ),
    ]
    assert [(r.status_code, r.json()["code"]) for r in calls] == [(404, "intervention_not_found")] * 5
    assert EvidenceItem.objects.count() == 0


def test_a_service_provider_is_party_to_no_case(buyer_case):
    provider_user = f.ProviderUserFactory().user
    api = token_client(provider_user)
    assert api.get(LIST).json()["count"] == 0
    assert api.get(detail_url(buyer_case.pk)).status_code == 404


# --- opening ---------------------------------------------------------------------------------------------


def test_merchant_opens_after_refusing_the_returned_goods(merchant_user, goods_refund, buyer, media_root):
    resp = token_client(merchant_user).post(
        LIST,
        {"refund": goods_refund.pk, "claim": "The item came back scratched.", "files": [png_upload("scratch.png")]},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["applicant"], body["applicant_label"], body["ground"], body["stage"]) == (
        "merchant",
        "Merchant",
        "goods_refused",
        "applied",
    )
    assert body["buyer_nickname"] == buyer.nickname
    assert [(e["party"], e["original_name"]) for e in body["evidence"]] == [("merchant", "scratch.png")]
    assert Intervention.objects.get().applicant == "merchant"


def test_merchant_opens_with_json(merchant_user, goods_refund):
    resp = token_client(merchant_user).post(LIST, {"refund": goods_refund.pk, "claim": "Scratched."}, format="json")
    assert resp.status_code == 201
    assert resp.json()["ground"] == "goods_refused"


def test_merchant_cannot_open_after_refusing_only_the_request(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user, start=REFUND_START)
    resp = token_client(merchant_user).post(LIST, {"refund": refund.pk, "claim": "x"}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (422, "merchant_ground")
    assert Intervention.objects.count() == 0


def test_another_merchants_refund_is_not_found(other_merchant_user, goods_refund):
    resp = token_client(other_merchant_user).post(LIST, {"refund": goods_refund.pk, "claim": "x"}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (404, "refund_not_found")


def test_opening_needs_a_refund_and_a_claim(merchant_user):
    resp = token_client(merchant_user).post(LIST, {}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()["fields"]) == {"refund", "claim"}


# --- working the case ------------------------------------------------------------------------------------


def test_merchant_answers_within_24_hours_of_the_buyers_evidence_after_the_window(
    buyer, merchant_user, buyer_case, clock
):
    # The buyer's evidence an hour before the window closes (Thu 5 March 11:00) gives the merchant until Fri 10:00.
    with at(datetime(2026, 3, 5, 10, 0, tzinfo=BJ)):
        intervention_submit_evidence(actor=buyer.user, case_id=buyer_case.pk, text="Photos.")
    api = token_client(merchant_user)
    clock.move_to(datetime(2026, 3, 6, 10, 0, tzinfo=BJ))  # the answer time's last second
    resp = api.post(
        detail_url(buyer_case.pk, "evidence"),
        {"text": "Our packing video.", "files": [pdf_upload("packing-list.pdf")]},
        format="multipart",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["merchant_answer_due_at"] == "2026-03-06T10:00:00+08:00"
    assert [(e["party"], e["text"], e["original_name"]) for e in body["evidence"]] == [
        ("buyer", "Photos.", ""),
        ("merchant", "Our packing video.", ""),
        ("merchant", "", "packing-list.pdf"),
    ]
    clock.move_to(datetime(2026, 3, 6, 10, 0, 1, tzinfo=BJ))
    late = api.post(detail_url(buyer_case.pk, "evidence"), {"text": "More."}, format="multipart")
    assert (late.status_code, late.json()["code"]) == (422, "evidence_window_closed")


@pytest.mark.parametrize(
    ("make_file", "limit", "code"),
    [
        (lambda: script_as_jpeg("x.jpg"), None, "evidence_type_refused"),
        (pdf_upload, 20, "evidence_too_large"),
        (bomb_png, None, "evidence_image_too_large"),
    ],
)
def test_merchant_bad_files_are_refused_and_nothing_is_stored(
    merchant_user, buyer_case, media_root, make_file, limit, code
):
    settings_override = override_settings(EVIDENCE_MAX_BYTES=limit) if limit else override_settings()
    with settings_override:
        resp = token_client(merchant_user).post(
            detail_url(buyer_case.pk, "evidence"), {"files": [pdf_upload(), make_file()]}, format="multipart"
        )
    assert (resp.status_code, resp.json()["code"]) == (400, code)
    assert EvidenceItem.objects.count() == 0
    assert stored_files(media_root) == []


def test_merchant_accepts_the_open_proposal(merchant_user, buyer_case, agent):
    with at(ACCEPTED + timedelta(minutes=10)):
        intervention_start_mediation(actor=agent, case_id=buyer_case.pk)
        proposal = intervention_propose(
            actor=agent, case_id=buyer_case.pk, outcome="repair", terms="The merchant repairs the hinge."
        )
    resp = token_client(merchant_user).post(
        reverse("api:merchant-intervention-proposal-respond", args=[buyer_case.pk, proposal.pk]),
        {"accept": True},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    shown = resp.json()["open_proposal"]
    assert (shown["id"], shown["merchant_accepted_at"], shown["buyer_accepted_at"]) == (
        proposal.pk,
        "2026-03-02T12:00:00+08:00",
        None,
    )


def test_merchant_appeals_the_judgment(merchant_user, buyer_case, agent, clock):
    judged(buyer_case, agent, moment=ACCEPTED + timedelta(days=1), outcome="full_refund", reasons="Defect shown.")
    clock.move_to(ACCEPTED + timedelta(days=2))
    resp = token_client(merchant_user).post(
        detail_url(buyer_case.pk, "appeal"), {"reasons": "The photos show another unit."}, format="multipart"
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["stage"], body["appeal"]["party"]) == ("appealed", "merchant")
    [judgment] = body["judgments"]
    assert (judgment["outcome"], judgment["refund_fen"], judgment["executed_at"]) == (
        "full_refund",
        40_000,
        "2026-03-03T11:00:00+08:00",
    )


def test_merchant_cannot_withdraw_the_buyers_case(merchant_user, buyer_case):
    resp = token_client(merchant_user).post(detail_url(buyer_case.pk, "withdraw"), {"reason": "x"}, format="json")
    assert (resp.status_code, resp.json()["code"]) == (403, "applicant_only")
    assert Intervention.objects.get().state == "evidence"


def test_merchant_withdraws_its_own_case(merchant_user, goods_refund, clock):
    api = token_client(merchant_user)
    case_id = api.post(LIST, {"refund": goods_refund.pk, "claim": "Scratched."}, format="json").json()["id"]
    clock.move_to(T0 + timedelta(minutes=5))
    resp = api.post(detail_url(case_id, "withdraw"), {}, format="json")
    assert resp.status_code == 200
    assert resp.json()["stage"] == "withdrawn"


def test_merchant_list_does_not_query_per_row(
    buyer, merchant, merchant_user, agent, clock, django_assert_max_num_queries
):
    for n in range(6):
        start = REFUND_START - timedelta(days=10 - n)
        refund = refused_refund(buyer, merchant, merchant_user, start=start)
        case = open_case(buyer, refund, moment=start + timedelta(hours=2))
        with at(start + timedelta(hours=3)):
            intervention_accept(actor=agent, case_id=case.pk)
        with at(start + timedelta(hours=4)):
            intervention_submit_evidence(actor=merchant_user, case_id=case.pk, text="Invoice.", files=[png_upload()])
    api = token_client(merchant_user)
    # Token + user, merchant link + merchant, count, page, then one query each for evidence, open requests,
    # open proposals, judgments and appeals. A per-row lookup would add at least 6.
    with django_assert_max_num_queries(10):
        resp = api.get(LIST)
    body = resp.json()
    assert body["count"] == 6
    assert all(len(row["evidence"]) == 2 for row in body["results"])
