"""Merchant endpoints for platform intervention (客服介入): open a case after refusing returned goods, list and read
the shop's cases, send evidence, answer a mediation proposal, appeal a judgment, withdraw."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.api.base import JSON_OR_MULTIPART
from disputes.api.buyer.intervention_serializers import InterventionCaseDetailSerializer, InterventionCaseSerializer
from disputes.api.buyer.interventions import InterventionCaseActions
from disputes.api.merchant.intervention_serializers import (
    MerchantInterventionOpenSerializer,
    MerchantInterventionOpenUploadSerializer,
)
from disputes.api.permissions import IsParty, caller
from disputes.models import Ground
from disputes.selectors.interventions import interventions_for_merchant
from disputes.services.interventions.opening import intervention_open

TAGS = ["merchant: platform intervention"]


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(
        summary="List intervention cases on my shop",
        responses={200: InterventionCaseSerializer},
    ),
    retrieve=extend_schema(
        summary="Read one intervention case",
        description="Stage, tier, every deadline, evidence requests addressed to the merchant, the evidence of "
        "both parties (metadata only), the open mediation proposal, judgments and the appeal.",
        responses={200: InterventionCaseDetailSerializer},
    ),
)
class MerchantInterventionViewSet(InterventionCaseActions):
    """Platform intervention cases (客服介入) on the merchant's shop; every write goes through a service.

    A service provider's API user passes the permission check (as on help requests) but is party to no case:
    its list is empty and every case is 404 to it.
    """

    # Merchant systems call with an API token; there is no browser session to protect.
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated, IsParty]
    scope = staticmethod(interventions_for_merchant)
    create_parser_classes = JSON_OR_MULTIPART

    @extend_schema(
        summary="Ask for platform intervention after refusing the returned goods",
        description=(
            "The ground is always `goods_refused` (卖家拒绝收货): the merchant refused the goods the buyer sent "
            "back. Sent as JSON, or as multipart/form-data with evidence files. Refusals: `merchant_ground` (no "
            "refusal of returned goods on this refund), `refund_not_refused`, `intervention_exists`, "
            "`refund_not_found`, `order_item_not_found`, `evidence_type_refused`..."
        ),
        request={
            "application/json": MerchantInterventionOpenSerializer,
            "multipart/form-data": MerchantInterventionOpenUploadSerializer,
        },
        responses={201: InterventionCaseDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        form = MerchantInterventionOpenUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        case = intervention_open(
            actor=caller(request),
            ground=Ground.GOODS_REFUSED,
            claim=data["claim"],
            refund_id=data["refund"],
            files=data.get("files", []),
        )
        return self._case(case.pk, status.HTTP_201_CREATED)
