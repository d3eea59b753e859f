"""Webhooks: a merchant's endpoints, one delivery per (endpoint, published event), and each attempt at sending it.

Deliveries are written by the publisher's fan-out (disputes.webhooks.fanout) and worked by disputes.webhooks.delivery;
README.md "Webhooks" is the merchant's description."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.models.events import Event
from disputes.models.parties import Merchant


class WebhookEndpoint(models.Model):
    """A URL a merchant's system receives its events at (`event_types` empty: every type). The secret signs every
    delivery (Standard Webhooks, `whsec_<base64>`); the merchant sees it once, when it is made or rotated."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("merchant")
    )
    url = models.URLField(_("URL"), max_length=2000)
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=255, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["merchant", "id"]
        indexes = [models.Index(fields=["merchant", "enabled"], name="webhook_endpoint_merchant")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    GIVEN_UP = "given_up", _("given up")


class WebhookDelivery(models.Model):
    """One event for one endpoint. Pending until a 2xx (succeeded), a 410 (failed: the endpoint is gone) or the
    last retry (given up). The event's sequence and case are copied here, so "is an earlier delivery of this case
    still pending?" and the due sweep are index lookups."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+", verbose_name=_("event"))
    event_sequence = models.BigIntegerField(_("event sequence"))
    case_type = models.CharField(_("case type"), max_length=32, blank=True)
    case_id = models.BigIntegerField(_("case id"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        permissions = [("redeliver_webhookdelivery", _("Can redeliver webhook deliveries"))]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="uniq_webhook_delivery"),
        ]
        indexes = [
            # The due sweep: pending deliveries by due time, proportional to what is pending.
            models.Index(
                fields=["next_attempt_at", "event_sequence"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
            # Order per case: an earlier pending delivery of the same endpoint and case holds the later ones.
            models.Index(
                fields=["endpoint", "case_type", "case_id", "event_sequence"],
                name="webhook_delivery_case",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id}:{self.event_id}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: the status (or the error that prevented one), how long it took, and the
    start of the answer."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    response_excerpt = models.CharField(_("response excerpt"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S}"
