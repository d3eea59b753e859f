"""The refund or after-sales request (退款/售后) and the steps its parties and staff take (RULES.md sections 2-3);
the automatic steps are mixed in from automatic.py."""

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from disputes.models.interventions import CASE_PENDING_STATES
from disputes.models.orders import OrderItem
from disputes.models.parties import Actor, Buyer, Merchant
from disputes.models.refunds.automatic import AdvanceSteps, JudgmentSteps, TimeoutSteps
from disputes.models.refunds.choices import (
    AdvanceState,
    DueAction,
    ExpressStatus,
    RefundReason,
    RefundState,
    RefundType,
)
from disputes.models.refunds.rules import (
    BUYER,
    BUYER_OR_STAFF,
    EXPRESS_STAFF,
    GOODS_COME_BACK,
    GOODS_REFUSED,
    MERCHANT_OR_STAFF,
    NO_CASE_PENDING,
    NO_EXPRESS_CLAIM_PENDING,
    NOT_SIGNED_YET,
    ON_BEHALF_STAFF,
    REFUND_ONLY,
    RETURN_FOR_GOODS,
    RETURN_FOR_MONEY,
)
from disputes.models.steps import NOBODY, stay


class RefundRequest(TimeoutSteps, JudgmentSteps, AdvanceSteps, ConcurrentTransitionMixin, models.Model):
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
    # What each deadline was computed from: {field: {"rule", "from", "policies": {key: version}}} (disputes.explain).
    deadline_basis = models.JSONField(_("deadline basis"), default=dict, db_default={}, blank=True, editable=False)
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

    @property
    def repayment_owed(self) -> bool:
        """The merchant's refusal of the goods stood after an advance, and the buyer has not repaid it."""
        return (
            self.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS
            and self.repayment_due_at is not None
            and self.repaid_at is None
        )

    def case_pending(self) -> bool:
        """Whether a platform intervention case on this refund still decides it (the parties wait for it)."""
        return self.interventions.filter(state__in=CASE_PENDING_STATES).exists()

    def express_claim_pending(self) -> bool:
        return self.express_claims.filter(status=ExpressStatus.PENDING).exists()

    # --- the request: who may take each step, and what else must hold, is declared here only ---------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_SELLER_AGREE,
        target=RefundState.SUCCESS,
        permission=MERCHANT_OR_STAFF,
        conditions=[REFUND_ONLY],
    )
    def agree_refund(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.agreed_at = at
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_SELLER_AGREE,
        target=RefundState.WAIT_BUYER_RETURN,
        permission=MERCHANT_OR_STAFF,
        conditions=[GOODS_COME_BACK],
    )
    def agree_return(
        self,
        *,
        at: datetime,
        address: str,
        on_behalf: bool = False,
        by: Actor | None = None,
        description: str | None = None,
    ) -> None:
        self.agreed_at = at
        self.return_address = address
        self.agreed_on_behalf = on_behalf

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_SELLER_AGREE,
        target=RefundState.SELLER_REFUSED,
        permission=MERCHANT_OR_STAFF,
    )
    def refuse(self, *, at: datetime, reason: str, by: Actor | None = None, description: str | None = None) -> None:
        self.refused_at = at
        self.refuse_reason = reason
        self.refused_goods = False

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.SELLER_REFUSED,
        target=RefundState.WAIT_SELLER_AGREE,
        permission=BUYER,
        conditions=[NO_CASE_PENDING, NO_EXPRESS_CLAIM_PENDING],
    )
    def modify(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.modified_at = at
        self.refused_at = None
        self.refused_goods = False
        self.intervention_requested_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=RefundState.SELLER_REFUSED, target=RefundState.WAIT_BUYER_RETURN, permission=NOBODY)
    def agree_on_behalf(
        self, *, at: datetime, address: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        # Express rights protection: follows from staff verifying an express claim (ExpressClaim.verify).
        self.refund_type = (
            RefundType.RETURN_AND_REFUND if self.refund_type == RefundType.REFUND_ONLY else self.refund_type
        )
        self.agreed_at = at
        self.return_address = address
        self.agreed_on_behalf = True
        self.express = True

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_BUYER_RETURN,
        target=RefundState.WAIT_SELLER_CONFIRM,
        permission=BUYER_OR_STAFF,
    )
    def ship_return(
        self, *, at: datetime, carrier: str, waybill: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        self.return_carrier = carrier
        self.return_waybill = waybill
        self.return_shipped_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_SELLER_CONFIRM,
        target=stay(),
        permission=ON_BEHALF_STAFF,
        conditions=[NOT_SIGNED_YET],
    )
    def return_signed(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        # Logistics show the return signed for: the merchant's time to confirm shortens (the service reschedules).
        self.return_signed_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_SELLER_CONFIRM,
        target=RefundState.SUCCESS,
        permission=MERCHANT_OR_STAFF,
        conditions=[RETURN_FOR_MONEY],
    )
    def confirm_goods_refund(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.goods_received_at = at
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_SELLER_CONFIRM,
        target=RefundState.WAIT_SELLER_RESHIP,
        permission=MERCHANT_OR_STAFF,
        conditions=[RETURN_FOR_GOODS],
    )
    def confirm_goods_reship(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.goods_received_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_SELLER_CONFIRM,
        target=RefundState.SELLER_REFUSED,
        permission=MERCHANT_OR_STAFF,
    )
    def refuse_goods(
        self, *, at: datetime, reason: str, by: Actor | None = None, description: str | None = None
    ) -> None:
        self.refused_at = at
        self.refuse_reason = reason
        self.refused_goods = True

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.WAIT_SELLER_RESHIP,
        target=RefundState.SUCCESS,
        permission=MERCHANT_OR_STAFF,
    )
    def reship(self, *, at: datetime, waybill: str, by: Actor | None = None, description: str | None = None) -> None:
        self.reship_waybill = waybill
        self.succeeded_at = at

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[RefundState.WAIT_SELLER_AGREE, RefundState.WAIT_BUYER_RETURN, RefundState.SELLER_REFUSED],
        target=RefundState.CLOSED,
        permission=BUYER_OR_STAFF,
        conditions=[NO_CASE_PENDING],
    )
    def cancel(self, *, at: datetime, by: Actor | None = None, description: str | None = None) -> None:
        self.closed_at = at
        self.close_reason = "Cancelled by the buyer"
        self.cancelled_by_buyer = True

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=RefundState.SELLER_REFUSED,
        target=RefundState.CLOSED,
        permission=EXPRESS_STAFF,
        conditions=[GOODS_REFUSED, NO_CASE_PENDING],
    )
    def close(self, *, at: datetime, reason: str, by: Actor | None = None, description: str | None = None) -> None:
        # Staff uphold the merchant's refusal of the returned goods: the merchant wins.
        self.closed_at = at
        self.close_reason = reason[:200]
