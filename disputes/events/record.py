"""Writing events in the caller's transaction: one at a time (record) or a batch in one statement (record_many).
Either way the publisher is asked to run once the transaction commits; a rolled-back change leaves no event."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone

from disputes.events.catalogue import MERCHANT_ONLY, case_type_of, require_known
from disputes.jobs import enqueue_after_commit
from disputes.models.events import PAYLOAD_VERSION, Event
from disputes.sql.bulk import insert_rows

PUBLISH = "disputes.publish_events"

_COLUMNS = [
    "uid",
    "type",
    "case_type",
    "case_id",
    "merchant",
    "buyer",
    "occurred_at",
    "created_at",
    "version",
    "payload",
    "dedupe_key",
]


@dataclass(slots=True)
class PendingEvent:
    """An event not yet written (for record_many): the case by its type and id, the parties by id."""

    type: str
    case_type: str
    case_id: int | None
    merchant_id: int | None
    buyer_id: int | None
    occurred_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None


def case_fields(case: models.Model) -> dict[str, Any]:
    """The case columns of an event about `case`: its type, id, merchant and buyer (none for a merchant-only case)."""
    case_type = case_type_of(type(case))
    return {
        "case_type": case_type,
        "case_id": case.pk,
        "merchant_id": getattr(case, "merchant_id", None),
        "buyer_id": None if case_type in MERCHANT_ONLY else getattr(case, "buyer_id", None),
    }


def record(
    type: str,
    *,
    case: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    merchant_id: int | None = None,
    buyer_id: int | None = None,
    dedupe_key: str | None = None,
) -> Event | None:
    """Write one event of `type` (a catalogue type) about `case` and/or the parties named. With `dedupe_key`, an
    event already written under that key makes this a no-op (returns None)."""
    require_known(type)
    columns: dict[str, Any] = {"case_type": "", "case_id": None, "merchant_id": merchant_id, "buyer_id": buyer_id}
    if case is not None:
        found = case_fields(case)
        columns.update(case_type=found["case_type"], case_id=found["case_id"])
        columns["merchant_id"] = merchant_id if merchant_id is not None else found["merchant_id"]
        columns["buyer_id"] = buyer_id if buyer_id is not None else found["buyer_id"]
    event = Event(
        type=type,
        occurred_at=occurred_at or timezone.now(),
        version=PAYLOAD_VERSION,
        payload=in_utc(payload or {}),
        dedupe_key=dedupe_key,
        **columns,
    )
    if dedupe_key is not None:
        if not record_many([_pending(event)]):
            return None
        return Event.objects.get(dedupe_key=dedupe_key)
    event.save()
    publish_after_commit()
    return event


def in_utc(value: Any) -> Any:
    """The payload with every time written as ISO 8601 in UTC ("2026-03-02T03:00:00+00:00"), as PostgreSQL writes a
    timestamp into JSON, so an event reads the same whether Python or a set-based statement wrote it."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()
    if isinstance(value, dict):
        return {k: in_utc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [in_utc(v) for v in value]
    return value


def _pending(event: Event) -> PendingEvent:
    return PendingEvent(
        event.type,
        event.case_type,
        event.case_id,
        event.merchant_id,
        event.buyer_id,
        event.occurred_at,
        event.payload,
        event.dedupe_key,
    )


def record_many(events: list[PendingEvent]) -> int:
    """Write a batch of events in one statement; events whose dedupe key exists already are skipped. Returns how
    many were written."""
    if not events:
        return 0
    for type_ in {e.type for e in events}:
        require_known(type_)
    now = timezone.now()
    rows = [
        (
            str(uuid.uuid4()),
            e.type,
            e.case_type,
            e.case_id,
            e.merchant_id,
            e.buyer_id,
            e.occurred_at,
            now,
            PAYLOAD_VERSION,
            _json_value(in_utc(e.payload)),
            e.dedupe_key,
        )
        for e in events
    ]
    keyed = any(e.dedupe_key is not None for e in events)
    written = insert_rows(Event, _COLUMNS, rows, unique="dedupe_key" if keyed else None)
    if written:
        publish_after_commit()
    return written


def _json_value(payload: dict[str, Any]) -> Any:
    """The payload as insert_rows takes it: JSON text on PostgreSQL (an array of jsonb is cast from text), the dict
    elsewhere (bulk_create encodes it)."""
    if connection.vendor == "postgresql":
        return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return payload


def publish_after_commit() -> None:
    """Ask the publisher to run once this transaction commits, at most once per transaction."""
    if connection.in_atomic_block and any(
        getattr(entry[1], "args", None) == (PUBLISH,) for entry in connection.run_on_commit
    ):
        return
    enqueue_after_commit(PUBLISH)
