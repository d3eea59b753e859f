"""One-click help misses and penalties: record a missed deadline, credit the buyer and charge the merchant
exactly once, hold for force majeure, and the scheduler's sweep that applies all of it in bulk."""

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import system_actor
from disputes.bulk import array_literal, in_ids, insert_transitions
from disputes.models import (
    BuyerPointsEntry,
    ClaimStatus,
    DeadlineKind,
    EntryKind,
    ForceMajeureClaim,
    HelpRequest,
    HelpState,
    MerchantAccountEntry,
    PenaltyBasis,
    Violation,
    ViolationKind,
    ViolationStatus,
)
from disputes.penalties import resolution_penalty, solution_penalty
from disputes.policies import PolicySnapshot
from disputes.services.ledger import ledger_post, ledger_post_many

DEFAULT_BATCH = 5000

_ENTRY_KIND = {
    DeadlineKind.SOLUTION: EntryKind.HELP_SOLUTION_PENALTY,
    DeadlineKind.RESOLUTION: EntryKind.HELP_RESOLUTION_PENALTY,
}


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
    """Whether a solution counts as given for the 48-hour standard: given by the deadline being judged.

    The PostgreSQL sweep states the same test in SQL (_PG_IN_TIME); both paths run the same tests."""
    return solution_given_at is not None and solution_given_at <= due_at


def _penalty_entries(
    *,
    request_id: int,
    buyer_id: int,
    merchant_id: int,
    deadline: str,
    points: int,
    occurred_at: datetime,
    actor: Any,
    content_type: ContentType,
) -> tuple[BuyerPointsEntry, MerchantAccountEntry]:
    key = penalty_key(request_id, deadline)
    buyer_memo, merchant_memo = _memos(request_id, deadline)
    common = {
        "kind": _ENTRY_KIND[DeadlineKind(deadline)],
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


_CLAIM_STATUS = {
    ClaimStatus.PENDING: str(ViolationStatus.HELD),
    ClaimStatus.APPROVED: str(ViolationStatus.EXEMPTED),
    None: str(ViolationStatus.NOT_COUNTED),
}


class _Rules:
    """What a miss costs and whether it is paid now: the one place the money rules are applied.

    A decision depends only on (service, price, solution in time, claim), so a batch computes each
    combination once; both sweep paths and the single-request path call this."""

    def __init__(self, deadline: str, policies: PolicySnapshot) -> None:
        self.deadline = deadline
        self.policies = policies
        self._memo: dict[tuple[str, int, bool, str | None], tuple[int, str, str]] = {}

    def __call__(
        self, service_kind: str, item_price_fen: int, in_time: bool, claim: str | None
    ) -> tuple[int, str, str]:
        """(points, basis, violation status) of one miss."""
        key = (service_kind, item_price_fen, in_time, claim)
        decision = self._memo.get(key)
        if decision is None:
            if self.deadline == DeadlineKind.SOLUTION:
                points, basis = solution_penalty(self.policies), PenaltyBasis.FIXED
            else:
                points, basis = resolution_penalty(
                    self.policies, service_kind=service_kind, item_price_fen=item_price_fen, solution_given=in_time
                )
            decision = self._memo[key] = (points, str(basis), _CLAIM_STATUS[claim])
        return decision


def _claims(ids: list[int], deadline: str) -> dict[int, str]:
    return dict(
        ForceMajeureClaim.objects.filter(
            help_request_id__in=ids, deadline=deadline, status__in=[ClaimStatus.PENDING, ClaimStatus.APPROVED]
        ).values_list("help_request_id", "status")
    )


def _memos(request_id: int, deadline: str) -> tuple[str, str]:
    label = "1-hour solution" if deadline == DeadlineKind.SOLUTION else "48-hour resolution"
    return f"HR-{request_id} {label} deadline missed", f"HR-{request_id} {label} penalty to buyer"


def _build_misses(
    rows: Iterable[MissRow], deadline: str, *, policies: PolicySnapshot, actor: Any, now: datetime
) -> _Batch:
    content_type = ContentType.objects.get_for_model(HelpRequest)
    score = policies.int("violation.breach_of_promise_points")
    batch = _Batch()
    rules = _Rules(deadline, policies)
    for row in rows:
        points, basis, status = rules(row.service_kind, row.item_price_fen, row.solution_in_time, row.claim)
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
                created_at=now,
            )
        )
    return batch


def _write(batch: _Batch) -> int:
    Violation.objects.bulk_create(batch.violations, ignore_conflicts=True, batch_size=2000)
    credits = ledger_post_many(batch.buyer_entries)
    ledger_post_many(batch.merchant_entries)
    return credits


def record_misses_for(request: HelpRequest, *, now: datetime) -> None:
    """Record any deadline of this (locked) request that has passed unmet, as the sweep would.

    Called by services that stop a clock, so that stopping it late still costs the penalty.
    """
    policies = policy_table.load()
    actor = system_actor()
    if (
        request.state == HelpState.DISPATCHED
        and request.solution_due_at is not None
        and request.solution_breached_at is None
        and request.solution_due_at <= now
    ):
        row = _row(request, deadline=DeadlineKind.SOLUTION)
        _write(_build_misses([row], DeadlineKind.SOLUTION, policies=policies, actor=actor, now=now))
        request.solution_breached_at = request.solution_due_at
        HelpRequest.objects.filter(pk=request.pk).update(solution_breached_at=request.solution_due_at)
    if (
        request.state in (HelpState.DISPATCHED, HelpState.SOLUTION_GIVEN)
        and request.resolution_breached_at is None
        and request.resolution_due_at <= now
    ):
        _write(
            _build_misses(
                [_row(request, deadline=DeadlineKind.RESOLUTION)],
                DeadlineKind.RESOLUTION,
                policies=policies,
                actor=actor,
                now=now,
            )
        )
        request.resolution_breached_at = request.resolution_due_at
        HelpRequest.objects.filter(pk=request.pk).update(
            resolution_breached_at=request.resolution_due_at, followup_queued_at=now
        )
        request.followup_queued_at = now


def _row(request: HelpRequest, *, deadline: str) -> MissRow:
    due_at = request.solution_due_at if deadline == DeadlineKind.SOLUTION else request.resolution_due_at
    return MissRow(
        id=request.pk,
        buyer_id=request.buyer_id,
        merchant_id=request.merchant_id,
        due_at=due_at,
        service_kind=request.service_kind,
        item_price_fen=request.item_price_fen,
        solution_in_time=solution_in_time(request.solution_given_at, due_at),
        claim=_claims([request.pk], deadline).get(request.pk),
    )


def _sweep_transition(
    *,
    due: dict[str, Any],
    source: str,
    target: str,
    changes: dict[str, Any],
    transition: str,
    description: str,
    now: datetime,
    actor: Any,
    batch_size: int,
) -> int:
    """Move every request in `source` whose clock has run out (`due`) to `target`, batch by batch, with
    its history row; rows another sweep holds are skipped. Returns how many moved."""
    done = 0
    while True:
        with transaction.atomic():
            ids = list(
                HelpRequest.objects.select_for_update(skip_locked=True)
                .filter(state=source, **due)
                .order_by()
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return done
            HelpRequest.objects.filter(id__in=in_ids(ids), state=source).update(state=target, **changes)
            insert_transitions(
                HelpRequest,
                [(pk, source) for pk in ids],
                transition=transition,
                target=target,
                description=description,
                actor_id=actor.pk,
                at=now,
            )
            done += len(ids)
        if len(ids) < batch_size:
            return done


def _sweep_dispatch(*, now: datetime, actor: Any, batch_size: int) -> int:
    return _sweep_transition(
        due={"dispatch_at__lte": now},
        source=HelpState.RAISED,
        target=HelpState.DISPATCHED,
        changes={"dispatched_at": now},
        transition="dispatch",
        description="Cancel window ended: dispatched",
        now=now,
        actor=actor,
        batch_size=batch_size,
    )


def _sweep_confirm(*, now: datetime, actor: Any, batch_size: int) -> int:
    return _sweep_transition(
        due={"confirm_due_at__lte": now},
        source=HelpState.RESOLVED_PENDING,
        target=HelpState.RESOLVED,
        changes={"confirmed_at": F("confirm_due_at")},
        transition="confirm",
        description="Confirmed automatically: no objection in time",
        now=now,
        actor=actor,
        batch_size=batch_size,
    )


def _sweep_misses(
    *,
    deadline: str,
    now: datetime,
    actor: Any,
    policies: PolicySnapshot,
    batch_size: int,
    result: SweepResult,
) -> None:
    if deadline == DeadlineKind.SOLUTION:
        due_filter = {
            "state": HelpState.DISPATCHED,
            "solution_breached_at__isnull": True,
            "solution_due_at__isnull": False,
            "solution_due_at__lte": now,
        }
        due_field = "solution_due_at"
    else:
        due_filter = {
            "state__in": [HelpState.DISPATCHED, HelpState.SOLUTION_GIVEN],
            "resolution_breached_at__isnull": True,
            "resolution_due_at__lte": now,
        }
        due_field = "resolution_due_at"
    if connection.vendor == "postgresql":
        _sweep_misses_pg(
            deadline=deadline, now=now, actor=actor, policies=policies, batch_size=batch_size, result=result
        )
        return
    while True:
        with transaction.atomic():
            due = list(
                HelpRequest.objects.select_for_update(skip_locked=True)
                .filter(**due_filter)
                .order_by()
                .values_list(
                    "id", "buyer_id", "merchant_id", due_field, "service_kind", "item_price_fen", "solution_given_at"
                )[:batch_size]
            )
            if not due:
                return
            claims = _claims([values[0] for values in due], deadline)
            rows = [
                MissRow(pk, buyer, merchant, due_at, kind, price, solution_in_time(given, due_at), claims.get(pk))
                for pk, buyer, merchant, due_at, kind, price, given in due
            ]
            ids = [r.id for r in rows]
            if deadline == DeadlineKind.SOLUTION:
                HelpRequest.objects.filter(id__in=in_ids(ids)).update(solution_breached_at=F("solution_due_at"))
            else:
                HelpRequest.objects.filter(id__in=in_ids(ids)).update(
                    resolution_breached_at=F("resolution_due_at"), followup_queued_at=now
                )
            batch = _build_misses(rows, deadline, policies=policies, actor=actor, now=now)
            result.credits += _write(batch)
            result.held += batch.held
            result.exempted += batch.exempted
            if deadline == DeadlineKind.SOLUTION:
                result.solution_misses += len(rows)
            else:
                result.resolution_misses += len(rows)
        if len(rows) < batch_size:
            return


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# PostgreSQL: one statement takes the due rows (skipping rows another sweep holds), marks them missed
# and returns what the money rules need: only ints, short strings and booleans, which load fast. The
# filter is the partial index's own condition; "solution in time" is solution_in_time() in SQL.
_PG_MARK = {
    DeadlineKind.SOLUTION: """
        WITH due AS (
            SELECT id FROM {help} WHERE state = %(dispatched)s AND solution_breached_at IS NULL
              AND solution_due_at IS NOT NULL AND solution_due_at <= %(now)s
            {take})
        UPDATE {help} h SET solution_breached_at = h.solution_due_at FROM due WHERE h.id = due.id
        RETURNING h.id, h.service_kind, h.item_price_fen,
                  h.solution_given_at IS NOT NULL AND h.solution_given_at <= h.solution_due_at, {claim}""",
    DeadlineKind.RESOLUTION: """
        WITH due AS (
            SELECT id FROM {help} WHERE state IN (%(dispatched)s, %(solution_given)s)
              AND resolution_breached_at IS NULL AND resolution_due_at <= %(now)s
            {take})
        UPDATE {help} h SET resolution_breached_at = h.resolution_due_at, followup_queued_at = %(now)s
        FROM due WHERE h.id = due.id
        RETURNING h.id, h.service_kind, h.item_price_fen,
                  h.solution_given_at IS NOT NULL AND h.solution_given_at <= h.resolution_due_at, {claim}""",
}
# How the mark statement takes its rows. SKIP LOCKED first: concurrent sweeps get different rows.
# When that comes back short, one pass that waits for the rows other sessions hold: a row the other
# deadline's step (or a merchant's request) had locked is still due once they commit, and would
# otherwise wait for the next sweep. PostgreSQL re-checks the condition after the wait, so a row
# another sweep marked meanwhile is dropped. Waiting passes lock in id order (no deadlock between
# them); SKIP LOCKED passes never wait on a request row.
_PG_TAKE = {
    False: "LIMIT %(limit)s FOR UPDATE SKIP LOCKED",
    True: "ORDER BY id LIMIT %(limit)s FOR UPDATE",
}
_PG_CLAIM = """(SELECT c.status FROM {claims} c WHERE c.help_request_id = h.id AND c.deadline = %(deadline)s
                AND c.status IN (%(pending)s, %(approved)s))"""

# PostgreSQL: the violation and both ledger rows of a whole batch in one statement, from the decisions
# the Python rules made (arrays passed as literals, see disputes.bulk.array_literal); the request's
# own columns are read back by primary key. The unique keys make a replay insert nothing.
_PG_WRITE = """
    WITH src AS (
        SELECT s.id, h.buyer_id, h.merchant_id, h.{due} AS due_at, s.points, s.basis, s.status, s.vkey, s.pkey,
               s.bmemo, s.mmemo
        FROM unnest(%(ids)s::bigint[], %(points)s::bigint[], %(basis)s::text[], %(status)s::text[],
                    %(vkeys)s::text[], %(pkeys)s::text[], %(bmemos)s::text[], %(mmemos)s::text[])
            AS s(id, points, basis, status, vkey, pkey, bmemo, mmemo)
        JOIN {help} h ON h.id = s.id
    ), violations AS (
        INSERT INTO {violation} (merchant_id, buyer_id, kind, help_request_id, deadline, idempotency_key,
            occurred_at, status, score_points, compensation_points, penalty_basis, note, created_at)
        SELECT merchant_id, buyer_id, %(vkind)s, id, %(deadline)s, vkey, due_at, status, %(score)s, points, basis,
               '', %(now)s
        FROM src ON CONFLICT (idempotency_key) DO NOTHING
    ), buyer_entries AS (
        INSERT INTO {points} (buyer_id, amount, kind, idempotency_key, source_type_id, source_id, memo,
            occurred_at, created_at, created_by_id)
        SELECT buyer_id, points, %(ekind)s, pkey, %(ct)s, id, bmemo, due_at, %(now)s, %(actor)s
        FROM src WHERE status = %(paid)s ON CONFLICT (idempotency_key) DO NOTHING RETURNING 1
    ), merchant_entries AS (
        INSERT INTO {account} (merchant_id, amount, kind, idempotency_key, source_type_id, source_id, memo,
            occurred_at, created_at, created_by_id)
        SELECT merchant_id, -points, %(ekind)s, pkey, %(ct)s, id, mmemo, due_at, %(now)s, %(actor)s
        FROM src WHERE status = %(paid)s ON CONFLICT (idempotency_key) DO NOTHING
    )
    SELECT count(*) FROM buyer_entries"""


def _sweep_misses_pg(
    *, deadline: str, now: datetime, actor: Any, policies: PolicySnapshot, batch_size: int, result: SweepResult
) -> None:
    """The same rules as the portable path, written set-based: a batch of misses costs two statements
    instead of three model instances each (see benchmark_help_sweep)."""
    tables = {
        "help": _table(HelpRequest),
        "claims": _table(ForceMajeureClaim),
        "violation": _table(Violation),
        "points": _table(BuyerPointsEntry),
        "account": _table(MerchantAccountEntry),
    }
    mark_sql = {
        wait: _PG_MARK[DeadlineKind(deadline)].format(claim=_PG_CLAIM.format(**tables), take=take, **tables)
        for wait, take in _PG_TAKE.items()
    }
    due_column = "solution_due_at" if deadline == DeadlineKind.SOLUTION else "resolution_due_at"
    write_sql = _PG_WRITE.format(due=due_column, **tables)
    fixed = {
        "vkind": str(ViolationKind.BREACH_OF_PROMISE),
        "deadline": str(deadline),
        "score": policies.int("violation.breach_of_promise_points"),
        "now": now,
        "ekind": str(_ENTRY_KIND[DeadlineKind(deadline)]),
        "ct": ContentType.objects.get_for_model(HelpRequest).pk,
        "actor": actor.pk,
        "paid": str(ViolationStatus.NOT_COUNTED),
    }
    rules = _Rules(deadline, policies)
    wait = False
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                mark_sql[wait],
                {
                    "now": now,
                    "limit": batch_size,
                    "deadline": str(deadline),
                    "dispatched": str(HelpState.DISPATCHED),
                    "solution_given": str(HelpState.SOLUTION_GIVEN),
                    "pending": str(ClaimStatus.PENDING),
                    "approved": str(ClaimStatus.APPROVED),
                },
            )
            rows = cursor.fetchall()
            if rows:
                _write_pg_batch(
                    cursor, rows, write_sql=write_sql, fixed=fixed, rules=rules, deadline=deadline, result=result
                )
        if wait and not rows:
            return
        # A full batch: more may be due, skip what others hold. A short one: wait for what others hold.
        wait = len(rows) < batch_size


def _write_pg_batch(
    cursor: Any,
    rows: list[tuple],
    *,
    write_sql: str,
    fixed: dict[str, Any],
    rules: "_Rules",
    deadline: str,
    result: SweepResult,
) -> None:
    """One marked batch: the violations and both ledger rows, in one statement (_PG_WRITE)."""
    ids = [row[0] for row in rows]
    decisions = [rules(kind, price, in_time, claim) for _, kind, price, in_time, claim in rows]
    memos = [_memos(pk, deadline) for pk in ids]
    cursor.execute(
        write_sql,
        {
            **fixed,
            "ids": array_literal(ids),
            "points": array_literal([d[0] for d in decisions]),
            "basis": array_literal([d[1] for d in decisions]),
            "status": array_literal([d[2] for d in decisions]),
            "vkeys": array_literal([violation_key(pk, deadline) for pk in ids]),
            "pkeys": array_literal([penalty_key(pk, deadline) for pk in ids]),
            "bmemos": array_literal([m[0] for m in memos]),
            "mmemos": array_literal([m[1] for m in memos]),
        },
    )
    result.credits += cursor.fetchone()[0]
    statuses = [d[2] for d in decisions]
    result.held += statuses.count(ViolationStatus.HELD)
    result.exempted += statuses.count(ViolationStatus.EXEMPTED)
    if deadline == DeadlineKind.SOLUTION:
        result.solution_misses += len(rows)
    else:
        result.resolution_misses += len(rows)


def help_sweep(*, now: datetime | None = None, batch_size: int = DEFAULT_BATCH) -> SweepResult:
    """The scheduler's pass over one-click help: dispatch, record misses, credit penalties, auto-confirm.

    Safe to run twice or concurrently: each step locks the due rows it takes (skipping rows
    another sweep holds, then waiting for any still held when the rest is done), re-checks their
    state, and the ledger keys are unique. A sweep after downtime catches up on everything due,
    dating each miss at its deadline.
    """
    now = now or timezone.now()
    actor = system_actor()
    policies = policy_table.load()
    result = SweepResult()
    result.dispatched = _sweep_dispatch(now=now, actor=actor, batch_size=batch_size)
    deadlines = (DeadlineKind.SOLUTION, DeadlineKind.RESOLUTION)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The two deadlines' rows are written by two database sessions at once: the work is in
        # PostgreSQL, and the machine has two cores. It is safe for the same reasons concurrent sweeps
        # are (row locks, SKIP LOCKED, unique keys). A request due for both after a long outage, held by
        # one step, is taken by the other's waiting pass once the first commits (_PG_TAKE).
        with ThreadPoolExecutor(max_workers=len(deadlines)) as pool:
            parts = list(
                pool.map(
                    lambda deadline: _misses_in_own_session(
                        deadline=deadline, now=now, actor=actor, policies=policies, batch_size=batch_size
                    ),
                    deadlines,
                )
            )
        for part in parts:
            result.add(part)
    else:
        for deadline in deadlines:
            _sweep_misses(
                deadline=deadline, now=now, actor=actor, policies=policies, batch_size=batch_size, result=result
            )
    result.confirmed = _sweep_confirm(now=now, actor=actor, batch_size=batch_size)
    return result


def _misses_in_own_session(
    *, deadline: str, now: datetime, actor: Any, policies: PolicySnapshot, batch_size: int
) -> SweepResult:
    part = SweepResult()
    try:
        _sweep_misses(deadline=deadline, now=now, actor=actor, policies=policies, batch_size=batch_size, result=part)
    finally:
        connection.close()  # this thread's own connection
    return part


def release_held_penalty(*, request: HelpRequest, deadline: str, approve: bool, actor: Any, now: datetime) -> None:
    """After a force-majeure decision: void the held penalty (approve) or credit it dated at the miss (reject)."""
    violation = (
        Violation.objects.select_for_update()
        .filter(idempotency_key=violation_key(request.pk, deadline), status=ViolationStatus.HELD)
        .first()
    )
    if violation is None:
        return  # the deadline has not passed yet: the sweep will read the claim's decision
    if approve:
        violation.status = ViolationStatus.EXEMPTED
    else:
        key = penalty_key(request.pk, deadline)
        memo = f"HR-{request.pk} force majeure rejected: penalty credited"
        common = {
            "kind": _ENTRY_KIND[DeadlineKind(deadline)],
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
        violation.status = ViolationStatus.NOT_COUNTED
    violation.decided_at = now
    violation.decided_by = actor
    violation.save(update_fields=["status", "decided_at", "decided_by"])
