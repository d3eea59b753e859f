"""Work that leaves the database transaction: Celery tasks enqueued by name once the transaction commits.

Services call this module and never disputes.tasks, so the task modules can import the services without a
loop (the shape of Zulip's send_event). A rolled-back change enqueues nothing."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction

_held_back: ContextVar[bool] = ContextVar("jobs_held_back", default=False)


@contextmanager
def nothing_sent() -> Iterator[None]:
    """Enqueue nothing that is registered inside this block. For the demo data only (seed_demo): its cases are made
    up history, not news for any party, and it dispatches its own help requests."""
    token = _held_back.set(True)
    try:
        yield
    finally:
        _held_back.reset(token)


def enqueue(task: str, /, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Send the task named `task` with keyword arguments now (see enqueue_after_commit)."""
    found = current_app.tasks[task]
    if countdown is None:  # Celery's default: run as soon as a worker takes it
        found.apply_async(kwargs=kwargs)
    else:
        found.apply_async(kwargs=kwargs, countdown=countdown)


def enqueue_after_commit(task: str, /, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Send the task named `task` once the current transaction commits; never for a rolled-back change."""
    if _held_back.get():
        return
    if countdown is None:
        transaction.on_commit(partial(enqueue, task, **kwargs))
    else:
        transaction.on_commit(partial(enqueue, task, countdown=countdown, **kwargs))
