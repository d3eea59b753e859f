"""Helpers for API tests: authenticated clients, and reaching states by calling services."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from disputes.actors import system_actor
from disputes.models import HelpRequest
from disputes.services.help_requests import help_request_dispatch, help_request_raise
from tests import factories as f

BJ = ZoneInfo("Asia/Shanghai")
# A Monday morning inside the 09:00-18:00 window: every request raised now has a 1-hour deadline.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=BJ)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def raise_request(buyer, item, **kwargs) -> HelpRequest:
    """Raise through the service at the current (frozen) time."""
    return help_request_raise(
        actor=buyer.user,
        order_item_id=item.pk,
        anomaly_kind=kwargs.pop("anomaly_kind", "not_performed"),
        description=kwargs.pop("description", "The installer never came."),
        **kwargs,
    )


def dispatch(request: HelpRequest) -> HelpRequest:
    """End the cancel window: dispatch as the dispatch task would, 11 s after raising (the window takes a cancel
    through its tenth second)."""
    assert help_request_dispatch(
        request_id=request.pk, actor=system_actor(), now=request.raised_at + timedelta(seconds=11)
    )
    request.refresh_from_db()
    return request


def new_item(buyer, merchant, city="杭州", services=None):
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city)
    return f.OrderItemFactory(order=order, services=services)


def assert_fields_refused(body: dict, expected: dict[str, str]) -> None:
    """A 400 body that refuses exactly `expected`'s fields, each with its stable code; `code` is that field's code
    when one field is refused, `invalid` when several are."""
    assert body["field_codes"] == expected
    assert set(body["fields"]) == set(expected)
    assert body["code"] == (next(iter(expected.values())) if len(expected) == 1 else "invalid")
