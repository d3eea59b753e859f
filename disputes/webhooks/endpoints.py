"""Writes to a merchant's webhook endpoints: register, change, delete, rotate the secret, and disable (after a 410 or
the last retry, which also tells the merchant: an event and an email)."""

import base64
import logging
import secrets
from datetime import datetime
from functools import partial
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from disputes.actors import Actor, merchant_of
from disputes.errors import Forbidden, NotFound, ValidationFailed, field_code
from disputes.events.catalogue import EVENT_TYPES
from disputes.events.record import record
from disputes.models import WebhookEndpoint
from disputes.webhooks.safety import check_url

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _merchant_id(actor: Actor) -> int:
    merchant = merchant_of(actor)
    if merchant is None:
        raise Forbidden("Only a merchant API user may manage webhook endpoints.", code="merchant_required")
    return merchant.pk


def _clean_types(event_types: list[str]) -> list[str]:
    unknown = [name for name in event_types if name not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(f"Unknown event types: {', '.join(unknown)}.", code=field_code("event_types"))
    return list(dict.fromkeys(event_types))


def _lock(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """The caller's endpoint, locked for this transaction; another merchant's is as absent as a missing one."""
    found = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id, merchant_id=_merchant_id(actor)).first()
    if found is None:
        raise NotFound("No such webhook endpoint.", code="webhook_endpoint_not_found")
    return found


def webhook_endpoint_create(*, actor: Actor, url: str, event_types: list[str]) -> WebhookEndpoint:
    """Register an endpoint for the caller's merchant, enabled, with a new secret (the caller's only sight of it).
    Raises UrlRefused (400 url_not_public / invalid_url), ValidationFailed (invalid_event_types), Forbidden."""
    merchant_id = _merchant_id(actor)
    check_url(url)
    types = _clean_types(event_types)
    return WebhookEndpoint.objects.create(merchant_id=merchant_id, url=url, event_types=types, secret=new_secret())


def webhook_endpoint_update(
    *,
    actor: Actor,
    endpoint_id: int,
    url: str | None = None,
    event_types: list[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change the URL, the event types or whether it is enabled; enabling again clears why it was disabled, and its
    deliveries still pending are sent again from the next sweep."""
    if url is not None:
        check_url(url)
    types = _clean_types(event_types) if event_types is not None else None
    with transaction.atomic():
        endpoint = _lock(actor, endpoint_id)
        if url is not None:
            endpoint.url = url
        if types is not None:
            endpoint.event_types = types
        if enabled is not None and enabled != endpoint.enabled:
            endpoint.enabled = enabled
            endpoint.disabled_at = None if enabled else timezone.now()
            endpoint.disabled_reason = "" if enabled else "Disabled by the merchant."
        endpoint.save()
    return endpoint


def webhook_endpoint_delete(*, actor: Actor, endpoint_id: int) -> None:
    """Delete the endpoint and its delivery log."""
    with transaction.atomic():
        _lock(actor, endpoint_id).delete()


def webhook_endpoint_rotate_secret(*, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """Replace the secret at once: every delivery from now on, retries included, is signed with the new one."""
    with transaction.atomic():
        endpoint = _lock(actor, endpoint_id)
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret"])
    return endpoint


def webhook_endpoint_disable(*, endpoint_id: int, reason: str, now: datetime | None = None) -> bool:
    """Disable an endpoint the system gave up on (a 410, or a delivery's last retry) and tell the merchant: the
    event `webhook_endpoint.disabled` and, after commit, an email to the merchant's notify_email. Returns False if
    it was disabled already (nothing said twice). Run inside the caller's transaction or its own."""
    at = now or timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("merchant").get(pk=endpoint_id)
        if not endpoint.enabled:
            return False
        endpoint.enabled = False
        endpoint.disabled_at = at
        endpoint.disabled_reason = reason[:255]
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
        record(
            "webhook_endpoint.disabled",
            merchant_id=endpoint.merchant_id,
            occurred_at=at,
            payload={"endpoint_id": endpoint.pk, "url": endpoint.url, "reason": endpoint.disabled_reason},
        )
        address = endpoint.merchant.notify_email
        if address:
            transaction.on_commit(partial(_mail_disabled, address, endpoint.url, endpoint.disabled_reason))
        else:
            logger.warning("endpoint %s disabled; merchant %s has no notify_email", endpoint.pk, endpoint.merchant_id)
    return True


def _mail_disabled(address: str, url: str, reason: str, **kwargs: Any) -> None:
    send_mail(
        subject="Webhook endpoint disabled",
        message=(
            f"We stopped sending events to your webhook endpoint {url}.\n\nReason: {reason}\n\n"
            "Fix the endpoint, then enable it again through the API (PATCH /api/merchant/webhook-endpoints/<id>/ "
            'with {"enabled": true}); the deliveries still pending are sent then.'
        ),
        from_email=None,
        recipient_list=[address],
        fail_silently=True,
    )
