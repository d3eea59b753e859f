"""The admin's webhook pages: endpoints with their health and never their secret, deliveries with their attempts,
and redelivery for supervisors only."""

import pytest
from django.urls import reverse

from disputes.errors import Forbidden
from disputes.models import DeliveryStatus, IdempotencyKey, WebhookDelivery
from disputes.webhooks.delivery import deliver_due, webhook_delivery_redeliver
from tests.api.helpers import token_client
from tests.webhooks.helpers import endpoint_for, events_for

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:disputes_webhookdelivery_changelist")


@pytest.fixture
def failed_once(merchant, merchant_user, receiver):
    receiver.answer = lambda n, headers, body: 500
    endpoint = endpoint_for(merchant_user, receiver.url)
    events_for(merchant, [("refund", 1)])
    deliver_due()
    return endpoint, WebhookDelivery.objects.get()


def test_staff_see_health_and_attempts_but_never_the_secret(client, agent, failed_once):
    endpoint, delivery = failed_once
    client.force_login(agent)
    listed = client.get(reverse("admin:disputes_webhookendpoint_changelist"))
    assert listed.status_code == 200
    page = client.get(reverse("admin:disputes_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200
    for response in (listed, page):
        assert endpoint.secret not in response.content.decode()
        assert endpoint.secret.removeprefix("whsec_") not in response.content.decode()
    delivery_page = client.get(reverse("admin:disputes_webhookdelivery_change", args=[delivery.pk]))
    assert delivery_page.status_code == 200
    assert "500" in delivery_page.content.decode()
    assert client.get(CHANGELIST, {"status__exact": "pending"}).context["cl"].result_count == 1


def test_a_supervisor_redelivers(client, supervisor, failed_once, django_capture_on_commit_callbacks):
    _endpoint, delivery = failed_once
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(CHANGELIST, {"action": "redeliver", "_selected_action": [delivery.pk]}, follow=True)
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert len(callbacks) == 1  # the redeliver task, enqueued by name after commit


def test_an_agent_may_not_redeliver(client, agent, failed_once):
    _endpoint, delivery = failed_once
    client.force_login(agent)
    assert client.get(CHANGELIST).context["action_form"] is None  # no action offered at all
    with pytest.raises(Forbidden):
        webhook_delivery_redeliver(actor=agent, delivery_id=delivery.pk)


def test_a_replayed_creation_keeps_the_secret_from_staff(client, supervisor, merchant_user):
    created = token_client(merchant_user).post(
        reverse("api:merchant-webhook-endpoint-list"),
        {"url": "http://127.0.0.1:9/in"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-hook-1",
    )
    secret = created.json()["secret"]
    key = IdempotencyKey.objects.get(key="create-hook-1")
    client.force_login(supervisor)
    page = client.get(reverse("admin:disputes_idempotencykey_change", args=[key.pk])).content.decode()
    assert secret not in page and "whsec_(hidden)" in page
