"""Refund output shapes both sides of the API share. Each side subclasses them under its own name (so the
OpenAPI components and their descriptions stay per side) and adds the columns only it sees."""

from rest_framework import serializers

from disputes.models import ExpressClaim, Intervention, RefundEvidence, RefundRequest


class RefundEvidenceBase(serializers.ModelSerializer):
    class Meta:
        model = RefundEvidence
        fields = ["id", "purpose", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class RefundExpressClaimBase(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ExpressClaim
        fields = ["id", "description", "status", "status_label", "submitted_at", "decided_at", "decision_reason"]
        read_only_fields = fields


class RefundInterventionBase(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Intervention
        fields = ["id", "number", "state", "state_label", "ground", "applied_at", "priority"]
        read_only_fields = fields


# A list row is LIST_HEAD, the other party's name, LIST_ITEM, the side's own columns, LIST_TAIL.
LIST_HEAD = [
    "id",
    "number",
    "state",
    "state_label",
    "advance_state",
    "advance_state_label",
    "refund_type",
    "refund_type_label",
    "reason",
    "reason_label",
    "amount_fen",
    "refundable_fen",
    "amount_paid_fen",
]
LIST_ITEM = ["order_item", "order_no", "product_title", "express"]
LIST_TAIL = ["created_at", "due_at", "due_action", "due_action_label"]
# The detail adds the side's opening columns, then DETAIL_COMMON, then the side's own, then DETAIL_NESTED.
DETAIL_COMMON = [
    "shipping_cover",
    "return_address",
    "return_carrier",
    "return_waybill",
    "reship_waybill",
    "agreed_on_behalf",
    "refuse_reason",
    "refused_goods",
    "close_reason",
    "cancelled_by_buyer",
    "modified_at",
    "agreed_at",
    "return_shipped_at",
    "return_signed_at",
    "goods_received_at",
    "refused_at",
    "closed_at",
    "succeeded_at",
    "intervention_requested_at",
]
DETAIL_NESTED = ["evidence", "express_claims", "interventions"]


class RefundListBase(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    advance_state_label = serializers.CharField(source="get_advance_state_display", read_only=True)
    refund_type_label = serializers.CharField(source="get_refund_type_display", read_only=True)
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    due_action_label = serializers.CharField(source="get_due_action_display", read_only=True)
    refundable_fen = serializers.IntegerField(
        read_only=True,
        help_text="Still refundable on this order item: amount paid minus successful refunds, in fen.",
    )
    order_no = serializers.CharField(source="order_item.order.order_no", read_only=True)
    product_title = serializers.CharField(source="order_item.product.title", read_only=True)
    amount_paid_fen = serializers.IntegerField(source="order_item.amount_paid_fen", read_only=True)

    class Meta:
        model = RefundRequest
        fields: list[str] = []
