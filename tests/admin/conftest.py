"""Fixtures for admin tests: a superuser, a staff user with no role, private media in a temporary folder."""

import pytest
from django.contrib.auth import get_user_model

from tests import factories as f


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-1")


@pytest.fixture
def staff_without_role(db):
    return f.StaffFactory(username="newcomer")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private-media"
    # Tests log in with force_login; a slow password hash only slows the factories down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT
