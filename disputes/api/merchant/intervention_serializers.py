"""Merchant input for opening platform intervention (客服介入); the case record and the other actions share the
buyer side's shapes (disputes.api.buyer.intervention_serializers)."""

from rest_framework import serializers

from disputes.api.buyer.intervention_serializers import FILES_HELP
from disputes.api.common import BIGINT_MAX
from disputes.services.interventions.common import MAX_FILES, MAX_TEXT


class MerchantInterventionOpenSerializer(serializers.Serializer):
    """A merchant asks for intervention after refusing the goods the buyer returned (ground goods_refused)."""

    refund = serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, help_text="Id of the refund whose returned goods were refused."
    )
    claim = serializers.CharField(max_length=MAX_TEXT, help_text="What the merchant asks for and why.")


class MerchantInterventionOpenUploadSerializer(MerchantInterventionOpenSerializer):
    """The same request sent as multipart/form-data, with evidence files."""

    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, max_length=MAX_FILES, help_text=FILES_HELP
    )
