"""Refunds and after-sales (退款/售后): the request state machine, instant-refund advances and express rights
protection (极速维权) (RULES.md sections 2-3); platform intervention cases live in interventions.py."""

from disputes.models.refunds.choices import (
    EXPRESS_REASONS,
    JUDGMENT_FIELDS,
    LIVE_REFUND_STATES,
    MONEY_TYPES,
    RETURN_TYPES,
    AdvanceState,
    DueAction,
    ExpressStatus,
    RefundReason,
    RefundState,
    RefundType,
)
from disputes.models.refunds.claims import ExpressClaim, RefundEvidence
from disputes.models.refunds.request import RefundRequest

__all__ = [
    "EXPRESS_REASONS",
    "JUDGMENT_FIELDS",
    "LIVE_REFUND_STATES",
    "MONEY_TYPES",
    "RETURN_TYPES",
    "AdvanceState",
    "DueAction",
    "ExpressClaim",
    "ExpressStatus",
    "RefundEvidence",
    "RefundReason",
    "RefundRequest",
    "RefundState",
    "RefundType",
]
