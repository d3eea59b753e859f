"""Helpers for refund tests: orders at a known stage and requests reached through the services."""

import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm_log.models import StateLog
from PIL import Image

from disputes.actors import SYSTEM_USERNAME
from disputes.choices import ServiceKind
from disputes.errors import DomainError
from disputes.models import (
    BuyerPointsEntry,
    MerchantAccountEntry,
    OrderStatus,
    PlatformAdvanceEntry,
    RefundEvidence,
    RefundRequest,
)
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.buyer import refund_apply
from tests import factories as f
from tests.services.helpers import bj

T0 = bj(2026, 4, 1, 10, 0)
# What the merchant factory's default return address reads as (contact, phone, address).
DEFAULT_RETURN_ADDRESS = "王售后 021-5555-0000 上海市浦东新区张江路 1 号 退货仓"


@pytest.fixture
def refund_env(settings, tmp_path):
    """Evidence files go to a temporary folder; users hash passwords cheaply."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


def signed_item(
    buyer,
    merchant,
    *,
    signed_at: datetime = T0 - timedelta(days=1),
    services=(),
    price_fen=100_000,
    product=None,
    status=OrderStatus.SIGNED,
    succeeded_at=None,
):
    order = f.OrderFactory(
        buyer=buyer,
        merchant=merchant,
        status=status,
        paid_at=signed_at - timedelta(days=3),
        shipped_at=signed_at - timedelta(days=2),
        signed_at=signed_at,
        succeeded_at=succeeded_at,
    )
    kwargs = {"product": product} if product is not None else {}
    return f.OrderItemFactory(order=order, amount_paid_fen=price_fen, services=list(services), **kwargs)


def unshipped_item(buyer, merchant, *, price_fen=100_000):
    order = f.OrderFactory(
        buyer=buyer,
        merchant=merchant,
        status=OrderStatus.PAID,
        paid_at=T0 - timedelta(hours=2),
        shipped_at=None,
        signed_at=None,
    )
    return f.OrderItemFactory(order=order, amount_paid_fen=price_fen, services=[])


def in_transit_item(buyer, merchant, *, price_fen=100_000):
    """Shipped to the buyer but not yet signed for."""
    order = f.OrderFactory(
        buyer=buyer,
        merchant=merchant,
        status=OrderStatus.SHIPPED,
        paid_at=T0 - timedelta(days=2),
        shipped_at=T0 - timedelta(days=1),
        signed_at=None,
    )
    return f.OrderItemFactory(order=order, amount_paid_fen=price_fen, services=[])


def apply_at(moment, *, buyer, item, refund_type="return_refund", reason="quality", amount_fen=50_000, **kwargs):
    with time_machine.travel(moment, tick=False):
        return refund_apply(
            actor=buyer.user,
            order_item_id=item.pk,
            refund_type=refund_type,
            reason=reason,
            amount_fen=amount_fen,
            description="It arrived broken",
            **kwargs,
        )


def refused_apply(code: str, moment, *, buyer, item, error: type[DomainError] = DomainError, **kwargs) -> DomainError:
    """Apply, expect the refusal `code`, and check that nothing was stored (request, audit row, evidence)."""
    before = (RefundRequest.objects.count(), StateLog.objects.count(), RefundEvidence.objects.count())
    with pytest.raises(error) as caught:
        apply_at(moment, buyer=buyer, item=item, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert (RefundRequest.objects.count(), StateLog.objects.count(), RefundEvidence.objects.count()) == before
    return caught.value


def call_at(moment, service, **kwargs):
    """Call a service with the clock frozen at `moment`."""
    with time_machine.travel(moment, tick=False):
        return service(**kwargs)


def photo(name: str = "broken.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def points(buyer) -> int:
    return ledger_balance(BuyerPointsEntry, buyer=buyer)


def account(merchant) -> int:
    return ledger_balance(MerchantAccountEntry, merchant=merchant)


def advances(buyer) -> int:
    return ledger_balance(PlatformAdvanceEntry, buyer=buyer)


def logs(refund, transition: str | None = None) -> list[StateLog]:
    """The refund's audit rows, oldest first, optionally only one transition's."""
    rows = StateLog.objects.for_(refund).select_related("by").order_by("timestamp", "pk")
    if transition is not None:
        rows = rows.filter(transition=transition)
    return list(rows)


def system_log(refund, transition: str) -> StateLog:
    """The one audit row the scheduler wrote for `transition`; fails if it is missing, doubled or not by the system."""
    rows = logs(refund, transition)
    assert len(rows) == 1, [r.transition for r in logs(refund)]
    assert rows[0].by.username == SYSTEM_USERNAME
    return rows[0]


COVER = (ServiceKind.SEVEN_DAY_RETURN, ServiceKind.RETURN_SHIPPING_COVER)
DAMAGE = (ServiceKind.DAMAGE_GUARANTEE,)
