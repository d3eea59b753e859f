"""Give the staff groups the refund permissions and create the refund sweep's beat schedule."""

from django.db import migrations


def forwards(apps, schema_editor):
    from disputes.roles import ensure_permissions, sync_roles
    from disputes.schedule import sync_schedule

    ensure_permissions(apps)
    sync_roles(apps)
    sync_schedule(apps)


class Migration(migrations.Migration):
    dependencies = [("disputes", "0005_refunds")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
