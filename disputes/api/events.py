"""The event feed, for catching up by polling: `GET /api/merchant/events/?after=<sequence>` and the buyer's twin
return the caller's published events in sequence order, a page at a time. A system that remembers the last
sequence it processed and asks for what comes after it loses nothing, whether or not its webhooks were up."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import BasePagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from disputes.actors import buyer_of, merchant_of
from disputes.api.common import BIGINT_MAX
from disputes.api.pagination import MAX_LIMIT, whole_param
from disputes.api.permissions import IsBuyer
from disputes.events.body import event_body
from disputes.events.catalogue import EVENT_TYPES
from disputes.models import Event


class IsMerchant(BasePermission):
    """The caller is an API user acting for a merchant (a provider's users do not read the merchant's feed)."""

    message = "Only a merchant's API user may read the merchant's events."
    code = "merchant_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        return merchant_of(request.user) is not None


class EventSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uid", read_only=True, help_text="The event's id (webhook-id in deliveries).")
    sequence = serializers.IntegerField(read_only=True, help_text="The event's place in the feed: ask for after=it.")
    type = serializers.ChoiceField(choices=sorted(EVENT_TYPES), read_only=True)
    case = serializers.SerializerMethodField()
    data = serializers.JSONField(  # type: ignore[assignment]  # the event's field "data", not Serializer.data
        source="payload", read_only=True, help_text="The payload, as of `version`."
    )

    class Meta:
        model = Event
        fields = ["id", "sequence", "type", "occurred_at", "case", "version", "data"]

    def get_case(self, event: Event) -> dict[str, Any] | None:
        return event_body(event)["case"]

    def to_representation(self, instance: Event) -> dict[str, Any]:
        return event_body(instance)  # the webhook deliveries' shape too; the fields above describe it


class AfterSequencePagination(BasePagination):
    """Pages of a feed in sequence order: ?after= (the last sequence seen; 0 or absent for the start) and ?limit=.
    `next` is the URL of the page after this one, present when this page was full."""

    default_limit = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.after = whole_param(request, "after", low=0, high=BIGINT_MAX, default=0)
        self.limit = whole_param(request, "limit", low=1, high=MAX_LIMIT, default=self.default_limit)
        self.page = list(queryset.filter(sequence__gt=self.after).order_by("sequence")[: self.limit])
        return self.page

    def get_paginated_response(self, data: Any) -> Response:
        last = self.page[-1].sequence if self.page else self.after
        full = len(self.page) == self.limit
        url = replace_query_param(self.request.build_absolute_uri(), "after", last) if full else None
        return Response({"next": url, "last_sequence": last, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "last_sequence", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True},
                "last_sequence": {"type": "integer", "description": "Ask for after= this next time."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "The last sequence you have processed; the page starts after it.",
                "schema": {"type": "integer", "minimum": 0, "maximum": BIGINT_MAX},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]


class _EventFeed(mixins.ListModelMixin, viewsets.GenericViewSet):
    authentication_classes = [TokenAuthentication]
    serializer_class = EventSerializer
    pagination_class = AfterSequencePagination
    filter_backends: list[Any] = []
    queryset = Event.objects.none()


@extend_schema_view(
    list=extend_schema(
        tags=["merchant: events"],
        summary="The merchant's events, after a sequence",
        description="Every published event about the merchant's cases and account, in sequence order.",
    )
)
class MerchantEventViewSet(_EventFeed):
    permission_classes = [IsAuthenticated, IsMerchant]

    def get_queryset(self) -> QuerySet[Event]:
        merchant = merchant_of(self.request.user)
        if getattr(self, "swagger_fake_view", False) or merchant is None:
            return Event.objects.none()
        return Event.objects.filter(merchant=merchant, sequence__isnull=False)


@extend_schema_view(
    list=extend_schema(
        tags=["buyer: events"],
        summary="The buyer's events, after a sequence",
        description="Every published event about the buyer's cases and points, in sequence order.",
    )
)
class BuyerEventViewSet(_EventFeed):
    permission_classes = [IsAuthenticated, IsBuyer]

    def get_queryset(self) -> QuerySet[Event]:
        buyer = buyer_of(self.request.user)
        if getattr(self, "swagger_fake_view", False) or buyer is None:
            return Event.objects.none()
        return Event.objects.filter(buyer=buyer, sequence__isnull=False)
