"""Merchant API force-majeure claims: multipart upload, content checks on evidence, claims in the detail."""

import io
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from disputes.models import ClaimStatus, DeadlineKind, ForceMajeureClaim, ForceMajeureEvidence
from tests.api.helpers import BJ, assert_fields_refused, dispatch, raise_request, token_client

pytestmark = pytest.mark.django_db


def claim_url(pk):
    return reverse("api:merchant-help-request-force-majeure", args=[pk])


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name="rain.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def fake_jpeg(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"This is a text file, not a photo.\n" * 20, content_type="image/jpeg")


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


@pytest.fixture
def dispatched(buyer, item, clock):
    req = dispatch(raise_request(buyer, item))
    clock.move_to(datetime(2026, 3, 2, 10, 20, tzinfo=BJ))
    return req


def test_claim_with_a_real_png_is_accepted_and_shows_in_the_detail(dispatched, merchant_user, media_root):
    api = token_client(merchant_user)
    resp = api.post(
        claim_url(dispatched.pk),
        {"deadline": "solution", "category": "heavy_rain", "note": "Roads flooded.", "files": [png_upload()]},
        format="multipart",
    )

    assert resp.status_code == 201, resp.content
    body = resp.json()
    claim = ForceMajeureClaim.objects.get()
    assert body["id"] == claim.pk
    assert body["deadline"] == "solution"
    assert body["category"] == "heavy_rain"
    assert body["status"] == "pending"
    assert body["note"] == "Roads flooded."
    assert body["claimed_at"] == "2026-03-02T10:20:00+08:00"
    assert claim.help_request_id == dispatched.pk
    assert claim.claimed_by == merchant_user
    assert claim.status == ClaimStatus.PENDING and claim.deadline == DeadlineKind.SOLUTION
    evidence = ForceMajeureEvidence.objects.get()
    assert evidence.claim == claim
    assert evidence.content_type == "image/png"
    assert evidence.size == len(png_bytes())
    assert evidence.original_name == "rain.png"
    assert len(stored_files(media_root)) == 1
    assert stored_files(media_root)[0].read_bytes() == png_bytes()

    detail = api.get(reverse("api:merchant-help-request-detail", args=[dispatched.pk])).json()
    assert len(detail["force_majeure_claims"]) == 1
    shown = detail["force_majeure_claims"][0]
    assert shown["id"] == claim.pk
    assert shown["status"] == "pending"
    assert [(e["original_name"], e["content_type"], e["size"]) for e in shown["evidence"]] == [
        ("rain.png", "image/png", len(png_bytes()))
    ]


def test_claim_without_files_is_accepted(dispatched, merchant_user):
    resp = token_client(merchant_user).post(
        claim_url(dispatched.pk),
        {"deadline": "resolution", "category": "traffic_control", "note": "Ring road closed."},
        format="multipart",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["evidence"] == []
    assert ForceMajeureClaim.objects.get().deadline == DeadlineKind.RESOLUTION


def test_text_file_renamed_jpg_is_refused_and_nothing_is_stored(dispatched, merchant_user, media_root):
    resp = token_client(merchant_user).post(
        claim_url(dispatched.pk),
        {"deadline": "solution", "category": "weather", "note": "Storm.", "files": [png_upload(), fake_jpeg()]},
        format="multipart",
    )

    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "evidence_type_refused"
    assert "photo.jpg" in body["message"]
    assert ForceMajeureClaim.objects.count() == 0
    assert ForceMajeureEvidence.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("payload", "bad_fields"),
    [
        ({"deadline": "tomorrow", "category": "weather", "note": "x"}, {"deadline": "invalid_deadline"}),
        ({"deadline": "solution", "category": "aliens", "note": "x"}, {"category": "invalid_category"}),
        ({"deadline": "solution", "category": "weather"}, {"note": "note_required"}),
        ({"category": "weather", "note": "x"}, {"deadline": "deadline_required"}),
    ],
)
def test_invalid_claim_fields_are_refused(dispatched, merchant_user, payload, bad_fields):
    resp = token_client(merchant_user).post(claim_url(dispatched.pk), payload, format="multipart")
    assert resp.status_code == 400
    assert_fields_refused(resp.json(), bad_fields)
    assert ForceMajeureClaim.objects.count() == 0


def test_more_than_ten_files_are_refused(dispatched, merchant_user, media_root):
    files = [png_upload(f"p{i}.png") for i in range(11)]
    resp = token_client(merchant_user).post(
        claim_url(dispatched.pk),
        {"deadline": "solution", "category": "fog", "note": "Fog.", "files": files},
        format="multipart",
    )
    assert resp.status_code == 400
    # the same code the service gives (disputes.services.force_majeure), whichever layer counts the files
    assert_fields_refused(resp.json(), {"files": "too_many_files"})
    assert ForceMajeureClaim.objects.count() == 0
    assert stored_files(media_root) == []


def test_ten_files_are_accepted(dispatched, merchant_user):
    files = [png_upload(f"p{i}.png") for i in range(10)]
    resp = token_client(merchant_user).post(
        claim_url(dispatched.pk),
        {"deadline": "solution", "category": "fog", "note": "Fog.", "files": files},
        format="multipart",
    )
    assert resp.status_code == 201, resp.content
    assert ForceMajeureEvidence.objects.count() == 10


def test_claim_after_the_deadline_is_refused(dispatched, merchant_user, clock):
    clock.move_to(datetime(2026, 3, 2, 11, 0, 1, tzinfo=BJ))  # one second after the 1-hour deadline
    resp = token_client(merchant_user).post(
        claim_url(dispatched.pk),
        {"deadline": "solution", "category": "weather", "note": "Too late.", "files": [png_upload()]},
        format="multipart",
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "deadline_passed"
    assert ForceMajeureClaim.objects.count() == 0


def test_second_claim_on_the_same_deadline_is_refused(dispatched, merchant_user, clock):
    api = token_client(merchant_user)
    payload = {"deadline": "solution", "category": "weather", "note": "Storm."}
    assert api.post(claim_url(dispatched.pk), payload, format="multipart").status_code == 201
    clock.shift(timedelta(minutes=1))
    resp = api.post(claim_url(dispatched.pk), payload, format="multipart")
    assert resp.status_code == 422
    assert resp.json()["code"] == "claim_exists"
    assert ForceMajeureClaim.objects.count() == 1


def test_another_merchant_cannot_claim(dispatched, other_merchant_user):
    resp = token_client(other_merchant_user).post(
        claim_url(dispatched.pk),
        {"deadline": "solution", "category": "weather", "note": "Not my request."},
        format="multipart",
    )
    assert resp.status_code == 404
    assert resp.json()["code"] == "help_request_not_found"
    assert ForceMajeureClaim.objects.count() == 0


def test_claim_must_be_multipart(dispatched, merchant_user):
    resp = token_client(merchant_user).post(
        claim_url(dispatched.pk), {"deadline": "solution", "category": "weather", "note": "JSON."}, format="json"
    )
    assert resp.status_code == 415
    assert resp.json()["code"] == "unsupported_media_type"
    assert ForceMajeureClaim.objects.count() == 0
