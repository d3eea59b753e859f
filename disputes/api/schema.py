"""The OpenAPI document: generated in English whatever the active language (EnglishSchemaGenerator), with its
error contract (ErrorContractSchema). Every operation lists each status it can refuse with, and under each
status every `code` it can answer: the codes disputes.api.error_codes declares and, under 400, the code of each
input field (its body fields and query parameters, disputes.errors.field_code).

The body is ApiError (`code`, `message`, optional `details`, `fields` and `field_codes`) refined per operation
and status: `<OperationId><status>Error` is ApiError with `code` one of `<OperationId><status>ErrorCode`, an enum
of exactly those codes, so a generated client parses each refusal into a typed model whose code it can match
exhaustively. A 429 says how long to wait in Retry-After."""

from typing import Any

from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance
from inflection import camelize
from rest_framework import serializers

from disputes.api.common import ApiErrorSerializer
from disputes.api.error_codes import codes_of
from disputes.errors import field_code

MEANING = {
    400: "Malformed input: the body or a parameter cannot be read, or a field is missing, of the wrong type or out "
    "of range. A refusal that names fields carries `field_codes` (`<field>_required`, `<field>_too_long`, "
    "`invalid_<field>` or the field's own code); `code` is that field's code when one field is refused.",
    401: "No valid API token.",
    403: "The caller may not use this operation.",
    404: "No such resource, or not the caller's.",
    409: "The case has moved on: its state no longer allows this step, or a request with the same Idempotency-Key "
    "is still in flight.",
    415: "The body's content type is not one this operation accepts.",
    422: "A business rule refused a well-formed request (the code says which), or the Idempotency-Key was used "
    "for a different request.",
    429: "Too many requests: wait the number of seconds in Retry-After.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}


class EnglishSchemaGenerator(SchemaGenerator):
    """drf-spectacular's generator, always in English. drf-spectacular renders lazy translations (choice labels,
    verbose names, DRF's own help texts) in the active language, which is the site's 简体中文 unless the caller asks
    otherwise; a client generated from a Chinese document gets Chinese class names. So the document is English
    for the schema view (/api/schema/), `manage.py spectacular` and the Swagger UI alike, whatever LANGUAGE_CODE,
    Accept-Language, `?lang=` or `--lang` say. API responses keep following Accept-Language."""

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        # The lazy strings are resolved inside get_schema (drf-spectacular's normalize_result_object).
        with translation.override("en"):
            return super().get_schema(request=request, public=public)


class ErrorContractSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the operation's refusals from disputes.api.error_codes."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status in [status for status in responses if status.startswith("4")]:
            del responses[status]
        api_error = self.resolve_serializer(ApiErrorSerializer, "response").ref  # registers the ApiError component
        key = f"{getattr(self.view, 'basename', type(self.view).__name__)}.{getattr(self.view, 'action', None)}"
        for status, declared in codes_of(key).items():
            codes = [*declared, *self._input_field_codes(operation)] if status == 400 else list(declared)
            codes = list(dict.fromkeys(codes))
            listed = ", ".join(f"`{code}`" for code in codes)
            response: dict[str, Any] = {
                "description": f"{MEANING[status]} Codes: {listed}.",
                "content": {"application/json": {"schema": self._error_body(operation, status, codes, api_error)}},
            }
            if status == 429:
                response["headers"] = RETRY_AFTER
            responses[str(status)] = response
        return operation

    def _error_body(self, operation: dict[str, Any], status: int, codes: list[str], api_error: dict) -> dict:
        """`<OperationId><status>Error`: ApiError whose `code` is one of `<OperationId><status>ErrorCode`."""
        name = f"{camelize(operation['operationId'])}{status}Error"
        code = ResolvedComponent(
            name=f"{name}Code",
            type=ResolvedComponent.SCHEMA,
            object=f"{name}Code",
            schema={
                "type": "string",
                "enum": codes,
                "description": f"The codes `{operation['operationId']}` answers with status {status}.",
            },
        )
        body = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            # The enum is a component of its own, so drf-spectacular's enum hook leaves it as it is.
            schema={"allOf": [api_error, {"type": "object", "properties": {"code": code.ref}}]},
        )
        self.registry.register_on_missing(code)
        self.registry.register_on_missing(body)
        return body.ref

    def _input_field_codes(self, operation: dict[str, Any]) -> list[str]:
        """The code a 400 gives each input field it refuses (disputes.api.errors): the query parameters', which
        a filter or the pagination refuses as `invalid_<name>`, and the body fields' as their serializers may."""
        codes = [
            field_code(parameter["name"]) for parameter in operation.get("parameters", []) if parameter["in"] == "query"
        ]
        request = self.get_request_serializer() if self.method in ("POST", "PATCH") else None
        for serializer in (request.values() if isinstance(request, dict) else [request]) if request else []:
            for name, field in force_instance(serializer).fields.items():
                if not field.read_only:
                    codes.extend(_field_codes(name, field))
        return codes


def _field_codes(name: str, field: serializers.Field) -> list[str]:
    """Every code DRF's checks of one field can give, through disputes.errors.field_code: missing (required,
    null or blank), too long (a string's length, a list's number of items), and otherwise invalid."""
    codes = []
    may_be_missing = field.required or not field.allow_null
    if may_be_missing or (isinstance(field, serializers.CharField) and not field.allow_blank):
        codes.append(field_code(name, "required"))
    if getattr(field, "max_length", None) is not None:
        codes.append(field_code(name, "max_length"))
    codes.append(field_code(name, "invalid"))
    return codes
