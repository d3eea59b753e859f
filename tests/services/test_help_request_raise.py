"""Raising a one-click help request: eligibility refusals store nothing; deadlines follow the business window."""

from datetime import timedelta

import pytest

from disputes.choices import ServiceKind
from disputes.errors import DomainError, Forbidden, NotFound, ValidationFailed
from disputes.models import HelpRequest, HelpState, OrderStatus, SupportedCity
from disputes.services.help_requests import NotEligible
from tests import factories as f
from tests.services.helpers import bj, raise_at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("moment", "solution_due"),
    [
        (bj(2026, 3, 2, 8, 59, 59), None),
        (bj(2026, 3, 2, 9, 0, 0), bj(2026, 3, 2, 10, 0, 0)),
        (bj(2026, 3, 2, 17, 59, 59), bj(2026, 3, 2, 18, 59, 59)),
        (bj(2026, 3, 2, 18, 0, 0), None),
        (bj(2026, 3, 7, 12, 0, 0), bj(2026, 3, 7, 13, 0, 0)),  # a Saturday: the window is every day
        (bj(2026, 3, 2, 23, 30, 0), None),
    ],
)
def test_deadlines_follow_the_business_window(item, buyer, moment, solution_due):
    request = raise_at(moment, buyer=buyer, item=item)
    assert request.state == HelpState.RAISED
    assert request.raised_at == moment
    assert request.solution_due_at == solution_due
    assert request.resolution_due_at == moment + timedelta(hours=48)
    assert request.dispatch_at == moment + timedelta(seconds=10)


def test_window_is_read_in_beijing_time_even_when_the_server_clock_is_utc(item, buyer):
    from datetime import UTC, datetime

    # 01:30 UTC is 09:30 in Beijing: inside the window.
    request = raise_at(datetime(2026, 3, 2, 1, 30, tzinfo=UTC), buyer=buyer, item=item)
    assert request.solution_due_at == bj(2026, 3, 2, 10, 30)


def test_raise_snapshots_price_and_designated_provider(item, buyer, merchant):
    designation = f.DesignationFactory(merchant=merchant, service_kind=ServiceKind.DELIVERY_AND_INSTALL)
    request = raise_at(bj(2026, 3, 2, 10), buyer=buyer, item=item)
    assert request.provider == designation.provider
    assert request.merchant == merchant
    assert request.item_price_fen == 300_000
    assert request.service_kind == ServiceKind.DELIVERY_AND_INSTALL


def _refused(exc_type, code, **kwargs):
    before = HelpRequest.objects.count()
    with pytest.raises(exc_type) as caught:
        raise_at(bj(2026, 3, 2, 10), **kwargs)
    assert caught.value.code == code
    assert HelpRequest.objects.count() == before


def test_item_without_service_commitment_is_refused(city, buyer, merchant):
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name)
    plain = f.OrderItemFactory(order=order, services=[ServiceKind.SEVEN_DAY_RETURN])
    _refused(NotEligible, "service_not_eligible", buyer=buyer, item=plain)


def test_unsupported_city_is_refused(buyer, merchant):
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city="拉萨")
    _refused(NotEligible, "city_not_supported", buyer=buyer, item=f.OrderItemFactory(order=order))


def test_inactive_city_is_refused(item, buyer, city):
    SupportedCity.objects.filter(pk=city.pk).update(is_active=False)
    _refused(NotEligible, "city_not_supported", buyer=buyer, item=item)


def test_another_buyers_item_is_not_found(item, other_buyer):
    _refused(NotFound, "order_item_not_found", buyer=other_buyer, item=item)


def test_closed_order_is_refused(item, buyer):
    item.order.status = OrderStatus.CLOSED
    item.order.save()
    _refused(NotEligible, "order_closed", buyer=buyer, item=item)


def test_several_services_need_a_choice(city, buyer, merchant):
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name)
    item = f.OrderItemFactory(order=order, services=[ServiceKind.HOME_DELIVERY, ServiceKind.ONSITE_INSTALL])
    _refused(ValidationFailed, "service_kind_required", buyer=buyer, item=item)
    _refused(NotEligible, "service_not_on_item", buyer=buyer, item=item, service_kind=ServiceKind.THREE_YEAR_WARRANTY)
    request = raise_at(bj(2026, 3, 2, 10), buyer=buyer, item=item, service_kind=ServiceKind.ONSITE_INSTALL)
    assert request.service_kind == ServiceKind.ONSITE_INSTALL


def test_second_live_request_on_same_item_and_service_is_refused(item, buyer):
    raise_at(bj(2026, 3, 2, 10), buyer=buyer, item=item)
    _refused(DomainError, "help_request_exists", buyer=buyer, item=item)


def test_bad_anomaly_and_empty_description_are_refused(item, buyer):
    from disputes.services.help_requests import help_request_raise

    with pytest.raises(ValidationFailed) as caught:
        help_request_raise(actor=buyer.user, order_item_id=item.pk, anomaly_kind="broken", description="x")
    assert caught.value.code == "invalid_anomaly_kind"
    with pytest.raises(ValidationFailed) as caught:
        help_request_raise(actor=buyer.user, order_item_id=item.pk, anomaly_kind="extra_fee", description="   ")
    assert caught.value.code == "description_required"
    assert HelpRequest.objects.count() == 0


def test_only_buyers_raise(item, merchant_user):
    from disputes.services.help_requests import help_request_raise

    with pytest.raises(Forbidden):
        help_request_raise(actor=merchant_user, order_item_id=item.pk, anomaly_kind="extra_fee", description="x")
    assert HelpRequest.objects.count() == 0


def test_raise_writes_history_and_schedules_dispatch_after_commit(item, buyer, django_capture_on_commit_callbacks):
    from django_fsm_log.models import StateLog

    with django_capture_on_commit_callbacks() as callbacks:
        request = raise_at(bj(2026, 3, 2, 10), buyer=buyer, item=item)
    # The dispatch after the cancel window, and one request to publish the events the raise wrote.
    assert sorted(c.args[0] for c in callbacks) == ["disputes.help_dispatch_one", "disputes.publish_events"]
    log = StateLog.objects.for_(request).get()
    assert (log.transition, log.state, log.by) == ("raise", HelpState.RAISED, buyer.user)
