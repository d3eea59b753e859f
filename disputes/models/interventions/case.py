"""The platform intervention case (客服介入 / 小二介入) and the steps staff, parties and the scheduler take on it
(RULES.md section 4)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.models.interventions.choices import (
    OPEN_CASE_STATES,
    WORKING_STATES,
    CaseState,
    Channel,
    Ground,
    Party,
    SuspendReason,
    Tier,
)
from disputes.models.orders import OrderItem
from disputes.models.parties import Actor, Buyer, Merchant, buyer_of, merchant_of
from disputes.models.steps import NOBODY, SYSTEM, Rule, StaffRule, Who, is_buyer, is_merchant, stay

WORK = "disputes.work_intervention"
ASSIGN = "disputes.assign_intervention"
REVIEW = "disputes.review_intervention"


def party_of(actor: Actor, case: "Intervention") -> str | None:
    """Which side of the case the actor is on: buyer, merchant, or None."""
    buyer = buyer_of(actor)
    if buyer is not None and buyer.pk == case.buyer_id:
        return Party.BUYER
    merchant = merchant_of(actor)
    if merchant is not None and merchant.pk == case.merchant_id:
        return Party.MERCHANT
    return None


# Who may take each step. A 小二-tier case is worked by senior agents only.
SENIOR_TIER = StaffRule(
    lambda case, actor: case.tier != Tier.SENIOR or actor.has_perm(REVIEW),
    "senior_tier_required",
    "This case is in the senior (小二) tier.",
)
WORKER = Who(staff=WORK, staff_rule=SENIOR_TIER, message="Only intervention staff may do this.")
WORKER_OR_SYSTEM = Who(staff=WORK, staff_rule=SENIOR_TIER, system=True, message="Only intervention staff may do this.")
ASSIGNER = Who(staff=ASSIGN, message="Only a supervisor assigns cases.", code="assign_permission_required")
REVIEWER = Who(staff=REVIEW, message="Only a senior reviewer reviews appeals.", code="reviewer_permission_required")
PARTIES = Who(parties=(is_buyer, is_merchant))
# The applicant withdraws; staff may withdraw for the applicant whatever the tier (told by phone or chat).
WITHDRAWER = Who(
    staff=WORK,
    parties=(lambda case, actor: party_of(actor, case) == case.applicant,),
    message="Only the applicant can withdraw the case.",
    code="applicant_only",
)

AGENT_TIER = Rule(
    lambda case: case.tier == Tier.AGENT, "cannot_escalate", "Only an open agent-tier case can be escalated."
)
PROOF_EXPECTED = Rule(
    lambda case: case.suspend_reason in (SuspendReason.COURT, SuspendReason.POLICE),
    "no_proof_expected",
    "Only a case suspended for court or police takes proof.",
)


class Intervention(ConcurrentTransitionMixin, models.Model):
    """One dispute the platform handles: opened by a party or by staff, decided by staff, executed by the system."""

    order_item = models.ForeignKey(
        OrderItem, on_delete=models.PROTECT, related_name="interventions", verbose_name=_("order item")
    )
    refund = models.ForeignKey(
        "disputes.RefundRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("refund request"),
    )
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="interventions", verbose_name=_("buyer"))
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="interventions", verbose_name=_("merchant")
    )
    applicant = models.CharField(_("applicant"), max_length=10, choices=Party.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    ground = models.CharField(_("ground"), max_length=24, choices=Ground.choices)
    # "claim" is also a force-majeure or express claim (申请); here it is what the party asks for (诉求).
    claim = models.TextField(pgettext_lazy("what a party asks for", "claim"), max_length=4000)
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices, default=Tier.AGENT)
    express = models.BooleanField(_("express case (极速)"), default=False)
    # Queue order: express and 小二 first, then the decision deadline.
    priority = models.PositiveSmallIntegerField(_("priority"), default=0, db_index=True)

    state = FSMField(_("stage"), max_length=12, choices=CaseState.choices, default=CaseState.APPLIED, protected=True)
    suspended_from = models.CharField(_("suspended from"), max_length=12, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspend_reason = models.CharField(_("suspension reason"), max_length=16, choices=SuspendReason.choices, blank=True)
    resume_due_at = models.DateTimeField(_("resumes automatically at"), null=True, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_interventions",
        verbose_name=_("assigned to"),
    )
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    evidence_due_at = models.DateTimeField(_("evidence due at"), null=True, blank=True)
    merchant_answer_due_at = models.DateTimeField(_("merchant answer due at"), null=True, blank=True)
    decision_due_at = models.DateTimeField(_("decision due at"), null=True, blank=True)
    decision_at_risk_at = models.DateTimeField(_("flagged at risk at"), null=True, blank=True)
    decision_breached_at = models.DateTimeField(_("decision deadline missed at"), null=True, blank=True)
    appeal_due_at = models.DateTimeField(_("appeal due at"), null=True, blank=True)
    # What each deadline was computed from: {field: {"rule", "from", "policies": {key: version}}} (disputes.explain).
    deadline_basis = models.JSONField(_("deadline basis"), default=dict, db_default={}, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome_note = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("platform intervention")
        verbose_name_plural = _("platform interventions")
        ordering = ["-priority", "decision_due_at", "applied_at"]
        permissions = [
            ("work_intervention", _("Can accept, work and judge intervention cases")),
            ("assign_intervention", _("Can assign intervention cases to agents")),
            ("review_intervention", _("Can review appealed judgments (复审)")),
        ]
        indexes = [
            models.Index(fields=["evidence_due_at"], name="iv_due_evidence", condition=Q(state="evidence")),
            models.Index(fields=["appeal_due_at"], name="iv_due_appeal", condition=Q(state="judged")),
            models.Index(
                fields=["decision_due_at"],
                name="iv_due_decision",
                condition=Q(state__in=["evidence", "mediation"], decision_breached_at__isnull=True),
            ),
            models.Index(fields=["resume_due_at"], name="iv_due_resume", condition=Q(state="suspended")),
            models.Index(fields=["state", "priority", "decision_due_at"], name="iv_queue"),
        ]

    def __str__(self) -> str:
        return f"IV-{self.pk}"

    @property
    def number(self) -> str:
        return f"IV-{self.pk}"

    @staticmethod
    def priority_for(*, express: bool, tier: str) -> int:
        """Queue order: express cases first, then the 小二 tier, then the rest."""
        return 2 if express else 1 if tier == Tier.SENIOR else 0

    # Transitions: bodies set fields on self and nothing else; the services do the rest. Who may take each
    # step, and what else must hold, is declared here and nowhere else (the admin's buttons and the services
    # read it).

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.APPLIED, target=CaseState.EVIDENCE, permission=WORKER)
    def accept(
        self,
        *,
        at: datetime,
        agent: Actor,
        evidence_due_at: datetime,
        decision_due_at: datetime,
        by: Actor | None = None,
        description: str | None = None,
    ) -> None:
        self.accepted_at = at
        self.assigned_to = agent
        self.evidence_due_at = evidence_due_at
        self.decision_due_at = decision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[CaseState.EVIDENCE, CaseState.MEDIATION, CaseState.SUSPENDED],
        target=stay(),
        permission=ASSIGNER,
    )
    def assign(self, *, agent: Actor, by: Actor | None = None, description: str | None = None) -> None:
        # A supervisor hands an accepted case to another agent; a new case is accepted for them instead (accept).
        self.assigned_to = agent

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(OPEN_CASE_STATES), target=stay(), permission=WORKER, conditions=[AGENT_TIER])
    def escalate(self, *, keep_assignee: bool, by: Actor | None = None, description: str | None = None) -> None:
        self.tier = Tier.SENIOR
        self.priority = self.priority_for(express=self.express, tier=self.tier)
        if not keep_assignee:
            self.assigned_to = None

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.APPLIED, target=CaseState.REFUSED, permission=WORKER)
    def refuse(self, *, at: datetime, note: str, by: Actor | None = None, description: str | None = None) -> None:
        self.closed_at = at
        self.outcome_note = note

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(WORKING_STATES), target=stay(), permission=WORKER)
    def request_evidence(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass  # the request itself is an EvidenceRequest row, written by the service

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.EVIDENCE, target=CaseState.MEDIATION, permission=WORKER_OR_SYSTEM)
    def start_mediation(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.MEDIATION, target=stay(), permission=WORKER)
    def propose(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass  # the terms are a MediationProposal row, written by the service

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.MEDIATION, target=CaseState.AGREED, permission=NOBODY)
    def agree(self, *, at: datetime, terms: str, by: Actor | None = None, description: str | None = None) -> None:
        # Follows from both parties accepting a proposal.
        self.closed_at = at
        self.outcome_note = terms

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(WORKING_STATES), target=CaseState.JUDGED, permission=WORKER)
    def judge(
        self, *, appeal_due_at: datetime, note: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        self.appeal_due_at = appeal_due_at
        self.outcome_note = note

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.JUDGED, target=CaseState.APPEALED, permission=PARTIES)
    def appeal(self, *, by: Actor | None = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.JUDGED, target=CaseState.FINAL, permission=SYSTEM)
    def finalize(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.APPEALED, target=CaseState.FINAL, permission=REVIEWER)
    def review(self, *, at: datetime, note: str, by: Actor | None = None, description: str | None = None) -> None:
        self.closed_at = at
        self.outcome_note = note

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(WORKING_STATES), target=CaseState.SUSPENDED, permission=WORKER)
    def suspend(
        self,
        *,
        at: datetime,
        reason: str,
        resume_due_at: datetime,
        by: Actor | None = None,
        description: str | None = None,
    ) -> None:
        self.suspended_from = self.state
        self.suspended_at = at
        self.suspend_reason = reason
        self.resume_due_at = resume_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.SUSPENDED, target=stay(), permission=WORKER, conditions=[PROOF_EXPECTED])
    def record_proof(
        self, *, resume_due_at: datetime | None, by: Actor | None = None, description: str | None = None
    ) -> None:
        # The police get their own time limit; a court case stays suspended until staff resume it (None).
        self.resume_due_at = resume_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=CaseState.SUSPENDED, target=RETURN_VALUE(*WORKING_STATES), permission=WORKER_OR_SYSTEM
    )
    def resume(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> str:
        # The clocks stood still while the case was suspended: move every running deadline on by that long.
        if self.suspended_at is not None:
            paused = at - self.suspended_at
            for name in ("decision_due_at", "evidence_due_at", "merchant_answer_due_at"):
                if getattr(self, name) is not None:
                    setattr(self, name, getattr(self, name) + paused)
                    basis = self.deadline_basis.get(name)
                    if basis is not None:  # the explanation adds the pause to what the rule computes
                        basis["paused_us"] = basis.get("paused_us", 0) + paused // timedelta(microseconds=1)
        target = self.suspended_from or CaseState.EVIDENCE
        self.suspended_from = ""
        self.suspended_at = None
        self.suspend_reason = ""
        self.resume_due_at = None
        return str(target)

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(OPEN_CASE_STATES), target=CaseState.WITHDRAWN, permission=WITHDRAWER)
    def withdraw(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.closed_at = at
