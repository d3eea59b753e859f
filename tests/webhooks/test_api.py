"""The merchant API for webhook endpoints: the secret shown once (create, rotate), each merchant sees only its
own endpoints (404 otherwise), providers and anonymous callers are refused, deliveries list their attempts."""

import pytest
from django.urls import reverse

from disputes.models import WebhookEndpoint
from disputes.webhooks.delivery import deliver_due
from tests import factories as f
from tests.api.helpers import token_client
from tests.webhooks.helpers import endpoint_for, events_for

pytestmark = pytest.mark.django_db

LIST = reverse("api:merchant-webhook-endpoint-list")


def detail(pk: int) -> str:
    return reverse("api:merchant-webhook-endpoint-detail", args=[pk])


def test_the_secret_is_shown_on_create_and_rotate_only(merchant_user):
    api = token_client(merchant_user)
    created = api.post(LIST, {"url": "http://127.0.0.1:9/in", "event_types": ["refund.applied"]}, format="json")
    assert created.status_code == 201
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and secret == WebhookEndpoint.objects.get().secret
    assert body["event_types"] == ["refund.applied"] and body["enabled"] is True
    assert "secret" not in api.get(detail(body["id"])).json()
    assert all("secret" not in row for row in api.get(LIST).json()["results"])
    rotated = api.post(reverse("api:merchant-webhook-endpoint-rotate-secret", args=[body["id"]]), {}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != secret
    assert "secret" not in api.get(detail(body["id"])).json()


def test_update_and_delete(merchant_user):
    api = token_client(merchant_user)
    endpoint = endpoint_for(merchant_user, "http://127.0.0.1:9/in")
    changed = api.patch(
        detail(endpoint.pk), {"url": "http://127.0.0.1:9/new", "enabled": False, "event_types": []}, format="json"
    )
    assert changed.status_code == 200
    assert (changed.json()["url"], changed.json()["enabled"]) == ("http://127.0.0.1:9/new", False)
    assert changed.json()["disabled_reason"]
    again = api.patch(detail(endpoint.pk), {"enabled": True}, format="json").json()
    assert (again["enabled"], again["disabled_reason"], again["disabled_at"]) == (True, "", None)
    assert api.delete(detail(endpoint.pk)).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_unknown_event_types_are_refused(merchant_user):
    response = token_client(merchant_user).post(
        LIST, {"url": "http://127.0.0.1:9/in", "event_types": ["refund.exploded"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field_codes"] == {"event_types": "invalid_event_types"}


def test_another_merchants_endpoint_is_not_found(merchant_user, other_user):
    theirs = endpoint_for(other_user, "http://127.0.0.1:9/theirs")
    api = token_client(merchant_user)
    assert api.get(LIST).json()["results"] == []
    urls = [detail(theirs.pk), reverse("api:merchant-webhook-endpoint-deliveries", args=[theirs.pk])]
    for url in urls:
        assert api.get(url).status_code == 404
    assert api.patch(detail(theirs.pk), {"enabled": False}, format="json").status_code == 404
    assert api.delete(detail(theirs.pk)).status_code == 404
    rotate = api.post(reverse("api:merchant-webhook-endpoint-rotate-secret", args=[theirs.pk]), {}, format="json")
    assert rotate.status_code == 404
    assert rotate.json()["code"] == "webhook_endpoint_not_found"
    theirs.refresh_from_db()
    assert theirs.enabled


def test_providers_buyers_and_anonymous_callers_are_refused(db, buyer):
    provider_user = f.ProviderUserFactory().user
    assert token_client(provider_user).get(LIST).status_code == 403
    assert token_client(buyer.user).get(LIST).status_code == 403
    from rest_framework.test import APIClient

    assert APIClient().get(LIST).status_code == 401


def test_deliveries_list_attempts(merchant, merchant_user, receiver):
    endpoint = endpoint_for(merchant_user, receiver.url)
    [event] = events_for(merchant, [("refund", 3)])
    deliver_due()
    response = token_client(merchant_user).get(reverse("api:merchant-webhook-endpoint-deliveries", args=[endpoint.pk]))
    assert response.status_code == 200
    [row] = response.json()
    assert (row["event_id"], row["event_type"], row["status"], row["attempts"]) == (
        str(event.uid),
        "refund.noted",
        "succeeded",
        1,
    )
    assert row["attempt_log"][0]["status_code"] == 200
