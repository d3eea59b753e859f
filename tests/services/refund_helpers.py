"""Helpers for refund tests: orders at a known stage and requests reached through the services."""

from datetime import datetime, timedelta

import time_machine

from disputes.choices import ServiceKind
from disputes.models import OrderStatus
from disputes.services.refunds import refund_apply
from tests import factories as f
from tests.services.helpers import bj

T0 = bj(2026, 4, 1, 10, 0)


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


COVER = (ServiceKind.SEVEN_DAY_RETURN, ServiceKind.RETURN_SHIPPING_COVER)
DAMAGE = (ServiceKind.DAMAGE_GUARANTEE,)
