"""Merchant input and output shapes for refunds and after-sales; the rules live in the services."""

from django.conf import settings
from rest_framework import serializers

from disputes.api.explanations import ExplainedMixin
from disputes.api.refund_output import (
    DETAIL_COMMON,
    DETAIL_NESTED,
    LIST_HEAD,
    LIST_ITEM,
    LIST_TAIL,
    RefundEvidenceBase,
    RefundExpressClaimBase,
    RefundInterventionBase,
    RefundListBase,
)
from disputes.services.refunds.common import MAX_FILES, MAX_TEXT

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


class MerchantRefundEvidenceSerializer(RefundEvidenceBase):
    """Metadata of one file attached to the refund by either party; the file stays in private storage."""


class MerchantRefundExpressClaimSerializer(RefundExpressClaimBase):
    """The buyer's express rights protection claim (极速维权) and the staff's decision."""


class MerchantRefundInterventionSerializer(RefundInterventionBase):
    """A platform intervention case (客服介入) on the refund and where it stands; the whole case is read at
    merchant/interventions/{id}/."""


class MerchantRefundListSerializer(RefundListBase):
    """One row of the merchant's work list: what is asked, what happens automatically and when."""

    buyer_nickname = serializers.CharField(source="buyer.nickname", read_only=True)

    class Meta(RefundListBase.Meta):
        fields = [*LIST_HEAD, "buyer_nickname", *LIST_ITEM, "damage_guarantee", *LIST_TAIL]
        read_only_fields = fields


class MerchantRefundDetailSerializer(ExplainedMixin, MerchantRefundListSerializer):
    """One request in full: timestamps, return logistics, evidence metadata, express claims, intervention cases."""

    evidence = MerchantRefundEvidenceSerializer(many=True, read_only=True)
    express_claims = MerchantRefundExpressClaimSerializer(many=True, read_only=True)
    interventions = MerchantRefundInterventionSerializer(many=True, read_only=True)

    class Meta(MerchantRefundListSerializer.Meta):
        fields = [
            *MerchantRefundListSerializer.Meta.fields,
            "description",
            "order_shipped",
            *DETAIL_COMMON,
            *DETAIL_NESTED,
            "explanations",
        ]
        read_only_fields = fields
