"""Every staff download of an evidence file (refund evidence, intervention evidence, force-majeure evidence) is an
attachment that is never sniffed or run, named with the extension of its content, even for a name stored before
names were cleaned."""

from datetime import timedelta

import pytest
import time_machine

from disputes.models import EvidenceItem, ForceMajeureEvidence, RefundEvidence
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.interventions.workflow import intervention_submit_evidence
from tests.admin import helpers as help_helpers
from tests.admin.case_helpers import T0, accepted_case, applied, at
from tests.evidence.files import jpeg, upload

pytestmark = pytest.mark.django_db

SANDBOX = "default-src 'none'; sandbox"


def refund_evidence(buyer, merchant, **_) -> RefundEvidence:
    refund = applied(buyer, merchant, files=[upload(jpeg(), "shell.php")])
    return RefundEvidence.objects.get(refund=refund)


def intervention_evidence(buyer, merchant, merchant_user, agent, **_) -> EvidenceItem:
    case = accepted_case(buyer, merchant, merchant_user, agent)
    files = [upload(jpeg(), "shell.php")]
    at(T0 + timedelta(hours=4), intervention_submit_evidence, actor=buyer.user, case_id=case.pk, files=files)
    return EvidenceItem.objects.get(intervention=case)


def force_majeure_evidence(buyer, item, merchant_user, **_) -> ForceMajeureEvidence:
    request = help_helpers.dispatched(buyer=buyer, item=item)
    with time_machine.travel(help_helpers.T0 + timedelta(minutes=5), tick=False):
        claim = help_force_majeure_claim(
            actor=merchant_user,
            request_id=request.pk,
            deadline="solution",
            category="typhoon",
            note="Roads closed.",
            files=[upload(jpeg(), "shell.php")],
        )
    return claim.evidence.get()


@pytest.fixture(params=[refund_evidence, intervention_evidence, force_majeure_evidence], ids=lambda p: p.__name__)
def evidence(request, buyer, merchant, merchant_user, agent, item):
    return request.param(buyer=buyer, merchant=merchant, merchant_user=merchant_user, agent=agent, item=item)


def download_url(evidence) -> str:
    return f"/admin/disputes/{evidence._meta.model_name}/{evidence.pk}/download/"


def test_a_download_is_an_attachment_never_sniffed_or_run(client, agent, evidence):
    client.force_login(agent)
    response = client.get(download_url(evidence))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == evidence.file.open("rb").read()
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="shell.php.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))


def test_only_refund_and_case_thumbnails_show_inline_and_still_sandboxed(client, agent, evidence):
    client.force_login(agent)
    response = client.get(download_url(evidence), {"inline": "1"})
    if isinstance(evidence, ForceMajeureEvidence):
        assert response["Content-Disposition"].startswith("attachment;")
    else:  # refund and intervention thumbnails: a checked raster image, still sandboxed
        assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


def test_a_name_stored_before_names_were_cleaned_downloads_safely(client, agent, evidence):
    # A row written before this check: quotes, a line break, a right-to-left override, a path.
    type(evidence).objects.filter(pk=evidence.pk).update(original_name='C:\\tmp\\a"b\r\nSet-Cookie: x=1\u202e.php')
    client.force_login(agent)
    response = client.get(download_url(evidence))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="a\\"bSet-Cookie: x=1.php.jpg"'
    assert not response.has_header("Set-Cookie")
