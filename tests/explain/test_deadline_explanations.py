"""Every deadline kind is explained and reproducible: set through the real service at a frozen clock, then recomputed
from its recorded inputs (start, and the policy values of the recorded versions, read back after a later policy edit)
to the same due time, which the test writes by hand from RULES.md."""

from datetime import datetime, timedelta

import pytest
import time_machine

from disputes.actors import system_actor
from disputes.choices import ServiceKind
from disputes.explain.deadlines import RULES
from disputes.models import HelpRequest, Intervention, Policy, PolicyChange, RefundRequest, SuspendReason
from disputes.policies import at_versions
from disputes.selectors.explanations import deadline_explanations
from disputes.services.help_requests import help_request_mark_resolved
from disputes.services.interventions.workflow import (
    intervention_record_proof,
    intervention_resume,
    intervention_suspend,
)
from disputes.services.policies import policy_update
from disputes.services.refunds.advances import refund_return_signed
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.merchant import refund_agree
from disputes.services.refunds.sweep import refund_sweep
from tests import factories as f
from tests.services.helpers import bj, raise_at, raised_and_dispatched
from tests.services.refund_helpers import (
    apply_at,
    call_at,
    refund_env,  # noqa: F401  (fixture)
    signed_item,
    unshipped_item,
)
from tests.services.test_intervention_helpers import (
    accepted_case,
    at,
    goods_refused_refund,
    judged,
    refused_refund,
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]

Case = HelpRequest | RefundRequest | Intervention


@pytest.fixture
def superuser(db):
    return f.StaffFactory(username="root", is_superuser=True)


def edit_policies(keys, actor) -> None:
    """A later edit of every policy the deadline used: each gets a new value and its version goes up."""
    for key in keys:
        policy = Policy.objects.get(key=key)
        before = policy.version
        new = policy.value + 1  # 900 -> 901 is still a time of day
        policy_update(actor=actor, policy_id=policy.pk, value=new, reason="Later edit")
        policy.refresh_from_db()
        assert policy.version == before + 1
        assert PolicyChange.objects.filter(policy=policy).latest("id").version == policy.version


def reproduce(case: Case, field: str, expected: datetime, *, rule: str, actor) -> dict:
    """The stored deadline is the hand-written `expected`; recomputing it from the recorded inputs (after a policy
    edit that bumped every version it used) gives it again; the explanation says so. Returns the explanation."""
    case.refresh_from_db()
    assert getattr(case, field) == expected
    basis = case.deadline_basis[field]
    assert basis["rule"] == rule
    versions = basis["policies"]
    assert versions and set(versions) == set(RULES[rule].used_keys(basis["from"]))
    edit_policies(versions, actor)
    recorded = at_versions(versions)
    assert recorded.versions == versions  # the old versions, not the new current ones
    starts = [datetime.fromisoformat(s) for s in basis["from"]]
    paused = timedelta(microseconds=basis.get("paused_us", 0))
    assert RULES[rule].due(starts, recorded) + paused == expected
    [explanation] = [e for e in deadline_explanations(case) if e["field"] == field]
    assert explanation["deadline"] == rule and explanation["reproduced"] is True
    assert datetime.fromisoformat(explanation["recomputed_due_at"]) == expected
    assert {p["key"]: p["version"] for p in explanation["policies"]} == versions
    assert explanation["steps"]
    return explanation


# --- one-click help ---------------------------------------------------------------------------------


def test_help_dispatch_solution_and_resolution_deadlines(item, buyer, superuser):
    request = raise_at(bj(2026, 3, 5, 10, 0), buyer=buyer, item=item)
    reproduce(request, "dispatch_at", bj(2026, 3, 5, 10, 0, 10), rule="help.dispatch", actor=superuser)
    reproduce(request, "solution_due_at", bj(2026, 3, 5, 11, 0), rule="help.solution_due", actor=superuser)
    reproduce(request, "resolution_due_at", bj(2026, 3, 7, 10, 0), rule="help.resolution_due", actor=superuser)


def test_raised_at_175959_is_inside_the_window(item, buyer, superuser):
    request = raise_at(bj(2026, 3, 5, 17, 59, 59), buyer=buyer, item=item)
    explanation = reproduce(
        request, "solution_due_at", bj(2026, 3, 5, 18, 59, 59), rule="help.solution_due", actor=superuser
    )
    assert explanation["started_at_local"] == "2026-03-05T17:59:59+08:00"
    assert explanation["window"] == {"opens": "09:00", "closes": "18:00", "inside": True}
    assert explanation["rule"] == "business_window"
    assert explanation["steps"][0] == "Raised at 2026-03-05 17:59:59 Beijing time, inside the 09:00–18:00 window."
    assert {p["key"]: p["value"] for p in explanation["policies"]} == {
        "help.solution_sla": 60,
        "help.window_start": 900,
        "help.window_end": 1800,
    }


def test_raised_at_180000_has_no_solution_deadline_but_its_resolution_is_explained(item, buyer, superuser):
    request = raise_at(bj(2026, 3, 5, 18, 0, 0), buyer=buyer, item=item)
    assert request.solution_due_at is None and "solution_due_at" not in request.deadline_basis
    assert [e["field"] for e in deadline_explanations(request)] == ["dispatch_at", "resolution_due_at"]
    reproduce(request, "resolution_due_at", bj(2026, 3, 7, 18, 0), rule="help.resolution_due", actor=superuser)


def test_help_confirm_deadline(item, buyer, merchant_user, superuser):
    request = raised_and_dispatched(bj(2026, 3, 5, 10, 0), buyer=buyer, item=item)
    with time_machine.travel(bj(2026, 3, 5, 10, 30), tick=False):
        help_request_mark_resolved(actor=merchant_user, request_id=request.pk, note="Installed.")
    reproduce(request, "confirm_due_at", bj(2026, 3, 6, 10, 30), rule="help.confirm_due", actor=superuser)


def test_a_policy_edit_bumps_the_version_later_deadlines_record_it_older_ones_keep_theirs(
    item, buyer, merchant, city, superuser
):
    first = raise_at(bj(2026, 3, 5, 10, 0), buyer=buyer, item=item)
    sla = Policy.objects.get(key="help.solution_sla")
    assert (sla.version, first.deadline_basis["solution_due_at"]["policies"]["help.solution_sla"]) == (1, 1)
    policy_update(actor=superuser, policy_id=sla.pk, value=90, reason="Longer in the busy season")
    sla.refresh_from_db()
    assert sla.version == 2
    other = f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant, city=city.name))
    second = raise_at(bj(2026, 3, 5, 11, 0), buyer=buyer, item=other)
    assert second.solution_due_at == bj(2026, 3, 5, 12, 30)  # 90 minutes
    assert second.deadline_basis["solution_due_at"]["policies"]["help.solution_sla"] == 2
    first.refresh_from_db()
    assert first.deadline_basis["solution_due_at"]["policies"]["help.solution_sla"] == 1
    [old] = [e for e in deadline_explanations(first) if e["field"] == "solution_due_at"]
    [new] = [e for e in deadline_explanations(second) if e["field"] == "solution_due_at"]
    assert [p for p in old["policies"] if p["key"] == "help.solution_sla"] == [
        {"key": "help.solution_sla", "value": 60, "unit": "minutes", "version": 1}
    ]
    assert [p for p in new["policies"] if p["key"] == "help.solution_sla"] == [
        {"key": "help.solution_sla", "value": 90, "unit": "minutes", "version": 2}
    ]
    assert old["reproduced"] and new["reproduced"]


# --- refunds ----------------------------------------------------------------------------------------

T0 = bj(2026, 4, 1, 10, 0)  # a Wednesday far from public holidays


@pytest.mark.parametrize(
    ("make_item", "refund_type", "damage", "rule", "due"),
    [
        ("unshipped", "refund_only", False, "refund.merchant_silent_unshipped", bj(2026, 4, 2, 10, 0)),  # 24 h
        ("signed", "refund_only", False, "refund.merchant_silent_shipped", bj(2026, 4, 3, 10, 0)),  # 48 h
        ("signed", "return_refund", False, "refund.merchant_silent_return", bj(2026, 4, 3, 10, 0)),  # 2 days
        ("signed", "refund_only", True, "refund.merchant_silent_damage", bj(2026, 4, 2, 10, 0)),  # 24 h
    ],
)
def test_merchant_silent_deadlines(buyer, merchant, superuser, make_item, refund_type, damage, rule, due):
    if make_item == "unshipped":
        item = unshipped_item(buyer, merchant)
    else:
        item = signed_item(buyer, merchant, services=[ServiceKind.DAMAGE_GUARANTEE] if damage else ())
    kwargs = {"reason": "damaged", "damage_guarantee": True} if damage else {}
    refund = apply_at(T0, buyer=buyer, item=item, refund_type=refund_type, amount_fen=10_000, **kwargs)
    reproduce(refund, "due_at", due, rule=rule, actor=superuser)


def test_buyer_ship_return_deadline_set_by_the_merchant_and_by_the_sweep(buyer, merchant, merchant_user, superuser):
    agreed = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    call_at(bj(2026, 4, 1, 11, 0), refund_agree, actor=merchant_user, refund_id=agreed.pk)
    # Silent merchant: the sweep agrees 1 s after the 2 days, in bulk, and records the same rule.
    silent = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    assert refund_sweep(now=bj(2026, 4, 3, 10, 0, 1)).agreed == 1
    reproduce(agreed, "due_at", bj(2026, 4, 8, 11, 0), rule="refund.buyer_ship_return", actor=superuser)
    reproduce(silent, "due_at", bj(2026, 4, 10, 10, 0, 1), rule="refund.buyer_ship_return", actor=superuser)


def test_merchant_confirm_deadline_the_earlier_of_two(buyer, merchant, merchant_user, agent, superuser):
    refund = apply_at(T0, buyer=buyer, item=signed_item(buyer, merchant))
    call_at(bj(2026, 4, 1, 11, 0), refund_agree, actor=merchant_user, refund_id=refund.pk)
    call_at(
        bj(2026, 4, 1, 12, 0), refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF1"
    )
    refund.refresh_from_db()
    assert refund.due_at == bj(2026, 4, 11, 12, 0)  # shipped + 10 days
    assert refund.deadline_basis["due_at"]["policies"] == {"refund.merchant_confirm_receipt": 1}
    call_at(
        bj(2026, 4, 3, 9, 0), refund_return_signed, actor=agent, refund_id=refund.pk, signed_at=bj(2026, 4, 2, 12, 0)
    )
    explanation = reproduce(
        refund, "due_at", bj(2026, 4, 5, 12, 0), rule="refund.merchant_confirm", actor=superuser
    )  # signed + 3 days comes first
    assert len(explanation["steps"]) == 4  # two candidates, the earlier applies, the result


def test_buyer_silent_after_refusal_and_repayment_deadlines(buyer, merchant, merchant_user, superuser):
    refund = goods_refused_refund(buyer, merchant, merchant_user, start=T0, advance_quota=90_000)
    # Goods refused at T0 + 2 days: the buyer has 7 days to modify or escalate.
    reproduce(refund, "due_at", bj(2026, 4, 10, 10, 0), rule="refund.buyer_silent_after_refusal", actor=superuser)
    # Closed 1 s later by the sweep; the buyer owes the advance and gets 7 days' notice, recorded in bulk.
    assert refund_sweep(now=bj(2026, 4, 10, 10, 0, 1)).notices == 1
    reproduce(refund, "repayment_due_at", bj(2026, 4, 17, 10, 0, 1), rule="refund.repayment", actor=superuser)


# --- interventions ------------------------------------------------------------------------------------


def test_evidence_and_decision_deadlines_ordinary_week(buyer, merchant, merchant_user, agent, superuser):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=bj(2026, 3, 2, 10, 0))
    reproduce(case, "evidence_due_at", bj(2026, 3, 5, 10, 0), rule="intervention.evidence_due", actor=superuser)
    explanation = reproduce(
        case, "decision_due_at", bj(2026, 3, 10, 10, 0), rule="intervention.decision_due", actor=superuser
    )
    assert explanation["working_days"]["counted"] == [
        "2026-03-03",
        "2026-03-04",
        "2026-03-05",
        "2026-03-06",
        "2026-03-09",
        "2026-03-10",
    ]
    assert explanation["working_days"]["skipped"] == [
        {"date": "2026-03-07", "why": "weekend", "name": ""},
        {"date": "2026-03-08", "why": "weekend", "name": ""},
    ]


def test_accepted_on_the_thursday_before_national_day_lists_the_days_skipped(
    buyer, merchant, merchant_user, agent, superuser
):
    # Thu 25 Sep 2025. 2025's National Day and Mid-Autumn holiday runs 1-8 Oct; Sun 28 Sep is an adjusted working
    # day. Working days counted: Fri 26, Sun 28, Mon 29, Tue 30 Sep, Thu 9, Fri 10 Oct.
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=bj(2025, 9, 25, 10, 0))
    explanation = reproduce(
        case, "decision_due_at", bj(2025, 10, 10, 10, 0), rule="intervention.decision_due", actor=superuser
    )
    days = explanation["working_days"]
    assert days["counted"] == ["2025-09-26", "2025-09-28", "2025-09-29", "2025-09-30", "2025-10-09", "2025-10-10"]
    assert days["adjusted_working_days"] == ["2025-09-28"]
    assert [(d["date"], d["why"]) for d in days["skipped"]] == [
        ("2025-09-27", "weekend"),
        ("2025-10-01", "holiday"),
        ("2025-10-02", "holiday"),
        ("2025-10-03", "holiday"),
        ("2025-10-04", "weekend"),
        ("2025-10-05", "weekend"),
        ("2025-10-06", "holiday"),
        ("2025-10-07", "holiday"),
        ("2025-10-08", "holiday"),
    ]
    assert days["skipped"][1]["name"] == "National Day"
    assert explanation["started_at_local"] == "2025-09-25T10:00:00+08:00"
    assert "2025-10-01 (Wednesday) skipped: public holiday (National Day)." in explanation["steps"]
    assert "2025-09-28 (Sunday) counted: an adjusted working weekend." in explanation["steps"]


def test_merchant_answer_and_appeal_deadlines(buyer, merchant, merchant_user, agent, superuser):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=bj(2026, 3, 2, 10, 0))
    submit(buyer.user, case, moment=bj(2026, 3, 2, 15, 30), text="Photos of the crack.")
    reproduce(
        case, "merchant_answer_due_at", bj(2026, 3, 3, 15, 30), rule="intervention.merchant_answer_due", actor=superuser
    )
    judged(case, agent, moment=bj(2026, 3, 6, 9, 0), outcome="support_merchant")
    reproduce(case, "appeal_due_at", bj(2026, 3, 13, 9, 0), rule="intervention.appeal_due", actor=superuser)


@pytest.mark.parametrize(
    ("reason", "rule", "due"),
    [
        (SuspendReason.BOTH_PARTIES, "intervention.resume_self_settle", bj(2026, 4, 2, 10, 0)),  # 30 days
        # 7 working days from Tue 3 Mar 2026: 4, 5, 6, 9, 10, 11, 12 Mar.
        (SuspendReason.COURT, "intervention.resume_court_proof", bj(2026, 3, 12, 10, 0)),
    ],
)
def test_resume_deadlines(buyer, merchant, merchant_user, agent, superuser, reason, rule, due):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=bj(2026, 3, 2, 10, 0))
    with at(bj(2026, 3, 3, 10, 0)):
        intervention_suspend(actor=agent, case_id=case.pk, reason=reason, note="Talking.")
    reproduce(case, "resume_due_at", due, rule=rule, actor=superuser)


def test_police_resume_deadline(buyer, merchant, merchant_user, agent, superuser):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=bj(2026, 3, 2, 10, 0))
    with at(bj(2026, 3, 3, 10, 0)):
        intervention_suspend(actor=agent, case_id=case.pk, reason=SuspendReason.POLICE, note="Police.")
    with at(bj(2026, 3, 4, 16, 0)):
        intervention_record_proof(actor=agent, case_id=case.pk, note="Police took it.")
    reproduce(
        case,
        "resume_due_at",
        bj(2026, 3, 4, 16, 0) + timedelta(days=180),
        rule="intervention.resume_police",
        actor=superuser,
    )


def test_a_suspension_moves_the_deadlines_on_and_the_explanation_says_by_how_much(
    buyer, merchant, merchant_user, agent, superuser
):
    case = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=bj(2026, 3, 2, 10, 0))
    with at(bj(2026, 3, 3, 10, 0)):
        intervention_suspend(actor=agent, case_id=case.pk, reason=SuspendReason.BOTH_PARTIES, note="Talking.")
    with at(bj(2026, 3, 4, 16, 30)):
        intervention_resume(actor=agent, case_id=case.pk, reason="Settlement failed.")
    # Suspended 1 day 6 h 30 min: the decision (10 Mar 10:00) and the evidence window (5 Mar 10:00) move on.
    explanation = reproduce(
        case, "decision_due_at", bj(2026, 3, 11, 16, 30), rule="intervention.decision_due", actor=superuser
    )
    assert explanation["paused_seconds"] == 30.5 * 3600
    reproduce(case, "evidence_due_at", bj(2026, 3, 6, 16, 30), rule="intervention.evidence_due", actor=superuser)


def test_a_deadline_without_recorded_inputs_says_so(buyer, merchant, merchant_user):
    refund = refused_refund(buyer, merchant, merchant_user, start=T0)
    RefundRequest.objects.filter(pk=refund.pk).update(deadline_basis={})
    refund.refresh_from_db()
    [explanation] = deadline_explanations(refund)
    assert explanation["recorded"] is False and "reproduced" not in explanation
    assert system_actor()  # the system user exists for the sweeps the other tests run
