"""The refund sweep's set-based path and the declared timeout steps taken one by one agree on every state.

For every automatic action, every request state and every instant-refund state, two identical refunds are due: one
is swept in bulk (refund_sweep), the other goes through RefundRequest's declared step for that action with what
follows from it (refund_apply_timeout). Both end with the same fields, the same ledger entries and the same
history row; a step that does not fit the state leaves both untouched. And every deadline the services schedule
names a timeout step declared from the state it is scheduled in.
"""

import itertools
from datetime import timedelta

import pytest
import time_machine
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes.actors import system_actor
from disputes.models import (
    AdvanceState,
    BuyerPointsEntry,
    DueAction,
    MerchantAccountEntry,
    PlatformAdvanceEntry,
    RefundRequest,
    RefundState,
    RefundType,
)
from disputes.models.steps import sources_of, steps_by
from disputes.services.refunds.common import next_deadline
from disputes.services.refunds.sweep import TIMEOUTS, refund_apply_timeout, refund_sweep
from tests.services.refund_helpers import T0, apply_at, signed_item

pytestmark = pytest.mark.django_db

NOW = T0 + timedelta(days=3)
DUE = NOW - timedelta(hours=5)
ACTIONS = [a for a in DueAction.values if a]
ADVANCES = [AdvanceState.NONE, AdvanceState.APPLIED, AdvanceState.ADVANCED, AdvanceState.MERCHANT_REFUSED_GOODS]
# Fields that differ between two refunds by construction, not by what a step did.
OWN = {"id", "order_item_id"}


def due_refund(buyer, merchant, *, state, action, advance, damage=False):
    """A return-and-refund forced into `state` with `action` due at DUE (every combination, not a workflow)."""
    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="return_refund", amount_fen=40_000)
    RefundRequest.objects.filter(pk=refund.pk).update(
        state=state,
        advance_state=advance,
        due_at=DUE,
        due_action=action,
        damage_guarantee=damage,
        agreed_at=T0 + timedelta(hours=1),
        return_shipped_at=T0 + timedelta(hours=2),
        refused_at=T0 + timedelta(hours=3),
    )
    return refund.pk


def outcome(pk):
    """Everything a step may leave on a refund: its columns, its ledger entries, its step's history row."""
    refund = RefundRequest.objects.get(pk=pk)
    fields = {
        f.attname: getattr(refund, f.attname) for f in RefundRequest._meta.concrete_fields if f.attname not in OWN
    }
    entries = sorted(
        (model.__name__, e.kind, e.amount, e.occurred_at, e.idempotency_key.replace(f":{pk}:", ":#:"))
        for model in (MerchantAccountEntry, PlatformAdvanceEntry, BuyerPointsEntry)
        for e in model.objects.filter(idempotency_key__startswith=f"refund:{pk}:")
    )
    steps = [t.step for t in TIMEOUTS.values()]
    history = sorted(
        (row.transition, row.source_state, row.state, row.description, row.timestamp, row.by_id)
        for row in StateLog.objects.for_(refund).filter(transition__in=steps)
    )
    return fields, entries, history


@pytest.mark.parametrize("action", ACTIONS)
def test_bulk_and_one_by_one_agree_on_every_state(buyer, merchant, action):
    policies = policy_table.load("refund.")
    actor = system_actor()
    for state, advance in itertools.product(RefundState.values, ADVANCES):
        bulk = due_refund(buyer, merchant, state=state, action=action, advance=advance, damage=True)
        with time_machine.travel(NOW, tick=False):
            refund_sweep(now=NOW)
        single = due_refund(buyer, merchant, state=state, action=action, advance=advance, damage=True)
        with time_machine.travel(NOW, tick=False):
            refund_apply_timeout(refund_id=single, now=NOW, actor=actor, policies=policies)
        assert outcome(bulk) == outcome(single), (action, state, advance)
        moved = RefundRequest.objects.get(pk=bulk).state != state
        assert moved == (state in sources_of(RefundRequest, TIMEOUTS[action].step)), (action, state)


def test_every_action_is_declared_by_exactly_one_timeout_step():
    assert set(steps_by(RefundRequest, "due_action")) == set(ACTIONS)
    assert set(TIMEOUTS) == set(ACTIONS)


@pytest.mark.parametrize("refund_type", RefundType.values)
def test_every_scheduled_deadline_names_a_step_declared_from_its_state(buyer, merchant, refund_type):
    policies = policy_table.load("refund.")
    item = signed_item(buyer, merchant)
    refund = apply_at(T0, buyer=buyer, item=item, refund_type="return_refund", amount_fen=40_000)
    scheduled = 0
    for state, damage, signed in itertools.product(RefundState.values, [False, True], [False, True]):
        RefundRequest.objects.filter(pk=refund.pk).update(
            state=state,
            refund_type=refund_type,
            damage_guarantee=damage,
            agreed_at=T0,
            return_shipped_at=T0,
            return_signed_at=T0 if signed else None,
            refused_at=T0,
            intervention_requested_at=None,
        )
        due_at, action = next_deadline(RefundRequest.objects.get(pk=refund.pk), policies)
        if due_at is None:
            assert action == DueAction.NONE
            continue
        assert state in sources_of(RefundRequest, TIMEOUTS[action].step), (state, action)
        scheduled += 1
    assert scheduled > 0
