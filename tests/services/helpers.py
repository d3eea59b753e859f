"""Helpers for service tests: raise a request at a given Beijing time and move it along; run jobs at once."""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection

from disputes.actors import system_actor
from disputes.services.help_requests import help_request_dispatch, help_request_raise

BJ = ZoneInfo("Asia/Shanghai")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BJ)


def raise_at(moment: datetime, *, buyer, item, service_kind=None, anomaly="not_performed"):
    with time_machine.travel(moment, tick=False):
        return help_request_raise(
            actor=buyer.user,
            order_item_id=item.pk,
            anomaly_kind=anomaly,
            description="The installer did not come.",
            service_kind=service_kind,
        )


def raised_and_dispatched(moment: datetime, *, buyer, item, service_kind=None):
    request = raise_at(moment, buyer=buyer, item=item, service_kind=service_kind)
    # The cancel window takes a cancel through its last second: dispatch one second later, as the task does.
    with time_machine.travel(request.dispatch_at + timedelta(seconds=1), tick=False):
        assert help_request_dispatch(request_id=request.pk, actor=system_actor())
    request.refresh_from_db()
    return request


def run_together(*jobs: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    """Start every job at the same moment, each on its own thread and database connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcome = job()
            with lock:
                results.append(outcome)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def event_types(case, *, after: int = 0) -> list[str]:
    """The types of the events written about `case` (a help request, refund or intervention), in order; with
    `after`, only events with a larger id."""
    from disputes.events.catalogue import case_type_of
    from disputes.models import Event

    found = Event.objects.filter(case_type=case_type_of(type(case)), case_id=case.pk, id__gt=after).order_by("id")
    return list(found.values_list("type", flat=True))


def last_event_id() -> int:
    from disputes.models import Event

    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def step_events(case) -> list[tuple[str, str]]:
    """(transition or step, target state) of each event written about `case`, in order."""
    from disputes.events.catalogue import case_type_of
    from disputes.models import Event

    found = Event.objects.filter(case_type=case_type_of(type(case)), case_id=case.pk).order_by("id")
    return [(e.payload.get("transition") or e.payload.get("step"), e.payload.get("to")) for e in found]
