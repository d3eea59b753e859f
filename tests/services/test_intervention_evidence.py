"""Evidence (举证): the 3-day window, the merchant's 24 hours after the buyer's first evidence, staff requests
with their own deadlines, what each item records; and uploads checked by content, where a refusal stores nothing."""

from datetime import timedelta

import pytest
from django.test import override_settings

from disputes.errors import DomainError, InvalidTransition, NotFound, RuleRefused, ValidationFailed
from disputes.models import EvidenceItem, EvidenceRequest, Intervention
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import intervention_request_evidence, intervention_submit_evidence
from tests.services.helpers import bj
from tests.services.test_intervention_helpers import (
    accepted_case,
    at,
    bomb_png,
    case_logs,
    in_mediation,
    jpeg_upload,
    open_case,
    pdf_upload,
    png_upload,
    refused_refund,
    script_as_jpeg,
    stored_files,
    submit,
    use_private_media,
)

pytestmark = pytest.mark.django_db

# Accepted Monday 2 March 2026 at 10:00: evidence until Thursday 5 March 10:00.
ACCEPTED = bj(2026, 3, 2, 10, 0)
EVIDENCE_DUE = bj(2026, 3, 5, 10, 0)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    use_private_media(settings, tmp_path)
    return settings.MEDIA_ROOT


@pytest.fixture
def case(buyer, merchant, merchant_user, agent):
    return accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)


def refused_submit(code, actor, case, *, moment, error_type=RuleRefused, **kwargs):
    before = EvidenceItem.objects.count()
    with at(moment), pytest.raises(error_type) as caught:
        intervention_submit_evidence(actor=actor, case_id=case.pk, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert EvidenceItem.objects.count() == before
    return caught.value


# --- the window --------------------------------------------------------------------------------------


def test_either_party_submits_within_the_3_day_window(case, buyer, merchant_user):
    assert case.evidence_due_at == EVIDENCE_DUE
    submit(merchant_user, case, moment=ACCEPTED + timedelta(hours=1), text="Serial number photo attached.")
    submit(buyer.user, case, moment=EVIDENCE_DUE - timedelta(seconds=1), text="Video of the crack.")
    assert [(e.party, e.text) for e in case.evidence.all()] == [
        ("merchant", "Serial number photo attached."),
        ("buyer", "Video of the crack."),
    ]


def test_the_window_takes_evidence_through_its_last_second_and_then_closes(case, buyer):
    submit(buyer.user, case, moment=EVIDENCE_DUE, text="Just in time.")
    error = refused_submit(
        "evidence_window_closed", buyer.user, case, moment=EVIDENCE_DUE + timedelta(seconds=1), text="Too late."
    )
    assert error.status == 422  # a time limit is a business rule (409 before the one error contract)


def test_each_item_records_party_submitter_and_time(case, buyer, merchant_user):
    moment = ACCEPTED + timedelta(hours=3)
    items = submit(
        buyer.user, case, moment=moment, text="See photos.", files=[png_upload("a.png"), jpeg_upload("b.jpg")]
    )
    assert len(items) == 3
    stored = list(EvidenceItem.objects.filter(intervention=case).order_by("id"))
    assert [(e.party, e.submitted_by, e.submitted_at) for e in stored] == [("buyer", buyer.user, moment)] * 3
    assert [(e.text, e.original_name, e.content_type) for e in stored] == [
        ("See photos.", "", ""),
        ("", "a.png", "image/png"),
        ("", "b.jpg", "image/jpeg"),
    ]
    assert all(e.size > 0 for e in stored[1:])
    [log] = case_logs(case, "submit_evidence")
    assert (log.by, log.description) == (buyer.user, "3 evidence item(s) from the buyer")


# --- the merchant's 24 hours ---------------------------------------------------------------------------


def test_the_buyers_first_evidence_gives_the_merchant_24_hours(case, buyer, merchant_user):
    first = ACCEPTED + timedelta(hours=2)
    submit(buyer.user, case, moment=first, text="Photos.")
    case.refresh_from_db()
    assert case.merchant_answer_due_at == first + timedelta(hours=24)
    # Later evidence from the buyer does not move the merchant's deadline.
    submit(buyer.user, case, moment=first + timedelta(hours=5), text="More photos.")
    case.refresh_from_db()
    assert case.merchant_answer_due_at == first + timedelta(hours=24)


def test_merchant_evidence_does_not_start_a_24_hour_clock(case, merchant_user):
    submit(merchant_user, case, moment=ACCEPTED + timedelta(hours=2), text="Sourcing papers.")
    case.refresh_from_db()
    assert case.merchant_answer_due_at is None


def test_the_merchant_may_answer_after_the_window_while_its_24_hours_run(case, buyer, merchant_user):
    late = EVIDENCE_DUE - timedelta(hours=1)
    submit(buyer.user, case, moment=late, text="Photos at the last minute.")
    answer_due = late + timedelta(hours=24)
    submit(merchant_user, case, moment=answer_due, text="Our answer, at the last second.")
    refused_submit(
        "evidence_window_closed", merchant_user, case, moment=answer_due + timedelta(seconds=1), text="Too late."
    )
    # The buyer's own window closed at EVIDENCE_DUE: the 24 hours are the merchant's alone.
    refused_submit("evidence_window_closed", buyer.user, case, moment=EVIDENCE_DUE + timedelta(hours=1), text="x")


# --- staff requests --------------------------------------------------------------------------------------


def test_a_staff_request_lets_that_party_submit_until_its_due(case, buyer, merchant_user, agent):
    due = EVIDENCE_DUE + timedelta(days=2)
    with at(EVIDENCE_DUE - timedelta(hours=2)):
        request = intervention_request_evidence(
            actor=agent, case_id=case.pk, party="merchant", note="Send the purchase invoice.", due_at=due
        )
    # The buyer was not asked: its window is closed.
    refused_submit("evidence_window_closed", buyer.user, case, moment=EVIDENCE_DUE + timedelta(days=1), text="x")
    refused_submit("evidence_window_closed", merchant_user, case, moment=due + timedelta(seconds=1), text="x")
    submit(merchant_user, case, moment=due, files=[pdf_upload("invoice.pdf")])
    request.refresh_from_db()
    assert request.fulfilled_at == due
    # Answered: the request no longer opens the window.
    refused_submit("evidence_window_closed", merchant_user, case, moment=due, text="again")
    log = case_logs(case, "request_evidence")[0]
    assert log.by == agent and "merchant" in log.description


def test_a_staff_request_in_mediation_reopens_evidence_for_that_party(case, buyer, agent):
    in_mediation(case, agent, moment=EVIDENCE_DUE + timedelta(hours=1))
    with at(EVIDENCE_DUE + timedelta(hours=2)):
        intervention_request_evidence(
            actor=agent,
            case_id=case.pk,
            party="buyer",
            note="A photo of the label.",
            due_at=EVIDENCE_DUE + timedelta(days=1),
        )
    submit(buyer.user, case, moment=EVIDENCE_DUE + timedelta(hours=3), text="Label photo.")
    assert case.evidence.get().party == "buyer"


@pytest.mark.parametrize(
    ("party", "due_offset", "status", "code"),
    [("staff", timedelta(days=1), 400, "invalid_party"), ("buyer", timedelta(0), 422, "invalid_due_at")],
)
def test_a_staff_request_needs_a_party_and_a_future_deadline(case, agent, party, due_offset, status, code):
    moment = ACCEPTED + timedelta(hours=1)
    with at(moment), pytest.raises(DomainError) as caught:
        intervention_request_evidence(actor=agent, case_id=case.pk, party=party, note="x", due_at=moment + due_offset)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert EvidenceRequest.objects.count() == 0


# --- who and when ----------------------------------------------------------------------------------------


def test_empty_evidence_is_refused(case, buyer):
    refused_submit("evidence_empty", buyer.user, case, moment=ACCEPTED, error_type=ValidationFailed, text="   ")


def test_someone_outside_the_case_cannot_submit(case, other_buyer, other_merchant_user, agent):
    for actor in (other_buyer.user, other_merchant_user, agent):
        refused_submit("intervention_not_found", actor, case, moment=ACCEPTED, error_type=NotFound, text="x")


def test_no_evidence_before_the_case_is_accepted(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user)
    case = open_case(buyer, refund, moment=refund.refused_at + timedelta(hours=1))
    refused_submit(
        "evidence_closed",
        buyer.user,
        case,
        moment=refund.refused_at + timedelta(hours=2),
        error_type=InvalidTransition,
        text="x",
    )


# --- uploads -----------------------------------------------------------------------------------------------


def refused_upload(code, actor, case, media_root, files):
    before_files = stored_files(media_root)
    refused_submit(code, actor, case, moment=ACCEPTED + timedelta(hours=1), error_type=ValidationFailed, files=files)
    assert stored_files(media_root) == before_files


def test_a_shell_script_named_jpg_is_refused_by_its_content(case, buyer, media_root):
    refused_upload("evidence_type_refused", buyer.user, case, media_root, [script_as_jpeg("x.jpg")])


def test_an_oversized_file_is_refused(case, buyer, media_root):
    photo = png_upload()
    with override_settings(EVIDENCE_MAX_BYTES=photo.size - 1):
        refused_upload("evidence_too_large", buyer.user, case, media_root, [photo])
    with override_settings(EVIDENCE_MAX_BYTES=photo.size):
        submit(buyer.user, case, moment=ACCEPTED + timedelta(hours=2), files=[png_upload()])
    assert case.evidence.count() == 1


def test_a_decompression_bomb_is_refused(case, buyer, media_root):
    bomb = bomb_png()
    assert bomb.size < 100_000  # tiny on disk, 400 million pixels declared
    refused_upload("evidence_image_too_large", buyer.user, case, media_root, [bomb])


def test_one_bad_file_refuses_the_whole_submission(case, buyer, media_root):
    refused_upload("evidence_type_refused", buyer.user, case, media_root, [png_upload(), script_as_jpeg()])


def test_real_jpeg_png_and_pdf_are_accepted_and_stored(case, merchant_user, media_root):
    items = submit(
        merchant_user, case, moment=ACCEPTED + timedelta(hours=1), files=[jpeg_upload(), png_upload(), pdf_upload()]
    )
    assert [(i.original_name, i.content_type) for i in items] == [
        ("crack.jpg", "image/jpeg"),
        ("crack.png", "image/png"),
        ("report.pdf", "application/pdf"),
    ]
    assert len(stored_files(media_root)) == 3
    assert all(str(media_root) in i.file.path for i in items)


def test_a_bad_file_when_opening_stores_no_case(buyer, merchant, merchant_user, media_root):
    refund = refused_refund(buyer, merchant, merchant_user)
    with at(refund.refused_at + timedelta(hours=1)), pytest.raises(ValidationFailed) as caught:
        intervention_open(
            actor=buyer.user, ground="quality", claim="x", refund_id=refund.pk, files=[png_upload(), bomb_png()]
        )
    assert caught.value.code == "evidence_image_too_large"
    assert Intervention.objects.count() == 0
    assert stored_files(media_root) == []
