"""What each staff role sees on the admin index, and what it may do there."""

import pytest

pytestmark = pytest.mark.django_db


def disputes_perms(client, user) -> dict[str, dict[str, bool]]:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    apps = {app["app_label"]: app for app in response.context["app_list"]}
    if "disputes" not in apps:
        return {}
    return {m["object_name"].lower(): m["perms"] for m in apps["disputes"]["models"]}


def test_agent_views_cases_ledgers_and_policies_but_changes_no_policy_and_adds_no_merchant(client, agent):
    perms = disputes_perms(client, agent)
    for model in ("helprequest", "forcemajeureclaim", "violation", "buyerpointsentry", "merchantaccountentry"):
        assert perms[model]["view"], model
    assert perms["policy"]["view"] and not perms["policy"]["change"]
    assert perms["policychange"]["view"]
    assert perms["merchant"]["view"] and not perms["merchant"]["add"]
    assert not perms["buyerpointsentry"]["add"]
    # The case page is read-only for everyone; work happens through its buttons.
    assert not perms["helprequest"]["change"] and not perms["helprequest"]["add"]
    assert "merchantuser" not in perms


def test_senior_sees_the_same_models_as_an_agent(client, agent, senior):
    assert set(disputes_perms(client, senior)) == set(disputes_perms(client, agent))


def test_supervisor_changes_policies_adds_merchants_and_posts_adjustments(client, supervisor):
    perms = disputes_perms(client, supervisor)
    assert perms["policy"]["change"]
    assert perms["merchant"]["add"] and perms["merchant"]["change"]
    assert perms["buyerpointsentry"]["add"] and perms["merchantaccountentry"]["add"]
    assert not perms["buyerpointsentry"]["change"] and not perms["buyerpointsentry"]["delete"]
    assert perms["merchantuser"]["add"]


def test_staff_without_a_role_sees_no_disputes_models(client, staff_without_role):
    assert disputes_perms(client, staff_without_role) == {}


def test_a_non_staff_user_is_sent_to_the_login_page(client, buyer):
    client.force_login(buyer.user)
    response = client.get("/admin/disputes/helprequest/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_agent_cannot_open_the_add_merchant_page(client, agent):
    client.force_login(agent)
    assert client.get("/admin/disputes/merchant/add/").status_code == 403
    assert client.get("/admin/disputes/merchant/").status_code == 200


def test_a_supervisor_can_open_the_add_merchant_page(client, supervisor):
    client.force_login(supervisor)
    assert client.get("/admin/disputes/merchant/add/").status_code == 200
