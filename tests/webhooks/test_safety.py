"""Server-side request forgery: with WEBHOOK_ALLOW_PRIVATE_URLS off (production), an endpoint on a loopback,
private, link-local, multicast or reserved address is refused at registration (400 url_not_public) and again at
delivery time, after the name is resolved; and a delivery connects to the address it checked."""

import pytest
from django.urls import reverse

from disputes.models import WebhookAttempt, WebhookDelivery
from disputes.webhooks import safety
from disputes.webhooks.delivery import deliver_due
from tests.api.helpers import token_client
from tests.webhooks.helpers import endpoint_for, events_for

pytestmark = pytest.mark.django_db

LIST = reverse("api:merchant-webhook-endpoint-list")


@pytest.fixture
def production_urls(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "224.0.0.1",
        "240.0.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    ],
)
def test_non_public_addresses(address):
    assert not safety.is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses(address):
    assert safety.is_public(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "https://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://[::1]/",
    ],
)
def test_registration_refuses_a_non_public_url(production_urls, merchant_user, url):
    response = token_client(merchant_user).post(LIST, {"url": url}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "url_not_public"


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.1/", "http://127.1/"])
def test_the_check_reads_addresses_as_the_resolver_does(production_urls, url):
    """Spellings of 127.0.0.1 that the API's URL field already refuses are refused by the check on its own too."""
    with pytest.raises(safety.UrlRefused) as refused:
        safety.check_url(url)
    assert refused.value.code == "url_not_public"


def test_registration_refuses_a_scheme_other_than_http(production_urls, merchant_user):
    response = token_client(merchant_user).post(LIST, {"url": "ftp://example.com/x"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_url"


def test_a_public_url_is_accepted(production_urls, merchant_user, monkeypatch):
    monkeypatch.setattr(safety, "resolve", lambda host, port: ["93.184.215.14"])
    response = token_client(merchant_user).post(LIST, {"url": "https://hooks.example.com/in"}, format="json")
    assert response.status_code == 201


def test_delivery_refuses_a_name_that_now_resolves_to_a_private_address(merchant, merchant_user, receiver, settings):
    endpoint_for(merchant_user, receiver.url.replace("127.0.0.1", "localhost"))
    events_for(merchant, [("refund", 1)])
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert deliver_due() == {"pending": 1}
    assert receiver.requests == []
    assert WebhookAttempt.objects.get().error.startswith("refused:")
    assert WebhookDelivery.objects.get().last_status_code is None


def test_delivery_connects_to_the_address_it_checked(merchant, merchant_user, receiver, settings, monkeypatch):
    """The request goes to the resolved, checked address, naming the original host: a second lookup (DNS
    rebinding) cannot send it elsewhere."""
    url = receiver.url.replace("127.0.0.1", "hooks.example.test")
    endpoint_for(merchant_user, url)
    events_for(merchant, [("refund", 1)])
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    monkeypatch.setattr(safety, "resolve", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(safety, "is_public", lambda address: True)
    assert deliver_due() == {"succeeded": 1}
    [(headers, _body, _status)] = receiver.requests
    assert headers["host"] == url.split("/")[2]
