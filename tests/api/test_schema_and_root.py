"""The OpenAPI schema validates without warnings; schema, Swagger UI and the API root answer an authenticated user."""

import json
import re

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


# --- the error contract ------------------------------------------------------------------------------------------


REF = "#/components/schemas/"


def _operations(agent):
    paths = client_for(agent).get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return paths, [(path, method, op) for path, ops in paths["paths"].items() for method, op in ops.items()]


def test_every_operation_declares_its_refusals_and_every_declaration_is_an_operation(agent):
    from disputes.api.error_codes import OPERATIONS
    from disputes.api.urls import router

    routed = set()
    for _prefix, viewset, basename in router.registry:
        actions = {"list"} | {action.__name__ for action in viewset.get_extra_actions()}
        actions |= {name for name in ("retrieve", "create", "partial_update", "destroy") if hasattr(viewset, name)}
        routed |= {f"{basename}.{action}" for action in actions}
    assert set(OPERATIONS) == routed


def _operation_key(path: str, method: str) -> str:
    """disputes.api.error_codes' name of the operation at `path`: "<router basename>.<action>"."""
    from django.urls import resolve

    callback = resolve(path.replace("{id}", "1").replace("{proposal_id}", "1")).func
    return f"{callback.initkwargs['basename']}.{callback.actions[method]}"


def _input_field_codes(schema, op) -> set[str]:
    """Every code disputes.errors.field_code can give one of the operation's inputs (body fields, query
    parameters), whatever the problem."""
    from disputes.errors import field_code

    names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    for media in op.get("requestBody", {}).get("content", {}).values():
        names |= set(schema["components"]["schemas"][media["schema"]["$ref"].rsplit("/", 1)[1]]["properties"])
    return {field_code(name, problem) for name in names for problem in ("required", "max_length", "invalid")}


def test_each_refusal_in_the_document_has_an_enum_of_exactly_its_codes(agent):
    from inflection import camelize

    from disputes.api.error_codes import codes_of

    schema, operations = _operations(agent)
    components = schema["components"]["schemas"]
    assert len(operations) == 66  # 49 + the two event feeds + at risk + the buyer's money (5) + the merchant's (9)
    apply = schema["paths"]["/api/buyer/refunds/"]["post"]["responses"]
    assert "`after_sales_window_passed`" in apply["422"]["description"]
    assert "`order_item_not_found`" in apply["404"]["description"]
    assert "`evidence_type_refused`" in apply["400"]["description"]
    assert "Retry-After" in apply["429"]["headers"]
    agree = schema["paths"]["/api/merchant/refunds/{id}/agree/"]["post"]["responses"]
    assert "`intervention_open`" in agree["409"]["description"]
    assert "ApiError" in components
    for path, method, op in operations:
        statuses = {status for status in op["responses"] if status.startswith("4")}
        expected = {"400", "401", "403", "404", "429"} | {"post": {"409", "415", "422"}, "patch": {"415"}}.get(
            method, set()
        )
        assert statuses == expected, (method, path)
        declared = codes_of(_operation_key(path, method))
        for status in statuses:
            # ApiError, refined: `code` is one of an enum of this operation's codes for this status.
            name = f"{camelize(op['operationId'])}{status}Error"
            assert op["responses"][status]["content"]["application/json"]["schema"] == {"$ref": f"{REF}{name}"}
            assert components[name] == {
                "allOf": [
                    {"$ref": f"{REF}ApiError"},
                    {"type": "object", "properties": {"code": {"$ref": f"{REF}{name}Code"}}},
                ]
            }
            codes = components[f"{name}Code"]["enum"]
            assert len(codes) == len(set(codes))
            # ... the declared codes and, under 400, the input fields' codes, and nothing else.
            assert set(declared[int(status)]) <= set(codes), (method, path, status)
            extra = set(codes) - set(declared[int(status)])
            assert extra <= (_input_field_codes(schema, op) if status == "400" else set()), (method, path, status)
            listed = op["responses"][status]["description"].split("Codes: ")[1]
            assert listed == ", ".join(f"`{code}`" for code in codes) + ".", (method, path, status)


def test_a_400_lists_the_codes_of_the_operations_inputs(agent):
    schema, _ = _operations(agent)
    components = schema["components"]["schemas"]
    create = set(components["BuyerRefundsCreate400ErrorCode"]["enum"])
    # Body fields: missing, too long, invalid; the field's own code (amount_fen: invalid_amount).
    assert {"order_item_required", "invalid_order_item", "description_too_long", "invalid_amount"} <= create
    assert {"too_many_files", "invalid_files", "invalid_type", "invalid_reason"} <= create
    assert "amount_fen_required" not in create  # optional and nullable: only the service refuses it missing
    work_list = set(components["MerchantRefundsList400ErrorCode"]["enum"])
    assert {"invalid_state", "invalid_ordering", "invalid_limit", "invalid_offset", "invalid_type"} <= work_list
    assert components["MerchantRefundsList401ErrorCode"]["enum"] == ["not_authenticated", "authentication_failed"]


def test_every_declared_code_is_one_the_code_can_give():
    """A typo or a retired code in the declarations fails here: each code is written somewhere in disputes/ or is
    one of DRF's own."""
    import pathlib

    import rest_framework.exceptions

    from disputes.api.error_codes import OPERATIONS, codes_of

    sources = "".join(
        path.read_text() for path in pathlib.Path("disputes").rglob("*.py") if path.name != "error_codes.py"
    )
    sources += pathlib.Path(rest_framework.exceptions.__file__).read_text()
    missing = {
        code
        for operation in OPERATIONS
        for codes in codes_of(operation).values()
        for code in codes
        if f'"{code}"' not in sources and f"'{code}'" not in sources
    }
    assert missing == set()


# --- one language: English ---------------------------------------------------------------------------------------

# A run of Chinese characters; in the document each one is a gloss in parentheses after the English term, e.g.
# "Refund only (仅退款)" (docs/STYLE.md: Chinese terms appear once, next to the English name).
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def _strings(node, path=()):
    """Every (path, key or value) string of a JSON document, keys included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


@pytest.fixture
def site_default_chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the site's own default, undoing the suite's English pin


def test_the_document_is_english_whatever_the_language_asked_for(site_default_chinese, agent):
    def fetch(**headers):
        resp = client_for(agent).get(reverse("api:schema"), {"format": "json"}, **headers)
        assert resp.status_code == 200
        return resp.json()

    english = fetch(HTTP_ACCEPT_LANGUAGE="en")
    assert fetch() == english  # the site default, 简体中文
    assert fetch(HTTP_ACCEPT_LANGUAGE="zh-hans") == english
    assert client_for(agent).get(reverse("api:schema"), {"format": "json", "lang": "zh-hans"}).json() == english
    for path, text in _strings(english):
        outside_glosses = re.sub(r"\([^()]*\)", "", text)
        assert not CJK.search(outside_glosses), (path, text)
    text = json.dumps(english, ensure_ascii=False)
    # DRF's own help texts and the choice labels, as the zh_Hans catalog would render them.
    for chinese in ("每页返回的结果数量", "标识此", "- 待给方案", '"title": "服务'):
        assert chinese not in text


def test_manage_py_spectacular_writes_english_too(site_default_chinese, tmp_path):
    from django.utils import translation

    out = tmp_path / "schema.json"
    with translation.override("zh-hans"):
        call_command("spectacular", "--format", "openapi-json", "--lang", "zh-hans", "--file", str(out))
    text = out.read_text()
    assert "Number of results to return per page." in text
    assert "`dispatched` - Awaiting solution (待给方案)" in text
    assert "每页返回的结果数量" not in text


def test_error_messages_still_follow_accept_language(site_default_chinese, api):
    url = reverse("api:buyer-help-request-list")
    chinese = api.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    english = api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert chinese["code"] == english["code"] == "not_authenticated"
    assert english["message"] == "Authentication credentials were not provided."
    assert chinese["message"] != english["message"] and CJK.search(chinese["message"])


# --- enums a generated client can use ----------------------------------------------------------------------------


def test_query_filters_share_the_response_fields_enums(agent):
    schema, _ = _operations(agent)
    components = schema["components"]["schemas"]

    def parameters(path):
        return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}

    def ref(name):
        return {"$ref": f"#/components/schemas/{name}"}

    help_list, refund_list = parameters("/api/merchant/help-requests/"), parameters("/api/merchant/refunds/")
    assert help_list["state"]["schema"] == {"type": "array", "items": ref("HelpStateEnum")}
    assert help_list["service_kind"]["schema"] == ref("ServiceKindEnum")
    assert refund_list["state"]["schema"] == {"type": "array", "items": ref("RefundStateEnum")}
    assert refund_list["refund_type"]["schema"] == ref("RefundTypeEnum")
    assert refund_list["reason"]["schema"] == ref("ReasonEnum")

    # ... the very components the rows' fields use.
    def field(component, name):
        return components[component]["properties"][name]["allOf"]  # a read-only field: allOf [enum], readOnly

    assert field("MerchantHelpRequestList", "state") == [ref("HelpStateEnum")]
    assert field("MerchantRefundList", "state") == [ref("RefundStateEnum")]
    assert field("MerchantRefundList", "reason") == [ref("ReasonEnum")]
    # No parameter carries choices of its own but the sort keys.
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                inner = parameter["schema"].get("items", parameter["schema"])
                assert "title" not in inner, (path, parameter["name"])
                assert "enum" not in inner or parameter["name"] == "ordering", (path, parameter["name"])


def test_sort_keys_have_names_and_repeat(agent):
    schema, _ = _operations(agent)
    ordering = {p["name"]: p for p in schema["paths"]["/api/merchant/refunds/"]["get"]["parameters"]}["ordering"]
    assert ordering["schema"]["items"]["enum"] == ["created_at", "-created_at", "due_at", "-due_at"]
    assert ordering["schema"]["items"]["x-enum-varnames"] == ["CREATED_AT", "CREATED_AT_DESC", "DUE_AT", "DUE_AT_DESC"]
    assert (ordering["style"], ordering["explode"]) == ("form", True)
    assert schema["components"]["schemas"]["BlankEnum"] == {"enum": [""], "x-enum-varnames": ["BLANK"]}
