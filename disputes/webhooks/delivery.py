"""Sending deliveries: claim a due one (in order per case), sign and POST it, record the attempt and what follows
(succeeded on a 2xx; the endpoint disabled on a 410; otherwise the next retry, or given up after the last).

At least once: a delivery is claimed by pushing its next attempt a lease ahead, then sent outside any transaction,
then recorded. A worker that dies in between leaves it pending, and once the lease runs out it is sent again, with
the same `webhook-id` (the event's uid), which is how the receiver recognises the repeat."""

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from disputes.actors import Actor
from disputes.errors import Forbidden, NotFound, RuleRefused
from disputes.events.body import event_body
from disputes.jobs import enqueue_after_commit
from disputes.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery
from disputes.webhooks.endpoints import webhook_endpoint_disable
from disputes.webhooks.safety import UrlRefused, check_url

logger = logging.getLogger(__name__)

REDELIVER = "disputes.webhook_redeliver"
# The wait before each retry: 1, 2, 4, ... minutes, doubling up to 12 hours, then 12 hours. 14 retries after the
# first attempt, the last one about 65 hours (2.7 days) after it; a failure after the last gives up.
RETRY_DELAYS: tuple[timedelta, ...] = tuple(timedelta(minutes=min(2**n, 720)) for n in range(14))
# How long a claimed delivery is left to its worker before another may send it again (more than a request's
# connect and read time limits together).
LEASE = timedelta(minutes=2)
EXCERPT_CHARS = 500
BATCH = 500
USER_AGENT = "aftersales-backoffice-webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def message(event: Event) -> tuple[str, bytes]:
    """The delivery's id (the event's uid, the same on every retry) and its JSON body."""
    body = event_body(event)  # the same shape as the feed's (GET /api/merchant/events/)
    return str(event.uid), json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def signed_headers(secret: str, msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers: webhook-id, webhook-timestamp (Unix seconds), webhook-signature."""
    # sign() reads the time's fields as UTC whatever its zone (it replaces tzinfo), so it is given UTC.
    utc = at.astimezone(UTC).replace(microsecond=0)
    signature = Webhook(secret).sign(msg_id, utc, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(utc.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def send(url: str, headers: dict[str, str], body: bytes) -> Outcome:
    """POST `body` to `url` once, redirects not followed. The host is resolved and checked (disputes.webhooks.
    safety) just before, and the request goes to the address checked, not to a second resolution of the name."""
    started = time.monotonic()
    try:
        addresses = check_url(url)
    except UrlRefused as exc:
        return Outcome(None, 0, error=f"refused: {exc.message}"[:EXCERPT_CHARS])
    target, extensions = _pinned(url, addresses[0]) if addresses else (url, {})
    if addresses:
        headers = {**headers, "host": urlsplit(url).netloc.rsplit("@", 1)[-1]}
    connect, read = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(read, connect=connect), follow_redirects=False) as client,
            client.stream("POST", target, content=body, headers=headers, extensions=extensions) as response,
        ):
            head = b""
            for chunk in response.iter_bytes():
                head += chunk
                if len(head) >= EXCERPT_CHARS * 4:
                    break
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        # No answer (refused, timed out, TLS, a URL the client cannot use): a failed attempt like any other.
        return Outcome(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARS])
    excerpt = head.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    return Outcome(response.status_code, _ms(started), excerpt=excerpt)


def _pinned(url: str, address: str) -> tuple[str, dict[str, str]]:
    """`url` with its host replaced by `address`; TLS still names and verifies the original host (SNI)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc  # keep the credentials the URL carries
    return urlunsplit(parts._replace(netloc=netloc)), {"sni_hostname": parts.hostname or ""}


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _held(delivery: WebhookDelivery) -> bool:
    """An earlier event of the same case is still pending for this endpoint: this one waits its turn."""
    if not delivery.case_type:
        return False
    return WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id,
        case_type=delivery.case_type,
        case_id=delivery.case_id,
        status=DeliveryStatus.PENDING,
        event_sequence__lt=delivery.event_sequence,
    ).exists()


def claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """The delivery, leased to this worker, if it is pending, due, its endpoint enabled and no earlier delivery of
    its case pending; else None."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True)
            .first()
        )
        if delivery is None or _held(delivery):
            return None
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["next_attempt_at"])
    return delivery


def deliver_one(delivery_id: int, *, now: datetime | None = None) -> str | None:
    """Make the next attempt of one delivery if it may be made now; returns the delivery's status after it, or
    None when it was not attempted (not due, held by an earlier one of its case, claimed by another worker)."""
    done = _attempt(delivery_id, now or timezone.now())
    return done[0] if done else None


def _attempt(delivery_id: int, at: datetime) -> tuple[str, Outcome] | None:
    delivery = claim(delivery_id, at)
    if delivery is None:
        return None
    msg_id, body = message(delivery.event)
    outcome = send(delivery.endpoint.url, signed_headers(delivery.endpoint.secret, msg_id, at, body), body)
    return record_outcome(delivery_id, outcome, now=at), outcome


def record_outcome(delivery_id: int, outcome: Outcome, *, now: datetime) -> str:
    """Log the attempt and move the delivery on: succeeded, failed (410: the endpoint is disabled), the next retry
    at now + RETRY_DELAYS[attempts - 1], or given up after the last (the endpoint is disabled)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
        if delivery.status != DeliveryStatus.PENDING:
            return delivery.status  # settled meanwhile (staff, another worker after the lease): log only
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            _finish(delivery, DeliveryStatus.SUCCEEDED, now)
        elif outcome.status_code == 410:
            _finish(delivery, DeliveryStatus.FAILED, now)
            webhook_endpoint_disable(
                endpoint_id=delivery.endpoint_id, reason="The endpoint answered 410 Gone.", now=now
            )
        elif delivery.attempts > len(RETRY_DELAYS):
            _finish(delivery, DeliveryStatus.GIVEN_UP, now)
            last = f"HTTP {outcome.status_code}" if outcome.status_code else outcome.error
            webhook_endpoint_disable(
                endpoint_id=delivery.endpoint_id,
                reason=f"Deliveries kept failing for {delivery.attempts} attempts (last: {last})."[:255],
                now=now,
            )
        else:
            delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
        delivery.save()
    return delivery.status


def _finish(delivery: WebhookDelivery, status: str, now: datetime) -> None:
    delivery.status = status
    delivery.finished_at = now
    delivery.next_attempt_at = None


def deliver_due(*, endpoint_id: int | None = None, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Attempt every due delivery (of one endpoint, or all), in event order; an endpoint that could not be reached
    (no answer: refused, timed out) is left for the next pass, so its other deliveries do not each wait out a
    timeout. Returns counts by outcome.
    Running it twice, or twice at once, sends nothing twice: each delivery is claimed first."""
    at = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=at, endpoint__enabled=True)
    if endpoint_id is not None:
        due = due.filter(endpoint_id=endpoint_id)
    counts: dict[str, int] = {}
    failing: set[int] = set()
    for pk, endpoint in due.order_by("event_sequence", "pk").values_list("pk", "endpoint_id")[:batch]:
        if endpoint in failing:
            continue
        done = _attempt(pk, at)
        key = done[0] if done else "not_attempted"
        counts[key] = counts.get(key, 0) + 1
        if done and done[1].status_code is None:
            failing.add(endpoint)
    return counts


def webhook_delivery_redeliver(*, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Staff put a delivery back to pending, with a fresh retry schedule, and have it sent after commit (the same
    webhook-id: a receiver that had it already sees a repeat). Requires redeliver_webhookdelivery; refused
    (422 webhook_endpoint_disabled) while its endpoint is disabled, which only the merchant lifts."""
    if not actor.has_perm("disputes.redeliver_webhookdelivery"):
        raise Forbidden("Only a supervisor may redeliver webhooks.", code="forbidden")
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound("No such webhook delivery.", code="webhook_delivery_not_found")
        if not delivery.endpoint.enabled:
            raise RuleRefused(
                "The endpoint is disabled; the merchant enables it again first.", code="webhook_endpoint_disabled"
            )
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.finished_at = None
        delivery.save()
        enqueue_after_commit(REDELIVER, delivery_id=delivery.pk)
    logger.info("webhook delivery %s redelivered by %s", delivery.pk, actor)
    return delivery
