"""Penalty amounts for one-click help misses (RULES.md sections 1 and 6), from a policy snapshot."""

from disputes.choices import ServiceKind
from disputes.models.violations import PenaltyBasis
from disputes.policies import PolicySnapshot

# Every policy the two functions below read: a change to one of them changes what a miss costs, not whether it is
# one (disputes.selectors.what_if replays them; tests/selectors/test_what_if.py proves the list is complete).
PENALTY_POLICIES = (
    "help.solution_penalty",
    "standard.delivery_install.not_provided",
    "standard.delivery_install.late",
    "standard.home_delivery.not_provided",
    "standard.home_delivery.late",
    "standard.warranty.multiplier",
    "standard.warranty.max",
    "standard.install.percent",
    "standard.install.min",
    "standard.install.max",
)


SOLUTION_KEYS = ("help.solution_penalty",)


def resolution_keys(service_kind: str, *, solution_given: bool) -> tuple[str, ...]:
    """The policies resolution_penalty reads for this service (and, for the delivery standards, this basis)."""
    if service_kind in (ServiceKind.DELIVERY_AND_INSTALL, ServiceKind.HOME_DELIVERY):
        prefix = (
            "standard.delivery_install"
            if service_kind == ServiceKind.DELIVERY_AND_INSTALL
            else "standard.home_delivery"
        )
        return (f"{prefix}.late",) if solution_given else (f"{prefix}.not_provided",)
    if service_kind == ServiceKind.THREE_YEAR_WARRANTY:
        return ("standard.warranty.multiplier", "standard.warranty.max")
    if service_kind in (ServiceKind.SCHEDULED_INSTALL, ServiceKind.ONSITE_INSTALL):
        return ("standard.install.percent", "standard.install.min", "standard.install.max")
    raise ValueError(f"No 48-hour penalty standard for service {service_kind!r}")


def solution_penalty(policies: PolicySnapshot) -> int:
    """Points credited for a missed 1-hour solution deadline."""
    return policies.int("help.solution_penalty")


def resolution_penalty(
    policies: PolicySnapshot, *, service_kind: str, item_price_fen: int, solution_given: bool
) -> tuple[int, str]:
    """Points credited for a missed 48-hour resolution deadline, and the basis they were computed on.

    Points and fen are the same unit (100 points = 1 元 = 100 fen), so a share of the item
    price in fen is that many points.
    """
    if service_kind in (ServiceKind.DELIVERY_AND_INSTALL, ServiceKind.HOME_DELIVERY):
        prefix = (
            "standard.delivery_install"
            if service_kind == ServiceKind.DELIVERY_AND_INSTALL
            else "standard.home_delivery"
        )
        if solution_given:
            return policies.int(f"{prefix}.late"), PenaltyBasis.LATE
        return policies.int(f"{prefix}.not_provided"), PenaltyBasis.NOT_PROVIDED
    if service_kind == ServiceKind.THREE_YEAR_WARRANTY:
        price_yuan = item_price_fen // 100
        amount = min(policies.int("standard.warranty.multiplier") * price_yuan, policies.int("standard.warranty.max"))
        return amount, PenaltyBasis.FIXED
    if service_kind in (ServiceKind.SCHEDULED_INSTALL, ServiceKind.ONSITE_INSTALL):
        share = item_price_fen * policies.int("standard.install.percent") // 100
        amount = max(policies.int("standard.install.min"), min(share, policies.int("standard.install.max")))
        return amount, PenaltyBasis.FIXED
    raise ValueError(f"No 48-hour penalty standard for service {service_kind!r}")
