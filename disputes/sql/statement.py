"""The running balance of a merchant's account statement: the balance just after each entry, in the statement's
order (created_at, then id), summed from the ledger itself (RULES.md section 7: a balance is the sum of its entries).

Every statement here reads only the columns of the covering index (merchant, created_at, id) INCLUDE (amount)
(MerchantAccountEntry.Meta), which PostgreSQL answers with index-only scans; SQLite runs the same text.

Summing a long history on every page costs what the history holds (300,000 entries: ~35-90 ms). So a merchant with
a long history gets **checkpoints**: the running sum at every CHECKPOINT_EVERY-th entry of its settled history (the
entries written more than SETTLE before they were computed), kept in the cache, never in the database (nothing
stores a balance). A page's balances are then a checkpoint plus the entries after it, at most CHECKPOINT_EVERY of
them per checkpoint the page spans. Entries cannot change, only be added; an entry added later with a place before
a checkpoint (a back-dated insert: demo data, a benchmark, a restore) has a larger id than any the checkpoints saw,
and every read adds those in (`top_id`), so a checkpoint stays exact for as long as it is kept."""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from disputes.models import MerchantAccountEntry

# (created_at, id): an entry's place in the statement's order.
Key = tuple[datetime, int]

CHECKPOINT_EVERY = 2_000
_MAX_SUM = 2**63  # beyond any running sum: bisecting by key alone

# Entries written this long ago are taken as settled: no transaction that started before then is still writing.
SETTLE = timedelta(minutes=10)


@dataclass(frozen=True)
class Checkpoints:
    """The running sum after every CHECKPOINT_EVERY-th entry of one merchant's settled history, ascending, and the
    largest entry id (of any merchant) at the moment they were summed."""

    points: tuple[tuple[Key, int], ...]
    top_id: int


def _table() -> str:
    return connection.ops.quote_name(MerchantAccountEntry._meta.db_table)


def _time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _marks(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def balances_after(
    merchant_id: int,
    keys: Sequence[Key],
    *,
    known: tuple[Key, int] | None = None,
    checkpoints: Checkpoints | None = None,
) -> dict[int, int]:
    """The account's balance just after each entry in `keys` (entries of the merchant, in any order), by entry id,
    in one statement.

    With `known` = (a key newer than all of `keys`, the balance just after it), the balances are counted down from
    it over the entries in between (the CSV export carries it from batch to batch). Otherwise each key is grouped
    under the last checkpoint strictly before it (or the start of the account): a group's balances are the
    checkpoint's sum, plus one SUM of the entries from the checkpoint to the group's oldest key, plus one running
    window from there to its newest key. Whatever a filter left out of `keys` is summed too."""
    if not keys:
        return {}
    if known is not None:
        return _counted_down(merchant_id, keys, known)
    points = checkpoints.points if checkpoints is not None else ()
    groups: dict[int, list[Key]] = defaultdict(list)  # index into points (-1: from the start)
    for key in keys:
        groups[bisect_left(points, (key, -_MAX_SUM)) - 1].append(key)  # the last checkpoint strictly before it
    selects, params = [], []
    for index, members in sorted(groups.items()):
        low, high = min(members), max(members)
        ids = sorted(pk for _, pk in members)
        # Below the group: the checkpoint (with the entries added since it was taken with a place before it),
        # then the entries from it up to the oldest key.
        below_sql = (
            f"SELECT COALESCE(SUM(amount), 0) FROM {_table()} WHERE merchant_id = %s AND (created_at, id) < (%s, %s)"
        )
        below_params: list[Any] = [merchant_id, _time(low[0]), low[1]]
        base_sql, base_params = f"({below_sql})", below_params
        if index >= 0 and checkpoints is not None:
            point, running = points[index]
            base_sql = (
                f"%s + (SELECT COALESCE(SUM(amount), 0) FROM {_table()} "
                "WHERE merchant_id = %s AND id > %s AND (created_at, id) <= (%s, %s)) "
                f"+ ({below_sql} AND (created_at, id) > (%s, %s))"
            )
            base_params = [
                running,
                merchant_id,
                checkpoints.top_id,
                _time(point[0]),
                point[1],
                *below_params,
                _time(point[0]),
                point[1],
            ]
        selects.append(
            f"SELECT r.id, r.running + {base_sql} FROM ("
            "SELECT id, SUM(amount) OVER (ORDER BY created_at, id ROWS UNBOUNDED PRECEDING) AS running "
            f"FROM {_table()} WHERE merchant_id = %s AND (created_at, id) >= (%s, %s) AND (created_at, id) <= (%s, %s)"
            f") r WHERE r.id IN ({_marks(ids)})"
        )
        params += [*base_params, merchant_id, _time(low[0]), low[1], _time(high[0]), high[1], *ids]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        return {pk: int(balance) for pk, balance in cursor.fetchall()}


def balance(merchant_id: int, *, checkpoints: Checkpoints | None = None) -> int:
    """The account's balance: the sum of all its entries (from the newest checkpoint on, when there is one)."""
    sql = f"SELECT COALESCE(SUM(amount), 0) FROM {_table()} WHERE merchant_id = %s"
    params: list[Any] = [merchant_id]
    if checkpoints is not None and checkpoints.points:
        (at, pk), running = checkpoints.points[-1]
        sql = (
            f"SELECT %s + ({sql} AND (created_at, id) > (%s, %s)) + "
            f"(SELECT COALESCE(SUM(amount), 0) FROM {_table()} WHERE merchant_id = %s AND id > %s "
            "AND (created_at, id) <= (%s, %s))"
        )
        params = [running, merchant_id, _time(at), pk, merchant_id, checkpoints.top_id, _time(at), pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def read_one_snapshot() -> None:
    """Make the rest of the current transaction, if it has not read anything yet, read one snapshot (PostgreSQL's
    REPEATABLE READ, read only): the export's batches then see the same ledger. Elsewhere nothing to do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _counted_down(merchant_id: int, keys: Sequence[Key], known: tuple[Key, int]) -> dict[int, int]:
    low = min(keys)
    known_key, known_balance = known
    wanted = sorted({pk for _, pk in keys} | {known_key[1]})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id, r.running FROM ("
            "SELECT id, SUM(amount) OVER (ORDER BY created_at, id ROWS UNBOUNDED PRECEDING) AS running "
            f"FROM {_table()} WHERE merchant_id = %s AND (created_at, id) >= (%s, %s) AND (created_at, id) <= (%s, %s)"
            f") r WHERE r.id IN ({_marks(wanted)})",
            [merchant_id, _time(low[0]), low[1], _time(known_key[0]), known_key[1], *wanted],
        )
        running = {pk: int(total) for pk, total in cursor.fetchall()}
    offset = known_balance - running[known_key[1]]
    return {pk: running[pk] + offset for _, pk in keys}


def entries_before(merchant_id: int, key: Key, *, up_to: int) -> int:
    """How many entries of the merchant come before `key`, counting no further than `up_to` (whether checkpoints
    would pay off: the count stops where they would)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {_table()} WHERE merchant_id = %s AND (created_at, id) < (%s, %s) "
            "LIMIT %s) s",
            [merchant_id, _time(key[0]), key[1], up_to],
        )
        return int(cursor.fetchone()[0])


def take_checkpoints(merchant_id: int, *, settled_before: datetime) -> Checkpoints:
    """Sum the merchant's history written before `settled_before` once, keeping the running sum at every
    CHECKPOINT_EVERY-th entry; in the same statement (one snapshot), the largest entry id there is."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT created_at, id, running, (SELECT MAX(id) FROM " + _table() + ") FROM ("
            "SELECT created_at, id, SUM(amount) OVER w AS running, ROW_NUMBER() OVER w AS n "
            f"FROM {_table()} WHERE merchant_id = %s AND created_at < %s "
            "WINDOW w AS (ORDER BY created_at, id ROWS UNBOUNDED PRECEDING)) s "
            "WHERE n %% %s = 0 ORDER BY created_at, id",
            [merchant_id, _time(settled_before), CHECKPOINT_EVERY],
        )
        rows = cursor.fetchall()
        if rows:
            top_id = rows[0][3]
        else:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_table()}")
            top_id = cursor.fetchone()[0]
    return Checkpoints(
        points=tuple(((_aware(created), pk), int(running)) for created, pk, running, _ in rows),
        top_id=int(top_id or 0),
    )


def _aware(value: object) -> datetime:
    """A timestamp as a raw cursor returns it (a datetime on PostgreSQL, text in UTC on SQLite)."""
    when = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
