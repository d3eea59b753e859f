"""Grant the application's database role its privileges (disputes.sql.roles), as the owner of the tables.

    DATABASE_URL=<owner's URL> python manage.py grant_app_role backoffice_app

`migrate` does this itself when DATABASE_APP_ROLE is set; this command is for a database restored from a dump
or a role created after the last migration."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from disputes.sql.roles import grant_app_role, role_privileges


class Command(BaseCommand):
    help = "Grant the application's PostgreSQL role what it needs (read/write, ledgers append-only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", help="The application's role, e.g. backoffice_app.")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter; this database is " + connection.vendor)
        if role_privileges(connection)["user"] == options["role"]:
            raise CommandError("Run this as the owner of the tables, not as the role being granted.")
        grant_app_role(connection, options["role"])
        self.stdout.write(f"Granted {options['role']}: read/write, ledgers SELECT and INSERT only.")
