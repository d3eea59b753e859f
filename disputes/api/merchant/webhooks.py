"""Merchant endpoints for webhook endpoints: list, register (the secret shown once), read, change, delete, rotate
the secret (the new one shown once), and the recent deliveries with their attempts."""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.actors import merchant_of
from disputes.api.base import CaseViewSet
from disputes.api.merchant.refunds import IsMerchantParty
from disputes.api.merchant.webhook_serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSecretSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)
from disputes.api.permissions import IsParty, caller
from disputes.errors import NotFound
from disputes.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from disputes.webhooks.endpoints import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

TAGS = ["merchant: webhooks"]
RECENT_DELIVERIES = 50


def endpoint_id(pk: str | int) -> int:
    """The endpoint id in a URL; anything but digits names no endpoint."""
    if isinstance(pk, int) or (pk.isascii() and pk.isdigit() and len(pk) < 19):
        return int(pk)
    raise NotFound("No such webhook endpoint.", code="webhook_endpoint_not_found")


@extend_schema_view(
    list=extend_schema(tags=TAGS, summary="List my webhook endpoints", responses={200: WebhookEndpointSerializer}),
    retrieve=extend_schema(
        tags=TAGS, summary="Read one webhook endpoint (never its secret)", responses={200: WebhookEndpointSerializer}
    ),
)
class MerchantWebhookEndpointViewSet(CaseViewSet):
    """A merchant's webhook endpoints (README "Webhooks"); writes go through disputes.webhooks.endpoints."""

    # Merchant systems call with an API token; there is no browser session to protect.
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated, IsParty, IsMerchantParty]
    queryset = WebhookEndpoint.objects.none()  # the real one is scoped per caller in get_queryset
    serializer_class = WebhookEndpointSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        merchant = None if getattr(self, "swagger_fake_view", False) else merchant_of(self.request.user)
        if merchant is None:
            return WebhookEndpoint.objects.none()
        return WebhookEndpoint.objects.filter(merchant=merchant).order_by("id")

    def get_object(self) -> WebhookEndpoint:
        found = self.get_queryset().filter(pk=endpoint_id(self.kwargs["pk"])).first()
        if found is None:
            raise NotFound("No such webhook endpoint.", code="webhook_endpoint_not_found")
        return found

    @extend_schema(
        tags=TAGS,
        summary="Register a webhook endpoint (answers its secret, this once)",
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointSecretSerializer},
    )
    def create(self, request: Request) -> Response:
        form = WebhookEndpointCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(
            actor=caller(request),
            url=form.validated_data["url"],
            event_types=form.validated_data.get("event_types", []),
        )
        return Response(WebhookEndpointSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        summary="Change a webhook endpoint's URL, event types or whether it is enabled",
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        form = WebhookEndpointUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(actor=caller(request), endpoint_id=endpoint_id(pk), **form.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        tags=TAGS, summary="Delete a webhook endpoint", responses={204: OpenApiResponse(description="Deleted.")}
    )
    def destroy(self, request: Request, pk: str) -> Response:
        webhook_endpoint_delete(actor=caller(request), endpoint_id=endpoint_id(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=TAGS,
        summary="Replace the signing secret (answers the new secret, this once)",
        request=None,
        responses={200: WebhookEndpointSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        endpoint = webhook_endpoint_rotate_secret(actor=caller(request), endpoint_id=endpoint_id(pk))
        return Response(WebhookEndpointSecretSerializer(endpoint).data)

    @extend_schema(
        tags=TAGS,
        summary=f"The endpoint's {RECENT_DELIVERIES} most recent deliveries, with their attempts",
        request=None,
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def deliveries(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        recent = (
            WebhookDelivery.objects.filter(endpoint=endpoint)
            .select_related("event")
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("id")))
            .order_by("-id")[:RECENT_DELIVERIES]
        )
        return Response(WebhookDeliverySerializer(recent, many=True).data)
