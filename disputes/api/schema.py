"""The OpenAPI document's error contract, added to every operation by a drf-spectacular postprocessing hook:

- 400 malformed input, 401 no valid token, 403 not allowed, 404 not found or not the caller's, 429 throttled
  (with Retry-After), on every operation;
- and on writes 409 (the case has moved on), 415 (a body type the operation does not take) and 422 (a business
  rule refused it).

Every one carries the same body (ApiError: `code`, `message`, optional `details` and `fields`)."""

from typing import Any

ERROR = {"$ref": "#/components/schemas/ApiError"}

EVERY_OPERATION = {
    "400": "Malformed input: the body or a parameter cannot be read, or a field is missing, of the wrong type or "
    "out of range (`invalid`, `parse_error`, a field's own code such as `invalid_amount`).",
    "401": "No valid API token (`not_authenticated`, `authentication_failed`).",
    "403": "The caller may not use this operation (`permission_denied`, `staff_permission_required`).",
    "404": "No such resource, or not the caller's (`not_found`, or the resource's own code such as "
    "`refund_not_found`).",
    "429": "Too many requests (`throttled`): wait the number of seconds in Retry-After.",
}
WRITES = {
    "409": "The case has moved on: its state no longer allows this step (`invalid_transition` or the step's own "
    "code), or a request with the same Idempotency-Key is still in flight (`idempotency_request_in_flight`).",
    "415": "The body's content type is not one this operation accepts (`unsupported_media_type`).",
    "422": "A business rule refused the request (the code says which, e.g. `after_sales_window_passed`), or the "
    "Idempotency-Key was used for a different request (`idempotency_key_reused`).",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}


def add_error_contract(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = {**EVERY_OPERATION, **(WRITES if method in ("post", "put", "patch", "delete") else {})}
            for status, description in statuses.items():
                response = operation["responses"].setdefault(status, {})
                response.setdefault("description", description)
                response["content"] = {"application/json": {"schema": ERROR}}
                if status == "429":
                    response["headers"] = RETRY_AFTER
    return result
