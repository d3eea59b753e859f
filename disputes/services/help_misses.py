"""One-click help misses and their penalties: what a missed deadline costs (RULES.md sections 1 and 6), recorded
and credited to the buyer and charged to the merchant exactly once, held while a force-majeure claim is pending.
The single-request path is here; the scheduler's bulk paths (services.help_sweep, sql.help_misses) apply the
same rules through MissRules."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from disputes import policies as policy_table
from disputes.actors import Actor, system_actor
from disputes.deadlines import in_time
from disputes.errors import InvalidTransition
from disputes.events.money import miss_events, penalty_event
from disputes.events.record import record_many
from disputes.models import (
    BuyerPointsEntry,
    ClaimStatus,
    DeadlineKind,
    EntryKind,
    ForceMajeureClaim,
    HelpRequest,
    MerchantAccountEntry,
    PenaltyBasis,
    Violation,
    ViolationKind,
    ViolationStatus,
)
from disputes.models.help_requests import DUE_FIELD, deadline_missed
from disputes.penalties import SOLUTION_KEYS, resolution_keys, resolution_penalty, solution_penalty
from disputes.policies import PolicySnapshot
from disputes.services.ledger import Posting, ledger_post, ledger_post_many

ENTRY_KIND = {
    DeadlineKind.SOLUTION: EntryKind.HELP_SOLUTION_PENALTY,
    DeadlineKind.RESOLUTION: EntryKind.HELP_RESOLUTION_PENALTY,
}


SCORE_KEY = "violation.breach_of_promise_points"


def due_misses(deadline: str, now: datetime) -> QuerySet[HelpRequest]:
    """Requests whose `deadline` passed unmet by `now` (disputes.deadlines.missed) and is not yet recorded."""
    return HelpRequest.objects.filter(deadline_missed(deadline, now))


@dataclass(frozen=True)
class MissRow:
    """What a miss needs to know about its request; read in bulk by the sweep."""

    id: int
    buyer_id: int
    merchant_id: int
    due_at: datetime
    service_kind: str
    item_price_fen: int
    solution_in_time: bool
    claim: str | None  # status of a pending or approved force-majeure claim on this deadline, if any


@dataclass
class SweepResult:
    dispatched: int = 0
    solution_misses: int = 0
    resolution_misses: int = 0
    credits: int = 0
    held: int = 0
    exempted: int = 0
    confirmed: int = 0

    @property
    def total(self) -> int:
        return self.dispatched + self.solution_misses + self.resolution_misses + self.confirmed

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def add(self, other: "SweepResult") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class MissDecision(NamedTuple):
    """What one miss costs and what becomes of its violation record."""

    points: int
    basis: str
    status: str
    versions: dict[str, int]  # {policy key: version} the points and the score were computed from


@dataclass
class _Batch:
    violations: list[Violation] = field(default_factory=list)
    buyer_entries: list[BuyerPointsEntry] = field(default_factory=list)
    merchant_entries: list[MerchantAccountEntry] = field(default_factory=list)
    held: int = 0
    exempted: int = 0


def penalty_key(request_id: int, deadline: str) -> str:
    """Idempotency key of a help-request penalty: (case, rule, occurrence)."""
    return f"help:{request_id}:{deadline}_penalty"


def violation_key(request_id: int, deadline: str) -> str:
    return f"help:{request_id}:{deadline}_miss"


def solution_in_time(solution_given_at: datetime | None, due_at: datetime) -> bool:
    """Whether a solution counts as given for the 48-hour standard ("late", not "not provided"): given by the
    deadline being judged, its own second included (disputes.deadlines.in_time).

    The PostgreSQL sweep states the same test in SQL (sql.help_misses); both paths run the same tests."""
    return solution_given_at is not None and in_time(solution_given_at, due_at)


def _penalty_entries(
    *,
    request_id: int,
    buyer_id: int,
    merchant_id: int,
    deadline: str,
    points: int,
    occurred_at: datetime,
    actor: Actor,
    content_type: ContentType,
) -> tuple[BuyerPointsEntry, MerchantAccountEntry]:
    key = penalty_key(request_id, deadline)
    buyer_memo, merchant_memo = memos(request_id, deadline)
    common = {
        "kind": ENTRY_KIND[DeadlineKind(deadline)],
        "idempotency_key": key,
        "source_type": content_type,
        "source_id": request_id,
        "occurred_at": occurred_at,
        "created_by": actor,
    }
    # 100 points = 1 元 = 100 fen: the merchant is charged in fen what the buyer gets in points.
    return (
        BuyerPointsEntry(buyer_id=buyer_id, amount=points, memo=buyer_memo, **common),
        MerchantAccountEntry(merchant_id=merchant_id, amount=-points, memo=merchant_memo, **common),
    )


_CLAIM_STATUS: dict[str | None, str] = {
    ClaimStatus.PENDING: str(ViolationStatus.HELD),
    ClaimStatus.APPROVED: str(ViolationStatus.EXEMPTED),
    None: str(ViolationStatus.NOT_COUNTED),
}


class MissRules:
    """What a miss costs and whether it is paid now: the one place the money rules are applied.

    A decision depends only on (service, price, solution in time, claim), so a batch computes each
    combination once; both sweep paths and the single-request path call this."""

    def __init__(self, deadline: str, policies: PolicySnapshot) -> None:
        self.deadline = deadline
        self.policies = policies
        self._memo: dict[tuple[str, int, bool, str | None], MissDecision] = {}

    def __call__(self, service_kind: str, item_price_fen: int, in_time: bool, claim: str | None) -> MissDecision:
        """The decision on one miss."""
        key = (service_kind, item_price_fen, in_time, claim)
        decision = self._memo.get(key)
        if decision is None:
            basis: str
            keys: tuple[str, ...]
            if self.deadline == DeadlineKind.SOLUTION:
                points, basis = solution_penalty(self.policies), PenaltyBasis.FIXED
                keys = SOLUTION_KEYS
            else:
                points, basis = resolution_penalty(
                    self.policies, service_kind=service_kind, item_price_fen=item_price_fen, solution_given=in_time
                )
                keys = resolution_keys(service_kind, solution_given=in_time)
            versions = self.policies.versions_of(*keys, SCORE_KEY)
            decision = self._memo[key] = MissDecision(points, str(basis), _CLAIM_STATUS[claim], versions)
        return decision


def claims_on(ids: list[int], deadline: str) -> dict[int, str]:
    return dict(
        ForceMajeureClaim.objects.filter(
            help_request_id__in=ids, deadline=deadline, status__in=[ClaimStatus.PENDING, ClaimStatus.APPROVED]
        ).values_list("help_request_id", "status")
    )


def memos(request_id: int, deadline: str) -> tuple[str, str]:
    label = "1-hour solution" if deadline == DeadlineKind.SOLUTION else "48-hour resolution"
    return f"HR-{request_id} {label} deadline missed", f"HR-{request_id} {label} penalty to buyer"


def build_misses(
    rows: Iterable[MissRow], deadline: str, *, policies: PolicySnapshot, actor: Actor, now: datetime
) -> _Batch:
    """The violation records and ledger entries of a batch of misses, not yet written."""
    content_type = ContentType.objects.get_for_model(HelpRequest)
    score = policies.int(SCORE_KEY)
    batch = _Batch()
    rules = MissRules(deadline, policies)
    for row in rows:
        points, basis, status, versions = rules(row.service_kind, row.item_price_fen, row.solution_in_time, row.claim)
        if status == ViolationStatus.HELD:
            batch.held += 1
        elif status == ViolationStatus.EXEMPTED:
            batch.exempted += 1
        else:
            buyer_entry, merchant_entry = _penalty_entries(
                request_id=row.id,
                buyer_id=row.buyer_id,
                merchant_id=row.merchant_id,
                deadline=deadline,
                points=points,
                occurred_at=row.due_at,
                actor=actor,
                content_type=content_type,
            )
            batch.buyer_entries.append(buyer_entry)
            batch.merchant_entries.append(merchant_entry)
        batch.violations.append(
            Violation(
                merchant_id=row.merchant_id,
                buyer_id=row.buyer_id,
                kind=ViolationKind.BREACH_OF_PROMISE,
                help_request_id=row.id,
                deadline=deadline,
                idempotency_key=violation_key(row.id, deadline),
                occurred_at=row.due_at,
                status=status,
                score_points=score,
                compensation_points=points,
                penalty_basis=basis,
                policy_versions=versions,
                created_at=now,
            )
        )
    return batch


def write_misses(batch: _Batch) -> int:
    """Write a batch; every row has a unique key, so a replay writes nothing. Returns the credits written."""
    Violation.objects.bulk_create(batch.violations, ignore_conflicts=True, batch_size=2000)
    miss_events(batch.violations)  # keyed like the violations: a replay writes none
    credits = ledger_post_many(batch.buyer_entries)
    ledger_post_many(batch.merchant_entries)
    return credits


def record_misses_for(request: HelpRequest, *, now: datetime) -> None:
    """Record any deadline of this (locked, not yet changed) request that has passed unmet, as the sweep would.

    Called by services that stop a clock, so that stopping it late still costs the penalty.
    """
    policies = policy_table.load()
    actor = system_actor()
    for deadline in (DeadlineKind.SOLUTION, DeadlineKind.RESOLUTION):
        if not due_misses(deadline, now).filter(pk=request.pk).exists():
            continue
        batch = build_misses([_row(request, deadline=deadline)], deadline, policies=policies, actor=actor, now=now)
        write_misses(batch)
        marked = {f"{deadline}_breached_at": getattr(request, DUE_FIELD[deadline])}
        if deadline == DeadlineKind.RESOLUTION:
            marked["followup_queued_at"] = now
        HelpRequest.objects.filter(pk=request.pk).update(**marked)
        for name, value in marked.items():
            setattr(request, name, value)


def _row(request: HelpRequest, *, deadline: str) -> MissRow:
    due_at = request.solution_due_at if deadline == DeadlineKind.SOLUTION else request.resolution_due_at
    if due_at is None:  # due_misses found this deadline passed, so it is set
        raise InvalidTransition(f"HR-{request.pk} has no {deadline} deadline to miss.", code="no_deadline")
    return MissRow(
        id=request.pk,
        buyer_id=request.buyer_id,
        merchant_id=request.merchant_id,
        due_at=due_at,
        service_kind=request.service_kind,
        item_price_fen=request.item_price_fen,
        solution_in_time=solution_in_time(request.solution_given_at, due_at),
        claim=claims_on([request.pk], deadline).get(request.pk),
    )


def release_held_penalty(*, request: HelpRequest, deadline: str, approve: bool, actor: Actor, now: datetime) -> None:
    """After a force-majeure decision: void the held penalty (approve) or credit it dated at the miss (reject)."""
    violation = (
        Violation.objects.select_for_update()
        .filter(idempotency_key=violation_key(request.pk, deadline), status=ViolationStatus.HELD)
        .first()
    )
    if violation is None:
        return  # the deadline has not passed yet: the sweep will read the claim's decision
    if approve:
        violation.exempt(at=now, by=actor, description="Force majeure approved: penalty voided")
        record_many([penalty_event("penalty.voided", violation)])
    else:
        key = penalty_key(request.pk, deadline)
        memo = f"HR-{request.pk} force majeure rejected: penalty credited"
        common: Posting = {
            "kind": ENTRY_KIND[DeadlineKind(deadline)],
            "idempotency_key": key,
            "actor": actor,
            "source": request,
            "occurred_at": violation.occurred_at,
            "memo": memo,
        }
        ledger_post(model=BuyerPointsEntry, amount=violation.compensation_points, buyer_id=request.buyer_id, **common)
        ledger_post(
            model=MerchantAccountEntry,
            amount=-violation.compensation_points,
            merchant_id=request.merchant_id,
            **common,
        )
        violation.pay_held(at=now, by=actor, description="Force majeure rejected: penalty credited")
        record_many([penalty_event("penalty.credited", violation)])
    violation.save(update_fields=["status", "decided_at", "decided_by"])
