"""Admin for platform intervention (客服介入 / 小二介入): the staff queue, case buttons, filing cases by phone."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog
from django_object_actions import action as object_action

from disputes import policies as policy_table
from disputes.admin.help_requests import StateLogInline, ViolationInline
from disputes.admin.helpers import (
    MAX_TEXT,
    ConfirmForm,
    NoteForm,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ReasonForm,
    ServiceActionsAdmin,
    admin_change_url,
    admin_changelist_url,
    badge,
    evidence_file_html,
    evidence_file_response,
    format_duration,
    format_fen,
    render_action_form,
    service_action,
)
from disputes.errors import DomainError
from disputes.models import (
    LEDGER_MODELS,
    Appeal,
    CaseState,
    Channel,
    EvidenceItem,
    EvidenceRequest,
    Ground,
    Intervention,
    Judgment,
    LedgerEntry,
    MediationProposal,
    Order,
    Outcome,
    Party,
    RefundRequest,
    SuspendReason,
    Tier,
    ViolationKind,
)
from disputes.models.interventions import OPEN_CASE_STATES, WORKING_STATES
from disputes.services.interventions import MAX_TEXT as CASE_TEXT
from disputes.services.interventions import (
    intervention_accept,
    intervention_assign,
    intervention_escalate,
    intervention_judge,
    intervention_open,
    intervention_propose,
    intervention_record_proof,
    intervention_refuse,
    intervention_request_evidence,
    intervention_resume,
    intervention_review,
    intervention_start_mediation,
    intervention_suspend,
    intervention_withdraw,
)

WORK = "disputes.work_intervention"
ASSIGN = "disputes.assign_intervention"
REVIEW = "disputes.review_intervention"
AT_RISK_POLICY = "intervention.at_risk_before"
EVIDENCE_DOWNLOAD = "disputes_evidenceitem_download"

PARTY_CHOICES = [(Party.BUYER, Party.BUYER.label), (Party.MERCHANT, Party.MERCHANT.label)]
STAFF_CHANNELS = [(c, c.label) for c in (Channel.PHONE, Channel.ONLINE_CHAT, Channel.SENIOR)]
VIOLATION_CHOICES = [("", _("No violation")), *ViolationKind.choices]
# Buttons a 小二-tier case keeps for senior staff (the service refuses the others for agents, so hide them).
SENIOR_TIER_ACTIONS = frozenset(
    {
        "accept",
        "escalate",
        "refuse",
        "request_evidence",
        "start_mediation",
        "propose",
        "judge",
        "suspend",
        "record_proof",
        "resume",
    }
)


# Queue arithmetic: pure functions of the stored deadlines, so the list needs no per-row query.


def at_risk_window() -> timedelta:
    """How long before the decision deadline a case counts as at risk (policy intervention.at_risk_before)."""
    return policy_table.load(AT_RISK_POLICY).duration(AT_RISK_POLICY)


def decision_breached_q(now: datetime) -> Q:
    """Cases whose decision deadline passed: flagged by the sweep, or past due and still undecided."""
    return Q(decision_breached_at__isnull=False) | Q(state__in=WORKING_STATES, decision_due_at__lte=now)


def decision_at_risk_q(now: datetime, window: timedelta) -> Q:
    """Undecided cases whose decision deadline is near (within the policy window, or flagged by the sweep)."""
    return Q(
        state__in=WORKING_STATES,
        decision_breached_at__isnull=True,
        decision_due_at__gt=now,
    ) & (Q(decision_at_risk_at__isnull=False) | Q(decision_due_at__lte=now + window))


def decision_badge(case: Intervention, *, now: datetime, window: timedelta) -> str:
    """Countdown to the 6-working-day decision: amber when at risk, red once missed."""
    due = case.decision_due_at
    if due is None:
        return "-"
    title = f"{timezone.localtime(due):%Y-%m-%d %H:%M}"
    if case.state not in WORKING_STATES:
        if case.decision_breached_at is not None:
            return badge("red", gettext("decision deadline was missed"), title)
        if case.state == CaseState.SUSPENDED:
            return badge("grey", gettext("suspended"), title)
        return "-"
    if case.decision_breached_at is not None or due <= now:
        text = gettext("decision overdue %(duration)s") % {"duration": format_duration(now - due)}
        return badge("red", text, title)
    text = gettext("decide in %(duration)s") % {"duration": format_duration(due - now)}
    at_risk = case.decision_at_risk_at is not None or due - now <= window
    return badge("amber" if at_risk else "grey", text, title)


def evidence_badge(case: Intervention, *, now: datetime, window: timedelta) -> str:
    """The evidence window (and the merchant's 24 h answer) while the case is in evidence."""
    if case.state != CaseState.EVIDENCE or case.evidence_due_at is None:
        return "-"
    badges = []
    due = case.evidence_due_at
    title = f"{timezone.localtime(due):%Y-%m-%d %H:%M}"
    if due <= now:
        badges.append(badge("grey", gettext("evidence window closed"), title))
    else:
        text = gettext("evidence closes in %(duration)s") % {"duration": format_duration(due - now)}
        badges.append(badge("amber" if due - now <= window else "grey", text, title))
    answer = case.merchant_answer_due_at
    if answer is not None and answer > now:
        text = gettext("merchant answers in %(duration)s") % {"duration": format_duration(answer - now)}
        badges.append(badge("amber", text, f"{timezone.localtime(answer):%Y-%m-%d %H:%M}"))
    return format_html_join(" ", "{}", ((b,) for b in badges))


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assignment")
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("me", _("Assigned to me")), ("unassigned", _("Unassigned open cases"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Intervention]) -> QuerySet[Intervention] | None:
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assigned_to__isnull=True, state__in=OPEN_CASE_STATES)
        return None


class DecisionDeadlineFilter(admin.SimpleListFilter):
    title = _("decision deadline")
    parameter_name = "decision"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("at_risk", _("At risk")), ("breached", _("Breached"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Intervention]) -> QuerySet[Intervention] | None:
        if self.value() == "at_risk":
            return queryset.filter(decision_at_risk_q(timezone.now(), at_risk_window()))
        if self.value() == "breached":
            return queryset.filter(decision_breached_q(timezone.now()))
        return None


# Short forms for the buttons.


def intervention_staff() -> QuerySet[Any]:
    """Active staff who may work intervention cases (through a group, directly, or as superusers)."""
    perm = Permission.objects.filter(content_type__app_label="disputes", codename="work_intervention").first()
    holders = Q(is_superuser=True)
    if perm is not None:
        holders |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    return get_user_model().objects.filter(holders, is_active=True, is_staff=True).distinct().order_by("username")


class AssignForm(forms.Form):
    assign_to = forms.ModelChoiceField(label=_("agent"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assign_to"].queryset = intervention_staff()


def _text_field(
    label: Any, *, rows: int = 3, required: bool = True, help_text: Any = "", max_length: int = CASE_TEXT
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "cols": 60}),
    )


# Amounts left empty mean zero; the service checks what each outcome needs.
def _refund_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("refund (fen)"),
        min_value=0,
        initial=0,
        required=False,
        help_text=_("100 fen = 1 元. 0 on a full refund: the amount of the refund request."),
    )


def _points_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("compensation (points)"), min_value=0, initial=0, required=False, help_text=_("100 points = 1 元.")
    )


class RequestEvidenceForm(forms.Form):
    party = forms.ChoiceField(label=_("ask"), choices=PARTY_CHOICES)
    note = _text_field(_("what is needed"), max_length=MAX_TEXT)
    due_at = forms.SplitDateTimeField(label=_("due at"), widget=AdminSplitDateTime, help_text=_("Beijing time."))


class ProposeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    refund_fen = _refund_field()
    compensation_points = _points_field()
    terms = _text_field(_("terms"), rows=4, max_length=MAX_TEXT)


class JudgeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    refund_fen = _refund_field()
    compensation_points = _points_field()
    violation_kind = forms.ChoiceField(label=_("violation to record"), choices=VIOLATION_CHOICES, required=False)
    reasons = _text_field(_("reasons"), rows=5)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("review"),
        choices=[("confirm", _("Confirm the judgment")), ("overturn", _("Overturn it"))],
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("new outcome"),
        choices=[("", "---------"), *Outcome.choices],
        required=False,
        help_text=_("Overturn only."),
    )
    refund_fen = _refund_field()
    compensation_points = _points_field()
    violation_kind = forms.ChoiceField(label=_("violation to record"), choices=VIOLATION_CHOICES, required=False)
    reasons = _text_field(_("reasons"), rows=5)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "overturn" and not data.get("outcome"):
            self.add_error("outcome", _("An overturn states the new outcome."))
        return data


class SuspendForm(forms.Form):
    reason = forms.ChoiceField(label=_("why"), choices=SuspendReason.choices)
    note = _text_field(_("note"), max_length=MAX_TEXT)


class FileCaseForm(forms.Form):
    """A case staff file for a party who called or chatted: name the order or the refund, then the claim."""

    order_no = forms.CharField(label=_("order number"), max_length=40, required=False)
    refund = forms.CharField(label=_("refund request"), max_length=20, required=False, help_text=_("RF-123 or 123."))
    party = forms.ChoiceField(label=_("on behalf of"), choices=PARTY_CHOICES)
    channel = forms.ChoiceField(label=_("channel"), choices=STAFF_CHANNELS)
    ground = forms.ChoiceField(label=_("ground"), choices=Ground.choices)
    claim = _text_field(
        pgettext_lazy("what a party asks for", "claim"), rows=5, help_text=_("What the party asks for, in their words.")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        order_no, refund = (data.get("order_no") or "").strip(), (data.get("refund") or "").strip().upper()
        data["order_item_id"] = data["refund_id"] = None
        if bool(order_no) == bool(refund):
            raise forms.ValidationError(_("Give either the order number or the refund request, not both."))
        if refund:
            number = refund.removeprefix("RF-")
            if not number.isdigit():
                self.add_error("refund", _("A refund request number looks like RF-123."))
            elif not RefundRequest.objects.filter(pk=int(number)).exists():
                self.add_error("refund", _("No such refund request."))
            else:
                data["refund_id"] = int(number)
            return data
        order = Order.objects.filter(order_no=order_no).first()
        items = list(order.items.values_list("pk", flat=True)) if order is not None else []
        if not items:
            self.add_error("order_no", _("No such order."))
        elif len(items) > 1:
            self.add_error("order_no", _("The order has several items: file the case on the item's refund request."))
        else:
            data["order_item_id"] = items[0]
        return data


# Inlines on the case page.


class CaseStateLogInline(StateLogInline):
    @admin.display(description=_("from"))
    def source_state_label(self, obj: StateLog) -> str:
        return _case_state_label(obj.source_state)

    @admin.display(description=_("to"))
    def state_label(self, obj: StateLog) -> str:
        return _case_state_label(obj.state)


def _case_state_label(value: str | None) -> str:
    if not value:
        return "-"
    return str(dict(CaseState.choices).get(value, value))


def evidence_content(item: EvidenceItem) -> str:
    """Text shown as it is; a file as a download link, an image also as a thumbnail."""
    if item.file:
        html = evidence_file_html(item, url_name=EVIDENCE_DOWNLOAD)
        return format_html("{}<br>{}", html, item.text) if item.text else html
    return item.text


class EvidenceItemInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = EvidenceItem
    fields = ("party", "content", "content_type", "size", "submitted_at", "submitted_by", "for_appeal")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceItem]:
        return super().get_queryset(request).select_related("submitted_by")

    @admin.display(description=_("evidence"))
    def content(self, obj: EvidenceItem) -> str:
        return evidence_content(obj)


class EvidenceRequestInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = EvidenceRequest
    fields = ("party", "note", "due_at", "requested_at", "requested_by", "fulfilled_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceRequest]:
        return super().get_queryset(request).select_related("requested_by")


class MediationProposalInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = MediationProposal
    fields = (
        "outcome",
        "refund",
        "compensation_points",
        "terms",
        "status",
        "buyer_accepted_at",
        "merchant_accepted_at",
        "declined_by",
        "proposed_at",
        "proposed_by",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[MediationProposal]:
        return super().get_queryset(request).select_related("proposed_by")

    @admin.display(description=_("refund"))
    def refund(self, obj: MediationProposal) -> str:
        return format_fen(obj.refund_fen)


def superseded_annotation() -> Exists:
    return Exists(Judgment.objects.filter(supersedes=OuterRef("pk")))


class JudgmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Judgment
    fk_name = "intervention"
    fields = (
        "outcome",
        "refund",
        "compensation_points",
        "violation",
        "reasons",
        "judged_at",
        "judged_by",
        "via_agreement",
        "via_review",
        "superseded",
        "executed_at",
        "reversed_at",
    )
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Judgment]:
        return super().get_queryset(request).select_related("judged_by").annotate(is_superseded=superseded_annotation())

    @admin.display(description=_("refund"))
    def refund(self, obj: Judgment) -> str:
        return format_fen(obj.refund_fen)

    @admin.display(description=_("superseded"), boolean=True)
    def superseded(self, obj: Judgment) -> bool:
        return obj.is_superseded  # type: ignore[attr-defined]

    @admin.display(description=_("violation recorded"))
    def violation(self, obj: Judgment) -> str:
        return violation_label(obj.violation_kind)


def violation_label(kind: str) -> str:
    if not kind:
        return "-"
    return str(dict(ViolationKind.choices).get(kind, kind))


class AppealInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Appeal
    fields = (
        "party",
        "reasons",
        "appealed_at",
        "appealed_by",
        "reviewed_at",
        "reviewed_by",
        "overturned",
        "review_reasons",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appeal]:
        return super().get_queryset(request).select_related("appealed_by", "reviewed_by")


class CaseViolationInline(ViolationInline):
    fk_name = "intervention"
    fields = ("kind", "status", "occurred_at", "compensation_points", "score_points", "decided_by")
    readonly_fields = fields


def judgment_ledger_entries(case: Intervention) -> list[LedgerEntry]:
    """Every ledger entry whose source is one of the case's judgments (postings and their reversals)."""
    judgment_ids = list(case.judgments.values_list("pk", flat=True))
    if not judgment_ids:
        return []
    source_type = ContentType.objects.get_for_model(Judgment)
    entries: list[LedgerEntry] = []
    for model in LEDGER_MODELS:
        accounts = [f.name for f in model._meta.concrete_fields if f.name in ("buyer", "merchant")]
        entries += model.objects.filter(source_type=source_type, source_id__in=judgment_ids).select_related(
            *accounts, "created_by"
        )
    return sorted(entries, key=lambda e: (e.occurred_at, e.created_at, type(e).__name__, e.pk))


def judgment_ledger_table(case: Intervention) -> str:
    entries = judgment_ledger_entries(case)
    if not entries:
        return "-"
    rows = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>Judgment #{}</td>'
        "<td>{}</td><td>{}</td></tr>",
        (
            (
                admin_change_url(type(e), e.pk),
                type(e)._meta.verbose_name,
                timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M"),
                " / ".join(str(getattr(e, n)) for n in ("buyer", "merchant") if hasattr(e, f"{n}_id")),
                e.get_kind_display(),
                f"{e.amount:+,}",
                e.source_id,
                e.memo,
                e.idempotency_key or "",
            )
            for e in entries
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
        "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
        gettext("ledger"),
        gettext("occurred at"),
        gettext("account"),
        gettext("kind"),
        gettext("amount"),
        gettext("source"),
        gettext("memo"),
        gettext("idempotency key"),
        rows,
    )


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
        "express",
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
        CaseStateLogInline,
        EvidenceItemInline,
        EvidenceRequestInline,
        MediationProposalInline,
        JudgmentInline,
        AppealInline,
        CaseViolationInline,
    )
    readonly_fields = (
        "number",
        "order_no",
        "buyer_phone",
        "refund_link",
        "decision_status",
        "evidence_status",
        "judgment_ledger",
    )
    fieldsets = (
        (
            _("Case"),
            {
                "fields": (
                    ("number", "state", "tier", "express", "priority"),
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
        (_("Outcome"), {"fields": ("outcome_note",)}),
        (_("Money moved by the judgments"), {"fields": ("judgment_ledger",)}),
    )
    change_actions = (
        "accept",
        "assign",
        "escalate",
        "refuse",
        "request_evidence",
        "start_mediation",
        "propose",
        "judge",
        "review",
        "suspend",
        "record_proof",
        "resume",
        "withdraw",
    )
    changelist_actions = ("file_case",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Intervention]:
        return (
            super()
            .get_queryset(request)
            .select_related("merchant", "buyer", "order_item__order", "order_item__product", "assigned_to", "refund")
        )

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Express and 小二 first (priority), then the nearest decision deadline; new cases have none yet.
        return ["-priority", F("decision_due_at").asc(nulls_last=True), "applied_at"]

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
            request._intervention_clock = clock  # type: ignore[attr-defined]
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

        columns = (*self.base_list_display, decision_column, evidence_column)
        request._intervention_columns = columns  # type: ignore[attr-defined]
        return columns

    def action_available(self, request: HttpRequest, obj: Any, name: str) -> bool:
        if name in SENIOR_TIER_ACTIONS and obj.tier == Tier.SENIOR and not request.user.has_perm(REVIEW):
            return False
        return super().action_available(request, obj, name)

    def get_changelist_actions(self, request: HttpRequest) -> list[str]:
        return ["file_case"] if request.user.has_perm(WORK) else []

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: Intervention) -> str:
        return obj.number

    @admin.display(description=_("order number"), ordering="order_item__order__order_no")
    def order_no(self, obj: Intervention) -> str:
        return obj.order_item.order.order_no

    @admin.display(description=_("buyer phone"))
    def buyer_phone(self, obj: Intervention) -> str:
        return obj.buyer.phone

    @admin.display(description=_("refund request"))
    def refund_link(self, obj: Intervention) -> str:
        if obj.refund_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a> ({})',
            admin_change_url(RefundRequest, obj.refund_id),
            obj.refund.number,
            obj.refund.get_state_display(),
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
        if not request.user.has_perm(WORK):
            messages.error(request, gettext("You do not have permission to do this."))
            return HttpResponseRedirect(back_url)
        if request.method == "POST":
            form = FileCaseForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    case = intervention_open(
                        actor=request.user,
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

    # Buttons: each opens a short form and calls one service as request.user.

    @service_action(
        label=_("Accept (claim)"),
        description=_("Take the case: evidence opens for 3 days and the decision is due in 6 working days."),
        permission=WORK,
        applies=lambda obj: obj.state == CaseState.APPLIED,
    )
    def accept(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="accept",
            form_class=ConfirmForm,
            call=lambda data: intervention_accept(actor=request.user, case_id=obj.pk),
            success=_("Case accepted and assigned to you."),
            intro=obj.claim,
        )

    @service_action(
        label=_("Assign to an agent"),
        description=_("Supervisor: give the case to an agent (a new case is accepted for them)."),
        permission=ASSIGN,
        applies=lambda obj: obj.state in OPEN_CASE_STATES,
    )
    def assign(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="assign",
            form_class=AssignForm,
            call=lambda data: intervention_assign(actor=request.user, case_id=obj.pk, assign_to=data["assign_to"]),
            success=_("Case assigned."),
        )

    @service_action(
        label=_("Escalate to 小二"),
        description=_("Move the case to the senior tier; it jumps the queue and a senior agent must take it."),
        permission=WORK,
        applies=lambda obj: obj.state in OPEN_CASE_STATES and obj.tier == Tier.AGENT,
    )
    def escalate(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="escalate",
            form_class=ReasonForm,
            call=lambda data: intervention_escalate(actor=request.user, case_id=obj.pk, reason=data["reason"]),
            success=_("Escalated to the senior tier."),
        )

    @service_action(
        label=_("Refuse (outside the rules)"),
        description=_("Refuse a claim outside the rules, with the reason the parties will see."),
        permission=WORK,
        applies=lambda obj: obj.state == CaseState.APPLIED,
    )
    def refuse(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="refuse",
            form_class=ReasonForm,
            call=lambda data: intervention_refuse(actor=request.user, case_id=obj.pk, reason=data["reason"]),
            success=_("Case refused."),
            intro=obj.claim,
        )

    @service_action(
        label=_("Request evidence"),
        description=_("Ask one party for more evidence by a deadline."),
        permission=WORK,
        applies=lambda obj: obj.state in WORKING_STATES,
    )
    def request_evidence(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="request_evidence",
            form_class=RequestEvidenceForm,
            call=lambda data: intervention_request_evidence(
                actor=request.user, case_id=obj.pk, party=data["party"], note=data["note"], due_at=data["due_at"]
            ),
            success=_("Evidence requested."),
        )

    @service_action(
        label=_("Start mediation"),
        description=_("Close the evidence stage now and start mediation."),
        permission=WORK,
        applies=lambda obj: obj.state == CaseState.EVIDENCE,
    )
    def start_mediation(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="start_mediation",
            form_class=ConfirmForm,
            call=lambda data: intervention_start_mediation(actor=request.user, case_id=obj.pk),
            success=_("Mediation started."),
        )

    @service_action(
        label=_("Propose terms"),
        description=_("Propose terms; when both parties accept, the agreement closes the case and is executed."),
        permission=WORK,
        applies=lambda obj: obj.state == CaseState.MEDIATION,
    )
    def propose(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="propose",
            form_class=ProposeForm,
            call=lambda data: intervention_propose(
                actor=request.user,
                case_id=obj.pk,
                outcome=data["outcome"],
                terms=data["terms"],
                refund_fen=data["refund_fen"] or 0,
                compensation_points=data["compensation_points"] or 0,
            ),
            success=_("Terms proposed to both parties."),
        )

    @service_action(
        label=_("Judge"),
        description=_("Decide the case; the system executes it at once and the 7-day appeal window opens."),
        permission=WORK,
        applies=lambda obj: obj.state in WORKING_STATES,
    )
    def judge(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="judge",
            form_class=JudgeForm,
            call=lambda data: intervention_judge(
                actor=request.user,
                case_id=obj.pk,
                outcome=data["outcome"],
                reasons=data["reasons"],
                refund_fen=data["refund_fen"] or 0,
                compensation_points=data["compensation_points"] or 0,
                violation_kind=data["violation_kind"],
            ),
            success=_("Judgment given and executed."),
            intro=obj.claim,
        )

    @service_action(
        label=_("Review the appeal (复审)"),
        description=_("Senior reviewer, not the judge: confirm or overturn. Final either way."),
        permission=REVIEW,
        applies=lambda obj: obj.state == CaseState.APPEALED,
    )
    def review(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        def call(data: dict[str, Any]) -> Any:
            overturn = data["decision"] == "overturn"
            return intervention_review(
                actor=request.user,
                case_id=obj.pk,
                overturn=overturn,
                reasons=data["reasons"],
                outcome=data["outcome"] if overturn else None,
                refund_fen=data["refund_fen"] or 0,
                compensation_points=data["compensation_points"] or 0,
                violation_kind=data["violation_kind"],
            )

        appeal = obj.appeals.filter(reviewed_at__isnull=True).first()
        return self.run_service_action(
            request,
            obj,
            name="review",
            form_class=ReviewForm,
            call=call,
            success=_("Review recorded; the case is final."),
            intro=gettext("Judgment: %(judgment)s. Appeal by the %(party)s: %(reasons)s")
            % {"judgment": obj.outcome_note, "party": appeal.get_party_display(), "reasons": appeal.reasons}
            if appeal is not None
            else obj.outcome_note,
        )

    @service_action(
        label=_("Suspend"),
        description=_("Suspend (中止) on both parties' request, or when a party goes to court or the police."),
        permission=WORK,
        applies=lambda obj: obj.state in WORKING_STATES,
    )
    def suspend(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="suspend",
            form_class=SuspendForm,
            call=lambda data: intervention_suspend(
                actor=request.user, case_id=obj.pk, reason=data["reason"], note=data["note"]
            ),
            success=_("Case suspended."),
        )

    @service_action(
        label=_("Record proof"),
        description=_("Proof arrived that the court or the police took the matter."),
        permission=WORK,
        applies=lambda obj: (
            obj.state == CaseState.SUSPENDED and obj.suspend_reason in (SuspendReason.COURT, SuspendReason.POLICE)
        ),
    )
    def record_proof(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="record_proof",
            form_class=NoteForm,
            call=lambda data: intervention_record_proof(actor=request.user, case_id=obj.pk, note=data["note"]),
            success=_("Proof recorded."),
        )

    @service_action(
        label=_("Resume"),
        description=_("Resume the suspended case where it stopped."),
        permission=WORK,
        applies=lambda obj: obj.state == CaseState.SUSPENDED,
    )
    def resume(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="resume",
            form_class=ReasonForm,
            call=lambda data: intervention_resume(actor=request.user, case_id=obj.pk, reason=data["reason"]),
            success=_("Case resumed."),
        )

    @service_action(
        label=_("Withdraw for the applicant"),
        description=_("The applicant withdraws the case before judgment (told us by phone or chat)."),
        permission=WORK,
        applies=lambda obj: obj.state in OPEN_CASE_STATES,
    )
    def withdraw(self, request: HttpRequest, obj: Intervention) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="withdraw",
            form_class=ReasonForm,
            call=lambda data: intervention_withdraw(actor=request.user, case_id=obj.pk, reason=data["reason"]),
            success=_("Case withdrawn for the applicant."),
        )


# Read-only lists of the case's parts ---------------------------------------------------------------------------


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Evidence from the parties; files live outside any web root and are served only through the view below."""

    list_display = ("intervention", "party", "summary", "content_type", "size", "submitted_at", "submitted_by")
    list_filter = ("party", "for_appeal", "content_type")
    search_fields = ("original_name", "text", "=intervention__order_item__order__order_no")
    list_select_related = ("intervention", "submitted_by")
    date_hierarchy = "submitted_at"
    readonly_fields = ("summary",)
    exclude = ("file",)  # the storage path is an internal detail

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "file"]

    @admin.display(description=_("evidence"))
    def summary(self, obj: EvidenceItem) -> str:
        return evidence_content(obj)

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:evidence_id>/download/", self.admin_site.admin_view(self.download_view), name=EVIDENCE_DOWNLOAD
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, evidence_id: int) -> HttpResponse:
        """Stream one file to staff who may view evidence; `?inline=1` shows a checked image in place."""
        item = EvidenceItem.objects.filter(pk=evidence_id).first()
        if item is None:
            raise Http404(gettext("No such evidence."))
        return evidence_file_response(self, request, item, inline=request.GET.get("inline") == "1")


@admin.register(EvidenceRequest)
class EvidenceRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("intervention", "party", "note", "due_at", "requested_at", "requested_by", "fulfilled_at")
    list_filter = ("party",)
    search_fields = ("=intervention__order_item__order__order_no", "note")
    list_select_related = ("intervention", "requested_by")
    date_hierarchy = "due_at"


@admin.register(MediationProposal)
class MediationProposalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "intervention",
        "outcome",
        "refund_fen",
        "compensation_points",
        "status",
        "buyer_accepted_at",
        "merchant_accepted_at",
        "declined_by",
        "proposed_at",
        "proposed_by",
    )
    list_filter = ("status", "outcome")
    search_fields = ("=intervention__order_item__order__order_no", "terms")
    list_select_related = ("intervention", "proposed_by")
    date_hierarchy = "proposed_at"


@admin.register(Judgment)
class JudgmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "outcome",
        "refund_fen",
        "compensation_points",
        "violation",
        "judged_at",
        "judged_by",
        "via_agreement",
        "via_review",
        "superseded",
        "executed_at",
        "reversed_at",
    )
    list_filter = ("outcome", "via_agreement", "via_review")
    search_fields = ("=intervention__order_item__order__order_no", "reasons")
    list_select_related = ("intervention", "judged_by")
    date_hierarchy = "judged_at"
    readonly_fields = ("superseded", "violation")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Judgment]:
        return super().get_queryset(request).annotate(is_superseded=superseded_annotation())

    @admin.display(description=_("superseded"), boolean=True)
    def superseded(self, obj: Judgment) -> bool:
        return obj.is_superseded  # type: ignore[attr-defined]

    @admin.display(description=_("violation recorded"), ordering="violation_kind")
    def violation(self, obj: Judgment) -> str:
        return violation_label(obj.violation_kind)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "judgment",
        "party",
        "appealed_at",
        "appealed_by",
        "reviewed_at",
        "reviewed_by",
        "overturned",
    )
    list_filter = ("party", "overturned")
    search_fields = ("=intervention__order_item__order__order_no", "reasons")
    list_select_related = ("intervention", "judgment__intervention", "appealed_by", "reviewed_by")
    date_hierarchy = "appealed_at"
