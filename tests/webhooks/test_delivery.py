"""Delivery: signed so that standardwebhooks verifies it, fanned out only to the event's merchant, retried on the
schedule, disabled on a 410 or after the last retry (with an event and an email), and in order per case."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from disputes.events.publish import publish
from disputes.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery
from disputes.webhooks import delivery as delivery_module
from disputes.webhooks.delivery import RETRY_DELAYS, Outcome, deliver_due
from tests.webhooks.helpers import endpoint_for, events_for

pytestmark = pytest.mark.django_db


def test_a_delivery_verifies_with_the_merchants_secret(merchant, merchant_user, receiver):
    endpoint = endpoint_for(merchant_user, receiver.url)
    [event] = events_for(merchant, [("refund", 7)])
    assert deliver_due() == {"succeeded": 1}
    [(headers, body, _status)] = receiver.requests
    assert Webhook(endpoint.secret).verify(body, headers) == {
        "id": str(event.uid),
        "type": "refund.noted",
        "sequence": event.sequence,
        "occurred_at": json.loads(body)["occurred_at"],
        "case": {"type": "refund", "id": 7},
        "version": 1,
        "data": {"n": 0},
    }
    assert headers["webhook-id"] == str(event.uid)
    assert headers["content-type"] == "application/json"
    assert int(headers["webhook-timestamp"]) == int(timezone.now().timestamp())
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoint_for(merchant_user, receiver.url).secret).verify(body, headers)
    sent = WebhookDelivery.objects.get()
    assert (sent.status, sent.attempts, sent.last_status_code) == (DeliveryStatus.SUCCEEDED, 1, 200)
    assert WebhookAttempt.objects.get().response_excerpt == '{"ok": true}'


def test_an_endpoint_gets_only_its_own_merchants_events_of_its_types(
    merchant, merchant_user, other_merchant, other_user
):
    mine = endpoint_for(merchant_user, "http://127.0.0.1:9/mine")
    picky = endpoint_for(merchant_user, "http://127.0.0.1:9/picky", ["help_request.raised"])
    theirs = endpoint_for(other_user, "http://127.0.0.1:9/theirs")
    [for_me] = events_for(merchant, [("refund", 1)])
    [for_them] = events_for(other_merchant, [("refund", 2)])
    events_for(None, [("refund", 3)])  # no merchant: nobody's
    [raised] = events_for(merchant, [("help_request", 4)], type_="help_request.raised")
    pairs = set(WebhookDelivery.objects.values_list("endpoint_id", "event_id"))
    assert pairs == {(mine.pk, for_me.pk), (theirs.pk, for_them.pk), (mine.pk, raised.pk), (picky.pk, raised.pk)}


def test_a_disabled_endpoint_gets_nothing_and_publishing_again_duplicates_nothing(merchant, merchant_user):
    endpoint_for(merchant_user, "http://127.0.0.1:9/on")
    off = endpoint_for(merchant_user, "http://127.0.0.1:9/off")
    off.enabled = False
    off.save()
    events_for(merchant, [("refund", 1)])
    publish()
    assert WebhookDelivery.objects.count() == 1


def test_failures_are_retried_on_the_schedule(merchant, merchant_user, receiver, clock):
    receiver.answer = lambda n, headers, body: 500
    endpoint_for(merchant_user, receiver.url)
    events_for(merchant, [("refund", 1)])
    start = timezone.now()
    assert deliver_due() == {"pending": 1}
    sent = WebhookDelivery.objects.get()
    assert sent.next_attempt_at == start + timedelta(minutes=1)
    clock.shift(timedelta(seconds=59))
    assert deliver_due() == {}
    clock.shift(timedelta(seconds=1))
    assert deliver_due() == {"pending": 1}
    sent.refresh_from_db()
    assert (sent.attempts, sent.last_status_code) == (2, 500)
    assert sent.next_attempt_at == timezone.now() + timedelta(minutes=2)
    assert len(WebhookAttempt.objects.get(pk=sent.attempt_log.last().pk).response_excerpt) == 500
    # Every retry carries the same webhook-id.
    assert len({headers["webhook-id"] for headers, _body, _status in receiver.requests}) == 1


def test_the_schedule_is_doubling_capped_and_under_three_days():
    assert RETRY_DELAYS[:4] == tuple(timedelta(minutes=m) for m in (1, 2, 4, 8))
    assert max(RETRY_DELAYS) == timedelta(hours=12)
    assert timedelta(days=2) < sum(RETRY_DELAYS, timedelta()) <= timedelta(days=3)


def test_a_410_disables_the_endpoint_and_tells_the_merchant(
    merchant, merchant_user, receiver, django_capture_on_commit_callbacks
):
    receiver.answer = lambda n, headers, body: 410
    endpoint = endpoint_for(merchant_user, receiver.url)
    events_for(merchant, [("refund", 1), ("refund", 2)])
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_due() == {"failed": 1, "not_attempted": 1}
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert len(receiver.requests) == 1  # the second is not sent to a gone endpoint
    disabled = Event.objects.get(type="webhook_endpoint.disabled")
    assert disabled.merchant_id == merchant.pk and disabled.payload["endpoint_id"] == endpoint.pk
    assert [message.to for message in mail.outbox] == [["ops@shop.example"]]


def test_after_the_last_retry_it_gives_up_disables_and_tells_the_merchant(
    merchant, merchant_user, monkeypatch, clock, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(delivery_module, "send", lambda url, headers, body: Outcome(503, 5, "busy"))
    endpoint = endpoint_for(merchant_user, "http://127.0.0.1:9/down")
    events_for(merchant, [("refund", 1)])
    first = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        for delay in RETRY_DELAYS:
            assert deliver_due() == {"pending": 1}
            clock.shift(delay)
        assert deliver_due() == {"given_up": 1}
    assert timezone.now() - first == sum(RETRY_DELAYS, timedelta())
    sent = WebhookDelivery.objects.get()
    assert (sent.status, sent.attempts) == (DeliveryStatus.GIVEN_UP, len(RETRY_DELAYS) + 1)
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "HTTP 503" in endpoint.disabled_reason
    assert Event.objects.filter(type="webhook_endpoint.disabled", merchant=merchant).count() == 1
    [message] = mail.outbox
    assert message.to == ["ops@shop.example"] and endpoint.url in message.body


def test_a_later_event_of_a_case_waits_for_the_earlier_one(merchant, merchant_user, receiver, clock):
    failing = {"on": True}
    receiver.answer = lambda n, headers, body: 500 if failing["on"] and json.loads(body)["data"]["n"] == 0 else 200
    endpoint_for(merchant_user, receiver.url)
    first, second, other_case = events_for(merchant, [("refund", 1), ("refund", 1), ("refund", 2)])
    deliver_due()
    sent = [json.loads(body)["id"] for _headers, body, _status in receiver.requests]
    assert sent == [str(first.uid), str(other_case.uid)]  # the second waits behind the first
    failing["on"] = False
    clock.shift(timedelta(minutes=1))
    assert deliver_due() == {"succeeded": 2}
    sent = [json.loads(body)["id"] for _headers, body, _status in receiver.requests]
    assert sent[2:] == [str(first.uid), str(second.uid)]
