"""App configuration for the disputes app."""

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("After-sales back office")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the Celery tasks in every process (web and worker alike): services enqueue them by name
        # (disputes.jobs), so nothing else imports this module.
        from disputes import tasks  # noqa: F401
        from disputes.events import hooks, notify, publish
        from disputes.webhooks.fanout import fan_out

        # Events are written by every transition and audited step; once published, they feed the webhooks and the
        # emails.
        hooks.connect()
        publish.subscribe(fan_out)
        publish.subscribe(notify.on_published)

        post_migrate.connect(_grant_app_role, sender=self, dispatch_uid="disputes.grant_app_role")


def _grant_app_role(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After every migrate run by the owner: the application's role gets its privileges on the new tables too
    (disputes.sql.roles). Sent once the whole migrate has run, so every app's tables exist."""
    role = getattr(settings, "DATABASE_APP_ROLE", "")
    if not role:
        return
    from django.db import connections

    from disputes.sql.roles import grant_app_role

    grant_app_role(connections[using], role)
