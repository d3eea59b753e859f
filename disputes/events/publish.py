"""The publisher: gives committed events their place in the one order every reader follows.

Events are written with the change, in many transactions at once, and an event's id says when it was written, not
when its transaction committed: a reader that followed ids could pass an id whose transaction commits later and
never see it. So readers follow `sequence` instead, which only this pass hands out: one pass at a time (an
advisory lock on PostgreSQL; SQLite serializes writers anyway), to the events it can see, that is committed ones,
in id order. An event committed after a pass gets a sequence after every event that pass published. Per case the
order is the order of the changes: a case's next change waits for the lock its previous change held, so the
previous event is committed, and visible, by the time the next one is."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Max

from disputes.models.events import Event
from disputes.sql.events import assign_sequences, take_publisher_lock

BATCH = 5000

# Called in the publishing transaction with each batch of newly published events' ids (the webhook fan-out).
_subscribers: list[Callable[[list[int]], None]] = []


def subscribe(handler: Callable[[list[int]], None]) -> None:
    if handler not in _subscribers:
        _subscribers.append(handler)


def publish(*, batch_size: int = BATCH) -> int:
    """Publish every committed, unpublished event; returns how many were published."""
    done = 0
    while True:
        with transaction.atomic():
            take_publisher_lock()
            ids = list(
                Event.objects.filter(sequence__isnull=True).order_by("id").values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return done
            last = Event.objects.aggregate(last=Max("sequence"))["last"] or 0
            assign_sequences(ids, start=last + 1)
            for handler in _subscribers:
                handler(ids)
            done += len(ids)
        if len(ids) < batch_size:
            return done
