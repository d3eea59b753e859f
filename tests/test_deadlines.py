"""Every deadline in the system at its own second (disputes.deadlines): one second before it and at it, the action is
in time, the sweep leaves the row alone and no miss is recorded; one second after it, the sweep acts, the action is
refused or a late action records its miss. The list is checked against what the code declares: every duration
policy, every deadline column and every refund timeout step must appear here (or be named as not a deadline)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import models

from disputes import policies as policy_table
from disputes.actors import system_actor
from disputes.choices import CreditRating
from disputes.deadlines import in_time, missed, missed_q, open_q
from disputes.errors import DomainError
from disputes.models import (
    DeadlineKind,
    DueAction,
    Intervention,
    OrderStatus,
    RefundRequest,
    Violation,
)
from disputes.models.steps import steps_by
from disputes.policy_defaults import POLICY_DEFAULTS
from disputes.selectors.interventions import decision_breached_q
from disputes.services.force_majeure import help_force_majeure_claim
from disputes.services.help_misses import solution_in_time
from disputes.services.help_requests import (
    help_request_cancel,
    help_request_close,
    help_request_dispatch,
    help_request_give_solution,
    help_request_mark_resolved,
    help_request_object,
)
from disputes.services.help_sweep import help_sweep
from disputes.services.interventions.deciding import intervention_appeal
from disputes.services.interventions.sweep import intervention_sweep
from disputes.services.interventions.workflow import (
    intervention_record_proof,
    intervention_request_evidence,
    intervention_submit_evidence,
    intervention_suspend,
)
from disputes.services.refunds.advances import refund_return_signed
from disputes.services.refunds.buyer import refund_cancel, refund_ship_return
from disputes.services.refunds.express import refund_express_claim
from disputes.services.refunds.merchant import refund_agree, refund_refuse
from disputes.services.refunds.sweep import refund_apply_timeout, refund_sweep
from disputes.services.violations import violation_appeal
from tests.services.helpers import bj, raise_at, raised_and_dispatched
from tests.services.refund_helpers import COVER, DAMAGE, apply_at, call_at, photo, signed_item, unshipped_item
from tests.services.test_intervention_helpers import (
    accepted_case,
    at,
    goods_refused_refund,
    judged,
    use_private_media,
)

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
HELP_DAY = bj(2026, 3, 2, 10, 0)  # Monday, inside 09:00-18:00: a 1-hour deadline
HELP_NIGHT = bj(2026, 3, 2, 20, 0)  # no 1-hour deadline: only the 48-hour one
REFUND_DAY = bj(2026, 4, 1, 10, 0)  # Wednesday of an ordinary working week
CASE_DAY = bj(2026, 3, 2, 10, 0)  # a case accepted then: evidence until Thu 10:00, decision due Tue 10 March

# Duration policies that set no deadline, with why.
NOT_DEADLINES = {
    "help.at_risk_before": "a warning horizon before a deadline",
    "intervention.at_risk_before": "a warning horizon before a deadline",
    "refund.at_risk_before": "a warning horizon before a deadline",
    "intervention.virtual_goods_wait": "an earliest moment to ask, not a latest one",
}
DURATION_UNITS = {"seconds", "minutes", "hours", "days", "working_days"}


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    use_private_media(settings, tmp_path)


@pytest.fixture
def world(buyer, merchant, merchant_user, item, agent, senior):
    """The parties and staff a scenario needs; each scenario adds what it builds (request, refund, case)."""
    return SimpleNamespace(
        buyer=buyer, merchant=merchant, merchant_user=merchant_user, item=item, agent=agent, senior=senior
    )


@dataclass(frozen=True)
class Boundary:
    """One deadline seen through one path that must respect it.

    `arrange` builds the case and returns the deadline D; `late` tries the path at a moment and says whether the
    deadline counted as missed there (the sweep acted, the action was refused, the late action recorded a miss).
    `policy` is the policy that sets D (empty when staff choose it) and `field` the column that stores it
    ("Model.field"; empty for windows computed on the fly)."""

    name: str
    policy: str
    field: str
    arrange: Callable[[SimpleNamespace], datetime]
    late: Callable[[SimpleNamespace, datetime], bool]
    due_action: str = ""


def refused(code: str, call: Callable[[], object]) -> bool:
    """True when `call` is refused with `code`; False when it goes through. Any other refusal fails the test."""
    try:
        call()
    except DomainError as error:
        assert error.code == code, error.message
        return True
    return False


# --- one-click help ---------------------------------------------------------------------------------------------


def raised(w) -> datetime:
    w.request = raise_at(HELP_DAY, buyer=w.buyer, item=w.item)
    return w.request.dispatch_at


def solution_running(w) -> datetime:
    w.request = raised_and_dispatched(HELP_DAY, buyer=w.buyer, item=w.item)
    return w.request.solution_due_at


def resolution_running(w) -> datetime:
    w.request = raised_and_dispatched(HELP_NIGHT, buyer=w.buyer, item=w.item)
    assert w.request.solution_due_at is None
    return w.request.resolution_due_at


def awaiting_confirmation(w) -> datetime:
    w.request = raised_and_dispatched(HELP_DAY, buyer=w.buyer, item=w.item)
    call_at(
        HELP_DAY + timedelta(hours=5),
        help_request_mark_resolved,
        actor=w.merchant_user,
        request_id=w.request.pk,
        note="Done.",
    )
    w.request.refresh_from_db()
    return w.request.confirm_due_at


def records_miss(deadline: str, service: Callable[..., object], **kwargs: object) -> Callable:
    """A step that stops a clock, taken at a moment: True when it recorded the `deadline` miss first."""

    def late(w, moment: datetime) -> bool:
        actor = w.senior if service is help_request_close else w.merchant_user
        call_at(moment, service, actor=actor, request_id=w.request.pk, **kwargs)
        return Violation.objects.filter(help_request=w.request, deadline=deadline).exists()

    return late


def claim_force_majeure(deadline: str) -> Callable[[SimpleNamespace, datetime], bool]:
    def late(w, moment: datetime) -> bool:
        return refused(
            "deadline_passed",
            lambda: call_at(
                moment,
                help_force_majeure_claim,
                actor=w.merchant_user,
                request_id=w.request.pk,
                deadline=deadline,
                category="typhoon",
                note="Roads closed.",
            ),
        )

    return late


def solve_then_judge_48_hours(w, moment: datetime) -> bool:
    """The 48-hour standard's "late or not provided": a solution at `moment`, then the miss once recorded. True when
    the solution did not count (not provided: 30,000 points for delivery and installation), False when it did
    (late: 5,000)."""
    call_at(moment, help_request_give_solution, actor=w.merchant_user, request_id=w.request.pk, text="Tomorrow 9:00.")
    help_sweep(now=w.request.resolution_due_at + timedelta(hours=1))
    points = Violation.objects.get(help_request=w.request, deadline=DeadlineKind.RESOLUTION).compensation_points
    assert points in (30_000, 5_000)
    return points == 30_000


HELP = [
    Boundary(
        "cancel window: the buyer cancels",
        "help.cancel_window",
        "HelpRequest.dispatch_at",
        raised,
        lambda w, t: refused(
            "cancel_window_passed", lambda: call_at(t, help_request_cancel, actor=w.buyer.user, request_id=w.request.pk)
        ),
    ),
    Boundary(
        "cancel window: the sweep dispatches",
        "help.cancel_window",
        "HelpRequest.dispatch_at",
        raised,
        lambda w, t: help_sweep(now=t).dispatched == 1,
    ),
    Boundary(
        "cancel window: the dispatch task",
        "help.cancel_window",
        "HelpRequest.dispatch_at",
        raised,
        lambda w, t: help_request_dispatch(request_id=w.request.pk, actor=system_actor(), now=t),
    ),
    Boundary(
        "1-hour solution: the sweep records the miss",
        "help.solution_sla",
        "HelpRequest.solution_due_at",
        solution_running,
        lambda w, t: help_sweep(now=t).solution_misses == 1,
    ),
    Boundary(
        "1-hour solution: a solution records its own miss",
        "help.solution_sla",
        "HelpRequest.solution_due_at",
        solution_running,
        records_miss(DeadlineKind.SOLUTION, help_request_give_solution, text="Tomorrow."),
    ),
    Boundary(
        "1-hour solution: closing records the miss",
        "help.solution_sla",
        "HelpRequest.solution_due_at",
        solution_running,
        records_miss(DeadlineKind.SOLUTION, help_request_close, reason="Withdrawn by phone."),
    ),
    Boundary(
        "1-hour solution: force majeure claimed",
        "help.solution_sla",
        "HelpRequest.solution_due_at",
        solution_running,
        claim_force_majeure(DeadlineKind.SOLUTION),
    ),
    Boundary(
        "48-hour resolution: the sweep records the miss",
        "help.resolution_sla",
        "HelpRequest.resolution_due_at",
        resolution_running,
        lambda w, t: help_sweep(now=t).resolution_misses == 1,
    ),
    Boundary(
        "48-hour resolution: marking resolved records its own miss",
        "help.resolution_sla",
        "HelpRequest.resolution_due_at",
        resolution_running,
        records_miss(DeadlineKind.RESOLUTION, help_request_mark_resolved, note="Fixed."),
    ),
    Boundary(
        "48-hour resolution: late or not provided",
        "help.resolution_sla",
        "HelpRequest.resolution_due_at",
        resolution_running,
        solve_then_judge_48_hours,
    ),
    Boundary(
        "48-hour resolution: force majeure claimed",
        "help.resolution_sla",
        "HelpRequest.resolution_due_at",
        resolution_running,
        claim_force_majeure(DeadlineKind.RESOLUTION),
    ),
    Boundary(
        "automatic confirmation: the sweep confirms",
        "help.auto_confirm_after",
        "HelpRequest.confirm_due_at",
        awaiting_confirmation,
        lambda w, t: help_sweep(now=t).confirmed == 1,
    ),
    Boundary(
        "automatic confirmation: the buyer objects",
        "help.auto_confirm_after",
        "HelpRequest.confirm_due_at",
        awaiting_confirmation,
        lambda w, t: refused(
            "objection_window_passed",
            lambda: call_at(t, help_request_object, actor=w.buyer.user, request_id=w.request.pk, text="Still broken."),
        ),
    ),
]


# --- refunds: the scheduler's timeouts, one situation of RULES.md section 2 each --------------------------------


def refund_in(action: str, build: Callable[[SimpleNamespace], RefundRequest]) -> Callable[[SimpleNamespace], datetime]:
    def arrange(w) -> datetime:
        w.refund = build(w)
        w.refund.refresh_from_db()
        assert w.refund.due_action == action
        return w.refund.due_at

    return arrange


def apply(w, item, **kwargs) -> RefundRequest:
    return apply_at(REFUND_DAY, buyer=w.buyer, item=item, **kwargs)


def agreed_return(w, **kwargs) -> RefundRequest:
    refund = apply(w, signed_item(w.buyer, w.merchant), **kwargs)
    call_at(REFUND_DAY + timedelta(hours=1), refund_agree, actor=w.merchant_user, refund_id=refund.pk)
    return refund


def shipped_return(w, **kwargs) -> RefundRequest:
    refund = agreed_return(w, **kwargs)
    call_at(
        REFUND_DAY + timedelta(hours=2),
        refund_ship_return,
        actor=w.buyer.user,
        refund_id=refund.pk,
        carrier="SF",
        waybill="SF1",
    )
    return refund


def signed_return(w) -> RefundRequest:
    refund = shipped_return(w)
    call_at(REFUND_DAY + timedelta(days=1), refund_return_signed, actor=w.agent, refund_id=refund.pk)
    return refund


def refused_request(w) -> RefundRequest:
    refund = apply(w, signed_item(w.buyer, w.merchant))
    call_at(REFUND_DAY + timedelta(hours=1), refund_refuse, actor=w.merchant_user, refund_id=refund.pk, reason="Worn.")
    return refund


TIMEOUTS = [
    (
        "refund only, unshipped, merchant silent",
        "refund.unshipped_merchant_silent",
        DueAction.PAY,
        lambda w: apply(w, unshipped_item(w.buyer, w.merchant), refund_type="refund_only"),
    ),
    (
        "refund only, shipped, merchant silent",
        "refund.shipped_refund_only_silent",
        DueAction.PAY,
        lambda w: apply(w, signed_item(w.buyer, w.merchant), refund_type="refund_only"),
    ),
    (
        "return, merchant silent",
        "refund.return_merchant_silent",
        DueAction.AGREE,
        lambda w: apply(w, signed_item(w.buyer, w.merchant)),
    ),
    (
        "damage claim, merchant silent",
        "refund.damage_merchant_silent",
        DueAction.PAY,
        lambda w: apply(
            w,
            signed_item(w.buyer, w.merchant, services=DAMAGE),
            refund_type="refund_only",
            reason="damaged",
            amount_fen=10_000,
            damage_guarantee=True,
        ),
    ),
    ("return not shipped by the buyer", "refund.buyer_ship_return", DueAction.CLOSE_NOT_SHIPPED, agreed_return),
    ("returned goods not confirmed", "refund.merchant_confirm_receipt", DueAction.PAY, shipped_return),
    (
        "exchange goods not confirmed",
        "refund.merchant_confirm_receipt",
        DueAction.RECEIVED,
        lambda w: shipped_return(w, refund_type="exchange", amount_fen=None),
    ),
    ("returned goods signed for, not confirmed", "refund.merchant_confirm_after_signed", DueAction.PAY, signed_return),
    ("refused, buyer silent", "refund.refused_buyer_silent", DueAction.CLOSE_REFUSED, refused_request),
]


def swept(w, moment: datetime) -> bool:
    return refund_sweep(now=moment).total > 0


def applied_one_by_one(w, moment: datetime) -> bool:
    policies = policy_table.load("refund.")
    done = refund_apply_timeout(refund_id=w.refund.pk, now=moment, actor=system_actor(), policies=policies)
    return done.total > 0


REFUNDS = [
    Boundary(f"{name}: {path.__name__}", policy, "RefundRequest.due_at", refund_in(action, build), path, action)
    for name, policy, action, build in TIMEOUTS
    for path in (swept, applied_one_by_one)
]


def repayment_owed(w) -> datetime:
    w.refund = goods_refused_refund(w.buyer, w.merchant, w.merchant_user, start=REFUND_DAY, advance_quota=90_000)
    call_at(REFUND_DAY + timedelta(days=3), refund_cancel, actor=w.buyer.user, refund_id=w.refund.pk)
    w.refund.refresh_from_db()
    return w.refund.repayment_due_at


def refused_application(code: str, item: Callable[[SimpleNamespace], object], **kwargs) -> Callable:
    def late(w, moment: datetime) -> bool:
        return refused(code, lambda: apply_at(moment, buyer=w.buyer, item=item(w), **kwargs))

    return late


SUCCEEDED = bj(2026, 3, 20, 10, 0)  # trade success: the 15-day after-sales window ends 4 April 10:00
SIGNED = bj(2026, 4, 1, 15, 0)  # signed for: 72 hours until 4 April 15:00; 7 days until the end of 8 April


def succeeded_item(w):
    return signed_item(
        w.buyer,
        w.merchant,
        signed_at=SUCCEEDED - timedelta(days=2),
        status=OrderStatus.SUCCEEDED,
        succeeded_at=SUCCEEDED,
    )


def express_claimable(w) -> datetime:
    w.buyer.credit_rating = CreditRating.EXCELLENT
    w.buyer.save(update_fields=["credit_rating"])
    w.refund = apply_at(SUCCEEDED + timedelta(days=1), buyer=w.buyer, item=succeeded_item(w), refund_type="refund_only")
    call_at(SUCCEEDED + timedelta(days=2), refund_refuse, actor=w.merchant_user, refund_id=w.refund.pk, reason="No.")
    return SUCCEEDED + timedelta(days=15)


REFUND_WINDOWS = [
    Boundary(
        "advance not repaid: the sweep revokes the instant refund",
        "refund.advance_repay_window",
        "RefundRequest.repayment_due_at",
        repayment_owed,
        lambda w, t: refund_sweep(now=t).revoked == 1,
    ),
    Boundary(
        "after-sales window: applying",
        "refund.after_sales_window",
        "",
        lambda w: SUCCEEDED + timedelta(days=15),
        refused_application("after_sales_window_passed", succeeded_item, refund_type="refund_only"),
    ),
    Boundary(
        "after-sales window: express rights protection",
        "refund.after_sales_window",
        "",
        express_claimable,
        lambda w, t: refused(
            "after_sales_window_passed",
            lambda: call_at(
                t,
                refund_express_claim,
                actor=w.buyer.user,
                refund_id=w.refund.pk,
                description="Snapped.",
                files=[photo()],
            ),
        ),
    ),
    Boundary(
        "damage claim window (72 hours after signing)",
        "refund.damage_claim_window",
        "",
        lambda w: SIGNED + timedelta(hours=72),
        refused_application(
            "damage_claim_window_passed",
            lambda w: signed_item(w.buyer, w.merchant, signed_at=SIGNED, services=DAMAGE),
            reason="damaged",
            damage_guarantee=True,
        ),
    ),
    Boundary(
        "7-day no-reason return (the last second of day 7)",
        "refund.seven_day_window",
        "",
        lambda w: bj(2026, 4, 8, 23, 59, 59),
        refused_application(
            "seven_day_window_passed",
            lambda w: signed_item(w.buyer, w.merchant, signed_at=SIGNED, services=COVER),
            reason="no_reason",
        ),
    ),
]


# --- platform intervention ---------------------------------------------------------------------------------------


def case_in_evidence(w) -> datetime:
    w.case = accepted_case(w.buyer, w.merchant, w.merchant_user, w.agent, accepted_at=CASE_DAY)
    return w.case.evidence_due_at


def merchant_answering(w) -> datetime:
    evidence_due = case_in_evidence(w)
    call_at(
        evidence_due - timedelta(hours=2),
        intervention_submit_evidence,
        actor=w.buyer.user,
        case_id=w.case.pk,
        text="Photos.",
    )
    w.case.refresh_from_db()
    return w.case.merchant_answer_due_at


def evidence_requested(party: str) -> Callable[[SimpleNamespace], datetime]:
    def arrange(w) -> datetime:
        evidence_due = case_in_evidence(w)
        w.evidence_request = call_at(
            evidence_due - timedelta(hours=1),
            intervention_request_evidence,
            actor=w.agent,
            case_id=w.case.pk,
            party=party,
            note="The invoice, please.",
            due_at=evidence_due + timedelta(days=2),
        )
        return w.evidence_request.due_at

    return arrange


def submits(actor: Callable[[SimpleNamespace], object]) -> Callable[[SimpleNamespace, datetime], bool]:
    def late(w, moment: datetime) -> bool:
        return refused(
            "evidence_window_closed",
            lambda: call_at(moment, intervention_submit_evidence, actor=actor(w), case_id=w.case.pk, text="Here."),
        )

    return late


def case_judged(w) -> datetime:
    case_in_evidence(w)
    judged(w.case, w.agent, moment=CASE_DAY + timedelta(days=3), outcome="support_merchant", reasons="No defect.")
    w.case.refresh_from_db()
    return w.case.appeal_due_at


def undecided(w) -> datetime:
    case_in_evidence(w)
    return w.case.decision_due_at


def suspended(reason: str, *, proof: bool = False) -> Callable[[SimpleNamespace], datetime]:
    def arrange(w) -> datetime:
        case_in_evidence(w)
        with at(CASE_DAY + timedelta(days=1)):
            intervention_suspend(actor=w.agent, case_id=w.case.pk, reason=reason, note="Parties asked.")
        if proof:
            with at(CASE_DAY + timedelta(days=2)):
                intervention_record_proof(actor=w.agent, case_id=w.case.pk, note="Police receipt.")
        w.case.refresh_from_db()
        return w.case.resume_due_at

    return arrange


CASES = [
    Boundary(
        "evidence window: a party submits",
        "intervention.evidence_window",
        "Intervention.evidence_due_at",
        case_in_evidence,
        submits(lambda w: w.buyer.user),
    ),
    Boundary(
        "evidence window: the sweep starts mediation",
        "intervention.evidence_window",
        "Intervention.evidence_due_at",
        case_in_evidence,
        lambda w, t: intervention_sweep(now=t).to_mediation == 1,
    ),
    Boundary(
        "merchant's answer time: the merchant submits",
        "intervention.merchant_answer",
        "Intervention.merchant_answer_due_at",
        merchant_answering,
        submits(lambda w: w.merchant_user),
    ),
    Boundary(
        "merchant's answer time: the sweep waits for it",
        "intervention.merchant_answer",
        "Intervention.merchant_answer_due_at",
        merchant_answering,
        lambda w, t: intervention_sweep(now=t).to_mediation == 1,
    ),
    Boundary(
        "staff request for evidence: that party submits",
        "",
        "EvidenceRequest.due_at",
        evidence_requested("merchant"),
        submits(lambda w: w.merchant_user),
    ),
    Boundary(
        "staff request for evidence: the sweep waits for it",
        "",
        "EvidenceRequest.due_at",
        evidence_requested("buyer"),
        lambda w, t: intervention_sweep(now=t).to_mediation == 1,
    ),
    Boundary(
        "decision deadline: the sweep flags the miss",
        "intervention.decision_due",
        "Intervention.decision_due_at",
        undecided,
        lambda w, t: intervention_sweep(now=t).breached == 1,
    ),
    Boundary(
        "decision deadline: the staff's breached queue",
        "intervention.decision_due",
        "Intervention.decision_due_at",
        undecided,
        lambda w, t: Intervention.objects.filter(decision_breached_q(t), pk=w.case.pk).exists(),
    ),
    Boundary(
        "appeal window: a party appeals",
        "intervention.appeal_window",
        "Intervention.appeal_due_at",
        case_judged,
        lambda w, t: refused(
            "appeal_window_closed",
            lambda: call_at(
                t, intervention_appeal, actor=w.buyer.user, case_id=w.case.pk, reasons="The seal was intact."
            ),
        ),
    ),
    Boundary(
        "appeal window: the sweep makes the judgment final",
        "intervention.appeal_window",
        "Intervention.appeal_due_at",
        case_judged,
        lambda w, t: intervention_sweep(now=t).finalized == 1,
    ),
    Boundary(
        "suspension, parties settling: the sweep resumes",
        "intervention.suspend_self_settle",
        "Intervention.resume_due_at",
        suspended("both_parties"),
        lambda w, t: intervention_sweep(now=t).resumed == 1,
    ),
    Boundary(
        "suspension, court without proof: the sweep resumes",
        "intervention.suspend_court_proof",
        "Intervention.resume_due_at",
        suspended("court"),
        lambda w, t: intervention_sweep(now=t).resumed == 1,
    ),
    Boundary(
        "suspension, police with proof: the sweep resumes",
        "intervention.suspend_police",
        "Intervention.resume_due_at",
        suspended("police", proof=True),
        lambda w, t: intervention_sweep(now=t).resumed == 1,
    ),
]


# --- merchant violations ----------------------------------------------------------------------------------------


def violation_counted(w) -> datetime:
    from disputes.services.violations import help_complaint_file, violation_decide

    w.request = raised_and_dispatched(HELP_DAY, buyer=w.buyer, item=w.item)
    complaint = call_at(
        HELP_DAY + timedelta(hours=1), help_complaint_file, actor=w.buyer.user, request_id=w.request.pk, text="Late."
    )
    w.violation = call_at(
        HELP_DAY + timedelta(hours=2),
        violation_decide,
        actor=w.senior,
        violation_id=complaint.pk,
        count=True,
        reason="Confirmed.",
    )
    return w.violation.appeal_due_at


VIOLATIONS = [
    Boundary(
        "violation appeal window: the merchant appeals",
        "violation.appeal_window",
        "Violation.appeal_due_at",
        violation_counted,
        lambda w, t: refused(
            "appeal_window_closed",
            lambda: call_at(
                t, violation_appeal, actor=w.merchant_user, violation_id=w.violation.pk, reason="Chat log."
            ),
        ),
    ),
]

BOUNDARIES = HELP + REFUNDS + REFUND_WINDOWS + CASES + VIOLATIONS
OFFSETS = {"1 s before": -1, "at its second": 0, "1 s after": 1}


@pytest.mark.parametrize("offset", OFFSETS.values(), ids=OFFSETS.keys())
@pytest.mark.parametrize("boundary", BOUNDARIES, ids=[b.name for b in BOUNDARIES])
def test_a_deadlines_own_second_is_in_time(world, boundary, offset):
    deadline = boundary.arrange(world)
    assert boundary.late(world, deadline + offset * SECOND) is (offset > 0)


# --- the list above is every deadline there is -------------------------------------------------------------------


def test_every_duration_policy_is_a_tested_deadline_or_named_as_none():
    durations = {p.key for p in POLICY_DEFAULTS if p.unit in DURATION_UNITS}
    tested = {b.policy for b in BOUNDARIES if b.policy}
    assert tested <= durations
    assert durations - set(NOT_DEADLINES) == tested


def test_every_deadline_column_is_tested():
    columns = {
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("disputes").get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DateTimeField) and (field.name.endswith("due_at") or field.name == "dispatch_at")
    }
    assert columns == {b.field for b in BOUNDARIES if b.field}


def test_every_refund_timeout_step_is_tested_on_both_paths():
    declared = {str(action) for action in steps_by(RefundRequest, "due_action")}
    assert declared == {str(b.due_action) for b in REFUNDS}
    for action in declared:
        paths = {b.late for b in REFUNDS if b.due_action == action}
        assert paths == {swept, applied_one_by_one}


# --- the rule itself ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", OFFSETS.values(), ids=OFFSETS.keys())
def test_the_rule_and_its_lookups_agree(offset):
    deadline = bj(2026, 3, 2, 10, 0)
    now = deadline + offset * SECOND
    assert in_time(now, deadline) is (offset <= 0)
    assert missed(deadline, now) is (offset > 0)
    assert solution_in_time(now, deadline) is (offset <= 0)
    assert missed_q("due_at", now) == models.Q(due_at__lt=now)
    assert open_q("due_at", now) == models.Q(due_at__gte=now)


@pytest.mark.parametrize("offset", OFFSETS.values(), ids=OFFSETS.keys())
def test_the_lookups_select_what_the_rule_says(buyer, merchant, offset):
    """missed_q and open_q against the database, on both sides of the second (SQLite and PostgreSQL)."""
    refund = apply(SimpleNamespace(buyer=buyer), signed_item(buyer, merchant), refund_type="refund_only")
    now = refund.due_at + offset * SECOND
    rows = RefundRequest.objects.filter(pk=refund.pk)
    assert rows.filter(missed_q("due_at", now)).exists() is (offset > 0)
    assert rows.filter(open_q("due_at", now)).exists() is (offset <= 0)
