"""Upsert the code-defined periodic tasks and staff roles (idempotent; keeps staff edits of intervals)."""

from django.apps import apps
from django.core.management.base import BaseCommand

from disputes.roles import sync_roles
from disputes.schedule import sync_schedule


class Command(BaseCommand):
    help = "Create missing celery-beat periodic tasks and re-apply the staff roles' permissions."

    def handle(self, *args, **options):
        created = sync_schedule(apps)
        sync_roles(apps)
        self.stdout.write(f"periodic tasks created: {created or 'none (all present)'}; roles synced")
