"""Force-majeure claims in the admin: senior staff decide with a reason; evidence downloads only to staff."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from disputes.models import BuyerPointsEntry, ClaimStatus, ForceMajeureClaim, ViolationStatus
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.help_sweep import help_sweep
from disputes.services.ledger import ledger_balance
from tests.admin.helpers import T0, action_url, dispatched, messages_of, new_item, png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(buyer, item, merchant_user):
    request = dispatched(buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        return help_force_majeure_claim(
            actor=merchant_user,
            request_id=request.pk,
            deadline="solution",
            category="typhoon",
            note="Typhoon: roads closed by the city.",
            files=[png_upload("台风预警.png")],
        )


def claim_actions(client, claim) -> set[str]:
    response = client.get(reverse("admin:disputes_forcemajeureclaim_change", args=[claim.pk]))
    assert response.status_code == 200
    return {tool["name"] for tool in response.context["objectactions"]}


def test_pending_claims_come_first_in_the_queue(client, senior, claim, buyer, merchant, merchant_user):
    older = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant), at=T0 - timedelta(minutes=30))
    with time_machine.travel(T0 - timedelta(minutes=25), tick=False):
        decided = help_force_majeure_claim(
            actor=merchant_user, request_id=older.pk, deadline="solution", category="fog", note="Fog."
        )
    client.force_login(senior)
    client.post(action_url("forcemajeureclaim", decided.pk, "reject"), {"reason": "No fog that day."})
    response = client.get(reverse("admin:disputes_forcemajeureclaim_changelist"))
    assert [c.pk for c in response.context["cl"].result_list] == [claim.pk, decided.pk]
    pending = client.get(reverse("admin:disputes_forcemajeureclaim_changelist"), {"status__exact": "pending"})
    assert [c.pk for c in pending.context["cl"].result_list] == [claim.pk]


def test_senior_approves_a_claim_and_the_held_penalty_is_voided(client, senior, claim, buyer):
    help_sweep(now=T0 + timedelta(hours=1, seconds=1))  # the 1-hour deadline passes: penalty held
    violation = claim.help_request.violations.get()
    assert violation.status == ViolationStatus.HELD
    client.force_login(senior)
    assert claim_actions(client, claim) == {"approve", "reject"}
    response = client.post(action_url("forcemajeureclaim", claim.pk, "approve"), {"reason": "Typhoon confirmed."})
    assert response.status_code == 302
    assert messages_of(response)[0][0] == "success"
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, claim.decision_reason) == (
        ClaimStatus.APPROVED,
        senior,
        "Typhoon confirmed.",
    )
    violation.refresh_from_db()
    assert violation.status == ViolationStatus.EXEMPTED
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 0


def test_senior_rejects_a_claim_and_the_buyer_is_credited(client, senior, claim, buyer):
    help_sweep(now=T0 + timedelta(hours=1, seconds=1))
    client.force_login(senior)
    client.post(action_url("forcemajeureclaim", claim.pk, "reject"), {"reason": "No warning was issued."})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 5000


def test_an_agent_cannot_decide_a_claim(client, agent, claim):
    client.force_login(agent)
    assert claim_actions(client, claim) == set()
    response = client.post(action_url("forcemajeureclaim", claim.pk, "approve"), {"reason": "Looks fine."})
    assert [level for level, _ in messages_of(response)] == ["error"]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING
    assert claim.decided_by is None


def test_a_decided_claim_cannot_be_decided_again(client, senior, claim):
    client.force_login(senior)
    client.post(action_url("forcemajeureclaim", claim.pk, "approve"), {"reason": "Typhoon confirmed."})
    assert claim_actions(client, claim) == set()
    response = client.post(action_url("forcemajeureclaim", claim.pk, "reject"), {"reason": "Changed my mind."})
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith("The claim was already decided")
    assert ForceMajeureClaim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED


def test_claims_are_read_only_for_everyone(client, superuser, claim):
    client.force_login(superuser)
    url = reverse("admin:disputes_forcemajeureclaim_change", args=[claim.pk])
    assert client.post(url, {"note": "edited"}).status_code == 403
    assert client.get(reverse("admin:disputes_forcemajeureclaim_add")).status_code == 403
    assert client.get(reverse("admin:disputes_forcemajeureclaim_delete", args=[claim.pk])).status_code == 403


# Evidence download --------------------------------------------------------------------------------------------


def download_url(evidence) -> str:
    return f"/admin/disputes/forcemajeureevidence/{evidence.pk}/download/"


def test_staff_download_evidence_as_an_attachment(client, agent, claim, private_media):
    evidence = claim.evidence.get()
    # Stored under the private media root with a generated name, never the uploader's.
    assert evidence.file.path.startswith(str(private_media))
    assert "台风" not in evidence.file.name
    client.force_login(agent)
    response = client.get(download_url(evidence))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_upload().read()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%8F%B0%E9%A3%8E%E9%A2%84%E8%AD%A6.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_evidence_download_needs_the_view_permission(client, staff_without_role, claim):
    client.force_login(staff_without_role)
    assert client.get(download_url(claim.evidence.get())).status_code == 403


def test_evidence_download_sends_non_staff_to_the_login_page(client, buyer, claim):
    client.force_login(buyer.user)
    response = client.get(download_url(claim.evidence.get()))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_missing_evidence_is_a_404(client, agent):
    client.force_login(agent)
    assert client.get("/admin/disputes/forcemajeureevidence/999999/download/").status_code == 404
