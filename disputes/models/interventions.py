"""Platform intervention (客服介入 / 小二介入): the case, its evidence and evidence requests, mediation
proposals, judgments with their execution, appeals and reviews (RULES.md section 4)."""

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.models.evidence import evidence_upload_to
from disputes.models.orders import OrderItem
from disputes.models.parties import Buyer, Merchant
from disputes.models.refunds import RefundRequest


class Ground(models.TextChoices):
    QUALITY = "quality", _("Quality problem (商品质量问题)")
    SERVICE_NOT_HONOURED = "service_not_honoured", _("After-sales service not honoured (售后服务未兑现)")
    FALSE_ADVERTISING = "false_advertising", _("False advertising (虚假宣传)")
    LOGISTICS_LOST = "logistics_lost", _("Logistics: lost (物流丢失)")
    LOGISTICS_DAMAGED = "logistics_damaged", _("Logistics: damaged (物流损坏)")
    LOGISTICS_NO_UPDATE = "logistics_no_update", _("Logistics: no updates (物流长时间未更新)")
    COUNTERFEIT = "counterfeit", _("Counterfeit goods (假冒伪劣)")
    FORCED_CONSUMPTION = "forced_consumption", _("Forced consumption (强制消费)")
    MALICIOUS_REVIEW = "malicious_review", _("Malicious review (恶意评价)")
    GOODS_REFUSED = "goods_refused", _("Merchant refused the returned goods (卖家拒绝收货)")


class Channel(models.TextChoices):
    ORDER_PAGE = "order_page", _("Order page (订单详情页)")
    ONLINE_CHAT = "online_chat", _("Online chat (在线客服)")
    PHONE = "phone", _("Phone (电话客服)")
    SENIOR = "senior", _("Senior-staff escalation (小二介入)")


class Tier(models.TextChoices):
    AGENT = "agent", _("Customer service (客服)")
    SENIOR = "senior", _("Senior staff (小二)")


class Party(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    MERCHANT = "merchant", _("Merchant")
    STAFF = "staff", _("Staff")


class CaseState(models.TextChoices):
    APPLIED = "applied", _("Applied (需要客服介入)")
    REFUSED = "refused", _("Refused: outside the rules (不予受理)")
    EVIDENCE = "evidence", _("Evidence (举证中)")
    MEDIATION = "mediation", _("Mediation (调解中)")
    SUSPENDED = "suspended", _("Suspended (中止)")
    AGREED = "agreed", _("Closed by agreement (调解结案)")
    JUDGED = "judged", _("Judged, appeal window open (已判决)")
    APPEALED = "appealed", _("Appealed, awaiting review (申诉中)")
    FINAL = "final", _("Final (已结案)")
    WITHDRAWN = "withdrawn", _("Withdrawn (已撤销)")


OPEN_CASE_STATES = (CaseState.APPLIED, CaseState.EVIDENCE, CaseState.MEDIATION, CaseState.SUSPENDED)
WORKING_STATES = (CaseState.EVIDENCE, CaseState.MEDIATION)


class SuspendReason(models.TextChoices):
    BOTH_PARTIES = "both_parties", _("Both parties asked (双方申请)")
    COURT = "court", _("A party went to court (诉讼)")
    POLICE = "police", _("A party went to the police (报警)")


class Intervention(ConcurrentTransitionMixin, models.Model):
    """One dispute the platform handles: opened by a party or by staff, decided by staff, executed by the system."""

    order_item = models.ForeignKey(
        OrderItem, on_delete=models.PROTECT, related_name="interventions", verbose_name=_("order item")
    )
    refund = models.ForeignKey(
        RefundRequest,
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

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=CaseState.APPLIED, target=CaseState.EVIDENCE, permission="disputes.work_intervention"
    )
    def accept(
        self,
        *,
        at: Any,
        agent: Any,
        evidence_due_at: Any,
        decision_due_at: Any,
        by: Any = None,
        description: str | None = None,
    ) -> None:
        self.accepted_at = at
        self.assigned_to = agent
        self.evidence_due_at = evidence_due_at
        self.decision_due_at = decision_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=CaseState.APPLIED, target=CaseState.REFUSED, permission="disputes.work_intervention"
    )
    def refuse(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.EVIDENCE, target=CaseState.MEDIATION)
    def start_mediation(self, *, by: Any = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.MEDIATION, target=CaseState.AGREED)
    def agree(self, *, at: Any, terms: str, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at
        self.outcome_note = terms

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=list(WORKING_STATES), target=CaseState.JUDGED, permission="disputes.work_intervention"
    )
    def judge(self, *, appeal_due_at: Any, note: str, by: Any = None, description: str | None = None) -> None:
        self.appeal_due_at = appeal_due_at
        self.outcome_note = note

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.JUDGED, target=CaseState.APPEALED)
    def appeal(self, *, by: Any = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.JUDGED, target=CaseState.FINAL)
    def finalize(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=CaseState.APPEALED, target=CaseState.FINAL, permission="disputes.review_intervention"
    )
    def review(self, *, at: Any, note: str, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at
        self.outcome_note = note

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(WORKING_STATES), target=CaseState.SUSPENDED)
    def suspend(
        self, *, at: Any, reason: str, resume_due_at: Any, by: Any = None, description: str | None = None
    ) -> None:
        self.suspended_from = self.state
        self.suspended_at = at
        self.suspend_reason = reason
        self.resume_due_at = resume_due_at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=CaseState.SUSPENDED, target=RETURN_VALUE(*WORKING_STATES))
    def resume(self, *, at: Any, by: Any = None, description: str | None = None) -> str:
        # The clocks stood still while the case was suspended: move every running deadline on by that long.
        if self.suspended_at is not None:
            paused = at - self.suspended_at
            for name in ("decision_due_at", "evidence_due_at", "merchant_answer_due_at"):
                if getattr(self, name) is not None:
                    setattr(self, name, getattr(self, name) + paused)
        target = self.suspended_from or CaseState.EVIDENCE
        self.suspended_from = ""
        self.suspended_at = None
        self.suspend_reason = ""
        self.resume_due_at = None
        return target

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(OPEN_CASE_STATES), target=CaseState.WITHDRAWN)
    def withdraw(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at


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


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Waiting for both parties")
    ACCEPTED = "accepted", _("Accepted by both: agreement")
    DECLINED = "declined", _("Declined")


class Outcome(models.TextChoices):
    FULL_REFUND = "full_refund", _("Full refund (全额退款)")
    PARTIAL_REFUND = "partial_refund", _("Partial refund (部分退款)")
    RETURN_REFUND = "return_refund", _("Return and refund (退货退款)")
    EXCHANGE = "exchange", _("Exchange (换货)")
    REPAIR = "repair", _("Repair (维修)")
    COMPENSATION = "compensation", _("Compensation (赔偿)")
    SUPPORT_MERCHANT = "support_merchant", _("Support the merchant (支持卖家)")


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
