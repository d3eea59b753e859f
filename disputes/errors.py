"""The one family of domain errors that services raise; the API and the admin translate them."""

from typing import Any


class DomainError(Exception):
    """A request the domain refuses. `code` is stable and part of the API contract."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400


class RuleRefused(DomainError):
    """A well-formed request that a business rule refuses: a time window has passed, an amount is over what the
    case allows, the same request is already open, the rules of the service exclude it. 422 in the API."""

    code = "rule_refused"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class InvalidTransition(DomainError):
    """The case is not in a state that allows this step (or another actor moved it first)."""

    code = "invalid_transition"
    status = 409


class AppendOnlyViolation(DomainError):
    """Ledger and audit rows are never updated or deleted; a reversal is a new entry."""

    code = "append_only"
    status = 409


class IdempotencyConflict(DomainError):
    """An idempotency key was reused for a different account or amount: a bug, never a retry."""

    code = "idempotency_conflict"
    status = 409


# --- field codes: one code per field problem, whichever layer finds it ------------------------------------------

# Fields whose "invalid" code is not `invalid_<field>` (kept for the codes the API has always returned).
FIELD_CODES = {
    "amount_fen": "invalid_amount",
    "refund_fen": "invalid_amount",
    "compensation_points": "invalid_amount",
    "refund_type": "invalid_type",
}
# A field problem with a code of its own, whichever field it is on.
PROBLEM_CODES = {("files", "max_length"): "too_many_files", ("url", "not_public"): "url_not_public"}
_MISSING = {"required", "null", "blank", "empty"}
_TOO_LONG = {"max_length", "max_string_length"}


def field_code(field: str, problem: str = "invalid") -> str:
    """The stable code of a problem with one input field, the same from a serializer and from a service:
    missing → `<field>_required`, too long → `<field>_too_long`, anything else (wrong type, not a choice, out of
    range) → `invalid_<field>`, or the field's entry in FIELD_CODES."""
    if (field, problem) in PROBLEM_CODES:
        return PROBLEM_CODES[field, problem]
    if problem in _MISSING:
        return f"{field}_required"
    if problem in _TOO_LONG:
        return f"{field}_too_long"
    return FIELD_CODES.get(field, f"invalid_{field}")
