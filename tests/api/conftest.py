"""API test fixtures: a frozen Beijing clock, private media in a temp folder, a designated provider."""

from datetime import timedelta

import pytest
import time_machine

from disputes.services.interventions.opening import intervention_open
from disputes.services.refunds.merchant import refund_refuse
from tests import factories as f
from tests.api.helpers import T0, dispatch, raise_request


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


@pytest.fixture(autouse=True)
def error_codes_are_declared(monkeypatch):
    """Every refusal an API test provokes must be declared for its operation in disputes.api.error_codes (which
    the OpenAPI document lists): a new code, or a known code on a new operation, fails the test that produced it
    until it is documented."""
    import json
    import os

    from rest_framework.views import APIView

    from disputes.api import error_codes

    seen: list[tuple[str, int, str, dict]] = []
    finalize = APIView.finalize_response

    def recording(view, request, response, *args, **kwargs):
        data = getattr(response, "data", None)
        if response.status_code >= 400 and isinstance(data, dict) and "code" in data:
            operation = f"{getattr(view, 'basename', type(view).__name__)}.{getattr(view, 'action', None)}"
            seen.append((operation, response.status_code, data["code"], data.get("field_codes") or {}))
        return finalize(view, request, response, *args, **kwargs)

    monkeypatch.setattr(APIView, "finalize_response", recording)
    yield
    record_to = os.environ.get("RECORD_ERROR_CODES")
    if record_to:
        with open(record_to, "a") as out:
            for operation, status, code, fields in seen:
                out.write(json.dumps([operation, status, code, fields]) + "\n")
        return
    undeclared = [
        f"{operation} {status} {code}"
        for operation, status, code, fields in seen
        if not error_codes.declared(operation, status, code, field_codes=fields)
    ]
    assert not undeclared, f"refusals not declared in disputes/api/error_codes.py: {undeclared}"


@pytest.fixture
def seeded_cases(buyer, merchant, item, clock):
    """The buyer's and merchant's cases in several states: help requests raised and dispatched, refunds waiting,
    refused and refund-only, an intervention case on the refused one."""
    second = f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant, city=item.order.city))
    helps = [raise_request(buyer, item).pk, dispatch(raise_request(buyer, second)).pk]
    merchant_user = f.MerchantUserFactory(merchant=merchant).user
    from tests.api.test_refunds_buyer import apply, order_item  # plain helpers of that module, not fixtures

    waiting = apply(buyer, order_item(buyer, merchant))
    refused = apply(buyer, order_item(buyer, merchant))
    refund_refuse(actor=merchant_user, refund_id=refused.pk, reason="The photos show no damage.")
    refund_only = apply(buyer, order_item(buyer, merchant), refund_type="refund_only")
    clock.shift(timedelta(minutes=5))
    case = intervention_open(actor=buyer.user, ground="quality", claim="Cracked on arrival.", refund_id=refused.pk)
    return {
        "help-requests": helps,
        "refunds": [waiting.pk, refused.pk, refund_only.pk],
        "interventions": [case.pk],
        "merchant": merchant_user,
    }
