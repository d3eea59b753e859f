"""The event log: an event is written with its change and only then, sweeps and the ledger write theirs exactly
once (both the portable path and PostgreSQL's set-based one: CI runs this file on both), the publisher's order."""

from datetime import UTC, timedelta

import pytest
import time_machine
from django.db import transaction

from disputes.actors import system_actor
from disputes.errors import DomainError
from disputes.events.due_soon import due_soon_sweep
from disputes.events.publish import publish
from disputes.models import Event, HelpRequest
from disputes.services.force_majeure import help_force_majeure_claim, help_force_majeure_decide
from disputes.services.help_requests import help_request_dispatch, help_request_give_solution
from disputes.services.help_sweep import help_sweep
from tests.services.helpers import bj, raise_at, raised_and_dispatched

pytestmark = pytest.mark.django_db
T0 = bj(2026, 3, 2, 10, 0)
SECOND = timedelta(seconds=1)


def as_json(value):
    """A time as the event payload carries it: ISO 8601 in UTC, as PostgreSQL writes a timestamp into JSON."""
    return value.astimezone(UTC).isoformat()


def events_of(request, *types):
    found = Event.objects.filter(case_type="help_request", case_id=request.pk).order_by("id")
    return list(found.filter(type__in=types) if types else found)


def test_a_dispatch_writes_its_event_with_the_parties_and_the_new_clocks(item, buyer, merchant):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    assert [e.type for e in events_of(request)] == ["help_request.raised", "help_request.dispatched"]
    event = events_of(request, "help_request.dispatched")[0]
    assert (event.merchant_id, event.buyer_id) == (merchant.pk, buyer.pk)
    assert event.payload["transition"] == "dispatch"
    assert (event.payload["from"], event.payload["to"], event.payload["by"]) == ("raised", "dispatched", "system")
    assert event.payload["deadlines"]["solution_due_at"] == as_json(T0 + timedelta(hours=1))
    assert event.payload["deadlines"]["resolution_due_at"] == as_json(request.resolution_due_at)
    assert event.occurred_at == request.dispatched_at


def test_a_change_that_rolls_back_leaves_no_event(item, buyer):
    request = raise_at(T0, buyer=buyer, item=item)
    with pytest.raises(RuntimeError), transaction.atomic():
        help_request_dispatch(request_id=request.pk, actor=system_actor(), now=request.dispatch_at + SECOND)
        assert events_of(request, "help_request.dispatched")  # written inside the transaction...
        raise RuntimeError("the caller's transaction fails after the step")
    assert events_of(request, "help_request.dispatched") == []  # ...and gone with it
    request.refresh_from_db()
    assert request.state == "raised"


def test_a_refused_step_writes_no_event(item, buyer, merchant_user):
    request = raise_at(T0, buyer=buyer, item=item)  # not dispatched: no solution can be given yet
    before = Event.objects.count()
    with pytest.raises(DomainError):  # not dispatched: the merchant is not even told the request exists
        help_request_give_solution(actor=merchant_user, request_id=request.pk, text="we will come")
    assert Event.objects.count() == before


def test_the_sweeps_bulk_dispatch_writes_one_event_per_request(item, buyer, merchant):
    requests = [raise_at(T0, buyer=buyer, item=item)]
    help_sweep(now=requests[0].dispatch_at + SECOND)
    help_sweep(now=requests[0].dispatch_at + 2 * SECOND)  # a rerun moves nothing and writes nothing
    dispatched = events_of(requests[0], "help_request.dispatched")
    assert len(dispatched) == 1
    request = HelpRequest.objects.get(pk=requests[0].pk)
    payload = dispatched[0].payload
    assert (payload["transition"], payload["from"], payload["to"], payload["by"]) == (
        "dispatch",
        "raised",
        "dispatched",
        "system",
    )
    assert payload["deadlines"]["solution_due_at"] == as_json(request.solution_due_at)
    assert payload["deadlines"]["dispatch_at"] == as_json(request.dispatch_at)
    assert (dispatched[0].merchant_id, dispatched[0].buyer_id) == (merchant.pk, buyer.pk)


def test_a_missed_deadline_writes_breach_penalty_and_both_postings_exactly_once(item, buyer, merchant):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    due = T0 + timedelta(hours=1)
    for _ in range(3):  # the first sweep records the miss; reruns record nothing, so write no events
        help_sweep(now=due + SECOND)
    breach = events_of(request, "help_request.solution_breached")
    assert len(breach) == 1
    assert breach[0].payload == {
        "deadline": "solution",
        "due_at": as_json(due),
        "penalty": {"status": "credited", "points": 5000, "basis": breach[0].payload["penalty"]["basis"]},
    }
    assert breach[0].occurred_at == due
    credited = events_of(request, "penalty.credited")
    assert [(e.merchant_id, e.buyer_id, e.payload["points"]) for e in credited] == [(merchant.pk, buyer.pk, 5000)]
    postings = {e.payload["ledger"]: e for e in events_of(request, "ledger.entry_posted")}
    assert set(postings) == {"buyer_points", "merchant_account"}
    buyer_side, merchant_side = postings["buyer_points"], postings["merchant_account"]
    # Each posting goes to its account's holder only: the merchant never reads the buyer's points, nor the reverse.
    assert (buyer_side.buyer_id, buyer_side.merchant_id, buyer_side.payload["amount"]) == (buyer.pk, None, 5000)
    assert (merchant_side.merchant_id, merchant_side.buyer_id, merchant_side.payload["amount"]) == (
        merchant.pk,
        None,
        -5000,
    )
    assert buyer_side.payload["kind"] == "help_solution_penalty"
    assert buyer_side.occurred_at == due


@pytest.mark.parametrize("approve", [True, False])
def test_a_held_penalty_is_announced_held_then_voided_or_credited(
    item, buyer, merchant, merchant_user, senior, approve
):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        claim = help_force_majeure_claim(
            actor=merchant_user, request_id=request.pk, deadline="solution", category="typhoon", note="Roads shut"
        )
    help_sweep(now=T0 + timedelta(hours=1) + SECOND)
    (held,) = events_of(request, "penalty.held")
    assert (held.payload["points"], held.merchant_id, held.buyer_id) == (5000, merchant.pk, buyer.pk)
    assert events_of(request, "penalty.credited") == []
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        help_force_majeure_decide(actor=senior, claim_id=claim.pk, approve=approve, reason="checked")
    decided = events_of(request, "help_request.force_majeure_decided")
    assert [e.payload["to"] for e in decided] == ["approved" if approve else "rejected"]
    assert len(events_of(request, "penalty.voided")) == (1 if approve else 0)
    assert len(events_of(request, "penalty.credited")) == (0 if approve else 1)
    assert len(events_of(request, "ledger.entry_posted")) == (0 if approve else 2)


def test_the_publisher_orders_committed_events_and_readers_see_only_published_ones(item, buyer):
    raised_and_dispatched(T0, buyer=buyer, item=item)
    assert Event.objects.filter(sequence__isnull=False).count() == 0
    first = publish()
    assert first == Event.objects.count() > 0
    ids_in_sequence = list(Event.objects.order_by("sequence").values_list("id", flat=True))
    assert ids_in_sequence == sorted(ids_in_sequence)
    assert list(Event.objects.order_by("sequence").values_list("sequence", flat=True)) == list(range(1, first + 1))
    assert publish() == 0  # nothing new: nothing renumbered
    help_sweep(now=T0 + timedelta(hours=1) + SECOND)
    more = publish()
    assert more > 0
    assert Event.objects.filter(sequence__gt=first).count() == more


def test_due_soon_is_written_once_per_deadline_at_the_lead_time(item, buyer, merchant):
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    due = T0 + timedelta(hours=1)
    assert due_soon_sweep(now=due - timedelta(minutes=15) - SECOND) == 0
    assert due_soon_sweep(now=due - timedelta(minutes=15)) == 1
    assert due_soon_sweep(now=due - timedelta(minutes=5)) == 0  # once per deadline, whatever the reruns
    (event,) = events_of(request, "help_request.solution_due_soon")
    assert event.payload == {"deadline": "solution", "due_at": as_json(due)}
    assert (event.merchant_id, event.buyer_id) == (merchant.pk, buyer.pk)
    assert due_soon_sweep(now=due + SECOND) == 0  # past due is not "soon": the breach event says it
