"""End to end through the real broker: a service's after-commit task crosses Redis to a worker and acts."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from backoffice.celery import app as celery_app
from disputes.models import HelpRequest, HelpState, Policy
from disputes.services.help_requests import help_request_raise
from tests import factories as f


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dispatch_task_travels_through_redis_to_a_worker():
    Policy.objects.filter(key="help.cancel_window").update(value=0)
    city = f.CityFactory(name="杭州")
    buyer = f.BuyerFactory()
    order = f.OrderFactory(buyer=buyer, city=city.name)
    item = f.OrderItemFactory(order=order)
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        request = help_request_raise(
            actor=buyer.user, order_item_id=item.pk, anomaly_kind="not_performed", description="nobody came"
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            request.refresh_from_db()
            if request.state == HelpState.DISPATCHED:
                break
            time.sleep(0.2)
    assert HelpRequest.objects.get(pk=request.pk).state == HelpState.DISPATCHED
