"""Webhook endpoints as the merchant reads and writes them, and their recent deliveries. The secret appears only in
WebhookEndpointSecretSerializer, the answer of create and rotate-secret."""

from rest_framework import serializers

from disputes.events.catalogue import EVENT_TYPES
from disputes.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

URL_MAX = 2000
# Every catalogue type, as the schema's WebhookEventTypeEnum (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
EVENT_TYPE_CHOICES = sorted(EVENT_TYPES)


def _event_types() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES),
        required=False,
        max_length=len(EVENT_TYPES),
        help_text="Event types to receive (docs/events.md); empty or absent: every type.",
    )


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """A webhook endpoint, without its secret."""

    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES),
        read_only=True,
        help_text="The event types it receives; empty: every type.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "event_types", "enabled", "disabled_reason", "disabled_at", "created_at"]
        read_only_fields = fields


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    """A webhook endpoint with its signing secret: shown this once (create, rotate-secret), never again."""

    secret = serializers.CharField(
        read_only=True, help_text="The signing secret (whsec_...): keep it now, it is never shown again."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=URL_MAX, help_text="http(s) URL on the public internet.")
    event_types = _event_types()


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=URL_MAX, required=False)
    event_types = _event_types()
    enabled = serializers.BooleanField(
        required=False, help_text="true enables a disabled endpoint again; its pending deliveries are then sent."
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "latency_ms", "response_excerpt", "error"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event sent (or being sent) to the endpoint, with every attempt."""

    event_id = serializers.UUIDField(source="event.uid", read_only=True, help_text="The webhook-id header.")
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "event_sequence",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "finished_at",
            "attempt_log",
        ]
        read_only_fields = fields
