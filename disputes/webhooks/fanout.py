"""The fan-out: newly published events become one pending delivery per enabled endpoint of the event's merchant
that wants its type. Subscribed to the publisher (disputes.events.publish.subscribe, from the app's ready()), so it
runs in the publishing transaction: a published event always has its deliveries, and an event is fanned out once."""

from typing import cast

from django.utils import timezone

from disputes.jobs import enqueue_after_commit
from disputes.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint

DELIVER = "disputes.webhook_deliver"


def fan_out(event_ids: list[int]) -> None:
    """Write the deliveries of the events `event_ids` (published, in this transaction) and ask for them to be sent
    once it commits. An event with no merchant goes to no one, and an endpoint only
    ever receives its own merchant's events."""
    events = list(
        Event.objects.filter(pk__in=event_ids, merchant__isnull=False, sequence__isnull=False)
        .order_by("sequence")
        .values("pk", "merchant_id", "type", "sequence", "case_type", "case_id")
    )
    if not events:
        return
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        enabled=True, merchant_id__in={e["merchant_id"] for e in events}
    ).only("pk", "merchant_id", "event_types"):
        endpoints.setdefault(endpoint.merchant_id, []).append(endpoint)
    now = timezone.now()
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint.pk,
            event_id=event["pk"],
            event_sequence=cast(int, event["sequence"]),  # published: never null here
            case_type=event["case_type"],
            case_id=event["case_id"],
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
        for endpoint in endpoints.get(event["merchant_id"], [])
        if endpoint.wants(event["type"])
    ]
    if not rows:
        return
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    for endpoint_id in sorted({row.endpoint_id for row in rows}):
        enqueue_after_commit(DELIVER, endpoint_id=endpoint_id)
