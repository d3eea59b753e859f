"""`GET /api/merchant/at-risk/`: the money the merchant loses if it does nothing, deadline by deadline, with the total
(disputes.selectors.at_risk)."""

import base64
import binascii
import json
import re
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from disputes.actors import merchant_of
from disputes.api.common import AwareDateTimeField
from disputes.api.events import IsMerchant
from disputes.api.pagination import MAX_LIMIT, whole_param
from disputes.api.schema import ErrorContractSchema
from disputes.api.throttles import AddressRateThrottle
from disputes.selectors.at_risk import DEADLINES, HELP_REQUEST, ORDERS, REFUND, AtRiskRow, money_at_risk

DEFAULT_LIMIT = 50


class IsMerchantCaller(IsMerchant):
    message = "Only a merchant's API user may read the merchant's money at risk."


class QueryTimeField(AwareDateTimeField):
    """An aware time in a query string. A `+` left unencoded in a URL arrives as a space (`...T12:00:00 08:00`);
    a space before a trailing HH:MM can be nothing else, so it is read as the `+` the caller wrote."""

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r".+T.+ \d{2}:\d{2}", value):
            value = value[:-6] + "+" + value[-5:]
        return super().to_internal_value(value)


class MerchantAtRiskQuerySerializer(serializers.Serializer):
    order = serializers.ChoiceField(
        choices=ORDERS,
        default="deadline",
        help_text="deadline: the soonest deadline first (default); amount: the largest amount first.",
    )
    before = QueryTimeField(
        required=False,
        help_text="Only deadlines before this time, with its UTC offset (2026-03-03T12:00:00+08:00, or ...Z); the "
        "totals follow.",
    )


class MerchantAtRiskCaseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[HELP_REQUEST, REFUND], source="case_type")
    id = serializers.IntegerField(source="case_id")
    order_number = serializers.CharField()


class MerchantAtRiskRowSerializer(serializers.Serializer):
    case = MerchantAtRiskCaseSerializer(source="*")
    deadline = serializers.ChoiceField(
        choices=DEADLINES,
        help_text="solution_due / resolution_due: a help request's 1-hour and 48-hour deadlines; answer_due / "
        "receipt_due: a refund paid when the merchant does not answer it / confirm the returned goods in time.",
    )
    due_at = serializers.DateTimeField(help_text="Missed once this second has passed.")
    penalty_fen = serializers.IntegerField(
        help_text="What the merchant account is charged when the deadline passes: a help penalty, or a refund with "
        "any damage-guarantee penalty. 0 when force majeure was approved."
    )
    buyer_points = serializers.IntegerField(help_text="What the buyer is credited in points (100 points = 1 元).")
    basis = serializers.CharField(
        help_text="How the amount was computed: fixed, not_provided, late (RULES.md section 6), exempted, refund, "
        "refund_and_damage_penalty."
    )
    held = serializers.BooleanField(
        help_text="A force-majeure claim is pending: the miss is recorded but the penalty is charged only if staff "
        "reject the claim (not in total_fen)."
    )


class MerchantAtRiskSerializer(serializers.Serializer):
    order = serializers.ChoiceField(choices=ORDERS, help_text="The order of the rows (the `order` asked for).")
    total_fen = serializers.IntegerField(help_text="What every listed deadline costs if missed, held penalties apart.")
    held_fen = serializers.IntegerField(help_text="Penalties held by pending force-majeure claims.")
    count = serializers.IntegerField(help_text="How many deadlines are listed over all pages.")
    next = serializers.URLField(allow_null=True, help_text="The next page, if any.")
    results = MerchantAtRiskRowSerializer(many=True)


class OneObjectSchema(ErrorContractSchema):
    """The list answers one object (the totals and a page of rows), not an array of them."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class MerchantAtRiskViewSet(viewsets.GenericViewSet):
    """Read-only: one list, computed from the merchant's open cases on each call."""

    schema = OneObjectSchema()

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated, IsMerchantCaller]
    serializer_class = MerchantAtRiskSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        address = AddressRateThrottle()
        if not address.allow_request(request, self):
            self.throttled(request, address.wait() or 1.0)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        tags=["merchant: money"],
        operation_id="merchant_at_risk_list",
        summary="Money at risk: each open case's deadlines and what missing them costs",
        description=(
            "One row per deadline that charges the merchant when it passes: a help request with no solution yet "
            "has two (the 1-hour and the 48-hour penalty, both paid if the merchant does nothing); a refund whose "
            "timeout pays it has one. Timeouts that move no money (a return agreed, goods taken as received) and "
            "intervention deadlines are not listed. `total_fen` and `count` cover every row, not just this page: "
            "`total_fen` is exactly what the scheduler charges if every listed deadline passes. Pages follow a "
            "cursor (`next`)."
        ),
        parameters=[
            MerchantAtRiskQuerySerializer,
            OpenApiParameter(
                "cursor",
                str,
                description="The cursor from the previous page's `next`; absent for the first page.",
            ),
            OpenApiParameter("limit", int, description=f"Rows per page, 1 to {MAX_LIMIT}."),
        ],
        responses={200: MerchantAtRiskSerializer},
    )
    def list(self, request: Request) -> Response:
        query = MerchantAtRiskQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        order = query.validated_data["order"]
        limit = whole_param(request, "limit", low=1, high=MAX_LIMIT, default=DEFAULT_LIMIT)
        after = _decode(request.query_params.get("cursor"), order)
        merchant = merchant_of(request.user)
        assert merchant is not None  # IsMerchantCaller
        found = money_at_risk(merchant, order=order, before=query.validated_data.get("before"))
        rows = [row for row in found.rows if after is None or row.sort_key(order) > after]
        page = rows[:limit]
        more = len(rows) > limit
        next_url = (
            replace_query_param(request.build_absolute_uri(), "cursor", _encode(page[-1], order)) if more else None
        )
        body = {
            "order": order,
            "total_fen": found.total_fen,
            "held_fen": found.held_fen,
            "count": len(found.rows),
            "next": next_url,
            "results": page,
        }
        return Response(MerchantAtRiskSerializer(body).data)


def _encode(row: AtRiskRow, order: str) -> str:
    raw = json.dumps([int(part) for part in row.sort_key(order)], separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(raw: str | None, order: str) -> tuple[int, ...] | None:
    """The sort key of the last row of the previous page; a cursor not made here (or for the other order) is a 400
    (`invalid_cursor`)."""
    if raw is None or raw == "":
        return None
    width = 5 if order == "amount" else 4
    try:
        if len(raw) > 200:
            raise ValueError(raw)
        key = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==").decode("ascii"))
        if not isinstance(key, list) or len(key) != width:
            raise ValueError(key)
        if any(isinstance(part, bool) or not isinstance(part, int) or abs(part) > 2**63 - 1 for part in key):
            raise ValueError(key)
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        raise ValidationError({"cursor": ["Not a cursor this list gave out."]}, code="invalid") from None
    return tuple(key)
