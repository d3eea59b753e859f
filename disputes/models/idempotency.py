"""Idempotency keys of API writes: a client's retry of a POST gets the first answer back instead of a second effect."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One caller's `Idempotency-Key` on one write: what the request was (its fingerprint) and, once answered, the
    answer, replayed to a retry with the same key and the same request for IDEMPOTENCY_TTL (24 h by default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("caller"), db_index=False
    )
    key = models.CharField(_("key"), max_length=255)
    # SHA-256 of the method, the path and the request's data (files by their content).
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    content_type = models.CharField(_("response content type"), max_length=100, blank=True)
    body = models.BinaryField(_("response body"), default=b"")
    created_at = models.DateTimeField(_("first seen at"), default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            # Keys are scoped to the caller: two merchants may pick the same key without meeting.
            models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key_per_caller"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
