"""Work-list filters for a merchant's refunds: by state, deadline, type, reason, express case and apply time."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget

from disputes.api.merchant.filters import NullsLastOrderingFilter
from disputes.models import RefundReason, RefundRequest, RefundState, RefundType


class _StrictBooleanWidget(BooleanWidget):
    """Reads true/false/1/0 like django-filter's widget, but hands other text on for the field to refuse."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        raw = data.get(name)
        if raw in (None, ""):
            return None
        parsed = super().value_from_datadict(data, files, name)
        return raw if parsed is None else parsed


class _StrictBooleanField(forms.NullBooleanField):
    # NullBooleanField's own signature; the stubs silence the same clash with BooleanField on NullBooleanField.
    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if isinstance(value, bool):
            return value
        if value in (None, ""):
            return None
        raise ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    """A boolean filter where a value like `maybe` is a 400, not silently "no filter"."""

    field_class = _StrictBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", _StrictBooleanWidget)
        super().__init__(*args, **kwargs)


class MerchantRefundFilter(filters.FilterSet):
    """Query parameters of GET /api/merchant/refunds/."""

    state = filters.MultipleChoiceFilter(
        choices=RefundState.choices, help_text="One or more states; repeat the parameter for several."
    )
    due_before = filters.IsoDateTimeFilter(
        field_name="due_at", lookup_expr="lt", help_text="The next automatic action falls before this time."
    )
    refund_type = filters.ChoiceFilter(choices=RefundType.choices)
    reason = filters.ChoiceFilter(choices=RefundReason.choices)
    express = StrictBooleanFilter(help_text="true: express rights protection (极速维权) cases only.")
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Applied at or after."
    )
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="Applied before.")
    ordering = NullsLastOrderingFilter(
        fields=(("created_at", "created_at"), ("due_at", "due_at")),
        help_text="Sort key; prefix with - for descending; requests without a deadline sort last. "
        "Default: newest first.",
    )

    class Meta:
        model = RefundRequest
        fields = ["state", "refund_type", "reason", "express"]
