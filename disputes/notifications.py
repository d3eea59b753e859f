"""Tells a party that something happened on its case, after the transaction commits (through disputes.jobs)."""

from disputes.jobs import enqueue_after_commit

NOTIFY = "disputes.send_notification"
NOTIFY_MANY = "disputes.send_notifications"


def notify_after_commit(event: str, *, case: str, case_id: int) -> None:
    """Queue a notification task once the current transaction commits (never for a rolled-back change)."""
    enqueue_after_commit(NOTIFY, event=event, case=case, case_id=case_id)


def notify_many_after_commit(event: str, *, case: str, case_ids: list[int], chunk: int = 1000) -> None:
    """The same for a sweep's batch: one task per chunk of cases, not one broker message per case."""
    for start in range(0, len(case_ids), chunk):
        enqueue_after_commit(NOTIFY_MANY, event=event, case=case, case_ids=list(case_ids[start : start + chunk]))
