"""Merchant endpoints for refunds and after-sales: the work list, a request, agree, refuse, goods receipt, reship,
intervention."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.actors import merchant_of
from disputes.api.base import CaseViewSet
from disputes.api.merchant.refund_filters import MerchantRefundFilter
from disputes.api.merchant.refund_serializers import (
    MerchantRefundAgreeSerializer,
    MerchantRefundDetailSerializer,
    MerchantRefundInterventionCreateSerializer,
    MerchantRefundInterventionSerializer,
    MerchantRefundListSerializer,
    MerchantRefundRefuseSerializer,
    MerchantRefundReshipSerializer,
)
from disputes.api.permissions import IsParty, caller
from disputes.models import RefundRequest
from disputes.selectors.refunds import refund_from, refunds_for_merchant, with_refund_details
from disputes.services.refunds.escalation import refund_request_intervention
from disputes.services.refunds.merchant import (
    refund_agree,
    refund_confirm_goods,
    refund_refuse,
    refund_refuse_goods,
    refund_reship,
)

TAGS = ["merchant: refunds"]


class IsMerchantParty(BasePermission):
    """The caller acts for a merchant: a service provider's API user answers one-click help, not refunds."""

    message = "Refunds are answered by the merchant; a service-provider API user may not use this endpoint."
    code = "party_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        return merchant_of(request.user) is not None


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="List refund requests on my shop",
        responses={200: MerchantRefundListSerializer},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary="Read one refund request, with evidence, express claims and interventions",
        responses={200: MerchantRefundDetailSerializer},
    ),
)
class MerchantRefundViewSet(CaseViewSet):
    """Refund and after-sales requests (退款/售后) a merchant API user must answer; writes go through services."""

    # Merchant systems call with an API token; there is no browser session to protect.
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated, IsParty, IsMerchantParty]
    queryset = RefundRequest.objects.none()  # the real one is scoped per caller in get_queryset
    filterset_class = MerchantRefundFilter

    def get_queryset(self) -> QuerySet[RefundRequest]:
        if getattr(self, "swagger_fake_view", False):
            return RefundRequest.objects.none()
        queryset = refunds_for_merchant(self.request.user)
        # Only a detail read needs the evidence, claims and intervention cases; actions check scope, then re-read.
        return with_refund_details(queryset) if self.action == "retrieve" else queryset

    def get_serializer_class(self) -> type:
        return MerchantRefundListSerializer if self.action == "list" else MerchantRefundDetailSerializer

    def get_object(self) -> RefundRequest:
        # Checked before any service call too: another merchant's refund does not exist (404).
        return refund_from(self.get_queryset(), self.kwargs["pk"])

    def _detail(self, pk: int) -> Response:
        found = refund_from(with_refund_details(refunds_for_merchant(self.request.user)), pk)
        return Response(MerchantRefundDetailSerializer(found, context=self.get_serializer_context()).data)

    @extend_schema(
        tags=TAGS,
        summary="Agree to the request",
        description=(
            "A refund-only request is paid at once; a return (and exchange or repair) waits for the buyer to ship "
            "it to `return_address`, or to the shop's default return address when omitted."
        ),
        request=MerchantRefundAgreeSerializer,
        responses={200: MerchantRefundDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def agree(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = MerchantRefundAgreeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        refund_agree(
            actor=caller(request), refund_id=refund.pk, return_address=form.validated_data.get("return_address")
        )
        return self._detail(refund.pk)

    @extend_schema(
        tags=TAGS,
        summary="Refuse the request, with a reason and evidence",
        description=(
            "The buyer then has the policy's time (`refund.refused_buyer_silent`, 7 days by default) to modify the "
            "request or ask for intervention. One bad file "
            "refuses the whole call (e.g. `evidence_type_refused`); nothing is stored then."
        ),
        request={"multipart/form-data": MerchantRefundRefuseSerializer},
        responses={200: MerchantRefundDetailSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def refuse(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = MerchantRefundRefuseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        refund_refuse(
            actor=caller(request),
            refund_id=refund.pk,
            reason=form.validated_data["reason"],
            files=form.validated_data.get("files", []),
        )
        return self._detail(refund.pk)

    @extend_schema(
        tags=TAGS,
        summary="Confirm the returned goods arrived",
        description="A return and refund is paid (an instant-refund advance is recovered); an exchange or repair "
        "then waits for the merchant to send the goods back.",
        request=None,
        responses={200: MerchantRefundDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="confirm-goods", url_name="confirm-goods")
    def confirm_goods(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        refund_confirm_goods(actor=caller(request), refund_id=refund.pk)
        return self._detail(refund.pk)

    @extend_schema(
        tags=TAGS,
        summary="Refuse the returned goods, with a reason and evidence",
        description="On an express case this opens a platform intervention case at once (listed in the detail's "
        "`interventions`); otherwise the merchant may ask for one. One bad file refuses the whole call; nothing is "
        "stored then.",
        request={"multipart/form-data": MerchantRefundRefuseSerializer},
        responses={200: MerchantRefundDetailSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="refuse-goods",
        url_name="refuse-goods",
        parser_classes=[MultiPartParser],
    )
    def refuse_goods(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = MerchantRefundRefuseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        refund_refuse_goods(
            actor=caller(request),
            refund_id=refund.pk,
            reason=form.validated_data["reason"],
            files=form.validated_data.get("files", []),
        )
        return self._detail(refund.pk)

    @extend_schema(
        tags=TAGS,
        summary="Send the exchanged or repaired goods back",
        request=MerchantRefundReshipSerializer,
        responses={200: MerchantRefundDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def reship(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = MerchantRefundReshipSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        refund_reship(actor=caller(request), refund_id=refund.pk, waybill=form.validated_data["waybill"])
        return self._detail(refund.pk)

    @extend_schema(
        tags=TAGS,
        summary="Ask for platform intervention (客服介入) after refusing the goods",
        description="Opens a platform intervention case on the refund (ground `goods_refused`). A second request "
        "while a case on the item is open is refused with `intervention_exists`.",
        request=MerchantRefundInterventionCreateSerializer,
        responses={
            201: OpenApiResponse(MerchantRefundInterventionSerializer, description="The case opened."),
        },
    )
    @action(detail=True, methods=["post"])
    def intervention(self, request: Request, pk: str) -> Response:
        refund = self.get_object()
        form = MerchantRefundInterventionCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = refund_request_intervention(
            actor=caller(request), refund_id=refund.pk, reason=form.validated_data["reason"]
        )
        return Response(MerchantRefundInterventionSerializer(case).data, status=status.HTTP_201_CREATED)
