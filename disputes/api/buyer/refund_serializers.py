"""Buyer-facing input and output shapes for refunds and after-sales; input is type-checked here, rules live in
the services (amount limits, windows, reopening, express eligibility)."""

from django.conf import settings
from rest_framework import serializers

from disputes.api.common import BIGINT_MAX
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
from disputes.models import RefundReason, RefundType
from disputes.services.refunds.common import MAX_FILES, MAX_TEXT

FILES_HELP = (
    f"Photos (or video/PDF), checked by content, at most {MAX_FILES} files of {settings.EVIDENCE_MAX_BYTES} bytes "
    "each. Repeat the `files` part once per file."
)


AMOUNT_HELP = "Refund amount in fen (1 元 = 100 fen), a whole number; more than 0 and at most `refundable_fen`."
# OpenAPI cannot make a field required on another's value; the description says exactly what the service does
# (disputes.services.refunds.common.check_amount).
APPLY_AMOUNT_HELP = (
    f"{AMOUNT_HELP} Required when `refund_type` is `refund_only` or `return_refund`: omitted or null, the "
    "application is refused (400 `invalid_amount`). An `exchange` or `repair` takes no amount: omit it or send "
    "null; an amount is refused (400 `amount_not_allowed`, or `invalid_amount` for 0 or less)."
)


def _amount_field(*, allow_null: bool = False, help_text: str = AMOUNT_HELP) -> serializers.IntegerField:
    # A whole number from 1 to the column's limit, else `invalid_amount` (disputes.errors.field_code): the same
    # code the service gives a value of 0 or less. Whether it is at most what is still refundable is the
    # service's rule (amount_exceeds_refundable, 422).
    return serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, help_text=help_text, required=False, allow_null=allow_null
    )


# --- input -------------------------------------------------------------------------------------


class BuyerRefundApplySerializer(serializers.Serializer):
    """What a buyer submits to apply for a refund or after-sales service on one order item (JSON)."""

    order_item = serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, help_text="Id of one of the buyer's order items."
    )
    refund_type = serializers.ChoiceField(choices=RefundType.choices)
    reason = serializers.ChoiceField(choices=RefundReason.choices)
    amount_fen = _amount_field(allow_null=True, help_text=APPLY_AMOUNT_HELP)
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    damage_guarantee = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Claim the damage return guarantee (破损包退), within the damage claim window after signing "
        "(policy `refund.damage_claim_window`, 72 hours by default).",
    )


class BuyerRefundApplyUploadSerializer(BuyerRefundApplySerializer):
    """The same application sent as multipart/form-data, with photos."""

    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, max_length=MAX_FILES, help_text=FILES_HELP
    )


class BuyerRefundModifySerializer(serializers.Serializer):
    """A buyer's change to a refused request; omitted fields stay as they are."""

    amount_fen = _amount_field()
    reason = serializers.ChoiceField(choices=RefundReason.choices, required=False)
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)


class BuyerRefundShipReturnSerializer(serializers.Serializer):
    """The carrier and waybill of the goods the buyer sent back."""

    carrier = serializers.CharField(max_length=40)
    waybill = serializers.CharField(max_length=40)


class BuyerRefundExpressClaimCreateSerializer(serializers.Serializer):
    """An express rights protection (极速维权) claim: what is wrong, with at least one photo (multipart)."""

    description = serializers.CharField(max_length=MAX_TEXT)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), min_length=1, max_length=MAX_FILES, help_text=FILES_HELP
    )


class BuyerRefundInterventionCreateSerializer(serializers.Serializer):
    """Why the buyer asks the platform to intervene (客服介入) after a refusal."""

    reason = serializers.CharField(max_length=MAX_TEXT)


# --- output ------------------------------------------------------------------------------------


class BuyerRefundEvidenceSerializer(RefundEvidenceBase):
    """Metadata of one file attached to the refund; the file itself stays in private storage."""


class BuyerRefundExpressClaimSerializer(RefundExpressClaimBase):
    """An express rights protection claim and the staff's decision."""


class BuyerRefundInterventionSerializer(RefundInterventionBase):
    """A platform intervention case (客服介入) on the refund and where it stands; the whole case is read at
    buyer/interventions/{id}/."""


class BuyerRefundListSerializer(RefundListBase):
    """One row of the buyer's list: where the request stands, what happens next and when."""

    merchant_shop_name = serializers.CharField(source="merchant.shop_name", read_only=True)

    class Meta(RefundListBase.Meta):
        fields = [*LIST_HEAD, "merchant_shop_name", *LIST_ITEM, *LIST_TAIL]
        read_only_fields = fields


class BuyerRefundDetailSerializer(ExplainedMixin, BuyerRefundListSerializer):
    """Everything the buyer may know about one request: every timestamp, the return address, evidence
    metadata, express claims and platform intervention cases."""

    evidence = BuyerRefundEvidenceSerializer(many=True, read_only=True)
    express_claims = BuyerRefundExpressClaimSerializer(many=True, read_only=True)
    interventions = BuyerRefundInterventionSerializer(many=True, read_only=True)

    class Meta(BuyerRefundListSerializer.Meta):
        fields = [
            *BuyerRefundListSerializer.Meta.fields,
            "description",
            "order_shipped",
            "damage_guarantee",
            *DETAIL_COMMON,
            "repayment_notice_at",
            "repayment_due_at",
            "repaid_at",
            *DETAIL_NESTED,
            "explanations",
        ]
        read_only_fields = fields
