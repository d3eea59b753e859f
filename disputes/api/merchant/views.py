"""Merchant and provider endpoints for one-click help: the work list, a request, solution, resolution, force majeure."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.api.base import CaseViewSet
from disputes.api.common import HelpForceMajeureClaimSerializer, help_request_from, request_id
from disputes.api.merchant.filters import MerchantHelpRequestFilter
from disputes.api.merchant.serializers import (
    MerchantHelpForceMajeureCreateSerializer,
    MerchantHelpRequestDetailSerializer,
    MerchantHelpRequestListSerializer,
    MerchantHelpResolveSerializer,
    MerchantHelpSolutionSerializer,
)
from disputes.api.permissions import IsParty, caller
from disputes.models import HelpRequest
from disputes.selectors.help_requests import help_requests_for_party
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.help_requests import help_request_give_solution, help_request_mark_resolved

TAGS = ["merchant: one-click help"]


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="List help requests to answer",
        description="The merchant sees every dispatched request on its shop; a provider those dispatched to it.",
        responses={200: MerchantHelpRequestListSerializer},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary="Read one help request, with its force-majeure claims",
        responses={200: MerchantHelpRequestDetailSerializer},
    ),
)
class MerchantHelpRequestViewSet(CaseViewSet):
    """Help requests (一键求助) a merchant or service-provider API user must answer; writes go through services."""

    # Merchant and provider systems call with an API token; there is no browser session to protect.
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated, IsParty]
    queryset = HelpRequest.objects.none()  # the real one is scoped per caller in get_queryset
    filterset_class = MerchantHelpRequestFilter

    def get_queryset(self) -> QuerySet[HelpRequest]:
        if getattr(self, "swagger_fake_view", False):
            return HelpRequest.objects.none()
        queryset = help_requests_for_party(self.request.user)
        if self.action != "list":
            queryset = queryset.prefetch_related("force_majeure_claims__evidence")
        return queryset

    def get_serializer_class(self) -> type:
        return MerchantHelpRequestListSerializer if self.action == "list" else MerchantHelpRequestDetailSerializer

    def get_object(self) -> HelpRequest:
        return help_request_from(self.get_queryset(), self.kwargs["pk"])

    def _detail(self, pk: int) -> Response:
        found = help_request_from(self.get_queryset(), pk)
        return Response(MerchantHelpRequestDetailSerializer(found, context=self.get_serializer_context()).data)

    @extend_schema(
        tags=TAGS,
        summary="Give a solution (stops the 1-hour clock)",
        request=MerchantHelpSolutionSerializer,
        responses={200: MerchantHelpRequestDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def solution(self, request: Request, pk: str) -> Response:
        form = MerchantHelpSolutionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        help_request_give_solution(
            actor=caller(request),
            request_id=request_id(pk),
            text=form.validated_data["text"],
            appointment_at=form.validated_data.get("appointment_at"),
        )
        return self._detail(request_id(pk))

    @extend_schema(
        tags=TAGS,
        summary="Mark the problem resolved (stops the 48-hour clock)",
        request=MerchantHelpResolveSerializer,
        responses={200: MerchantHelpRequestDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        form = MerchantHelpResolveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        help_request_mark_resolved(actor=caller(request), request_id=request_id(pk), note=form.validated_data["note"])
        return self._detail(request_id(pk))

    @extend_schema(
        tags=TAGS,
        summary="Claim force majeure (不可抗力) against a deadline, with evidence",
        description=(
            "Must be filed by the deadline it concerns, its last second included (`deadline_passed` after). One bad "
            "file refuses the whole claim (e.g. code evidence_type_refused, evidence_polyglot, "
            "evidence_pdf_active_content); nothing is stored then."
        ),
        request={"multipart/form-data": MerchantHelpForceMajeureCreateSerializer},
        responses={201: HelpForceMajeureClaimSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="force-majeure",
        url_name="force-majeure",
        parser_classes=[MultiPartParser],
    )
    def force_majeure(self, request: Request, pk: str) -> Response:
        form = MerchantHelpForceMajeureCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        claim = help_force_majeure_claim(
            actor=caller(request),
            request_id=request_id(pk),
            deadline=data["deadline"],
            category=data["category"],
            note=data["note"],
            files=data.get("files", []),
        )
        return Response(HelpForceMajeureClaimSerializer(claim).data, status=status.HTTP_201_CREATED)
