"""0011 altered ledger columns; on SQLite that rebuilds the tables and drops their triggers. Put them back."""

from django.db import migrations

from disputes.sql.ledger_triggers import install_append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("disputes", "0011_leaner_ledger_and_sweep_indexes")]

    operations = [migrations.RunPython(install_append_only_triggers, migrations.RunPython.noop)]
