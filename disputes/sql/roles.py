"""The application's PostgreSQL role: it owns nothing and holds only the privileges the back office uses.

Migrations run as the owner of the tables (DATABASE_URL of the owner); the web and worker processes connect
as the application role. Granted after every `migrate` when DATABASE_APP_ROLE names that role
(disputes.apps), or by `manage.py grant_app_role`:

- read and write every table (SELECT, INSERT, UPDATE, DELETE), and use the id sequences;
- on the ledger tables only SELECT and INSERT: an entry is never updated, deleted or truncated, and since the
  role owns no table it cannot ALTER TABLE ... DISABLE TRIGGER or drop the append-only triggers either (nor set
  session_replication_role, which needs a superuser).
"""

from typing import Any

from disputes.sql.ledger_triggers import LEDGER_TABLES


def grant_app_role(connection: Any, role: str) -> None:
    """Grant `role` what the application needs on the current database (PostgreSQL only). Idempotent."""
    if connection.vendor != "postgresql":
        return
    name = connection.ops.quote_name(role)
    ledgers = ", ".join(connection.ops.quote_name(table) for table in LEDGER_TABLES)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = connection.ops.quote_name(cursor.fetchone()[0])
        for statement in (
            f"GRANT CONNECT ON DATABASE {database} TO {name}",
            f"GRANT USAGE ON SCHEMA public TO {name}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {ledgers} FROM {name}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
        ):
            cursor.execute(statement)


def role_privileges(connection: Any) -> dict[str, Any]:
    """What the connected role is: superuser or not, the tables it owns, and its privileges on each ledger."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cursor.fetchone()
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        owned = [row[0] for row in cursor.fetchall()]
        ledgers = {}
        for table in LEDGER_TABLES:
            ledgers[table] = {
                privilege: _has(cursor, table, privilege)
                for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
            }
    return {"user": user, "superuser": superuser, "owned_tables": owned, "ledgers": ledgers}


def _has(cursor: Any, table: str, privilege: str) -> bool:
    cursor.execute("SELECT has_table_privilege(current_user, %s, %s)", [table, privilege])
    return bool(cursor.fetchone()[0])
