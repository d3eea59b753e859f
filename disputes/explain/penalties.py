"""Every penalty's amount explained: the same arithmetic that computed it (disputes.penalties,
services.refunds.money), run again on the values of the recorded policy versions, with the formula's steps."""

from typing import Any

from django.utils.translation import gettext

from disputes.choices import ServiceKind
from disputes.explain.deadlines import policy_rows
from disputes.models.help_requests import DeadlineKind
from disputes.models.violations import PenaltyBasis
from disputes.penalties import SOLUTION_KEYS, resolution_keys, resolution_penalty, solution_penalty
from disputes.policies import PolicyMissing, PolicySnapshot
from disputes.services.refunds.money import damage_penalty_fen

__all__ = ["explain_damage_penalty", "explain_help_penalty", "explain_shipping_cover", "unexplained"]


def unexplained(penalty: str, amount: int, unit: str, reason: str) -> dict[str, Any]:
    """A penalty whose amount no policy computed (set by a judgment), or whose inputs were not recorded."""
    return {"penalty": penalty, "amount": amount, "unit": unit, "recorded": False, "steps": [reason], "policies": []}


def _result(
    penalty: str, amount: int, computed: int, unit: str, keys: tuple[str, ...], policies: PolicySnapshot
) -> dict[str, Any]:
    return {
        "penalty": penalty,
        "amount": amount,
        "unit": unit,
        "recorded": True,
        "recomputed_amount": computed,
        "reproduced": computed == amount,
        "policies": policy_rows(keys, policies),
    }


def explain_help_penalty(
    *,
    deadline: str,
    service_kind: str,
    item_price_fen: int,
    solution_in_time: bool,
    amount: int,
    policies: PolicySnapshot,
) -> dict[str, Any]:
    """A one-click help miss (RULES.md sections 1 and 6): `amount` is what was credited (points); `policies` the
    values at the versions the violation recorded."""
    name = f"help.{deadline}_penalty"
    keys = (
        SOLUTION_KEYS
        if deadline == DeadlineKind.SOLUTION
        else resolution_keys(service_kind, solution_given=solution_in_time)
    )
    try:
        if deadline == DeadlineKind.SOLUTION:
            computed, basis = solution_penalty(policies), str(PenaltyBasis.FIXED)
        else:
            computed, basis = resolution_penalty(
                policies, service_kind=service_kind, item_price_fen=item_price_fen, solution_given=solution_in_time
            )
    except PolicyMissing:
        return unexplained(name, amount, "points", gettext("The policy versions of this penalty were not recorded."))
    out = _result(name, amount, computed, "points", keys, policies)
    out["basis"] = str(basis)
    out["service_kind"] = service_kind
    steps: list[str] = []
    formula: dict[str, Any] = {}
    if deadline == DeadlineKind.SOLUTION:
        steps.append(
            gettext("The 1-hour solution deadline was missed: a fixed penalty of %(n)d points.") % {"n": computed}
        )
    elif service_kind in (ServiceKind.DELIVERY_AND_INSTALL, ServiceKind.HOME_DELIVERY):
        if basis == PenaltyBasis.LATE:
            steps.append(
                gettext("A solution was given in time but the problem was not resolved within 48 hours: late.")
            )
        else:
            steps.append(gettext("No solution was given in time: service not provided."))
        steps.append(gettext("The service standard's amount for that case: %(n)d points.") % {"n": computed})
    elif service_kind == ServiceKind.THREE_YEAR_WARRANTY:
        multiplier, cap = policies.int(keys[0]), policies.int(keys[1])
        price_yuan = item_price_fen // 100
        formula = {
            "item_price_fen": item_price_fen,
            "item_price_yuan": price_yuan,
            "multiplier": multiplier,
            "product": multiplier * price_yuan,
            "max": cap,
            "clamped": "max" if multiplier * price_yuan > cap else None,
        }
        steps.append(
            gettext("%(m)d points per 元 of the item price (%(yuan)d 元): %(product)d points.")
            % {"m": multiplier, "yuan": price_yuan, "product": multiplier * price_yuan}
        )
        if formula["clamped"]:
            steps.append(gettext("Capped at %(max)d points.") % {"max": cap})
    else:
        percent, low, high = (policies.int(key) for key in keys)
        share = item_price_fen * percent // 100
        clamped = "min" if share < low else "max" if share > high else None
        formula = {
            "item_price_fen": item_price_fen,
            "percent": percent,
            "share": share,
            "min": low,
            "max": high,
            "clamped": clamped,
        }
        steps.append(
            gettext("%(percent)d%% of the item price (%(price)d fen): %(share)d points.")
            % {"percent": percent, "price": item_price_fen, "share": share}
        )
        if clamped == "min":
            steps.append(gettext("Raised to the minimum of %(n)d points.") % {"n": low})
        elif clamped == "max":
            steps.append(gettext("Capped at %(n)d points.") % {"n": high})
    steps.append(gettext("Penalty: %(n)d points (100 points = 1 元), charged to the merchant.") % {"n": computed})
    out["formula"] = formula
    out["steps"] = steps
    return out


DAMAGE_KEYS = ("refund.damage_penalty_percent", "refund.damage_penalty_min", "refund.damage_penalty_max")
SHIPPING_KEYS = ("refund.shipping_cover",)


def explain_damage_penalty(*, refund_fen: int, amount: int, policies: PolicySnapshot) -> dict[str, Any]:
    """破损包退 (RULES.md section 2): a share of the refund between a minimum and a cap."""
    try:
        computed = damage_penalty_fen(refund_fen, policies)
    except PolicyMissing:
        return unexplained("refund.damage_penalty", amount, "points", gettext("The policy versions were not found."))
    percent, low, high = (policies.int(key) for key in DAMAGE_KEYS)
    share = refund_fen * percent // 100
    clamped = "min" if share < low else "max" if share > high else None
    out = _result("refund.damage_penalty", amount, computed, "points", DAMAGE_KEYS, policies)
    out["formula"] = {
        "refund_fen": refund_fen,
        "percent": percent,
        "share": share,
        "min": low,
        "max": high,
        "clamped": clamped,
    }
    steps = [
        gettext("%(percent)d%% of the refund (%(refund)d fen): %(share)d fen.")
        % {"percent": percent, "refund": refund_fen, "share": share}
    ]
    if clamped == "min":
        steps.append(gettext("Raised to the minimum of %(n)d fen.") % {"n": low})
    elif clamped == "max":
        steps.append(gettext("Capped at %(n)d fen.") % {"n": high})
    steps.append(
        gettext("Penalty: %(n)d points to the buyer (100 points = 1 元), charged to the merchant.") % {"n": computed}
    )
    out["steps"] = steps
    return out


def explain_shipping_cover(*, amount: int, policies: PolicySnapshot) -> dict[str, Any]:
    """退货包运费: a fixed compensation once a covered 7-day return ships."""
    try:
        computed = policies.int(SHIPPING_KEYS[0])
    except PolicyMissing:
        return unexplained("refund.shipping_cover", amount, "points", gettext("The policy versions were not found."))
    out = _result("refund.shipping_cover", amount, computed, "points", SHIPPING_KEYS, policies)
    out["steps"] = [gettext("Return shipping cover: a fixed %(n)d points once the return shipped.") % {"n": computed}]
    return out
