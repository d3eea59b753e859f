"""The OpenAPI schema validates without warnings; schema, Swagger UI and the API root answer an authenticated user."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.api.helpers import client_for, token_client

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn makes any drf-spectacular warning (unnamed enum, untyped field...) an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/buyer/help-requests/:",
        "/api/buyer/help-requests/{id}/cancel/:",
        "/api/buyer/help-requests/{id}/confirm/:",
        "/api/buyer/help-requests/{id}/object/:",
        "/api/buyer/help-requests/{id}/complaint/:",
        "/api/merchant/help-requests/:",
        "/api/merchant/help-requests/{id}/solution/:",
        "/api/merchant/help-requests/{id}/resolve/:",
        "/api/merchant/help-requests/{id}/force-majeure/:",
    ):
        assert path in text
    for component in (
        "BuyerHelpRequestDetail:",
        "BuyerHelpRequestCreateRequest:",
        "MerchantHelpRequestDetail:",
        "MerchantHelpForceMajeureCreateRequest:",
        "HelpForceMajeureClaim:",
        "ApiError:",
    ):
        assert component in text


@pytest.mark.parametrize("name", ["api:schema", "api:swagger-ui"])
def test_schema_and_swagger_ui_answer_an_authenticated_user(agent, name):
    resp = client_for(agent).get(reverse(name))
    assert resp.status_code == 200


def test_schema_lists_the_operations(agent):
    resp = client_for(agent).get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert set(paths["/api/buyer/help-requests/"]) == {"get", "post"}
    assert set(paths["/api/merchant/help-requests/{id}/force-majeure/"]) == {"post"}
    force_majeure = paths["/api/merchant/help-requests/{id}/force-majeure/"]["post"]
    assert list(force_majeure["requestBody"]["content"]) == ["multipart/form-data"]
    params = {p["name"] for p in paths["/api/merchant/help-requests/"]["get"]["parameters"]}
    assert {"state", "due_before", "breached", "service_kind", "raised_after", "raised_before", "ordering"} <= params


def test_api_root_lists_both_viewsets(merchant_user):
    resp = token_client(merchant_user).get(reverse("api:api-root"), HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    body = resp.json()
    assert body["buyer/help-requests"].endswith("/api/buyer/help-requests/")
    assert body["merchant/help-requests"].endswith("/api/merchant/help-requests/")


def test_api_root_needs_authentication(api):
    assert api.get(reverse("api:api-root")).status_code == 401
