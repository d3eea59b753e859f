"""The refund queues' pieces: countdown and flag badges (pure functions of stored columns, so a list page needs no
per-row query), the queue filter, and the short forms of the refund page's buttons."""

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import MAX_TEXT, badge, format_duration
from disputes.deadlines import missed, missed_q, open_q
from disputes.models import (
    LIVE_REFUND_STATES,
    AdvanceState,
    DueAction,
    ExpressClaim,
    ExpressStatus,
    RefundRequest,
    RefundState,
)

# A deadline this close is in the "due within the next hour" queue and its badge turns amber.
DUE_SOON = timedelta(hours=1)
# A repayment notice this close to its deadline turns amber.
REPAYMENT_SOON = timedelta(days=1)

# What the scheduler does when due_at passes, as the badge says it: "pays in 3h", "closes in 2d".
_DUE_VERBS: dict[str, Promise] = {
    DueAction.PAY: _("pays"),
    DueAction.AGREE: _("agrees"),
    DueAction.CLOSE_NOT_SHIPPED: _("closes"),
    DueAction.CLOSE_REFUSED: _("closes"),
    DueAction.RECEIVED: _("goods taken as received"),
}


# Badges: pure functions of stored columns, so the list needs no per-row query.


def due_badge(refund: RefundRequest, *, now: datetime) -> str:
    """The automatic action of the refund's state and when it happens; red once the sweep is late."""
    if refund.due_at is None:
        return "-"
    verb = _DUE_VERBS.get(refund.due_action, refund.get_due_action_display())
    title = f"{timezone.localtime(refund.due_at):%Y-%m-%d %H:%M} · {refund.get_due_action_display()}"
    if missed(refund.due_at, now):
        text = gettext("%(action)s: overdue %(duration)s") % {
            "action": verb,
            "duration": format_duration(now - refund.due_at),
        }
        return badge("red", text, title)
    text = gettext("%(action)s in %(duration)s") % {"action": verb, "duration": format_duration(refund.due_at - now)}
    return badge("amber" if refund.due_at - now <= DUE_SOON else "grey", text, title)


def flag_badges(refund: RefundRequest, *, now: datetime, express_pending: bool) -> str:
    """Flags staff scan for: a pending express claim, intervention requested, an advance the buyer owes."""
    badges = []
    if express_pending:
        badges.append(badge("blue", gettext("express claim to verify")))
    elif refund.express:
        badges.append(badge("green", gettext("express")))
    if refund.intervention_requested_at is not None and refund.state in LIVE_REFUND_STATES:
        badges.append(badge("amber", gettext("intervention requested")))
    due = refund.repayment_due_at
    if refund.repayment_owed and due is not None:  # repayment_owed means a due date is set
        title = f"{timezone.localtime(due):%Y-%m-%d %H:%M}"
        if missed(due, now):
            text = gettext("repayment overdue %(duration)s") % {"duration": format_duration(now - due)}
            badges.append(badge("red", text, title))
        else:
            text = gettext("repayment due in %(duration)s") % {"duration": format_duration(due - now)}
            badges.append(badge("amber" if due - now <= REPAYMENT_SOON else "grey", text, title))
    if not badges:
        return "-"
    return format_html_join(" ", "{}", ((b,) for b in badges))


def pending_express_claim() -> Exists:
    return Exists(ExpressClaim.objects.filter(refund=OuterRef("pk"), status=ExpressStatus.PENDING))


class RefundQueueFilter(admin.SimpleListFilter):
    """The staff's refund queues; express claims first because they jump the queue (RULES.md section 3)."""

    title = _("queue")
    parameter_name = "queue"

    EXPRESS = "express_claims"
    MERCHANT = "wait_merchant"
    RETURN = "wait_return"
    CONFIRM = "wait_confirm"
    REFUSED = "refused"
    INTERVENTION = "intervention"
    REPAYMENT = "repayment_owed"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (self.EXPRESS, _("Express claims to verify (priority)")),
            (self.MERCHANT, _("Waiting for the merchant")),
            (self.RETURN, _("Waiting for the buyer's return")),
            (self.CONFIRM, _("Waiting for the merchant to confirm the goods")),
            (self.REFUSED, _("Refused: the buyer may modify or escalate")),
            (self.INTERVENTION, _("Intervention requested")),
            (self.REPAYMENT, _("Advance repayment owed")),
            (self.DUE_SOON, _("Automatic action within the next hour")),
            (self.OVERDUE, _("Overdue: the scheduler should have acted")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[RefundRequest]) -> QuerySet[RefundRequest] | None:
        value = self.value()
        now = timezone.now()
        if value == self.EXPRESS:
            return queryset.filter(pending_express_claim())
        if value == self.MERCHANT:
            return queryset.filter(state=RefundState.WAIT_SELLER_AGREE)
        if value == self.RETURN:
            return queryset.filter(state=RefundState.WAIT_BUYER_RETURN)
        if value == self.CONFIRM:
            return queryset.filter(state=RefundState.WAIT_SELLER_CONFIRM)
        if value == self.REFUSED:
            # A pending express claim or an intervention request takes the case out of the buyer's hands.
            return queryset.filter(state=RefundState.SELLER_REFUSED, intervention_requested_at__isnull=True).exclude(
                pending_express_claim()
            )
        if value == self.INTERVENTION:
            return queryset.filter(intervention_requested_at__isnull=False, state__in=LIVE_REFUND_STATES)
        if value == self.REPAYMENT:
            return queryset.filter(
                advance_state=AdvanceState.MERCHANT_REFUSED_GOODS,
                repayment_due_at__isnull=False,
                repaid_at__isnull=True,
            )
        if value == self.DUE_SOON:
            return queryset.filter(open_q("due_at", now), due_at__lte=now + DUE_SOON)
        if value == self.OVERDUE:
            return queryset.filter(missed_q("due_at", now))
        return None


# Short forms for the buttons. Staff acting for a party always say why; the service records it.


class OnBehalfForm(forms.Form):
    on_behalf_reason = forms.CharField(
        label=_("why staff act for the party"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("E.g. 'merchant asked by phone, call ref 0412'. Recorded in the transition history."),
    )


class AgreeForm(OnBehalfForm):
    return_address = forms.CharField(
        label=_("return address"),
        max_length=300,
        required=False,
        help_text=_("Returns only. Empty: the merchant's default return address."),
    )


class RefuseForm(OnBehalfForm):
    reason = forms.CharField(
        label=_("refusal reason"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class ShipReturnForm(OnBehalfForm):
    carrier = forms.CharField(label=_("carrier"), max_length=40)
    waybill = forms.CharField(label=_("waybill number"), max_length=40)


class ReturnSignedForm(forms.Form):
    signed_at = forms.SplitDateTimeField(
        label=_("signed for at"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("As the carrier's tracking shows, Beijing time. Empty: now."),
    )


class ReshipForm(OnBehalfForm):
    waybill = forms.CharField(label=_("waybill number"), max_length=40)
