"""Give the staff groups the one-click help permissions and create the help sweep's beat schedule."""

from django.db import migrations


def forwards(apps, schema_editor):
    from disputes.roles import ensure_permissions, sync_roles
    from disputes.schedule import sync_schedule

    ensure_permissions(apps)
    sync_roles(apps)
    sync_schedule(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0003_help_requests_and_violations"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
