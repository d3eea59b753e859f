"""Admin for refunds and after-sales (退款/售后): the staff queues with their countdown badges, the case page, and its
on-behalf buttons (declared once, shown when the state machine allows the step; disputes.admin.buttons)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes.admin.buttons import Button, ServiceActionsAdmin
from disputes.admin.explanations import deadlines_panel
from disputes.admin.helpers import (
    ConfirmForm,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ReasonForm,
    admin_change_url,
    evidence_file_html,
    flag_column,
    format_fen,
)
from disputes.admin.history import (
    BuyerPointsSourceInline,
    MerchantAccountSourceInline,
    PlatformAdvanceSourceInline,
    StateLogInline,
)
from disputes.admin.refund_queue import (
    AgreeForm,
    OnBehalfForm,
    RefundQueueFilter,
    RefuseForm,
    ReshipForm,
    ReturnSignedForm,
    ShipReturnForm,
    due_badge,
    flag_badges,
    pending_express_claim,
)
from disputes.models import (
    RETURN_TYPES,
    ExpressClaim,
    ExpressStatus,
    Intervention,
    RefundEvidence,
    RefundRequest,
)
from disputes.services.refunds.advances import refund_advance_repaid, refund_return_signed, refund_uphold_goods_refusal
from disputes.services.refunds.buyer import refund_cancel, refund_ship_return
from disputes.services.refunds.merchant import (
    refund_agree,
    refund_confirm_goods,
    refund_refuse,
    refund_refuse_goods,
    refund_reship,
)
from disputes.services.refunds.money import advance_outstanding

REFUND_EVIDENCE_DOWNLOAD = "disputes_refundevidence_download"

# Inlines on the refund page.


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
        StateLogInline,
        RefundEvidenceInline,
        ExpressClaimInline,
        InterventionOnRefundInline,
        BuyerPointsSourceInline,
        MerchantAccountSourceInline,
        PlatformAdvanceSourceInline,
    )
    readonly_fields = (
        "number",
        "order_no",
        "buyer_phone",
        "amount",
        "due_status",
        "flags",
        "order_shipped_flag",
        "damage_guarantee_flag",
        "shipping_cover_flag",
        "express_flag",
        "explanation",
    )
    order_shipped_flag = staticmethod(flag_column(RefundRequest, "order_shipped"))
    damage_guarantee_flag = staticmethod(flag_column(RefundRequest, "damage_guarantee"))
    shipping_cover_flag = staticmethod(flag_column(RefundRequest, "shipping_cover"))
    express_flag = staticmethod(flag_column(RefundRequest, "express"))
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
                    ("order_shipped_flag", "damage_guarantee_flag", "shipping_cover_flag", "express_flag"),
                    ("created_at", "modified_at"),
                )
            },
        ),
        (_("Clock"), {"fields": (("due_status", "flags"), ("due_at", "due_action"))}),
        (_("Explanation"), {"fields": ("explanation",)}),
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
    buttons = (
        Button(
            name="agree_for_merchant",
            label=_("Agree for the merchant"),
            description=_(
                "Agree on the merchant's behalf: a refund-only request is paid now; a return gets an address."
            ),
            steps=("agree_refund", "agree_return"),
            form=AgreeForm,
            call=lambda actor, obj, data: refund_agree(
                actor=actor,
                refund_id=obj.pk,
                return_address=data["return_address"] or None,
                on_behalf_reason=data["on_behalf_reason"],
            ),
            success=lambda obj: (
                _("Return agreed for the merchant.")
                if obj.refund_type in RETURN_TYPES
                else _("Refund agreed and paid.")
            ),
            intro=lambda obj: (
                gettext("The return goes to: %(address)s (unless you give another address).")
                % {"address": obj.merchant.full_return_address}
                if obj.refund_type in RETURN_TYPES
                else gettext("Refund only: %(amount)s is paid to the buyer now.")
                % {"amount": format_fen(obj.amount_fen)}
            ),
        ),
        Button(
            name="refuse_for_merchant",
            label=_("Refuse for the merchant"),
            description=_("Refuse on the merchant's behalf; the buyer may modify the request or ask for intervention."),
            steps=("refuse",),
            form=RefuseForm,
            call=lambda actor, obj, data: refund_refuse(
                actor=actor, refund_id=obj.pk, reason=data["reason"], on_behalf_reason=data["on_behalf_reason"]
            ),
            success=_("Refused for the merchant."),
            intro=lambda obj: obj.description,
        ),
        Button(
            name="confirm_goods_for_merchant",
            label=_("Confirm goods for the merchant"),
            description=_("The merchant received the return: a refund is paid (an advance recovered)."),
            steps=("confirm_goods_refund", "confirm_goods_reship"),
            form=OnBehalfForm,
            call=lambda actor, obj, data: refund_confirm_goods(
                actor=actor, refund_id=obj.pk, on_behalf_reason=data["on_behalf_reason"]
            ),
            success=_("Goods confirmed for the merchant."),
        ),
        Button(
            name="refuse_goods_for_merchant",
            label=_("Refuse the goods for the merchant"),
            description=_(
                "The merchant refuses the returned goods (told us by phone); the buyer may modify or ask for "
                "intervention, and an express case goes to intervention at once."
            ),
            steps=("refuse_goods",),
            form=RefuseForm,
            call=lambda actor, obj, data: refund_refuse_goods(
                actor=actor, refund_id=obj.pk, reason=data["reason"], on_behalf_reason=data["on_behalf_reason"]
            ),
            success=_("Goods refused for the merchant."),
        ),
        Button(
            name="reship_for_merchant",
            label=_("Enter the waybill back for the merchant"),
            description=_("The merchant sent the exchanged or repaired goods back; the request succeeds."),
            steps=("reship",),
            form=ReshipForm,
            call=lambda actor, obj, data: refund_reship(
                actor=actor, refund_id=obj.pk, waybill=data["waybill"], on_behalf_reason=data["on_behalf_reason"]
            ),
            success=_("Goods sent back for the merchant."),
        ),
        Button(
            name="record_return_signed",
            label=_("Record return signed"),
            description=_("Logistics show the return signed for: the merchant's time to confirm shortens."),
            steps=("return_signed",),
            form=ReturnSignedForm,
            call=lambda actor, obj, data: refund_return_signed(
                actor=actor, refund_id=obj.pk, signed_at=data["signed_at"]
            ),
            success=_("Return recorded as signed for."),
            intro=lambda obj: (
                gettext("Carrier %(carrier)s, waybill %(waybill)s.")
                % {"carrier": obj.return_carrier, "waybill": obj.return_waybill}
            ),
        ),
        Button(
            name="ship_return_for_buyer",
            label=_("Enter return waybill for the buyer"),
            description=_("The buyer shipped the return (told us by phone); an instant refund is advanced if due."),
            steps=("ship_return",),
            form=ShipReturnForm,
            call=lambda actor, obj, data: refund_ship_return(
                actor=actor,
                refund_id=obj.pk,
                carrier=data["carrier"],
                waybill=data["waybill"],
                on_behalf_reason=data["on_behalf_reason"],
            ),
            success=_("Return waybill entered for the buyer."),
        ),
        Button(
            name="cancel_for_buyer",
            label=_("Cancel for the buyer"),
            description=_("Cancel on the buyer's behalf. The item can never be reopened afterwards."),
            steps=("cancel",),
            form=OnBehalfForm,
            call=lambda actor, obj, data: refund_cancel(
                actor=actor, refund_id=obj.pk, on_behalf_reason=data["on_behalf_reason"]
            ),
            success=_("Request cancelled for the buyer."),
            intro=lambda obj: gettext("After a cancellation the buyer cannot apply again for this item."),
        ),
        Button(
            name="uphold_goods_refusal",
            label=_("Uphold the refusal of the goods"),
            description=_("The merchant wins: the refund closes; a buyer holding an advance is told to repay it."),
            steps=("close",),
            form=ReasonForm,
            call=lambda actor, obj, data: refund_uphold_goods_refusal(
                actor=actor, refund_id=obj.pk, reason=data["reason"]
            ),
            success=_("Refusal of the goods upheld; the refund is closed."),
            intro=lambda obj: obj.refuse_reason,
        ),
        Button(
            name="record_advance_repaid",
            label=_("Record advance repaid"),
            description=_("The buyer repaid the platform's advance (seen on the payment channel)."),
            steps=("record_repaid",),
            form=ConfirmForm,
            call=lambda actor, obj, data: refund_advance_repaid(actor=actor, refund_id=obj.pk),
            success=_("Advance recorded as repaid."),
            intro=lambda obj: (
                gettext("The buyer owes %(amount)s. Confirm only once the payment has arrived.")
                % {"amount": format_fen(advance_outstanding(obj))}
            ),
        ),
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
            return flag_badges(obj, now=clock.now, express_pending=obj.express_pending)  # type: ignore[attr-defined]  # get_queryset annotates it

        # The next automatic action and the flags right after the state: at 1440 px the last columns are the ones
        # that may need a scroll.
        number, state, *rest = self.base_list_display
        columns = (number, state, due_column, flags_column, *rest)
        request._refund_queue_columns = columns  # type: ignore[attr-defined]  # per-request cache
        return columns

    @admin.display(description=_("explanation"))
    def explanation(self, obj: RefundRequest) -> str:
        return deadlines_panel(obj)

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
