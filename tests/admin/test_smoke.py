"""Every registered admin page of the disputes app opens for a superuser, with rows on every list."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from disputes.actors import system_actor
from disputes.models import EntryKind, PlatformAdvanceEntry, Policy
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.help_sweep import help_sweep
from disputes.services.ledger import ledger_post
from disputes.services.policies import policy_update
from disputes.services.violations import help_complaint_file
from disputes.webhooks.delivery import deliver_due
from tests import factories as f
from tests.admin.case_helpers import populate_cases
from tests.admin.helpers import T0, dispatched, new_item, png_upload
from tests.webhooks.helpers import endpoint_for, events_for

pytestmark = pytest.mark.django_db


def populate(superuser, n: int):
    """One of everything for a fresh merchant and buyer: a claim with evidence, a held miss, a paid miss,
    a complaint, ledger entries of each kind, a policy change, and every refund and intervention record."""
    merchant, buyer = f.MerchantFactory(), f.BuyerFactory()
    merchant_user = f.MerchantUserFactory(merchant=merchant).user
    f.DesignationFactory(merchant=merchant)
    f.ProviderUserFactory()
    claimed = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        help_force_majeure_claim(
            actor=merchant_user,
            request_id=claimed.pk,
            deadline="solution",
            category="typhoon",
            note="Typhoon warning: roads closed.",
            files=[png_upload(), png_upload("second.png")],
        )
    paid = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    help_sweep(now=T0 + timedelta(hours=1, seconds=1))
    complained = dispatched(buyer=buyer, item=new_item(buyer=buyer, merchant=merchant))
    help_complaint_file(actor=buyer.user, request_id=complained.pk, text="They never called back.")
    ledger_post(
        model=PlatformAdvanceEntry,
        amount=30_000,
        kind=EntryKind.ADVANCE,
        idempotency_key=f"test:advance:{n}",
        actor=system_actor(),
        buyer=buyer,
        merchant=merchant,
    )
    # A buyer's app retrying a refused complaint with an Idempotency-Key: the refusal is kept and replayed.
    api = APIClient()
    api.force_authenticate(buyer.user)
    url = reverse("api:buyer-help-request-complaint", args=[complained.pk])
    api.post(url, {"text": "Again."}, format="json", HTTP_IDEMPOTENCY_KEY=f"smoke-{n}")
    policy = Policy.objects.get(key="help.at_risk_before")
    policy_update(actor=superuser, policy_id=policy.pk, value=20 + n, reason="Busy season")
    cases = populate_cases(n)
    # A webhook endpoint with a delivery that failed once (no receiver listens on port 9).
    endpoint_for(merchant_user, f"http://127.0.0.1:9/hooks-{n}")
    events_for(merchant, [("refund", n)])
    deliver_due()
    return {"paid": paid, "claimed": claimed, **cases}


@pytest.fixture
def world(superuser):
    return populate(superuser, 1)


def disputes_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "disputes"
    ]


# Model modules without an admin yet (each aggregate gets its own module in disputes/admin/): none left.
NOT_YET_COVERED: set[str] = set()


def test_every_disputes_model_is_registered():
    from django.apps import apps

    registered = {model for model, _ in disputes_admins()}
    models = {m for m in apps.get_app_config("disputes").get_models() if m.__module__ not in NOT_YET_COVERED}
    assert len(models) == 34  # 29 + the API's idempotency keys + the event log + 3 of webhooks
    assert models == registered


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def runs_under_the_csp(response) -> None:
    """The page sends the Content-Security-Policy and has nothing it would block: no inline <script> (bar JSON
    data blocks) and no on*="" handler attributes, since script-src is 'self' only."""
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)


def test_every_changelist_change_and_add_page_opens_for_a_superuser(client, world, superuser):
    client.force_login(superuser)
    index = client.get("/admin/")
    assert index.status_code == 200
    runs_under_the_csp(index)
    for model, model_admin in disputes_admins():
        name = f"admin:disputes_{model._meta.model_name}"
        response = client.get(reverse(f"{name}_changelist"))
        assert response.status_code == 200, model
        assert response.context["cl"].result_count >= 1, f"no rows listed for {model.__name__}"
        runs_under_the_csp(response)
        obj = model._default_manager.order_by("pk").first()
        response = client.get(reverse(f"{name}_change", args=[obj.pk]))
        assert response.status_code == 200, model
        runs_under_the_csp(response)
        if model_admin.has_add_permission(response.wsgi_request):
            added = client.get(reverse(f"{name}_add"))
            assert added.status_code == 200, model
            runs_under_the_csp(added)


def changelist_query_counts(client) -> dict[str, int]:
    counts = {}
    for model, _admin in disputes_admins():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(f"admin:disputes_{model._meta.model_name}_changelist"))
        assert response.status_code == 200
        counts[model.__name__] = len(queries.captured_queries)
    return counts


def test_no_changelist_queries_per_row(client, world, superuser):
    client.force_login(superuser)
    before = changelist_query_counts(client)
    populate(superuser, 2)
    populate(superuser, 3)
    assert changelist_query_counts(client) == before


def test_the_help_request_changelist_opens_with_every_queue_filter_and_a_search(client, world, superuser):
    client.force_login(superuser)
    url = reverse("admin:disputes_helprequest_changelist")
    for queue in ("awaiting_solution", "at_risk", "breached", "force_majeure", "objections", "followup"):
        assert client.get(url, {"queue": queue}).status_code == 200, queue
    order_no = world["paid"].order_item.order.order_no
    response = client.get(url, {"q": order_no})
    assert [r.pk for r in response.context["cl"].result_list] == [world["paid"].pk]


def test_site_header_and_titles_are_set(client, superuser):
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.context["site_header"] == "After-sales back office"
    assert response.context["site_title"] == "After-sales back office"
    assert response.context["title"] == "Cases, ledgers and policies"


def test_staff_read_money_in_yuan_on_every_list_and_read_only_page(client, world, superuser):
    """Every money field (integer fen) reads as 元 with two decimals; only a form that edits one says fen."""
    client.force_login(superuser)
    fen_models = [
        (model, model_admin)
        for model, model_admin in disputes_admins()
        if any(field.name.endswith("_fen") for field in model._meta.concrete_fields)
    ]
    assert len(fen_models) >= 6
    for model, model_admin in fen_models:
        name = f"admin:disputes_{model._meta.model_name}"
        listing = client.get(reverse(f"{name}_changelist")).content.decode()
        assert "(fen)" not in listing, model
        obj = model._default_manager.order_by("pk").first()
        page = client.get(reverse(f"{name}_change", args=[obj.pk]))
        if not model_admin.has_change_permission(page.wsgi_request, obj):
            html = page.content.decode()
            assert "(fen)" not in html and " 元" in html, model
