"""The change pages of help requests, refunds, cases and violations show a read-only Explanation panel: each
deadline's computation in words and the policy versions it used."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from disputes.models import Violation
from disputes.services.help_sweep import help_sweep
from tests.services.helpers import BJ, raise_at, raised_and_dispatched
from tests.services.refund_helpers import apply_at, signed_item
from tests.services.test_intervention_helpers import accepted_case

pytestmark = pytest.mark.django_db


def page(client, superuser, model: str, pk: int) -> str:
    client.force_login(superuser)
    resp = client.get(reverse(f"admin:disputes_{model}_change", args=[pk]))
    assert resp.status_code == 200
    return resp.content.decode()


def test_help_request_page_explains_the_window(client, superuser, item, buyer):
    request = raise_at(datetime(2026, 3, 5, 17, 59, 59, tzinfo=BJ), buyer=buyer, item=item)
    html = page(client, superuser, "helprequest", request.pk)
    assert "Explanation" in html
    assert "Raised at 2026-03-05 17:59:59 Beijing time, inside the 09:00–18:00 window." in html
    assert "<code>help.solution_sla</code> = 60 minutes <small>(version 1)</small>" in html


def test_refund_page_explains_its_deadline(client, superuser, buyer, merchant):
    refund = apply_at(datetime(2026, 4, 1, 10, 0, tzinfo=BJ), buyer=buyer, item=signed_item(buyer, merchant))
    html = page(client, superuser, "refundrequest", refund.pk)
    assert "From 2026-04-01 10:00:00 Beijing time, 2 days: 2026-04-03 10:00:00." in html
    assert "<code>refund.return_merchant_silent</code>" in html


def test_case_page_lists_the_days_skipped(client, superuser, buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=datetime(2025, 9, 25, 10, 0, tzinfo=BJ))
    html = page(client, superuser, "intervention", case.pk)
    assert "2025-10-01 (Wednesday) skipped: public holiday (National Day)." in html
    assert "2025-09-28 (Sunday) counted: an adjusted working weekend." in html


def test_violation_page_explains_the_penalty_and_its_deadline(client, superuser, item, buyer):
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
    request = raised_and_dispatched(t0, buyer=buyer, item=item)
    help_sweep(now=t0 + timedelta(hours=1, seconds=1))
    violation = Violation.objects.get(help_request=request)
    with time_machine.travel(t0 + timedelta(days=1)):
        html = page(client, superuser, "violation", violation.pk)
    assert "The 1-hour solution deadline was missed: a fixed penalty of 5000 points." in html
    assert "<code>help.solution_penalty</code> = 5000 points <small>(version 1)</small>" in html
    assert "inside the 09:00–18:00 window" in html


def test_policy_lists_show_the_version_each_edit_created(client, superuser):
    from disputes.models import Policy
    from disputes.services.policies import policy_update

    policy = Policy.objects.get(key="help.solution_sla")
    policy_update(actor=superuser, policy_id=policy.pk, value=90, reason="Busy season")
    client.force_login(superuser)
    html = client.get(reverse("admin:disputes_policy_changelist") + "?q=help.solution_sla").content.decode()
    assert '<td class="field-version">2</td>' in html
    html = client.get(reverse("admin:disputes_policychange_changelist")).content.decode()
    assert '<td class="field-version">2</td>' in html


def test_the_panel_names_units_in_the_admins_language(client, superuser, item, buyer, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    t0 = datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
    request = raised_and_dispatched(t0, buyer=buyer, item=item)
    help_sweep(now=t0 + timedelta(hours=1, seconds=1))
    violation = Violation.objects.get(help_request=request)
    with time_machine.travel(t0 + timedelta(days=1)):
        html = page(client, superuser, "violation", violation.pk)
    assert "<code>help.solution_penalty</code> = 5000 积分" in html
    assert "5000 points" not in html and "60 minutes" not in html
    assert "<code>help.solution_sla</code> = 60 分钟" in html
