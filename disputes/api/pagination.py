"""Pages of the API's lists: ?limit= and ?offset= (DRF's LimitOffsetPagination), checked strictly. A limit or
offset that is not a whole number in range is refused (400, `invalid_limit` / `invalid_offset`) rather than
silently replaced or passed to the database (a 20-digit limit used to reach PostgreSQL as an out-of-range
bigint and answer 500)."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.db.models import DateTimeField
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from disputes.selectors.keyset import after_q

MAX_LIMIT = 200
MAX_OFFSET = 2**31 - 1


class CheckedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int | None:
        return whole_param(request, self.limit_query_param, low=1, high=MAX_LIMIT, default=self.default_limit or 50)

    def get_offset(self, request: Request) -> int:
        return whole_param(request, self.offset_query_param, low=0, high=MAX_OFFSET, default=0)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, MAX_LIMIT), self.offset_query_param: (0, MAX_OFFSET)}
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"] = {**parameter["schema"], "minimum": low, "maximum": high}
        return parameters


def whole_param(request: Request, name: str, *, low: int, high: int, default: int) -> int:
    """The query parameter `name` as a whole number from `low` to `high` (`default` when absent), else a 400 that
    names it (`invalid_<name>`)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(high)) or not low <= int(text) <= high:
        raise ValidationError({name: [f"{name} is a whole number from {low} to {high}."]}, code="invalid")
    return int(text)


class KeysetPagination(BasePagination):
    """Pages in a total order, (a column, then id), by an opaque cursor: ?cursor= (from the previous page's `next`)
    and ?limit=. The cursor holds the last row's column value and id, so a page starts strictly after that row:
    rows inserted or removed meanwhile never make the walk repeat or skip a row, and no page counts the whole list.

    A view sets `cursor_ordering`, e.g. ("-created_at", "-id") (the default): both descending or both ascending,
    the last one "id" or "-id". A cursor that was not made here is refused (400, `invalid_cursor`)."""

    default_limit = 50
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        ordering = tuple(getattr(view, "cursor_ordering", ("-created_at", "-id")))
        column, self.descending = ordering[0].lstrip("-"), ordering[0].startswith("-")
        self.column = column
        self.limit = whole_param(request, "limit", low=1, high=MAX_LIMIT, default=self.default_limit)
        is_time = isinstance(queryset.model._meta.get_field(column), DateTimeField)
        by_pk = queryset.model._meta.get_field(column).primary_key
        position = self._decode(request.query_params.get(self.cursor_query_param), is_time=is_time, by_pk=by_pk)
        queryset = queryset.order_by(*ordering)
        if position is not None:
            value, pk = position
            queryset = queryset.filter(after_q(column, value, pk, descending=self.descending))
        rows = list(queryset[: self.limit + 1])
        self.has_next = len(rows) > self.limit
        self.page = rows[: self.limit]
        return self.page

    def _decode(self, raw: str | None, *, is_time: bool, by_pk: bool = False) -> tuple[Any, int] | None:
        if raw is None or raw == "":
            return None
        try:
            value, pk = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==").decode("utf-8"))
            if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= 2**63 - 1:
                raise ValueError(pk)
            if is_time:
                value = _parse_time(value)
            elif isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**63 - 1:
                raise ValueError(value)
            if by_pk and value != pk:  # a list in id order gives out [id, id]
                raise ValueError(value)
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            raise ValidationError(
                {self.cursor_query_param: ["Not a cursor this list gave out."]}, code="invalid"
            ) from None
        return value, pk

    def _encode(self, row: Any) -> str:
        value = getattr(row, self.column)
        if isinstance(value, datetime):
            value = value.isoformat()
        raw = json.dumps([value, row.pk], separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def next_link(self) -> str | None:
        if not self.has_next or not self.page:
            return None
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, self._encode(self.page[-1])
        )

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True, "description": "The next page, if any."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The cursor from the previous page's `next`; absent for the first page.",
                "schema": {"type": "string", "maxLength": 200},
            },
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "description": "Rows per page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise ValueError(text)
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(text)
    return when


class MergedKeysetPagination(KeysetPagination):
    """KeysetPagination over several querysets (of different models) merged into one list, newest first: rows are
    ordered by (a time column, the source's rank, id), all descending, where a source's rank is its place in the
    list the view passes to paginate_sources. The cursor holds the last row's time, rank and id.

    Each source is read once per page (limit + 1 rows), so a page costs one query per source."""

    def paginate_sources(self, sources: list[Any], request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.column = column = next(iter(getattr(view, "cursor_ordering", ("-created_at",)))).lstrip("-")
        self.limit = whole_param(request, "limit", low=1, high=MAX_LIMIT, default=self.default_limit)
        position = self._decode_merged(request.query_params.get(self.cursor_query_param))
        found: list[tuple[Any, int, int, Any]] = []
        for rank, queryset in enumerate(sources):
            queryset = queryset.order_by(f"-{column}", "-id")
            if position is not None:
                value, at_rank, pk = position
                if rank < at_rank:
                    queryset = queryset.filter(**{f"{column}__lte": value})
                elif rank == at_rank:
                    queryset = queryset.filter(after_q(column, value, pk, descending=True))
                else:
                    queryset = queryset.filter(**{f"{column}__lt": value})
            found.extend((getattr(row, column), rank, row.pk, row) for row in queryset[: self.limit + 1])
        found.sort(key=lambda item: item[:3], reverse=True)
        self.has_next = len(found) > self.limit
        self.ranked = found[: self.limit]
        self.page = [row for *_, row in self.ranked]
        return self.page

    def _decode_merged(self, raw: str | None) -> tuple[datetime, int, int] | None:
        if raw is None or raw == "":
            return None
        try:
            value, rank, pk = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==").decode("utf-8"))
            for number, high in ((rank, 100), (pk, 2**63 - 1)):
                if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= high:
                    raise ValueError(number)
            when = _parse_time(value)
        except (ValueError, TypeError, UnicodeError, binascii.Error):
            raise ValidationError(
                {self.cursor_query_param: ["Not a cursor this list gave out."]}, code="invalid"
            ) from None
        return when, rank, pk

    def next_link(self) -> str | None:
        if not self.has_next or not self.ranked:
            return None
        value, rank, pk, _ = self.ranked[-1]
        raw = json.dumps([value.isoformat(), rank, pk], separators=(",", ":")).encode("utf-8")
        cursor = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, cursor)
