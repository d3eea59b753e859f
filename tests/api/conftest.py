"""API test fixtures: a frozen Beijing clock, private media in a temp folder, a designated provider."""

import functools
import re
from datetime import timedelta

import pytest
import time_machine

from disputes.actors import system_actor
from disputes.models import BuyerPointsEntry, EntryKind
from disputes.roles import SENIOR_AGENT
from disputes.services.interventions.opening import intervention_open
from disputes.services.ledger import ledger_post
from disputes.services.refunds.merchant import refund_refuse
from disputes.services.violations import help_complaint_file, violation_decide
from disputes.webhooks.endpoints import webhook_endpoint_create
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
    """Every refusal an API test provokes must be one the OpenAPI document lists for its operation and status
    (the `<OperationId><status>ErrorCode` enum: the codes declared in disputes.api.error_codes, and under 400 the
    input fields' codes): a new code, or a known code on a new operation, fails the test that produced it until
    it is documented. A generated client could not parse it otherwise."""
    import json
    import os

    from rest_framework.views import APIView

    from disputes.api import error_codes

    seen: list[tuple[str, str, str, int, str, dict]] = []
    finalize = APIView.finalize_response

    def recording(view, request, response, *args, **kwargs):
        data = getattr(response, "data", None)
        if response.status_code >= 400 and isinstance(data, dict) and "code" in data:
            operation = f"{getattr(view, 'basename', type(view).__name__)}.{getattr(view, 'action', None)}"
            seen.append(
                (
                    request.method,
                    request.path,
                    operation,
                    response.status_code,
                    data["code"],
                    data.get("field_codes") or {},
                )
            )
        return finalize(view, request, response, *args, **kwargs)

    monkeypatch.setattr(APIView, "finalize_response", recording)
    yield
    record_to = os.environ.get("RECORD_ERROR_CODES")
    if record_to:
        with open(record_to, "a") as out:
            for _method, _path, operation, status, code, fields in seen:
                out.write(json.dumps([operation, status, code, fields]) + "\n")
        return
    undeclared = []
    for method, path, operation, status, code, _fields in seen:
        published = published_codes(method, path)
        # Views outside the document (the API root) answer only the codes every operation may give.
        allowed = (
            published.get(status, ()) if published is not None else error_codes.codes_of(operation).get(status, ())
        )
        if code not in allowed:
            undeclared.append(f"{method} {path} ({operation}) {status} {code}")
    assert not undeclared, f"refusals the OpenAPI document does not list (disputes/api/error_codes.py): {undeclared}"


@functools.cache
def _documented_operations() -> list[tuple[re.Pattern[str], str, dict[int, tuple[str, ...]]]]:
    from drf_spectacular.settings import spectacular_settings

    document = spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(public=True)
    schemas = document["components"]["schemas"]
    found = []
    for path, operations in document["paths"].items():
        pattern = re.compile("^" + "[^/]+".join(map(re.escape, re.split(r"\{[^/{}]+\}", path))) + "$")
        for method, operation in operations.items():
            enums = {}
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    body = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                    enums[int(status)] = tuple(schemas[f"{body}Code"]["enum"])
            found.append((pattern, method.upper(), enums, path.count("{")))
    # A literal path answers before a template that also matches it (/statement/export/ before /statement/{id}/),
    # as the router resolves it.
    return [(pattern, method, enums) for pattern, method, enums, _ in sorted(found, key=lambda row: row[3])]


def published_codes(method: str, path: str) -> dict[int, tuple[str, ...]] | None:
    """The refusal codes the OpenAPI document lists for the operation answering `method path`, by status."""
    for pattern, documented_method, enums in _documented_operations():
        if documented_method == method and pattern.match(path):
            return enums
    return None


@pytest.fixture
def seeded_cases(buyer, merchant, item, clock):
    """The buyer's and merchant's cases in several states: help requests raised and dispatched, refunds waiting,
    refused and refund-only, an intervention case on the refused one, a webhook endpoint, a violation counted on a
    complaint (which the merchant may appeal); and a points entry of the buyer's."""
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
    endpoint = webhook_endpoint_create(actor=merchant_user, url="http://127.0.0.1:9/hooks", event_types=[])
    goodwill = ledger_post(
        model=BuyerPointsEntry,
        amount=500,
        kind=EntryKind.ADJUSTMENT,
        idempotency_key=None,
        actor=system_actor(),
        memo="Goodwill",
        buyer=buyer,
    )
    complaint = help_complaint_file(actor=buyer.user, request_id=helps[1], text="The installer was rude.")
    senior = f.StaffFactory(username="seeded-senior", groups=[SENIOR_AGENT])
    violation_decide(actor=senior, violation_id=complaint.pk, count=True, reason="The call recording confirms it.")
    return {
        "order-items": [item.pk, second.pk],
        "points-entries": [goodwill.entry.pk],
        "help-requests": helps,
        "refunds": [waiting.pk, refused.pk, refund_only.pk],
        "interventions": [case.pk],
        "webhook-endpoints": [endpoint.pk],
        "violations": [complaint.pk],
        "merchant": merchant_user,
    }
