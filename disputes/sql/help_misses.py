"""PostgreSQL: the help sweep's misses set-based. One statement takes a batch of due requests (skipping rows
another sweep holds), marks them missed and returns what the money rules need; a second inserts the violation
and both ledger rows of the whole batch. The rules themselves stay in Python (services.help_misses.MissRules),
which the portable path in services.help_sweep shares."""

import json
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from disputes.actors import Actor
from disputes.events.record import publish_after_commit
from disputes.models import (
    BuyerPointsEntry,
    ClaimStatus,
    DeadlineKind,
    ForceMajeureClaim,
    HelpRequest,
    HelpState,
    MerchantAccountEntry,
    Violation,
    ViolationKind,
    ViolationStatus,
)
from disputes.models.events import PAYLOAD_VERSION, Event
from disputes.policies import PolicySnapshot
from disputes.services.help_misses import ENTRY_KIND, MissRules, SweepResult, memos, penalty_key, violation_key
from disputes.sql.bulk import array_literal


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# PostgreSQL: one statement takes the due rows (skipping rows another sweep holds), marks them missed
# and returns what the money rules need: only ints, short strings and booleans, which load fast. The
# filter is the partial index's own condition; "solution in time" is solution_in_time() in SQL. Both
# comparisons are the rule of disputes.deadlines: a deadline is missed once it is before now (`<`), and a
# solution given at the deadline's own second is in time (`<=`).
_PG_MARK = {
    DeadlineKind.SOLUTION: """
        WITH due AS (
            SELECT id FROM {help} WHERE state = %(dispatched)s AND solution_breached_at IS NULL
              AND solution_due_at IS NOT NULL AND solution_due_at < %(now)s
            {take})
        UPDATE {help} h SET solution_breached_at = h.solution_due_at FROM due WHERE h.id = due.id
        RETURNING h.id, h.service_kind, h.item_price_fen,
                  h.solution_given_at IS NOT NULL AND h.solution_given_at <= h.solution_due_at, {claim}""",
    DeadlineKind.RESOLUTION: """
        WITH due AS (
            SELECT id FROM {help} WHERE state IN (%(dispatched)s, %(solution_given)s)
              AND resolution_breached_at IS NULL AND resolution_due_at < %(now)s
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
# the Python rules made (arrays passed as literals, see disputes.sql.bulk.array_literal); the request's
# own columns are read back by primary key. The unique keys make a replay insert nothing. The events (the breach,
# the penalty, both postings) are written from what the inserts return, that is for new rows only, so exactly once
# without a dedupe key of their own (disputes.events.money writes the same events on the portable path).
_PG_WRITE = """
    WITH src AS (
        SELECT s.id, h.buyer_id, h.merchant_id, h.{due} AS due_at, s.points, s.basis, s.status, s.vkey, s.pkey,
               s.bmemo, s.mmemo,
               COALESCE((%(versions)s::jsonb) -> (h.service_kind || ':' || s.basis), '{{}}'::jsonb) AS versions
        FROM unnest(%(ids)s::bigint[], %(points)s::bigint[], %(basis)s::text[], %(status)s::text[],
                    %(vkeys)s::text[], %(pkeys)s::text[], %(bmemos)s::text[], %(mmemos)s::text[])
            AS s(id, points, basis, status, vkey, pkey, bmemo, mmemo)
        JOIN {help} h ON h.id = s.id
    ), violations AS (
        INSERT INTO {violation} (merchant_id, buyer_id, kind, help_request_id, deadline, idempotency_key,
            occurred_at, status, score_points, compensation_points, penalty_basis, policy_versions, note,
            decision_reason, appeal_reason, appeal_decision_reason, created_at)
        SELECT merchant_id, buyer_id, %(vkind)s, id, %(deadline)s, vkey, due_at, status, %(score)s, points, basis,
               versions, '', '', '', '', %(now)s
        FROM src ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING help_request_id, merchant_id, buyer_id, deadline, status, compensation_points AS points,
                  penalty_basis AS basis, occurred_at, idempotency_key
    ), buyer_entries AS (
        INSERT INTO {points} (buyer_id, amount, kind, idempotency_key, source_type_id, source_id, memo,
            occurred_at, created_at, created_by_id)
        SELECT buyer_id, points, %(ekind)s, pkey, %(ct)s, id, bmemo, due_at, %(now)s, %(actor)s
        FROM src WHERE status = %(paid)s ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING buyer_id, amount, kind, idempotency_key, source_id, occurred_at, memo
    ), merchant_entries AS (
        INSERT INTO {account} (merchant_id, amount, kind, idempotency_key, source_type_id, source_id, memo,
            occurred_at, created_at, created_by_id)
        SELECT merchant_id, -points, %(ekind)s, pkey, %(ct)s, id, mmemo, due_at, %(now)s, %(actor)s
        FROM src WHERE status = %(paid)s ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING merchant_id, amount, kind, idempotency_key, source_id, occurred_at, memo
    ), events AS (
        INSERT INTO {event} (uid, type, case_type, case_id, merchant_id, buyer_id, occurred_at, created_at, version,
                             payload)
        SELECT gen_random_uuid(), 'help_request.' || v.deadline || '_breached', 'help_request', v.help_request_id,
               v.merchant_id, v.buyer_id, v.occurred_at, %(now)s, %(version)s,
               jsonb_build_object('deadline', v.deadline, 'due_at', v.occurred_at,
                                  'penalty', jsonb_build_object('status', CASE v.status WHEN %(paid)s THEN 'credited'
                                                                          ELSE v.status END,
                                                                'points', v.points, 'basis', v.basis))
        FROM violations v
        UNION ALL
        SELECT gen_random_uuid(), p.type, 'help_request', v.help_request_id, v.merchant_id, v.buyer_id, v.occurred_at,
               %(now)s, %(version)s, jsonb_build_object('deadline', v.deadline, 'points', v.points, 'basis', v.basis)
        FROM violations v
        JOIN (VALUES (%(paid)s, 'penalty.credited'), ('held', 'penalty.held')) AS p(status, type) ON p.status = v.status
        UNION ALL
        SELECT gen_random_uuid(), 'ledger.entry_posted', 'help_request', b.source_id, NULL, b.buyer_id, b.occurred_at,
               %(now)s, %(version)s,
               jsonb_build_object('ledger', 'buyer_points', 'amount', b.amount, 'kind', b.kind,
                                  'idempotency_key', b.idempotency_key, 'memo', b.memo)
        FROM buyer_entries b
        UNION ALL
        SELECT gen_random_uuid(), 'ledger.entry_posted', 'help_request', m.source_id, m.merchant_id, NULL,
               m.occurred_at, %(now)s, %(version)s,
               jsonb_build_object('ledger', 'merchant_account', 'amount', m.amount, 'kind', m.kind,
                                  'idempotency_key', m.idempotency_key, 'memo', m.memo)
        FROM merchant_entries m
    )
    SELECT count(*) FROM buyer_entries"""


def sweep_misses_pg(
    *, deadline: str, now: datetime, actor: Actor, policies: PolicySnapshot, batch_size: int, result: SweepResult
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
    write_sql = _PG_WRITE.format(
        due=due_column,
        event=_table(Event),
        **tables,
    )
    fixed = {
        "vkind": str(ViolationKind.BREACH_OF_PROMISE),
        "deadline": str(deadline),
        "score": policies.int("violation.breach_of_promise_points"),
        "now": now,
        "ekind": str(ENTRY_KIND[DeadlineKind(deadline)]),
        "ct": ContentType.objects.get_for_model(HelpRequest).pk,
        "actor": actor.pk,
        "paid": str(ViolationStatus.NOT_COUNTED),
        "version": PAYLOAD_VERSION,
    }
    rules = MissRules(deadline, policies)
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
            rows = [MarkedMiss(*row) for row in cursor.fetchall()]
            if rows:
                publish_after_commit()
                _write_pg_batch(
                    cursor, rows, write_sql=write_sql, fixed=fixed, rules=rules, deadline=deadline, result=result
                )
        if wait and not rows:
            return
        # A full batch: more may be due, skip what others hold. A short one: wait for what others hold.
        wait = len(rows) < batch_size


class MarkedMiss(NamedTuple):
    """One row the mark statement returns (_PG_MARK's RETURNING list, in order)."""

    id: int
    service_kind: str
    item_price_fen: int
    solution_in_time: bool
    claim: str | None


def _write_pg_batch(
    cursor: Any,
    rows: list[MarkedMiss],
    *,
    write_sql: str,
    fixed: dict[str, Any],
    rules: MissRules,
    deadline: str,
    result: SweepResult,
) -> None:
    """One marked batch: the violations and both ledger rows, in one statement (_PG_WRITE)."""
    ids = [row.id for row in rows]
    decisions = [rules(row.service_kind, row.item_price_fen, row.solution_in_time, row.claim) for row in rows]
    texts = [memos(pk, deadline) for pk in ids]
    # The policy versions of each decision, by (service, basis), which the rules' keys depend on only: one parameter.
    versions = {f"{row.service_kind}:{d.basis}": d.versions for row, d in zip(rows, decisions, strict=True)}
    cursor.execute(
        write_sql,
        {
            **fixed,
            "ids": array_literal(ids),
            "points": array_literal([d.points for d in decisions]),
            "basis": array_literal([d.basis for d in decisions]),
            "status": array_literal([d.status for d in decisions]),
            "vkeys": array_literal([violation_key(pk, deadline) for pk in ids]),
            "pkeys": array_literal([penalty_key(pk, deadline) for pk in ids]),
            "bmemos": array_literal([m[0] for m in texts]),
            "mmemos": array_literal([m[1] for m in texts]),
            "versions": json.dumps(versions),
        },
    )
    result.credits += cursor.fetchone()[0]
    statuses = [d.status for d in decisions]
    result.held += statuses.count(ViolationStatus.HELD)
    result.exempted += statuses.count(ViolationStatus.EXEMPTED)
    if deadline == DeadlineKind.SOLUTION:
        result.solution_misses += len(rows)
    else:
        result.resolution_misses += len(rows)
