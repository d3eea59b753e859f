"""What a case gathers: evidence and evidence requests, mediation proposals, judgments with their execution, and
appeals with their review."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.models.evidence import SHA256_HELP, evidence_upload_to
from disputes.models.interventions.case import Intervention
from disputes.models.interventions.choices import Outcome, Party, ProposalStatus


class EvidenceItem(models.Model):
    """One piece of evidence: a file (image, video, PDF; checked by content) or text, from one party."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("case")
    )
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    text = models.TextField(_("text"), max_length=4000, blank=True)
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=200, blank=True)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=80, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False, help_text=SHA256_HELP)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    for_appeal = models.BooleanField(_("submitted with an appeal"), default=False)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["submitted_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text="") | ~Q(file=""), name="evidence_has_text_or_file"),
        ]

    def __str__(self) -> str:
        return self.original_name or (self.text[:40] + ("…" if len(self.text) > 40 else ""))


class EvidenceRequest(models.Model):
    """Staff ask one party for more evidence by a deadline."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, related_name="evidence_requests", verbose_name=_("case")
    )
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    note = models.TextField(_("what is needed"), max_length=2000)
    due_at = models.DateTimeField(_("due at"))
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    fulfilled_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence request")
        verbose_name_plural = _("evidence requests")
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"{self.intervention} → {self.get_party_display()} by {self.due_at:%Y-%m-%d %H:%M}"


class MediationProposal(models.Model):
    """Terms staff propose in mediation; an agreement when both parties accept."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("case")
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    refund_fen = models.PositiveBigIntegerField(_("refund (fen)"), default=0)
    compensation_points = models.PositiveBigIntegerField(_("compensation (points)"), default=0)
    terms = models.TextField(_("terms"), max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    buyer_accepted_at = models.DateTimeField(_("buyer accepted at"), null=True, blank=True)
    merchant_accepted_at = models.DateTimeField(_("merchant accepted at"), null=True, blank=True)
    declined_by = models.CharField(_("declined by"), max_length=10, choices=Party.choices, blank=True)
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )

    class Meta:
        verbose_name = _("mediation proposal")
        verbose_name_plural = _("mediation proposals")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["intervention"], condition=Q(status="open"), name="uniq_open_proposal"),
        ]

    def __str__(self) -> str:
        return f"{self.intervention} proposal: {self.get_outcome_display()}"


class Judgment(models.Model):
    """A decision the system executes. A review that overturns one adds a new judgment that supersedes it;
    the old one's postings are reversed by compensating entries, never edited."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, related_name="judgments", verbose_name=_("case")
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    refund_fen = models.PositiveBigIntegerField(_("refund (fen)"), default=0)
    compensation_points = models.PositiveBigIntegerField(_("compensation (points)"), default=0)
    violation_kind = models.CharField(_("violation recorded"), max_length=24, blank=True)
    reasons = models.TextField(_("reasons"), max_length=4000)
    judged_at = models.DateTimeField(_("judged at"), default=timezone.now)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("judged by")
    )
    via_agreement = models.BooleanField(_("from a mediation agreement"), default=False)
    via_review = models.BooleanField(_("from a review (复审)"), default=False)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    # What executing this judgment changed on the linked refund: {"before": {field: value}, "after": state}.
    # An overturn on review puts the refund back as it was (RefundRequest.reopen_by_review) before the new
    # judgment executes, so a refund paid or closed by the old judgment does not keep its state and amount.
    refund_before = models.JSONField(
        _("refund before execution"), null=True, blank=True, editable=False, encoder=DjangoJSONEncoder
    )

    class Meta:
        verbose_name = _("judgment")
        verbose_name_plural = _("judgments")
        ordering = ["judged_at", "id"]

    def __str__(self) -> str:
        return f"{self.intervention} {self.get_outcome_display()}"


class Appeal(models.Model):
    """A party's appeal (申诉) of a judgment, with its new reasons; decided by a senior reviewer (复审)."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("case")
    )
    judgment = models.OneToOneField(
        Judgment, on_delete=models.PROTECT, related_name="appeal", verbose_name=_("judgment appealed")
    )
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    reasons = models.TextField(_("new reasons"), max_length=4000)
    appealed_at = models.DateTimeField(_("appealed at"), default=timezone.now)
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("appealed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    overturned = models.BooleanField(_("overturned"), null=True, blank=True)
    review_reasons = models.TextField(_("review reasons"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.intervention} appeal by {self.get_party_display()}"
