"""Webhook test fixtures: a frozen clock, a merchant with a notification address, a receiver on 127.0.0.1."""

import pytest
import time_machine

from tests import factories as f
from tests.api.conftest import error_codes_are_declared  # noqa: F401 - every refusal must be one the schema lists
from tests.webhooks.helpers import T0, Receiver


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def mail_outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def merchant(db):
    return f.MerchantFactory(notify_email="ops@shop.example")


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def other_merchant(db):
    return f.MerchantFactory(notify_email="ops@other.example")


@pytest.fixture
def other_user(db, other_merchant):
    return f.MerchantUserFactory(merchant=other_merchant).user
