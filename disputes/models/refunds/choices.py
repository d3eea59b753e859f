"""The vocabulary of refunds and after-sales (退款/售后): types, reasons, states, automatic actions (RULES.md
sections 2-3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class ExpressStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting staff verification")
    VERIFIED = "verified", _("Verified: return agreed on the merchant's behalf")
    REJECTED = "rejected", _("Rejected")


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
