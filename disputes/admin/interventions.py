"""Admin for platform intervention (客服介入 / 小二介入): the staff queue, the case page and its buttons (declared once,
shown when the state machine allows the step; disputes.admin.buttons), and filing a case for a party by phone."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_object_actions import action as object_action

from disputes.admin.buttons import ServiceActionsAdmin
from disputes.admin.explanations import deadlines_panel
from disputes.admin.helpers import (
    ReadOnlyAdminMixin,
    admin_change_url,
    admin_changelist_url,
    flag_column,
    format_fen,
    render_action_form,
    staff_user,
)
from disputes.admin.history import StateLogInline
from disputes.admin.intervention_buttons import CASE_BUTTONS
from disputes.admin.intervention_forms import (
    FileCaseForm,
)
from disputes.admin.intervention_queue import (
    AssignmentFilter,
    DecisionDeadlineFilter,
    at_risk_window,
    decision_badge,
    evidence_badge,
)
from disputes.admin.intervention_records import (
    AppealInline,
    CaseViolationInline,
    EvidenceItemInline,
    EvidenceRequestInline,
    JudgmentInline,
    MediationProposalInline,
    judgment_ledger_table,
)
from disputes.errors import DomainError
from disputes.models import CaseState, Intervention, RefundRequest, Tier
from disputes.models.interventions.case import WORK
from disputes.models.interventions.choices import OPEN_CASE_STATES
from disputes.services.interventions.opening import intervention_open

__all__ = ["InterventionAdmin", "decision_badge", "evidence_badge"]

# The stages in which a case waits for staff: open, or appealed and waiting for the review.
STAFF_STATES = (*OPEN_CASE_STATES, CaseState.APPEALED)


@dataclass(frozen=True)
class _Clock:
    now: datetime
    window: timedelta


@admin.register(Intervention)
class InterventionAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """The staff queue: express and 小二 cases first, then the decision deadline. Work happens through buttons."""

    base_list_display = (
        "number",
        "state",
        "tier",
        "express_flag",
        "ground",
        "channel",
        "merchant",
        "order_no",
        "buyer_phone",
        "assigned_to",
        "applied_at",
    )
    list_display = base_list_display
    list_filter = (
        "state",
        "tier",
        "express",
        AssignmentFilter,
        DecisionDeadlineFilter,
        "ground",
        "channel",
    )
    search_fields = ("=order_item__order__order_no", "=buyer__phone", "merchant__shop_name")
    list_select_related = ("merchant", "buyer", "order_item__order", "assigned_to")
    date_hierarchy = "applied_at"
    show_full_result_count = False
    inlines = (
        StateLogInline,
        EvidenceItemInline,
        EvidenceRequestInline,
        MediationProposalInline,
        JudgmentInline,
        AppealInline,
        CaseViolationInline,
    )
    readonly_fields = (
        "express_flag",
        "queue_priority",
        "disputed_amount",
        "number",
        "order_no",
        "buyer_phone",
        "refund_link",
        "decision_status",
        "evidence_status",
        "judgment_ledger",
        "explanation",
    )
    fieldsets = (
        (
            _("Case"),
            {
                "fields": (
                    ("number", "state", "tier", "express_flag", "queue_priority"),
                    "disputed_amount",
                    ("buyer", "buyer_phone"),
                    ("merchant", "order_no", "order_item"),
                    "refund_link",
                    ("applicant", "channel", "ground"),
                    "claim",
                )
            },
        ),
        (
            _("Assignment and clocks"),
            {
                "fields": (
                    ("assigned_to", "applied_at", "accepted_at"),
                    ("decision_status", "evidence_status"),
                    ("evidence_due_at", "merchant_answer_due_at"),
                    ("decision_due_at", "decision_at_risk_at", "decision_breached_at"),
                    ("appeal_due_at", "closed_at"),
                )
            },
        ),
        (_("Suspension"), {"fields": (("suspend_reason", "suspended_from", "resume_due_at"),)}),
        (_("Explanation"), {"fields": ("explanation",)}),
        (_("Outcome"), {"fields": ("outcome_note",)}),
        (_("Money moved by the judgments"), {"fields": ("judgment_ledger",)}),
    )
    buttons = CASE_BUTTONS
    changelist_actions = ("file_case",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Intervention]:
        # (ModelAdmin.get_queryset orders before anything can annotate, so the ordering is applied here.)
        queryset = (
            self.model._default_manager.get_queryset()
            .select_related("merchant", "buyer", "order_item__order", "order_item__product", "assigned_to", "refund")
            .annotate(
                needs_staff=Case(
                    When(state__in=STAFF_STATES, then=Value(1)), default=Value(0), output_field=IntegerField()
                )
            )
        )
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Cases that wait for staff first, and among them express and 小二 (priority), then the nearest decision
        # deadline (new cases have none yet); finished cases after, however early their old deadline was.
        return ["-needs_staff", "-priority", F("decision_due_at").asc(nulls_last=True), "applied_at"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        term = search_term.strip().upper()
        if term.startswith("IV-") and term[3:].isdigit():
            return queryset.filter(pk=int(term[3:])), False
        if term.startswith("RF-") and term[3:].isdigit():
            return queryset.filter(refund_id=int(term[3:])), False
        return super().get_search_results(request, queryset, search_term)

    def _clock(self, request: HttpRequest) -> _Clock:
        clock = getattr(request, "_intervention_clock", None)
        if clock is None:
            clock = _Clock(now=timezone.now(), window=at_risk_window())
            request._intervention_clock = clock  # type: ignore[attr-defined]  # per-request cache
        return clock

    def get_list_display(self, request: HttpRequest) -> tuple[Any, ...]:
        # `now` and the at-risk policy are read once per page; cached because the admin asks twice.
        cached = getattr(request, "_intervention_columns", None)
        if cached is not None:
            return cached
        clock = self._clock(request)

        @admin.display(description=_("decision"), ordering="decision_due_at")
        def decision_column(obj: Intervention) -> str:
            return decision_badge(obj, now=clock.now, window=clock.window)

        @admin.display(description=_("evidence"), ordering="evidence_due_at")
        def evidence_column(obj: Intervention) -> str:
            return evidence_badge(obj, now=clock.now, window=clock.window)

        # The clocks right after the stage: at 1440 px the last columns are the ones that may need a scroll.
        number, stage, *rest = self.base_list_display
        columns = (number, stage, decision_column, evidence_column, *rest)
        request._intervention_columns = columns  # type: ignore[attr-defined]  # per-request cache
        return columns

    def get_changelist_actions(self, request: HttpRequest) -> list[str]:
        return ["file_case"] if staff_user(request).has_perm(WORK) else []

    @admin.display(description=_("explanation"))
    def explanation(self, obj: Intervention) -> str:
        return deadlines_panel(obj)

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: Intervention) -> str:
        return obj.number

    express_flag = staticmethod(flag_column(Intervention, "express"))

    @admin.display(description=_("queue priority"), ordering="priority")
    def queue_priority(self, obj: Intervention) -> str:
        if obj.express:
            return gettext("first: an express case")
        if obj.tier == Tier.SENIOR:
            return gettext("second: the senior (小二) tier")
        return gettext("normal")

    @admin.display(description=_("amount in dispute"))
    def disputed_amount(self, obj: Intervention) -> str:
        refund = obj.refund
        if refund is not None and refund.amount_fen:
            return gettext("%(amount)s (the refund asked for; %(paid)s paid for the item)") % {
                "amount": format_fen(refund.amount_fen),
                "paid": format_fen(obj.order_item.amount_paid_fen),
            }
        return gettext("%(paid)s paid for the item") % {"paid": format_fen(obj.order_item.amount_paid_fen)}

    @admin.display(description=_("order number"), ordering="order_item__order__order_no")
    def order_no(self, obj: Intervention) -> str:
        return obj.order_item.order.order_no

    @admin.display(description=_("buyer phone"))
    def buyer_phone(self, obj: Intervention) -> str:
        return obj.buyer.phone

    @admin.display(description=_("refund request"))
    def refund_link(self, obj: Intervention) -> str:
        refund = obj.refund
        if refund is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a> ({})',
            admin_change_url(RefundRequest, refund.pk),
            refund.number,
            refund.get_state_display(),
        )

    @admin.display(description=_("decision deadline"))
    def decision_status(self, obj: Intervention) -> str:
        return decision_badge(obj, now=timezone.now(), window=at_risk_window())

    @admin.display(description=_("evidence deadline"))
    def evidence_status(self, obj: Intervention) -> str:
        return evidence_badge(obj, now=timezone.now(), window=at_risk_window())

    @admin.display(description=_("ledger entries"))
    def judgment_ledger(self, obj: Intervention) -> str:
        return judgment_ledger_table(obj)

    # Filing a case for a party who called or chatted (a changelist button).

    @object_action(
        label=_("File a case for a party"),
        description=_("A party asked by phone or online chat: open an intervention case on their behalf."),
        button_type="a",
        methods=("GET", "POST"),
    )
    def file_case(self, request: HttpRequest, queryset: QuerySet[Intervention]) -> HttpResponse:
        back_url = admin_changelist_url(Intervention)
        actor = staff_user(request)
        if not actor.has_perm(WORK):
            messages.error(request, gettext("You do not have permission to do this."))
            return HttpResponseRedirect(back_url)
        if request.method == "POST":
            form = FileCaseForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    case = intervention_open(
                        actor=actor,
                        ground=data["ground"],
                        claim=data["claim"],
                        order_item_id=data["order_item_id"],
                        refund_id=data["refund_id"],
                        channel=data["channel"],
                        on_behalf_of=data["party"],
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, gettext("Case %(number)s filed.") % {"number": case.number})
                    return HttpResponseRedirect(admin_change_url(Intervention, case.pk))
        else:
            form = FileCaseForm()
        return render_action_form(
            self,
            request,
            form=form,
            title=gettext("File an intervention case for a party"),
            back_url=back_url,
            intro=gettext("The case is recorded as filed by you, for the party, through the channel you name."),
            submit_label=gettext("File the case"),
        )
