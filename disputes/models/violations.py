"""Merchant violation records (违背承诺 and others), one per miss or upheld complaint (RULES.md section 5)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.models.help_requests import DeadlineKind, HelpRequest
from disputes.models.parties import Buyer, Merchant


class ViolationKind(models.TextChoices):
    BREACH_OF_PROMISE = "breach_of_promise", _("Breach of promise (违背承诺)")
    REFUSE_RETURN = "refuse_return", _("Refusing return obligations (拒绝履行退货义务)")


class ViolationStatus(models.TextChoices):
    HELD = "held", _("Penalty held: force-majeure claim pending")
    NOT_COUNTED = "not_counted", _("Not counted: penalty paid (已赔付不计违规)")
    EXEMPTED = "exempted", _("Exempted: force majeure approved")
    PENDING_REVIEW = "pending_review", _("Complaint awaiting staff review")
    COUNTED = "counted", _("Counted (计违规)")
    REVOKED = "revoked", _("Revoked on appeal")


class PenaltyBasis(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    NOT_PROVIDED = "not_provided", _("Service not provided")
    LATE = "late", _("Service late")


class Violation(models.Model):
    """A merchant violation: what was missed, what it cost, and whether it counts against the shop."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="violations",
        verbose_name=_("merchant"),
        db_index=False,  # the (merchant, status, occurred_at) index serves it
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="violations", verbose_name=_("compensated buyer")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=ViolationKind.choices)
    help_request = models.ForeignKey(
        HelpRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="violations",
        verbose_name=_("help request"),
    )
    intervention = models.ForeignKey(
        "disputes.Intervention",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="violations",
        verbose_name=_("intervention case"),
    )
    deadline = models.CharField(_("missed deadline"), max_length=16, choices=DeadlineKind.choices, blank=True)
    # (case, rule, occurrence): a sweep that runs twice finds the record already there.
    idempotency_key = models.CharField(_("idempotency key"), max_length=160, unique=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    status = models.CharField(_("status"), max_length=16, choices=ViolationStatus.choices)
    score_points = models.PositiveSmallIntegerField(
        _("score points deducted when counted"),
        help_text=_("Deducted from the merchant's score only when counted."),
    )
    compensation_points = models.PositiveBigIntegerField(_("compensation to the buyer (points)"), default=0)
    penalty_basis = models.CharField(_("penalty basis"), max_length=16, choices=PenaltyBasis.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("merchant violation")
        verbose_name_plural = _("merchant violations")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["merchant", "status", "occurred_at"], name="violation_merchant_status")]

    def __str__(self) -> str:
        return f"{self.merchant} / {self.get_kind_display()} / {self.get_status_display()}"

    @property
    def counts_against_merchant(self) -> bool:
        return self.status == ViolationStatus.COUNTED
