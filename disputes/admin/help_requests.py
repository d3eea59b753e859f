"""Admin for one-click help (一键求助): the staff queue, case pages, transition buttons, force majeure, evidence."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes.admin.helpers import (
    MAX_TEXT,
    NoteForm,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ReasonForm,
    ServiceActionsAdmin,
    format_duration,
    service_action,
)
from disputes.models import (
    BuyerPointsEntry,
    ClaimStatus,
    DeadlineKind,
    ForceMajeureClaim,
    ForceMajeureEvidence,
    HelpRequest,
    HelpState,
    MerchantAccountEntry,
    Violation,
)
from disputes.models.help_requests import CLOSABLE_STATES, OPEN_STATES
from disputes.services.force_majeure import help_force_majeure_decide
from disputes.services.help_requests import (
    help_request_close,
    help_request_give_solution,
    help_request_mark_resolved,
    help_request_record_followup,
    help_request_rule_objection,
)

AT_RISK_POLICY = "help.at_risk_before"

# Badge colours: amber when a deadline is near, red once it passed, grey otherwise.
_BADGE_STYLE = {
    "amber": "background:#f5a623;color:#1a1a1a",
    "red": "background:#ba2121;color:#fff",
    "grey": "background:#e8e8e8;color:#333",
    "green": "background:#2e7d32;color:#fff",
}


def _badge(colour: str, text: str, title: str = "") -> SafeString:
    return format_html(
        '<span style="{};padding:1px 7px;border-radius:9px;white-space:nowrap;font-size:11px" title="{}">{}</span>',
        _BADGE_STYLE[colour],
        title,
        text,
    )


# Queue arithmetic: pure functions of the stored deadlines, so a list page needs no per-row query.


def at_risk_window() -> timedelta:
    """How long before a deadline a request counts as at risk (policy help.at_risk_before)."""
    return policy_table.load(AT_RISK_POLICY).duration(AT_RISK_POLICY)


def next_deadline(obj: HelpRequest) -> tuple[datetime, str] | None:
    """The deadline the responsible party must meet next, or None when no clock is running."""
    if obj.state == HelpState.DISPATCHED and obj.solution_due_at is not None and obj.solution_breached_at is None:
        return obj.solution_due_at, DeadlineKind.SOLUTION
    if obj.state in OPEN_STATES and obj.resolution_breached_at is None:
        return obj.resolution_due_at, DeadlineKind.RESOLUTION
    return None


def at_risk_q(now: datetime, window: timedelta) -> Q:
    """Open requests whose running deadline falls within `window` from now (or passed, not yet recorded)."""
    horizon = now + window
    return Q(
        state=HelpState.DISPATCHED,
        solution_breached_at__isnull=True,
        solution_due_at__lte=horizon,
    ) | Q(
        state__in=OPEN_STATES,
        resolution_breached_at__isnull=True,
        resolution_due_at__lte=horizon,
    )


def deadline_badge(obj: HelpRequest, *, now: datetime, window: timedelta) -> str:
    found = next_deadline(obj)
    if found is None:
        return "-"
    due, kind = found
    which = gettext("1h") if kind == DeadlineKind.SOLUTION else gettext("48h")
    title = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    if due <= now:
        text = gettext("%(which)s overdue %(duration)s") % {"which": which, "duration": format_duration(now - due)}
        return _badge("red", text, title)
    text = gettext("%(which)s due in %(duration)s") % {"which": which, "duration": format_duration(due - now)}
    return _badge("amber" if due - now <= window else "grey", text, title)


def breach_badges(obj: HelpRequest, *, now: datetime) -> str:
    badges = []
    for kind, at in ((gettext("1h"), obj.solution_breached_at), (gettext("48h"), obj.resolution_breached_at)):
        if at is not None:
            text = gettext("%(which)s breached %(duration)s ago") % {
                "which": kind,
                "duration": format_duration(now - at),
            }
            badges.append(_badge("red", text, timezone.localtime(at).strftime("%Y-%m-%d %H:%M")))
    if not badges:
        return "-"
    return format_html_join(" ", "{}", ((b,) for b in badges))


class QueueFilter(admin.SimpleListFilter):
    """The staff's daily queues, each one indexed range or flag query."""

    title = _("queue")
    parameter_name = "queue"

    AWAITING = "awaiting_solution"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    FORCE_MAJEURE = "force_majeure"
    OBJECTIONS = "objections"
    FOLLOWUP = "followup"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (self.AWAITING, _("Awaiting solution")),
            (self.AT_RISK, _("At risk: deadline due soon")),
            (self.BREACHED, _("Deadline breached")),
            (self.FORCE_MAJEURE, _("Force-majeure claims to decide")),
            (self.OBJECTIONS, _("Buyer objections to rule on")),
            (self.FOLLOWUP, _("48-hour follow-up")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[HelpRequest]) -> QuerySet[HelpRequest] | None:
        value = self.value()
        if value == self.AWAITING:
            return queryset.filter(state=HelpState.DISPATCHED)
        if value == self.AT_RISK:
            return queryset.filter(at_risk_q(timezone.now(), at_risk_window()))
        if value == self.BREACHED:
            return queryset.filter(Q(solution_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False))
        if value == self.FORCE_MAJEURE:
            pending = ForceMajeureClaim.objects.filter(help_request=OuterRef("pk"), status=ClaimStatus.PENDING)
            return queryset.filter(Exists(pending))
        if value == self.OBJECTIONS:
            return queryset.filter(state=HelpState.UNDER_REVIEW)
        if value == self.FOLLOWUP:
            return queryset.filter(followup_queued_at__isnull=False, followup_done_at__isnull=True)
        return None


# Forms for the transition buttons.


class SolutionForm(forms.Form):
    text = forms.CharField(
        label=_("solution"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("What the merchant or provider told the buyer by phone."),
    )
    appointment_at = forms.SplitDateTimeField(
        label=_("appointment at"), required=False, widget=AdminSplitDateTime, help_text=_("Optional; Beijing time.")
    )


class ResolutionForm(forms.Form):
    note = forms.CharField(
        label=_("resolution note"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("How the problem was resolved, as reported by phone."),
    )


# Inlines on the case page.


class StateLogInline(ReadOnlyInlineMixin, GenericTabularInline):
    """The transition history (django-fsm-log): who did what, when, and why."""

    model = StateLog
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("timestamp", "transition", "source_state_label", "state_label", "by", "description")
    readonly_fields = fields
    verbose_name = _("transition")
    verbose_name_plural = _("transition history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StateLog]:
        return super().get_queryset(request).select_related("by").order_by("timestamp", "id")

    @admin.display(description=_("from"))
    def source_state_label(self, obj: StateLog) -> str:
        return _state_label(obj.source_state)

    @admin.display(description=_("to"))
    def state_label(self, obj: StateLog) -> str:
        return _state_label(obj.state)


def _state_label(value: str | None) -> str:
    if not value:
        return "-"
    return str(dict(HelpState.choices).get(value, value))


class _LedgerSourceInline(ReadOnlyInlineMixin, GenericTabularInline):
    """Ledger entries whose source is this case (penalties credited and charged)."""

    ct_field = "source_type"
    ct_fk_field = "source_id"
    account = ""

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["occurred_at", self.account, "kind", "amount", "memo", "idempotency_key", "created_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related(self.account, "created_by").order_by("occurred_at", "id")


class BuyerPointsSourceInline(_LedgerSourceInline):
    model = BuyerPointsEntry
    account = "buyer"


class MerchantAccountSourceInline(_LedgerSourceInline):
    model = MerchantAccountEntry
    account = "merchant"


def evidence_links(evidence: Any) -> str:
    links = [
        (reverse("admin:disputes_forcemajeureevidence_download", args=[e.pk]), e.original_name, e.size)
        for e in evidence
    ]
    if not links:
        return "-"
    return format_html_join(", ", '<a href="{}">{}</a> ({} B)', links)


class ForceMajeureClaimInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ForceMajeureClaim
    fields = ("deadline", "category", "status", "note", "evidence_files", "claimed_at", "decided_by", "decision_reason")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[ForceMajeureClaim]:
        return super().get_queryset(request).select_related("decided_by").prefetch_related("evidence")

    @admin.display(description=_("evidence"))
    def evidence_files(self, obj: ForceMajeureClaim) -> str:
        return evidence_links(obj.evidence.all())


class ViolationInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Violation
    fields = ("kind", "deadline", "status", "occurred_at", "compensation_points", "penalty_basis", "score_points")
    readonly_fields = fields
    show_change_link = True


@dataclass(frozen=True)
class _Clock:
    """`now` and the at-risk window, read once per list page."""

    now: datetime
    window: timedelta


@admin.register(HelpRequest)
class HelpRequestAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """The daily queue. Every field is read-only; work happens through the buttons, which call services."""

    base_list_display = ("number", "state", "service_kind", "merchant", "order_no", "buyer_phone", "raised_at")
    list_display = base_list_display
    list_filter = (QueueFilter, "state", "service_kind", ("merchant", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=order_item__order__order_no", "=buyer__phone", "buyer__nickname", "merchant__shop_name")
    list_select_related = ("merchant", "buyer", "order_item__order")
    date_hierarchy = "raised_at"
    show_full_result_count = False  # one count query fewer on a large table
    inlines = (
        StateLogInline,
        ForceMajeureClaimInline,
        ViolationInline,
        BuyerPointsSourceInline,
        MerchantAccountSourceInline,
    )
    readonly_fields = ("number", "deadline_status", "breaches", "order_no", "buyer_phone")
    fieldsets = (
        (
            _("Case"),
            {
                "fields": (
                    ("number", "state"),
                    ("buyer", "buyer_phone"),
                    ("merchant", "provider"),
                    ("order_no", "order_item"),
                    ("service_kind", "anomaly_kind"),
                    "description",
                    "item_price_fen",
                )
            },
        ),
        (
            _("Clocks"),
            {
                "fields": (
                    ("deadline_status", "breaches"),
                    ("raised_at", "dispatch_at", "dispatched_at", "cancelled_at"),
                    ("solution_due_at", "solution_breached_at"),
                    ("resolution_due_at", "resolution_breached_at"),
                )
            },
        ),
        (_("Solution"), {"fields": ("solution_text", ("appointment_at", "solution_given_at"))}),
        (
            _("Resolution"),
            {"fields": ("resolution_note", ("resolved_at", "confirm_due_at", "confirmed_at"), "closed_at")},
        ),
        (_("Buyer objection"), {"fields": ("objection_text", "objected_at")}),
        (_("48-hour follow-up"), {"fields": (("followup_queued_at", "followup_done_at"), "followup_note")}),
    )
    change_actions = (
        "give_solution",
        "mark_resolved",
        "rule_resolved",
        "rule_not_resolved",
        "close",
        "record_followup",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[HelpRequest]:
        # The case page shows the order item (its __str__ reads order and product) and every party.
        return (
            super()
            .get_queryset(request)
            .select_related("merchant", "buyer", "provider", "order_item__order", "order_item__product")
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        # Staff read case numbers aloud as "HR-123".
        term = search_term.strip().upper()
        if term.startswith("HR-") and term[3:].isdigit():
            return queryset.filter(pk=int(term[3:])), False
        return super().get_search_results(request, queryset, search_term)

    def _clock(self, request: HttpRequest) -> _Clock:
        clock = getattr(request, "_help_queue_clock", None)
        if clock is None:
            clock = _Clock(now=timezone.now(), window=at_risk_window())
            request._help_queue_clock = clock  # type: ignore[attr-defined]
        return clock

    def get_list_display(self, request: HttpRequest) -> tuple[Any, ...]:
        # Columns that need `now` and the at-risk policy are bound per request (read once, not per row).
        # Cached on the request: the admin asks twice and compares the columns by identity.
        cached = getattr(request, "_help_queue_columns", None)
        if cached is not None:
            return cached
        clock = self._clock(request)

        @admin.display(description=_("next deadline"), ordering="resolution_due_at")
        def next_deadline_column(obj: HelpRequest) -> str:
            return deadline_badge(obj, now=clock.now, window=clock.window)

        @admin.display(description=_("breaches"))
        def breaches_column(obj: HelpRequest) -> str:
            return breach_badges(obj, now=clock.now)

        columns = (*self.base_list_display, next_deadline_column, breaches_column)
        request._help_queue_columns = columns  # type: ignore[attr-defined]
        return columns

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: HelpRequest) -> str:
        return obj.number

    @admin.display(description=_("order number"), ordering="order_item__order__order_no")
    def order_no(self, obj: HelpRequest) -> str:
        return obj.order_item.order.order_no

    @admin.display(description=_("buyer phone"))
    def buyer_phone(self, obj: HelpRequest) -> str:
        return obj.buyer.phone

    @admin.display(description=_("next deadline"))
    def deadline_status(self, obj: HelpRequest) -> str:
        return deadline_badge(obj, now=timezone.now(), window=at_risk_window())

    @admin.display(description=_("breaches"))
    def breaches(self, obj: HelpRequest) -> str:
        return breach_badges(obj, now=timezone.now())

    # Buttons: each opens a short form and calls one service as request.user.

    @service_action(
        label=_("Record solution (by phone)"),
        description=_("Record a solution the merchant or provider gave by phone; stops the 1-hour clock."),
        permission="disputes.record_solution_helprequest",
        applies=lambda obj: obj.state == HelpState.DISPATCHED,
    )
    def give_solution(self, request: HttpRequest, obj: HelpRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="give_solution",
            form_class=SolutionForm,
            call=lambda data: help_request_give_solution(
                actor=request.user, request_id=obj.pk, text=data["text"], appointment_at=data["appointment_at"]
            ),
            success=_("Solution recorded."),
        )

    @service_action(
        label=_("Record resolved"),
        description=_("Record that the problem was resolved; stops the 48-hour clock and asks the buyer to confirm."),
        permission="disputes.record_solution_helprequest",
        applies=lambda obj: obj.state in OPEN_STATES,
    )
    def mark_resolved(self, request: HttpRequest, obj: HelpRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="mark_resolved",
            form_class=ResolutionForm,
            call=lambda data: help_request_mark_resolved(actor=request.user, request_id=obj.pk, note=data["note"]),
            success=_("Marked resolved; the buyer is asked to confirm."),
        )

    @service_action(
        label=_("Rule: resolved"),
        description=_("The buyer's objection is rejected: the problem was resolved. Final."),
        permission="disputes.rule_objection_helprequest",
        applies=lambda obj: obj.state == HelpState.UNDER_REVIEW,
    )
    def rule_resolved(self, request: HttpRequest, obj: HelpRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="rule_resolved",
            form_class=ReasonForm,
            call=lambda data: help_request_rule_objection(
                actor=request.user, request_id=obj.pk, resolved=True, reason=data["reason"]
            ),
            success=_("Ruled resolved: the request is closed as resolved."),
            intro=obj.objection_text,
        )

    @service_action(
        label=_("Rule: not resolved"),
        description=_("The buyer's objection is upheld: the request reopens and its 48-hour clock runs again."),
        permission="disputes.rule_objection_helprequest",
        applies=lambda obj: obj.state == HelpState.UNDER_REVIEW,
    )
    def rule_not_resolved(self, request: HttpRequest, obj: HelpRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="rule_not_resolved",
            form_class=ReasonForm,
            call=lambda data: help_request_rule_objection(
                actor=request.user, request_id=obj.pk, resolved=False, reason=data["reason"]
            ),
            success=_("Ruled not resolved: the request is reopened."),
            intro=obj.objection_text,
        )

    @service_action(
        label=_("Close"),
        description=_("Close a request that needs no more work, e.g. the buyer withdrew by phone."),
        permission="disputes.rule_objection_helprequest",
        applies=lambda obj: obj.state in CLOSABLE_STATES,
    )
    def close(self, request: HttpRequest, obj: HelpRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="close",
            form_class=ReasonForm,
            call=lambda data: help_request_close(actor=request.user, request_id=obj.pk, reason=data["reason"]),
            success=_("Request closed."),
        )

    @service_action(
        label=_("Record follow-up"),
        description=_("Record the 48-hour follow-up call with the buyer; the request leaves the follow-up queue."),
        permission="disputes.record_solution_helprequest",
        applies=lambda obj: obj.followup_queued_at is not None and obj.followup_done_at is None,
    )
    def record_followup(self, request: HttpRequest, obj: HelpRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="record_followup",
            form_class=NoteForm,
            call=lambda data: help_request_record_followup(actor=request.user, request_id=obj.pk, note=data["note"]),
            success=_("Follow-up recorded."),
        )


class ForceMajeureEvidenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ForceMajeureEvidence
    fields = ("download", "content_type", "size", "uploaded_at", "uploaded_by")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ForceMajeureEvidence]:
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def download(self, obj: ForceMajeureEvidence) -> str:
        return evidence_links([obj])


@admin.register(ForceMajeureClaim)
class ForceMajeureClaimAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """Pending claims first; senior staff approve (penalty voided) or reject (penalty credited)."""

    list_display = (
        "__str__",
        "merchant",
        "order_no",
        "deadline",
        "category",
        "status",
        "claimed_at",
        "deadline_at",
        "evidence_count",
        "decided_by",
    )
    list_filter = ("status", "deadline", "category")
    search_fields = (
        "=help_request__order_item__order__order_no",
        "=help_request__buyer__phone",
        "help_request__merchant__shop_name",
    )
    list_select_related = ("help_request__merchant", "help_request__order_item__order", "decided_by")
    date_hierarchy = "claimed_at"
    inlines = (ForceMajeureEvidenceInline,)
    change_actions = ("approve", "reject")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ForceMajeureClaim]:
        return (
            super()
            .get_queryset(request)
            .select_related("help_request__merchant", "help_request__order_item__order", "claimed_by", "decided_by")
            .annotate(evidence_total=Count("evidence"))
        )

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # The queue: undecided claims first, oldest first (each holds a penalty); then the latest decisions.
        return [F("decided_at").desc(nulls_first=True), "claimed_at"]

    @admin.display(description=_("merchant"), ordering="help_request__merchant__shop_name")
    def merchant(self, obj: ForceMajeureClaim) -> str:
        return str(obj.help_request.merchant)

    @admin.display(description=_("order number"))
    def order_no(self, obj: ForceMajeureClaim) -> str:
        return obj.help_request.order_item.order.order_no

    @admin.display(description=_("deadline at"))
    def deadline_at(self, obj: ForceMajeureClaim) -> Any:
        request = obj.help_request
        return request.solution_due_at if obj.deadline == DeadlineKind.SOLUTION else request.resolution_due_at

    @admin.display(description=_("evidence files"), ordering="evidence_total")
    def evidence_count(self, obj: ForceMajeureClaim) -> int:
        return obj.evidence_total  # type: ignore[attr-defined]

    @service_action(
        label=_("Approve"),
        description=_("Force majeure accepted: the penalty for this deadline is voided."),
        permission="disputes.decide_forcemajeureclaim",
        applies=lambda obj: obj.status == ClaimStatus.PENDING,
    )
    def approve(self, request: HttpRequest, obj: ForceMajeureClaim) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="approve",
            form_class=ReasonForm,
            call=lambda data: help_force_majeure_decide(
                actor=request.user, claim_id=obj.pk, approve=True, reason=data["reason"]
            ),
            success=_("Claim approved: the penalty is voided."),
            intro=obj.note,
        )

    @service_action(
        label=_("Reject"),
        description=_("Force majeure refused: the penalty is credited to the buyer, dated at the miss."),
        permission="disputes.decide_forcemajeureclaim",
        applies=lambda obj: obj.status == ClaimStatus.PENDING,
    )
    def reject(self, request: HttpRequest, obj: ForceMajeureClaim) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="reject",
            form_class=ReasonForm,
            call=lambda data: help_force_majeure_decide(
                actor=request.user, claim_id=obj.pk, approve=False, reason=data["reason"]
            ),
            success=_("Claim rejected: the penalty is credited if the deadline was missed."),
            intro=obj.note,
        )


@admin.register(ForceMajeureEvidence)
class ForceMajeureEvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Evidence files; they live outside any web root and download only through the view below."""

    list_display = ("original_name", "claim", "content_type", "size", "uploaded_at", "uploaded_by", "download")
    list_filter = ("content_type",)
    search_fields = ("original_name", "=claim__help_request__order_item__order__order_no")
    list_select_related = ("claim__help_request", "uploaded_by")
    date_hierarchy = "uploaded_at"
    readonly_fields = ("download",)
    exclude = ("file",)  # the storage path is an internal detail; staff use the download link

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "file"]

    @admin.display(description=_("download"))
    def download(self, obj: ForceMajeureEvidence) -> str:
        return evidence_links([obj])

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:evidence_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="disputes_forcemajeureevidence_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, evidence_id: int) -> HttpResponse:
        """Stream one evidence file to staff who may view evidence, always as a download."""
        evidence = get_object_or_404(ForceMajeureEvidence, pk=evidence_id)
        if not self.has_view_permission(request, evidence):
            raise PermissionDenied
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise Http404(gettext("The evidence file is missing from storage.")) from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.content_type or "application/octet-stream",
        )
        # Uploaded bytes never run in the back office's origin: no sniffing, no scripts, no framing.
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response
