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
