"""Helpers for admin tests: reach help-request states through the services, read admin messages."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from disputes.actors import system_actor
from disputes.services.help_requests import (
    help_request_dispatch,
    help_request_mark_resolved,
    help_request_object,
    help_request_raise,
)
from tests import factories as f

BJ = ZoneInfo("Asia/Shanghai")
# A Monday inside the 09:00-18:00 window: requests raised now get a 1-hour deadline at 11:00.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=BJ)


def new_item(*, buyer, merchant, city="杭州"):
    """Another eligible order item (送货入户并安装) for the same buyer and merchant, in a supported city."""
    f.CityFactory(name=city)
    return f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant, city=city))


def dispatched(*, buyer, item, at: datetime = T0):
    """A request raised at `at` and dispatched when its cancel window has ended (one second after its last second,
    as the dispatch task does)."""
    with time_machine.travel(at, tick=False):
        request = help_request_raise(
            actor=buyer.user, order_item_id=item.pk, anomaly_kind="not_performed", description="Nobody came."
        )
    with time_machine.travel(request.dispatch_at + timedelta(seconds=1), tick=False):
        assert help_request_dispatch(request_id=request.pk, actor=system_actor())
    request.refresh_from_db()
    return request


def under_review(*, buyer, item, merchant_user, at: datetime = T0):
    """A request the merchant marked resolved and the buyer objected to."""
    request = dispatched(buyer=buyer, item=item, at=at)
    with time_machine.travel(at + timedelta(minutes=20), tick=False):
        help_request_mark_resolved(actor=merchant_user, request_id=request.pk, note="Installed this morning.")
    with time_machine.travel(at + timedelta(minutes=30), tick=False):
        help_request_object(actor=buyer.user, request_id=request.pk, text="It is still not installed.")
    request.refresh_from_db()
    return request


def png_upload(name: str = "storm.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of the messages the request queued."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def action_url(model_name: str, pk: int, action: str) -> str:
    return f"/admin/disputes/{model_name}/{pk}/actions/{action}/"


def management_data(page) -> dict[str, str]:
    """The inline management-form fields a browser would post back with a change form."""
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            data[form.add_prefix(name)] = "" if value is None else str(value)
    return data
