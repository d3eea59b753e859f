"""The intervention queue: ordering, filters, badges, query count, case buttons by role, filing a case for a party."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog
from pytest_django.asserts import assertNumQueries

from disputes.admin.interventions import decision_badge, evidence_badge
from disputes.models import (
    BuyerPointsEntry,
    CaseState,
    EvidenceItem,
    EvidenceRequest,
    Intervention,
    Judgment,
    MediationProposal,
    MerchantAccountEntry,
    RefundState,
    Tier,
    Violation,
    ViolationStatus,
)
from disputes.services.interventions.deciding import intervention_appeal, intervention_judge
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.sweep import intervention_sweep
from disputes.services.interventions.workflow import (
    intervention_submit_evidence,
    intervention_suspend,
    intervention_withdraw,
)
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.buyer import refund_apply, refund_ship_return
from disputes.services.refunds.express import refund_express_decide
from disputes.services.refunds.merchant import refund_refuse_goods
from tests import factories as f
from tests.admin.case_helpers import (
    BJ,
    T0,
    accepted_case,
    appealed_case,
    at,
    excellent_buyer,
    express_claimed,
    judged_case,
    opened_case,
    pdf,
    photo,
    refused,
    signed_item,
)
from tests.admin.helpers import action_url, messages_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/disputes/intervention/"
# Accepted on Wednesday 1 April at 13:00; Qingming (4-6 April) is a holiday, so the sixth working day after
# is Friday 10 April: the decision is due then at 13:00.
DECISION_DUE = datetime(2026, 4, 10, 13, 0, tzinfo=BJ)
NOW = T0 + timedelta(hours=5)  # 15:00 on 1 April


def express_case(merchant, merchant_user, senior):
    """An express (极速) case: claim verified, return shipped with the platform's advance, then the merchant's
    refusal of the goods opens the case by itself."""
    buyer = excellent_buyer()
    claim = express_claimed(buyer, merchant, merchant_user)
    refund = claim.refund
    at(T0 + timedelta(hours=3), refund_express_decide, actor=senior, claim_id=claim.pk, verified=True, reason="True")
    at(T0 + timedelta(hours=4), refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="S9")
    at(T0 + timedelta(hours=5), refund_refuse_goods, actor=merchant_user, refund_id=refund.pk, reason="Not ours")
    return Intervention.objects.get(refund=refund)


def senior_case(buyer, merchant, senior):
    """A 小二 escalation a senior agent filed for the buyer on an order item (no refund)."""
    item = signed_item(buyer, merchant)
    return at(
        T0 + timedelta(hours=2),
        intervention_open,
        actor=senior,
        ground="false_advertising",
        claim="The listing promised solid wood.",
        order_item_id=item.pk,
        channel="senior",
        on_behalf_of="buyer",
    )


@pytest.fixture
def queue(buyer, merchant, merchant_user, agent, senior):
    """Six cases: three the agent accepted at different times, one new, one 小二, one express."""
    cases = {
        "a": accepted_case(buyer, merchant, merchant_user, agent),  # accepted 13:00 → due 10 April 13:00
        "b": accepted_case(buyer, merchant, merchant_user, agent, moment=T0 + timedelta(hours=5)),  # due 18:00
        "c": accepted_case(buyer, merchant, merchant_user, agent, moment=T0 + timedelta(days=1)),  # due 13 April
        "new": opened_case(buyer, merchant, merchant_user),
        "senior": senior_case(buyer, merchant, senior),
        "express": express_case(merchant, merchant_user, senior),
    }
    for case in cases.values():
        case.refresh_from_db()
    return cases


def listed(client, **params) -> list[int]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return [obj.pk for obj in response.context["cl"].result_list]


def test_the_queue_puts_express_and_senior_cases_first_then_the_nearest_decision(client, queue, agent):
    assert queue["a"].decision_due_at == DECISION_DUE
    assert (queue["express"].express, queue["senior"].tier) == (True, Tier.SENIOR)
    client.force_login(agent)
    assert listed(client) == [queue[k].pk for k in ("express", "senior", "a", "b", "c", "new")]


def test_a_finished_case_sorts_after_every_case_that_waits_for_staff(client, queue, agent, buyer):
    # "a" has the earliest decision deadline; withdrawn, it no longer waits for anyone.
    at(NOW, intervention_withdraw, actor=buyer.user, case_id=queue["a"].pk, reason="Settled with the shop.")
    client.force_login(agent)
    assert listed(client) == [queue[k].pk for k in ("express", "senior", "b", "c", "new", "a")]


def test_filters_select_the_right_cases(client, queue, agent):
    ids = {name: case.pk for name, case in queue.items()}
    client.force_login(agent)
    assert set(listed(client, state="applied")) == {ids["new"], ids["senior"], ids["express"]}
    assert listed(client, tier="senior") == [ids["senior"]]
    assert listed(client, express__exact="1") == [ids["express"]]
    assert set(listed(client, assigned="me")) == {ids["a"], ids["b"], ids["c"]}
    assert set(listed(client, assigned="unassigned")) == {ids["new"], ids["senior"], ids["express"]}
    assert listed(client, ground="goods_refused") == [ids["express"]]
    assert listed(client, channel="senior") == [ids["senior"]]
    # At 14:00 on 10 April: a's 13:00 deadline passed, b's 18:00 one is within the 24-hour window.
    with time_machine.travel(DECISION_DUE + timedelta(hours=1), tick=False):
        assert listed(client, decision="breached") == [ids["a"]]
        assert listed(client, decision="at_risk") == [ids["b"]]
    # Three days earlier nothing is near.
    with time_machine.travel(DECISION_DUE - timedelta(days=3), tick=False):
        assert listed(client, decision="breached") == []
        assert listed(client, decision="at_risk") == []


def test_the_decision_filters_follow_the_sweep_flags(client, queue, agent):
    intervention_sweep(now=DECISION_DUE + timedelta(hours=1))
    client.force_login(agent)
    # Once flagged, a breach stays listed even after the case is judged.
    at(
        DECISION_DUE + timedelta(hours=2),
        intervention_judge,
        actor=agent,
        case_id=queue["a"].pk,
        outcome="support_merchant",
        reasons="No defect shown.",
    )
    with time_machine.travel(DECISION_DUE + timedelta(hours=3), tick=False):
        assert listed(client, decision="breached") == [queue["a"].pk]
        assert listed(client, decision="at_risk") == [queue["b"].pk]


def test_list_shows_decision_and_evidence_badges(client, queue, agent):
    with time_machine.travel(DECISION_DUE - timedelta(hours=1), tick=False):  # 12:00 on 10 April
        client.force_login(agent)
        html = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "decide in 1h" in html  # a
    assert "decide in 6h" in html  # b
    assert "decide in 3d 1h" in html  # c: 13 April 13:00
    with time_machine.travel(NOW, tick=False):
        html = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "evidence closes in 2d 22h" in html  # a: accepted 13:00 + 3 days, seen at 15:00


def test_badges_from_stored_deadlines():
    due = DECISION_DUE
    window = timedelta(hours=24)
    case = Intervention(state=CaseState.EVIDENCE, decision_due_at=due, evidence_due_at=due - timedelta(days=4))
    far = decision_badge(case, now=due - timedelta(days=2), window=window)
    assert "decide in 2d" in far and "#e8e8e8" in far
    near = decision_badge(case, now=due - timedelta(hours=5), window=window)
    assert "decide in 5h" in near and "#f5a623" in near
    late = decision_badge(case, now=due + timedelta(minutes=30), window=window)
    assert "decision overdue 30 min" in late and "#ba2121" in late
    # Flagged at risk by the sweep (e.g. under an earlier, longer window): amber although far.
    case.decision_at_risk_at = due - timedelta(days=3)
    assert "#f5a623" in decision_badge(case, now=due - timedelta(days=2), window=window)
    judged = Intervention(state=CaseState.JUDGED, decision_due_at=due)
    assert decision_badge(judged, now=due, window=window) == "-"
    judged.decision_breached_at = due
    assert "decision deadline was missed" in decision_badge(judged, now=due, window=window)
    assert decision_badge(Intervention(state=CaseState.APPLIED), now=due, window=window) == "-"
    answering = Intervention(
        state=CaseState.EVIDENCE, evidence_due_at=due, merchant_answer_due_at=due - timedelta(hours=10)
    )
    both = evidence_badge(answering, now=due - timedelta(hours=30), window=window)
    assert "evidence closes in 1d 6h" in both and "merchant answers in 20h" in both
    assert "evidence closes in" in evidence_badge(answering, now=due, window=window)  # its last second
    assert "evidence window closed" in evidence_badge(answering, now=due + timedelta(seconds=1), window=window)
    assert evidence_badge(judged, now=due, window=window) == "-"


def test_changelist_query_count_does_not_grow_with_rows(client, buyer, merchant, merchant_user, agent, senior):
    def three_cases():
        accepted_case(buyer, merchant, merchant_user, agent)
        opened_case(buyer, merchant, merchant_user)
        senior_case(buyer, merchant, senior)

    three_cases()
    client.force_login(agent)
    with CaptureQueriesContext(connection) as few:
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 3
    three_cases()
    three_cases()
    with assertNumQueries(len(few.captured_queries)):
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 9
    with assertNumQueries(len(few.captured_queries)):
        client.get(CHANGELIST, {"assigned": "unassigned"})
    assert len(few.captured_queries) <= 12


# Buttons -----------------------------------------------------------------------------------------------------


def change_actions(client, case) -> set[str]:
    response = client.get(reverse("admin:disputes_intervention_change", args=[case.pk]))
    assert response.status_code == 200
    return {tool["name"] for tool in response.context["objectactions"]}


def last_log(case) -> StateLog:
    return StateLog.objects.for_(case).order_by("timestamp", "pk").last()


@pytest.fixture
def new_case(buyer, merchant, merchant_user):
    return opened_case(buyer, merchant, merchant_user)


def test_an_agent_accepts_an_agent_tier_case(client, new_case, agent):
    accepted_at = T0 + timedelta(hours=3)
    with time_machine.travel(accepted_at, tick=False):
        client.force_login(agent)
        assert change_actions(client, new_case) == {"accept", "escalate", "refuse", "withdraw"}
        assert client.get(action_url("intervention", new_case.pk, "accept")).status_code == 200
        response = client.post(action_url("intervention", new_case.pk, "accept"), {})
    assert [level for level, _ in messages_of(response)] == ["success"]
    new_case.refresh_from_db()
    assert (new_case.state, new_case.assigned_to, new_case.accepted_at) == (CaseState.EVIDENCE, agent, accepted_at)
    assert new_case.evidence_due_at == accepted_at + timedelta(days=3)
    assert new_case.decision_due_at == DECISION_DUE
    assert (last_log(new_case).transition, last_log(new_case).by) == ("accept", agent)


def test_an_agent_cannot_work_a_senior_tier_case(client, buyer, merchant, agent, senior):
    case = senior_case(buyer, merchant, senior)
    client.force_login(agent)
    # Only withdrawing for the applicant is left; everything else needs a senior agent.
    assert change_actions(client, case) == {"withdraw"}
    response = client.post(action_url("intervention", case.pk, "accept"), {})
    assert messages_of(response) == [("error", "This case is in the senior (小二) tier.")]
    case.refresh_from_db()
    assert (case.state, case.assigned_to) == (CaseState.APPLIED, None)


def test_a_supervisor_assigns_a_new_case_to_an_agent(client, new_case, supervisor, agent, staff_without_role):
    url = action_url("intervention", new_case.pk, "assign")
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        client.force_login(supervisor)
        assert "assign" in change_actions(client, new_case)
        choices = {user.username for user in client.get(url).context["form"].fields["assign_to"].queryset}
        assert {"agent", "supervisor"} <= choices and "newcomer" not in choices
        client.post(url, {"assign_to": agent.pk})
    new_case.refresh_from_db()
    assert (new_case.state, new_case.assigned_to) == (CaseState.EVIDENCE, agent)
    assert new_case.decision_due_at == DECISION_DUE
    assert last_log(new_case).by == supervisor


def test_a_supervisor_reassigns_an_accepted_case(client, buyer, merchant, merchant_user, agent, senior, supervisor):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    client.force_login(supervisor)
    client.post(action_url("intervention", case.pk, "assign"), {"assign_to": senior.pk})
    case.refresh_from_db()
    assert case.assigned_to == senior
    log = last_log(case)
    assert (log.transition, log.by, log.description) == ("assign", supervisor, "Assigned to senior")


def test_an_agent_cannot_assign(client, new_case, agent, senior):
    client.force_login(agent)
    assert "assign" not in change_actions(client, new_case)
    response = client.post(action_url("intervention", new_case.pk, "assign"), {"assign_to": senior.pk})
    assert [level for level, _ in messages_of(response)] == ["error"]
    new_case.refresh_from_db()
    assert new_case.assigned_to is None


def test_an_agent_escalates_to_senior_staff(client, buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    client.force_login(agent)
    client.post(action_url("intervention", case.pk, "escalate"), {"reason": "Needs a brand expert."})
    case.refresh_from_db()
    # The agent may not work a 小二 case, so the case leaves the agent's hands.
    assert (case.tier, case.priority, case.assigned_to) == (Tier.SENIOR, 1, None)
    assert last_log(case).description == "Escalated to 小二: Needs a brand expert."


def test_an_agent_refuses_a_claim_outside_the_rules_and_the_refusal_clock_restarts(client, new_case, agent):
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        client.post(action_url("intervention", new_case.pk, "refuse"), {"reason": "The listing said: no returns."})
    new_case.refresh_from_db()
    assert (new_case.state, new_case.outcome_note) == (CaseState.REFUSED, "The listing said: no returns.")
    refund = new_case.refund
    refund.refresh_from_db()
    assert refund.intervention_requested_at is None
    assert refund.due_at == NOW + timedelta(days=7)


def test_an_agent_requests_evidence_with_a_deadline(client, buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    url = action_url("intervention", case.pk, "request_evidence")
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        client.post(
            url,
            {"party": "merchant", "note": "Packing photos.", "due_at_0": "2026-04-03", "due_at_1": "18:00:00"},
        )
        past = client.post(
            url, {"party": "buyer", "note": "Too late.", "due_at_0": "2026-04-01", "due_at_1": "09:00:00"}
        )
    [request] = EvidenceRequest.objects.filter(intervention=case)
    assert (request.party, request.note, request.due_at, request.requested_by) == (
        "merchant",
        "Packing photos.",
        datetime(2026, 4, 3, 18, 0, tzinfo=BJ),
        agent,
    )
    assert messages_of(past)[-1] == ("error", "The deadline must be in the future.")


def test_an_agent_mediates_and_proposes_terms(client, buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    client.force_login(agent)
    client.post(action_url("intervention", case.pk, "start_mediation"), {})
    case.refresh_from_db()
    assert case.state == CaseState.MEDIATION
    assert "propose" in change_actions(client, case)
    client.post(
        action_url("intervention", case.pk, "propose"),
        {"outcome": "partial_refund", "refund_fen": "20000", "compensation_points": "500", "terms": "Keep it."},
    )
    [proposal] = MediationProposal.objects.filter(intervention=case)
    assert (proposal.outcome, proposal.refund_fen, proposal.compensation_points, proposal.status) == (
        "partial_refund",
        20_000,
        500,
        "open",
    )


def test_an_agent_judges_and_the_judgment_is_executed_once(client, buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    url = action_url("intervention", case.pk, "judge")
    data = {
        "outcome": "full_refund",
        "refund_fen": "0",
        "compensation_points": "2000",
        "violation_kind": "breach_of_promise",
        "reasons": "The defect is visible in the photos.",
    }
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert "judge" in change_actions(client, case)
        response = client.post(url, data)
        again = client.post(url, data)
    assert [level for level, _ in messages_of(response)] == ["success"]
    assert messages_of(again)[-1][0] == "error"
    case.refresh_from_db()
    assert (case.state, case.appeal_due_at) == (CaseState.JUDGED, NOW + timedelta(days=7))
    [judgment] = Judgment.objects.filter(intervention=case)
    assert (judgment.outcome, judgment.refund_fen, judgment.judged_by) == ("full_refund", 50_000, agent)
    # The refund request's 50,000 fen and 2,000 compensation points, each posted once.
    assert sorted(MerchantAccountEntry.objects.values_list("amount", flat=True)) == [-50_000, -2_000]
    assert list(BuyerPointsEntry.objects.values_list("amount", flat=True)) == [2_000]
    assert case.refund.state == RefundState.SUCCESS
    assert Violation.objects.get(intervention=case).status == ViolationStatus.COUNTED


def test_judging_a_new_case_is_refused_and_changes_nothing(client, new_case, agent):
    client.force_login(agent)
    assert "judge" not in change_actions(client, new_case)
    response = client.post(
        action_url("intervention", new_case.pk, "judge"),
        {"outcome": "full_refund", "refund_fen": "0", "compensation_points": "0", "reasons": "Too early."},
    )
    [(level, text)] = messages_of(response)
    assert level == "error" and text.startswith("Judgment follows evidence or mediation")
    new_case.refresh_from_db()
    assert new_case.state == CaseState.APPLIED
    assert not Judgment.objects.exists() and not MerchantAccountEntry.objects.exists()


def test_an_agent_cannot_review_an_appeal(client, buyer, merchant, merchant_user, agent):
    case = appealed_case(buyer, merchant, merchant_user, agent)
    client.force_login(agent)
    assert "review" not in change_actions(client, case)
    response = client.post(
        action_url("intervention", case.pk, "review"),
        {"decision": "confirm", "reasons": "Fine as it is."},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert messages_of(response) == [("error", "You do not have permission to do this.")]
    assert client.get(action_url("intervention", case.pk, "review")).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED


def test_a_senior_overturns_on_review_with_compensating_entries(client, buyer, merchant, merchant_user, agent, senior):
    case = appealed_case(buyer, merchant, merchant_user, agent)
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -52_000
    client.force_login(senior)
    assert "review" in change_actions(client, case)
    response = client.post(
        action_url("intervention", case.pk, "review"),
        {
            "decision": "overturn",
            "outcome": "support_merchant",
            "refund_fen": "0",
            "compensation_points": "0",
            "reasons": "The serial number differs.",
        },
    )
    assert [level for level, _ in messages_of(response)] == ["success"]
    case.refresh_from_db()
    assert case.state == CaseState.FINAL
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == 0
    assert ledger_balance(BuyerPointsEntry, buyer=buyer) == 0
    # Reversals are new entries: two postings and their two reversals.
    assert MerchantAccountEntry.objects.count() == 4
    page = client.get(reverse("admin:disputes_intervention_change", args=[case.pk]))
    formsets = {fs.formset.model.__name__: fs for fs in page.context["inline_admin_formsets"]}
    judgments = [(form.original.outcome, form.original.is_superseded) for form in formsets["Judgment"]]
    assert judgments == [("full_refund", True), ("support_merchant", False)]
    [appeal] = [form.original for form in formsets["Appeal"]]
    assert (appeal.overturned, appeal.reviewed_by) == (True, senior)


def test_an_overturn_without_a_new_outcome_redisplays_the_form(client, buyer, merchant, merchant_user, agent, senior):
    case = appealed_case(buyer, merchant, merchant_user, agent)
    client.force_login(senior)
    response = client.post(
        action_url("intervention", case.pk, "review"),
        {"decision": "overturn", "refund_fen": "0", "compensation_points": "0", "reasons": "Wrong."},
    )
    assert response.status_code == 200
    assert "outcome" in response.context["form"].errors
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED


def test_the_judge_cannot_review_their_own_judgment(client, buyer, merchant, merchant_user, senior):
    case = appealed_case(buyer, merchant, merchant_user, senior)
    client.force_login(senior)
    response = client.post(
        action_url("intervention", case.pk, "review"),
        {"decision": "confirm", "refund_fen": "0", "compensation_points": "0", "reasons": "Confirmed."},
    )
    assert messages_of(response) == [("error", "The reviewer must not be the judge of the appealed judgment.")]
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED


def test_suspend_record_proof_and_resume(client, buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        client.post(action_url("intervention", case.pk, "suspend"), {"reason": "court", "note": "Buyer sued the shop."})
        case.refresh_from_db()
        assert (case.state, case.suspend_reason, case.suspended_from) == (CaseState.SUSPENDED, "court", "evidence")
        # Seven working days for proof from Wednesday 1 April 15:00, skipping Qingming (4-6 April): 13 April.
        assert case.resume_due_at == datetime(2026, 4, 13, 15, 0, tzinfo=BJ)
        assert change_actions(client, case) == {"escalate", "record_proof", "resume", "withdraw"}
        client.post(action_url("intervention", case.pk, "record_proof"), {"note": "Court filing no. 2026-88."})
        case.refresh_from_db()
        assert case.resume_due_at is None  # a court case waits for staff
        client.post(action_url("intervention", case.pk, "resume"), {"reason": "The buyer withdrew the suit."})
    case.refresh_from_db()
    assert (case.state, case.suspend_reason) == (CaseState.EVIDENCE, "")


def test_proof_is_not_taken_for_a_case_the_parties_are_settling(client, buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    at(NOW, intervention_suspend, actor=agent, case_id=case.pk, reason="both_parties", note="Talking.")
    client.force_login(agent)
    assert "record_proof" not in change_actions(client, case)
    response = client.post(action_url("intervention", case.pk, "record_proof"), {"note": "?"})
    assert messages_of(response)[-1] == ("error", "Only a case suspended for court or police takes proof.")
    case.refresh_from_db()
    assert case.resume_due_at == NOW + timedelta(days=30)


def test_staff_withdraw_for_the_applicant(client, new_case, agent):
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        client.post(action_url("intervention", new_case.pk, "withdraw"), {"reason": "Buyer settled by phone."})
    new_case.refresh_from_db()
    assert (new_case.state, new_case.closed_at) == (CaseState.WITHDRAWN, NOW)
    assert last_log(new_case).description == "Withdrawn: Buyer settled by phone."


def test_the_case_page_is_read_only(client, new_case, superuser):
    client.force_login(superuser)
    url = reverse("admin:disputes_intervention_change", args=[new_case.pk])
    assert client.get(url).context["has_change_permission"] is False
    assert client.post(url, {"claim": "edited"}).status_code == 403
    assert client.get(reverse("admin:disputes_intervention_add")).status_code == 403
    assert client.get(reverse("admin:disputes_intervention_delete", args=[new_case.pk])).status_code == 403


# The case page -------------------------------------------------------------------------------------------------


def test_the_case_page_shows_history_evidence_requests_proposals_judgments_and_money(
    client, buyer, merchant, merchant_user, agent
):
    case = judged_case(buyer, merchant, merchant_user, agent)
    at(
        T0 + timedelta(days=1, hours=1),
        intervention_appeal,
        actor=merchant_user,
        case_id=case.pk,
        reasons="Another sofa.",
        files=[pdf("serial.pdf")],
    )
    client.force_login(agent)
    page = client.get(reverse("admin:disputes_intervention_change", args=[case.pk]))
    formsets = {fs.formset.model.__name__: fs for fs in page.context["inline_admin_formsets"]}
    history = [form.original.transition for form in formsets["StateLog"]]
    assert history == [
        "open",
        "accept",
        "submit_evidence",
        "request_evidence",
        "start_mediation",
        "propose",
        "judge",
        "appeal",
    ]
    evidence = [form.original for form in formsets["EvidenceItem"]]
    assert [(e.party, e.text, e.original_name) for e in evidence] == [
        ("buyer", "Photos", ""),
        ("buyer", "", "broken.png"),
        ("merchant", "", "serial.pdf"),
    ]
    assert [form.original.party for form in formsets["EvidenceRequest"]] == ["merchant"]
    assert [form.original.status for form in formsets["MediationProposal"]] == ["declined"]
    assert [form.original.outcome for form in formsets["Judgment"]] == ["full_refund"]
    assert [form.original.party for form in formsets["Appeal"]] == ["merchant"]
    assert [form.original.kind for form in formsets["Violation"]] == ["breach_of_promise"]
    html = page.content.decode()
    image, document = evidence[1], evidence[2]
    assert f'<img src="/admin/disputes/evidenceitem/{image.pk}/download/?inline=1"' in html
    assert f'href="/admin/disputes/evidenceitem/{document.pk}/download/"' in html
    assert f"/evidenceitem/{document.pk}/download/?inline=1" not in html
    # The judgment's postings: the refund charged to the merchant and the compensation on both sides.
    judgment = Judgment.objects.get(intervention=case)
    assert html.count(f"Judgment #{judgment.pk}") == 3
    assert f"judgment:{judgment.pk}:refund" in html
    assert f"judgment:{judgment.pk}:compensation" in html


def test_evidence_files_serve_images_inline_and_need_the_view_permission(
    client, buyer, merchant, merchant_user, agent, staff_without_role
):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    at(
        T0 + timedelta(hours=4),
        intervention_submit_evidence,
        actor=buyer.user,
        case_id=case.pk,
        files=[photo("crack.png"), pdf("quality.pdf")],
    )
    items = {e.original_name: e for e in EvidenceItem.objects.filter(intervention=case)}
    client.force_login(agent)
    image = client.get(f"/admin/disputes/evidenceitem/{items['crack.png'].pk}/download/", {"inline": "1"})
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
    assert image["Content-Disposition"].startswith("inline;")
    document = client.get(f"/admin/disputes/evidenceitem/{items['quality.pdf'].pk}/download/", {"inline": "1"})
    assert document["Content-Disposition"].startswith("attachment;")
    client.force_login(staff_without_role)
    assert client.get(f"/admin/disputes/evidenceitem/{items['crack.png'].pk}/download/").status_code == 403


def test_text_evidence_has_no_file_to_download(client, buyer, merchant, merchant_user, agent):
    case = accepted_case(buyer, merchant, merchant_user, agent)
    at(T0 + timedelta(hours=4), intervention_submit_evidence, actor=buyer.user, case_id=case.pk, text="Chat log")
    item = EvidenceItem.objects.get(intervention=case)
    client.force_login(agent)
    assert client.get(f"/admin/disputes/evidenceitem/{item.pk}/download/").status_code == 404
    assert client.get("/admin/disputes/evidenceitem/999999/download/").status_code == 404


# Filing a case for a party -----------------------------------------------------------------------------------

FILE_URL = "/admin/disputes/intervention/actions/file_case/"


def test_the_file_case_button_is_on_the_changelist_for_intervention_staff(client, agent):
    client.force_login(agent)
    response = client.get(CHANGELIST)
    assert [tool["name"] for tool in response.context["objectactions"]] == ["file_case"]
    assert FILE_URL in response.content.decode()
    form = client.get(FILE_URL)
    assert form.status_code == 200
    assert set(form.context["form"].fields) == {"order_no", "refund", "party", "channel", "ground", "claim"}


def test_an_agent_files_a_case_by_order_number_for_a_caller(client, buyer, merchant, agent):
    item = signed_item(buyer, merchant)
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        response = client.post(
            FILE_URL,
            {
                "order_no": item.order.order_no,
                "party": "buyer",
                "channel": "phone",
                "ground": "logistics_lost",
                "claim": "The parcel never arrived.",
            },
        )
    case = Intervention.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:disputes_intervention_change", args=[case.pk])
    assert (case.order_item, case.applicant, case.channel, case.ground, case.tier) == (
        item,
        "buyer",
        "phone",
        "logistics_lost",
        Tier.AGENT,
    )
    log = last_log(case)
    assert (log.by, log.description) == (agent, "Opened by the buyer (filed by staff via Phone (电话客服))")


def test_an_agent_files_a_case_on_a_refused_refund(client, buyer, merchant, merchant_user, agent):
    refund = refused(buyer, merchant, merchant_user, refund_type="refund_only")
    client.force_login(agent)
    client.post(
        FILE_URL,
        {
            "refund": f"RF-{refund.pk}",
            "party": "buyer",
            "channel": "online_chat",
            "ground": "quality",
            "claim": "Broken on arrival.",
        },
    )
    case = Intervention.objects.get()
    assert (case.refund, case.channel) == (refund, "online_chat")
    refund.refresh_from_db()
    assert refund.intervention_requested_at is not None and refund.due_at is None


def test_filing_errors_redisplay_the_form_and_open_nothing(client, buyer, merchant, agent):
    pending = f.OrderItemFactory(order=signed_item(buyer, merchant).order, services=[])  # a second item
    waiting = at(
        T0,
        refund_apply,
        actor=buyer.user,
        order_item_id=signed_item(buyer, merchant).pk,
        refund_type="refund_only",
        reason="quality",
        amount_fen=10_000,
    )
    client.force_login(agent)
    base = {"party": "buyer", "channel": "phone", "ground": "quality", "claim": "Broken."}
    both = client.post(FILE_URL, {**base, "order_no": pending.order.order_no, "refund": f"RF-{waiting.pk}"})
    assert both.status_code == 200 and both.context["form"].non_field_errors()
    several = client.post(FILE_URL, {**base, "order_no": pending.order.order_no})
    assert "order_no" in several.context["form"].errors
    unknown = client.post(FILE_URL, {**base, "order_no": "T000"})
    assert "order_no" in unknown.context["form"].errors
    # The service refuses: the refund was not refused by the merchant.
    refused_by_service = client.post(FILE_URL, {**base, "refund": str(waiting.pk)})
    assert refused_by_service.status_code == 200
    [message] = refused_by_service.context["form"].non_field_errors()
    assert message.startswith("Intervention on a refund follows the merchant's refusal")
    assert not Intervention.objects.exists()


# Roles on the admin index ------------------------------------------------------------------------------------

CASE_MODELS = ("intervention", "evidenceitem", "evidencerequest", "mediationproposal", "judgment", "appeal")


def index_perms(client, user) -> dict[str, dict[str, bool]]:
    client.force_login(user)
    apps = {app["app_label"]: app for app in client.get("/admin/").context["app_list"]}
    return {m["object_name"].lower(): m["perms"] for m in apps["disputes"]["models"]}


@pytest.mark.parametrize("role", ["agent", "senior", "supervisor"])
def test_every_role_views_the_intervention_models_read_only(client, role, request):
    perms = index_perms(client, request.getfixturevalue(role))
    for model in CASE_MODELS:
        assert perms[model]["view"], model
        assert not (perms[model]["add"] or perms[model]["change"] or perms[model]["delete"]), model


def test_staff_without_a_role_sees_no_intervention_queue(client, staff_without_role):
    client.force_login(staff_without_role)
    assert client.get(CHANGELIST).status_code == 403
    response = client.post(
        FILE_URL, {"order_no": "T1", "party": "buyer", "channel": "phone", "claim": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert messages_of(response) == [("error", "You do not have permission to do this.")]
    assert not Intervention.objects.exists()


# Every button on a closed case: an error message from the service, and nothing changes.

FINE = {"reason": "Because.", "note": "Noted."}
AMOUNTS = {"refund_fen": "0", "compensation_points": "0"}
CASE_REFUSALS = [
    ("agent", "accept", {}, "Only a new case can be accepted"),
    ("supervisor", "assign", None, "Only an open case can be assigned."),
    ("agent", "escalate", FINE, "Only an open agent-tier case can be escalated."),
    ("agent", "refuse", FINE, "Only a new case can be refused"),
    (
        "agent",
        "request_evidence",
        {"party": "buyer", "note": "More.", "due_at_0": "2026-04-09", "due_at_1": "18:00:00"},
        "Evidence is asked for during evidence or mediation.",
    ),
    ("agent", "start_mediation", {}, "Mediation starts after evidence"),
    ("agent", "propose", {"outcome": "exchange", "terms": "Swap.", **AMOUNTS}, "Proposals are made in mediation."),
    ("agent", "judge", {"outcome": "exchange", "reasons": "Swap.", **AMOUNTS}, "Judgment follows evidence"),
    ("senior", "review", {"decision": "confirm", "reasons": "Ok.", **AMOUNTS}, "Only an appealed case is reviewed"),
    ("agent", "suspend", {"reason": "police", "note": "Reported."}, "Only a case in evidence or mediation can be"),
    ("agent", "record_proof", FINE, "Only a case suspended for court or police takes proof."),
    ("agent", "resume", FINE, "Only a suspended case can be resumed"),
    ("agent", "withdraw", FINE, "Only a case before judgment can be withdrawn"),
]


@pytest.mark.parametrize(("role", "button", "data", "message"), CASE_REFUSALS, ids=[r[1] for r in CASE_REFUSALS])
def test_every_button_on_a_withdrawn_case_is_refused_and_changes_nothing(
    client, request, new_case, agent, role, button, data, message
):
    from disputes.services.interventions.workflow import intervention_withdraw

    at(T0 + timedelta(hours=3), intervention_withdraw, actor=new_case.buyer.user, case_id=new_case.pk)
    new_case.refresh_from_db()
    before = (new_case.state, new_case.tier, new_case.assigned_to_id, new_case.closed_at, new_case.resume_due_at)
    logs_before = StateLog.objects.for_(new_case).count()
    with time_machine.travel(NOW, tick=False):
        client.force_login(request.getfixturevalue(role))
        response = client.post(action_url("intervention", new_case.pk, button), data or {"assign_to": agent.pk})
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "error" and text.startswith(message), text
    new_case.refresh_from_db()
    assert (
        new_case.state,
        new_case.tier,
        new_case.assigned_to_id,
        new_case.closed_at,
        new_case.resume_due_at,
    ) == before
    assert StateLog.objects.for_(new_case).count() == logs_before
    assert not (EvidenceRequest.objects.exists() or MediationProposal.objects.exists() or Judgment.objects.exists())


def test_every_button_form_opens(client, superuser, new_case):
    from disputes.admin.interventions import InterventionAdmin

    client.force_login(superuser)
    for name in InterventionAdmin.change_actions:
        response = client.get(action_url("intervention", new_case.pk, name))
        assert response.status_code == 200, name
        assert response.context["form"] is not None


def test_the_case_page_says_priority_express_and_the_amount_in_dispute_in_words(client, queue, senior):
    client.force_login(senior)
    express = queue["express"]
    html = client.get(f"/admin/disputes/intervention/{express.pk}/change/").content.decode()
    assert "first: an express case" in html
    refund = express.refund
    asked = f"{refund.amount_fen // 100:,}.{refund.amount_fen % 100:02d} 元"
    assert f"{asked} (the refund asked for;" in html
    senior_page = client.get(f"/admin/disputes/intervention/{queue['senior'].pk}/change/").content.decode()
    assert "second: the senior (小二) tier" in senior_page
    assert "paid for the item" in senior_page
    # A case that is not express says so in a word, not with the admin's red "no" icon.
    assert "icon-no.svg" not in senior_page


@pytest.mark.parametrize("path", ["/admin/disputes/intervention/", "/admin/disputes/refundrequest/"])
def test_the_clock_columns_come_right_after_the_state(client, superuser, path):
    # At 1440 px the last columns may need a scroll: the deadlines must not be among them.
    client.force_login(superuser)
    headers = [str(h["text"]) for h in client.get(path).context["result_headers"]]
    clocks = {"/admin/disputes/intervention/": "decision", "/admin/disputes/refundrequest/": "automatic action"}
    assert headers.index(clocks[path]) <= 3, headers
