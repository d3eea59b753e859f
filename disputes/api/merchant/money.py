"""The merchant's money, read through the API (README "Money"): the account summary, the statement with its running
balance (and its CSV export), the penalties with their cases, the violations with their points, and the appeal of a
violation. Reads only: the appeal goes through disputes.services.violations."""

from __future__ import annotations

import builtins
import csv
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.actors import merchant_of
from disputes.api.base import CallerViewSet, CaseViewSet
from disputes.api.common import caller_row
from disputes.api.merchant.money_filters import MerchantPenaltyFilter, MerchantStatementFilter, MerchantViolationFilter
from disputes.api.merchant.money_serializers import (
    MerchantAccountSerializer,
    MerchantPenaltySerializer,
    MerchantPointsSerializer,
    MerchantStatementEntryDetailSerializer,
    MerchantStatementEntrySerializer,
    MerchantViolationAppealCreateSerializer,
    MerchantViolationDetailSerializer,
    MerchantViolationSerializer,
    yuan,
)
from disputes.api.pagination import KeysetPagination, MergedKeysetPagination
from disputes.api.permissions import caller
from disputes.api.schema import ErrorContractSchema
from disputes.errors import NotFound
from disputes.models import EntryKind, Merchant, MerchantAccountEntry, Violation
from disputes.selectors import money
from disputes.services.violations import violation_appeal
from disputes.sla import BEIJING

TAGS = ["merchant: money"]


class IsMerchantAccount(BasePermission):
    """The caller is a merchant's API user (a service provider's users answer help requests, not the accounts)."""

    message = "Only a merchant's API user may read the merchant's account, penalties and violations."
    code = "merchant_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        return merchant_of(request.user) is not None


class _MerchantMoney(CallerViewSet):
    # Merchant systems call with an API token; there is no browser session to protect.
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated, IsMerchantAccount]

    @property
    def merchant(self) -> Merchant:
        found = merchant_of(self.request.user)
        if found is None:  # the permission let no one else in
            raise NotFound("No such merchant.", code="not_found")
        return found

    def faking(self) -> bool:
        """drf-spectacular reading the view for the schema, with no caller."""
        return getattr(self, "swagger_fake_view", False)


class _StatementSchema(ErrorContractSchema):
    """The export is a route of its own: no `?format=` parameter for its second renderer."""

    def _get_format_parameters(self) -> list[dict[str, Any]]:
        return []


class _OneObjectSchema(ErrorContractSchema):
    """A `list` route that answers one object (the account summary), not a list."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="My account: balance, this month's charges, this year's violation points",
        description="Cheap aggregates over the ledger. The deposit (保证金) and sanctions from violation points are "
        "not in the system yet.",
        responses={200: MerchantAccountSerializer},
    )
)
class MerchantAccountViewSet(_MerchantMoney):
    schema = _OneObjectSchema()
    pagination_class = None
    filter_backends: list[Any] = []
    queryset = MerchantAccountEntry.objects.none()
    serializer_class = MerchantAccountSerializer

    def list(self, request: Request) -> Response:
        now = timezone.now()
        merchant = self.merchant
        totals = money.account_totals(merchant, now=now)
        summary = {
            **totals,
            "balance_yuan": yuan(totals["balance_fen"]),
            "month": timezone.localtime(now, BEIJING).strftime("%Y-%m"),
            "points": money.points_in_year(merchant, timezone.localtime(now, BEIJING).year),
            "as_of": now,
        }
        return Response(MerchantAccountSerializer(summary).data)


class CSVRenderer(BaseRenderer):
    """Offered so that `Accept: text/csv` reaches the export; its rows stream past the renderers (and its refusals
    are JSON, see finalize_response)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return JSONRenderer().render(data)


CSV_COLUMNS = [
    "id",
    "posted_at",
    "occurred_at",
    "kind",
    "kind_label",
    "amount_fen",
    "amount_yuan",
    "balance_after_fen",
    "balance_after_yuan",
    "case_type",
    "case_id",
    "case_number",
    "order_no",
    "key",
    "reverses",
    "memo",
]


def _beijing(value: Any) -> str:
    return timezone.localtime(value, BEIJING).isoformat(timespec="seconds")


def _cell(text: str) -> str:
    """Free text as a spreadsheet will not run it: a leading = + - @ becomes text (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[MerchantAccountEntry]], language: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark: spreadsheets then read the Chinese labels as UTF-8
    yield writer.writerow(CSV_COLUMNS)
    with translation.override(language):
        labels = {str(value): str(label) for value, label in EntryKind.choices}  # once: get_kind_display is slow
        for batch in rows:
            lines = []
            for entry in batch:
                case = entry.case  # type: ignore[attr-defined]
                balance = entry.balance_after  # type: ignore[attr-defined]
                lines.append(
                    writer.writerow(
                        [
                            entry.pk,
                            _beijing(entry.created_at),
                            _beijing(entry.occurred_at),
                            entry.kind,
                            _cell(labels.get(entry.kind, entry.kind)),
                            entry.amount,
                            yuan(entry.amount),
                            balance,
                            yuan(balance),
                            case.type if case else "",
                            case.id if case else "",
                            case.number if case else "",
                            _cell(case.order_no) if case else "",
                            entry.idempotency_key or "",
                            entry.reverses_id or "",
                            _cell(entry.memo),
                        ]
                    )
                )
            yield "".join(lines)


STATEMENT_DESCRIPTION = (
    "Entries of the merchant account, newest first in the order they were posted (`posted_at`, then `id`), with "
    "`balance_after_fen`: the account's balance just after each entry. It is the balance of the whole account, "
    "not a subtotal of the filtered rows: with a filter, consecutive rows need not differ by the amount of the upper "
    "one. Pages follow `next` (a cursor); a row keeps its place and balance from page to page."
)


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="My account statement, with the balance after each entry",
        description=STATEMENT_DESCRIPTION,
        responses={200: MerchantStatementEntrySerializer},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary="Read one statement entry, with how a penalty was computed",
        description="The entry as the statement shows it (its balance after), and for a penalty or compensation its "
        "`explanation`: the deadline missed and how it was set, the basis and formula, the policy values of the "
        "versions it used. 404 `statement_entry_not_found` for an entry that is not on your account.",
        responses={200: MerchantStatementEntryDetailSerializer},
    ),
)
class MerchantStatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _MerchantMoney):
    schema = _StatementSchema()
    queryset = MerchantAccountEntry.objects.none()
    serializer_class = MerchantStatementEntrySerializer
    pagination_class = KeysetPagination
    cursor_ordering = ("-created_at", "-id")
    filterset_class = MerchantStatementFilter

    def get_queryset(self) -> QuerySet[MerchantAccountEntry]:
        if self.faking():
            return MerchantAccountEntry.objects.none()
        return money.statement_entries(self.merchant)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # the view pages
        money.with_balances(self.merchant, page)
        cases = money.cases_of((entry.source_type_id, entry.source_id) for entry in page)
        for entry in page:
            entry.case = cases.get((entry.source_type_id, entry.source_id))  # type: ignore[attr-defined]  # shown
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_serializer_class(self) -> type[MerchantStatementEntrySerializer]:
        if getattr(self, "action", None) == "retrieve":
            return MerchantStatementEntryDetailSerializer
        return MerchantStatementEntrySerializer

    def get_object(self) -> MerchantAccountEntry:
        found: MerchantAccountEntry = caller_row(
            self.get_queryset(),
            self.kwargs["pk"],
            message="No such entry on your statement.",
            code="statement_entry_not_found",
        )
        return found

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        money.with_balances(self.merchant, [entry])
        entry.case = money.cases_of([(entry.source_type_id, entry.source_id)]).get(  # type: ignore[attr-defined]
            (entry.source_type_id, entry.source_id)
        )
        return Response(self.get_serializer(entry).data)

    def get_renderers(self) -> builtins.list[BaseRenderer]:
        if getattr(self, "action", None) == "export":
            return [JSONRenderer(), CSVRenderer()]
        return super().get_renderers()

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, Response):
            # A refusal is the JSON error body, whatever the caller accepts.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        summary="Download my statement as CSV",
        description="The same rows as the statement with the same filters, every one of them (no pages), streamed "
        "newest first: UTF-8 with a byte-order mark (Python: encoding='utf-8-sig'), a header row, times in Beijing "
        "time (ISO 8601, +08:00), amounts in fen and in yuan (元) with two decimals, the balance after each entry (the "
        "whole account's, as in the statement), the case and its order number.",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The statement as CSV.")},
        filters=True,
    )
    @action(detail=False, methods=["get"], url_path="export", url_name="export", pagination_class=None)
    def export(self, request: Request) -> StreamingHttpResponse:
        merchant = self.merchant
        entries = self.filter_queryset(self.get_queryset())
        rows = money.statement_export(merchant, entries)
        day = timezone.localtime(timezone.now(), BEIJING).strftime("%Y%m%d")
        response = StreamingHttpResponse(
            _csv_lines(rows, translation.get_language() or "en"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="statement-{merchant.pk}-{day}.csv"'
        return response


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="My penalties: what I was charged for missed deadlines, damage and judgments, and why",
        description="Every penalty on the shop, newest first: the penalty and compensation postings (credited, or "
        "reversed later) and the help-request misses whose penalty is held for a force-majeure claim or was voided "
        "by one. A held penalty that is charged later appears again, credited, under the same `key`.",
        responses={200: MerchantPenaltySerializer},
    )
)
class MerchantPenaltyViewSet(mixins.ListModelMixin, _MerchantMoney):
    queryset = MerchantAccountEntry.objects.none()
    serializer_class = MerchantPenaltySerializer
    pagination_class = MergedKeysetPagination
    cursor_ordering = ("-created_at", "-id")
    filterset_class = MerchantPenaltyFilter
    filter_backends = [DjangoFilterBackend]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        merchant = self.merchant
        form = MerchantPenaltyFilter(request.query_params, queryset=MerchantAccountEntry.objects.none())
        if not form.is_valid():
            raise translate_validation(form.errors)
        statuses = set(form.form.cleaned_data.get("status") or money.PENALTY_STATUSES)
        kinds = form.form.cleaned_data.get("kind") or []
        entries = money.penalty_entries(merchant)
        misses = money.unposted_misses(merchant)
        if kinds:
            entries = entries.filter(kind__in=kinds)
            misses = misses.filter(deadline__in=money.deadlines_of_kinds(kinds))
        posted = {money.PenaltyStatus.CREDITED, money.PenaltyStatus.REVERSED}
        if not statuses & posted:
            entries = entries.none()
        elif not posted <= statuses:
            entries = entries.filter(reversed_by__isnull=money.PenaltyStatus.CREDITED in statuses)
        misses = misses.filter(status__in=money.miss_statuses(statuses))
        paginator = self.paginator
        assert isinstance(paginator, MergedKeysetPagination)
        rows = paginator.paginate_sources([misses, entries], request, self)
        return paginator.get_paginated_response(MerchantPenaltySerializer(money.penalties_from(rows), many=True).data)


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="My violation records, with their points, status and appeal",
        description="Newest first by when they occurred. A record counts against the shop while `counted` or "
        "`appealed` (its appeal not yet decided).",
        responses={200: MerchantViolationSerializer},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary="Read one violation record, with how its penalty was computed",
        responses={200: MerchantViolationDetailSerializer},
    ),
)
class MerchantViolationViewSet(CaseViewSet, _MerchantMoney):
    queryset = Violation.objects.none()
    serializer_class = MerchantViolationSerializer
    pagination_class = KeysetPagination
    cursor_ordering = ("-occurred_at", "-id")
    filterset_class = MerchantViolationFilter

    def get_queryset(self) -> QuerySet[Violation]:
        if self.faking():
            return Violation.objects.none()
        return money.merchant_violations(self.merchant)

    def get_serializer_class(self) -> type[MerchantViolationSerializer]:
        if getattr(self, "action", None) in ("retrieve", "appeal"):
            return MerchantViolationDetailSerializer
        return MerchantViolationSerializer

    def get_object(self) -> Violation:
        found: Violation = caller_row(
            self.get_queryset(), self.kwargs["pk"], message="No such violation.", code="violation_not_found"
        )
        return found

    @extend_schema(
        tags=TAGS,
        summary="Violation points per calendar year (Beijing time)",
        description="The score points of the violations counted against the shop (counted, or under appeal), per "
        "calendar year of their occurrence in Beijing time; points reset on 1 January. Sanctions from points are not "
        "in the system yet.",
        responses={200: MerchantPointsSerializer},
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def points(self, request: Request) -> Response:
        years = money.points_by_year(self.merchant, now=timezone.now())
        return Response(MerchantPointsSerializer({"results": years}).data)

    @extend_schema(
        tags=TAGS,
        summary="Appeal a counted violation (申诉), with your reasons",
        description="Once per violation, within its appeal window (`appeal.due_at`: `violation.appeal_window`, 7 "
        "days by default from when it was counted, its last second included). The violation awaits a senior "
        "agent's decision (`appealed`; its points still count); granted, it is revoked; rejected, it counts for "
        "good. Refused with `already_appealed` after a first appeal, `appeal_window_closed` after the window, "
        "`invalid_transition` for a violation that is not counted.",
        request=MerchantViolationAppealCreateSerializer,
        responses={200: MerchantViolationDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request: Request, pk: str) -> Response:
        violation = self.get_object()
        form = MerchantViolationAppealCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        violation_appeal(actor=caller(request), violation_id=violation.pk, reason=form.validated_data["reason"])
        return Response(MerchantViolationDetailSerializer(self.get_object()).data)
