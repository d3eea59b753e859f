"""Refunds and after-sales (退款/售后): the request state machine, instant-refund advances and express rights
protection (极速维权) (RULES.md sections 2-3); platform intervention cases live in interventions.py."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.models.evidence import EvidenceFile
from disputes.models.orders import OrderItem
from disputes.models.parties import Buyer, Merchant


class RefundType(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only (仅退款)")
    RETURN_AND_REFUND = "return_refund", _("Return and refund (退货退款)")
    EXCHANGE = "exchange", _("Exchange (换货)")
    REPAIR = "repair", _("Repair (维修)")


RETURN_TYPES = (RefundType.RETURN_AND_REFUND, RefundType.EXCHANGE, RefundType.REPAIR)
MONEY_TYPES = (RefundType.REFUND_ONLY, RefundType.RETURN_AND_REFUND)


class RefundReason(models.TextChoices):
    NO_REASON = "no_reason", _("7-day no-reason return (七天无理由)")
    QUALITY = "quality", _("Quality problem (质量问题)")
    DAMAGED = "damaged", _("Damaged in transit (运输损坏)")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described (描述不符)")
    NOT_RECEIVED = "not_received", _("Not received (未收到货)")
    COUNTERFEIT = "counterfeit", _("Counterfeit (假冒品牌)")
    MISSING_PARTS = "missing_parts", _("Missing parts (少件/漏发)")
    OTHER = "other", _("Other (其他)")


# Reasons that open express rights protection after a refusal (RULES.md section 3).
EXPRESS_REASONS = (RefundReason.QUALITY, RefundReason.DAMAGED)


class RefundState(models.TextChoices):
    WAIT_SELLER_AGREE = "wait_seller_agree", _("Waiting for the merchant (等待卖家同意)")
    WAIT_BUYER_RETURN = "wait_buyer_return", _("Waiting for the buyer's return (等待买家退货)")
    WAIT_SELLER_CONFIRM = "wait_seller_confirm", _("Waiting for the merchant to confirm the goods (等待卖家确认收货)")
    SELLER_REFUSED = "seller_refused", _("Merchant refused (卖家拒绝)")
    WAIT_SELLER_RESHIP = "wait_seller_reship", _("Goods received, merchant to send back (等待卖家发货)")
    CLOSED = "closed", _("Closed (退款关闭)")
    SUCCESS = "success", _("Success (退款成功)")


LIVE_REFUND_STATES = (
    RefundState.WAIT_SELLER_AGREE,
    RefundState.WAIT_BUYER_RETURN,
    RefundState.WAIT_SELLER_CONFIRM,
    RefundState.SELLER_REFUSED,
    RefundState.WAIT_SELLER_RESHIP,
)


class AdvanceState(models.TextChoices):
    NONE = "none", _("No advance")
    APPLIED = "applied", _("Applied: paid when the buyer ships")
    ADVANCED = "advanced", _("Advanced by the platform (已垫付)")
    MERCHANT_REFUSED_GOODS = "merchant_refused_goods", _("Merchant refused the goods")
    CLOSED = "closed", _("Closed without advance")
    SETTLED = "settled", _("Settled (已结清)")


class DueAction(models.TextChoices):
    """What the scheduler does when `due_at` passes, fixed by the state the request is in."""

    NONE = "", _("Nothing")
    PAY = "pay", _("Refund paid")
    AGREE = "agree", _("Agreed on the merchant's behalf")
    CLOSE_NOT_SHIPPED = "close_not_shipped", _("Closed: the buyer did not ship the return")
    CLOSE_REFUSED = "close_refused", _("Closed: the buyer neither modified nor escalated")
    RECEIVED = "received", _("Goods taken as received")


# What executing a platform judgment may change on a refund (settle, close or agree by judgment, and the
# deadline); an overturn on review restores them. The advance is not here: it follows the ledger.
JUDGMENT_FIELDS = (
    "state",
    "amount_fen",
    "refund_type",
    "succeeded_at",
    "closed_at",
    "close_reason",
    "agreed_at",
    "return_address",
    "agreed_on_behalf",
    "refused_goods",
    "due_at",
    "due_action",
    "intervention_requested_at",
)


class RefundRequest(ConcurrentTransitionMixin, models.Model):
    """A buyer's refund or after-sales request on one order item."""

    # No single-column indexes on the three keys: refund_item_state, refund_buyer and refund_merchant_state
    # lead with them. Every index is one more write when the sweep moves a row (benchmark_refund_sweep).
    order_item = models.ForeignKey(
        OrderItem,
        on_delete=models.PROTECT,
        related_name="refund_requests",
        verbose_name=_("order item"),
        db_index=False,
    )
    buyer = models.ForeignKey(
        Buyer, on_delete=models.PROTECT, related_name="refund_requests", verbose_name=_("buyer"), db_index=False
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="refund_requests", verbose_name=_("merchant"), db_index=False
    )
    refund_type = models.CharField(_("type"), max_length=16, choices=RefundType.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=RefundReason.choices)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    amount_fen = models.PositiveBigIntegerField(_("refund amount (fen)"), default=0)
    order_shipped = models.BooleanField(_("order shipped when applied"), default=False)
    damage_guarantee = models.BooleanField(_("damage return guarantee claim (破损包退)"), default=False)
    shipping_cover = models.BooleanField(_("return shipping cover (退货包运费)"), default=False)
    express = models.BooleanField(_("express rights protection (极速维权)"), default=False)

    state = FSMField(
        _("state"), max_length=24, choices=RefundState.choices, default=RefundState.WAIT_SELLER_AGREE, protected=True
    )
    advance_state = FSMField(
        _("instant refund"), max_length=24, choices=AdvanceState.choices, default=AdvanceState.NONE, protected=True
    )
    # The one automatic deadline of the current state, and what happens when it passes.
    due_at = models.DateTimeField(_("automatic action at"), null=True, blank=True)
    due_action = models.CharField(_("automatic action"), max_length=20, choices=DueAction.choices, blank=True)

    created_at = models.DateTimeField(_("applied at"), default=timezone.now)
    modified_at = models.DateTimeField(_("modified at"), null=True, blank=True)
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    agreed_on_behalf = models.BooleanField(_("agreed by the platform on the merchant's behalf"), default=False)
    return_address = models.CharField(_("return address"), max_length=300, blank=True)
    return_carrier = models.CharField(_("return carrier"), max_length=40, blank=True)
    return_waybill = models.CharField(_("return waybill"), max_length=40, blank=True)
    return_shipped_at = models.DateTimeField(_("return shipped at"), null=True, blank=True)
    return_signed_at = models.DateTimeField(_("return signed for at"), null=True, blank=True)
    goods_received_at = models.DateTimeField(_("goods confirmed at"), null=True, blank=True)
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    refuse_reason = models.TextField(_("refusal reason"), blank=True)
    refused_goods = models.BooleanField(_("merchant refused the returned goods"), default=False)
    reship_waybill = models.CharField(_("merchant's waybill back"), max_length=40, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=200, blank=True)
    cancelled_by_buyer = models.BooleanField(_("cancelled by the buyer"), default=False)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True)
    intervention_requested_at = models.DateTimeField(_("intervention requested at"), null=True, blank=True)
    repayment_notice_at = models.DateTimeField(_("advance repayment notice at"), null=True, blank=True)
    repayment_due_at = models.DateTimeField(_("advance repayment due at"), null=True, blank=True)
    repaid_at = models.DateTimeField(_("advance repaid at"), null=True, blank=True)
    privilege_revoked_at = models.DateTimeField(_("instant-refund privilege revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["-created_at"]
        permissions = [
            ("act_on_behalf_refundrequest", _("Can act on a refund on a party's behalf")),
            ("verify_express_refundrequest", _("Can verify express rights protection claims")),
        ]
        indexes = [
            # The sweep reads only rows with a deadline: its cost follows what is due.
            models.Index(fields=["due_at"], name="refund_due", condition=Q(due_at__isnull=False)),
            models.Index(
                fields=["repayment_due_at"],
                name="refund_repayment_due",
                condition=Q(
                    advance_state="merchant_refused_goods",
                    repaid_at__isnull=True,
                    privilege_revoked_at__isnull=True,
                    repayment_due_at__isnull=False,
                ),
            ),
            models.Index(fields=["merchant", "state", "created_at"], name="refund_merchant_state"),
            models.Index(fields=["buyer", "created_at"], name="refund_buyer"),
            models.Index(fields=["order_item", "state"], name="refund_item_state"),
        ]

    def __str__(self) -> str:
        return f"RF-{self.pk}"

    @property
    def number(self) -> str:
        return f"RF-{self.pk}"

    # --- the request -------------------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.WAIT_SELLER_AGREE, target=RefundState.SUCCESS)
    def agree_refund(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.agreed_at = at
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.WAIT_SELLER_AGREE, target=RefundState.WAIT_BUYER_RETURN)
    def agree_return(
        self, *, at: Any, address: str, on_behalf: bool = False, by: Any = None, description: str | None = None
    ) -> None:
        self.agreed_at = at
        self.return_address = address
        self.agreed_on_behalf = on_behalf

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.WAIT_SELLER_AGREE, target=RefundState.SELLER_REFUSED)
    def refuse(self, *, at: Any, reason: str, by: Any = None, description: str | None = None) -> None:
        self.refused_at = at
        self.refuse_reason = reason
        self.refused_goods = False

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.SELLER_REFUSED, target=RefundState.WAIT_SELLER_AGREE)
    def modify(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.modified_at = at
        self.refused_at = None
        self.refused_goods = False
        self.intervention_requested_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.SELLER_REFUSED, target=RefundState.WAIT_BUYER_RETURN)
    def agree_on_behalf(self, *, at: Any, address: str, by: Any = None, description: str | None = None) -> None:
        # Express rights protection: staff agree to a return for the merchant.
        self.refund_type = (
            RefundType.RETURN_AND_REFUND if self.refund_type == RefundType.REFUND_ONLY else self.refund_type
        )
        self.agreed_at = at
        self.return_address = address
        self.agreed_on_behalf = True
        self.express = True

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.WAIT_BUYER_RETURN, target=RefundState.WAIT_SELLER_CONFIRM)
    def ship_return(
        self, *, at: Any, carrier: str, waybill: str, by: Any = None, description: str | None = None
    ) -> None:
        self.return_carrier = carrier
        self.return_waybill = waybill
        self.return_shipped_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.WAIT_SELLER_CONFIRM, target=RefundState.SUCCESS)
    def confirm_goods_refund(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.goods_received_at = at
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.WAIT_SELLER_CONFIRM, target=RefundState.WAIT_SELLER_RESHIP)
    def confirm_goods_reship(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.goods_received_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.WAIT_SELLER_CONFIRM, target=RefundState.SELLER_REFUSED)
    def refuse_goods(self, *, at: Any, reason: str, by: Any = None, description: str | None = None) -> None:
        self.refused_at = at
        self.refuse_reason = reason
        self.refused_goods = True

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.WAIT_SELLER_RESHIP, target=RefundState.SUCCESS)
    def reship(self, *, at: Any, waybill: str, by: Any = None, description: str | None = None) -> None:
        self.reship_waybill = waybill
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[RefundState.WAIT_SELLER_AGREE, RefundState.WAIT_BUYER_RETURN, RefundState.SELLER_REFUSED],
        target=RefundState.CLOSED,
    )
    def cancel(self, *, at: Any, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at
        self.close_reason = "Cancelled by the buyer"
        self.cancelled_by_buyer = True

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=[RefundState.WAIT_BUYER_RETURN, RefundState.SELLER_REFUSED], target=RefundState.CLOSED
    )
    def close(self, *, at: Any, reason: str, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at
        self.close_reason = reason[:200]

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=[*LIVE_REFUND_STATES, RefundState.CLOSED], target=RefundState.SUCCESS)
    def settle_by_judgment(self, *, at: Any, amount_fen: int, by: Any = None, description: str | None = None) -> None:
        # A platform judgment decides the amount; the request is paid whatever stage it had reached.
        self.amount_fen = amount_fen
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[RefundState.WAIT_SELLER_AGREE, RefundState.SELLER_REFUSED],
        target=RefundState.WAIT_BUYER_RETURN,
    )
    def agree_by_judgment(self, *, at: Any, address: str, by: Any = None, description: str | None = None) -> None:
        self.refund_type = (
            RefundType.RETURN_AND_REFUND if self.refund_type == RefundType.REFUND_ONLY else self.refund_type
        )
        self.agreed_at = at
        self.return_address = address
        self.agreed_on_behalf = True
        self.refused_goods = False
        self.intervention_requested_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=list(LIVE_REFUND_STATES), target=RefundState.CLOSED)
    def close_by_judgment(self, *, at: Any, reason: str, by: Any = None, description: str | None = None) -> None:
        self.closed_at = at
        self.close_reason = reason[:200]

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[RefundState.SUCCESS, RefundState.CLOSED, RefundState.WAIT_BUYER_RETURN],
        target=RETURN_VALUE(*RefundState.values),
    )
    def reopen_by_review(self, *, before: dict[str, Any], by: Any = None, description: str | None = None) -> str:
        # A judgment overturned on review: back to the state and fields the old judgment found (a snapshot
        # from judgment_snapshot), so the new judgment executes as if the old one had never been.
        for name in JUDGMENT_FIELDS:
            if name != "state" and name in before:
                setattr(self, name, self._meta.get_field(name).to_python(before[name]))
        return before["state"]

    def judgment_snapshot(self) -> dict[str, Any]:
        """The fields a judgment's execution may change, as reopen_by_review restores them."""
        return {name: getattr(self, name) for name in JUDGMENT_FIELDS}

    # --- the instant-refund advance -------------------------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(field=advance_state, source=AdvanceState.NONE, target=AdvanceState.APPLIED)
    def apply_advance(self, *, by: Any = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=advance_state, source=AdvanceState.APPLIED, target=AdvanceState.ADVANCED)
    def advance(self, *, by: Any = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=advance_state, source=AdvanceState.APPLIED, target=AdvanceState.CLOSED)
    def close_advance(self, *, by: Any = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=advance_state, source=AdvanceState.ADVANCED, target=AdvanceState.MERCHANT_REFUSED_GOODS)
    def advance_goods_refused(self, *, by: Any = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=advance_state,
        source=[AdvanceState.ADVANCED, AdvanceState.MERCHANT_REFUSED_GOODS],
        target=AdvanceState.SETTLED,
    )
    def settle_advance(self, *, by: Any = None, description: str | None = None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=advance_state,
        source=[AdvanceState.ADVANCED, AdvanceState.SETTLED],
        target=AdvanceState.MERCHANT_REFUSED_GOODS,
    )
    def advance_owed_by_judgment(self, *, by: Any = None, description: str | None = None) -> None:
        # A judgment (or its overturn on review) leaves part or all of the advance with the buyer, who owes
        # it back: the same repayment notice and deadline as when a refusal of the goods is upheld.
        pass


class RefundEvidence(EvidenceFile):
    """A photo, video or PDF a party attached to a refund (application, refusal, express claim)."""

    refund = models.ForeignKey(
        RefundRequest, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("refund request")
    )
    purpose = models.CharField(_("purpose"), max_length=40)

    class Meta:
        verbose_name = _("refund evidence")
        verbose_name_plural = _("refund evidence")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ExpressStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting staff verification")
    VERIFIED = "verified", _("Verified: return agreed on the merchant's behalf")
    REJECTED = "rejected", _("Rejected")


class ExpressClaim(models.Model):
    """A highly rated buyer's express rights protection (极速维权) claim after a refusal; jumps the staff queue."""

    refund = models.ForeignKey(
        RefundRequest, on_delete=models.PROTECT, related_name="express_claims", verbose_name=_("refund request")
    )
    description = models.TextField(_("description"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=12, choices=ExpressStatus.choices, default=ExpressStatus.PENDING, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
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
        verbose_name = _("express rights protection claim")
        verbose_name_plural = _("express rights protection claims")
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["refund"], condition=Q(status="pending"), name="uniq_pending_express_claim"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.refund} express ({self.get_status_display()})"
