"""Celery entry points: thin wrappers that load ids and call services; retries live here, rules do not.

Services never import this module: they enqueue these tasks by name through disputes.jobs."""

import logging

from celery import shared_task

from disputes.actors import system_actor
from disputes.events import notify as events_notify
from disputes.events.due_soon import due_soon_sweep as run_due_soon_sweep
from disputes.events.publish import publish
from disputes.services.help_requests import help_request_dispatch
from disputes.services.help_sweep import help_sweep as run_help_sweep
from disputes.services.interventions.sweep import intervention_sweep as run_intervention_sweep
from disputes.services.refunds.sweep import refund_sweep as run_refund_sweep
from disputes.webhooks.delivery import deliver_due, deliver_one

logger = logging.getLogger(__name__)


def _done(result: dict[str, int]) -> str:
    """What a sweep did, in words: "paid 1, credits 1" (only the counts that are not zero)."""
    return ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in result.items() if count)


@shared_task(name="disputes.help_sweep", acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def help_sweep() -> dict[str, int]:
    """Apply every due one-click help deadline (scheduled every minute by celery beat)."""
    result = run_help_sweep()
    if result.total:
        logger.info("help sweep: %s", _done(result.as_dict()))
    return result.as_dict()


@shared_task(
    name="disputes.refund_sweep", acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3
)
def refund_sweep() -> dict[str, int]:
    """Apply every due refund timeout (scheduled every minute by celery beat)."""
    result = run_refund_sweep()
    if result.total:
        logger.info("refund sweep: %s", _done(result.as_dict()))
    return result.as_dict()


@shared_task(
    name="disputes.intervention_sweep", acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3
)
def intervention_sweep() -> dict[str, int]:
    """Move intervention cases on when their windows close (scheduled by celery beat)."""
    result = run_intervention_sweep()
    if result.total:
        logger.info("intervention sweep: %s", _done(result.as_dict()))
    return result.as_dict()


@shared_task(name="disputes.help_dispatch_one", acks_late=True, ignore_result=True)
def help_dispatch_one(request_id: int) -> None:
    """Dispatch one request right after its cancel window; the minute sweep covers a lost task."""
    if help_request_dispatch(request_id=request_id, actor=system_actor()):
        logger.info("HR-%s dispatched: its cancel window ended", request_id)
    else:
        # Cancelled within its window, or the sweep got there first: the expected end of the race, not a failure.
        logger.debug("HR-%s: nothing to dispatch (cancelled, or already dispatched)", request_id)


@shared_task(name="disputes.publish_events", acks_late=True, ignore_result=True)
def publish_events() -> int:
    """Publish committed events in order (disputes.events.publish): asked for after each commit that wrote one,
    and scheduled every 10 seconds by celery beat as well, for a request lost on the way."""
    return publish()


@shared_task(name="disputes.due_soon_sweep", acks_late=True, ignore_result=True)
def due_soon_sweep() -> int:
    """Announce deadlines entering their lead time (scheduled every minute by celery beat)."""
    written = run_due_soon_sweep()
    if written:
        logger.info("due-soon sweep: %s deadlines announced", written)
    return written


@shared_task(
    name="disputes.send_event_email", acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_event_email(event_id: int) -> bool:
    """Email the person an event concerns (disputes.events.notify); SMTP errors retry with backoff."""
    return events_notify.send_event_email(event_id)


@shared_task(name="disputes.webhook_deliver", acks_late=True, ignore_result=True)
def webhook_deliver(*, endpoint_id: int) -> dict[str, int]:
    """Send one endpoint's due deliveries, in order, right after the fan-out wrote them (the sweep covers a lost
    task and the retries)."""
    return deliver_due(endpoint_id=endpoint_id)


@shared_task(name="disputes.webhook_sweep", acks_late=True, ignore_result=True)
def webhook_sweep() -> dict[str, int]:
    """Send every due webhook delivery, retries included (scheduled every minute by celery beat)."""
    result = deliver_due()
    if result:
        logger.info("webhook sweep: %s", _done(result))
    return result


@shared_task(name="disputes.webhook_redeliver", acks_late=True, ignore_result=True)
def webhook_redeliver(*, delivery_id: int) -> str | None:
    """Send one delivery staff put back to pending (the admin's redeliver)."""
    return deliver_one(delivery_id)
