"""Tells a party that something happened on its case, after the transaction commits."""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def notify_after_commit(event: str, *, case: str, case_id: int) -> None:
    """Queue a notification task once the current transaction commits (never for a rolled-back change)."""
    from disputes.tasks import send_notification

    transaction.on_commit(partial(send_notification.delay, event=event, case=case, case_id=case_id))


def notify_many_after_commit(event: str, *, case: str, case_ids: list[int], chunk: int = 1000) -> None:
    """The same for a sweep's batch: one task per chunk of cases, not one broker message per case."""
    from disputes.tasks import send_notifications

    for start in range(0, len(case_ids), chunk):
        ids = list(case_ids[start : start + chunk])
        transaction.on_commit(partial(send_notifications.delay, event=event, case=case, case_ids=ids))
