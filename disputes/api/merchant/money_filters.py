"""Query parameters of the merchant's money lists: the statement (time, kind, case), penalties (status, kind) and
violations (status, kind, year)."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters

from disputes.api.common import BIGINT_MAX
from disputes.api.merchant.money_serializers import CASE_TYPE_CHOICES, PENALTY_KIND_CHOICES
from disputes.models import EntryKind, MerchantAccountEntry, Violation, ViolationKind, ViolationStatus
from disputes.selectors.money import PENALTY_STATUSES, case_entries_q, year_bounds

FIRST_YEAR, LAST_YEAR = 2000, 2100


class WholeNumberFilter(filters.Filter):
    """A whole number in a range (django-filter's NumberFilter takes decimals): anything else is `invalid_<name>`."""

    field_class = forms.IntegerField


class MerchantStatementFilter(filters.FilterSet):
    """Query parameters of GET /api/merchant/statement/ (and its CSV export)."""

    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Posted at or after this time."
    )
    created_before = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Posted before this time."
    )
    kind = filters.MultipleChoiceFilter(
        distinct=False,
        choices=EntryKind.choices,
        help_text="One or more kinds of entry; repeat the parameter for several.",
    )
    case_type = filters.ChoiceFilter(
        choices=[(name, name) for name in CASE_TYPE_CHOICES],
        method="filter_case",
        help_text="With case_id: only the entries about that case (for an intervention case, its judgments' postings).",
    )
    case_id = WholeNumberFilter(method="filter_case", min_value=1, max_value=BIGINT_MAX, help_text="See case_type.")

    class Meta:
        model = MerchantAccountEntry
        fields = ["kind"]

    def filter_case(
        self, queryset: QuerySet[MerchantAccountEntry], name: str, value: Any
    ) -> QuerySet[MerchantAccountEntry]:
        return queryset  # applied once both are read (filter_queryset)

    def filter_queryset(self, queryset: QuerySet[MerchantAccountEntry]) -> QuerySet[MerchantAccountEntry]:
        queryset = super().filter_queryset(queryset)
        case_type, case_id = self.form.cleaned_data.get("case_type"), self.form.cleaned_data.get("case_id")
        if case_type and case_id is not None:
            queryset = queryset.filter(case_entries_q(case_type, case_id))
        return queryset

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid:
            data = self.form.cleaned_data
            if bool(data.get("case_type")) != (data.get("case_id") is not None):
                missing = "case_id" if data.get("case_type") else "case_type"
                self.form.add_error(
                    missing, forms.ValidationError("Give case_type and case_id together.", code="invalid")
                )
                return False
        return valid


class MerchantPenaltyFilter(filters.FilterSet):
    """Query parameters of GET /api/merchant/penalties/ (read by the view, which filters two sources)."""

    status = filters.MultipleChoiceFilter(
        distinct=False,
        choices=[(status, status) for status in PENALTY_STATUSES],
        method="read_only",
        help_text="One or more statuses; repeat the parameter for several.",
    )
    kind = filters.MultipleChoiceFilter(
        distinct=False, choices=PENALTY_KIND_CHOICES, method="read_only", help_text="One or more penalty kinds."
    )

    class Meta:
        model = MerchantAccountEntry
        fields: list[str] = []

    def read_only(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset


class MerchantViolationFilter(filters.FilterSet):
    """Query parameters of GET /api/merchant/violations/."""

    status = filters.MultipleChoiceFilter(
        distinct=False,
        choices=ViolationStatus.choices,
        help_text="One or more statuses; repeat the parameter for several.",
    )
    kind = filters.ChoiceFilter(choices=ViolationKind.choices)
    year = WholeNumberFilter(
        method="filter_year",
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text="Violations that occurred in this calendar year, Beijing time.",
    )

    class Meta:
        model = Violation
        fields = ["status", "kind"]

    def filter_year(self, queryset: QuerySet[Violation], name: str, value: int) -> QuerySet[Violation]:
        start, end = year_bounds(value)
        return queryset.filter(occurred_at__gte=start, occurred_at__lt=end)
