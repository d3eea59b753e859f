"""Merchant violations in the admin: status filters and staff decisions on complaints."""

import pytest
from django.urls import reverse

from disputes.models import ViolationStatus
from disputes.services.violations import help_complaint_file, violation_appeal, violation_decide
from tests.admin.helpers import action_url, dispatched, messages_of, new_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(buyer, item):
    request = dispatched(buyer=buyer, item=item)
    return help_complaint_file(actor=buyer.user, request_id=request.pk, text="The merchant hung up on me.")


def test_senior_counts_a_complaint(client, senior, complaint):
    client.force_login(senior)
    response = client.get(reverse("admin:disputes_violation_change", args=[complaint.pk]))
    assert {t["name"] for t in response.context["objectactions"]} == {"count_complaint", "revoke_complaint"}
    client.post(action_url("violation", complaint.pk, "count_complaint"), {"reason": "Call recording confirms."})
    complaint.refresh_from_db()
    assert complaint.status == ViolationStatus.COUNTED
    assert complaint.decided_by == senior
    assert complaint.note.endswith("[counted] Call recording confirms.")


def test_senior_revokes_a_complaint(client, senior, complaint):
    client.force_login(senior)
    client.post(action_url("violation", complaint.pk, "revoke_complaint"), {"reason": "No evidence."})
    complaint.refresh_from_db()
    assert complaint.status == ViolationStatus.REVOKED


def test_an_agent_cannot_decide_a_complaint(client, agent, complaint):
    client.force_login(agent)
    response = client.post(action_url("violation", complaint.pk, "count_complaint"), {"reason": "Sure."})
    assert [level for level, _ in messages_of(response)] == ["error"]
    complaint.refresh_from_db()
    assert complaint.status == ViolationStatus.PENDING_REVIEW


def test_status_filter_lists_complaints_awaiting_review(client, agent, senior, complaint, buyer, merchant):
    other = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    second = help_complaint_file(actor=buyer.user, request_id=other.pk, text="Rude installer.")
    violation_decide(actor=senior, violation_id=second.pk, count=False, reason="No.")
    client.force_login(agent)
    url = reverse("admin:disputes_violation_changelist")
    response = client.get(url, {"status__exact": ViolationStatus.PENDING_REVIEW})
    assert [v.pk for v in response.context["cl"].result_list] == [complaint.pk]
    response = client.get(url, {"status__exact": ViolationStatus.REVOKED})
    assert [v.pk for v in response.context["cl"].result_list] == [second.pk]


@pytest.fixture
def appealed(complaint, senior, merchant_user):
    violation_decide(actor=senior, violation_id=complaint.pk, count=True, reason="Call recording confirms.")
    return violation_appeal(actor=merchant_user, violation_id=complaint.pk, reason="The buyer was out; see chat.")


def test_a_senior_agent_sees_the_appeal_and_grants_it(client, senior, appealed):
    client.force_login(senior)
    response = client.get(reverse("admin:disputes_violation_change", args=[appealed.pk]))
    assert {t["name"] for t in response.context["objectactions"]} == {"grant_appeal", "reject_appeal"}
    form = client.get(action_url("violation", appealed.pk, "grant_appeal"))
    assert "The buyer was out; see chat." in form.content.decode()
    response = client.post(action_url("violation", appealed.pk, "grant_appeal"), {"reason": "Chat log holds."})
    assert [level for level, _ in messages_of(response)] == ["success"]
    appealed.refresh_from_db()
    assert appealed.status == ViolationStatus.REVOKED
    assert (appealed.appeal_decided_by, appealed.appeal_decision_reason) == (senior, "Chat log holds.")


def test_a_senior_agent_rejects_an_appeal(client, senior, appealed):
    client.force_login(senior)
    client.post(action_url("violation", appealed.pk, "reject_appeal"), {"reason": "Nothing new."})
    appealed.refresh_from_db()
    assert appealed.status == ViolationStatus.COUNTED
    response = client.get(reverse("admin:disputes_violation_change", args=[appealed.pk]))
    assert response.context["objectactions"] == []  # appealed once: nothing left to decide


def test_an_agent_cannot_decide_an_appeal(client, agent, appealed):
    client.force_login(agent)
    assert client.get(reverse("admin:disputes_violation_change", args=[appealed.pk])).context["objectactions"] == []
    response = client.post(action_url("violation", appealed.pk, "grant_appeal"), {"reason": "Sure."})
    assert [level for level, _ in messages_of(response)] == ["error"]
    appealed.refresh_from_db()
    assert appealed.status == ViolationStatus.APPEALED


def test_the_appealed_filter_is_the_staff_queue(client, senior, appealed):
    client.force_login(senior)
    url = reverse("admin:disputes_violation_changelist")
    response = client.get(url, {"status__exact": ViolationStatus.APPEALED})
    assert [v.pk for v in response.context["cl"].result_list] == [appealed.pk]
