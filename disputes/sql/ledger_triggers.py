"""Database triggers that make the ledger tables append-only, installed by migrations.

SQLite rebuilds a table when a migration alters one of its columns, and the rebuild drops the
table's triggers: a migration that alters a ledger table must call install_append_only_triggers
again afterwards (tests/services/test_ledger.py catches a missing trigger).
"""

from typing import Any

LEDGER_TABLES = ("disputes_buyerpointsentry", "disputes_merchantaccountentry", "disputes_platformadvanceentry")


def install_append_only_triggers(apps: Any, schema_editor: Any) -> None:
    """Refuse UPDATE (and, on PostgreSQL, DELETE) of ledger rows in the database itself. Idempotent."""
    vendor = schema_editor.connection.vendor
    for table in LEDGER_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(
                f"""
                CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION 'ledger % is append-only: % refused', TG_TABLE_NAME, TG_OP
                        USING ERRCODE = 'integrity_constraint_violation';
                END;
                $$ LANGUAGE plpgsql;
                DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};
                CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
                """,
                params=None,  # the body's % are PL/pgSQL placeholders, not driver parameters
            )
        elif vendor == "sqlite":
            # Updates only: SQLite test teardown empties tables with DELETE, and the ORM refuses deletes.
            schema_editor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'ledger {table} is append-only'); END;"
            )


def drop_append_only_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in LEDGER_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only();")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
