"""Who may take each step of a refund, and what else must hold (disputes.models.steps): declared once, read by
the transitions, the admin's buttons and the services."""

from disputes.models.refunds.choices import RefundType
from disputes.models.steps import Rule, Who, is_buyer, is_merchant

# Who may take each step (RULES.md sections 2-3).
ON_BEHALF = "disputes.act_on_behalf_refundrequest"
BUYER = Who(parties=(is_buyer,))
BUYER_OR_STAFF = Who(staff=ON_BEHALF, parties=(is_buyer,))
MERCHANT_OR_STAFF = Who(staff=ON_BEHALF, parties=(is_merchant,))
ON_BEHALF_STAFF = Who(staff=ON_BEHALF)
EXPRESS_STAFF = Who(staff="disputes.verify_express_refundrequest")

# What else must hold, with the refusal a service raises.
REFUND_ONLY = Rule(
    lambda refund: refund.refund_type == RefundType.REFUND_ONLY,
    "refund_type_mismatch",
    "This is a return.",
    business=True,
)
GOODS_COME_BACK = Rule(
    lambda refund: refund.refund_type != RefundType.REFUND_ONLY,
    "refund_type_mismatch",
    "Nothing is returned.",
    business=True,
)
RETURN_FOR_MONEY = Rule(
    lambda refund: refund.refund_type == RefundType.RETURN_AND_REFUND,
    "refund_type_mismatch",
    "An exchange or repair is sent back, not refunded.",
    business=True,
)
RETURN_FOR_GOODS = Rule(
    lambda refund: refund.refund_type != RefundType.RETURN_AND_REFUND,
    "refund_type_mismatch",
    "A return and refund is refunded, not sent back.",
    business=True,
)
NO_CASE_PENDING = Rule(
    lambda refund: not refund.case_pending(),
    "intervention_open",
    "A platform intervention case is open on this refund; withdraw it first.",
)
NO_EXPRESS_CLAIM_PENDING = Rule(
    lambda refund: not refund.express_claim_pending(),
    "express_claim_pending",
    "Staff are verifying your express claim.",
)
GOODS_REFUSED = Rule(
    lambda refund: refund.refused_goods,
    "not_goods_refusal",
    "Only a refusal of returned goods can be upheld.",
    business=True,
)
NOT_SIGNED_YET = Rule(
    lambda refund: refund.return_signed_at is None,
    "return_already_signed",
    "The return is already recorded as signed for.",
)
REPAYMENT_OWED = Rule(lambda refund: refund.repayment_owed, "no_advance_owed", "No advance is owed on this request.")
