"""Each write takes exactly the body types the OpenAPI document offers for it: JSON, unless it takes files
(multipart/form-data, with JSON too where the files are optional and the operation always took JSON). Anything
else is a 415, never a body the document does not describe."""

import pytest
from django.urls import resolve, reverse
from rest_framework.test import APIRequestFactory

from tests.api.helpers import client_for, token_client

pytestmark = pytest.mark.django_db

JSON = "application/json"
MULTIPART = "multipart/form-data"
FORM = "application/x-www-form-urlencoded"


def _writes(agent):
    document = client_for(agent).get(reverse("api:schema"), {"format": "json"}).json()
    return [
        (path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method == "post"
    ]


def _parsed(path: str) -> set[str]:
    """The media types the view behind `path` parses on a POST."""
    url = path.replace("{id}", "1").replace("{proposal_id}", "1")
    callback = resolve(url).func
    view = callback.cls(**callback.initkwargs)
    view.action_map = callback.actions
    view.request = APIRequestFactory().post(url)
    return {parser.media_type for parser in view.get_parsers()}


def test_each_write_offers_exactly_the_body_types_it_parses(agent):
    offered_by_kind = {}
    for path, operation in _writes(agent):
        offered = set(operation.get("requestBody", {}).get("content", {}))
        parsed = _parsed(path)
        # A step without a body still reads one if sent (it must be a JSON object): nothing else is parsed.
        assert offered == parsed or (not offered and parsed == {JSON}), path
        offered_by_kind.setdefault(frozenset(offered), []).append(path)
    assert set(offered_by_kind) == {
        frozenset(),
        frozenset({JSON}),
        frozenset({MULTIPART}),
        frozenset({JSON, MULTIPART}),
    }
    assert sorted(offered_by_kind[frozenset({JSON, MULTIPART})]) == [
        "/api/buyer/interventions/",
        "/api/buyer/refunds/",
        "/api/merchant/interventions/",
    ]


def test_a_body_offered_in_two_types_is_optional_and_a_missing_one_is_refused_like_an_empty_one(agent, buyer):
    """openapi-python-client cannot generate a required body offered in two types (disputes.api.schema_hooks); the
    API reads a missing body as an empty one, so the document's `required: false` is what it does."""
    for path, operation in _writes(agent):
        if len(operation.get("requestBody", {}).get("content", {})) > 1:
            assert operation["requestBody"]["required"] is False, path
    missing = token_client(buyer.user).post("/api/buyer/refunds/", content_type=None)
    empty = token_client(buyer.user).post("/api/buyer/refunds/", {}, format="json")
    assert missing.status_code == empty.status_code == 400
    assert missing.json() == empty.json()
    assert missing.json()["field_codes"] == {
        "order_item": "order_item_required",
        "refund_type": "refund_type_required",
        "reason": "reason_required",
    }


@pytest.mark.parametrize(
    ("path", "body_type"),
    [
        ("/api/buyer/help-requests/", MULTIPART),
        ("/api/buyer/help-requests/", FORM),
        ("/api/buyer/refunds/", FORM),
        ("/api/buyer/interventions/", FORM),
    ],
)
def test_a_body_type_the_document_does_not_offer_is_a_415(buyer, path, body_type):
    client = token_client(buyer.user)
    if body_type == MULTIPART:
        resp = client.post(path, {"description": "x"}, format="multipart")
    else:
        resp = client.post(path, "description=x", content_type=body_type)
    assert resp.status_code == 415, resp.content
    assert resp.json()["code"] == "unsupported_media_type"


def test_json_to_a_multipart_only_step_is_a_415(seeded_cases):
    refused = seeded_cases["refunds"][1]
    resp = token_client(seeded_cases["merchant"]).post(
        f"/api/merchant/refunds/{refused}/refuse-goods/", {"reason": "Scratched."}, format="json"
    )
    assert resp.status_code == 415
    assert resp.json()["code"] == "unsupported_media_type"
