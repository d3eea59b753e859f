"""Staff working a case (and the parties' evidence): accept or assign it, escalate to 小二, refuse it, ask for and
take evidence, start mediation, suspend and resume, and withdraw it for the applicant."""

from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.deadlines import in_time, open_q
from disputes.errors import InvalidTransition, NotFound, RuleRefused, ValidationFailed
from disputes.explain.deadlines import RULES
from disputes.models import (
    WORKING_STATES,
    CaseState,
    EvidenceItem,
    EvidenceRequest,
    Intervention,
    Party,
    SuspendReason,
    party_of,
)
from disputes.models.interventions.case import ASSIGNER, REVIEW, WORK
from disputes.models.steps import is_staff_with
from disputes.services.interventions.common import (
    case_text,
    check_assignee,
    checked_uploads,
    lock_case,
    require_party,
    store_evidence,
)
from disputes.services.refunds.platform import refund_release_from_case
from disputes.services.steps import audit, require_allowed, require_step


def intervention_accept(*, actor: Actor, case_id: int, assign_to: Actor | None = None) -> Intervention:
    """An agent claims a case, or a supervisor assigns it: evidence opens for the policy's window and the decision
    is due in the policy's number of working days on the Chinese calendar."""
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "accept", actor)
        agent = assign_to or actor
        if agent != actor:
            # Accepting for someone else is assigning (the supervisor's own declaration).
            refusal = ASSIGNER.refusal(case, actor)
            if refusal is not None:
                raise refusal
        check_assignee(case, agent)
        require_step(case, "accept", message="Only a new case can be accepted")
        policies = policy_table.load("intervention.")
        now = timezone.now()
        evidence_due, case.deadline_basis["evidence_due_at"] = RULES["intervention.evidence_due"].set(
            now, policies=policies
        )
        decision_due, case.deadline_basis["decision_due_at"] = RULES["intervention.decision_due"].set(
            now, policies=policies
        )
        case.accept(
            at=now,
            agent=agent,
            evidence_due_at=evidence_due,
            decision_due_at=decision_due,
            by=actor,
            description=f"Accepted, assigned to {agent}",
        )
        case.save()
    return case


def intervention_assign(*, actor: Actor, case_id: int, assign_to: Actor) -> Intervention:
    """A supervisor (re)assigns an open case; a new case is accepted for the assignee."""
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "assign", actor)
        if not is_staff_with(assign_to, WORK):
            raise RuleRefused("The assignee does not work intervention cases.", code="invalid_assignee")
        if case.state == CaseState.APPLIED:
            return intervention_accept(actor=actor, case_id=case_id, assign_to=assign_to)
        require_step(case, "assign", message="Only an open case can be assigned.", code="case_closed", say_state=False)
        check_assignee(case, assign_to)
        case.assign(agent=assign_to, by=actor, description=f"Assigned to {assign_to}")
        case.save()
    return case


def intervention_escalate(*, actor: Actor, case_id: int, reason: str) -> Intervention:
    """Move a case to the senior (小二) tier; it jumps the queue and a senior agent must take it."""
    why = case_text(reason, field="reason")
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "escalate", actor)
        require_step(
            case,
            "escalate",
            message="Only an open agent-tier case can be escalated.",
            code="cannot_escalate",
            say_state=False,
        )
        keep = case.assigned_to is not None and case.assigned_to.has_perm(REVIEW)
        case.escalate(keep_assignee=keep, by=actor, description=f"Escalated to 小二: {why}")
        case.save()
    return case


def intervention_refuse(*, actor: Actor, case_id: int, reason: str) -> Intervention:
    """Refuse a claim outside the rules (e.g. the buyer ignored the listing), with the reason."""
    why = case_text(reason, field="reason")
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "refuse", actor)
        require_step(case, "refuse", message="Only a new case can be refused")
        case.refuse(at=timezone.now(), note=why, by=actor, description=f"Refused: {why}")
        case.save()
        refund_release_from_case(case)
    return case


def intervention_request_evidence(
    *, actor: Actor, case_id: int, party: str, note: str, due_at: datetime
) -> EvidenceRequest:
    """Ask one party for more evidence by a deadline."""
    text = case_text(note, field="note")
    if party not in (Party.BUYER, Party.MERCHANT):
        raise ValidationFailed("party is buyer or merchant.", code="invalid_party")
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "request_evidence", actor)
        require_step(
            case,
            "request_evidence",
            message="Evidence is asked for during evidence or mediation.",
            code="not_working",
            say_state=False,
        )
        now = timezone.now()
        if timezone.is_naive(due_at) or due_at <= now:
            raise RuleRefused("The deadline must be in the future.", code="invalid_due_at")
        request = EvidenceRequest.objects.create(
            intervention=case, party=party, note=text, due_at=due_at, requested_by=actor
        )
        case.request_evidence(
            by=actor, description=f"More evidence asked of the {party} by {due_at:%Y-%m-%d %H:%M}: {text}"
        )
        case.save()
    return request


def intervention_submit_evidence(
    *, actor: Actor, case_id: int, text: str = "", files: list[UploadedFile] | None = None
) -> list[EvidenceItem]:
    """A party adds evidence within its deadline: the evidence window, the merchant's answer after the buyer's
    evidence, or an open request addressed to it. The buyer's first evidence starts the merchant's answer time."""
    body = case_text(text, field="text", required=False)
    uploads = checked_uploads(files)
    if not body and not uploads:
        raise ValidationFailed("Send text or at least one file.", code="evidence_empty")
    with transaction.atomic():
        case = lock_case(case_id)
        party = require_party(actor, case)
        if case.state not in WORKING_STATES:
            raise InvalidTransition("Evidence is accepted while the case is open.", code="evidence_closed")
        now = timezone.now()
        # Each deadline takes evidence through its last second (disputes.deadlines).
        open_requests = case.evidence_requests.filter(open_q("due_at", now), party=party, fulfilled_at__isnull=True)
        in_window = case.evidence_due_at is not None and in_time(now, case.evidence_due_at)
        answering = (
            party == Party.MERCHANT
            and case.merchant_answer_due_at is not None
            and in_time(now, case.merchant_answer_due_at)
        )
        if not (in_window or answering or open_requests.exists()):
            raise RuleRefused("Your evidence deadline has passed.", code="evidence_window_closed")
        items = store_evidence(case, party=party, actor=actor, text=body, files=uploads)
        open_requests.update(fulfilled_at=now)
        if party == Party.BUYER and case.merchant_answer_due_at is None:
            case.merchant_answer_due_at, case.deadline_basis["merchant_answer_due_at"] = RULES[
                "intervention.merchant_answer_due"
            ].set(now, policies=policy_table.load("intervention."))
            case.save(update_fields=["merchant_answer_due_at", "deadline_basis"])
        audit(case, actor=actor, step="submit_evidence", description=f"{len(items)} evidence item(s) from the {party}")
    return items


def intervention_start_mediation(*, actor: Actor, case_id: int) -> Intervention:
    """Staff move a case from evidence to mediation (the scheduler does it when the window closes)."""
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "start_mediation", actor)
        require_step(case, "start_mediation", message="Mediation starts after evidence")
        case.start_mediation(by=actor, description="Mediation started")
        case.save()
    return case


def intervention_suspend(*, actor: Actor, case_id: int, reason: str, note: str) -> Intervention:
    """Suspend (中止) on both parties' request or when a party goes to court or the police.

    Resumes by itself: after the policy's days when the parties were settling, after its working days when no
    proof that a court or the police took the matter arrives (intervention_record_proof extends it)."""
    text = case_text(note, field="note")
    if reason not in SuspendReason.values:
        raise ValidationFailed(f"reason must be one of {', '.join(SuspendReason.values)}.", code="invalid_reason")
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "suspend", actor)
        require_step(case, "suspend", message="Only a case in evidence or mediation can be suspended")
        policies = policy_table.load("intervention.")
        now = timezone.now()
        rule = (
            "intervention.resume_self_settle"
            if reason == SuspendReason.BOTH_PARTIES
            else "intervention.resume_court_proof"
        )
        resume, case.deadline_basis["resume_due_at"] = RULES[rule].set(now, policies=policies)
        case.suspend(at=now, reason=reason, resume_due_at=resume, by=actor, description=f"Suspended ({reason}): {text}")
        case.save()
    return case


def intervention_record_proof(*, actor: Actor, case_id: int, note: str) -> Intervention:
    """Proof arrived that the court or the police took the matter: the police get the policy's time; a court case
    stays suspended until staff resume it."""
    text = case_text(note, field="note")
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "record_proof", actor)
        require_step(
            case,
            "record_proof",
            message="Only a case suspended for court or police takes proof.",
            code="no_proof_expected",
            say_state=False,
        )
        resume = None
        if case.suspend_reason == SuspendReason.POLICE:
            resume, case.deadline_basis["resume_due_at"] = RULES["intervention.resume_police"].set(
                timezone.now(), policies=policy_table.load("intervention.")
            )
        case.record_proof(resume_due_at=resume, by=actor, description=f"Proof received: {text}")
        case.save()
    return case


def intervention_resume(*, actor: Actor, case_id: int, reason: str) -> Intervention:
    """Resume a suspended case where it stopped (staff, or the scheduler when its time comes)."""
    why = case_text(reason, field="reason")
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "resume", actor)
        require_step(case, "resume", message="Only a suspended case can be resumed")
        case.resume(at=timezone.now(), by=actor, description=f"Resumed: {why}")
        case.save()
    return case


def intervention_withdraw(*, actor: Actor, case_id: int, reason: str = "") -> Intervention:
    """The applicant (or staff for the applicant, with a reason) withdraws the case before judgment."""
    why = case_text(reason, field="reason", required=False)
    with transaction.atomic():
        case = lock_case(case_id)
        party = party_of(actor, case)
        if party is None and not is_staff_with(actor, WORK):
            raise NotFound("No such intervention case.", code="intervention_not_found")
        require_allowed(case, "withdraw", actor)
        if party is None and not why:
            raise ValidationFailed("Staff withdrawing for the applicant give a reason.", code="reason_required")
        require_step(case, "withdraw", message="Only a case before judgment can be withdrawn")
        case.withdraw(at=timezone.now(), by=actor, description=f"Withdrawn{': ' + why if why else ''}")
        case.save()
        refund_release_from_case(case)
    return case
