"""Merchant violation records (违背承诺 and others), one per miss or upheld complaint (RULES.md section 5)."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.deadlines import missed
from disputes.models.decisions import Decided
from disputes.models.help_requests import DeadlineKind, HelpRequest
from disputes.models.parties import Actor, Buyer, Merchant
from disputes.models.steps import NOBODY, Rule, Who, is_merchant


class ViolationKind(models.TextChoices):
    BREACH_OF_PROMISE = "breach_of_promise", _("Breach of promise (违背承诺)")
    REFUSE_RETURN = "refuse_return", _("Refusing return obligations (拒绝履行退货义务)")


class ViolationStatus(models.TextChoices):
    HELD = "held", _("Penalty held: force-majeure claim pending")
    NOT_COUNTED = "not_counted", _("Not counted: penalty paid (已赔付不计违规)")
    EXEMPTED = "exempted", _("Exempted: force majeure approved")
    PENDING_REVIEW = "pending_review", _("Complaint awaiting staff review")
    COUNTED = "counted", _("Counted (计违规)")
    APPEALED = "appealed", _("Appeal awaiting staff review (申诉中)")
    REVOKED = "revoked", _("Revoked on appeal")


# The statuses whose score points count against the merchant: a counted record, and one whose appeal staff have not
# decided yet (an appeal does not suspend the points; granting it revokes them).
COUNTING = (ViolationStatus.COUNTED, ViolationStatus.APPEALED)


class PenaltyBasis(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    NOT_PROVIDED = "not_provided", _("Service not provided")
    LATE = "late", _("Service late")


RULING_STAFF = Who(staff="disputes.rule_objection_helprequest", message="Only senior staff may decide complaints.")
THE_MERCHANT = Who(
    parties=(is_merchant,), message="Only the merchant's API user may appeal its violation.", code="party_required"
)

# A violation is appealed once (RULES.md section 5: "revoked on appeal"): a rejected appeal leaves it counted, and
# it stays so.
APPEALED_ONCE = Rule(
    lambda violation: violation.appealed_at is None,
    "already_appealed",
    "This violation was already appealed; a violation is appealed once.",
    business=True,
)
# Within the window that opened when the record was counted (`violation.appeal_window`), its last second included.
IN_APPEAL_WINDOW = Rule(
    lambda violation: violation.appeal_due_at is not None and not missed(violation.appeal_due_at, timezone.now()),
    "appeal_window_closed",
    lambda violation: (
        f"The appeal window closed at {violation.appeal_due_at.isoformat()}."
        if violation.appeal_due_at is not None
        else "This violation has no appeal window."
    ),
    business=True,
)


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
    # The merchant's appeal (申诉) of a counted record, and the staff decision on it. The window is stored when the
    # record is counted, like every deadline, from the policy then in force.
    appeal_due_at = models.DateTimeField(_("appeal window closes"), null=True, blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_reason = models.TextField(_("appeal reason"), blank=True)
    appeal_decided_at = models.DateTimeField(_("appeal decided at"), null=True, blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appeal decided by"),
        db_index=False,
    )
    appeal_decision_reason = models.TextField(_("appeal decision reason"), blank=True)

    class Meta:
        verbose_name = _("merchant violation")
        verbose_name_plural = _("merchant violations")
        ordering = ["-occurred_at"]
        indexes = [
            # Carrying the score points: the points per year and the account's year are read from the index alone.
            models.Index(
                fields=["merchant", "status", "occurred_at"], include=["score_points"], name="violation_merchant_status"
            ),
            # The merchant's list of its violations, newest first (keyset pages by occurred_at, then id).
            models.Index(fields=["merchant", "occurred_at", "id"], name="violation_merchant_time"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} / {self.get_kind_display()} / {self.get_status_display()}"

    @property
    def counts_against_merchant(self) -> bool:
        return self.status in COUNTING

    # A buyer's breach-of-promise complaint, decided by staff.

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status, source=ViolationStatus.PENDING_REVIEW, target=ViolationStatus.COUNTED, permission=RULING_STAFF
    )
    def count_complaint(
        self, *, at: datetime, by: Actor, reason: str, appeal_due_at: datetime, description: str | None = None
    ) -> None:
        self.record_decision(at=at, by=by, reason=reason)
        self.appeal_due_at = appeal_due_at
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

    # The merchant's appeal of a counted record (申诉), decided by the same senior staff who decide complaints.

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=ViolationStatus.COUNTED,
        target=ViolationStatus.APPEALED,
        permission=THE_MERCHANT,
        conditions=[APPEALED_ONCE, IN_APPEAL_WINDOW],
    )
    def appeal(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.appealed_at = at
        self.appeal_reason = reason

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ViolationStatus.APPEALED, target=ViolationStatus.REVOKED, permission=RULING_STAFF)
    def grant_appeal(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.appeal_decided_at, self.appeal_decided_by, self.appeal_decision_reason = at, by, reason

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ViolationStatus.APPEALED, target=ViolationStatus.COUNTED, permission=RULING_STAFF)
    def reject_appeal(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.appeal_decided_at, self.appeal_decided_by, self.appeal_decision_reason = at, by, reason
