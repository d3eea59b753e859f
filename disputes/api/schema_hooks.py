"""Postprocessing of the OpenAPI document (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"], after drf-spectacular's
enum hook) so that a client generated from it (openapi-python-client) works as generated."""

from typing import Any

Document = dict[str, Any]


def client_friendly(result: Document, generator: Any, **kwargs: Any) -> Document:
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            _loosen_two_type_body(operation)
    return result


def _loosen_two_type_body(operation: dict[str, Any]) -> None:
    """An operation that takes JSON or multipart/form-data (with files) lists both. openapi-python-client (0.29)
    writes `body: A | B | Unset` for such a body, and imports Unset only when the body is optional
    (openapi-generators/openapi-python-client#1451): with `required: true` the module does not import. The API
    reads a missing body as an empty one and refuses it like any body without the required fields (400 naming
    them), so an optional body is also what the API does."""
    body = operation.get("requestBody")
    if body and len(body.get("content", {})) > 1:
        body["required"] = False
