"""The OpenAPI document's error contract. Every operation lists each status it can refuse with, and under each
status every `code` it can answer (disputes.api.error_codes, the list the API tests hold the API to); all share
one body schema, ApiError (`code`, `message`, optional `details`, `fields` and `field_codes`). A 429 says how long
to wait in Retry-After."""

from typing import Any

from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema

from disputes.api.common import ApiErrorSerializer
from disputes.api.error_codes import codes_of

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
        error = self.resolve_serializer(ApiErrorSerializer, "response").ref  # registers the ApiError component
        key = f"{getattr(self.view, 'basename', type(self.view).__name__)}.{getattr(self.view, 'action', None)}"
        for status, codes in codes_of(key).items():
            listed = ", ".join(f"`{code}`" for code in codes)
            response: dict[str, Any] = {
                "description": f"{MEANING[status]} Codes: {listed}.",
                "content": {"application/json": {"schema": error}},
            }
            if status == 429:
                response["headers"] = RETRY_AFTER
            responses[str(status)] = response
        return operation
