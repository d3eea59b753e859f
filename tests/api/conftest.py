"""API test fixtures: a frozen Beijing clock, private media in a temp folder, a designated provider."""

import pytest
import time_machine

from tests import factories as f
from tests.api.helpers import T0


@pytest.fixture(autouse=True)
def clock():
    """Freeze the clock at T0; tests move it with clock.move_to(...) / clock.shift(...)."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The factories hash a password per user; the default hasher makes each one take ~100 ms.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def provider(db):
    return f.ServiceProviderFactory(name="Installer Hangzhou")


@pytest.fixture
def provider_user(db, provider):
    return f.ProviderUserFactory(provider=provider).user


@pytest.fixture
def designation(db, merchant, provider):
    """The merchant sends 送货入户并安装 (the `item` fixture's service) to `provider`."""
    return f.DesignationFactory(merchant=merchant, provider=provider)
