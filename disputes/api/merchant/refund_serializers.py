"""Merchant input and output shapes for refunds and after-sales; the rules live in the services."""

from django.conf import settings
from rest_framework import serializers

from disputes.models import ExpressClaim, Intervention, RefundEvidence, RefundRequest
from disputes.services.refunds import MAX_FILES, MAX_TEXT

FILES_HELP = (
    f"Evidence: images, videos or PDF, checked by content, at most {MAX_FILES} files of "
    f"{settings.EVIDENCE_MAX_BYTES} bytes each. Repeat the `files` part once per file."
)

# --- input -------------------------------------------------------------------------------------


class MerchantRefundAgreeSerializer(serializers.Serializer):
    """Agreement; a return gets this address, or the shop's default return address when it is omitted."""

    return_address = serializers.CharField(max_length=300, required=False, allow_blank=True)


class MerchantRefundRefuseSerializer(serializers.Serializer):
    """A refusal of the request or of the returned goods: the reason and evidence (multipart/form-data)."""

    reason = serializers.CharField(max_length=MAX_TEXT)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, max_length=MAX_FILES, help_text=FILES_HELP
    )


class MerchantRefundReshipSerializer(serializers.Serializer):
    """The waybill of the exchanged or repaired goods sent back to the buyer."""

    waybill = serializers.CharField(max_length=40)


class MerchantRefundInterventionCreateSerializer(serializers.Serializer):
    """Why the merchant asks the platform to intervene after refusing the returned goods."""

    reason = serializers.CharField(max_length=MAX_TEXT)


# --- output ------------------------------------------------------------------------------------


class MerchantRefundEvidenceSerializer(serializers.ModelSerializer):
    """Metadata of one file attached to the refund by either party; the file stays in private storage."""

    class Meta:
        model = RefundEvidence
        fields = ["id", "purpose", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class MerchantRefundExpressClaimSerializer(serializers.ModelSerializer):
    """The buyer's express rights protection claim (极速维权) and the staff's decision."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ExpressClaim
        fields = ["id", "description", "status", "status_label", "submitted_at", "decided_at", "decision_reason"]
        read_only_fields = fields


class MerchantRefundInterventionSerializer(serializers.ModelSerializer):
    """A platform intervention case (客服介入) on the refund and where it stands; the whole case is read at
    merchant/interventions/{id}/."""

    number = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Intervention
        fields = ["id", "number", "state", "state_label", "ground", "applied_at", "priority"]
        read_only_fields = fields


class MerchantRefundListSerializer(serializers.ModelSerializer):
    """One row of the merchant's work list: what is asked, what happens automatically and when."""

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
    buyer_nickname = serializers.CharField(source="buyer.nickname", read_only=True)
    order_no = serializers.CharField(source="order_item.order.order_no", read_only=True)
    product_title = serializers.CharField(source="order_item.product.title", read_only=True)
    amount_paid_fen = serializers.IntegerField(source="order_item.amount_paid_fen", read_only=True)

    class Meta:
        model = RefundRequest
        fields = [
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
            "buyer_nickname",
            "order_item",
            "order_no",
            "product_title",
            "express",
            "damage_guarantee",
            "created_at",
            "due_at",
            "due_action",
            "due_action_label",
        ]
        read_only_fields = fields


class MerchantRefundDetailSerializer(MerchantRefundListSerializer):
    """One request in full: timestamps, return logistics, evidence metadata, express claims, intervention cases."""

    evidence = MerchantRefundEvidenceSerializer(many=True, read_only=True)
    express_claims = MerchantRefundExpressClaimSerializer(many=True, read_only=True)
    interventions = MerchantRefundInterventionSerializer(many=True, read_only=True)

    class Meta(MerchantRefundListSerializer.Meta):
        fields = [
            *MerchantRefundListSerializer.Meta.fields,
            "description",
            "order_shipped",
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
            "evidence",
            "express_claims",
            "interventions",
        ]
        read_only_fields = fields
