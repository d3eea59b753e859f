"""Buyer endpoints for money and deadlines: the points balance and its entries (each with the case it came from),
and the buyer's order items with what may be raised on each now and until when. Read-only: every raise goes
through /api/buyer/help-requests/ and /api/buyer/refunds/, whose rules the actions listed here are judged by."""

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.api.base import ReadViewSet
from disputes.api.buyer.money_serializers import (
    BuyerOrderItemSerializer,
    BuyerPointsEntryFilter,
    BuyerPointsEntrySerializer,
    BuyerPointsSummarySerializer,
)
from disputes.api.common import caller_row
from disputes.api.pagination import KeysetPagination
from disputes.api.permissions import IsBuyer
from disputes.models import BuyerPointsEntry, OrderItem
from disputes.selectors.order_items import order_item_from, order_items_for_buyer, with_actions
from disputes.selectors.points import points_entries_for_buyer, points_summary

POINTS = ["buyer: points"]
ITEMS = ["buyer: order items"]


class BuyerPointsViewSet(ReadViewSet):
    """The buyer's points (天猫积分) at a glance."""

    permission_classes = [IsAuthenticated, IsBuyer]
    serializer_class = BuyerPointsSummarySerializer
    pagination_class = None
    filter_backends: list[type] = []
    queryset = BuyerPointsEntry.objects.none()

    @extend_schema(
        tags=POINTS,
        operation_id="buyer_points_summary",
        summary="My points balance",
        description="The balance is the sum of the buyer's ledger entries (100 points = 1 yuan), read in one query "
        "together with the totals credited and taken; `entries` lists them.",
        responses={200: BuyerPointsSummarySerializer},
    )
    def list(self, request: Request) -> Response:
        return Response(self.get_serializer(points_summary(request.user)).data)


@extend_schema_view(
    list=extend_schema(
        tags=POINTS,
        summary="My points entries, newest first",
        description="Every entry of the buyer's points ledger, newest written first, a page at a time: follow `next` "
        "(a cursor: rows written meanwhile never make a walk repeat or skip one). Each entry says what it is "
        "(`kind`, `kind_display`), why (`memo`), when (`occurred_at`), the case it came from (`case`), and the entry "
        "it reverses or that reversed it. Their amounts add up to the balance at /api/buyer/points/.",
    ),
    retrieve=extend_schema(tags=POINTS, summary="One of my points entries"),
)
class BuyerPointsEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ReadViewSet):
    permission_classes = [IsAuthenticated, IsBuyer]
    serializer_class = BuyerPointsEntrySerializer
    pagination_class = KeysetPagination
    cursor_ordering = ("-created_at", "-id")
    filterset_class = BuyerPointsEntryFilter
    queryset = BuyerPointsEntry.objects.none()  # the real one is scoped per caller in get_queryset

    def get_queryset(self) -> QuerySet[BuyerPointsEntry]:
        if getattr(self, "swagger_fake_view", False):
            return BuyerPointsEntry.objects.none()
        return points_entries_for_buyer(self.request.user)

    def get_object(self) -> BuyerPointsEntry:
        found: BuyerPointsEntry = caller_row(
            self.get_queryset(), self.kwargs["pk"], message="No such points entry.", code="points_entry_not_found"
        )
        return found


@extend_schema_view(
    list=extend_schema(
        tags=ITEMS,
        summary="My order items, with what I may raise on each",
        description="The buyer's order items, newest first, a page at a time (follow `next`). Each carries its "
        "order, product, the services it carries, what is still refundable and `actions`: what may be raised on it "
        "now, each `allowed` or refused with the `reason` code the raise operation would answer, and `until`, the "
        "last moment of the window that limits it. The actions are judged by the rules the raise operations apply.",
    ),
    retrieve=extend_schema(tags=ITEMS, summary="One of my order items, with what I may raise on it"),
)
class BuyerOrderItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ReadViewSet):
    permission_classes = [IsAuthenticated, IsBuyer]
    serializer_class = BuyerOrderItemSerializer
    pagination_class = KeysetPagination
    cursor_ordering = ("-id",)
    filter_backends: list[type] = []
    queryset = OrderItem.objects.none()  # the real one is scoped per caller in get_queryset

    def get_queryset(self) -> QuerySet[OrderItem]:
        if getattr(self, "swagger_fake_view", False):
            return OrderItem.objects.none()
        return order_items_for_buyer(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        items = with_actions(page, now=timezone.now())
        return self.get_paginated_response(self.get_serializer(items, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        [item] = with_actions([order_item_from(self.get_queryset(), pk)], now=timezone.now())
        return Response(self.get_serializer(item).data)
