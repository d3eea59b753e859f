"""The help sweep's bulk dispatch and auto-confirm agree with the model's own transitions, taken one by one, on
every state: the same fields and the same history row, and a state the step is not declared from is left alone."""

from datetime import timedelta

import pytest
import time_machine
from django_fsm import can_proceed
from django_fsm_log.models import StateLog

from disputes.actors import system_actor
from disputes.models import HelpRequest, HelpState
from disputes.models.steps import sources_of
from disputes.services.help_requests import help_request_dispatch
from disputes.services.help_sweep import sweep_confirm, sweep_dispatch
from tests.admin.helpers import T0, new_item
from tests.api.helpers import raise_request

pytestmark = pytest.mark.django_db

NOW = T0 + timedelta(days=1)
DUE = NOW - timedelta(hours=1)
OWN = {"id", "order_item_id"}


def forced(buyer, merchant, state):
    """A request forced into `state` with its cancel window and its auto-confirm both over."""
    with time_machine.travel(T0, tick=False):
        request = raise_request(buyer, new_item(buyer=buyer, merchant=merchant))
    HelpRequest.objects.filter(pk=request.pk).update(state=state, dispatch_at=DUE, confirm_due_at=DUE)
    return HelpRequest.objects.get(pk=request.pk)


def outcome(pk, step):
    request = HelpRequest.objects.get(pk=pk)
    fields = {f.attname: getattr(request, f.attname) for f in HelpRequest._meta.concrete_fields if f.attname not in OWN}
    history = [
        (row.transition, row.source_state, row.state, row.description, row.timestamp, row.by_id)
        for row in StateLog.objects.for_(request).filter(transition=step)
    ]
    return fields, history


def confirm_one(request, actor):
    """HelpRequest.confirm taken by the scheduler, dated at the auto-confirm deadline (the bulk step's twin)."""
    fresh = HelpRequest.objects.get(pk=request.pk)
    if can_proceed(fresh.confirm):
        fresh.confirm(at=fresh.confirm_due_at, by=actor, description="Confirmed automatically: no objection in time")
        fresh.save()


@pytest.mark.parametrize("state", HelpState.values)
def test_bulk_dispatch_and_confirm_agree_with_the_transitions(buyer, merchant, city, state):
    actor = system_actor()
    for step, bulk, one in (
        ("dispatch", sweep_dispatch, lambda r: help_request_dispatch(request_id=r.pk, actor=actor, now=NOW)),
        ("confirm", sweep_confirm, lambda r: confirm_one(r, actor)),
    ):
        swept = forced(buyer, merchant, state)
        with time_machine.travel(NOW, tick=False):
            bulk(now=NOW, actor=actor)
        single = forced(buyer, merchant, state)
        with time_machine.travel(NOW, tick=False):
            one(single)
        assert outcome(swept.pk, step) == outcome(single.pk, step), (step, state)
        moved = HelpRequest.objects.get(pk=swept.pk).state != state
        assert moved == (state in sources_of(HelpRequest, step)), (step, state)
