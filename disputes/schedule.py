"""Periodic tasks defined in code and upserted into django-celery-beat; staff edits of the interval survive."""

from typing import Any, NamedTuple


class PeriodicTaskSpec(NamedTuple):
    name: str
    task: str
    every_seconds: int
    description: str


PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="One-click help sweep",
        task="disputes.help_sweep",
        every_seconds=60,
        description="Dispatch after the cancel window, record 1-hour and 48-hour misses, credit penalties, "
        "auto-confirm resolutions.",
    ),
    PeriodicTaskSpec(
        name="Refund timeouts sweep",
        task="disputes.refund_sweep",
        every_seconds=60,
        description="Apply every refund timeout (pay, agree, close, take goods as received) and revoke the "
        "instant-refund privilege of buyers who did not repay an advance.",
    ),
    PeriodicTaskSpec(
        name="Intervention deadlines sweep",
        task="disputes.intervention_sweep",
        every_seconds=300,
        description="Move cases to mediation when evidence closes, finalize judgments when the appeal window "
        "closes, resume suspensions, flag decision deadlines at risk or missed.",
    ),
    PeriodicTaskSpec(
        name="Publish events",
        task="disputes.publish_events",
        every_seconds=10,
        description="Publish committed events in order to the polling API and the webhook deliveries; each "
        "commit that writes an event asks for this at once, the schedule catches a request that was lost.",
    ),
    PeriodicTaskSpec(
        name="Deadlines due soon",
        task="disputes.due_soon_sweep",
        every_seconds=60,
        description="Write one *_due_soon event per deadline that falls within its policy's lead time.",
    ),
    PeriodicTaskSpec(
        name="Webhook deliveries",
        task="disputes.webhook_sweep",
        every_seconds=60,
        description="Send every due webhook delivery in order per case: first attempts a task missed, and the "
        "retries (1 min, 2, 4, ... up to 12 h apart, about 65 hours in all).",
    ),
)


def sync_schedule(apps: Any) -> list[str]:
    """Create missing periodic tasks; leave existing ones (and staff's interval edits) alone. Returns created names."""
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    created = []
    for spec in PERIODIC_TASKS:
        if task_model.objects.filter(name=spec.name).exists():
            continue
        interval, _ = interval_model.objects.get_or_create(every=spec.every_seconds, period="seconds")
        task_model.objects.create(
            name=spec.name, task=spec.task, interval=interval, description=spec.description, enabled=True
        )
        created.append(spec.name)
    return created
