"""Rate limits: per API token, per client address (bad tokens included), and without a token, answered 429 with
Retry-After; the counters live in the shared cache (Redis in CI and production). The admin locks an account out
after repeated failed logins (django-axes)."""

import pytest
from django.core.cache import caches
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.helpers import token_client

pytestmark = pytest.mark.django_db

LIST = reverse("api:merchant-help-request-list")


@pytest.fixture
def low_rates(settings):
    rates = {"token": "3/min", "address": "5/min", "anonymous": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    yield rates


def test_a_token_over_its_rate_gets_429_with_retry_after(merchant_user, low_rates):
    api = token_client(merchant_user)
    assert [api.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get(LIST)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60


def test_the_limit_is_per_token(merchant_user, other_merchant_user, low_rates):
    for _ in range(3):
        token_client(merchant_user).get(LIST)
    assert token_client(merchant_user).get(LIST).status_code == 429
    assert token_client(other_merchant_user).get(LIST).status_code == 200


def test_an_address_flooding_bad_tokens_is_limited_too(low_rates):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    answers = [api.get(LIST).status_code for _ in range(6)]
    assert answers == [401, 401, 401, 401, 401, 429]


def test_calls_without_a_token_have_their_own_small_rate(low_rates):
    api = APIClient()
    schema = reverse("api:schema")
    assert [api.get(schema).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.redis
def test_the_counters_live_in_the_shared_cache(merchant_user, low_rates, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CACHE_URL or settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"test-rate-{merchant_user.pk}",
        }
    }
    caches["default"].clear()
    api = token_client(merchant_user)
    for _ in range(3):
        api.get(LIST)
    # Another process (a fresh cache connection) sees the same count.
    caches.close_all()
    del caches["default"]
    assert api.get(LIST).status_code == 429


def test_the_admin_locks_an_account_out_after_five_wrong_passwords(client, supervisor, settings):
    supervisor.set_password("right-password-1")
    supervisor.save()
    login = reverse("admin:login")
    answers = [client.post(login, {"username": supervisor.username, "password": "wrong"}).status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the form again with its error, then the lockout at the fifth
    locked = client.post(login, {"username": supervisor.username, "password": "right-password-1"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_thousand_calls_in_a_minute_on_one_token_meet_the_default_limit(merchant_user, clock):
    # The hostile client: 1,000 calls within a minute on one token, at the default rates (600 a minute
    # per token, 1,200 per address): the first 600 are answered, the rest are 429 with Retry-After.
    api = token_client(merchant_user)
    answers = [api.get(LIST, {"limit": 1}) for _ in range(1000)]
    assert [r.status_code for r in answers].count(200) == 600
    refused = [r for r in answers if r.status_code == 429]
    assert len(refused) == 400
    assert all(r.json()["code"] == "throttled" and int(r["Retry-After"]) > 0 for r in refused)
