"""Buyer-facing input and output shapes for one-click help; input is type-checked here, rules live in services."""

from django.utils import timezone
from rest_framework import serializers

from disputes.api.common import BIGINT_MAX
from disputes.api.explanations import ExplainedMixin
from disputes.choices import ServiceKind
from disputes.models import AnomalyKind, HelpRequest, Violation
from disputes.services.help_requests import MAX_TEXT


class BuyerHelpRequestCreateSerializer(serializers.Serializer):
    """What a buyer submits to raise a request; eligibility is the service's decision."""

    order_item = serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, help_text="Id of one of the buyer's order items."
    )
    anomaly_kind = serializers.ChoiceField(choices=AnomalyKind.choices)
    description = serializers.CharField(max_length=MAX_TEXT)
    service_kind = serializers.ChoiceField(
        choices=ServiceKind.choices,
        required=False,
        help_text="Which service the request concerns; needed only when the item carries several.",
    )


class BuyerHelpTextSerializer(serializers.Serializer):
    """A buyer's free text: an objection to a resolution, or a breach-of-promise complaint."""

    text = serializers.CharField(max_length=MAX_TEXT)


class BuyerHelpRequestListSerializer(serializers.ModelSerializer):
    """One row of the buyer's list: where the request stands and what is due when."""

    number = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    service_kind_label = serializers.CharField(source="get_service_kind_display", read_only=True)
    anomaly_kind_label = serializers.CharField(source="get_anomaly_kind_display", read_only=True)
    merchant_shop_name = serializers.CharField(source="merchant.shop_name", read_only=True)
    order_no = serializers.CharField(source="order_item.order.order_no", read_only=True)
    product_title = serializers.CharField(source="order_item.product.title", read_only=True)
    cancellable = serializers.SerializerMethodField()

    class Meta:
        model = HelpRequest
        fields = [
            "id",
            "number",
            "state",
            "state_label",
            "service_kind",
            "service_kind_label",
            "anomaly_kind",
            "anomaly_kind_label",
            "merchant_shop_name",
            "order_item",
            "order_no",
            "product_title",
            "raised_at",
            "cancellable",
            "dispatch_at",
            "solution_due_at",
            "resolution_due_at",
            "confirm_due_at",
            "solution_breached_at",
            "resolution_breached_at",
        ]
        read_only_fields = fields

    def get_cancellable(self, obj: HelpRequest) -> bool:
        """Whether the buyer may still cancel (the server clock decides; the field is a hint)."""
        return obj.cancel_window_open(timezone.now())


class BuyerHelpRequestDetailSerializer(ExplainedMixin, BuyerHelpRequestListSerializer):
    """Everything the buyer may know about one request, including the solution and resolution."""

    provider_name = serializers.CharField(source="provider.name", read_only=True, allow_null=True, default=None)

    class Meta(BuyerHelpRequestListSerializer.Meta):
        fields = [
            *BuyerHelpRequestListSerializer.Meta.fields,
            "provider_name",
            "description",
            "dispatched_at",
            "cancelled_at",
            "solution_text",
            "appointment_at",
            "solution_given_at",
            "resolved_at",
            "resolution_note",
            "confirmed_at",
            "objection_text",
            "objected_at",
            "closed_at",
            "explanations",
        ]
        read_only_fields = fields


class BuyerHelpComplaintSerializer(serializers.ModelSerializer):
    """A breach-of-promise complaint as filed; staff review it."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Violation
        fields = ["id", "help_request", "kind", "status", "status_label", "occurred_at", "note"]
        read_only_fields = fields
