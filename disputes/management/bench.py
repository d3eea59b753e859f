"""What the two sweep benchmarks share: removing their rows and no others, and putting the tables in the
state production keeps them in."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import CommandError, OutputWrapper
from django.db import DatabaseError, connection, models, transaction
from django_fsm_log.models import StateLog
from rest_framework.authtoken.models import Token

from disputes.models import LEDGER_MODELS, Buyer, Event, Merchant, Order, OrderItem, Product, ServiceCommitment
from disputes.sql.roles import role_privileges


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def settle(tables: Iterable[type[models.Model]], *, stdout: OutputWrapper, checkpoint: bool) -> None:
    """On PostgreSQL, VACUUM (ANALYZE) the tables a load filled or a cleanup emptied, then optionally
    CHECKPOINT: what autovacuum and the checkpointer would have done long before a production sweep.

    Without it, dead rows from earlier runs pile up wherever autovacuum is off (it is on the development
    machine) and each run is slower than the last; and the sweep would share I/O with the load."""
    if connection.vendor != "postgresql":
        return
    # VACUUM cannot run inside a transaction (a test wraps the command in one): statistics at least.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"{command} {_table(model)}")
        if checkpoint:
            try:
                with transaction.atomic():  # a savepoint: the refusal must not abort a caller's transaction
                    cursor.execute("CHECKPOINT")
            except DatabaseError:
                stdout.write("note: CHECKPOINT needs a superuser; the sweep shares I/O with the load")


@dataclass(frozen=True)
class Marks:
    """How a benchmark's rows are found: its merchant's shop name and its users' name prefix. Each subquery
    takes the parameters in `params` (one per placeholder, in order)."""

    merchant: str
    user_prefix: str

    @property
    def merchants(self) -> str:
        return f"SELECT id FROM {_table(Merchant)} WHERE shop_name = %s"

    @property
    def users(self) -> str:
        return f"SELECT id FROM {_table(get_user_model())} WHERE username LIKE %s"

    @property
    def buyers(self) -> str:
        return f"SELECT id FROM {_table(Buyer)} WHERE user_id IN ({self.users})"

    def cases(self, model: type[models.Model]) -> str:
        return f"SELECT id FROM {_table(model)} WHERE merchant_id IN ({self.merchants})"

    @property
    def m(self) -> list[str]:
        return [self.merchant]

    @property
    def u(self) -> list[str]:
        return [f"{self.user_prefix}%"]


def delete_benchmark_data(
    marks: Marks, *, case_model: type[models.Model], before_cases: Callable[[Any], None] = lambda cursor: None
) -> int:
    """Delete every row a benchmark made, in foreign-key order, and nothing else; returns how many cases
    (`case_model` rows) went. `before_cases` deletes what refers to the cases beyond ledgers and history."""
    orders = f"SELECT id FROM {_table(Order)} WHERE merchant_id IN ({marks.merchants})"
    items = f"SELECT id FROM {_table(OrderItem)} WHERE order_id IN ({orders})"
    m, u = marks.m, marks.u
    postgres = connection.vendor == "postgresql"
    if postgres and role_privileges(connection)["owned_tables"] == []:
        raise CommandError(
            "A benchmark removes its ledger rows by lifting the append-only triggers, which only the owner of the "
            "tables can do: run benchmarks with the owner's DATABASE_URL (the application's role cannot)."
        )
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            # Foreign keys are deferred; checked at each statement instead, no trigger event is
            # pending when ALTER TABLE runs (PostgreSQL refuses it otherwise).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in LEDGER_MODELS:
            account = []
            params: list[str] = []
            if "buyer" in {f.name for f in model._meta.concrete_fields}:
                account.append(f"buyer_id IN ({marks.buyers})")
                params += u
            if "merchant" in {f.name for f in model._meta.concrete_fields}:
                account.append(f"merchant_id IN ({marks.merchants})")
                params += m
            table = _table(model)
            # The ledgers refuse deletes by trigger in PostgreSQL. Only this cleanup of rows the
            # benchmark made lifts that, inside this transaction, and puts it back before commit.
            if postgres:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(f"DELETE FROM {table} WHERE {' OR '.join(account)}", params)
            if postgres:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        cursor.execute(
            f"DELETE FROM {_table(Event)} WHERE merchant_id IN ({marks.merchants}) OR buyer_id IN ({marks.buyers})",
            [*m, *u],
        )
        cursor.execute(
            f"DELETE FROM {_table(StateLog)} WHERE content_type_id = %s AND object_id IN ({marks.cases(case_model)})",
            [ContentType.objects.get_for_model(case_model).pk, *m],
        )
        before_cases(cursor)
        cursor.execute(f"DELETE FROM {_table(case_model)} WHERE merchant_id IN ({marks.merchants})", m)
        removed = cursor.rowcount
        cursor.execute(f"DELETE FROM {_table(ServiceCommitment)} WHERE order_item_id IN ({items})", m)
        cursor.execute(f"DELETE FROM {_table(OrderItem)} WHERE order_id IN ({orders})", m)
        cursor.execute(f"DELETE FROM {_table(Order)} WHERE merchant_id IN ({marks.merchants})", m)
        cursor.execute(f"DELETE FROM {_table(Product)} WHERE merchant_id IN ({marks.merchants})", m)
        cursor.execute(f"DELETE FROM {_table(Buyer)} WHERE user_id IN ({marks.users})", u)
        cursor.execute(f"DELETE FROM {_table(Merchant)} WHERE shop_name = %s", m)
        user_model = get_user_model()
        # Nothing else refers to a benchmark user; raw SQL keeps this independent of other apps' models.
        for link in (user_model.groups.through, user_model.user_permissions.through, Token):
            cursor.execute(f"DELETE FROM {_table(link)} WHERE user_id IN ({marks.users})", u)
        cursor.execute(f"DELETE FROM {_table(user_model)} WHERE username LIKE %s", u)
    return max(removed, 0)
