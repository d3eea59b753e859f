"""Models, one module per aggregate; this package re-exports them by name."""

from disputes.models.catalog import Product, SupportedCity
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

__all__ = [
    "LEDGER_MODELS",
    "Buyer",
    "BuyerPointsEntry",
    "EntryKind",
    "LedgerEntry",
    "Merchant",
    "MerchantAccountEntry",
    "MerchantUser",
    "Order",
    "OrderItem",
    "OrderStatus",
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
]
