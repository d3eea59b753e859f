"""One-click help requests (一键求助), their force-majeure claims and evidence (RULES.md section 1)."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.choices import ServiceKind
from disputes.deadlines import in_time, missed_q
from disputes.models.decisions import Decided
from disputes.models.evidence import (
    EvidenceFile,
    evidence_upload_to,  # noqa: F401 - migrations 0003-0007 name it here
)
from disputes.models.orders import OrderItem
from disputes.models.parties import Actor, Buyer, Merchant, ServiceProvider
from disputes.models.steps import SYSTEM, Rule, Who, is_buyer, is_merchant, is_provider, stay


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
# A live request blocks another on the same item and service (RULES.md section 1).
LIVE_HELP_STATES = (
    HelpState.RAISED,
    HelpState.DISPATCHED,
    HelpState.SOLUTION_GIVEN,
    HelpState.RESOLVED_PENDING,
    HelpState.UNDER_REVIEW,
)
# States a staff member may close a request from.
CLOSABLE_STATES = (
    HelpState.DISPATCHED,
    HelpState.SOLUTION_GIVEN,
    HelpState.RESOLVED_PENDING,
    HelpState.UNDER_REVIEW,
)


# Who may take each step (RULES.md section 1). A merchant or provider sees a request once dispatched.
BUYER = Who(parties=(is_buyer,))
BUYER_OR_SYSTEM = Who(parties=(is_buyer,), system=True)
RESPONSIBLE = Who(
    staff="disputes.record_solution_helprequest",
    parties=(is_merchant, is_provider),
)
RECORDING_STAFF = Who(staff="disputes.record_solution_helprequest")
RULING_STAFF = Who(staff="disputes.rule_objection_helprequest")

IN_CANCEL_WINDOW = Rule(
    lambda request: request.cancel_window_open(timezone.now()),
    "cancel_window_passed",
    "The cancel window has ended; the request was dispatched.",
    business=True,
)
FOLLOWUP_QUEUED = Rule(
    lambda request: request.followup_queued_at is not None,
    "not_in_followup_queue",
    "This request is not in the follow-up queue.",
)
FOLLOWUP_NOT_RECORDED = Rule(
    lambda request: request.followup_done_at is None,
    "followup_already_recorded",
    "The follow-up was already recorded.",
)


class DeadlineKind(models.TextChoices):
    SOLUTION = "solution", _("1-hour solution deadline")
    RESOLUTION = "resolution", _("48-hour resolution deadline")


# A deadline's clock runs while the request is open for it and no miss is recorded: the sweep's due rows, the
# staff's at-risk queue and the single-request path all read this (HelpRequest.running_deadline is its twin).
RUNNING_DEADLINE: dict[str, Q] = {
    DeadlineKind.SOLUTION: Q(
        state=HelpState.DISPATCHED, solution_breached_at__isnull=True, solution_due_at__isnull=False
    ),
    DeadlineKind.RESOLUTION: Q(state__in=OPEN_STATES, resolution_breached_at__isnull=True),
}
DUE_FIELD: dict[str, str] = {DeadlineKind.SOLUTION: "solution_due_at", DeadlineKind.RESOLUTION: "resolution_due_at"}


def deadline_due_by(kind: str, moment: datetime) -> Q:
    """Requests whose `kind` deadline still runs and falls at or before `moment` (the at-risk horizon)."""
    return RUNNING_DEADLINE[kind] & Q(**{f"{DUE_FIELD[kind]}__lte": moment})


def deadline_missed(kind: str, now: datetime) -> Q:
    """Requests whose `kind` deadline still runs and has passed at `now` (disputes.deadlines): the misses the sweep
    records, and a late step records first."""
    return RUNNING_DEADLINE[kind] & missed_q(DUE_FIELD[kind], now)


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
    # What each deadline was computed from: {field: {"rule", "from", "policies": {key: version}}} (disputes.explain).
    deadline_basis = models.JSONField(_("deadline basis"), default=dict, db_default={}, blank=True, editable=False)

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

    def running_deadline(self, kind: str) -> datetime | None:
        """The deadline of `kind` while its clock runs (not met, not recorded as missed), else None: the
        per-row twin of RUNNING_DEADLINE, for list badges that must not query."""
        if kind == DeadlineKind.SOLUTION:
            running = self.state == HelpState.DISPATCHED and self.solution_breached_at is None
            return self.solution_due_at if running else None
        running = self.state in OPEN_STATES and self.resolution_breached_at is None
        return self.resolution_due_at if running else None

    def cancel_window_open(self, now: datetime) -> bool:
        """Whether the buyer may still cancel at `now` (server clock): raised, and the cancel window not over (its
        last second included)."""
        return self.state == HelpState.RAISED and in_time(now, self.dispatch_at)

    # Transitions: bodies set fields on self and nothing else; the services do the rest. Who may take each
    # step, and what else must hold, is declared here and nowhere else (the admin's buttons and the
    # services read it).

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=HelpState.RAISED,
        target=HelpState.CANCELLED,
        permission=BUYER,
        conditions=[IN_CANCEL_WINDOW],
    )
    def cancel(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.cancelled_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.RAISED, target=HelpState.DISPATCHED, permission=SYSTEM)
    def dispatch(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.dispatched_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.DISPATCHED, target=HelpState.SOLUTION_GIVEN, permission=RESPONSIBLE)
    def give_solution(
        self,
        *,
        at: datetime,
        text: str,
        appointment_at: datetime | None,
        by: Actor | None = None,
        description: str | None = None,
    ) -> None:
        self.solution_text = text
        self.appointment_at = appointment_at
        self.solution_given_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(OPEN_STATES), target=HelpState.RESOLVED_PENDING, permission=RESPONSIBLE)
    def mark_resolved(
        self,
        *,
        at: datetime,
        note: str,
        confirm_due_at: datetime,
        by: Actor | None = None,
        description: str | None = None,
    ) -> None:
        self.resolved_at = at
        self.resolution_note = note
        self.confirm_due_at = confirm_due_at
        if self.solution_given_at is None:
            # Resolving the problem is also the solution: it stops the 1-hour clock.
            self.solution_given_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.RESOLVED_PENDING, target=HelpState.RESOLVED, permission=BUYER_OR_SYSTEM)
    def confirm(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.confirmed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.RESOLVED_PENDING, target=HelpState.UNDER_REVIEW, permission=BUYER)
    def object(self, *, at: datetime, text: str, by: Actor | None = None, description: str | None = None) -> None:
        self.objection_text = text
        self.objected_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.UNDER_REVIEW, target=HelpState.RESOLVED, permission=RULING_STAFF)
    def uphold_resolution(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.confirmed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=HelpState.UNDER_REVIEW, target=HelpState.SOLUTION_GIVEN, permission=RULING_STAFF)
    def reopen(self, *, by: Actor | None = None, description: str | None = None) -> None:
        # The problem was not resolved: the 48-hour clock runs again from where it stopped.
        self.resolved_at = None
        self.confirm_due_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(CLOSABLE_STATES), target=HelpState.CLOSED, permission=RULING_STAFF)
    def close(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.closed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source="*",
        target=stay(),
        permission=RECORDING_STAFF,
        conditions=[FOLLOWUP_QUEUED, FOLLOWUP_NOT_RECORDED],
    )
    def record_followup(
        self, *, at: datetime, note: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        # The 48-hour follow-up call with the buyer: the request leaves the follow-up queue, in whatever state.
        self.followup_done_at = at
        self.followup_note = note


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


DECIDING_STAFF = Who(
    staff="disputes.decide_forcemajeureclaim", message="Only senior staff may decide force-majeure claims."
)


class ForceMajeureClaim(ConcurrentTransitionMixin, Decided):
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
    status = FSMField(
        _("status"),
        max_length=12,
        choices=ClaimStatus.choices,
        default=ClaimStatus.PENDING,
        db_index=True,
        protected=True,
    )
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("claimed by")
    )

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

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ClaimStatus.PENDING, target=ClaimStatus.APPROVED, permission=DECIDING_STAFF)
    def approve(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.record_decision(at=at, by=by, reason=reason)

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=ClaimStatus.PENDING, target=ClaimStatus.REJECTED, permission=DECIDING_STAFF)
    def reject(self, *, at: datetime, by: Actor, reason: str, description: str | None = None) -> None:
        self.record_decision(at=at, by=by, reason=reason)


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
