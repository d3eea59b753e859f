"""Pages of the API's lists: ?limit= and ?offset= (DRF's LimitOffsetPagination), checked strictly. A limit or
offset that is not a whole number in range is refused (400, `invalid_limit` / `invalid_offset`) rather than
silently replaced or passed to the database (a 20-digit limit used to reach PostgreSQL as an out-of-range
bigint and answer 500)."""

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

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
