"""Buyer endpoints for one-click help: raise, list and read their own requests, cancel, confirm, object, complain."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.api.base import CaseViewSet
from disputes.api.buyer.serializers import (
    BuyerHelpComplaintSerializer,
    BuyerHelpRequestCreateSerializer,
    BuyerHelpRequestDetailSerializer,
    BuyerHelpRequestListSerializer,
    BuyerHelpTextSerializer,
)
from disputes.api.common import help_request_from, request_id
from disputes.api.permissions import IsBuyer, caller
from disputes.models import HelpRequest
from disputes.selectors.help_requests import help_requests_for_buyer
from disputes.services.help_requests import (
    help_request_cancel,
    help_request_confirm,
    help_request_object,
    help_request_raise,
)
from disputes.services.violations import help_complaint_file

TAGS = ["buyer: one-click help"]


@extend_schema_view(
    list=extend_schema(
        tags=TAGS,
        summary="List my help requests",
        responses={200: BuyerHelpRequestListSerializer},
    ),
    retrieve=extend_schema(
        tags=TAGS,
        summary="Read one of my help requests",
        responses={200: BuyerHelpRequestDetailSerializer},
    ),
)
class BuyerHelpRequestViewSet(CaseViewSet):
    """A buyer's one-click help requests (一键求助); every write goes through a service."""

    permission_classes = [IsAuthenticated, IsBuyer]
    queryset = HelpRequest.objects.none()  # the real one is scoped per caller in get_queryset

    def get_queryset(self) -> QuerySet[HelpRequest]:
        if getattr(self, "swagger_fake_view", False):
            return HelpRequest.objects.none()
        return help_requests_for_buyer(self.request.user)

    def get_serializer_class(self) -> type:
        return BuyerHelpRequestListSerializer if self.action == "list" else BuyerHelpRequestDetailSerializer

    def get_object(self) -> HelpRequest:
        return help_request_from(self.get_queryset(), self.kwargs["pk"])

    def _detail(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        found = help_request_from(self.get_queryset(), pk)
        return Response(
            BuyerHelpRequestDetailSerializer(found, context=self.get_serializer_context()).data, status_code
        )

    @extend_schema(
        tags=TAGS,
        summary="Raise a help request",
        description=(
            "Raises a one-click help request on one of the caller's order items. The buyer may cancel "
            "within the cancel window (policy `help.cancel_window`, 10 s by default); then it is dispatched to the "
            "merchant or its provider."
        ),
        request=BuyerHelpRequestCreateSerializer,
        responses={201: BuyerHelpRequestDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        form = BuyerHelpRequestCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        raised = help_request_raise(
            actor=caller(request),
            order_item_id=data["order_item"],
            anomaly_kind=data["anomaly_kind"],
            description=data["description"],
            service_kind=data.get("service_kind"),
        )
        return self._detail(raised.pk, status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        summary="Cancel within the cancel window",
        request=None,
        responses={200: BuyerHelpRequestDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        help_request_cancel(actor=caller(request), request_id=request_id(pk))
        return self._detail(request_id(pk))

    @extend_schema(
        tags=TAGS,
        summary="Confirm the problem is resolved",
        request=None,
        responses={200: BuyerHelpRequestDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        help_request_confirm(actor=caller(request), request_id=request_id(pk))
        return self._detail(request_id(pk))

    @extend_schema(
        tags=TAGS,
        summary="Object to the resolution",
        description="Sends the request to staff, who rule whether the problem was resolved.",
        request=BuyerHelpTextSerializer,
        responses={200: BuyerHelpRequestDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="object", url_name="object")
    def object_to_resolution(self, request: Request, pk: str) -> Response:
        form = BuyerHelpTextSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        help_request_object(actor=caller(request), request_id=request_id(pk), text=form.validated_data["text"])
        return self._detail(request_id(pk))

    @extend_schema(
        tags=TAGS,
        summary="Complain of a breach of promise (违背承诺)",
        request=BuyerHelpTextSerializer,
        responses={
            201: OpenApiResponse(BuyerHelpComplaintSerializer, description="Filed; staff review it."),
        },
    )
    @action(detail=True, methods=["post"])
    def complaint(self, request: Request, pk: str) -> Response:
        form = BuyerHelpTextSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        violation = help_complaint_file(
            actor=caller(request), request_id=request_id(pk), text=form.validated_data["text"]
        )
        return Response(BuyerHelpComplaintSerializer(violation).data, status=status.HTTP_201_CREATED)
