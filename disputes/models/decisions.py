"""The record of a staff decision that several models share: when, by whom, and why."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from disputes.models.parties import Actor


class Decided(models.Model):
    """Abstract: a claim or record that staff decide once (force majeure, express claims, complaints)."""

    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(_("decision reason"), blank=True)

    class Meta:
        abstract = True

    def record_decision(self, *, at: datetime, by: Actor, reason: str) -> None:
        """Set the trio; called from the decision's transition body."""
        self.decided_at = at
        self.decided_by = by
        self.decision_reason = reason
