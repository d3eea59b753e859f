"""The application's PostgreSQL role (disputes.sql.roles): it owns no table and cannot touch a ledger row: no
UPDATE, DELETE or TRUNCATE, no ALTER TABLE ... DISABLE TRIGGER, no dropping the append-only triggers, no
session_replication_role. It still posts entries and works every other table.

CI (.ci/run) runs the suite as that role. A local run as the postgres superuser skips these (they would prove
nothing); under CI=true a superuser connection fails them instead."""

import os

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from disputes.models import BuyerPointsEntry, EntryKind
from disputes.services.ledger import ledger_post
from disputes.sql.ledger_triggers import LEDGER_TABLES
from disputes.sql.roles import role_privileges
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

INSUFFICIENT_PRIVILEGE = "42501"


@pytest.fixture
def app_role():
    role = role_privileges(connection)
    if role["superuser"]:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the suite as the application role, but the connection is superuser {role['user']}")
        pytest.skip("the connection is a superuser; .ci/run runs these as the application role")
    return role


def refused(sql: str) -> str:
    """Run `sql` in a savepoint; the SQLSTATE it was refused with (the test fails if it ran)."""
    with pytest.raises(ProgrammingError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return caught.value.__cause__.sqlstate


def test_the_role_owns_no_table_and_holds_only_select_and_insert_on_the_ledgers(app_role):
    assert app_role["owned_tables"] == []
    for table, privileges in app_role["ledgers"].items():
        # TRUNCATE is granted in the test database only (see the last test, which checks it where it is not)
        privileges.pop("TRUNCATE")
        assert privileges == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRIGGER": False}, table


def test_a_posted_entry_cannot_be_changed_removed_or_unprotected_by_the_app(app_role):
    entry = ledger_post(
        model=BuyerPointsEntry,
        amount=5000,
        kind=EntryKind.ADJUSTMENT,
        idempotency_key="roles:1",
        actor=None,
        buyer=f.BuyerFactory(),
    ).entry
    table = BuyerPointsEntry._meta.db_table
    assert refused(f"UPDATE {table} SET amount = 1 WHERE id = {entry.pk}") == INSUFFICIENT_PRIVILEGE
    assert refused(f"DELETE FROM {table} WHERE id = {entry.pk}") == INSUFFICIENT_PRIVILEGE
    for ledger in LEDGER_TABLES:
        assert refused(f"ALTER TABLE {ledger} DISABLE TRIGGER ALL") == INSUFFICIENT_PRIVILEGE
        assert refused(f"DROP TRIGGER {ledger}_no_update_delete ON {ledger}") == INSUFFICIENT_PRIVILEGE
    assert refused("SET session_replication_role = replica") == INSUFFICIENT_PRIVILEGE
    entry.refresh_from_db()
    assert entry.amount == 5000


def test_the_role_still_does_its_work_on_the_other_tables(app_role):
    buyer = f.BuyerFactory(nickname="before")
    buyer.nickname = "after"
    buyer.save()
    buyer.refresh_from_db()
    assert buyer.nickname == "after"
    assert BuyerPointsEntry.objects.count() == 0


def test_in_the_database_migrated_for_production_the_role_cannot_even_truncate_a_ledger(app_role):
    """The test database also lets the role TRUNCATE (Django empties every table between transactional tests;
    .ci/run grants that there only). The database .ci/run migrated as production is, has exactly the grants of
    disputes.sql.roles: checked there, statement by statement."""
    import dj_database_url
    import psycopg

    params = dj_database_url.parse(os.environ["DATABASE_URL"])
    with psycopg.connect(
        dbname=params["NAME"], user=params["USER"], host=params["HOST"], port=params["PORT"] or 5432, autocommit=True
    ) as conn:
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
        for ledger in LEDGER_TABLES:
            for sql in (
                f"UPDATE {ledger} SET amount = amount WHERE id = -1",
                f"DELETE FROM {ledger} WHERE id = -1",
                f"TRUNCATE {ledger}",
                f"ALTER TABLE {ledger} DISABLE TRIGGER ALL",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(sql)
            assert conn.execute(f"SELECT count(*) >= 0 FROM {ledger}").fetchone() == (True,)
