"""App configuration for the disputes app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("After-sales back office")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the Celery tasks in every process (web and worker alike): services enqueue them by name
        # (disputes.jobs), so nothing else imports this module.
        from disputes import tasks  # noqa: F401
