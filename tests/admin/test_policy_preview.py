"""The policy what-if in the admin: supervisors preview a value on the last 30 days before changing it; the page only
renders disputes.selectors.what_if and writes nothing."""

import pytest
import time_machine
from django.urls import reverse

from disputes.models import Policy
from tests.selectors.test_what_if import NOW, _everything, month  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def preview_url(key: str) -> str:
    return reverse("admin:disputes_policy_preview", args=[Policy.objects.get(key=key).pk])


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_supervisor_previews_a_value_and_nothing_is_written(client, supervisor, month):  # noqa: F811
    client.force_login(supervisor)
    before = _everything()
    blank = client.get(preview_url("help.solution_penalty"))
    assert blank.status_code == 200 and blank.context["result"] is None
    assert blank.context["form"].initial == {"value": 5_000}
    page = client.get(preview_url("help.solution_penalty"), {"value": "8000"})
    assert page.status_code == 200
    result = page.context["result"]
    assert (result.before.misses, result.before.points, result.after.points) == (6, 60_000, 66_000)
    html = page.content.decode()
    assert '<tr id="preview-points">' in html and "<td>66000</td>" in html and "<td>+6000</td>" in html
    assert "<td>Shop A</td>" in html
    assert _everything() == before


def test_the_policy_page_links_to_the_preview(client, supervisor):
    client.force_login(supervisor)
    policy = Policy.objects.get(key="help.resolution_sla")
    page = client.get(reverse("admin:disputes_policy_change", args=[policy.pk]))
    assert preview_url("help.resolution_sla") in page.content.decode()


def test_a_policy_without_replay_says_so(client, supervisor):
    client.force_login(supervisor)
    page = client.get(preview_url("refund.shipping_cover"), {"value": "2000"})
    assert page.status_code == 200 and page.context["result"] is None
    assert 'id="no-preview"' in page.content.decode() and 'id="preview-form"' not in page.content.decode()


def test_a_value_the_policy_cannot_take_is_shown_on_the_form(client, supervisor):
    client.force_login(supervisor)
    page = client.get(preview_url("standard.install.percent"), {"value": "120"})
    assert page.status_code == 200 and page.context["result"] is None
    assert "A percentage is at most 100." in str(page.context["form"].errors["value"])
    window = client.get(preview_url("help.window_end"), {"value": "800"})
    assert "policies_out_of_order" not in window.content.decode()
    assert "help.window_start is before help.window_end" in str(window.context["form"].errors["value"])


def test_only_supervisors_may_preview(client, agent, senior):
    for user in (agent, senior):
        client.force_login(user)
        assert client.get(preview_url("help.solution_penalty"), {"value": "8000"}).status_code == 403
