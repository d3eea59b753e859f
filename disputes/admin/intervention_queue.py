"""The intervention queue's pieces: the decision and evidence countdown badges (pure functions of stored
deadlines, so a list page needs no per-row query) and the queue filters, which read the same decision-deadline
queries as the sweep (disputes.selectors.interventions)."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes import policies as policy_table
from disputes.admin.helpers import badge, format_duration, staff_user
from disputes.deadlines import missed
from disputes.models import OPEN_CASE_STATES, WORKING_STATES, CaseState, Intervention
from disputes.selectors.interventions import decision_at_risk_q, decision_breached_q

AT_RISK_POLICY = "intervention.at_risk_before"


def at_risk_window() -> timedelta:
    """How long before the decision deadline a case counts as at risk (policy intervention.at_risk_before)."""
    return policy_table.load(AT_RISK_POLICY).duration(AT_RISK_POLICY)


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
    if case.decision_breached_at is not None or missed(due, now):
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
    if missed(due, now):
        badges.append(badge("grey", gettext("evidence window closed"), title))
    else:
        text = gettext("evidence closes in %(duration)s") % {"duration": format_duration(due - now)}
        badges.append(badge("amber" if due - now <= window else "grey", text, title))
    answer = case.merchant_answer_due_at
    if answer is not None and not missed(answer, now):
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
            return queryset.filter(assigned_to=staff_user(request))
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
