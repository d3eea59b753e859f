"""The scheduler's pass over one-click help: dispatch when the cancel window ends, record missed deadlines and
credit their penalties (services.help_misses; on PostgreSQL set-based, sql.help_misses), confirm resolutions
nobody objected to. The dispatch and confirm steps are the model's own transitions, applied in bulk."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor, system_actor
from disputes.deadlines import missed_q
from disputes.events.bulk import transition_events
from disputes.models import DeadlineKind, HelpRequest
from disputes.models.help_requests import DUE_FIELD
from disputes.models.steps import sources_of, target_of
from disputes.policies import PolicySnapshot
from disputes.services.help_misses import (
    MissRow,
    SweepResult,
    build_misses,
    claims_on,
    due_misses,
    solution_in_time,
    write_misses,
)
from disputes.sql.bulk import in_ids, insert_transitions
from disputes.sql.help_misses import sweep_misses_pg

DEFAULT_BATCH = 5000


def bulk_step(
    step: str,
    *,
    due: Q,
    changes: dict[str, Any],
    description: str,
    now: datetime,
    actor: Actor,
    batch_size: int,
) -> int:
    """Take the model's transition `step` on every request whose clock has run out (`due`), batch by batch: the
    set-based twin of calling request.<step>() on each. Its source and target states are read from the
    declaration; `changes` are what the transition's body sets (tests/services/test_help_bulk_steps.py proves the
    two agree). Rows another sweep holds are skipped; each moved row gets its history row. Returns how many moved."""
    sources, target = sources_of(HelpRequest, step), target_of(HelpRequest, step)
    done = 0
    while True:
        with transaction.atomic():
            rows = list(
                HelpRequest.objects.select_for_update(skip_locked=True)
                .filter(due, state__in=sources)
                .order_by()
                .values_list("id", "state")[:batch_size]
            )
            if not rows:
                return done
            HelpRequest.objects.filter(id__in=in_ids([pk for pk, _ in rows]), state__in=sources).update(
                state=target, **changes
            )
            insert_transitions(
                HelpRequest, rows, transition=step, target=target, description=description, actor_id=actor.pk, at=now
            )
            transition_events(HelpRequest, rows, transition=step, target=target, at=now)
            done += len(rows)
        if len(rows) < batch_size:
            return done


def sweep_dispatch(*, now: datetime, actor: Actor, batch_size: int = DEFAULT_BATCH) -> int:
    """Dispatch every request whose cancel window has ended, i.e. its last second has passed
    (HelpRequest.dispatch(at=now))."""
    return bulk_step(
        "dispatch",
        due=missed_q("dispatch_at", now),
        changes={"dispatched_at": now},
        description="Cancel window ended: dispatched",
        now=now,
        actor=actor,
        batch_size=batch_size,
    )


def sweep_confirm(*, now: datetime, actor: Actor, batch_size: int = DEFAULT_BATCH) -> int:
    """Confirm every resolution nobody objected to in time, dated at its deadline
    (HelpRequest.confirm(at=confirm_due_at))."""
    return bulk_step(
        "confirm",
        due=missed_q("confirm_due_at", now),
        changes={"confirmed_at": F("confirm_due_at")},
        description="Confirmed automatically: no objection in time",
        now=now,
        actor=actor,
        batch_size=batch_size,
    )


def _sweep_misses(
    *,
    deadline: str,
    now: datetime,
    actor: Actor,
    policies: PolicySnapshot,
    batch_size: int,
    result: SweepResult,
) -> None:
    if connection.vendor == "postgresql":
        sweep_misses_pg(
            deadline=deadline, now=now, actor=actor, policies=policies, batch_size=batch_size, result=result
        )
        return
    due_field = DUE_FIELD[deadline]
    while True:
        with transaction.atomic():
            due = list(
                due_misses(deadline, now)
                .select_for_update(skip_locked=True)
                .order_by()
                .values_list(
                    "id", "buyer_id", "merchant_id", due_field, "service_kind", "item_price_fen", "solution_given_at"
                )[:batch_size]
            )
            if not due:
                return
            claims = claims_on([values[0] for values in due], deadline)
            rows = [
                MissRow(pk, buyer, merchant, due_at, kind, price, solution_in_time(given, due_at), claims.get(pk))
                for pk, buyer, merchant, due_at, kind, price, given in due
            ]
            marked: dict[str, Any] = {f"{deadline}_breached_at": F(due_field)}
            if deadline == DeadlineKind.RESOLUTION:
                marked["followup_queued_at"] = now
            HelpRequest.objects.filter(id__in=in_ids([r.id for r in rows])).update(**marked)
            batch = build_misses(rows, deadline, policies=policies, actor=actor, now=now)
            result.credits += write_misses(batch)
            result.held += batch.held
            result.exempted += batch.exempted
            if deadline == DeadlineKind.SOLUTION:
                result.solution_misses += len(rows)
            else:
                result.resolution_misses += len(rows)
        if len(rows) < batch_size:
            return


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
    result.dispatched = sweep_dispatch(now=now, actor=actor, batch_size=batch_size)
    deadlines = (DeadlineKind.SOLUTION, DeadlineKind.RESOLUTION)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The two deadlines' rows are written by two database sessions at once: the work is in
        # PostgreSQL, and the machine has two cores. It is safe for the same reasons concurrent sweeps
        # are (row locks, SKIP LOCKED, unique keys). A request due for both after a long outage, held by
        # one step, is taken by the other's waiting pass once the first commits (sql.help_misses).
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
    result.confirmed = sweep_confirm(now=now, actor=actor, batch_size=batch_size)
    return result


def _misses_in_own_session(
    *, deadline: str, now: datetime, actor: Actor, policies: PolicySnapshot, batch_size: int
) -> SweepResult:
    part = SweepResult()
    try:
        _sweep_misses(deadline=deadline, now=now, actor=actor, policies=policies, batch_size=batch_size, result=part)
    finally:
        connection.close()  # this thread's own connection
    return part
