"""Shared fixtures: the actors of a help request and a ready-made eligible order item."""

import os

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from disputes.roles import AGENT, SENIOR_AGENT, SUPERVISOR
from tests import factories as f


def _on_postgres() -> bool:
    from django.conf import settings

    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def _on_redis() -> bool:
    from django.conf import settings

    return settings.CELERY_BROKER_URL.startswith("redis://")


def pytest_collection_modifyitems(config, items):
    """Integration tests need PostgreSQL and Redis. Locally they are skipped without them (and say so);
    under CI=true a missing service fails the whole run instead, so nothing is silently skipped."""
    if os.environ.get("CI") == "true":
        if not _on_postgres():
            raise pytest.UsageError("CI=true requires DATABASE_URL to point at PostgreSQL")
        if not _on_redis():
            raise pytest.UsageError("CI=true requires CELERY_BROKER_URL to point at Redis")
        return
    for test in items:
        if test.get_closest_marker("postgres") and not _on_postgres():
            test.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI always does)"))
        if test.get_closest_marker("redis") and not _on_redis():
            test.add_marker(pytest.mark.skip(reason="needs Redis: set CELERY_BROKER_URL (CI always does)"))


@pytest.fixture(autouse=True)
def english_by_default(settings):
    """Tests assert the English msgids; the site itself defaults to 简体中文 (tests/test_i18n.py opts back in)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with empty rate-limit counters in a memory cache of its own (the Redis cache is tested
    where it matters, in tests/api/test_hostile_client.py)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _local_webhook_receivers(settings):
    """Tests receive webhooks on 127.0.0.1 (tests/webhooks/test_safety.py switches this off to test the refusal)."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs ~0.3 s per user created by a factory.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city(db):
    return f.CityFactory(name="杭州")


@pytest.fixture
def merchant(db):
    return f.MerchantFactory()


@pytest.fixture
def buyer(db):
    return f.BuyerFactory()


@pytest.fixture
def other_buyer(db):
    return f.BuyerFactory()


@pytest.fixture
def item(db, city, merchant, buyer):
    """An order item with 送货入户并安装 in a supported city, bought by `buyer` from `merchant`."""
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name)
    return f.OrderItemFactory(order=order)


@pytest.fixture
def merchant_user(db, merchant):
    return f.MerchantUserFactory(merchant=merchant).user


@pytest.fixture
def other_merchant_user(db):
    return f.MerchantUserFactory().user


@pytest.fixture
def agent(db):
    return f.StaffFactory(username="agent", groups=[AGENT])


@pytest.fixture
def senior(db):
    return f.StaffFactory(username="senior", groups=[SENIOR_AGENT])


@pytest.fixture
def supervisor(db):
    return f.StaffFactory(username="supervisor", groups=[SUPERVISOR])


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def groups(db):
    return {g.name: g for g in Group.objects.all()}
