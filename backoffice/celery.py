"""The Celery application: configured from Django settings, tasks discovered in the apps, and logging that says
what the tasks did rather than that they ran."""

import logging
import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's own per-task lines: "Task ... received", "Task ... succeeded in 0.002s: <return value>" and beat's
# "Sending due task" every minute. Each task logs what it did in words (disputes.tasks), so these only repeat it,
# and a return value such as False reads like a failure. Failures and retries are still logged (ERROR, WARNING).
QUIET_AT_INFO = ("celery.app.trace", "celery.worker.strategy", "celery.beat")


@signals.after_setup_logger.connect
def quiet_task_bookkeeping(*, loglevel: int = logging.INFO, **kwargs: Any) -> None:
    if loglevel > logging.DEBUG:  # --loglevel=DEBUG shows them all
        for name in QUIET_AT_INFO:
            logging.getLogger(name).setLevel(logging.WARNING)
