"""Events written set-based on PostgreSQL: the publisher's sequence numbers (disputes.events.publish) and the events of
a sweep's bulk transition (disputes.events.bulk)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone

from disputes.models.events import PAYLOAD_VERSION, Event
from disputes.sql.bulk import array_literal


def take_publisher_lock() -> None:
    """Hold the publisher's lock until the transaction ends: one publishing pass at a time (PostgreSQL's advisory
    lock; SQLite serializes writers anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('disputes.events.publish'))")


def assign_sequences(ids: Sequence[int], *, start: int) -> None:
    """Give the events `ids` (in id order) the sequences start, start + 1, ... in one statement."""
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} e SET sequence = %s + u.n - 1 "
                "FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(id, n) WHERE e.id = u.id",
                [start, array_literal(list(ids))],
            )
            return
        cursor.executemany(
            f"UPDATE {table} SET sequence = %s WHERE id = %s",
            [(start + n, pk) for n, pk in enumerate(ids)],
        )


def insert_transition_events_pg(
    model: type[models.Model],
    rows: Sequence[tuple[int, str]],
    *,
    type_: str,
    case_type: str,
    transition: str,
    target: str,
    deadlines: Sequence[str],
    at: datetime,
) -> int:
    """The events of one bulk transition (a sweep's), in one statement: one per (case id, source state), with the
    case's merchant, buyer and clocks read from its row (a timestamp in JSON is ISO 8601 in the session's time zone,
    UTC, which is how disputes.events.record writes one too)."""
    table = connection.ops.quote_name(model._meta.db_table)
    events = connection.ops.quote_name(Event._meta.db_table)
    clocks = ", ".join(f"'{name}', c.{connection.ops.quote_name(name)}" for name in deadlines)
    sql = f"""
        INSERT INTO {events} (uid, type, case_type, case_id, merchant_id, buyer_id, occurred_at, created_at, version,
                              payload)
        SELECT gen_random_uuid(), %(type)s, %(case_type)s, c.id, c.merchant_id, c.buyer_id, %(at)s, %(now)s,
               %(version)s,
               jsonb_build_object('transition', %(transition)s::text, 'field', 'state', 'from', u.source,
                                  'to', %(target)s::text, 'by', 'system', 'deadlines', jsonb_build_object({clocks}))
        FROM unnest(%(ids)s::bigint[], %(sources)s::text[]) AS u(id, source)
        JOIN {table} c ON c.id = u.id"""
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "type": type_,
                "case_type": case_type,
                "at": at,
                "now": timezone.now(),
                "version": PAYLOAD_VERSION,
                "transition": transition,
                "target": target,
                "ids": array_literal([pk for pk, _ in rows]),
                "sources": array_literal([source for _, source in rows]),
            },
        )
        return cursor.rowcount


def entry_events_sql(
    model: type[models.Model], *, ledger: str, case_types: dict[int, str], now: datetime
) -> tuple[str, list[Any]]:
    """insert_rows' `then` for a ledger's rows: the `ledger.entry_posted` event of each entry inserted, for the
    account's holder, about the case its source is (`case_types` maps a source content type id to a case type)."""
    events = connection.ops.quote_name(Event._meta.db_table)
    columns = {f.name for f in model._meta.concrete_fields}
    merchant = "inserted.merchant_id" if "merchant" in columns else "NULL::bigint"
    buyer = "inserted.buyer_id" if "buyer" in columns else "NULL::bigint"
    whens = " ".join("WHEN %s THEN %s" for _ in case_types)
    case_type = f"CASE inserted.source_type_id {whens} ELSE '' END" if case_types else "''"
    params: list[Any] = [v for pair in case_types.items() for v in pair]
    sql = f"""
        INSERT INTO {events} (uid, type, case_type, case_id, merchant_id, buyer_id, occurred_at, created_at, version,
                              payload)
        SELECT gen_random_uuid(), 'ledger.entry_posted', c.case_type,
               CASE WHEN c.case_type = '' THEN NULL ELSE inserted.source_id END, {merchant}, {buyer},
               inserted.occurred_at, %s, %s,
               jsonb_build_object('ledger', %s::text, 'amount', inserted.amount, 'kind', inserted.kind,
                                  'idempotency_key', inserted.idempotency_key, 'memo', inserted.memo)
        FROM inserted CROSS JOIN LATERAL (SELECT {case_type} AS case_type) c"""
    return sql, [now, PAYLOAD_VERSION, ledger, *params]
