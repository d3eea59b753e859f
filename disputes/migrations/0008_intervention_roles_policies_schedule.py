"""Intervention permissions for the staff groups, the new policy rows, and the intervention sweep's schedule."""

from django.db import migrations


def forwards(apps, schema_editor):
    from disputes.policy_defaults import POLICY_DEFAULTS
    from disputes.roles import ensure_permissions, sync_roles
    from disputes.schedule import sync_schedule

    policy_model = apps.get_model("disputes", "Policy")
    for d in POLICY_DEFAULTS:
        policy_model.objects.get_or_create(
            key=d.key,
            defaults={"group": d.group, "unit": d.unit, "value": d.value, "default_value": d.value, "label": d.label},
        )
    ensure_permissions(apps)
    sync_roles(apps)
    sync_schedule(apps)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0007_interventions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
