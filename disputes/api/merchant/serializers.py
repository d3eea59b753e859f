"""Merchant/provider input and output shapes for one-click help; rules live in the services."""

from django.conf import settings
from rest_framework import serializers

from disputes.api.common import AwareDateTimeField, HelpForceMajeureClaimSerializer
from disputes.api.explanations import ExplainedMixin
from disputes.models import DeadlineKind, ForceMajeureCategory, HelpRequest
from disputes.services.force_majeure import MAX_FILES
from disputes.services.help_requests import MAX_TEXT


class MerchantHelpRequestListSerializer(serializers.ModelSerializer):
    """One row of the work list: what is asked, what is due, what was missed."""

    number = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    service_kind_label = serializers.CharField(source="get_service_kind_display", read_only=True)
    anomaly_kind_label = serializers.CharField(source="get_anomaly_kind_display", read_only=True)
    merchant_shop_name = serializers.CharField(source="merchant.shop_name", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True, allow_null=True, default=None)
    buyer_nickname = serializers.CharField(source="buyer.nickname", read_only=True)
    order_no = serializers.CharField(source="order_item.order.order_no", read_only=True)
    city = serializers.CharField(source="order_item.order.city", read_only=True)
    product_title = serializers.CharField(source="order_item.product.title", read_only=True)

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
            "provider_name",
            "buyer_nickname",
            "order_item",
            "order_no",
            "city",
            "product_title",
            "raised_at",
            "dispatched_at",
            "solution_due_at",
            "resolution_due_at",
            "confirm_due_at",
            "solution_breached_at",
            "resolution_breached_at",
        ]
        read_only_fields = fields


class MerchantHelpRequestDetailSerializer(ExplainedMixin, MerchantHelpRequestListSerializer):
    """One request in full, with the force-majeure claims filed against its deadlines."""

    address = serializers.CharField(source="order_item.order.address", read_only=True)
    force_majeure_claims = HelpForceMajeureClaimSerializer(many=True, read_only=True)

    class Meta(MerchantHelpRequestListSerializer.Meta):
        fields = [
            *MerchantHelpRequestListSerializer.Meta.fields,
            "description",
            "address",
            "solution_text",
            "appointment_at",
            "solution_given_at",
            "resolved_at",
            "resolution_note",
            "confirmed_at",
            "objection_text",
            "objected_at",
            "closed_at",
            "force_majeure_claims",
            "explanations",
        ]
        read_only_fields = fields


class MerchantHelpSolutionSerializer(serializers.Serializer):
    """A solution (解决方案) for the buyer, with an optional appointment for the visit."""

    text = serializers.CharField(max_length=MAX_TEXT)
    appointment_at = AwareDateTimeField(
        required=False, allow_null=True, help_text="When the visit is booked, with its UTC offset."
    )


class MerchantHelpResolveSerializer(serializers.Serializer):
    """How the problem was resolved; the buyer confirms or objects."""

    note = serializers.CharField(max_length=MAX_TEXT)


class MerchantHelpForceMajeureCreateSerializer(serializers.Serializer):
    """A force-majeure claim (不可抗力) with up to ten evidence files, sent as multipart/form-data."""

    deadline = serializers.ChoiceField(choices=DeadlineKind.choices)
    category = serializers.ChoiceField(choices=ForceMajeureCategory.choices)
    note = serializers.CharField(max_length=MAX_TEXT)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        required=False,
        max_length=MAX_FILES,
        help_text=(
            f"Evidence: images, videos or PDF, checked by content, at most {MAX_FILES} files of "
            f"{settings.EVIDENCE_MAX_BYTES} bytes each. Repeat the `files` part once per file."
        ),
    )
