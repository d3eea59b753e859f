"""Tells a party that something happened on its case, after the transaction commits."""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def notify_after_commit(event: str, *, case: str, case_id: int) -> None:
    """Queue a notification task once the current transaction commits (never for a rolled-back change)."""
    from disputes.tasks import send_notification

    transaction.on_commit(partial(send_notification.delay, event=event, case=case, case_id=case_id))
