"""Penalties: each amount of RULES.md section 6, exactly-once crediting, force majeure, catch-up, complaints."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import F

from disputes.choices import ServiceKind
from disputes.errors import DomainError, Forbidden, InvalidTransition, RuleRefused, ValidationFailed
from disputes.models import (
    BuyerPointsEntry,
    ClaimStatus,
    EntryKind,
    HelpRequest,
    HelpState,
    MerchantAccountEntry,
    Policy,
    Violation,
    ViolationStatus,
)
from disputes.services.force_majeure import help_force_majeure_claim, help_force_majeure_decide
from disputes.services.help_requests import help_request_give_solution, help_request_mark_resolved
from disputes.services.help_sweep import help_sweep
from disputes.services.ledger import ledger_balance
from disputes.services.violations import help_complaint_file, violation_decide
from tests import factories as f
from tests.services.helpers import bj, raised_and_dispatched, run_together

pytestmark = pytest.mark.django_db
T0 = bj(2026, 3, 2, 10, 0)
NIGHT = bj(2026, 3, 2, 20, 0)
SECOND = timedelta(seconds=1)
SOLUTION_DUE = T0 + timedelta(hours=1)  # the merchant's last second for a solution
SOLUTION_MISSED = SOLUTION_DUE + SECOND  # the first sweep that records the miss


def points(buyer):
    return ledger_balance(BuyerPointsEntry, buyer=buyer)


def account(merchant):
    return ledger_balance(MerchantAccountEntry, merchant=merchant)


def item_with(service, price_yuan, *, buyer, merchant, city):
    order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name)
    return f.OrderItemFactory(order=order, services=[service], amount_paid_fen=price_yuan * 100)


# --- 1-hour miss ------------------------------------------------------------------------------


def test_one_hour_miss_credits_5000_points_once_and_charges_the_merchant(item, buyer, merchant):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    for early in (SOLUTION_DUE - SECOND, SOLUTION_DUE):
        assert help_sweep(now=early).solution_misses == 0
    first = help_sweep(now=SOLUTION_MISSED)
    assert (first.solution_misses, first.credits) == (1, 1)
    for _ in range(3):  # retries and later runs change nothing
        assert help_sweep(now=T0 + timedelta(hours=2)).credits == 0
    assert points(buyer) == 5000
    assert account(merchant) == -5000
    entry = BuyerPointsEntry.objects.get()
    assert entry.kind == EntryKind.HELP_SOLUTION_PENALTY
    assert entry.source == request
    assert entry.occurred_at == T0 + timedelta(hours=1)
    violation = Violation.objects.get()
    assert violation.status == ViolationStatus.NOT_COUNTED  # paid, so not counted
    assert violation.score_points == 4
    assert violation.compensation_points == 5000
    request.refresh_from_db()
    assert request.solution_breached_at == T0 + timedelta(hours=1)
    assert request.state == HelpState.DISPATCHED


def test_no_one_hour_penalty_outside_the_window(item, buyer):
    raised_and_dispatched(NIGHT, buyer=buyer, item=item)
    result = help_sweep(now=NIGHT + timedelta(hours=12))
    assert (result.solution_misses, result.credits) == (0, 0)
    assert points(buyer) == 0


def test_a_late_solution_still_costs_the_penalty(item, buyer, merchant_user):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(hours=1, minutes=5), tick=False):
        help_request_give_solution(actor=merchant_user, request_id=request.pk, text="sorry, tomorrow")
    assert points(buyer) == 5000
    assert help_sweep(now=T0 + timedelta(hours=3)).credits == 0
    assert points(buyer) == 5000


def test_penalty_amount_comes_from_the_policy_table(item, buyer):
    Policy.objects.filter(key="help.solution_penalty").update(value=8000)
    raised_and_dispatched(T0, buyer=buyer, item=item)
    help_sweep(now=SOLUTION_MISSED)
    assert points(buyer) == 8000


# --- 48-hour miss, per service standard -------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "price_yuan", "solution_given", "expected"),
    [
        (ServiceKind.DELIVERY_AND_INSTALL, 3000, False, 30_000),  # not provided
        (ServiceKind.DELIVERY_AND_INSTALL, 3000, True, 5_000),  # late
        (ServiceKind.HOME_DELIVERY, 800, False, 30_000),
        (ServiceKind.HOME_DELIVERY, 800, True, 5_000),
        (ServiceKind.THREE_YEAR_WARRANTY, 1000, False, 15_000),  # 15 x 1000
        (ServiceKind.THREE_YEAR_WARRANTY, 6666, True, 99_990),  # just under the cap
        (ServiceKind.THREE_YEAR_WARRANTY, 10_000, False, 100_000),  # capped
        (ServiceKind.ONSITE_INSTALL, 100, False, 5_000),  # 10 % = 1,000 -> minimum 5,000
        (ServiceKind.ONSITE_INSTALL, 2000, False, 20_000),  # 10 % of 200,000 fen
        (ServiceKind.SCHEDULED_INSTALL, 10_000, True, 50_000),  # 100,000 -> capped at 50,000
        (ServiceKind.SCHEDULED_INSTALL, 500, True, 5_000),  # exactly the minimum
    ],
)
def test_48_hour_penalty_per_standard(
    buyer, merchant, city, merchant_user, service, price_yuan, solution_given, expected
):
    item = item_with(service, price_yuan, buyer=buyer, merchant=merchant, city=city)
    request = raised_and_dispatched(NIGHT, buyer=buyer, item=item)  # night: no 1-hour penalty in the way
    if solution_given:
        with time_machine.travel(NIGHT + timedelta(hours=3), tick=False):
            help_request_give_solution(actor=merchant_user, request_id=request.pk, text="coming")
    for early in (NIGHT + timedelta(hours=48) - SECOND, NIGHT + timedelta(hours=48)):
        assert help_sweep(now=early).resolution_misses == 0
    result = help_sweep(now=NIGHT + timedelta(hours=48) + SECOND)
    assert (result.resolution_misses, result.credits) == (1, 1)
    assert points(buyer) == expected
    assert account(merchant) == -expected
    violation = Violation.objects.get(help_request=request)
    assert violation.compensation_points == expected


def test_resolving_late_records_the_48_hour_miss(item, buyer, merchant_user):
    request = raised_and_dispatched(NIGHT, buyer=buyer, item=item)
    with time_machine.travel(NIGHT + timedelta(hours=49), tick=False):
        help_request_mark_resolved(actor=merchant_user, request_id=request.pk, note="done at last")
    assert points(buyer) == 30_000  # no solution before the deadline: "not provided"
    assert help_sweep(now=NIGHT + timedelta(hours=50)).credits == 0


def test_catch_up_after_the_scheduler_was_down(item, buyer, merchant):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    # Nothing ran for three days; one sweep records both misses, each dated at its deadline.
    result = help_sweep(now=T0 + timedelta(days=3))
    assert (result.solution_misses, result.resolution_misses, result.credits) == (1, 1, 2)
    dates = sorted(BuyerPointsEntry.objects.values_list("occurred_at", flat=True))
    assert dates == [T0 + timedelta(hours=1), T0 + timedelta(hours=48)]
    assert points(buyer) == 5000 + 30_000
    request.refresh_from_db()
    assert request.followup_queued_at == T0 + timedelta(days=3)


def test_catch_up_dispatches_requests_raised_while_down(item, buyer):
    from tests.services.helpers import raise_at

    raise_at(T0, buyer=buyer, item=item)
    result = help_sweep(now=T0 + timedelta(hours=2))
    assert (result.dispatched, result.solution_misses, result.credits) == (1, 1, 1)


# --- force majeure ------------------------------------------------------------------------------


def _claim(request, actor, at, deadline="solution"):
    with time_machine.travel(at, tick=False):
        return help_force_majeure_claim(
            actor=actor,
            request_id=request.pk,
            deadline=deadline,
            category="typhoon",
            note="Typhoon warning, roads shut",
        )


def test_pending_claim_holds_the_penalty_and_approval_voids_it(item, buyer, merchant, merchant_user, senior):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    claim = _claim(request, merchant_user, T0 + timedelta(minutes=30))
    result = help_sweep(now=SOLUTION_MISSED)
    assert (result.solution_misses, result.held, result.credits) == (1, 1, 0)
    assert points(buyer) == 0
    assert Violation.objects.get().status == ViolationStatus.HELD
    help_force_majeure_decide(actor=senior, claim_id=claim.pk, approve=True, reason="Typhoon confirmed")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED and claim.decided_by == senior
    assert Violation.objects.get().status == ViolationStatus.EXEMPTED
    assert points(buyer) == 0 and account(merchant) == 0


def test_rejected_claim_credits_the_penalty_dated_at_the_miss(item, buyer, merchant, merchant_user, senior):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    claim = _claim(request, merchant_user, T0 + timedelta(minutes=30))
    help_sweep(now=SOLUTION_MISSED)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        help_force_majeure_decide(actor=senior, claim_id=claim.pk, approve=False, reason="No typhoon that day")
    assert points(buyer) == 5000 and account(merchant) == -5000
    entry = BuyerPointsEntry.objects.get()
    assert entry.occurred_at == T0 + timedelta(hours=1)
    assert entry.created_by == senior
    assert Violation.objects.get().status == ViolationStatus.NOT_COUNTED
    assert help_sweep(now=T0 + timedelta(days=1, hours=1)).credits == 0
    with pytest.raises(InvalidTransition):
        help_force_majeure_decide(actor=senior, claim_id=claim.pk, approve=True, reason="changed my mind")
    assert points(buyer) == 5000


def test_claim_approved_before_the_deadline_exempts_the_miss(item, buyer, merchant_user, senior):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    claim = _claim(request, merchant_user, T0 + timedelta(minutes=10))
    help_force_majeure_decide(actor=senior, claim_id=claim.pk, approve=True, reason="Roads closed by police")
    result = help_sweep(now=SOLUTION_MISSED)
    assert (result.exempted, result.credits) == (1, 0)
    assert Violation.objects.get().status == ViolationStatus.EXEMPTED


def test_claim_rejected_before_the_deadline_lets_the_penalty_through(item, buyer, merchant_user, senior):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    claim = _claim(request, merchant_user, T0 + timedelta(minutes=10))
    help_force_majeure_decide(actor=senior, claim_id=claim.pk, approve=False, reason="not force majeure")
    assert help_sweep(now=SOLUTION_MISSED).credits == 1
    assert points(buyer) == 5000


def test_claim_refusals(item, buyer, merchant_user, other_merchant_user, agent):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with pytest.raises(RuleRefused) as caught:
        _claim(request, merchant_user, SOLUTION_MISSED)
    assert caught.value.code == "deadline_passed"
    from disputes.errors import NotFound

    with pytest.raises(NotFound):
        _claim(request, other_merchant_user, T0 + timedelta(minutes=5))
    with pytest.raises(ValidationFailed), time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        help_force_majeure_claim(
            actor=merchant_user, request_id=request.pk, deadline="solution", category="aliens", note="x"
        )
    claim = _claim(request, merchant_user, T0 + timedelta(minutes=5), deadline="resolution")
    with pytest.raises(DomainError) as caught:
        _claim(request, merchant_user, T0 + timedelta(minutes=6), deadline="resolution")
    assert caught.value.code == "claim_exists"
    with pytest.raises(Forbidden):
        help_force_majeure_decide(actor=agent, claim_id=claim.pk, approve=True, reason="agent may not")
    night = raised_and_dispatched(NIGHT, buyer=buyer, item=f.OrderItemFactory(order=item.order))
    with pytest.raises(InvalidTransition) as caught:
        _claim(night, merchant_user, NIGHT + timedelta(minutes=5))
    assert caught.value.code == "no_such_deadline"


# --- violations and complaints -------------------------------------------------------------------


def test_complaint_after_a_paid_penalty_is_refused_as_compensated(item, buyer):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    help_sweep(now=SOLUTION_MISSED)
    with pytest.raises(DomainError) as caught:
        help_complaint_file(actor=buyer.user, request_id=request.pk, text="they broke their promise")
    assert caught.value.code == "already_compensated"
    assert Violation.objects.count() == 1


def test_complaint_without_penalty_goes_to_staff(item, buyer, merchant_user, senior):
    request = raised_and_dispatched(NIGHT, buyer=buyer, item=item)
    violation = help_complaint_file(actor=buyer.user, request_id=request.pk, text="installer asked for 200 元 extra")
    assert violation.status == ViolationStatus.PENDING_REVIEW
    with pytest.raises(DomainError) as caught:
        help_complaint_file(actor=buyer.user, request_id=request.pk, text="again")
    assert caught.value.code == "complaint_exists"
    violation_decide(actor=senior, violation_id=violation.pk, count=True, reason="receipt shows the fee")
    violation.refresh_from_db()
    assert violation.status == ViolationStatus.COUNTED and violation.counts_against_merchant


# --- concurrency on PostgreSQL ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sweeps_credit_once():
    city = f.CityFactory(name="杭州")
    merchant = f.MerchantFactory()
    buyers = [f.BuyerFactory() for _ in range(3)]
    for buyer in buyers:
        for _ in range(20):
            order = f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name)
            raised_and_dispatched(T0, buyer=buyer, item=f.OrderItemFactory(order=order))
    results, errors = run_together(*[lambda: help_sweep(now=T0 + timedelta(days=3), batch_size=7)] * 4)
    assert errors == []
    assert sum(r.solution_misses for r in results) == 60
    assert sum(r.resolution_misses for r in results) == 60
    assert sum(r.credits for r in results) == 120
    assert BuyerPointsEntry.objects.count() == 120
    assert MerchantAccountEntry.objects.count() == 120
    assert Violation.objects.count() == 120
    for buyer in buyers:
        assert points(buyer) == 20 * (5000 + 30_000)
    assert account(merchant) == -60 * (5000 + 30_000)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_sweep_after_a_long_outage_records_both_misses_dated_at_their_deadlines():
    """Outside a transaction, PostgreSQL sweeps the two deadlines in two sessions at once. A request due for
    both may be held by one step while the other comes to it; the other waits, and the same sweep records both."""
    city = f.CityFactory(name="杭州")
    buyer = f.BuyerFactory()
    order = f.OrderFactory(buyer=buyer, city=city.name)
    request = raised_and_dispatched(T0, buyer=buyer, item=f.OrderItemFactory(order=order))
    first = help_sweep(now=T0 + timedelta(days=3))
    assert (first.solution_misses, first.resolution_misses, first.credits) == (1, 1, 2)
    dates = sorted(BuyerPointsEntry.objects.filter(buyer=buyer).values_list("occurred_at", flat=True))
    assert dates == [T0 + timedelta(hours=1), T0 + timedelta(hours=48)]
    assert help_sweep(now=T0 + timedelta(days=3, minutes=1)).credits == 0
    request.refresh_from_db()
    assert request.solution_breached_at and request.resolution_breached_at


def _waiting_for_a_lock(timeout_s: float = 10.0) -> bool:
    """Whether another session of this database is waiting for a row lock, polled until the timeout."""
    deadline = time.monotonic() + timeout_s
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_due_request_held_by_another_session_is_recorded_by_this_sweep_once_released():
    """The other deadline's step of a concurrent sweep (or a merchant's request in flight) holds the row when
    this sweep comes to it: the sweep must not pass it by and leave the miss to a later run."""
    city = f.CityFactory(name="杭州")
    buyer = f.BuyerFactory()
    order = f.OrderFactory(buyer=buyer, city=city.name)
    request = raised_and_dispatched(T0, buyer=buyer, item=f.OrderItemFactory(order=order))
    locked, release, outcome = threading.Event(), threading.Event(), []

    def holder() -> None:  # like a resolution step: lock the row, mark the other deadline, commit later
        try:
            with transaction.atomic():
                HelpRequest.objects.select_for_update().get(pk=request.pk)
                HelpRequest.objects.filter(pk=request.pk).update(resolution_breached_at=F("resolution_due_at"))
                locked.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    def sweeper() -> None:
        try:
            outcome.append(help_sweep(now=T0 + timedelta(hours=2)))
        finally:
            connection.close()

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    assert locked.wait(timeout=10)
    threads.append(threading.Thread(target=sweeper))
    threads[1].start()
    waited = _waiting_for_a_lock()
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert waited, "the sweep did not wait for the held row"
    assert [(r.solution_misses, r.credits) for r in outcome] == [(1, 1)]
    assert points(buyer) == 5000
    request.refresh_from_db()
    assert request.solution_breached_at == T0 + timedelta(hours=1)
