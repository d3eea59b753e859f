"""Changing a policy value: validated, attributed to a user, and recorded in the policy's change history."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction

from disputes.actors import Actor
from disputes.errors import Forbidden, NotFound, RuleRefused, ValidationFailed
from disputes.models import Policy, PolicyChange
from disputes.policy_defaults import ORDERED_PAIRS

MAX_REASON = 255


def out_of_order(key: str, value: int, value_of: Callable[[str], int]) -> RuleRefused | None:
    """The refusal of `key` = `value` if it puts the policy out of order with its pair (ORDERED_PAIRS), e.g. a
    business window that would end before it starts: every rule that reads the pair would fail. `value_of` reads
    the pair's other value. Shared by policy_update and the what-if preview (disputes.selectors.what_if)."""
    for lower, higher, strict in ORDERED_PAIRS:
        if key not in (lower, higher):
            continue
        other_key = higher if key == lower else lower
        other = value_of(other_key)
        low, high = (value, other) if key == lower else (other, value)
        if low > high or (strict and low == high):
            relation = "before" if strict else "at most"
            return RuleRefused(
                f"{key} = {value} would break the rule that {lower} is {relation} {higher} ({other_key} is {other}).",
                code="policies_out_of_order",
            )
    return None


def _check_order(policy: Policy) -> None:
    problem = out_of_order(
        policy.key, policy.value, lambda other: Policy.objects.select_for_update().get(key=other).value
    )
    if problem is not None:
        raise problem


def policy_update(*, actor: Actor, policy_id: int, value: int, reason: str) -> Policy:
    """Set a policy's value, recording who changed it, when, from what and why (a PolicyChange row).

    Requires a staff actor with disputes.change_policy and a non-empty reason. The new value
    is checked by Policy.clean (no negatives, HHMM clock values, percentages up to 100).
    Code reads policies when it applies a rule, so the new value takes effect for the next
    case step; nothing already recorded is recomputed. The policy's version goes up by one (the change row
    records it), so deadlines and penalties set before keep naming the version they used.
    Raises Forbidden, NotFound, ValidationFailed.
    """
    why = (reason or "").strip()
    if not why:
        raise ValidationFailed("A reason is required to change a policy.", code="reason_required")
    if len(why) > MAX_REASON:
        raise ValidationFailed(f"The reason is at most {MAX_REASON} characters.", code="reason_too_long")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("A policy value is a whole number.", code="invalid_value")
    if not getattr(actor, "is_staff", False) or not actor.has_perm("disputes.change_policy"):
        raise Forbidden("Only supervisors may change policies.", code="staff_permission_required")
    with transaction.atomic():
        # Locked so two supervisors editing at once each record the value they actually replaced.
        policy = Policy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None:
            raise NotFound("No such policy.", code="policy_not_found")
        old_value = policy.value
        if value == old_value:
            raise RuleRefused(f"{policy.key} is already {value}; nothing to change.", code="policy_unchanged")
        policy.value = value
        try:
            policy.clean()
        except ValidationError as exc:
            raise ValidationFailed(f"{policy.key}: {' '.join(exc.messages)}", code="invalid_value") from None
        _check_order(policy)
        policy.updated_by = actor
        policy.version += 1
        policy.save(update_fields=["value", "version", "updated_by", "updated_at"])
        PolicyChange.objects.create(
            policy=policy,
            old_value=old_value,
            new_value=value,
            version=policy.version,
            reason=why,
            changed_by=actor,
        )
    return policy
