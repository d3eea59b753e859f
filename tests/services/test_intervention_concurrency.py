"""Intervention races on real PostgreSQL: two openings on one item, both parties accepting at once, two judges,
and concurrent sweeps each leave exactly one case, one agreement, one judgment, one transition."""

from datetime import timedelta

import pytest
from django_fsm_log.models import StateLog

from disputes.errors import DomainError
from disputes.models import CaseState, Intervention, Judgment, MerchantAccountEntry
from disputes.services.interventions.mediation import intervention_propose, intervention_respond
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.sweep import intervention_sweep
from tests.services.helpers import bj, run_together
from tests.services.refund_helpers import signed_item
from tests.services.test_intervention_helpers import (
    accepted_case,
    at,
    in_mediation,
    judged,
    other_senior,
    refused_refund,
)

# serialized_rollback: the flush after a transactional test would otherwise take the seeded policies,
# roles and scheduler user with it.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ACCEPTED = bj(2026, 3, 2, 10, 0)


def frozen(moment, service, **kwargs):
    def job():
        with at(moment):
            return service(**kwargs)

    return job


def test_two_openings_on_one_item_make_one_case(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user, start=ACCEPTED - timedelta(days=1))
    moment = ACCEPTED
    common = {"actor": buyer.user, "ground": "quality", "claim": "Broken."}
    results, errors = run_together(
        frozen(moment, intervention_open, order_item_id=refund.order_item_id, **common),
        frozen(moment, intervention_open, order_item_id=refund.order_item_id, **common),
        frozen(moment, intervention_open, refund_id=refund.pk, **common),
    )
    assert len(results) == 1
    assert sorted(e.code for e in errors if isinstance(e, DomainError)) == ["intervention_exists"] * 2
    assert Intervention.objects.count() == 1


def test_openings_on_an_item_without_a_refund_make_one_case(buyer, merchant):
    item = signed_item(buyer, merchant)
    common = {"actor": buyer.user, "ground": "logistics_lost", "claim": "Lost.", "order_item_id": item.pk}
    results, errors = run_together(*[frozen(ACCEPTED, intervention_open, **common)] * 3)
    assert len(results) == 1 and len(errors) == 2
    assert {e.code for e in errors} == {"intervention_exists"}
    assert Intervention.objects.count() == 1


def test_both_parties_accepting_at_once_execute_one_agreement(buyer, merchant, merchant_user, agent):
    case = in_mediation(
        accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED),
        agent,
        moment=ACCEPTED + timedelta(days=3),
    )
    with at(ACCEPTED + timedelta(days=3, hours=1)):
        proposal = intervention_propose(
            actor=agent, case_id=case.pk, outcome="partial_refund", refund_fen=25_000, terms="250 元 back."
        )
    moment = ACCEPTED + timedelta(days=3, hours=2)
    results, errors = run_together(
        frozen(moment, intervention_respond, actor=buyer.user, proposal_id=proposal.pk, accept=True),
        frozen(moment, intervention_respond, actor=merchant_user, proposal_id=proposal.pk, accept=True),
    )
    assert errors == [] and len(results) == 2
    case.refresh_from_db()
    assert case.state == CaseState.AGREED
    assert Judgment.objects.filter(intervention=case).count() == 1
    assert list(MerchantAccountEntry.objects.values_list("amount", flat=True)) == [-25_000]


def test_two_judges_at_once_give_one_judgment(buyer, merchant, merchant_user, agent, senior):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)
    moment = ACCEPTED + timedelta(days=1)
    results, errors = run_together(
        lambda: judged(case, agent, moment=moment, outcome="full_refund"),
        lambda: judged(case, senior, moment=moment, outcome="full_refund"),
    )
    assert len(results) == 1 and len(errors) == 1
    assert Judgment.objects.count() == 1
    assert MerchantAccountEntry.objects.count() == 1


def test_concurrent_sweeps_move_each_case_once(buyer, merchant, merchant_user, agent):
    cases = [accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED) for _ in range(5)]
    for case in cases[:2]:
        judged(case, agent, moment=ACCEPTED + timedelta(hours=1), outcome="support_merchant")
    now = ACCEPTED + timedelta(days=8)
    results, errors = run_together(*[frozen(now, intervention_sweep)] * 3)
    assert errors == []
    assert sum(r.to_mediation for r in results) == 3
    assert sum(r.finalized for r in results) == 2
    assert StateLog.objects.filter(transition="start_mediation").count() == 3
    assert StateLog.objects.filter(transition="finalize").count() == 2
    assert other_senior() is not None  # the groups survived the transactional flush
