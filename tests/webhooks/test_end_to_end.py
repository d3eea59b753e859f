"""End to end against a real HTTP receiver that fails for a while, then recovers; a worker dies once between
sending and recording. Every event arrives, in order per case, and a repeat only ever repeats a webhook-id."""

import contextlib
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from disputes.models import DeliveryStatus, WebhookDelivery
from disputes.webhooks import delivery as delivery_module
from disputes.webhooks.delivery import deliver_due
from tests.webhooks.helpers import endpoint_for, events_for

pytestmark = pytest.mark.django_db


def test_a_receiver_that_fails_then_recovers_gets_everything_in_order_per_case(
    merchant, merchant_user, receiver, clock, monkeypatch
):
    # Down (503) for its first 6 requests, then up.
    receiver.answer = lambda n, headers, body: 503 if n < 6 else 200
    endpoint = endpoint_for(merchant_user, receiver.url)
    cases = [("refund", 1), ("help_request", 1), ("refund", 1), ("refund", 2), ("help_request", 1), ("refund", 1)]
    events = events_for(merchant, cases)
    more = events_for(merchant, [("refund", 2), ("refund", 1)])

    # The worker dies once, after the receiver took a delivery and before it was recorded.
    record = delivery_module.record_outcome
    crashed = []

    def dies_once(delivery_id, outcome, *, now):
        if outcome.ok and not crashed:
            crashed.append(delivery_id)
            raise SystemExit("worker lost")
        return record(delivery_id, outcome, now=now)

    monkeypatch.setattr(delivery_module, "record_outcome", dies_once)
    for _minute in range(60):
        with contextlib.suppress(SystemExit):
            deliver_due()
        if not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists():
            break
        clock.shift(timedelta(minutes=1))
    assert crashed
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}

    # Each accepted request verifies with the endpoint's secret (verify parses the body it checked).
    accepted = [
        (headers, Webhook(endpoint.secret).verify(body, headers))
        for headers, body, status in receiver.requests
        if status == 200
    ]
    for headers, body in accepted:
        assert headers["webhook-id"] == body["id"]
    ids = [body["id"] for _headers, body in accepted]
    # Every event arrived; the one repeat is the delivery whose recording was lost, under the same webhook-id.
    assert set(ids) == {str(event.uid) for event in [*events, *more]}
    assert len(ids) == len(set(ids)) + 1
    # In order per case: first arrivals of each case's events follow the events' sequence.
    first_seen: dict[tuple[str, int], list[int]] = {}
    seen: set[str] = set()
    for _headers, body in accepted:
        if body["id"] in seen:
            continue
        seen.add(body["id"])
        first_seen.setdefault((body["case"]["type"], body["case"]["id"]), []).append(body["sequence"])
    assert all(sequences == sorted(sequences) for sequences in first_seen.values()), first_seen


def test_the_body_received_verifies_byte_for_byte(merchant, merchant_user, receiver):
    endpoint = endpoint_for(merchant_user, receiver.url)
    events_for(merchant, [("refund", 1)])
    deliver_due()
    [(headers, body, _status)] = receiver.requests
    assert Webhook(endpoint.secret).verify(body, headers)["case"] == {"type": "refund", "id": 1}
