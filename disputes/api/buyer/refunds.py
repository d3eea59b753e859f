"""Buyer endpoints for refunds and after-sales: apply, list and read their own requests, modify, cancel, ship the
return, claim express rights protection, ask for intervention."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.api.base import JSON_OR_MULTIPART, CaseViewSet
from disputes.api.buyer.refund_serializers import (
    BuyerRefundApplySerializer,
    BuyerRefundApplyUploadSerializer,
    BuyerRefundDetailSerializer,
    BuyerRefundExpressClaimCreateSerializer,
    BuyerRefundExpressClaimSerializer,
    BuyerRefundInterventionCreateSerializer,
    BuyerRefundInterventionSerializer,
    BuyerRefundListSerializer,
    BuyerRefundModifySerializer,
    BuyerRefundShipReturnSerializer,
)
from disputes.api.permissions import IsBuyer, caller
from disputes.models import RefundRequest
from disputes.selectors.refunds import refund_from, refunds_for_buyer, with_refund_details
from disputes.services.refunds.buyer import refund_apply, refund_cancel, refund_modify, refund_ship_return
from disputes.services.refunds.escalation import refund_request_intervention
from disputes.services.refunds.express import refund_express_claim

TAGS = ["buyer: refunds"]


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="List my refund and after-sales requests",
        responses={200: BuyerRefundListSerializer},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary="Read one of my refund requests",
        description="Every timestamp, the next automatic deadline (`due_at`, `due_action`), the return address, "
        "what is still refundable, evidence metadata, express claims and platform intervention cases.",
        responses={200: BuyerRefundDetailSerializer},
    ),
)
class BuyerRefundViewSet(CaseViewSet):
    """A buyer's refund and after-sales requests (退款/售后); every write goes through a service."""

    permission_classes = [IsAuthenticated, IsBuyer]
    queryset = RefundRequest.objects.none()
    create_parser_classes = JSON_OR_MULTIPART  # the real one is scoped per caller in get_queryset

    def get_queryset(self) -> QuerySet[RefundRequest]:
        if getattr(self, "swagger_fake_view", False):
            return RefundRequest.objects.none()
        queryset = refunds_for_buyer(self.request.user)
        # Only a detail read needs the evidence, claims and intervention cases; actions check scope, then re-read.
        return with_refund_details(queryset) if self.action == "retrieve" else queryset

    def get_serializer_class(self) -> type:
        return BuyerRefundListSerializer if self.action == "list" else BuyerRefundDetailSerializer

    def get_object(self) -> RefundRequest:
        # Checked before any service call too: outside the caller's scope a refund does not exist (404).
        return refund_from(self.get_queryset(), self.kwargs["pk"])

    def _detail(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        found = refund_from(with_refund_details(refunds_for_buyer(self.request.user)), pk)
        return Response(BuyerRefundDetailSerializer(found, context=self.get_serializer_context()).data, status_code)

    @extend_schema(
        tags=TAGS,
        summary="Apply for a refund or after-sales service",
        description=(
            "Applies on one of the caller's order items, as JSON or as multipart/form-data with photos. "
            "`amount_fen` is required for `refund_only` and `return_refund` and absent (or null) for `exchange` and "
            "`repair`; it must be a whole number more than 0 (else `invalid_amount`, 400) and at most what is still "
            "refundable (else `amount_exceeds_refundable`, 422); an exchange or repair with an amount is refused "
            "with `amount_not_allowed` (400). Other refusals: "
            "`order_item_not_found`, `refund_exists`, `reopen_refused`, `after_sales_window_passed`, "
            "`seven_day_window_passed`, `damage_claim_window_passed`, `evidence_type_refused`..."
        ),
        request={
            "application/json": BuyerRefundApplySerializer,
            "multipart/form-data": BuyerRefundApplyUploadSerializer,
        },
        responses={201: BuyerRefundDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        form = BuyerRefundApplyUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        refund = refund_apply(
            actor=caller(request),
            order_item_id=data["order_item"],
            refund_type=data["refund_type"],
            reason=data["reason"],
            amount_fen=data.get("amount_fen"),
            description=data["description"],
            damage_guarantee=data["damage_guarantee"],
            files=data.get("files", []),
        )
        return self._detail(refund.pk, status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        summary="Modify a refused request",
        description="Sends it back to the merchant with a fresh deadline. Omitted fields stay as they are.",
        request=BuyerRefundModifySerializer,
        responses={200: BuyerRefundDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def modify(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = BuyerRefundModifySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        refund_modify(
            actor=caller(request),
            refund_id=refund.pk,
            amount_fen=data.get("amount_fen"),
            reason=data.get("reason"),
            description=data.get("description"),
        )
        return self._detail(refund.pk)

    @extend_schema(
        tags=TAGS,
        summary="Cancel the request",
        description="After one cancellation the same order item cannot be reopened (code `reopen_refused`).",
        request=None,
        responses={200: BuyerRefundDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        refund_cancel(actor=caller(request), refund_id=refund.pk)
        return self._detail(refund.pk)

    @extend_schema(
        tags=TAGS,
        summary="Enter the return waybill",
        description="An instant refund (极速退款) is advanced now when the buyer's quota allows.",
        request=BuyerRefundShipReturnSerializer,
        responses={200: BuyerRefundDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="ship-return", url_name="ship-return")
    def ship_return(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = BuyerRefundShipReturnSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        refund_ship_return(
            actor=caller(request),
            refund_id=refund.pk,
            carrier=form.validated_data["carrier"],
            waybill=form.validated_data["waybill"],
        )
        return self._detail(refund.pk)

    @extend_schema(
        tags=TAGS,
        summary="Claim express rights protection (极速维权), with photos",
        description=(
            "For buyers rated excellent (优秀) or outstanding (极好), else `express_rating_required`; after the "
            "merchant refused a quality or damage request within the after-sales window. One bad file refuses the "
            "whole claim (e.g. `evidence_type_refused`); nothing is stored then."
        ),
        request={"multipart/form-data": BuyerRefundExpressClaimCreateSerializer},
        responses={
            201: OpenApiResponse(BuyerRefundExpressClaimSerializer, description="Submitted; staff verify it."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="express-claim",
        url_name="express-claim",
        parser_classes=[MultiPartParser],
    )
    def express_claim(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = BuyerRefundExpressClaimCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        claim = refund_express_claim(
            actor=caller(request),
            refund_id=refund.pk,
            description=form.validated_data["description"],
            files=form.validated_data["files"],
        )
        return Response(BuyerRefundExpressClaimSerializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        summary="Ask for platform intervention (客服介入) after a refusal",
        description="Opens a platform intervention case on the refund, on the ground its reason maps to, and "
        "stops the refusal's automatic close while the case is open. A second request while a case on the item "
        "is open is refused with `intervention_exists`.",
        request=BuyerRefundInterventionCreateSerializer,
        responses={
            201: OpenApiResponse(BuyerRefundInterventionSerializer, description="The case opened."),
        },
    )
    @action(detail=True, methods=["post"])
    def intervention(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = BuyerRefundInterventionCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = refund_request_intervention(
            actor=caller(request), refund_id=refund.pk, reason=form.validated_data["reason"]
        )
        return Response(BuyerRefundInterventionSerializer(case).data, status=status.HTTP_201_CREATED)
