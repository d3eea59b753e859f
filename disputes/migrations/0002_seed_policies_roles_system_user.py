"""Seed the policy table with RULES.md defaults, create the staff groups and the scheduler's user,
and make the ledgers append-only in the database itself."""

from django.db import migrations

from disputes.sql.ledger_triggers import drop_append_only_triggers, install_append_only_triggers


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
        migrations.RunPython(install_append_only_triggers, drop_append_only_triggers),
    ]
