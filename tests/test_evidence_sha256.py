"""Every evidence file keeps the SHA-256 of its content, taken on upload (intervention evidence, refund evidence,
force-majeure evidence); migration 0017 gives files uploaded before it their hash from storage."""

import hashlib
import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from disputes.models import EvidenceItem, ForceMajeureEvidence, RefundEvidence
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.interventions.workflow import intervention_submit_evidence
from tests.services.helpers import bj, raised_and_dispatched
from tests.services.refund_helpers import apply_at, call_at, signed_item
from tests.services.test_intervention_helpers import (
    accepted_case,
    jpeg_upload,
    pdf_upload,
    png_upload,
    use_private_media,
)

pytestmark = pytest.mark.django_db

DAY = bj(2026, 3, 2, 10, 0)
MIGRATION = importlib.import_module("disputes.migrations.0017_evidence_sha256")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    use_private_media(settings, tmp_path)


def sha256_of(upload) -> str:
    upload.seek(0)
    digest = hashlib.sha256(upload.read()).hexdigest()
    upload.seek(0)
    return digest


def stored_sha256(row) -> str:
    with row.file.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_intervention_evidence_keeps_the_hash_of_each_file_and_none_for_text(buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=DAY)
    files = [png_upload("a.png"), pdf_upload("b.pdf")]
    expected = [sha256_of(f) for f in files]
    with_files = call_at(
        DAY + timedelta(hours=1),
        intervention_submit_evidence,
        actor=buyer.user,
        case_id=case.pk,
        text="See the photos.",
        files=files,
    )
    text, *stored = with_files
    assert text.sha256 == ""
    assert [item.sha256 for item in stored] == expected
    assert [stored_sha256(item) for item in stored] == expected
    assert all(len(item.sha256) == 64 for item in stored)


def test_refund_and_force_majeure_evidence_keep_their_hash(buyer, merchant, merchant_user, item):
    upload = jpeg_upload("parcel.jpg")
    refund = apply_at(
        bj(2026, 4, 1, 10, 0),
        buyer=buyer,
        item=signed_item(buyer, merchant),
        files=[upload],
    )
    [evidence] = RefundEvidence.objects.filter(refund=refund)
    assert evidence.sha256 == sha256_of(upload) == stored_sha256(evidence)

    request = raised_and_dispatched(DAY, buyer=buyer, item=item)
    photo = png_upload("storm.png")
    call_at(
        DAY + timedelta(minutes=5),
        help_force_majeure_claim,
        actor=merchant_user,
        request_id=request.pk,
        deadline="solution",
        category="typhoon",
        note="Roads closed.",
        files=[photo],
    )
    assert ForceMajeureEvidence.objects.get().sha256 == sha256_of(photo)


def test_the_migration_hashes_files_stored_before_it_and_skips_missing_ones(buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=DAY)
    call_at(
        DAY + timedelta(hours=1),
        intervention_submit_evidence,
        actor=buyer.user,
        case_id=case.pk,
        text="Photos.",
        files=[png_upload("a.png"), pdf_upload("b.pdf")],
    )
    kept, lost = EvidenceItem.objects.exclude(file="").order_by("id")
    expected = kept.sha256
    lost.file.delete(save=False)
    EvidenceItem.objects.update(sha256="")

    MIGRATION.hash_stored_files(apps, None)

    assert list(EvidenceItem.objects.order_by("id").values_list("sha256", flat=True)) == ["", expected, ""]
