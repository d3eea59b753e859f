"""The events of money: every ledger posting (`ledger.entry_posted`, to the account's holder) and what a missed
help deadline led to (`help_request.*_breached`, `penalty.credited` / `penalty.held` / `penalty.voided`).

Each carries a dedupe key made from the key of the row it reports, so a sweep's replay, which writes no new row,
writes no new event either. The set-based PostgreSQL sweep writes the same events in its own statement
(disputes.sql.help_misses); tests/events/test_money_events.py holds the two paths to the same output."""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from disputes.events.catalogue import CASE_TYPES, evented_models
from disputes.events.record import PendingEvent, record_many
from disputes.sql.events import entry_events_sql

LEDGER_NAMES = {
    "buyerpointsentry": "buyer_points",
    "merchantaccountentry": "merchant_account",
    "platformadvanceentry": "platform_advance",
}

# The violation status of a missed deadline, as the penalty event it writes (an exempted miss writes none).
PENALTY_EVENTS = {"not_counted": "penalty.credited", "held": "penalty.held"}


def dedupe(*parts: object) -> str:
    key = ":".join(str(p) for p in parts)
    return key if len(key) <= 160 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def ledger_payload(ledger: str, *, amount: int, kind: str, key: str | None, memo: str) -> dict[str, Any]:
    """What a `ledger.entry_posted` event says (the entry's time is the event's occurred_at)."""
    return {"ledger": ledger, "amount": amount, "kind": kind, "idempotency_key": key, "memo": memo}


def entry_events(model: type[models.Model], entries: Iterable[Any]) -> int:
    """Write `ledger.entry_posted` for ledger rows (model instances or PendingEntry rows) of `model`, each about
    the case its source is (ContentType's cache names the source's model)."""
    ledger = LEDGER_NAMES[model._meta.model_name or ""]
    events = []
    for e in entries:
        source_model = ContentType.objects.get_for_id(e.source_type_id).model if e.source_type_id else ""
        case_type = CASE_TYPES.get(source_model, "")
        events.append(
            PendingEvent(
                "ledger.entry_posted",
                case_type,
                e.source_id if case_type else None,
                getattr(e, "merchant_id", None),
                getattr(e, "buyer_id", None),
                e.occurred_at,
                ledger_payload(
                    ledger,
                    amount=e.amount,
                    kind=str(e.kind),
                    key=e.idempotency_key,
                    memo=e.memo,
                ),
                dedupe(ledger, e.idempotency_key) if e.idempotency_key else None,
            )
        )
    return record_many(events)


def entry_events_statement(model: type[models.Model]) -> tuple[str, list[Any]] | None:
    """On PostgreSQL, the statement that writes `ledger.entry_posted` for the rows a bulk insert into `model`'s
    ledger inserts, in that insert (disputes.sql.bulk.insert_rows' `then`): the same events entry_events writes,
    set-based. None elsewhere: call entry_events after the insert."""
    if connection.vendor != "postgresql":
        return None
    case_models = [
        m for m in evented_models() if m._meta.model_name in {"helprequest", "refundrequest", "intervention"}
    ]
    case_types = {
        ct.pk: CASE_TYPES[m._meta.model_name or ""]
        for m, ct in ContentType.objects.get_for_models(*case_models).items()
    }
    return entry_events_sql(
        model, ledger=LEDGER_NAMES[model._meta.model_name or ""], case_types=case_types, now=timezone.now()
    )


def miss_events(violations: Iterable[Any]) -> int:
    """Write the breach event of each missed help deadline (Violation rows of kind breach of promise, not yet
    written or just written; a miss is dated at its deadline) and its penalty event."""
    events = []
    for v in violations:
        case = ("help_request", v.help_request_id, v.merchant_id, v.buyer_id)
        penalty = {"status": _penalty_status(str(v.status)), "points": v.compensation_points, "basis": v.penalty_basis}
        events.append(
            PendingEvent(
                f"help_request.{v.deadline}_breached",
                *case,
                v.occurred_at,
                {"deadline": v.deadline, "due_at": v.occurred_at, "penalty": penalty},
                dedupe(v.idempotency_key, "breached"),
            )
        )
        penalty_type = PENALTY_EVENTS.get(str(v.status))
        if penalty_type is not None:
            events.append(penalty_event(penalty_type, v))
    return record_many(events)


def penalty_event(type_: str, violation: Any) -> PendingEvent:
    """The `penalty.*` event of one missed deadline's violation row."""
    return PendingEvent(
        type_,
        "help_request",
        violation.help_request_id,
        violation.merchant_id,
        violation.buyer_id,
        violation.occurred_at,
        {"deadline": violation.deadline, "points": violation.compensation_points, "basis": violation.penalty_basis},
        dedupe(violation.idempotency_key, type_),
    )


def _penalty_status(status: str) -> str:
    return {"not_counted": "credited", "held": "held", "exempted": "exempted"}.get(status, status)
