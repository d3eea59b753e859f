"""Work-list filters for merchants and providers: by state, deadline, breach, service and raise time."""

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import F, Q, QuerySet
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES
from django_filters.widgets import BaseCSVWidget

from disputes.choices import ServiceKind
from disputes.models import HelpRequest, HelpState


class RepeatedOrCommaSeparated(BaseCSVWidget, forms.Select):
    """Several sort keys as `?ordering=due_at&ordering=-created_at` (what a generated client sends, and what the
    OpenAPI document says) or as `?ordering=due_at,-created_at` (django-filter's own form); django-filter's widget
    would read only the last repeated one."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if name not in data:
            return None
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
        return [key for value in values if value != "" for key in str(value).split(",")]


class NullsLastOrderingFilter(filters.OrderingFilter):
    """Ordering where a missing deadline sorts last either way (databases disagree by default), then by id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", RepeatedOrCommaSeparated)
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in EMPTY_VALUES:
            return qs
        keys = [self.get_ordering_value(param) for param in value]
        # The id breaks ties so that offset pagination never repeats or skips a row.
        return qs.order_by(
            *(F(key[1:]).desc(nulls_last=True) if key.startswith("-") else F(key).asc(nulls_last=True) for key in keys),
            "id",
        )


class MerchantHelpRequestFilter(filters.FilterSet):
    """Query parameters of GET /api/merchant/help-requests/."""

    state = filters.MultipleChoiceFilter(
        choices=HelpState.choices, help_text="One or more states; repeat the parameter for several."
    )
    due_before = filters.IsoDateTimeFilter(
        method="filter_due_before", help_text="The 1-hour or the 48-hour deadline falls before this time."
    )
    breached = filters.BooleanFilter(
        method="filter_breached", help_text="true: a deadline was missed; false: none was missed."
    )
    service_kind = filters.ChoiceFilter(choices=ServiceKind.choices)
    raised_after = filters.IsoDateTimeFilter(field_name="raised_at", lookup_expr="gte", help_text="Raised at or after.")
    raised_before = filters.IsoDateTimeFilter(field_name="raised_at", lookup_expr="lt", help_text="Raised before.")
    ordering = NullsLastOrderingFilter(
        fields=(
            ("raised_at", "raised_at"),
            ("solution_due_at", "solution_due_at"),
            ("resolution_due_at", "resolution_due_at"),
        ),
        help_text="Sort key; prefix with - for descending. Default: newest first.",
    )

    class Meta:
        model = HelpRequest
        fields = ["state", "service_kind"]

    # The type hints name the parameters' types in the OpenAPI document.
    def filter_due_before(self, queryset: QuerySet[HelpRequest], name: str, value: datetime) -> QuerySet[HelpRequest]:
        return queryset.filter(Q(solution_due_at__lt=value) | Q(resolution_due_at__lt=value))

    def filter_breached(self, queryset: QuerySet[HelpRequest], name: str, value: bool) -> QuerySet[HelpRequest]:
        missed = Q(solution_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
        return queryset.filter(missed) if value else queryset.exclude(missed)
