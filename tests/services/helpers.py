"""Helpers for service tests: raise a request at a given Beijing time and move it along."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from disputes.actors import system_actor
from disputes.services.help_requests import help_request_dispatch, help_request_raise

BJ = ZoneInfo("Asia/Shanghai")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BJ)


def raise_at(moment: datetime, *, buyer, item, service_kind=None, anomaly="not_performed"):
    with time_machine.travel(moment, tick=False):
        return help_request_raise(
            actor=buyer.user,
            order_item_id=item.pk,
            anomaly_kind=anomaly,
            description="The installer did not come.",
            service_kind=service_kind,
        )


def raised_and_dispatched(moment: datetime, *, buyer, item, service_kind=None):
    request = raise_at(moment, buyer=buyer, item=item, service_kind=service_kind)
    with time_machine.travel(request.dispatch_at, tick=False):
        assert help_request_dispatch(request_id=request.pk, actor=system_actor())
    request.refresh_from_db()
    return request
