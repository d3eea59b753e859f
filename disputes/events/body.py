"""An event as the parties receive it, one shape for the feed (disputes.api.events) and the webhook deliveries
(disputes.webhooks.delivery): times in ISO 8601 UTC like the payload's."""

from datetime import UTC
from typing import Any

from disputes.models import Event


def event_body(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.uid),
        "sequence": event.sequence,
        "type": event.type,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "case": {"type": event.case_type, "id": event.case_id} if event.case_type else None,
        "version": event.version,
        "data": event.payload,
    }
