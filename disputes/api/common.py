"""Pieces both sides of the API share: the error body, force-majeure claim output, lookups."""

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from disputes.errors import NotFound
from disputes.models import ForceMajeureClaim, ForceMajeureEvidence, HelpRequest

# The largest id or amount a column holds (PostgreSQL bigint); a larger number is refused as that field's invalid
# input (400) before it reaches a query.
BIGINT_MAX = 2**63 - 1


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that states its offset (2026-03-03T09:30:00+08:00 or ...Z). Without one it is refused as
    the field's invalid input, never guessed to be Beijing time."""

    default_error_messages = {
        **serializers.DateTimeField.default_error_messages,
        "naive": "Give the time with its UTC offset, e.g. 2026-03-03T09:30:00+08:00.",
    }

    def enforce_timezone(self, value: Any) -> Any:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class ApiErrorSerializer(serializers.Serializer):
    """The body of every 4xx response (see disputes.api.errors.exception_handler)."""

    code = serializers.CharField(help_text="Stable machine-readable error code, e.g. cancel_window_passed.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.DictField(required=False, help_text="Extra facts about a domain refusal.")
    # The body's key is `fields`. DRF's metaclass takes declared fields out of the class, so this does not
    # replace Serializer.fields at run time; the stubs cannot know that.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Per-field messages when input fields are refused."
    )
    field_codes = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Per-field stable codes (`invalid_<field>`, `<field>_required`, `<field>_too_long`, or the "
        "field's own code such as `invalid_amount`): the same code a field gets whichever check refuses it. When "
        "exactly one field is refused, `code` is that field's code; with several, `code` is `invalid`.",
    )


class HelpEvidenceSerializer(serializers.ModelSerializer):
    """Metadata of one evidence file; the file itself stays in private storage."""

    class Meta:
        model = ForceMajeureEvidence
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class HelpForceMajeureClaimSerializer(serializers.ModelSerializer):
    """A force-majeure claim against one deadline of a help request, with its evidence."""

    deadline_label = serializers.CharField(source="get_deadline_display", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    evidence = HelpEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ForceMajeureClaim
        fields = [
            "id",
            "deadline",
            "deadline_label",
            "category",
            "category_label",
            "note",
            "status",
            "status_label",
            "claimed_at",
            "decided_at",
            "decision_reason",
            "evidence",
        ]
        read_only_fields = fields


def caller_row(queryset: Any, pk: str | int, *, message: str, code: str) -> Any:
    """The row `pk` names in a caller-scoped queryset, else a 404 with `code`: outside the scope it does not exist,
    and anything but a whole number in the id column's range (digits only) names no row, never a 500."""
    text = str(pk)
    found = None
    if text.isascii() and text.isdigit() and int(text) <= 2**63 - 1:
        found = queryset.filter(pk=int(text)).first()
    if found is None:
        raise NotFound(message, code=code)
    return found


def request_id(pk: str | int) -> int:
    """The help request id in a URL; anything but digits names no request."""
    if isinstance(pk, int) or (pk.isascii() and pk.isdigit()):
        return int(pk)
    raise NotFound("No such help request.", code="help_request_not_found")


def help_request_from(queryset: Any, pk: str | int) -> HelpRequest:
    """One request from a caller-scoped queryset; outside the scope it does not exist, as in the services."""
    found = queryset.filter(pk=request_id(pk)).first()
    if found is None:
        raise NotFound("No such help request.", code="help_request_not_found")
    return found
