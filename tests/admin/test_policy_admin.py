"""Policy admin and policy_update: supervisors edit values with a reason; every change is recorded."""

from pathlib import Path

import pytest
from django.urls import reverse

from disputes.errors import Forbidden, NotFound, RuleRefused, ValidationFailed
from disputes.models import Policy, PolicyChange
from disputes.services.policies import policy_update
from tests.admin.helpers import management_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_risk():
    return Policy.objects.get(key="help.at_risk_before")


def change_url(policy) -> str:
    return reverse("admin:disputes_policy_change", args=[policy.pk])


def test_supervisor_edits_a_value_and_the_change_is_recorded(client, supervisor, at_risk):
    client.force_login(supervisor)
    page = client.get(change_url(at_risk))
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) == {"value", "reason"}
    data = {"value": "30", "reason": "Staff want earlier warnings.", **management_data(page)}
    response = client.post(change_url(at_risk), data)
    assert response.status_code == 302
    at_risk.refresh_from_db()
    assert (at_risk.value, at_risk.updated_by, at_risk.default_value) == (30, supervisor, 15)
    [change] = PolicyChange.objects.filter(policy=at_risk)
    assert (change.old_value, change.new_value, change.changed_by) == (15, 30, supervisor)
    assert change.reason == "Staff want earlier warnings."
    # The history shows on the policy page.
    page = client.get(change_url(at_risk))
    [inline] = page.context["inline_admin_formsets"]
    assert [form.original for form in inline] == [change]


def test_a_value_change_needs_a_reason(client, supervisor, at_risk):
    client.force_login(supervisor)
    page = client.get(change_url(at_risk))
    response = client.post(change_url(at_risk), {"value": "30", "reason": "", **management_data(page)})
    assert response.status_code == 200
    assert "reason" in response.context["adminform"].form.errors
    at_risk.refresh_from_db()
    assert at_risk.value == 15
    assert not PolicyChange.objects.exists()


def test_an_invalid_value_is_refused_with_the_model_rule(client, supervisor):
    percent = Policy.objects.get(key="standard.install.percent")
    client.force_login(supervisor)
    page = client.get(change_url(percent))
    response = client.post(change_url(percent), {"value": "120", "reason": "Typo test", **management_data(page)})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value"] == ["A percentage is at most 100."]
    percent.refresh_from_db()
    assert percent.value == 10
    assert not PolicyChange.objects.exists()


def test_saving_without_a_change_records_nothing(client, supervisor, at_risk):
    client.force_login(supervisor)
    page = client.get(change_url(at_risk))
    response = client.post(change_url(at_risk), {"value": "15", "reason": "", **management_data(page)})
    assert response.status_code == 302
    assert not PolicyChange.objects.exists()


def test_an_agent_sees_policies_read_only(client, agent, at_risk):
    client.force_login(agent)
    page = client.get(change_url(at_risk))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.post(change_url(at_risk), {"value": "1", "reason": "Because"}).status_code == 403
    at_risk.refresh_from_db()
    assert at_risk.value == 15


def test_policies_cannot_be_added_or_deleted_and_history_is_read_only(client, superuser, at_risk):
    policy_update(actor=superuser, policy_id=at_risk.pk, value=20, reason="Busy season")
    change = PolicyChange.objects.get()
    client.force_login(superuser)
    assert client.get(reverse("admin:disputes_policy_add")).status_code == 403
    assert client.get(reverse("admin:disputes_policy_delete", args=[at_risk.pk])).status_code == 403
    assert client.get(reverse("admin:disputes_policychange_add")).status_code == 403
    history_url = reverse("admin:disputes_policychange_change", args=[change.pk])
    assert client.post(history_url, {"reason": "rewritten"}).status_code == 403
    assert client.get(reverse("admin:disputes_policychange_delete", args=[change.pk])).status_code == 403


def test_policy_list_shows_the_translated_label_value_unit_and_default(client, agent):
    client.force_login(agent)
    response = client.get(reverse("admin:disputes_policy_changelist"), {"group__exact": "help"})
    html = response.content.decode()
    assert "Help request: at risk when due within" in html
    keys = [p.key for p in response.context["cl"].result_list]
    assert "help.at_risk_before" in keys
    assert all(key.startswith(("help.", "standard.")) for key in keys)


# The service itself ---------------------------------------------------------------------------------------------


def test_policy_update_refuses_a_negative_value_with_a_clear_message(superuser, at_risk):
    with pytest.raises(ValidationFailed) as refused:
        policy_update(actor=superuser, policy_id=at_risk.pk, value=-5, reason="Oops")
    assert refused.value.message == "help.at_risk_before: A policy value cannot be negative."
    at_risk.refresh_from_db()
    assert at_risk.value == 15
    assert not PolicyChange.objects.exists()


def test_policy_update_refuses_a_bad_clock_value(superuser):
    start = Policy.objects.get(key="help.window_start")
    with pytest.raises(ValidationFailed, match="HHMM"):
        policy_update(actor=superuser, policy_id=start.pk, value=975, reason="Half past nine?")


@pytest.mark.parametrize(
    ("key", "value", "other"),
    [
        ("help.window_start", 1800, "help.window_end"),  # an empty 1-hour window would break every new request
        ("help.window_end", 800, "help.window_start"),
        ("refund.damage_penalty_min", 6000, "refund.damage_penalty_max"),
        ("standard.install.max", 4000, "standard.install.min"),
    ],
)
def test_policy_update_keeps_paired_values_in_order(superuser, key, value, other):
    policy = Policy.objects.get(key=key)
    with pytest.raises(RuleRefused) as refused:
        policy_update(actor=superuser, policy_id=policy.pk, value=value, reason="Try it")
    assert refused.value.code == "policies_out_of_order"
    assert other in refused.value.message
    policy.refresh_from_db()
    assert policy.value == policy.default_value
    assert not PolicyChange.objects.exists()


def test_policy_update_requires_a_reason_and_a_change(superuser, at_risk):
    with pytest.raises(ValidationFailed, match="reason is required"):
        policy_update(actor=superuser, policy_id=at_risk.pk, value=20, reason="  ")
    with pytest.raises(RuleRefused, match="already 15"):
        policy_update(actor=superuser, policy_id=at_risk.pk, value=15, reason="Same")


def test_policy_update_requires_change_policy(agent, senior, at_risk):
    for user in (agent, senior):
        with pytest.raises(Forbidden):
            policy_update(actor=user, policy_id=at_risk.pk, value=20, reason="I think so")
    assert not PolicyChange.objects.exists()


def test_policy_update_unknown_policy(superuser):
    with pytest.raises(NotFound):
        policy_update(actor=superuser, policy_id=999_999, value=1, reason="x")


def test_policy_update_records_old_and_new_values_in_order(supervisor, at_risk):
    policy_update(actor=supervisor, policy_id=at_risk.pk, value=20, reason="First")
    policy_update(actor=supervisor, policy_id=at_risk.pk, value=25, reason="Second")
    rows = list(PolicyChange.objects.filter(policy=at_risk).order_by("id").values_list("old_value", "new_value"))
    assert rows == [(15, 20), (20, 25)]


@pytest.mark.parametrize(
    ("key", "section"),
    [
        ("help.at_risk_before", "one-click-help"),
        ("standard.install.percent", "48-hour-penalties-per-service-standard"),
        ("refund.buyer_ship_return", "refunds-and-after-sales"),
        ("intervention.decision_due", "platform-intervention"),
        ("violation.refuse_return_points", "merchant-violations"),
    ],
)
def test_the_value_points_to_where_the_repository_explains_it(client, supervisor, key, section):
    client.force_login(supervisor)
    page = client.get(change_url(Policy.objects.get(key=key)))
    help_text = page.context["adminform"].form.fields["value"].help_text
    assert f"docs/policies.md#{section}" in help_text
    assert "docs/policies.md#changing-a-value" in help_text
    # Each anchor is a heading of docs/policies.md (GitHub's anchors: lower case, spaces to hyphens).
    headings = Path(__file__).resolve().parents[2].joinpath("docs", "policies.md").read_text(encoding="utf-8")
    anchors = {line[3:].strip().lower().replace(" ", "-") for line in headings.splitlines() if line.startswith("## ")}
    assert {section, "changing-a-value"} <= anchors
