"""Seed the policy table with RULES.md defaults, create the staff groups and the scheduler's user,
and make the ledgers append-only in the database itself."""

from django.db import migrations

LEDGER_TABLES = ("disputes_buyerpointsentry", "disputes_merchantaccountentry", "disputes_platformadvanceentry")


def seed_policies(apps, schema_editor):
    from disputes.policy_defaults import POLICY_DEFAULTS

    policy_model = apps.get_model("disputes", "Policy")
    for d in POLICY_DEFAULTS:
        policy_model.objects.get_or_create(
            key=d.key,
            defaults={"group": d.group, "unit": d.unit, "value": d.value, "default_value": d.value, "label": d.label},
        )


def create_system_user(apps, schema_editor):
    user_model = apps.get_model("auth", "User")
    user_model.objects.get_or_create(
        username="system-scheduler", defaults={"is_active": False, "first_name": "Scheduler", "password": "!"}
    )


def create_roles(apps, schema_editor):
    from disputes.roles import ensure_permissions, sync_roles

    ensure_permissions(apps)
    sync_roles(apps)


def append_only_triggers(apps, schema_editor):
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
                CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
                """,
                params=None,  # the body's % are PL/pgSQL placeholders, not driver parameters
            )
        elif vendor == "sqlite":
            # Updates only: SQLite test teardown empties tables with DELETE, and the ORM
            # already refuses deletes.
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'ledger {table} is append-only'); END;"
            )


def drop_append_only_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in LEDGER_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only();")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("django_fsm_log", "0005_description_null"),
    ]

    operations = [
        migrations.RunPython(seed_policies, migrations.RunPython.noop),
        migrations.RunPython(create_system_user, migrations.RunPython.noop),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(append_only_triggers, drop_append_only_triggers),
    ]
