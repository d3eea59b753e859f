"""What a buyer adds to a refund: evidence files, and express rights protection (极速维权) claims that staff
verify."""

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.models.decisions import Decided
from disputes.models.evidence import EvidenceFile
from disputes.models.parties import Actor
from disputes.models.refunds.choices import ExpressStatus
from disputes.models.refunds.request import RefundRequest
from disputes.models.refunds.rules import EXPRESS_STAFF


class RefundEvidence(EvidenceFile):
    """A photo, video or PDF a party attached to a refund (application, refusal, express claim)."""

    refund = models.ForeignKey(
        RefundRequest, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("refund request")
    )
    purpose = models.CharField(_("purpose"), max_length=40)

    class Meta:
        verbose_name = _("refund evidence")
        verbose_name_plural = _("refund evidence")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ExpressClaim(ConcurrentTransitionMixin, Decided):
    """A highly rated buyer's express rights protection (极速维权) claim after a refusal; jumps the staff queue."""

    refund = models.ForeignKey(
        RefundRequest, on_delete=models.PROTECT, related_name="express_claims", verbose_name=_("refund request")
    )
    description = models.TextField(_("description"), max_length=2000)
    status = FSMField(
        _("status"),
        max_length=12,
        choices=ExpressStatus.choices,
        default=ExpressStatus.PENDING,
        db_index=True,
        protected=True,
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("express rights protection claim")
        verbose_name_plural = _("express rights protection claims")
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["refund"], condition=Q(status="pending"), name="uniq_pending_express_claim"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.refund} express ({self.get_status_display()})"

    # True: the return is agreed on the merchant's behalf (RefundRequest.agree_on_behalf follows); false: the
    # merchant's refusal stands.
    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ExpressStatus.PENDING, target=ExpressStatus.VERIFIED, permission=EXPRESS_STAFF)
    def verify(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.record_decision(at=at, by=by, reason=reason)

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ExpressStatus.PENDING, target=ExpressStatus.REJECTED, permission=EXPRESS_STAFF)
    def reject(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.record_decision(at=at, by=by, reason=reason)
