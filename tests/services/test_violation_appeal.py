"""The merchant's appeal of a counted violation (申诉) and the senior agents' decision on it: once, within the window
that opens when the violation is counted (its last second included), points counted while it waits; every refusal
with its code; the audit row and the event of each step."""

from datetime import timedelta

import pytest
import time_machine
from django_fsm_log.models import StateLog

from disputes.errors import Forbidden, InvalidTransition, RuleRefused, ValidationFailed
from disputes.models import Event, Policy, Violation, ViolationStatus
from disputes.models.violations import COUNTING
from disputes.services.violations import (
    help_complaint_file,
    violation_appeal,
    violation_decide,
    violation_decide_appeal,
)
from tests.admin.helpers import T0, dispatched, new_item

pytestmark = pytest.mark.django_db

REASON = "The buyer cancelled the appointment himself; the chat log of 3 March shows it."


@pytest.fixture
def counted(buyer, item, senior):
    """A breach-of-promise complaint counted by a senior agent at T0 + 1 hour."""
    request = dispatched(buyer=buyer, item=item)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        complaint = help_complaint_file(actor=buyer.user, request_id=request.pk, text="Nobody came.")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        return violation_decide(actor=senior, violation_id=complaint.pk, count=True, reason="Confirmed by phone.")


def appeal_at(moment, violation, actor, reason=REASON):
    with time_machine.travel(moment, tick=False):
        return violation_appeal(actor=actor, violation_id=violation.pk, reason=reason)


def test_counting_opens_a_seven_day_window_from_the_decision(counted):
    assert counted.status == ViolationStatus.COUNTED
    assert counted.decided_at == T0 + timedelta(hours=1)
    assert counted.appeal_due_at == T0 + timedelta(hours=1, days=7)


def test_the_merchant_appeals_and_the_points_still_count(counted, merchant_user):
    appealed = appeal_at(T0 + timedelta(days=2), counted, merchant_user)
    assert appealed.status == ViolationStatus.APPEALED
    assert appealed.appealed_at == T0 + timedelta(days=2)
    assert appealed.appeal_reason == REASON
    assert appealed.counts_against_merchant and appealed.status in COUNTING
    log = StateLog.objects.for_(appealed).latest("timestamp")
    assert (log.transition, log.by, log.source_state, log.state) == ("appeal", merchant_user, "counted", "appealed")
    event = Event.objects.get(type="violation.appealed")
    assert (event.case_type, event.case_id, event.merchant_id, event.buyer_id) == (
        "violation",
        counted.pk,
        counted.merchant_id,
        None,  # a violation's events are the merchant's only
    )
    assert event.payload["by"] == "merchant"
    assert event.payload["deadlines"]["appeal_due_at"] == "2026-03-09T03:00:00+00:00"


def test_the_window_takes_its_last_second_and_refuses_the_next(counted, merchant_user):
    due = counted.appeal_due_at
    with pytest.raises(RuleRefused) as late:
        appeal_at(due + timedelta(seconds=1), counted, merchant_user)
    assert late.value.code == "appeal_window_closed"
    assert Violation.objects.get(pk=counted.pk).status == ViolationStatus.COUNTED
    assert appeal_at(due, counted, merchant_user).status == ViolationStatus.APPEALED


def test_the_window_follows_the_policy_in_force_when_counted(buyer, item, senior):
    Policy.objects.filter(key="violation.appeal_window").update(value=3)
    request = dispatched(buyer=buyer, item=item)
    complaint = help_complaint_file(actor=buyer.user, request_id=request.pk, text="Nobody came.")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        counted = violation_decide(actor=senior, violation_id=complaint.pk, count=True, reason="Yes.")
    assert counted.appeal_due_at == T0 + timedelta(hours=1, days=3)


def test_a_violation_is_appealed_once(counted, merchant_user, senior):
    appeal_at(T0 + timedelta(days=1), counted, merchant_user)
    with pytest.raises(RuleRefused) as pending:
        appeal_at(T0 + timedelta(days=1, minutes=1), counted, merchant_user)
    assert pending.value.code == "already_appealed"
    violation_decide_appeal(actor=senior, violation_id=counted.pk, grant=False, reason="Nothing new.")
    with pytest.raises(RuleRefused) as again:
        appeal_at(T0 + timedelta(days=2), counted, merchant_user)
    assert again.value.code == "already_appealed"


@pytest.mark.parametrize("status", [s for s in ViolationStatus.values if s not in ("counted", "appealed")])
def test_only_a_counted_violation_is_appealed(counted, merchant_user, status):
    Violation.objects.filter(pk=counted.pk).update(status=status)
    with pytest.raises(InvalidTransition) as refused:
        appeal_at(T0 + timedelta(days=1), counted, merchant_user)
    assert refused.value.code == "invalid_transition"
    assert refused.value.details == {"status": status}


def test_another_merchant_and_staff_cannot_appeal(counted, other_merchant_user, senior):
    for actor in (other_merchant_user, senior):
        with pytest.raises(Forbidden) as refused:
            appeal_at(T0 + timedelta(days=1), counted, actor)
        assert refused.value.code == "party_required"
    assert Violation.objects.get(pk=counted.pk).appealed_at is None


def test_the_reason_is_required_and_at_most_1000_characters(counted, merchant_user):
    for reason, code in (("  ", "reason_required"), ("x" * 1001, "reason_too_long")):
        with pytest.raises(ValidationFailed) as refused:
            appeal_at(T0 + timedelta(days=1), counted, merchant_user, reason=reason)
        assert refused.value.code == code


def test_a_senior_agent_grants_the_appeal_and_the_violation_is_revoked(counted, merchant_user, senior):
    appeal_at(T0 + timedelta(days=1), counted, merchant_user)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        granted = violation_decide_appeal(actor=senior, violation_id=counted.pk, grant=True, reason="Chat log holds.")
    assert granted.status == ViolationStatus.REVOKED
    assert not granted.counts_against_merchant
    assert (granted.appeal_decided_at, granted.appeal_decided_by, granted.appeal_decision_reason) == (
        T0 + timedelta(days=3),
        senior,
        "Chat log holds.",
    )
    assert granted.decision_reason == "Confirmed by phone."  # the counting decision stays as it was
    log = StateLog.objects.for_(granted).latest("timestamp")
    assert (log.transition, log.by, log.description) == ("grant_appeal", senior, "Chat log holds.")
    assert list(Event.objects.filter(case_type="violation").order_by("id").values_list("type", flat=True)) == [
        "violation.counted",
        "violation.appealed",
        "violation.appeal_granted",
    ]


def test_a_senior_agent_rejects_the_appeal_and_it_counts_again(counted, merchant_user, senior):
    appeal_at(T0 + timedelta(days=1), counted, merchant_user)
    rejected = violation_decide_appeal(actor=senior, violation_id=counted.pk, grant=False, reason="Nothing new.")
    assert rejected.status == ViolationStatus.COUNTED
    assert rejected.appeal_decision_reason == "Nothing new."
    assert Event.objects.filter(type="violation.appeal_rejected", case_id=counted.pk).count() == 1


def test_only_senior_staff_decide_and_only_a_pending_appeal(counted, merchant_user, agent, senior):
    with pytest.raises(InvalidTransition) as not_yet:
        violation_decide_appeal(actor=senior, violation_id=counted.pk, grant=True, reason="Early.")
    assert not_yet.value.code == "appeal_decided"
    appeal_at(T0 + timedelta(days=1), counted, merchant_user)
    for actor in (agent, merchant_user):
        with pytest.raises(Forbidden):
            violation_decide_appeal(actor=actor, violation_id=counted.pk, grant=True, reason="Sure.")
    assert Violation.objects.get(pk=counted.pk).status == ViolationStatus.APPEALED


def test_a_judgment_violation_opens_its_window_at_the_judgment(buyer, merchant, merchant_user, agent):
    from tests.admin.case_helpers import T0 as CASE_T0
    from tests.admin.case_helpers import judged_case

    case = judged_case(buyer, merchant, merchant_user, agent)
    violation = Violation.objects.get(intervention=case)
    assert violation.status == ViolationStatus.COUNTED
    assert violation.appeal_due_at == violation.occurred_at + timedelta(days=7)
    assert violation.occurred_at == CASE_T0 + timedelta(days=1)


def test_help_misses_are_not_appealable(buyer, merchant, merchant_user):
    """A miss whose penalty was paid is not counted (RULES.md section 1): nothing to appeal."""
    from disputes.services.help_sweep import help_sweep

    item = new_item(buyer=buyer, merchant=merchant)
    dispatched(buyer=buyer, item=item)
    help_sweep(now=T0 + timedelta(hours=1, seconds=1))
    miss = Violation.objects.get(help_request__order_item=item)
    assert miss.status == ViolationStatus.NOT_COUNTED and miss.appeal_due_at is None
    with pytest.raises(InvalidTransition):
        appeal_at(T0 + timedelta(hours=2), miss, merchant_user)
