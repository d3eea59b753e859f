"""Ledger admin: append-only for everyone, balances on party pages, manual adjustments through ledger_post."""

import pytest
from django.urls import reverse

from disputes.actors import system_actor
from disputes.models import BuyerPointsEntry, EntryKind, MerchantAccountEntry
from disputes.services.ledger import ledger_balance, ledger_post
from tests.admin.helpers import messages_of

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def entry(buyer):
    return ledger_post(
        model=BuyerPointsEntry,
        amount=5000,
        kind=EntryKind.HELP_SOLUTION_PENALTY,
        idempotency_key="test:penalty:1",
        actor=system_actor(),
        buyer=buyer,
        memo="HR-1 1-hour solution deadline missed",
    ).entry


@pytest.mark.parametrize(
    ("model_name", "accounts"),
    [
        ("buyerpointsentry", ("buyer",)),
        ("merchantaccountentry", ("merchant",)),
        ("platformadvanceentry", ("buyer", "merchant")),
    ],
)
def test_no_one_may_change_or_delete_ledger_entries(client, superuser, model_name, accounts, buyer, merchant):
    from django.apps import apps

    model = apps.get_model("disputes", model_name)
    parties = {"buyer": buyer, "merchant": merchant}
    entry = ledger_post(
        model=model,
        amount=100,
        kind=EntryKind.COMPENSATION,
        idempotency_key="k1",
        actor=system_actor(),
        **{name: parties[name] for name in accounts},
    ).entry
    client.force_login(superuser)
    change_url = reverse(f"admin:disputes_{model_name}_change", args=[entry.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    assert client.post(change_url, {"amount": "999999", "memo": "edited"}).status_code == 403
    delete_url = reverse(f"admin:disputes_{model_name}_delete", args=[entry.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    # A hand-made bulk delete request is ignored: the action does not exist on this list.
    client.post(
        reverse(f"admin:disputes_{model_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    entry.refresh_from_db()
    assert entry.amount == 100
    assert entry.memo == ""


def test_changelist_offers_no_bulk_delete(client, superuser, entry):
    client.force_login(superuser)
    response = client.get(reverse("admin:disputes_buyerpointsentry_changelist"))
    action_form = response.context["action_form"]
    choices = [value for value, _label in action_form.fields["action"].choices] if action_form else []
    assert "delete_selected" not in choices


def test_supervisor_posts_a_manual_adjustment(client, supervisor, buyer, entry):
    client.force_login(supervisor)
    url = reverse("admin:disputes_buyerpointsentry_add")
    form_page = client.get(url)
    assert form_page.status_code == 200
    assert set(form_page.context["form"].fields) == {"buyer", "amount", "memo", "token"}
    data = {"buyer": buyer.pk, "amount": "-1200", "memo": "Duplicate goodwill credit taken back", "token": TOKEN}
    response = client.post(url, data)
    assert response.status_code == 302
    adjustment = BuyerPointsEntry.objects.get(kind=EntryKind.ADJUSTMENT)
    assert (adjustment.amount, adjustment.buyer, adjustment.created_by) == (-1200, buyer, supervisor)
    assert adjustment.memo == "Duplicate goodwill credit taken back"
    assert adjustment.idempotency_key == f"admin-adjustment:buyerpointsentry:{TOKEN}"
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 3800
    # Submitting the same form again (double click, back button) posts nothing new.
    again = client.post(url, data)
    assert messages_of(again)[-1][0] == "warning"
    assert BuyerPointsEntry.objects.filter(kind=EntryKind.ADJUSTMENT).count() == 1


def test_an_adjustment_needs_a_memo_and_a_non_zero_amount(client, supervisor, merchant):
    client.force_login(supervisor)
    url = reverse("admin:disputes_merchantaccountentry_add")
    response = client.post(url, {"merchant": merchant.pk, "amount": "0", "memo": "  ", "token": TOKEN})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"amount", "memo"}
    assert not MerchantAccountEntry.objects.exists()


def test_an_agent_cannot_post_adjustments(client, agent, buyer):
    client.force_login(agent)
    url = reverse("admin:disputes_buyerpointsentry_add")
    assert client.get(url).status_code == 403
    data = {"buyer": buyer.pk, "amount": "100", "memo": "Nice buyer", "token": TOKEN}
    assert client.post(url, data).status_code == 403
    assert not BuyerPointsEntry.objects.exists()


def test_party_pages_show_balances(client, supervisor, buyer, merchant, entry):
    ledger_post(
        model=MerchantAccountEntry,
        amount=-5050,
        kind=EntryKind.HELP_SOLUTION_PENALTY,
        idempotency_key="test:charge:1",
        actor=system_actor(),
        merchant=merchant,
    )
    client.force_login(supervisor)
    buyer_page = client.get(reverse("admin:disputes_buyer_change", args=[buyer.pk])).content.decode()
    assert "5,000" in buyer_page
    merchant_page = client.get(reverse("admin:disputes_merchant_change", args=[merchant.pk])).content.decode()
    assert "-50.50 元" in merchant_page
    assert f"/admin/disputes/merchantaccountentry/?merchant__id__exact={merchant.pk}" in merchant_page
