"""Models, one module per aggregate; this package re-exports them by name."""

from disputes.models.catalog import Product, SupportedCity
from disputes.models.help_requests import (
    AnomalyKind,
    ClaimStatus,
    DeadlineKind,
    ForceMajeureCategory,
    ForceMajeureClaim,
    ForceMajeureEvidence,
    HelpRequest,
    HelpState,
)
from disputes.models.ledger import (
    LEDGER_MODELS,
    BuyerPointsEntry,
    EntryKind,
    LedgerEntry,
    MerchantAccountEntry,
    PlatformAdvanceEntry,
)
from disputes.models.orders import Order, OrderItem, OrderStatus, ServiceCommitment
from disputes.models.parties import (
    Buyer,
    Merchant,
    MerchantUser,
    ServiceDesignation,
    ServiceProvider,
    ServiceProviderUser,
)
from disputes.models.policies import Policy, PolicyChange, PolicyGroup, PolicyUnit
from disputes.models.violations import PenaltyBasis, Violation, ViolationKind, ViolationStatus

__all__ = [
    "LEDGER_MODELS",
    "AnomalyKind",
    "Buyer",
    "BuyerPointsEntry",
    "ClaimStatus",
    "DeadlineKind",
    "EntryKind",
    "ForceMajeureCategory",
    "ForceMajeureClaim",
    "ForceMajeureEvidence",
    "HelpRequest",
    "HelpState",
    "LedgerEntry",
    "Merchant",
    "MerchantAccountEntry",
    "MerchantUser",
    "Order",
    "OrderItem",
    "OrderStatus",
    "PenaltyBasis",
    "PlatformAdvanceEntry",
    "Policy",
    "PolicyChange",
    "PolicyGroup",
    "PolicyUnit",
    "Product",
    "ServiceCommitment",
    "ServiceDesignation",
    "ServiceProvider",
    "ServiceProviderUser",
    "SupportedCity",
    "Violation",
    "ViolationKind",
    "ViolationStatus",
]
