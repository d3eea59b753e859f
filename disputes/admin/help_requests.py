"""Admin for one-click help (一键求助): the staff queue with its deadline badges, the case page, and its buttons
(declared once, shown when the state machine allows the step; disputes.admin.buttons)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db.models import Case, DateTimeField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes.admin.buttons import Button, ServiceActionsAdmin
from disputes.admin.explanations import deadlines_panel
from disputes.admin.force_majeure import ForceMajeureClaimInline
from disputes.admin.helpers import (
    MAX_TEXT,
    NoteForm,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ReasonForm,
    admin_change_url,
    badge,
    format_duration,
)
from disputes.admin.history import BuyerPointsSourceInline, MerchantAccountSourceInline, StateLogInline
from disputes.deadlines import missed
from disputes.models import ClaimStatus, DeadlineKind, ForceMajeureClaim, HelpRequest, HelpState, Violation
from disputes.models.help_requests import CLOSABLE_STATES, RUNNING_DEADLINE
from disputes.selectors.help_requests import at_risk_q, at_risk_window, next_deadline
from disputes.services.help_requests import (
    help_request_close,
    help_request_give_solution,
    help_request_mark_resolved,
    help_request_record_followup,
    help_request_rule_objection,
)

# The queue's default order (HelpRequestAdmin.get_ordering): open and breached, then the deadline that runs.
URGENCY = {
    "open_breach": Case(
        When(
            Q(state__in=CLOSABLE_STATES)
            & (Q(solution_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)),
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    ),
    "running_due": Case(
        When(RUNNING_DEADLINE[DeadlineKind.SOLUTION], then=F("solution_due_at")),
        When(RUNNING_DEADLINE[DeadlineKind.RESOLUTION], then=F("resolution_due_at")),
        default=None,
        output_field=DateTimeField(),
    ),
}

# Badges: pure functions of the stored deadlines, so a list page needs no per-row query.


def deadline_badge(obj: HelpRequest, *, now: datetime, window: timedelta) -> str:
    found = next_deadline(obj)
    if found is None:
        return "-"
    due, kind = found
    which = gettext("1h") if kind == DeadlineKind.SOLUTION else gettext("48h")
    title = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    if missed(due, now):
        text = gettext("%(which)s overdue %(duration)s") % {"which": which, "duration": format_duration(now - due)}
        return badge("red", text, title)
    text = gettext("%(which)s due in %(duration)s") % {"which": which, "duration": format_duration(due - now)}
    return badge("amber" if due - now <= window else "grey", text, title)


def breach_badges(obj: HelpRequest, *, now: datetime) -> str:
    badges = []
    for kind, at in ((gettext("1h"), obj.solution_breached_at), (gettext("48h"), obj.resolution_breached_at)):
        if at is not None:
            text = gettext("%(which)s breached %(duration)s ago") % {
                "which": kind,
                "duration": format_duration(now - at),
            }
            badges.append(badge("red", text, timezone.localtime(at).strftime("%Y-%m-%d %H:%M")))
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


# Forms for the buttons.


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


class ViolationInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Violation
    # Of any length: CaseViolationInline shows other columns.
    fields: ClassVar[tuple[str, ...]] = (
        "kind",
        "deadline",
        "status",
        "occurred_at",
        "compensation_points",
        "penalty_basis",
        "score_points",
    )
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

    base_list_display = ("number", "state", "service_kind", "merchant", "order_no", "buyer_phone", "raised")
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
    readonly_fields = (
        "number",
        "deadline_status",
        "breaches",
        "order_no",
        "buyer_phone",
        "merchant_phone",
        "provider_phone",
        "force_majeure",
        "explanation",
    )
    fieldsets = (
        (
            _("Case"),
            {
                "fields": (
                    ("number", "state"),
                    "force_majeure",
                    ("buyer", "buyer_phone"),
                    ("merchant", "merchant_phone"),
                    ("provider", "provider_phone"),
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
        (_("Explanation"), {"fields": ("explanation",)}),
        (_("Solution"), {"fields": ("solution_text", ("appointment_at", "solution_given_at"))}),
        (
            _("Resolution"),
            {"fields": ("resolution_note", ("resolved_at", "confirm_due_at", "confirmed_at"), "closed_at")},
        ),
        (_("Buyer objection"), {"fields": ("objection_text", "objected_at")}),
        (_("48-hour follow-up"), {"fields": (("followup_queued_at", "followup_done_at"), "followup_note")}),
    )
    buttons = (
        Button(
            name="give_solution",
            label=_("Record solution (by phone)"),
            description=_("Record a solution the merchant or provider gave by phone; stops the 1-hour clock."),
            steps=("give_solution",),
            form=SolutionForm,
            call=lambda actor, obj, data: help_request_give_solution(
                actor=actor, request_id=obj.pk, text=data["text"], appointment_at=data["appointment_at"]
            ),
            success=_("Solution recorded."),
        ),
        Button(
            name="mark_resolved",
            label=_("Record resolved"),
            description=_(
                "Record that the problem was resolved; stops the 48-hour clock and asks the buyer to confirm."
            ),
            steps=("mark_resolved",),
            form=ResolutionForm,
            call=lambda actor, obj, data: help_request_mark_resolved(actor=actor, request_id=obj.pk, note=data["note"]),
            success=_("Marked resolved; the buyer is asked to confirm."),
        ),
        Button(
            name="rule_resolved",
            label=_("Rule: resolved"),
            description=_("The buyer's objection is rejected: the problem was resolved. Final."),
            steps=("uphold_resolution",),
            form=ReasonForm,
            call=lambda actor, obj, data: help_request_rule_objection(
                actor=actor, request_id=obj.pk, resolved=True, reason=data["reason"]
            ),
            success=_("Ruled resolved: the request is closed as resolved."),
            intro=lambda obj: obj.objection_text,
        ),
        Button(
            name="rule_not_resolved",
            label=_("Rule: not resolved"),
            description=_("The buyer's objection is upheld: the request reopens and its 48-hour clock runs again."),
            steps=("reopen",),
            form=ReasonForm,
            call=lambda actor, obj, data: help_request_rule_objection(
                actor=actor, request_id=obj.pk, resolved=False, reason=data["reason"]
            ),
            success=_("Ruled not resolved: the request is reopened."),
            intro=lambda obj: obj.objection_text,
        ),
        Button(
            name="close",
            # Not plain "Close": the page's own button below closes the page (关闭), this one closes the request.
            label=_("Close request"),
            description=_("Close a request that needs no more work, e.g. the buyer withdrew by phone."),
            steps=("close",),
            form=ReasonForm,
            call=lambda actor, obj, data: help_request_close(actor=actor, request_id=obj.pk, reason=data["reason"]),
            success=_("Request closed."),
        ),
        Button(
            name="record_followup",
            label=_("Record follow-up"),
            description=_("Record the 48-hour follow-up call with the buyer; the request leaves the follow-up queue."),
            steps=("record_followup",),
            form=NoteForm,
            call=lambda actor, obj, data: help_request_record_followup(
                actor=actor, request_id=obj.pk, note=data["note"]
            ),
            success=_("Follow-up recorded."),
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[HelpRequest]:
        # The case page shows the order item (its __str__ reads order and product) and every party; the queue
        # sorts by urgency (URGENCY).
        # (ModelAdmin.get_queryset orders before anything can annotate, so the ordering is applied here.)
        queryset = (
            self.model._default_manager.get_queryset()
            .select_related("merchant", "buyer", "provider", "order_item__order", "order_item__product")
            .annotate(**URGENCY)
        )
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Most urgent first: an open request already breached, then the running deadline soonest (overdue ones
        # first), then the rest newest first. A column header click still sorts by that column.
        return ["-open_breach", F("running_due").asc(nulls_last=True), "-raised_at"]

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
            request._help_queue_clock = clock  # type: ignore[attr-defined]  # per-request cache
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
        request._help_queue_columns = columns  # type: ignore[attr-defined]  # per-request cache
        return columns

    @admin.display(description=_("explanation"))
    def explanation(self, obj: HelpRequest) -> str:
        return deadlines_panel(obj)

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: HelpRequest) -> str:
        return obj.number

    @admin.display(description=_("raised at"), ordering="raised_at")
    def raised(self, obj: HelpRequest) -> str:
        # Month, day and time in a queue column (the year is the date filter's); the full time on hover.
        local = timezone.localtime(obj.raised_at)
        return format_html(
            '<span title="{}">{}</span>', local.strftime("%Y-%m-%d %H:%M:%S"), local.strftime("%m-%d %H:%M")
        )

    @admin.display(description=_("order number"), ordering="order_item__order__order_no")
    def order_no(self, obj: HelpRequest) -> str:
        return obj.order_item.order.order_no

    @admin.display(description=_("buyer phone"))
    def buyer_phone(self, obj: HelpRequest) -> str:
        return obj.buyer.phone

    # Staff recording a solution "by phone" call the merchant or the provider: their numbers are on the page.
    @admin.display(description=_("merchant phone"))
    def merchant_phone(self, obj: HelpRequest) -> str:
        return obj.merchant.contact_phone or "-"

    @admin.display(description=_("provider phone"))
    def provider_phone(self, obj: HelpRequest) -> str:
        if obj.provider is None:
            return "-"
        return obj.provider.contact_phone or "-"

    @admin.display(description=_("force-majeure claims"))
    def force_majeure(self, obj: HelpRequest) -> str:
        """At the top of the page, so a pending claim is not found at the bottom: each claim with a link to decide
        it."""
        claims = list(obj.force_majeure_claims.order_by("claimed_at"))
        if not claims:
            return "-"
        return format_html_join(
            " ",
            '<a href="{}">{}</a>',
            (
                (
                    admin_change_url(ForceMajeureClaim, claim.pk),
                    badge(
                        "amber" if claim.status == ClaimStatus.PENDING else "grey",
                        f"{claim.get_deadline_display()} · {claim.get_category_display()} · "
                        f"{claim.get_status_display()}",
                    ),
                )
                for claim in claims
            ),
        )

    @admin.display(description=_("next deadline"))
    def deadline_status(self, obj: HelpRequest) -> str:
        return deadline_badge(obj, now=timezone.now(), window=at_risk_window())

    @admin.display(description=_("breaches"))
    def breaches(self, obj: HelpRequest) -> str:
        return breach_badges(obj, now=timezone.now())
