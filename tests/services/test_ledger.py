"""The ledgers: append-only in the ORM and in the database, exactly-once posting, reversals, balances."""

import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from disputes.errors import AppendOnlyViolation, IdempotencyConflict, RuleRefused, ValidationFailed
from disputes.models import BuyerPointsEntry, EntryKind, MerchantAccountEntry, PlatformAdvanceEntry
from disputes.services.ledger import (
    PendingEntry,
    ledger_balance,
    ledger_post,
    ledger_post_many,
    ledger_post_pending,
    ledger_reverse,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def _credit(buyer, amount=5000, key="case:1:rule", actor=None):
    return ledger_post(
        model=BuyerPointsEntry, amount=amount, kind=EntryKind.ADJUSTMENT, idempotency_key=key, actor=actor, buyer=buyer
    )


def test_same_key_posts_once(buyer):
    first = _credit(buyer)
    second = _credit(buyer)
    assert first.created is True
    assert second.created is False
    assert second.entry.pk == first.entry.pk
    assert BuyerPointsEntry.objects.count() == 1
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 5000


def test_key_reused_for_other_amount_is_a_conflict(buyer):
    _credit(buyer, amount=5000)
    with pytest.raises(IdempotencyConflict):
        _credit(buyer, amount=4000)
    assert BuyerPointsEntry.objects.count() == 1


def test_key_reused_for_other_account_is_a_conflict(buyer, other_buyer):
    _credit(buyer)
    with pytest.raises(IdempotencyConflict):
        _credit(other_buyer)
    assert ledger_balance(BuyerPointsEntry, buyer=other_buyer) == 0


def test_zero_amount_refused(buyer):
    with pytest.raises(ValidationFailed):
        _credit(buyer, amount=0)
    assert BuyerPointsEntry.objects.count() == 0


def test_failed_duplicate_leaves_outer_transaction_usable(buyer):
    with transaction.atomic():
        _credit(buyer)
        _credit(buyer)  # loses to the unique key inside a savepoint
        _credit(buyer, amount=100, key="case:2:rule")
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 5100


def test_orm_refuses_update_and_delete(buyer):
    entry = _credit(buyer).entry
    entry.amount = 1
    with pytest.raises(AppendOnlyViolation):
        entry.save()
    with pytest.raises(AppendOnlyViolation):
        entry.delete()
    with pytest.raises(AppendOnlyViolation):
        BuyerPointsEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AppendOnlyViolation):
        BuyerPointsEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.amount == 5000


def test_database_refuses_raw_update(buyer):
    entry = _credit(buyer).entry
    table = BuyerPointsEntry._meta.db_table
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET amount = 1 WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == 5000


@pytest.mark.postgres
def test_database_refuses_raw_delete_on_postgres(buyer):
    entry = _credit(buyer).entry
    table = BuyerPointsEntry._meta.db_table
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])
    assert BuyerPointsEntry.objects.filter(pk=entry.pk).exists()


def test_reversal_is_a_new_entry_pointing_at_the_original(buyer, agent):
    original = _credit(buyer).entry
    reversal = ledger_reverse(entry=original, actor=agent, reason="credited in error")
    again = ledger_reverse(entry=original, actor=agent, reason="retry")
    assert reversal.created and not again.created
    assert reversal.entry.reverses_id == original.pk
    assert reversal.entry.amount == -5000
    assert reversal.entry.kind == EntryKind.REVERSAL
    assert reversal.entry.created_by == agent
    assert BuyerPointsEntry.objects.count() == 2
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 0
    with pytest.raises(RuleRefused):
        ledger_reverse(entry=reversal.entry, actor=agent, reason="no")


def test_balances_are_sums_per_account(buyer, other_buyer, merchant):
    _credit(buyer, 300, "a")
    _credit(buyer, -100, "b")
    _credit(other_buyer, 7, "c")
    ledger_post(
        model=MerchantAccountEntry,
        amount=-300,
        kind=EntryKind.ADJUSTMENT,
        idempotency_key="a",
        actor=None,
        merchant=merchant,
    )
    ledger_post(
        model=PlatformAdvanceEntry,
        amount=2500,
        kind=EntryKind.ADVANCE,
        idempotency_key="adv",
        actor=None,
        buyer=buyer,
        merchant=merchant,
    )
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 200
    assert ledger_balance(BuyerPointsEntry, buyer=other_buyer) == 7
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -300
    assert ledger_balance(PlatformAdvanceEntry, buyer=buyer) == 2500


def test_bulk_post_skips_existing_keys(buyer):
    _credit(buyer, 10, "k1")
    entries = [
        BuyerPointsEntry(buyer=buyer, amount=10, kind=EntryKind.ADJUSTMENT, idempotency_key=k) for k in ("k1", "k2")
    ]
    assert ledger_post_many(entries) == 1
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 20
    with pytest.raises(ValidationFailed):
        ledger_post_many([BuyerPointsEntry(buyer=buyer, amount=1, kind=EntryKind.ADJUSTMENT, idempotency_key=None)])


def _pending(key, amount=10, **account):
    return PendingEntry(
        amount=amount,
        kind=EntryKind.ADJUSTMENT,
        idempotency_key=key,
        source_type_id=None,
        source_id=None,
        occurred_at=timezone.now() - timedelta(days=1),
        created_by_id=None,
        memo="m" * 300,
        **account,
    )


def test_pending_entries_post_once_each_with_their_account_and_date(buyer, merchant):
    _credit(buyer, 10, "k1")
    entries = [_pending("k1", buyer_id=buyer.pk), _pending("k2", buyer_id=buyer.pk)]
    assert ledger_post_pending(BuyerPointsEntry, entries) == 1
    assert ledger_post_pending(BuyerPointsEntry, entries) == 0
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 20
    stored = BuyerPointsEntry.objects.get(idempotency_key="k2")
    assert (stored.occurred_at, len(stored.memo)) == (entries[1].occurred_at, 255)
    both = [_pending("a1", -5, buyer_id=buyer.pk, merchant_id=merchant.pk)]
    assert ledger_post_pending(PlatformAdvanceEntry, both) == 1
    assert ledger_balance(PlatformAdvanceEntry, merchant=merchant) == -5


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        (lambda b: [_pending("x", buyer_id=b.pk), _pending("x", buyer_id=b.pk)], "bulk_keys"),
        (lambda b: [_pending(None, buyer_id=b.pk)], "bulk_keys"),
        (lambda b: [_pending("x", 0, buyer_id=b.pk)], "zero_amount"),
        (lambda b: [_pending("x", merchant_id=1)], "bulk_account"),
    ],
)
def test_pending_entries_refused_write_nothing(buyer, entries, code):
    with pytest.raises(ValidationFailed) as refused:
        ledger_post_pending(BuyerPointsEntry, [_pending("ok", buyer_id=buyer.pk), *entries(buyer)])
    assert refused.value.code == code
    assert not BuyerPointsEntry.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_posts_of_one_key_make_one_entry():
    """Eight threads, each its own connection and transaction, post the same key at once."""
    buyer = f.BuyerFactory()
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    results: list[bool] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                posted = _credit(buyer, key="race:1:penalty")
            results.append(posted.created)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=post) for _ in range(threads_n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False] * (threads_n - 1) + [True]
    assert BuyerPointsEntry.objects.filter(idempotency_key="race:1:penalty").count() == 1
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 5000
