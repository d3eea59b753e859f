"""Admin for refunds and after-sales (退款/售后): staff queues, case pages, on-behalf buttons, express claims."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from disputes.admin.help_requests import BuyerPointsSourceInline, MerchantAccountSourceInline, StateLogInline
from disputes.admin.helpers import (
    MAX_TEXT,
    ConfirmForm,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ReasonForm,
    ServiceActionsAdmin,
    admin_change_url,
    badge,
    evidence_file_html,
    evidence_file_response,
    format_duration,
    format_fen,
    service_action,
)
from disputes.models import (
    LIVE_REFUND_STATES,
    RETURN_TYPES,
    AdvanceState,
    DueAction,
    ExpressClaim,
    ExpressStatus,
    Intervention,
    PlatformAdvanceEntry,
    RefundEvidence,
    RefundRequest,
    RefundState,
)
from disputes.services.refund_money import advance_outstanding
from disputes.services.refunds import (
    has_open_case,
    refund_advance_repaid,
    refund_agree,
    refund_cancel,
    refund_confirm_goods,
    refund_express_decide,
    refund_refuse,
    refund_return_signed,
    refund_ship_return,
    refund_uphold_goods_refusal,
)

ACT_ON_BEHALF = "disputes.act_on_behalf_refundrequest"
VERIFY_EXPRESS = "disputes.verify_express_refundrequest"
REFUND_EVIDENCE_DOWNLOAD = "disputes_refundevidence_download"

# A deadline this close is in the "due within the next hour" queue and its badge turns amber.
DUE_SOON = timedelta(hours=1)
# A repayment notice this close to its deadline turns amber.
REPAYMENT_SOON = timedelta(days=1)

CANCELLABLE_STATES = (RefundState.WAIT_SELLER_AGREE, RefundState.WAIT_BUYER_RETURN, RefundState.SELLER_REFUSED)
ADVANCE_TRANSITIONS = frozenset(
    {"apply_advance", "advance", "close_advance", "advance_goods_refused", "settle_advance"}
)

# What the scheduler does when due_at passes, as the badge says it: "pays in 3h", "closes in 2d".
_DUE_VERBS = {
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
    if refund.due_at < now:
        text = gettext("%(action)s: overdue %(duration)s") % {
            "action": verb,
            "duration": format_duration(now - refund.due_at),
        }
        return badge("red", text, title)
    text = gettext("%(action)s in %(duration)s") % {"action": verb, "duration": format_duration(refund.due_at - now)}
    return badge("amber" if refund.due_at - now <= DUE_SOON else "grey", text, title)


def repayment_owed(refund: RefundRequest) -> bool:
    """The merchant's refusal of the goods was upheld after an advance, and the buyer has not repaid it."""
    return (
        refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS
        and refund.repayment_due_at is not None
        and refund.repaid_at is None
    )


def flag_badges(refund: RefundRequest, *, now: datetime, express_pending: bool) -> str:
    """Flags staff scan for: a pending express claim, intervention requested, an advance the buyer owes."""
    badges = []
    if express_pending:
        badges.append(badge("blue", gettext("express claim to verify")))
    elif refund.express:
        badges.append(badge("green", gettext("express")))
    if refund.intervention_requested_at is not None and refund.state in LIVE_REFUND_STATES:
        badges.append(badge("amber", gettext("intervention requested")))
    if repayment_owed(refund):
        due = refund.repayment_due_at
        title = f"{timezone.localtime(due):%Y-%m-%d %H:%M}"
        if due < now:
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
            return queryset.filter(due_at__gte=now, due_at__lte=now + DUE_SOON)
        if value == self.OVERDUE:
            return queryset.filter(due_at__lt=now)
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


# Inlines on the refund page.


class RefundStateLogInline(StateLogInline):
    """The refund's history: request transitions and the instant-refund advance's, labelled by which."""

    @admin.display(description=_("from"))
    def source_state_label(self, obj: StateLog) -> str:
        return _refund_state_label(obj.source_state, obj.transition)

    @admin.display(description=_("to"))
    def state_label(self, obj: StateLog) -> str:
        return _refund_state_label(obj.state, obj.transition)


def _refund_state_label(value: str | None, transition: str) -> str:
    if not value:
        return "-"
    # "closed" is both a request state and an advance state: the transition says which field moved.
    choices = AdvanceState.choices if transition in ADVANCE_TRANSITIONS else RefundState.choices
    return str(dict(choices).get(value, value))


class RefundEvidenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = RefundEvidence
    fields = ("file_link", "purpose", "content_type", "size", "uploaded_at", "uploaded_by")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[RefundEvidence]:
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def file_link(self, obj: RefundEvidence) -> str:
        return evidence_file_html(obj, url_name=REFUND_EVIDENCE_DOWNLOAD)


class ExpressClaimInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ExpressClaim
    fields = ("status", "description", "submitted_at", "decided_at", "decided_by", "decision_reason")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExpressClaim]:
        return super().get_queryset(request).select_related("decided_by")


class InterventionOnRefundInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The platform intervention cases (客服介入) opened on this refund, each linked to its case page."""

    model = Intervention
    fk_name = "refund"
    fields = (
        "case_number",
        "state",
        "applicant",
        "ground",
        "priority",
        "tier",
        "channel",
        "assigned_to",
        "applied_at",
        "decision_due_at",
    )
    readonly_fields = fields
    show_change_link = True
    verbose_name = _("platform intervention on this refund")
    verbose_name_plural = _("platform interventions on this refund")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Intervention]:
        return super().get_queryset(request).select_related("assigned_to").order_by("applied_at", "pk")

    @admin.display(description=_("case"))
    def case_number(self, obj: Intervention) -> str:
        return format_html('<a href="{}">{}</a>', admin_change_url(Intervention, obj.pk), obj.number)


class PlatformAdvanceSourceInline(BuyerPointsSourceInline):
    """Advances paid, recovered or repaid for this case."""

    model = PlatformAdvanceEntry

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["occurred_at", "buyer", "merchant", "kind", "amount", "memo", "idempotency_key", "created_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlatformAdvanceEntry]:
        return super().get_queryset(request).select_related("merchant")


@dataclass(frozen=True)
class _Clock:
    now: datetime


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """The refund queues. Buyers apply through the API; staff act only through the buttons, which call services."""

    base_list_display = (
        "number",
        "state",
        "advance_state",
        "refund_type",
        "reason",
        "amount",
        "merchant",
        "order_no",
        "buyer_phone",
        "created_at",
    )
    list_display = base_list_display
    list_filter = (RefundQueueFilter, "state", "advance_state", "refund_type", "reason", "express")
    search_fields = ("=order_item__order__order_no", "=buyer__phone")
    list_select_related = ("merchant", "buyer", "order_item__order")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = (
        RefundStateLogInline,
        RefundEvidenceInline,
        ExpressClaimInline,
        InterventionOnRefundInline,
        BuyerPointsSourceInline,
        MerchantAccountSourceInline,
        PlatformAdvanceSourceInline,
    )
    readonly_fields = ("number", "order_no", "buyer_phone", "amount", "due_status", "flags")
    fieldsets = (
        (
            _("Request"),
            {
                "fields": (
                    ("number", "state", "advance_state"),
                    ("buyer", "buyer_phone"),
                    ("merchant", "order_no", "order_item"),
                    ("refund_type", "reason", "amount"),
                    "description",
                    ("order_shipped", "damage_guarantee", "shipping_cover", "express"),
                    ("created_at", "modified_at"),
                )
            },
        ),
        (_("Clock"), {"fields": (("due_status", "flags"), ("due_at", "due_action"))}),
        (
            _("Return"),
            {
                "fields": (
                    ("agreed_at", "agreed_on_behalf"),
                    "return_address",
                    ("return_carrier", "return_waybill", "return_shipped_at"),
                    ("return_signed_at", "goods_received_at", "reship_waybill"),
                )
            },
        ),
        (_("Refusal"), {"fields": (("refused_at", "refused_goods"), "refuse_reason", "intervention_requested_at")}),
        (
            _("Instant refund"),
            {"fields": (("repayment_notice_at", "repayment_due_at"), ("repaid_at", "privilege_revoked_at"))},
        ),
        (_("Outcome"), {"fields": (("succeeded_at", "closed_at"), ("close_reason", "cancelled_by_buyer"))}),
    )
    change_actions = (
        "agree_for_merchant",
        "refuse_for_merchant",
        "confirm_goods_for_merchant",
        "record_return_signed",
        "ship_return_for_buyer",
        "cancel_for_buyer",
        "uphold_goods_refusal",
        "record_advance_repaid",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[RefundRequest]:
        return (
            super()
            .get_queryset(request)
            .select_related("merchant", "buyer", "order_item__order", "order_item__product")
            .annotate(express_pending=pending_express_claim())
        )

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # A working queue: express claims first, then the nearest automatic action, then the newest.
        return [pending_express_claim().desc(), F("due_at").asc(nulls_last=True), "-created_at"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        # Staff read case numbers aloud as "RF-123".
        term = search_term.strip().upper()
        if term.startswith("RF-") and term[3:].isdigit():
            return queryset.filter(pk=int(term[3:])), False
        return super().get_search_results(request, queryset, search_term)

    def get_list_display(self, request: HttpRequest) -> tuple[Any, ...]:
        # `now` is read once per page and bound into the badge columns; cached because the admin asks twice.
        cached = getattr(request, "_refund_queue_columns", None)
        if cached is not None:
            return cached
        clock = _Clock(now=timezone.now())

        @admin.display(description=_("automatic action"), ordering="due_at")
        def due_column(obj: RefundRequest) -> str:
            return due_badge(obj, now=clock.now)

        @admin.display(description=_("flags"))
        def flags_column(obj: RefundRequest) -> str:
            return flag_badges(obj, now=clock.now, express_pending=obj.express_pending)  # type: ignore[attr-defined]

        columns = (*self.base_list_display, due_column, flags_column)
        request._refund_queue_columns = columns  # type: ignore[attr-defined]
        return columns

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj: RefundRequest) -> str:
        return obj.number

    @admin.display(description=_("order number"), ordering="order_item__order__order_no")
    def order_no(self, obj: RefundRequest) -> str:
        return obj.order_item.order.order_no

    @admin.display(description=_("buyer phone"))
    def buyer_phone(self, obj: RefundRequest) -> str:
        return obj.buyer.phone

    @admin.display(description=_("amount"), ordering="amount_fen")
    def amount(self, obj: RefundRequest) -> str:
        return format_fen(obj.amount_fen)

    @admin.display(description=_("countdown"))
    def due_status(self, obj: RefundRequest) -> str:
        return due_badge(obj, now=timezone.now())

    @admin.display(description=_("flags"))
    def flags(self, obj: RefundRequest) -> str:
        pending = getattr(obj, "express_pending", None)
        if pending is None:
            pending = obj.express_claims.filter(status=ExpressStatus.PENDING).exists()
        return flag_badges(obj, now=timezone.now(), express_pending=pending)

    # Buttons: each opens a short form and calls one service as request.user.

    @service_action(
        label=_("Agree for the merchant"),
        description=_("Agree on the merchant's behalf: a refund-only request is paid now; a return gets an address."),
        permission=ACT_ON_BEHALF,
        applies=lambda obj: obj.state == RefundState.WAIT_SELLER_AGREE,
    )
    def agree_for_merchant(self, request: HttpRequest, obj: RefundRequest) -> HttpResponse:
        returns = obj.refund_type in RETURN_TYPES
        return self.run_service_action(
            request,
            obj,
            name="agree_for_merchant",
            form_class=AgreeForm,
            call=lambda data: refund_agree(
                actor=request.user,
                refund_id=obj.pk,
                return_address=data["return_address"] or None,
                on_behalf_reason=data["on_behalf_reason"],
            ),
            success=_("Return agreed for the merchant.") if returns else _("Refund agreed and paid."),
            intro=gettext("The return goes to: %(address)s (unless you give another address).")
            % {"address": obj.merchant.full_return_address}
            if returns
            else gettext("Refund only: %(amount)s is paid to the buyer now.") % {"amount": format_fen(obj.amount_fen)},
        )

    @service_action(
        label=_("Refuse for the merchant"),
        description=_("Refuse on the merchant's behalf; the buyer may modify the request or ask for intervention."),
        permission=ACT_ON_BEHALF,
        applies=lambda obj: obj.state == RefundState.WAIT_SELLER_AGREE,
    )
    def refuse_for_merchant(self, request: HttpRequest, obj: RefundRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="refuse_for_merchant",
            form_class=RefuseForm,
            call=lambda data: refund_refuse(
                actor=request.user,
                refund_id=obj.pk,
                reason=data["reason"],
                on_behalf_reason=data["on_behalf_reason"],
            ),
            success=_("Refused for the merchant."),
            intro=obj.description,
        )

    @service_action(
        label=_("Confirm goods for the merchant"),
        description=_("The merchant received the return: a refund is paid (an advance recovered)."),
        permission=ACT_ON_BEHALF,
        applies=lambda obj: obj.state == RefundState.WAIT_SELLER_CONFIRM,
    )
    def confirm_goods_for_merchant(self, request: HttpRequest, obj: RefundRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="confirm_goods_for_merchant",
            form_class=OnBehalfForm,
            call=lambda data: refund_confirm_goods(
                actor=request.user, refund_id=obj.pk, on_behalf_reason=data["on_behalf_reason"]
            ),
            success=_("Goods confirmed for the merchant."),
        )

    @service_action(
        label=_("Record return signed"),
        description=_("Logistics show the return signed for: the merchant's time to confirm shortens."),
        permission=ACT_ON_BEHALF,
        applies=lambda obj: obj.state == RefundState.WAIT_SELLER_CONFIRM and obj.return_signed_at is None,
    )
    def record_return_signed(self, request: HttpRequest, obj: RefundRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="record_return_signed",
            form_class=ReturnSignedForm,
            call=lambda data: refund_return_signed(actor=request.user, refund_id=obj.pk, signed_at=data["signed_at"]),
            success=_("Return recorded as signed for."),
            intro=gettext("Carrier %(carrier)s, waybill %(waybill)s.")
            % {"carrier": obj.return_carrier, "waybill": obj.return_waybill},
        )

    @service_action(
        label=_("Enter return waybill for the buyer"),
        description=_("The buyer shipped the return (told us by phone); an instant refund is advanced if due."),
        permission=ACT_ON_BEHALF,
        applies=lambda obj: obj.state == RefundState.WAIT_BUYER_RETURN,
    )
    def ship_return_for_buyer(self, request: HttpRequest, obj: RefundRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="ship_return_for_buyer",
            form_class=ShipReturnForm,
            call=lambda data: refund_ship_return(
                actor=request.user,
                refund_id=obj.pk,
                carrier=data["carrier"],
                waybill=data["waybill"],
                on_behalf_reason=data["on_behalf_reason"],
            ),
            success=_("Return waybill entered for the buyer."),
        )

    @service_action(
        label=_("Cancel for the buyer"),
        description=_("Cancel on the buyer's behalf. The item can never be reopened afterwards."),
        permission=ACT_ON_BEHALF,
        applies=lambda obj: obj.state in CANCELLABLE_STATES and not has_open_case(obj),
    )
    def cancel_for_buyer(self, request: HttpRequest, obj: RefundRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="cancel_for_buyer",
            form_class=OnBehalfForm,
            call=lambda data: refund_cancel(
                actor=request.user, refund_id=obj.pk, on_behalf_reason=data["on_behalf_reason"]
            ),
            success=_("Request cancelled for the buyer."),
            intro=gettext("After a cancellation the buyer cannot apply again for this item."),
        )

    @service_action(
        label=_("Uphold the refusal of the goods"),
        description=_("The merchant wins: the refund closes; a buyer holding an advance is told to repay it."),
        permission=VERIFY_EXPRESS,
        # An open case decides the refusal instead (the service refuses with intervention_open).
        applies=lambda obj: obj.state == RefundState.SELLER_REFUSED and obj.refused_goods and not has_open_case(obj),
    )
    def uphold_goods_refusal(self, request: HttpRequest, obj: RefundRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="uphold_goods_refusal",
            form_class=ReasonForm,
            call=lambda data: refund_uphold_goods_refusal(actor=request.user, refund_id=obj.pk, reason=data["reason"]),
            success=_("Refusal of the goods upheld; the refund is closed."),
            intro=obj.refuse_reason,
        )

    @service_action(
        label=_("Record advance repaid"),
        description=_("The buyer repaid the platform's advance (seen on the payment channel)."),
        permission=ACT_ON_BEHALF,
        applies=repayment_owed,
    )
    def record_advance_repaid(self, request: HttpRequest, obj: RefundRequest) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name="record_advance_repaid",
            form_class=ConfirmForm,
            call=lambda data: refund_advance_repaid(actor=request.user, refund_id=obj.pk),
            success=_("Advance recorded as repaid."),
            intro=gettext("The buyer owes %(amount)s. Confirm only once the payment has arrived.")
            % {"amount": format_fen(advance_outstanding(obj))},
        )


# Express rights protection (极速维权) claims --------------------------------------------------------------------


def claim_photos(claim: ExpressClaim) -> QuerySet[RefundEvidence]:
    """The photos sent with this claim: express-claim uploads from its submission until the next claim."""
    photos = RefundEvidence.objects.filter(
        refund_id=claim.refund_id, purpose="express_claim", uploaded_at__gte=claim.submitted_at
    )
    following = (
        ExpressClaim.objects.filter(refund_id=claim.refund_id, submitted_at__gt=claim.submitted_at)
        .order_by("submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    if following is not None:
        photos = photos.filter(uploaded_at__lt=following)
    return photos.order_by("uploaded_at", "pk")


@admin.register(ExpressClaim)
class ExpressClaimAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """A priority queue: pending claims first, oldest first; senior staff verify or reject with a reason."""

    list_display = (
        "__str__",
        "refund_link",
        "buyer_phone",
        "merchant",
        "refund_reason",
        "status",
        "submitted_at",
        "decided_by",
    )
    list_filter = ("status",)
    search_fields = ("=refund__order_item__order__order_no", "=refund__buyer__phone")
    list_select_related = ("refund__buyer", "refund__merchant", "decided_by")
    date_hierarchy = "submitted_at"
    readonly_fields = ("refund_link", "buyer_phone", "refund_reason", "refuse_reason", "photos")
    fields = (
        ("refund_link", "status"),
        ("buyer_phone", "refund_reason"),
        "refuse_reason",
        "description",
        "photos",
        ("submitted_at", "decided_at", "decided_by"),
        "decision_reason",
    )
    change_actions = ("verify", "reject")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExpressClaim]:
        return super().get_queryset(request).select_related("refund__buyer", "refund__merchant", "decided_by")

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [F("decided_at").desc(nulls_first=True), "submitted_at"]

    @admin.display(description=_("refund request"), ordering="refund")
    def refund_link(self, obj: ExpressClaim) -> str:
        return format_html('<a href="{}">{}</a>', admin_change_url(RefundRequest, obj.refund_id), obj.refund.number)

    @admin.display(description=_("buyer phone"))
    def buyer_phone(self, obj: ExpressClaim) -> str:
        return obj.refund.buyer.phone

    @admin.display(description=_("merchant"), ordering="refund__merchant__shop_name")
    def merchant(self, obj: ExpressClaim) -> str:
        return str(obj.refund.merchant)

    @admin.display(description=_("refund reason"))
    def refund_reason(self, obj: ExpressClaim) -> str:
        return obj.refund.get_reason_display()

    @admin.display(description=_("merchant's refusal"))
    def refuse_reason(self, obj: ExpressClaim) -> str:
        return obj.refund.refuse_reason or "-"

    @admin.display(description=_("photos"))
    def photos(self, obj: ExpressClaim) -> str:
        html = [evidence_file_html(p, url_name=REFUND_EVIDENCE_DOWNLOAD) for p in claim_photos(obj)]
        if not html:
            return "-"
        return format_html_join(" ", "{}", ((h,) for h in html))

    @service_action(
        label=_("Verify"),
        description=_("True: agree to the return on the merchant's behalf; the platform refunds when the buyer ships."),
        permission=VERIFY_EXPRESS,
        applies=lambda obj: obj.status == ExpressStatus.PENDING,
    )
    def verify(self, request: HttpRequest, obj: ExpressClaim) -> HttpResponse:
        return self._decide(request, obj, name="verify", verified=True)

    @service_action(
        label=_("Reject"),
        description=_("Not true: the merchant's refusal stands and the buyer's 7 days run again."),
        permission=VERIFY_EXPRESS,
        applies=lambda obj: obj.status == ExpressStatus.PENDING,
    )
    def reject(self, request: HttpRequest, obj: ExpressClaim) -> HttpResponse:
        return self._decide(request, obj, name="reject", verified=False)

    def _decide(self, request: HttpRequest, obj: ExpressClaim, *, name: str, verified: bool) -> HttpResponse:
        return self.run_service_action(
            request,
            obj,
            name=name,
            form_class=ReasonForm,
            call=lambda data: refund_express_decide(
                actor=request.user, claim_id=obj.pk, verified=verified, reason=data["reason"]
            ),
            success=_("Claim verified: return agreed on the merchant's behalf.")
            if verified
            else _("Claim rejected: the refusal stands."),
            intro=obj.description,
        )


# Evidence --------------------------------------------------------------------------------------------------


@admin.register(RefundEvidence)
class RefundEvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refund evidence files; they live outside any web root and are served only through the view below."""

    list_display = ("original_name", "refund", "purpose", "content_type", "size", "uploaded_at", "uploaded_by", "view")
    list_filter = ("purpose", "content_type")
    search_fields = ("original_name", "=refund__order_item__order__order_no")
    list_select_related = ("refund", "uploaded_by")
    date_hierarchy = "uploaded_at"
    readonly_fields = ("view",)
    exclude = ("file",)  # the storage path is an internal detail

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "file"]

    @admin.display(description=_("file"))
    def view(self, obj: RefundEvidence) -> str:
        return evidence_file_html(obj, url_name=REFUND_EVIDENCE_DOWNLOAD)

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:evidence_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name=REFUND_EVIDENCE_DOWNLOAD,
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, evidence_id: int) -> HttpResponse:
        """Stream one file to staff who may view refund evidence; `?inline=1` shows a checked image in place."""
        evidence = RefundEvidence.objects.filter(pk=evidence_id).first()
        if evidence is None:
            raise Http404(gettext("No such evidence."))
        return evidence_file_response(self, request, evidence, inline=request.GET.get("inline") == "1")
