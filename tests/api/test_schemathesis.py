"""Schemathesis against the published OpenAPI document: every operation, with data that fits the schema and data
that does not, called with a merchant's token (merchant operations) or a buyer's (buyer operations), half the time
on one of the caller's real cases so the calls reach the services. No response may be a 5xx or break the document
(status, content type, headers, body schema); and the autouse check in tests/api/conftest.py holds every refusal
code to the operation's declared list.

The number of examples per operation and mode is FUZZ_EXAMPLES (default 12; CI runs the default, try 200 locally
for a deeper run)."""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings, strategies
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def generous_rates(settings):
    rate = "1000000/min"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": rate, "address": rate, "anonymous": rate},
    }


@pytest.fixture
def wsgi_in_the_test_transaction():
    """Schemathesis calls the WSGI application directly. Django closes the database connection at the end of
    each request when it is not in autocommit, which the test's transaction never is, so (as Django's own test
    client does) the connection stays open for the whole test."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_keeps_its_published_contract_under_generated_input(
    buyer, seeded_cases, generous_rates, wsgi_in_the_test_transaction
):
    tokens = {
        "buyer": Token.objects.get_or_create(user=buyer.user)[0].key,
        "merchant": Token.objects.get_or_create(user=seeded_cases["merchant"])[0].key,
    }
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_in_the_test_transaction)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 66  # 51 + at risk + the buyer's points and items (5) + the merchant's money (9)
    failures = []
    for operation in operations:
        side = "buyer" if operation.path.startswith("/api/buyer/") else "merchant"
        kind = operation.path.split("/")[3]
        real_ids = seeded_cases.get(kind, [])
        # Negative data needs an input to break; an operation that takes none (the buyer's points summary) has none.
        takes_input = bool(operation.definition.raw.get("parameters") or operation.definition.raw.get("requestBody"))
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,)
        for mode in modes:
            failure = _explore(operation, mode, tokens[side], real_ids)
            if failure:
                failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {failure}")
    assert failures == []


def _explore(operation, mode, token, real_ids):
    """Run one operation in one generation mode; the first failure's text, or None."""

    @given(case=operation.as_strategy(generation_mode=mode), real=strategies.sampled_from([None, *real_ids]))
    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None, database=None)
    def call(case, real):
        if real is not None and "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = real
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

    try:
        call()
    except Exception as exc:  # a failed check or a crash: report it with the operation, keep exploring the rest
        return str(exc)[:2000]
    return None
