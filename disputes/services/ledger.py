"""Posting to the append-only ledgers: exactly once per idempotency key, reversals as new entries."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypedDict, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.utils import timezone

from disputes.actors import Actor
from disputes.errors import IdempotencyConflict, RuleRefused, ValidationFailed
from disputes.events.money import entry_events, entry_events_statement
from disputes.models.ledger import EntryKind, LedgerEntry
from disputes.sql.bulk import insert_instances, insert_rows

E = TypeVar("E", bound=LedgerEntry)


@dataclass(frozen=True)
class Posted(Generic[E]):
    entry: E
    created: bool


class Posting(TypedDict):
    """What the two entries of one posting share (the buyer credited, the merchant charged): ledger_post's
    arguments besides the model, the amount and the account."""

    kind: str
    idempotency_key: str | None
    actor: Actor
    source: models.Model | None
    occurred_at: datetime | None
    memo: str


def _account_fields(model: type[LedgerEntry]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.name in {"buyer", "merchant"}]


def _same_posting(existing: LedgerEntry, new: LedgerEntry) -> bool:
    if existing.amount != new.amount or existing.kind != new.kind:
        return False
    return all(getattr(existing, f"{name}_id") == getattr(new, f"{name}_id") for name in _account_fields(type(new)))


def ledger_post(
    *,
    model: type[E],
    amount: int,
    kind: str,
    idempotency_key: str | None,
    actor: Actor,
    source: models.Model | None = None,
    memo: str = "",
    occurred_at: datetime | None = None,
    reverses: E | None = None,
    **account: Any,
) -> Posted[E]:
    """Post one entry to `model`'s ledger for the account named in `account` (buyer=, merchant=).

    With an idempotency key, a second call with the same key returns the first entry
    (created=False) instead of posting again, whether it comes from a retry, a second
    scheduler, or a concurrent transaction (the unique constraint decides the race).
    Raises IdempotencyConflict when the key was used for a different account or amount,
    and ValidationFailed for a zero amount.
    """
    if amount == 0:
        raise ValidationFailed("A ledger entry must move a non-zero amount.", code="zero_amount")
    entry = model(
        amount=amount,
        kind=kind,
        idempotency_key=idempotency_key,
        memo=memo[:255],
        created_by=actor if getattr(actor, "pk", None) else None,
        reverses=reverses,
        **account,
    )
    if occurred_at is not None:
        entry.occurred_at = occurred_at
    if source is not None:
        entry.source_type = ContentType.objects.get_for_model(source)
        entry.source_id = source.pk
    if idempotency_key is None:
        entry.save()
        entry_events(model, [entry])
        return Posted(entry, True)
    try:
        # The savepoint keeps the caller's transaction usable when the insert loses a race.
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        existing = model.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        if not _same_posting(existing, entry):
            raise IdempotencyConflict(
                f"Idempotency key {idempotency_key!r} was already used for a different posting.",
                details={"existing_entry": existing.pk},
            ) from None
        return Posted(existing, False)
    entry_events(model, [entry])
    return Posted(entry, True)


def ledger_reverse(*, entry: E, actor: Actor, reason: str) -> Posted[E]:
    """Cancel `entry` with a new entry of the opposite amount that points at it; at most once."""
    if entry.reverses_id is not None:
        raise RuleRefused("A reversal cannot itself be reversed; post a new entry.", code="reversal_of_reversal")
    account = {name: getattr(entry, name) for name in _account_fields(type(entry))}
    return ledger_post(
        model=type(entry),
        amount=-entry.amount,
        kind=EntryKind.REVERSAL,
        idempotency_key=f"reversal:{type(entry)._meta.model_name}:{entry.pk}",
        actor=actor,
        source=entry.source,
        memo=reason,
        reverses=entry,
        **account,
    )


def ledger_post_many(entries: list[E]) -> int:
    """Insert many unsaved entries of one model at once, skipping keys that exist; returns how many were new.

    For sweeps, which already hold locks on the rows the entries are about: the
    conflict clause is the last line of defence, not the concurrency control.
    """
    if not entries:
        return 0
    keys = [e.idempotency_key for e in entries]
    if any(k is None for k in keys) or len(set(keys)) != len(keys):
        raise ValidationFailed("Bulk postings need distinct idempotency keys.", code="bulk_keys")
    written = insert_instances(entries, unique="idempotency_key")
    if written:
        entry_events(type(entries[0]), entries)  # keyed like the entries: one event per entry, ever
    return written


@dataclass(slots=True)
class PendingEntry:
    """A ledger row not yet written, for posting in bulk. A model instance costs ~20 us to build and a
    sweep builds thousands; this costs well under one. The account is buyer_id and/or merchant_id, as
    the target ledger has them."""

    amount: int
    kind: str
    idempotency_key: str
    source_type_id: int | None
    source_id: int | None
    occurred_at: datetime
    created_by_id: int | None
    memo: str
    buyer_id: int | None = None
    merchant_id: int | None = None


_PENDING_COLUMNS = (
    "amount",
    "kind",
    "idempotency_key",
    "source_type",
    "source_id",
    "occurred_at",
    "created_by",
    "memo",
)


def ledger_post_pending(model: type[LedgerEntry], entries: list[PendingEntry]) -> int:
    """ledger_post_many for PendingEntry rows: one INSERT, each key at most once; returns how many were new."""
    if not entries:
        return 0
    keys = [e.idempotency_key for e in entries]
    if any(k is None for k in keys) or len(set(keys)) != len(keys):
        raise ValidationFailed("Bulk postings need distinct idempotency keys.", code="bulk_keys")
    if any(e.amount == 0 for e in entries):
        raise ValidationFailed("A ledger entry must move a non-zero amount.", code="zero_amount")
    account = _account_fields(model)
    for name in account:
        if any(getattr(e, f"{name}_id") is None for e in entries):
            raise ValidationFailed(f"Every {model._meta.model_name} posting needs a {name}.", code="bulk_account")
    now = timezone.now()
    rows = [
        (
            *[getattr(e, f"{name}_id") for name in account],
            e.amount,
            e.kind,
            e.idempotency_key,
            e.source_type_id,
            e.source_id,
            e.occurred_at,
            e.created_by_id,
            e.memo[:255],
            now,
        )
        for e in entries
    ]
    # Each new entry's event: in the insert's own statement on PostgreSQL, else keyed like the entries (so once).
    then = entry_events_statement(model)
    written = insert_rows(model, [*account, *_PENDING_COLUMNS, "created_at"], rows, unique="idempotency_key", then=then)
    if written and then is None:
        entry_events(model, entries)
    return written


def ledger_balance(model: type[LedgerEntry], **account: Any) -> int:
    """The balance of one account: the sum of its entries."""
    return model.objects.filter(**account).aggregate(total=Sum("amount"))["total"] or 0
