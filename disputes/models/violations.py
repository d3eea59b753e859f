"""Merchant violation records (违背承诺 and others), one per miss or upheld complaint (RULES.md section 5)."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.models.decisions import Decided
from disputes.models.help_requests import DeadlineKind, HelpRequest
from disputes.models.parties import Actor, Buyer, Merchant
from disputes.models.steps import NOBODY, Who


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


RULING_STAFF = Who(staff="disputes.rule_objection_helprequest", message="Only senior staff may decide complaints.")


class Violation(Decided):
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
    # Set in bulk by the help sweep and by force-majeure decisions; a buyer's complaint is decided by a step.
    status = FSMField(_("status"), max_length=16, choices=ViolationStatus.choices)
    score_points = models.PositiveSmallIntegerField(
        _("score points deducted when counted"),
        help_text=_("Deducted from the merchant's score only when counted."),
    )
    compensation_points = models.PositiveBigIntegerField(_("compensation to the buyer (points)"), default=0)
    penalty_basis = models.CharField(_("penalty basis"), max_length=16, choices=PenaltyBasis.choices, blank=True)
    # {policy key: version} of the values the compensation was computed from (disputes.explain.penalties).
    policy_versions = models.JSONField(_("policy versions"), default=dict, db_default={}, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
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

    # A buyer's breach-of-promise complaint, decided by staff.

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status, source=ViolationStatus.PENDING_REVIEW, target=ViolationStatus.COUNTED, permission=RULING_STAFF
    )
    def count_complaint(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.record_decision(at=at, by=by, reason=reason)
        self.note = f"{self.note}\n[counted] {reason}".strip()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status, source=ViolationStatus.PENDING_REVIEW, target=ViolationStatus.REVOKED, permission=RULING_STAFF
    )
    def revoke_complaint(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.record_decision(at=at, by=by, reason=reason)
        self.note = f"{self.note}\n[revoked] {reason}".strip()

    # What follows from other decisions (no one takes these alone): a force-majeure claim decided on a held
    # penalty, a judgment overturned on review.

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ViolationStatus.HELD, target=ViolationStatus.EXEMPTED, permission=NOBODY)
    def exempt(self, *, at: datetime, by: Actor, description: str | None = None) -> None:
        self.decided_at, self.decided_by = at, by

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ViolationStatus.HELD, target=ViolationStatus.NOT_COUNTED, permission=NOBODY)
    def pay_held(self, *, at: datetime, by: Actor, description: str | None = None) -> None:
        self.decided_at, self.decided_by = at, by

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ViolationStatus.COUNTED, target=ViolationStatus.REVOKED, permission=NOBODY)
    def revoke_by_review(self, *, at: datetime, by: Actor, description: str | None = None) -> None:
        self.decided_at, self.decided_by = at, by
