"""Fixtures for the service tests."""

import pytest

from tests.services.test_intervention_helpers import use_private_media


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Evidence files go to a temporary folder; users hash passwords cheaply."""
    use_private_media(settings, tmp_path)
