"""A client generated from the OpenAPI document works as generated (issue 16): openapi-python-client, run offline
on what `manage.py spectacular` writes, with its defaults (ruff formats the output), gives a package whose every
module imports in a fresh interpreter; and, against a live server, a merchant's list, writes and refusals parse
into the typed models.

Cost: about 5 s in the suite: writing and validating the document ~1.5 s, generating ~730 modules ~2 s (--fail-on-
warning: anything the generator cannot represent fails here), importing them ~1 s, the live-server calls ~1 s."""

import importlib
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image
from rest_framework.authtoken.models import Token

PACKAGE = "backoffice_client"
OPERATIONS = 66  # 51 + money at risk + the buyer's points and order items (5) + the merchant's money (9)


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """The client package, generated once (pytest-django runs the transactional test apart from the other, so a
    module-scoped fixture would generate it twice); returns the folder to put on sys.path."""
    root = tmp_path_factory.mktemp("generated")
    document = root / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--validate", "--file", str(document))
    # The generator's defaults, as a merchant runs it: ruff (a dependency of the generator) formats the output.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return root


def test_every_generated_module_imports(generated):
    script = textwrap.dedent(
        f"""
        import importlib, json, pkgutil
        package = importlib.import_module("{PACKAGE}")
        failed, names = [], []
        for module in pkgutil.walk_packages(package.__path__, "{PACKAGE}."):
            names.append(module.name)
            try:
                importlib.import_module(module.name)
            except Exception as exc:
                failed.append(f"{{module.name}}: {{type(exc).__name__}}: {{exc}}")
        print(json.dumps({{"names": names, "failed": failed}}))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=generated,
        env={**os.environ, "PYTHONPATH": str(generated)},
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["failed"] == []
    operations = [name for name in result["names"] if name.startswith(f"{PACKAGE}.api.") and name.count(".") == 3]
    assert len(operations) == OPERATIONS
    # English names only (a Chinese document gave MerchantHelpRequestsList服务).
    assert all(name.isascii() for name in result["names"])


@pytest.fixture
def client_package(generated):
    sys.path.insert(0, str(generated))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(generated))


@pytest.fixture
def live_server(settings):
    """pytest-django's live server, for this test only: Django's test server serves MEDIA_URL and cannot start
    with the project's None (evidence has no URL), so it gets a path no API route uses."""
    from pytest_django.live_server_helper import LiveServer

    settings.MEDIA_URL = "/test-server-media/"
    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def merchant_client(client_package, live_server, seeded_cases):
    """The generated client, as the seeded merchant with a token. Closed before the server stops: a kept-alive
    connection's server thread would otherwise outlive the server's hold on the test database."""
    client = client_package("client").AuthenticatedClient(
        base_url=live_server.url,
        token=Token.objects.get_or_create(user=seeded_cases["merchant"])[0].key,
        prefix="Token",
        raise_on_unexpected_status=True,
    )
    with client:
        yield client


# Transactional (the live server reads what the test wrote) and, like every such test here, restoring the
# database it flushes: a plain flush would re-create content types under the next serialized_rollback test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_merchant_uses_the_generated_client_against_a_live_server(client_package, merchant_client, seeded_cases):
    m, client = client_package, merchant_client
    models = m("models")
    waiting, _refused, refund_only = seeded_cases["refunds"]
    Ordering = models.MerchantRefundsListOrderingItem

    # A list, filtered by a shared enum and sorted by two named keys.
    page = m("api.merchant_refunds.merchant_refunds_list").sync(
        client=client,
        state=[models.RefundStateEnum.WAIT_SELLER_AGREE],
        ordering=[Ordering.DUE_AT_DESC, Ordering.CREATED_AT],
    )
    assert isinstance(page, models.PaginatedMerchantRefundListList)
    assert waiting in [row.id for row in page.results]
    assert {row.state for row in page.results} == {models.RefundStateEnum.WAIT_SELLER_AGREE}

    # A JSON write: the typed detail comes back.
    agree = m("api.merchant_refunds.merchant_refunds_agree_create")
    detail = agree.sync(id=waiting, client=client, body=models.MerchantRefundAgreeRequest())
    assert isinstance(detail, models.MerchantRefundDetail)
    assert detail.state is models.RefundStateEnum.WAIT_BUYER_RETURN

    # A refusal: the operation's own error model, its code one of the operation's enum.
    again = agree.sync(id=waiting, client=client, body=models.MerchantRefundAgreeRequest())
    assert isinstance(again, models.MerchantRefundsAgreeCreate409Error)
    assert again.code is models.MerchantRefundsAgreeCreate409ErrorCode.INVALID_TRANSITION

    # A multipart write with a file: the refund-only request is refused, with a photo.
    photo = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(photo, format="PNG")
    photo.seek(0)
    refusal = m("api.merchant_refunds.merchant_refunds_refuse_create").sync(
        id=refund_only,
        client=client,
        body=models.MerchantRefundRefuseRequest(
            reason="The photos show no damage.",
            files=[m("types").File(payload=photo, file_name="photo.png", mime_type="image/png")],
        ),
    )
    assert isinstance(refusal, models.MerchantRefundDetail)
    assert refusal.state is models.RefundStateEnum.SELLER_REFUSED
    assert [(item.original_name, item.content_type) for item in refusal.evidence] == [("photo.png", "image/png")]

    # Intervention cases, with their empty suspend reason (`'' is not a valid SuspendReasonEnum` once).
    cases = m("api.merchant_platform_intervention.merchant_interventions_list").sync(client=client)
    assert isinstance(cases, models.PaginatedInterventionCaseList)
    assert [case.id for case in cases.results] == seeded_cases["interventions"]
    assert cases.results[0].suspend_reason is models.BlankEnum.BLANK
    assert isinstance(cases.results[0].stage, models.StageEnum)
