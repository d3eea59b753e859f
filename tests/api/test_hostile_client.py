"""The API as a hostile client tries it: every write operation with bodies nested 100,000 deep, megabyte strings,
numbers past 2**63, null bytes, the wrong JSON types and broken JSON; every operation with impossible ids and
pagination. Each answer is a 4xx with a stable code, and nothing is written: the row count of every table the
back office owns is the same afterwards. (1,000 calls a minute on one token, and retries, are in
test_rate_limits.py and test_idempotency.py; the Redis-backed limit too.)"""

import json

import pytest
from django.apps import apps
from django.urls import reverse
from django_fsm_log.models import StateLog

from disputes.api.pagination import KeysetPagination
from disputes.api.urls import router
from tests.api.helpers import token_client

pytestmark = pytest.mark.django_db

HUGE = 2**63
MEGABYTE = "x" * 1_000_000
TEXT_FIELDS = ("description", "text", "note", "reason", "reasons", "claim", "waybill", "carrier", "return_address")
NUMBER_FIELDS = ("order_item", "refund", "amount_fen")


def _operations():
    """(side, kind, method, action, detail?) for every routed operation, read off the router (so a new one is tried
    too)."""
    found = []
    for prefix, viewset, basename in router.registry:
        side, kind = prefix.split("/")
        found.append((side, kind, "get", f"{basename}-list", False))
        if hasattr(viewset, "retrieve"):  # the event feeds are lists only
            found.append((side, kind, "get", f"{basename}-detail", True))
        if hasattr(viewset, "create"):
            found.append((side, kind, "post", f"{basename}-list", False))
        for action in viewset.get_extra_actions():
            if "proposal_id" in (action.url_path or ""):
                continue  # the respond operation: tried with a real case and a missing proposal below
            for method in action.mapping:
                found.append((side, kind, method, f"{basename}-{action.url_name}", action.detail))
    return found


def _taking(fields, operations):
    """The operations whose published JSON request body has one of `fields` (the others ignore such a body)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    taking = []
    for side, kind, method, name, detail in operations:
        template = reverse(f"api:{name}", args=[987654] if detail else []).replace("987654", "{id}")
        content = schema["paths"][template][method].get("requestBody", {}).get("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        properties = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"] if ref else {}
        if set(fields) & set(properties):
            taking.append((side, kind, method, name, detail))
    return taking


OPERATIONS = _operations()
WRITES = [op for op in OPERATIONS if op[2] == "post"]


def _url(name, detail, pk):
    return reverse(f"api:{name}", args=[pk] if detail else [])


def _client(side, buyer, seeded_cases):
    return token_client(buyer.user if side == "buyer" else seeded_cases["merchant"])


def _counts():
    models = [model for model in apps.get_app_config("disputes").get_models()] + [StateLog]
    return {model.__name__: model._default_manager.count() for model in models}


@pytest.fixture
def barrage(buyer, seeded_cases, settings):
    """Calls `send(client, url)` on every write operation of both sides, on a real case of the caller's where the
    operation takes one; checks every answer is the expected 4xx with a stable code and that no row changed."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/min", "address": "100000/min", "anonymous": "100000/min"},
    }

    def run(send, statuses, codes=None, *, operations=None):
        before = _counts()
        answers = []
        for side, kind, _method, name, detail in operations or WRITES:
            pk = seeded_cases[kind][-1] if detail else None
            resp = send(_client(side, buyer, seeded_cases), _url(name, detail, pk))
            body = resp.json()
            answers.append((name, resp.status_code, body))
            if resp.status_code == 415:  # an upload-only operation refuses a JSON body before reading it
                assert body["code"] == "unsupported_media_type"
                continue
            assert resp.status_code in statuses, (name, resp.status_code, body)
            assert isinstance(body.get("code"), str) and body["code"], (name, body)
            if codes is not None:
                assert body["code"] in codes, (name, body)
        assert _counts() == before
        return answers

    return run


def test_a_body_nested_100000_deep_is_a_400_parse_error(barrage):
    nested = "[" * 100_000 + "]" * 100_000
    barrage(
        lambda api, url: api.generic("POST", url, nested, content_type="application/json"),
        {400},
        {"parse_error"},
    )


def test_broken_json_is_a_400_parse_error(barrage):
    barrage(lambda api, url: api.generic("POST", url, '{"text": "unterminated', content_type="application/json"), {400})


@pytest.mark.parametrize("body", [[1, 2], "a string", 7, None, True])
def test_a_body_that_is_not_an_object_is_a_400(barrage, body):
    # A 409/422 would mean the step ran its rules on a body it never read; only 400 is right.
    barrage(lambda api, url: api.generic("POST", url, json.dumps(body), content_type="application/json"), {400})


def test_megabyte_strings_are_refused(barrage):
    body = json.dumps({field: MEGABYTE for field in TEXT_FIELDS})
    barrage(
        lambda api, url: api.generic("POST", url, body, content_type="application/json"),
        {400},
        {"request_too_large"},
    )


def test_strings_over_a_fields_length_are_refused_per_field(barrage):
    # Under the body limit, over every text field's own: operations that read text name the field.
    body = json.dumps({field: "x" * 20_000 for field in TEXT_FIELDS})
    operations = _taking(TEXT_FIELDS, WRITES)
    answers = barrage(
        lambda api, url: api.generic("POST", url, body, content_type="application/json"),
        {400},
        operations=operations,
    )
    assert len(answers) == len(operations) >= 15
    for name, _status, answer in answers:
        texts = {field: code for field, code in answer["field_codes"].items() if field in TEXT_FIELDS}
        # a free-text field is too long; a choice field (reason on a refund) is not one of its choices
        assert texts and all(code in (f"{field}_too_long", f"invalid_{field}") for field, code in texts.items())
        assert any(code.endswith("_too_long") for code in texts.values()), (name, answer)


def test_a_json_body_over_the_limit_is_refused_before_it_is_read(barrage, settings):
    body = json.dumps({"text": "x" * (settings.API_MAX_JSON_BYTES + 1)})
    barrage(
        lambda api, url: api.generic("POST", url, body, content_type="application/json"),
        {400},
        {"request_too_large"},
    )


def test_an_upload_over_the_limit_is_refused_before_it_is_read(barrage, settings):
    settings.API_MAX_UPLOAD_BYTES = 50_000
    barrage(
        lambda api, url: api.post(url, {"text": "x" * 60_000, "description": "x"}, format="multipart"),
        {400},
        {"request_too_large"},
    )


def test_a_form_with_too_many_fields_is_refused_like_an_oversized_body(barrage, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    barrage(
        lambda api, url: api.post(url, {f"field{i}": "x" for i in range(20)}, format="multipart"),
        {400},
        {"request_too_large"},
    )


@pytest.mark.parametrize("number", [HUGE, -HUGE, 10**40, 1e308, -0.5])
def test_numbers_past_the_columns_are_refused_per_field(barrage, number):
    body = json.dumps({field: number for field in NUMBER_FIELDS})
    operations = _taking(NUMBER_FIELDS, WRITES)
    answers = barrage(
        lambda api, url: api.generic("POST", url, body, content_type="application/json"),
        {400},
        operations=operations,
    )
    assert len(answers) == len(operations) >= 4
    for name, _status, answer in answers:
        numbers = {field: code for field, code in answer["field_codes"].items() if field in NUMBER_FIELDS}
        expected = {field: "invalid_amount" if field == "amount_fen" else f"invalid_{field}" for field in numbers}
        assert numbers and numbers == expected, (name, answer)


def test_a_null_byte_anywhere_is_a_400(barrage):
    body = json.dumps({field: "a\x00b" for field in TEXT_FIELDS})
    barrage(lambda api, url: api.generic("POST", url, body, content_type="application/json"), {400}, {"parse_error"})


def test_a_body_type_the_api_does_not_take_is_a_415(barrage):
    barrage(
        lambda api, url: api.generic("POST", url, "<xml/>", content_type="application/xml"),
        {415},
        {"unsupported_media_type"},
    )


@pytest.mark.parametrize("pk", [HUGE, 10**30, 0, "-1", "abc", "1e3", "0.5", "１", "1%0A2", "%F0%9F%98%80"])
def test_impossible_ids_are_404_on_every_operation(buyer, seeded_cases, pk):
    before = _counts()
    for side, _kind, method, name, detail in OPERATIONS:
        if not detail:
            continue
        url = reverse(f"api:{name}", args=[1]).replace("/1/", f"/{pk}/")
        resp = getattr(_client(side, buyer, seeded_cases), method)(url, {}, format="json")
        assert resp.status_code == 404, (name, pk, resp.status_code)
        assert resp.json()["code"].endswith("not_found"), (name, resp.json())
    assert _counts() == before


def _paginated_by(name):
    """The pagination class of the list `name` routes to (None: not a list, e.g. the buyer's points summary)."""
    from django.urls import resolve

    return resolve(reverse(f"api:{name}")).func.cls.pagination_class


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=99999999999999999999", "limit"),
        ("limit=201", "limit"),
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("offset=99999999999999999999", "offset"),
        ("offset=-5", "offset"),
        ("offset=1.5", "offset"),
    ],
)
def test_pagination_out_of_range_is_refused_per_field_on_every_list(buyer, seeded_cases, query, field):
    checked = 0
    for side, kind, method, name, detail in OPERATIONS:
        if detail or method != "get" or _paginated_by(name) is None:
            continue
        if field == "offset" and _paginated_by(name) is KeysetPagination:
            continue  # a cursor list pages by ?cursor= (tests/api/test_keyset_pagination.py), not ?offset=
        asked, named = query, field
        if kind == "events":  # a feed pages by ?after= instead of ?offset= (tests/events/test_feed_api.py)
            asked, named = query.replace("offset=", "after="), field.replace("offset", "after")
        if kind == "at-risk":  # pages by ?cursor= (tests/api/test_merchant_at_risk.py): no such value is a cursor
            asked, named = query.replace("offset=", "cursor="), field.replace("offset", "cursor")
        if named not in _query_parameters(name):
            continue  # a list paged by cursor (no offset), or an operation answering one object (no pages)
        checked += 1
        resp = _client(side, buyer, seeded_cases).get(f"{reverse(f'api:{name}')}?{asked}")
        assert resp.status_code == 400, (name, asked, resp.status_code)
        assert resp.json()["code"] == f"invalid_{named}"
        assert resp.json()["field_codes"] == {named: f"invalid_{named}"}
    assert checked >= 8


@pytest.mark.parametrize(
    "cursor",
    ["nonsense", "WzEsMl0", "W251bGwsMV0", "WyIyMDI2LTAxLTAxIiwxXQ", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwxLDIsM10"],
)
def test_a_cursor_not_given_out_is_refused_on_every_list_that_pages_by_cursor(buyer, seeded_cases, cursor):
    checked = 0
    for side, _kind, method, name, detail in OPERATIONS:
        if detail or method != "get" or "cursor" not in _query_parameters(name):
            continue
        resp = _client(side, buyer, seeded_cases).get(f"{reverse(f'api:{name}')}?cursor={cursor}")
        assert resp.status_code == 400, (name, cursor, resp.status_code)
        assert resp.json()["field_codes"] == {"cursor": "invalid_cursor"}
        checked += 1
    assert checked == 6  # the statement, penalties, violations, at risk, the buyer's points entries and items


def _query_parameters(name):
    """The query parameters the published document gives the operation `name` (a GET)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = _document(SchemaGenerator)
    path = reverse(f"api:{name}")
    return {p["name"] for p in schema["paths"][path]["get"].get("parameters", []) if p["in"] == "query"}


_DOCUMENT = {}


def _document(generator):
    if "schema" not in _DOCUMENT:
        _DOCUMENT["schema"] = generator().get_schema(request=None, public=True)
    return _DOCUMENT["schema"]


def test_pagination_in_range_still_pages(buyer, seeded_cases):
    api = _client("buyer", buyer, seeded_cases)
    url = reverse("api:buyer-refund-list")
    first = api.get(f"{url}?limit=2&offset=0").json()
    rest = api.get(f"{url}?limit=200&offset=2").json()
    assert first["count"] == 3
    assert len(first["results"]) == 2 and len(rest["results"]) == 1
    assert api.get(f"{url}?offset=2147483647").json()["results"] == []


def test_a_missing_proposal_is_404_not_a_crash(buyer, seeded_cases):
    case = seeded_cases["interventions"][0]
    for proposal in (HUGE, 0, 999_999):
        url = reverse("api:buyer-intervention-proposal-respond", args=[case, 1]).replace(
            "/1/respond", f"/{proposal}/respond"
        )
        resp = token_client(buyer.user).post(url, {"accept": True}, format="json")
        assert (resp.status_code, resp.json()["code"]) in {(404, "proposal_not_found"), (404, "not_found")}


@pytest.mark.parametrize(
    "path", ["/api/no-such-thing/", "/api/no%0Asuch/", "/api/buyer/interventions/1/proposals/x%0A/respond/"]
)
def test_an_unknown_api_address_is_a_json_404_even_with_a_line_break(buyer, path):
    resp = token_client(buyer.user).post(path, {}, format="json")
    assert resp.status_code == 404
    assert resp["Content-Type"] == "application/json"
    assert resp.json()["code"] == "not_found"
