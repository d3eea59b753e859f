"""Policy what-if: replay the last days of one-click help under a proposed policy value, next to the value in force,
without writing anything (the supervisor's preview before a policy change, disputes.admin.policies).

The population is every help request raised in the period and dispatched (a cancelled request never had a clock).
Each is replayed twice, with the policies in force and with the one value replaced, by the functions the services
use: its deadlines from its raise time (disputes.help_deadlines, only when the policy moves deadlines; otherwise the
stored deadlines), the recorded moments its clocks stopped (solution given or request closed; marked resolved or
closed), the one rule of when a deadline is missed (disputes.deadlines), and what a miss costs and whether it is
paid now (services.help_misses.MissRules, which both sweeps apply). A force-majeure claim stays as it was decided.

Policies that do not decide help misses or their amounts (refund timeouts, intervention windows, ...) have no
replay: the preview says so rather than show numbers it cannot stand behind."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from disputes import policies as policy_table
from disputes.deadlines import missed
from disputes.errors import NotFound, ValidationFailed
from disputes.help_deadlines import DEADLINE_POLICIES, help_deadlines
from disputes.models import (
    ClaimStatus,
    DeadlineKind,
    ForceMajeureClaim,
    HelpRequest,
    Merchant,
    Policy,
    Violation,
    ViolationStatus,
)
from disputes.penalties import PENALTY_POLICIES
from disputes.policies import PolicySnapshot
from disputes.services.help_misses import MissRules, solution_in_time
from disputes.services.policies import out_of_order

TOP_MERCHANTS = 10
REPLAYABLE = (*PENALTY_POLICIES, *DEADLINE_POLICIES)
NO_PREVIEW = _(
    "No preview for this policy: it does not decide whether a one-click help deadline is missed or what a miss "
    "costs, so replaying the recorded misses cannot show its effect."
)


@dataclass
class Tally:
    """Misses and the points they credit to buyers (= fen charged to merchants: 100 points = 1 元 = 100 fen).
    A miss held by a pending force-majeure claim, or exempted by an approved one, counts as a miss and credits
    nothing."""

    misses: int = 0
    points: int = 0


@dataclass(frozen=True)
class MerchantImpact:
    merchant_id: int
    name: str
    before: int  # points credited from the merchant's misses, value in force
    after: int  # ... with the proposed value

    @property
    def difference(self) -> int:
        return self.after - self.before


@dataclass
class WhatIf:
    key: str
    current_value: int
    new_value: int
    since: datetime
    until: datetime
    supported: bool
    unsupported_reason: str = ""
    requests: int = 0  # help requests replayed
    before: Tally = field(default_factory=Tally)  # the replay with the values in force
    after: Tally = field(default_factory=Tally)  # the replay with the proposed value
    recorded: Tally = field(default_factory=Tally)  # the misses actually recorded on the same requests
    merchants: list[MerchantImpact] = field(default_factory=list)  # the most affected, largest difference first

    @property
    def misses_difference(self) -> int:
        return self.after.misses - self.before.misses

    @property
    def points_difference(self) -> int:
        return self.after.points - self.before.points


def policy_what_if(key: str, new_value: int, *, now: datetime, days: int = 30) -> WhatIf:
    """What the help requests raised in the `days` before `now` would have cost under `key` = `new_value`, next to
    what they cost under the values in force. Reads only; writes nothing.

    Raises NotFound (policy_not_found) for an unknown key, ValidationFailed (invalid_value) for a value the policy
    cannot take, RuleRefused (policies_out_of_order) for one that breaks an ordered pair (as policy_update would)."""
    policy = Policy.objects.filter(key=key).first()
    if policy is None:
        raise NotFound(f"No policy {key!r}.", code="policy_not_found")
    _check_value(policy, new_value)
    since = now - timedelta(days=days)
    result = WhatIf(
        key=key, current_value=policy.value, new_value=new_value, since=since, until=now, supported=key in REPLAYABLE
    )
    if not result.supported:
        result.unsupported_reason = str(NO_PREVIEW)
        return result
    current = policy_table.load()
    proposed = PolicySnapshot({**current.values, key: (current.values[key][0], new_value)})
    replay_deadlines = key in DEADLINE_POLICIES
    requests = list(
        HelpRequest.objects.filter(raised_at__gte=since, raised_at__lt=now, dispatched_at__isnull=False)
        .order_by("id")
        .values_list(
            "id",
            "merchant_id",
            "service_kind",
            "item_price_fen",
            "raised_at",
            "solution_due_at",
            "resolution_due_at",
            "solution_given_at",
            "resolved_at",
            "closed_at",
        )
    )
    result.requests = len(requests)
    claims = _claims(since, now)
    per_merchant: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for side, snapshot in enumerate((current, proposed)):
        tally = result.before if side == 0 else result.after
        rules = {deadline: MissRules(deadline, snapshot) for deadline in DeadlineKind.values}
        for pk, merchant, kind, price, raised, solution_due, resolution_due, given, resolved, closed in requests:
            if replay_deadlines:
                solution_due, resolution_due = help_deadlines(raised, snapshot)
            stops = {
                DeadlineKind.SOLUTION: (solution_due, _first(given, closed)),
                DeadlineKind.RESOLUTION: (resolution_due, _first(resolved, closed)),
            }
            for deadline, (due, stopped) in stops.items():
                if due is None or not missed(due, stopped or now):
                    continue
                decision = rules[deadline](
                    kind, price, solution_in_time(given, resolution_due), claims.get((pk, deadline))
                )
                credited = decision.points if decision.status == ViolationStatus.NOT_COUNTED else 0
                tally.misses += 1
                tally.points += credited
                per_merchant[merchant][side] += credited
    result.recorded = _recorded(since, now)
    result.merchants = _most_affected(per_merchant)
    return result


def _check_value(policy: Policy, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("A policy value is a whole number.", code="invalid_value")
    trial = Policy(key=policy.key, unit=policy.unit, value=value)
    try:
        trial.clean()
    except ValidationError as exc:
        raise ValidationFailed(f"{policy.key}: {' '.join(exc.messages)}", code="invalid_value") from None
    problem = out_of_order(policy.key, value, lambda other: Policy.objects.get(key=other).value)
    if problem is not None:
        raise problem


def _first(*moments: datetime | None) -> datetime | None:
    """The earliest of the moments that happened: when a clock stopped."""
    happened = [moment for moment in moments if moment is not None]
    return min(happened) if happened else None


def _claims(since: datetime, now: datetime) -> dict[tuple[int, str], str]:
    """Pending and approved force-majeure claims on the period's requests (what MissRules reads: held, exempted)."""
    return {
        (pk, deadline): status
        for pk, deadline, status in ForceMajeureClaim.objects.filter(
            help_request__raised_at__gte=since,
            help_request__raised_at__lt=now,
            status__in=[ClaimStatus.PENDING, ClaimStatus.APPROVED],
        ).values_list("help_request_id", "deadline", "status")
    }


def _recorded(since: datetime, now: datetime) -> Tally:
    """The misses the sweeps actually recorded on the period's requests (their violation rows, keyed
    services.help_misses.violation_key; a complaint's row is keyed otherwise), and the points they credited."""
    tally = Tally()
    for status, points in Violation.objects.filter(
        help_request__raised_at__gte=since,
        help_request__raised_at__lt=now,
        idempotency_key__endswith="_miss",  # violation_key's suffix: a miss, not a complaint
    ).values_list("status", "compensation_points"):
        tally.misses += 1
        tally.points += points if status == ViolationStatus.NOT_COUNTED else 0
    return tally


def _most_affected(per_merchant: dict[int, list[int]]) -> list[MerchantImpact]:
    changed = [(merchant, before, after) for merchant, (before, after) in per_merchant.items() if before != after]
    changed.sort(key=lambda row: (-abs(row[2] - row[1]), row[0]))
    top = changed[:TOP_MERCHANTS]
    names = dict(Merchant.objects.filter(pk__in=[row[0] for row in top]).values_list("pk", "shop_name"))
    return [MerchantImpact(merchant, names.get(merchant, ""), before, after) for merchant, before, after in top]
