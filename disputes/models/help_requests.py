"""One-click help requests (一键求助), their force-majeure claims and evidence (RULES.md section 1)."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.choices import ServiceKind
from disputes.models.evidence import (
    EvidenceFile,
    evidence_upload_to,  # noqa: F401 - migrations 0003-0007 name it here
)
from disputes.models.orders import OrderItem
from disputes.models.parties import Buyer, Merchant, ServiceProvider


class HelpState(models.TextChoices):
    RAISED = "raised", _("Raised, cancellable (可撤销)")
    CANCELLED = "cancelled", _("Cancelled (已撤销)")
    DISPATCHED = "dispatched", _("Awaiting solution (待给方案)")
    SOLUTION_GIVEN = "solution_given", _("Solution given (已给方案)")
    RESOLVED_PENDING = "resolved_pending", _("Resolved, awaiting buyer confirmation (待确认)")
    UNDER_REVIEW = "under_review", _("Buyer objected, under staff review (客服审核)")
    RESOLVED = "resolved", _("Resolved (已解决)")
    CLOSED = "closed", _("Closed (已关闭)")


OPEN_STATES = (HelpState.DISPATCHED, HelpState.SOLUTION_GIVEN)
# States a staff member may close a request from.
CLOSABLE_STATES = (
    HelpState.DISPATCHED,
    HelpState.SOLUTION_GIVEN,
    HelpState.RESOLVED_PENDING,
    HelpState.UNDER_REVIEW,
)


class AnomalyKind(models.TextChoices):
    NOT_PERFORMED = "not_performed", _("Service not performed (未履行)")
    PARTLY_PERFORMED = "partly_performed", _("Service partly performed (未完整履行)")
    EXTRA_FEE = "extra_fee", _("Unreasonable extra fee charged (额外收取不合理的服务费用)")


class HelpRequest(ConcurrentTransitionMixin, models.Model):
    """A buyer's one-click help request on an order item with a service commitment."""

    order_item = models.ForeignKey(
        OrderItem, on_delete=models.PROTECT, related_name="help_requests", verbose_name=_("order item")
    )
    # buyer, merchant and provider are indexed by the composite indexes that lead with them (Meta).
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="help_requests", verbose_name=_("buyer"), db_index=False
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="help_requests", verbose_name=_("merchant"), db_index=False
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_requests",
        verbose_name=_("service provider"),
        db_index=False,
        help_text=_("Empty when the merchant serves the request itself."),
    )
    service_kind = models.CharField(_("service"), max_length=32, choices=ServiceKind.choices)
    anomaly_kind = models.CharField(_("anomaly"), max_length=32, choices=AnomalyKind.choices)
    description = models.TextField(_("description"), max_length=2000)
    # Snapshot of what the buyer paid for the item when the request was raised: the 48-hour
    # penalty of some standards is a share of it, and must not move if the order is edited.
    item_price_fen = models.PositiveBigIntegerField(_("item price at raise (fen)"))

    state = FSMField(_("state"), max_length=20, choices=HelpState.choices, default=HelpState.RAISED, protected=True)

    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    dispatch_at = models.DateTimeField(_("dispatch at"), help_text=_("End of the buyer's cancel window."))
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    solution_due_at = models.DateTimeField(
        _("solution due at"), null=True, blank=True, help_text=_("Empty when raised outside 09:00–18:00.")
    )
    resolution_due_at = models.DateTimeField(_("resolution due at"))

    solution_text = models.TextField(_("solution"), blank=True)
    appointment_at = models.DateTimeField(_("appointment at"), null=True, blank=True)
    solution_given_at = models.DateTimeField(_("solution given at"), null=True, blank=True)

    resolved_at = models.DateTimeField(_("marked resolved at"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    confirm_due_at = models.DateTimeField(_("auto-confirm at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("resolution confirmed at"), null=True, blank=True)
    objection_text = models.TextField(_("buyer objection"), blank=True)
    objected_at = models.DateTimeField(_("objected at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    solution_breached_at = models.DateTimeField(_("1-hour deadline missed at"), null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("48-hour deadline missed at"), null=True, blank=True)
    followup_queued_at = models.DateTimeField(_("48-hour follow-up queued at"), null=True, blank=True)
    followup_done_at = models.DateTimeField(_("follow-up done at"), null=True, blank=True)
    followup_note = models.TextField(_("follow-up note"), blank=True)

    class Meta:
        verbose_name = _("one-click help request")
        verbose_name_plural = _("one-click help requests")
        ordering = ["-raised_at"]
        permissions = [
            ("record_solution_helprequest", _("Can record a solution or resolution on a party's behalf")),
            ("rule_objection_helprequest", _("Can rule on a buyer objection and close requests")),
        ]
        indexes = [
            # Each sweep step reads only its own partial index: cost grows with what is due.
            models.Index(fields=["dispatch_at"], name="help_due_dispatch", condition=Q(state=HelpState.RAISED)),
            models.Index(
                fields=["solution_due_at"],
                name="help_due_solution",
                condition=Q(
                    state=HelpState.DISPATCHED,
                    solution_breached_at__isnull=True,
                    solution_due_at__isnull=False,
                ),
            ),
            models.Index(
                fields=["resolution_due_at"],
                name="help_due_resolution",
                condition=Q(
                    state__in=[HelpState.DISPATCHED, HelpState.SOLUTION_GIVEN],
                    resolution_breached_at__isnull=True,
                ),
            ),
            models.Index(
                fields=["confirm_due_at"],
                name="help_due_confirm",
                condition=Q(state=HelpState.RESOLVED_PENDING),
            ),
            models.Index(fields=["merchant", "state", "raised_at"], name="help_merchant_state"),
            models.Index(fields=["provider", "state", "raised_at"], name="help_provider_state"),
            models.Index(fields=["buyer", "raised_at"], name="help_buyer"),
        ]

    def __str__(self) -> str:
        return f"HR-{self.pk}"

    @property
    def number(self) -> str:
        return f"HR-{self.pk}"

    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # Transitions: bodies set fields on self and nothing else; the services do the rest.

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.RAISED, target=HelpState.CANCELLED)
    def cancel(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.cancelled_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.RAISED, target=HelpState.DISPATCHED)
    def dispatch(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.dispatched_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.DISPATCHED, target=HelpState.SOLUTION_GIVEN)
    def give_solution(
        self, *, at: Any, text: str, appointment_at: Any, by: Any = None, description: str | None = None
    ) -> None:
        self.solution_text = text
        self.appointment_at = appointment_at
        self.solution_given_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(OPEN_STATES), target=HelpState.RESOLVED_PENDING)
    def mark_resolved(
        self, *, at: Any, note: str, confirm_due_at: Any, by: Any = None, description: str | None = None
    ) -> None:
        self.resolved_at = at
        self.resolution_note = note
        self.confirm_due_at = confirm_due_at
        if self.solution_given_at is None:
            # Resolving the problem is also the solution: it stops the 1-hour clock.
            self.solution_given_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.RESOLVED_PENDING, target=HelpState.RESOLVED)
    def confirm(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.confirmed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.RESOLVED_PENDING, target=HelpState.UNDER_REVIEW)
    def object(self, *, at: Any, text: str, by: Any = None, description: str | None = None) -> None:
        self.objection_text = text
        self.objected_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=HelpState.UNDER_REVIEW,
        target=HelpState.RESOLVED,
        permission="disputes.rule_objection_helprequest",
    )
    def uphold_resolution(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.confirmed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=HelpState.UNDER_REVIEW,
        target=HelpState.SOLUTION_GIVEN,
        permission="disputes.rule_objection_helprequest",
    )
    def reopen(self, *, by: Any = None, description: str | None = None) -> None:
        # The problem was not resolved: the 48-hour clock runs again from where it stopped.
        self.resolved_at = None
        self.confirm_due_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=list(CLOSABLE_STATES),
        target=HelpState.CLOSED,
        permission="disputes.rule_objection_helprequest",
    )
    def close(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at


class DeadlineKind(models.TextChoices):
    SOLUTION = "solution", _("1-hour solution deadline")
    RESOLUTION = "resolution", _("48-hour resolution deadline")


class ForceMajeureCategory(models.TextChoices):
    WEATHER = "weather", _("Weather (天气)")
    TRAFFIC_CONTROL = "traffic_control", _("Traffic control (交通管制)")
    COMMUNICATION = "communication", _("Communication failure (通讯故障)")
    GOVERNMENT = "government", _("Government action (政府行为)")
    POSTAL_POLICY = "postal_policy", _("Postal policy change (邮政政策变化)")
    WAR = "war", _("War (战争)")
    EARTHQUAKE = "earthquake", _("Earthquake (地震)")
    TYPHOON = "typhoon", _("Typhoon (台风)")
    FLOOD = "flood", _("Flood (洪水)")
    FIRE = "fire", _("Fire (火灾)")
    FOG = "fog", _("Fog (大雾)")
    HEAVY_RAIN = "heavy_rain", _("Heavy rain (暴雨)")
    OTHER = "other", _("Other (其他)")


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Pending staff decision")
    APPROVED = "approved", _("Approved: penalty voided")
    REJECTED = "rejected", _("Rejected: penalty credited")


class ForceMajeureClaim(models.Model):
    """A merchant's or provider's force-majeure claim (不可抗力) against one deadline of a request."""

    help_request = models.ForeignKey(
        HelpRequest,
        on_delete=models.PROTECT,
        related_name="force_majeure_claims",
        verbose_name=_("help request"),
    )
    deadline = models.CharField(_("deadline"), max_length=16, choices=DeadlineKind.choices)
    category = models.CharField(_("category"), max_length=20, choices=ForceMajeureCategory.choices)
    note = models.TextField(_("note"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.PENDING, db_index=True
    )
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("claimed by")
    )
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
        verbose_name = _("force-majeure claim")
        verbose_name_plural = _("force-majeure claims")
        ordering = ["-claimed_at"]
        permissions = [("decide_forcemajeureclaim", _("Can approve or reject force-majeure claims"))]
        constraints = [
            # One claim per deadline: a rejected claim is not re-filed, it is appealed.
            models.UniqueConstraint(fields=["help_request", "deadline"], name="uniq_claim_per_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.help_request} / {self.get_deadline_display()} / {self.get_category_display()}"


class ForceMajeureEvidence(EvidenceFile):
    """A file backing a force-majeure claim, checked by content and size on upload."""

    claim = models.ForeignKey(
        ForceMajeureClaim, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("claim")
    )

    class Meta:
        verbose_name = _("force-majeure evidence")
        verbose_name_plural = _("force-majeure evidence")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name
