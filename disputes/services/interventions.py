"""Platform intervention services (客服介入): open, accept, evidence, mediation, judgment and its execution,
appeal and review, suspension, withdrawal, and the scheduler's pass over case deadlines."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import can_proceed
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes import sla
from disputes.actors import buyer_of, merchant_of, system_actor
from disputes.errors import DomainError, Forbidden, InvalidTransition, NotFound, ValidationFailed
from disputes.evidence import check_evidence_file
from disputes.models import (
    LEDGER_MODELS,
    AdvanceState,
    Buyer,
    BuyerPointsEntry,
    EntryKind,
    MerchantAccountEntry,
    OrderItem,
    RefundRequest,
    RefundState,
    Violation,
    ViolationKind,
    ViolationStatus,
)
from disputes.models.interventions import (
    OPEN_CASE_STATES,
    WORKING_STATES,
    Appeal,
    CaseState,
    Channel,
    EvidenceItem,
    EvidenceRequest,
    Ground,
    Intervention,
    Judgment,
    MediationProposal,
    Outcome,
    Party,
    ProposalStatus,
    SuspendReason,
    Tier,
)
from disputes.notifications import notify_after_commit
from disputes.services.inputs import clean_text
from disputes.services.ledger import ledger_post, ledger_reverse
from disputes.services.refund_money import RefundRow, advance_outstanding, refund_paid

MAX_TEXT = 4000
MAX_FILES = 10
BUYER_FAVOURING = (Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_REFUND, Outcome.COMPENSATION)


class InterventionNotAllowed(DomainError):
    """The claim is outside the rules; the message says which."""

    status = 422


# --- helpers ---------------------------------------------------------------------------------------


def _text(value: str | None, *, field: str, required: bool = True) -> str:
    return clean_text(value, field=field, required=required, max_length=MAX_TEXT)  # claims run longer


def _lock(case_id: int) -> Intervention:
    case = Intervention.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such intervention case.", code="intervention_not_found")
    return case


def _require(case: Intervention, name: str, message: str) -> None:
    if not can_proceed(getattr(case, name)):
        raise InvalidTransition(f"{message} (the case is {case.get_state_display()}).", details={"state": case.state})


def party_of(actor: Any, case: Intervention) -> str | None:
    """Which side of the case the actor is on: buyer, merchant, or None."""
    buyer = buyer_of(actor)
    if buyer is not None and buyer.pk == case.buyer_id:
        return Party.BUYER
    merchant = merchant_of(actor)
    if merchant is not None and merchant.pk == case.merchant_id:
        return Party.MERCHANT
    return None


def _require_party(actor: Any, case: Intervention) -> str:
    party = party_of(actor, case)
    if party is None:
        raise NotFound("No such intervention case.", code="intervention_not_found")
    return party


def _is_staff_with(actor: Any, perm: str) -> bool:
    return bool(getattr(actor, "is_staff", False) and actor.has_perm(perm))


def _require_worker(actor: Any, case: Intervention) -> None:
    """Staff who may work this case: 小二-tier cases need a senior agent."""
    if not _is_staff_with(actor, "disputes.work_intervention"):
        raise Forbidden("Only intervention staff may do this.", code="staff_permission_required")
    if case.tier == Tier.SENIOR and not actor.has_perm("disputes.review_intervention"):
        raise Forbidden("This case is in the senior (小二) tier.", code="senior_tier_required")


def _check_assignee(case: Intervention, agent: Any) -> None:
    """The assignee works intervention cases, and a 小二-tier case goes to a senior agent only: otherwise it
    would sit with someone _require_worker refuses."""
    if not _is_staff_with(agent, "disputes.work_intervention"):
        raise ValidationFailed("The assignee does not work intervention cases.", code="invalid_assignee")
    if case.tier == Tier.SENIOR and not agent.has_perm("disputes.review_intervention"):
        raise Forbidden("This case is in the senior (小二) tier.", code="senior_tier_required")


def _log(case: Intervention, *, actor: Any, transition: str, source: str | None, description: str) -> None:
    StateLog.objects.create(
        by=actor,
        source_state=source,
        state=case.state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(Intervention),
        object_id=case.pk,
        description=description[:2000],
    )


def _priority(*, express: bool, tier: str) -> int:
    return 2 if express else 1 if tier == Tier.SENIOR else 0


def _store_evidence(
    case: Intervention, *, party: str, actor: Any, text: str, files: list[UploadedFile], for_appeal: bool = False
) -> list[EvidenceItem]:
    checked = [(f, check_evidence_file(f)) for f in files]
    items = []
    if text:
        items.append(
            EvidenceItem.objects.create(
                intervention=case, party=party, text=text, submitted_by=actor, for_appeal=for_appeal
            )
        )
    for upload, info in checked:
        items.append(
            EvidenceItem.objects.create(
                intervention=case,
                party=party,
                file=upload,
                original_name=info.original_name,
                content_type=info.content_type,
                size=info.size,
                submitted_by=actor,
                for_appeal=for_appeal,
            )
        )
    return items


def _files(files: list[UploadedFile] | None) -> list[UploadedFile]:
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"At most {MAX_FILES} files.", code="too_many_files")
    for f in files:
        check_evidence_file(f)
    return files


# --- opening ---------------------------------------------------------------------------------------


def intervention_open(
    *,
    actor: Any,
    ground: str,
    claim: str,
    order_item_id: int | None = None,
    refund_id: int | None = None,
    channel: str | None = None,
    on_behalf_of: str | None = None,
    files: list[UploadedFile] | None = None,
) -> Intervention:
    """Open a case: a buyer after a refused refund or on a listed ground; a merchant after refusing returned
    goods; staff from the phone or online-chat channel (or 小二 escalation) on a party's behalf.

    Refuses claims outside the rules (422 with a reason): virtual goods before 3 days after the refund
    request, a merchant without a refusal of goods, a second open case on the item (intervention_exists).
    The refusal clock on the refund stops. Raises InterventionNotAllowed, DomainError, NotFound, ValidationFailed.
    """
    if ground not in Ground.values:
        raise ValidationFailed(f"ground must be one of {', '.join(Ground.values)}.", code="invalid_ground")
    text = _text(claim, field="claim")
    uploads = _files(files)
    staff = getattr(actor, "is_staff", False)
    if staff:
        if not actor.has_perm("disputes.work_intervention"):
            raise Forbidden("Only intervention staff may file a case.", code="staff_permission_required")
        if on_behalf_of not in (Party.BUYER, Party.MERCHANT):
            raise ValidationFailed(
                "Staff file a case on behalf of the buyer or the merchant.", code="on_behalf_required"
            )
        if channel not in (Channel.PHONE, Channel.ONLINE_CHAT, Channel.SENIOR):
            raise ValidationFailed("Staff file from the phone, online chat or 小二 channel.", code="invalid_channel")
        applicant = on_behalf_of
    else:
        channel = Channel.ORDER_PAGE
        applicant = None
    with transaction.atomic():
        refund = None
        if refund_id is not None:
            refund = RefundRequest.objects.select_for_update().select_related("order_item").filter(pk=refund_id).first()
            if refund is None:
                raise NotFound("No such refund request.", code="refund_not_found")
            item = refund.order_item
        elif order_item_id is not None:
            # The item's row lock serializes openings on one item (the refund lock above takes it too, through
            # the join): without it two requests both find no open case and both create one.
            item = (
                OrderItem.objects.select_for_update(of=("self",))
                .select_related("order", "product")
                .filter(pk=order_item_id)
                .first()
            )
            if item is None:
                raise NotFound("No such order item.", code="order_item_not_found")
        else:
            raise ValidationFailed("Name the refund request or the order item.", code="subject_required")
        order = item.order
        if not staff:
            buyer, merchant = buyer_of(actor), merchant_of(actor)
            if buyer is not None and buyer.pk == order.buyer_id:
                applicant = Party.BUYER
            elif merchant is not None and merchant.pk == order.merchant_id:
                applicant = Party.MERCHANT
            elif refund is not None:
                # The same answer as for a missing refund: another party's refund must not be told apart.
                raise NotFound("No such refund request.", code="refund_not_found")
            else:
                raise NotFound("No such order item on your orders.", code="order_item_not_found")
        _check_grounds(applicant=applicant, ground=ground, refund=refund, item=item)
        if Intervention.objects.filter(
            order_item=item, state__in=[*OPEN_CASE_STATES, CaseState.JUDGED, CaseState.APPEALED]
        ).exists():
            raise DomainError("An intervention case on this item is already open.", code="intervention_exists")
        tier = Tier.SENIOR if channel == Channel.SENIOR else Tier.AGENT
        express = bool(refund and refund.express)
        case = Intervention.objects.create(
            order_item=item,
            refund=refund,
            buyer_id=order.buyer_id,
            merchant_id=order.merchant_id,
            applicant=applicant,
            channel=channel,
            ground=ground,
            claim=text,
            tier=tier,
            express=express,
            priority=_priority(express=express, tier=tier),
        )
        by_staff = f" (filed by staff via {Channel(channel).label})" if staff else ""
        _log(case, actor=actor, transition="open", source=None, description=f"Opened by the {applicant}{by_staff}")
        _store_evidence(case, party=applicant, actor=actor, text="", files=uploads)
        if refund is not None:
            refund.intervention_requested_at = timezone.now()
            refund.due_at, refund.due_action = None, ""
            refund.save(update_fields=["intervention_requested_at", "due_at", "due_action"])
        notify_after_commit("intervention.opened", case="intervention", case_id=case.pk)
    return case


def _check_grounds(*, applicant: str, ground: str, refund: RefundRequest | None, item: OrderItem) -> None:
    policies = policy_table.load("intervention.")
    if item.product.is_virtual:
        wait = policies.duration("intervention.virtual_goods_wait")
        if refund is None or timezone.now() < refund.created_at + wait:
            raise InterventionNotAllowed(
                "For virtual goods, intervention can be asked 3 days after the refund request.",
                code="virtual_goods_wait",
            )
    if refund is not None and refund.state != RefundState.SELLER_REFUSED:
        raise InterventionNotAllowed(
            f"Intervention on a refund follows the merchant's refusal; this refund is {refund.get_state_display()}.",
            code="refund_not_refused",
        )
    if applicant == Party.MERCHANT:
        if refund is None or not refund.refused_goods or ground != Ground.GOODS_REFUSED:
            raise InterventionNotAllowed(
                "A merchant asks for intervention after refusing the returned goods.", code="merchant_ground"
            )
    elif ground == Ground.GOODS_REFUSED and (refund is None or not refund.refused_goods):
        raise InterventionNotAllowed("The merchant did not refuse returned goods.", code="ground_mismatch")


# --- staff workflow --------------------------------------------------------------------------------


def intervention_accept(*, actor: Any, case_id: int, assign_to: Any = None) -> Intervention:
    """An agent claims a case, or a supervisor assigns it: evidence opens for 3 days and the decision
    is due in 6 working days on the Chinese calendar."""
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        agent = assign_to or actor
        if agent != actor and not actor.has_perm("disputes.assign_intervention"):
            raise Forbidden("Only a supervisor assigns cases to others.", code="assign_permission_required")
        _check_assignee(case, agent)
        _require(case, "accept", "Only a new case can be accepted")
        policies = policy_table.load("intervention.")
        now = timezone.now()
        case.accept(
            at=now,
            agent=agent,
            evidence_due_at=now + policies.duration("intervention.evidence_window"),
            decision_due_at=sla.add_working_days(now, policies.int("intervention.decision_due")),
            by=actor,
            description=f"Accepted, assigned to {agent}",
        )
        case.save()
        notify_after_commit("intervention.accepted", case="intervention", case_id=case.pk)
    return case


def intervention_assign(*, actor: Any, case_id: int, assign_to: Any) -> Intervention:
    """A supervisor (re)assigns an open case."""
    if not _is_staff_with(actor, "disputes.assign_intervention"):
        raise Forbidden("Only a supervisor assigns cases.", code="assign_permission_required")
    if not _is_staff_with(assign_to, "disputes.work_intervention"):
        raise ValidationFailed("The assignee does not work intervention cases.", code="invalid_assignee")
    with transaction.atomic():
        case = _lock(case_id)
        if case.state not in OPEN_CASE_STATES:
            raise InvalidTransition("Only an open case can be assigned.", code="case_closed")
        if case.state == CaseState.APPLIED:
            return intervention_accept(actor=actor, case_id=case_id, assign_to=assign_to)
        _check_assignee(case, assign_to)
        case.assigned_to = assign_to
        case.save(update_fields=["assigned_to"])
        _log(case, actor=actor, transition="assign", source=case.state, description=f"Assigned to {assign_to}")
    return case


def intervention_escalate(*, actor: Any, case_id: int, reason: str) -> Intervention:
    """Move a case to the senior (小二) tier; it jumps the queue and a senior agent must take it."""
    why = _text(reason, field="reason")
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        if case.state not in OPEN_CASE_STATES or case.tier == Tier.SENIOR:
            raise InvalidTransition("Only an open agent-tier case can be escalated.", code="cannot_escalate")
        case.tier = Tier.SENIOR
        case.priority = _priority(express=case.express, tier=case.tier)
        if case.assigned_to is not None and not case.assigned_to.has_perm("disputes.review_intervention"):
            case.assigned_to = None
        case.save(update_fields=["tier", "priority", "assigned_to"])
        _log(case, actor=actor, transition="escalate", source=case.state, description=f"Escalated to 小二: {why}")
    return case


def intervention_refuse(*, actor: Any, case_id: int, reason: str) -> Intervention:
    """Refuse a claim outside the rules (e.g. the buyer ignored the listing), with the reason."""
    why = _text(reason, field="reason")
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        _require(case, "refuse", "Only a new case can be refused")
        case.refuse(at=timezone.now(), by=actor, description=f"Refused: {why}")
        case.outcome_note = why
        case.save()
        _release_refund(case)
    return case


def _release_refund(case: Intervention) -> None:
    """A case ended without a decision on the refund: its refusal clock runs again."""
    if case.refund_id is None:
        return
    from disputes.services.refunds import next_deadline

    refund = RefundRequest.objects.select_for_update().get(pk=case.refund_id)
    if refund.state == RefundState.SELLER_REFUSED:
        refund.intervention_requested_at = None
        refund.refused_at = timezone.now()
        refund.due_at, refund.due_action = next_deadline(refund, policy_table.load("refund."))
        refund.save(update_fields=["intervention_requested_at", "refused_at", "due_at", "due_action"])


def intervention_request_evidence(
    *, actor: Any, case_id: int, party: str, note: str, due_at: datetime
) -> EvidenceRequest:
    """Ask one party for more evidence by a deadline."""
    text = _text(note, field="note")
    if party not in (Party.BUYER, Party.MERCHANT):
        raise ValidationFailed("party is buyer or merchant.", code="invalid_party")
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        if case.state not in WORKING_STATES:
            raise InvalidTransition("Evidence is asked for during evidence or mediation.", code="not_working")
        now = timezone.now()
        if timezone.is_naive(due_at) or due_at <= now:
            raise ValidationFailed("The deadline must be in the future.", code="invalid_due_at")
        request = EvidenceRequest.objects.create(
            intervention=case, party=party, note=text, due_at=due_at, requested_by=actor
        )
        _log(
            case,
            actor=actor,
            transition="request_evidence",
            source=case.state,
            description=f"More evidence asked of the {party} by {due_at:%Y-%m-%d %H:%M}: {text}",
        )
        notify_after_commit("intervention.evidence_requested", case="intervention", case_id=case.pk)
    return request


def intervention_submit_evidence(
    *, actor: Any, case_id: int, text: str = "", files: list[UploadedFile] | None = None
) -> list[EvidenceItem]:
    """A party adds evidence within its deadline: the 3-day window, the merchant's 24 h answer after the
    buyer's evidence, or an open request addressed to it. The buyer's first evidence starts the merchant's 24 h."""
    body = _text(text, field="text", required=False)
    uploads = _files(files)
    if not body and not uploads:
        raise ValidationFailed("Send text or at least one file.", code="evidence_empty")
    with transaction.atomic():
        case = _lock(case_id)
        party = _require_party(actor, case)
        if case.state not in WORKING_STATES:
            raise InvalidTransition("Evidence is accepted while the case is open.", code="evidence_closed")
        now = timezone.now()
        open_requests = case.evidence_requests.filter(party=party, fulfilled_at__isnull=True, due_at__gt=now)
        in_window = case.evidence_due_at is not None and now < case.evidence_due_at
        answering = (
            party == Party.MERCHANT and case.merchant_answer_due_at is not None and now < case.merchant_answer_due_at
        )
        if not (in_window or answering or open_requests.exists()):
            raise InvalidTransition("Your evidence deadline has passed.", code="evidence_window_closed")
        items = _store_evidence(case, party=party, actor=actor, text=body, files=uploads)
        open_requests.update(fulfilled_at=now)
        if party == Party.BUYER and case.merchant_answer_due_at is None:
            hours = policy_table.load("intervention.").duration("intervention.merchant_answer")
            case.merchant_answer_due_at = now + hours
            case.save(update_fields=["merchant_answer_due_at"])
        _log(
            case,
            actor=actor,
            transition="submit_evidence",
            source=case.state,
            description=f"{len(items)} evidence item(s) from the {party}",
        )
        notify_after_commit("intervention.evidence_submitted", case="intervention", case_id=case.pk)
    return items


def intervention_start_mediation(*, actor: Any, case_id: int) -> Intervention:
    """Staff move a case from evidence to mediation (the scheduler does it when the window closes)."""
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        _require(case, "start_mediation", "Mediation starts after evidence")
        case.start_mediation(by=actor, description="Mediation started")
        case.save()
    return case


def intervention_propose(
    *, actor: Any, case_id: int, outcome: str, terms: str, refund_fen: int = 0, compensation_points: int = 0
) -> MediationProposal:
    """Staff propose terms; when both parties accept, the agreement closes the case and is executed."""
    text = _text(terms, field="terms")
    _check_outcome(outcome, refund_fen, compensation_points)
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        if case.state != CaseState.MEDIATION:
            raise InvalidTransition("Proposals are made in mediation.", code="not_in_mediation")
        _check_refund_amount(case, outcome, refund_fen)
        MediationProposal.objects.filter(intervention=case, status=ProposalStatus.OPEN).update(
            status=ProposalStatus.DECLINED, declined_by=Party.STAFF
        )
        proposal = MediationProposal.objects.create(
            intervention=case,
            outcome=outcome,
            refund_fen=refund_fen,
            compensation_points=compensation_points,
            terms=text,
            proposed_by=actor,
        )
        _log(case, actor=actor, transition="propose", source=case.state, description=f"Proposal: {text}")
        notify_after_commit("intervention.proposal", case="intervention", case_id=case.pk)
    return proposal


def intervention_respond(*, actor: Any, proposal_id: int, accept: bool) -> MediationProposal:
    """A party accepts or declines the open proposal; both accepting is an agreement, executed at once."""
    with transaction.atomic():
        proposal = MediationProposal.objects.select_for_update().filter(pk=proposal_id).first()
        if proposal is None:
            raise NotFound("No such proposal.", code="proposal_not_found")
        case = _lock(proposal.intervention_id)
        party = _require_party(actor, case)
        if proposal.status != ProposalStatus.OPEN or case.state != CaseState.MEDIATION:
            raise InvalidTransition("This proposal is no longer open.", code="proposal_closed")
        now = timezone.now()
        if not accept:
            proposal.status, proposal.declined_by = ProposalStatus.DECLINED, party
            proposal.save(update_fields=["status", "declined_by"])
            _log(
                case,
                actor=actor,
                transition="decline_proposal",
                source=case.state,
                description=f"Proposal declined by the {party}",
            )
            return proposal
        if party == Party.BUYER:
            proposal.buyer_accepted_at = now
        else:
            proposal.merchant_accepted_at = now
        if proposal.buyer_accepted_at and proposal.merchant_accepted_at:
            proposal.status = ProposalStatus.ACCEPTED
            case.agree(at=now, terms=proposal.terms, by=actor, description="Both parties accepted: agreement")
            case.save()
            judgment = Judgment.objects.create(
                intervention=case,
                outcome=proposal.outcome,
                refund_fen=proposal.refund_fen,
                compensation_points=proposal.compensation_points,
                reasons=f"Mediation agreement: {proposal.terms}",
                judged_by=proposal.proposed_by,
                via_agreement=True,
            )
            _execute(judgment, case=case, actor=actor)
        proposal.save()
        _log(
            case,
            actor=actor,
            transition="accept_proposal",
            source=CaseState.MEDIATION,
            description=f"Proposal accepted by the {party}",
        )
    return proposal


def _check_outcome(outcome: str, refund_fen: Any, compensation_points: Any) -> None:
    if outcome not in Outcome.values:
        raise ValidationFailed(f"outcome must be one of {', '.join(Outcome.values)}.", code="invalid_outcome")
    for name, value in (("refund_fen", refund_fen), ("compensation_points", compensation_points)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationFailed(f"{name} must be a whole number, zero or more.", code="invalid_amount")
    if outcome == Outcome.PARTIAL_REFUND and refund_fen <= 0:
        raise ValidationFailed("A partial refund needs an amount.", code="invalid_amount")
    if outcome == Outcome.COMPENSATION and compensation_points <= 0:
        raise ValidationFailed("Compensation needs an amount of points.", code="invalid_amount")
    if outcome == Outcome.SUPPORT_MERCHANT and (refund_fen or compensation_points):
        raise ValidationFailed("Supporting the merchant moves no money to the buyer.", code="invalid_amount")


def _check_violation(outcome: str, violation_kind: str) -> None:
    if violation_kind and violation_kind not in ViolationKind.values:
        raise ValidationFailed("Unknown violation kind.", code="invalid_violation_kind")
    if violation_kind and outcome == Outcome.SUPPORT_MERCHANT:
        raise ValidationFailed("A judgment for the merchant records no violation.", code="invalid_violation_kind")


def _check_refund_amount(case: Intervention, outcome: str, refund_fen: int) -> None:
    if outcome not in (Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND):
        return
    from disputes.services.refunds import _refundable

    refundable = _refundable(case.order_item, exclude_id=case.refund_id)
    if refund_fen > refundable:
        raise ValidationFailed(
            f"The refund {refund_fen} fen is more than the {refundable} fen still refundable.",
            code="amount_exceeds_refundable",
        )


def intervention_judge(
    *,
    actor: Any,
    case_id: int,
    outcome: str,
    reasons: str,
    refund_fen: int = 0,
    compensation_points: int = 0,
    violation_kind: str = "",
) -> Judgment:
    """Give the judgment: the system executes it at once (refunds paid, compensation credited, a violation
    recorded when the merchant is at fault), exactly once; the 7-day appeal window opens."""
    why = _text(reasons, field="reasons")
    _check_outcome(outcome, refund_fen, compensation_points)
    _check_violation(outcome, violation_kind)
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        _require(case, "judge", "Judgment follows evidence or mediation")
        _check_refund_amount(case, outcome, refund_fen)
        now = timezone.now()
        appeal_due = now + policy_table.load("intervention.").duration("intervention.appeal_window")
        MediationProposal.objects.filter(intervention=case, status=ProposalStatus.OPEN).update(
            status=ProposalStatus.DECLINED, declined_by=Party.STAFF
        )
        case.judge(appeal_due_at=appeal_due, note=why, by=actor, description=f"Judged: {Outcome(outcome).label}")
        case.save()
        judgment = Judgment.objects.create(
            intervention=case,
            outcome=outcome,
            refund_fen=refund_fen,
            compensation_points=compensation_points,
            violation_kind=violation_kind,
            reasons=why,
            judged_by=actor,
        )
        _execute(judgment, case=case, actor=actor)
        notify_after_commit("intervention.judged", case="intervention", case_id=case.pk)
    return judgment


def intervention_appeal(*, actor: Any, case_id: int, reasons: str, files: list[UploadedFile] | None = None) -> Appeal:
    """A party appeals within 7 days of the judgment, with new reasons (and new evidence if any)."""
    why = _text(reasons, field="reasons")
    uploads = _files(files)
    with transaction.atomic():
        case = _lock(case_id)
        party = _require_party(actor, case)
        if case.state == CaseState.AGREED:
            raise InvalidTransition("An agreement is not appealed.", code="agreement_final")
        _require(case, "appeal", "Only a judgment in its appeal window can be appealed")
        if timezone.now() >= case.appeal_due_at:
            raise InvalidTransition("The 7-day appeal window has closed.", code="appeal_window_closed")
        judgment = case.judgments.filter(superseded_by__isnull=True).latest("judged_at", "id")
        if judgment.via_agreement:
            raise InvalidTransition("An agreement is not appealed.", code="agreement_final")
        if why.strip() == judgment.reasons.strip():
            raise ValidationFailed("An appeal brings new reasons or evidence.", code="appeal_needs_new_reasons")
        appeal = Appeal.objects.create(
            intervention=case, judgment=judgment, party=party, reasons=why, appealed_by=actor
        )
        _store_evidence(case, party=party, actor=actor, text="", files=uploads, for_appeal=True)
        case.appeal(by=actor, description=f"Appealed by the {party}")
        case.save()
        notify_after_commit("intervention.appealed", case="intervention", case_id=case.pk)
    return appeal


def intervention_review(
    *,
    actor: Any,
    case_id: int,
    overturn: bool,
    reasons: str,
    outcome: str | None = None,
    refund_fen: int = 0,
    compensation_points: int = 0,
    violation_kind: str = "",
) -> Appeal:
    """A senior reviewer who is not the original judge confirms or overturns; final either way.

    An overturn reverses every posting of the old judgment with compensating entries, revokes its
    violation, and executes the new judgment.
    """
    why = _text(reasons, field="reasons")
    if not _is_staff_with(actor, "disputes.review_intervention"):
        raise Forbidden("Only a senior reviewer reviews appeals.", code="reviewer_permission_required")
    if overturn:
        if outcome is None:
            raise ValidationFailed("An overturn states the new outcome.", code="outcome_required")
        _check_outcome(outcome, refund_fen, compensation_points)
        _check_violation(outcome, violation_kind)
    with transaction.atomic():
        case = _lock(case_id)
        _require(case, "review", "Only an appealed case is reviewed")
        appeal = Appeal.objects.select_for_update().get(intervention=case, reviewed_at__isnull=True)
        old = appeal.judgment
        if old.judged_by_id == actor.pk:
            raise Forbidden("The reviewer must not be the judge of the appealed judgment.", code="reviewer_is_judge")
        now = timezone.now()
        appeal.reviewed_at, appeal.reviewed_by, appeal.overturned, appeal.review_reasons = now, actor, overturn, why
        appeal.save(update_fields=["reviewed_at", "reviewed_by", "overturned", "review_reasons"])
        if overturn:
            # Reverse first: the old judgment's refund no longer counts against what is refundable.
            _reverse(old, actor=actor, reason=f"Overturned on review: {why}")
            _reopen_refund(old, case=case, actor=actor, reason=why)
            _check_refund_amount(case, outcome, refund_fen)
            new = Judgment.objects.create(
                intervention=case,
                outcome=outcome,
                refund_fen=refund_fen,
                compensation_points=compensation_points,
                violation_kind=violation_kind,
                reasons=why,
                judged_by=actor,
                via_review=True,
                supersedes=old,
            )
            _execute(new, case=case, actor=actor)
        case.review(at=now, note=why, by=actor, description=("Overturned" if overturn else "Confirmed") + f": {why}")
        case.save()
        notify_after_commit("intervention.reviewed", case="intervention", case_id=case.pk)
    return appeal


def intervention_suspend(*, actor: Any, case_id: int, reason: str, note: str) -> Intervention:
    """Suspend (中止) on both parties' request or when a party goes to court or the police.

    Resumes by itself: after 30 days when the parties were settling, after 7 working days when no proof
    that a court or the police took the matter arrives (intervention_record_proof extends it)."""
    text = _text(note, field="note")
    if reason not in SuspendReason.values:
        raise ValidationFailed(f"reason must be one of {', '.join(SuspendReason.values)}.", code="invalid_reason")
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        _require(case, "suspend", "Only a case in evidence or mediation can be suspended")
        policies = policy_table.load("intervention.")
        now = timezone.now()
        if reason == SuspendReason.BOTH_PARTIES:
            resume = now + policies.duration("intervention.suspend_self_settle")
        else:
            resume = sla.add_working_days(now, policies.int("intervention.suspend_court_proof"))
        case.suspend(at=now, reason=reason, resume_due_at=resume, by=actor, description=f"Suspended ({reason}): {text}")
        case.save()
    return case


def intervention_record_proof(*, actor: Any, case_id: int, note: str) -> Intervention:
    """Proof arrived that the court or the police took the matter: the police get 6 months; a court case
    stays suspended until staff resume it."""
    text = _text(note, field="note")
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        if case.state != CaseState.SUSPENDED or case.suspend_reason not in (SuspendReason.COURT, SuspendReason.POLICE):
            raise InvalidTransition("Only a case suspended for court or police takes proof.", code="no_proof_expected")
        policies = policy_table.load("intervention.")
        if case.suspend_reason == SuspendReason.POLICE:
            case.resume_due_at = timezone.now() + policies.duration("intervention.suspend_police")
        else:
            case.resume_due_at = None
        case.save(update_fields=["resume_due_at"])
        _log(case, actor=actor, transition="record_proof", source=case.state, description=f"Proof received: {text}")
    return case


def intervention_resume(*, actor: Any, case_id: int, reason: str) -> Intervention:
    """Resume a suspended case where it stopped (staff, or the scheduler when its time comes)."""
    why = _text(reason, field="reason")
    with transaction.atomic():
        case = _lock(case_id)
        _require_worker(actor, case)
        _require(case, "resume", "Only a suspended case can be resumed")
        case.resume(at=timezone.now(), by=actor, description=f"Resumed: {why}")
        case.save()
    return case


def intervention_withdraw(*, actor: Any, case_id: int, reason: str = "") -> Intervention:
    """The applicant (or staff for the applicant) withdraws the case before judgment."""
    why = _text(reason, field="reason", required=False)
    with transaction.atomic():
        case = _lock(case_id)
        party = party_of(actor, case)
        if party is None:
            if not _is_staff_with(actor, "disputes.work_intervention"):
                raise NotFound("No such intervention case.", code="intervention_not_found")
            if not why:
                raise ValidationFailed("Staff withdrawing for the applicant give a reason.", code="reason_required")
        elif party != case.applicant:
            raise Forbidden("Only the applicant can withdraw the case.", code="applicant_only")
        _require(case, "withdraw", "Only a case before judgment can be withdrawn")
        case.withdraw(at=timezone.now(), by=actor, description=f"Withdrawn{': ' + why if why else ''}")
        case.save()
        _release_refund(case)
    return case


# --- execution -----------------------------------------------------------------------------------


def _key(judgment: Judgment, what: str) -> str:
    return f"judgment:{judgment.pk}:{what}"


def _execute(judgment: Judgment, *, case: Intervention, actor: Any) -> None:
    """Carry out a judgment: every posting keyed by (judgment, what), so a retry posts nothing twice."""
    now = timezone.now()
    refund = RefundRequest.objects.select_for_update().filter(pk=case.refund_id).first() if case.refund_id else None
    outcome = judgment.outcome
    desc = f"By judgment {case.number}: {Outcome(outcome).label}"
    before = refund.judgment_snapshot() if refund is not None else None
    if outcome in (Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND) or (
        outcome == Outcome.RETURN_REFUND and refund is not None and refund.refused_goods
    ):
        amount = judgment.refund_fen
        if outcome != Outcome.PARTIAL_REFUND and not amount:
            amount = refund.amount_fen if refund is not None and refund.amount_fen else _full_amount(case)
            judgment.refund_fen = amount
        _pay_refund(judgment, case=case, refund=refund, amount=amount, actor=actor, at=now, description=desc)
    elif outcome in (Outcome.RETURN_REFUND, Outcome.EXCHANGE, Outcome.REPAIR) and refund is not None:
        if can_proceed(refund.agree_by_judgment):
            refund.agree_by_judgment(
                at=now, address=refund.merchant.full_return_address[:300], by=actor, description=desc
            )
            from disputes.services.refunds import next_deadline

            refund.due_at, refund.due_action = next_deadline(refund, policy_table.load("refund."))
            refund.save()
    elif (
        outcome in (Outcome.SUPPORT_MERCHANT, Outcome.COMPENSATION)
        and refund is not None
        and refund.state in (RefundState.SELLER_REFUSED, RefundState.WAIT_SELLER_AGREE)
    ):
        # Compensation decides the dispute in the buyer's favour without a refund: the request is closed too,
        # or it would wait in "refused" with no deadline once the case is final.
        reason = "Judged for the merchant" if outcome == Outcome.SUPPORT_MERCHANT else "Compensated by judgment"
        refund.close_by_judgment(at=now, reason=reason, by=actor, description=desc)
        refund.due_at, refund.due_action = None, ""
        refund.save()
    if refund is not None:
        if refund.state != before["state"] and judgment.refund_before is None:
            judgment.refund_before = {"before": before, "after": refund.state}
        _settle_advance(refund, actor=actor, at=now)
    if judgment.compensation_points:
        common = {
            "kind": EntryKind.COMPENSATION,
            "idempotency_key": _key(judgment, "compensation"),
            "actor": actor,
            "source": judgment,
            "occurred_at": now,
            "memo": f"{case.number} compensation by judgment",
        }
        ledger_post(model=BuyerPointsEntry, amount=judgment.compensation_points, buyer_id=case.buyer_id, **common)
        ledger_post(
            model=MerchantAccountEntry, amount=-judgment.compensation_points, merchant_id=case.merchant_id, **common
        )
    if judgment.violation_kind:
        _record_violation(judgment, case=case, actor=actor, at=now)
    judgment.executed_at = now
    judgment.save(update_fields=["executed_at", "refund_fen", "refund_before"])


def _reopen_refund(judgment: Judgment, *, case: Intervention, actor: Any, reason: str) -> None:
    """Put the linked refund back as the overturned judgment found it, so that the new judgment decides it
    afresh: a refund the old one paid does not stay successful at the old amount (it would count as
    refunded, and read so to both parties), one it closed can be agreed to. A refund that has moved on
    since (the buyer has shipped the goods it agreed to take back) is left as it is, and said so."""
    snapshot = judgment.refund_before
    if not snapshot or case.refund_id is None:
        return
    refund = RefundRequest.objects.select_for_update().get(pk=case.refund_id)
    if refund.state != snapshot["after"]:
        # In the case's history, where staff working the review read it.
        _log(
            case,
            actor=actor,
            transition="refund_not_reopened",
            source=case.state,
            description=f"RF-{refund.pk} has moved on to {refund.state} since the overturned judgment; "
            "it is not put back, and the new judgment executes on it as it stands",
        )
        return
    refund.reopen_by_review(
        before=snapshot["before"], by=actor, description=f"Judgment {case.number} overturned on review: {reason}"
    )
    refund.save()


def _settle_advance(refund: RefundRequest, *, actor: Any, at: datetime) -> None:
    """Once a judgment (or its overturn on review) has finished a refund the platform advanced on: whatever
    the ledger still shows outstanding stays with the buyer, who owes it back (repayment notice, the usual
    deadline, then the privilege goes); nothing outstanding settles the advance. A partial refund thus
    leaves the buyer owing the rest of the advance, and an overturn moves the debt with the new outcome."""
    if refund.state not in (RefundState.SUCCESS, RefundState.CLOSED) or refund.advance_state not in (
        AdvanceState.ADVANCED,
        AdvanceState.MERCHANT_REFUSED_GOODS,
        AdvanceState.SETTLED,
    ):
        return
    owed = advance_outstanding(refund)
    if owed > 0:
        if refund.advance_state != AdvanceState.MERCHANT_REFUSED_GOODS:
            refund.advance_owed_by_judgment(by=actor, description=f"By judgment the buyer owes {owed} fen back")
        # Each judgment that leaves a debt sends its notice, with a fresh deadline for the amount it leaves.
        refund.repaid_at = None
        refund.repayment_notice_at = at
        refund.repayment_due_at = at + policy_table.load("refund.").duration("refund.advance_repay_window")
        notify_after_commit("refund.advance_repayment_notice", case="refund", case_id=refund.pk)
    elif refund.advance_state != AdvanceState.SETTLED:
        refund.settle_advance(by=actor, description="Advance recovered from the merchant by judgment")
        refund.repayment_due_at = None
        _restore_privilege(refund, actor=actor)
    else:
        return
    refund.save()


def _restore_privilege(refund: RefundRequest, *, actor: Any) -> None:
    """A judgment (in practice an overturn on review) that clears the debt which revoked the buyer's instant-refund
    privilege gives the privilege back: the buyer did not owe what they were revoked for. Only the revocation this
    request caused, and only when no other unpaid debt past its deadline stands. A buyer who repays late keeps
    the revocation (it was for not repaying in time); staff may clear it on the buyer's page."""
    if refund.privilege_revoked_at is None:
        return
    other_debt = (
        RefundRequest.objects.filter(
            buyer_id=refund.buyer_id,
            advance_state=AdvanceState.MERCHANT_REFUSED_GOODS,
            repaid_at__isnull=True,
            privilege_revoked_at__isnull=False,
        )
        .exclude(pk=refund.pk)
        .exists()
    )
    if other_debt:
        return
    restored = Buyer.objects.filter(pk=refund.buyer_id, instant_refund_revoked_at=refund.privilege_revoked_at).update(
        instant_refund_revoked_at=None
    )
    if restored:
        from disputes.services.refunds import _log as log_refund

        log_refund(
            refund,
            actor=actor,
            transition="restore_instant_refund",
            source=refund.state,
            description="The judgment cleared the advance this request's revocation was for: instant refund restored",
        )


def _full_amount(case: Intervention) -> int:
    from disputes.services.refunds import _refundable

    return _refundable(case.order_item, exclude_id=case.refund_id)


def _pay_refund(
    judgment: Judgment,
    *,
    case: Intervention,
    refund: RefundRequest | None,
    amount: int,
    actor: Any,
    at: datetime,
    description: str,
) -> None:
    if amount <= 0:
        return
    # An advance the buyer still holds (read from the ledger, so after an overturned judgment's reversal too)
    # is recovered from the merchant's charge, up to what is outstanding; _settle_advance handles the rest.
    outstanding = advance_outstanding(refund) if refund is not None else 0
    row = RefundRow(
        judgment.pk,
        case.buyer_id,
        case.merchant_id,
        amount,
        AdvanceState.ADVANCED if outstanding > 0 else AdvanceState.NONE,
        False,
        advance_fen=outstanding,
    )
    postings = refund_paid(row, at=at, actor=actor, policies=policy_table.load("refund."))
    # Keyed by the judgment, not the refund, so an overturn can reverse exactly what this judgment moved.
    ct = ContentType.objects.get_for_model(Judgment)
    for entry in [*postings.merchant, *postings.advance]:
        entry.idempotency_key = _key(judgment, entry.idempotency_key.rsplit(":", 1)[-1])
        entry.source_type_id, entry.source_id = ct.pk, judgment.pk
        entry.memo = f"{case.number} {entry.kind} by judgment"
    postings.write()
    if refund is not None and can_proceed(refund.settle_by_judgment):
        refund.settle_by_judgment(at=at, amount_fen=amount, by=actor, description=description)
        if refund.advance_state == AdvanceState.APPLIED:
            refund.close_advance(by=actor, description="Refunded by judgment without an advance")
        refund.due_at, refund.due_action = None, ""
        refund.intervention_requested_at = None
        refund.save()


def _record_violation(judgment: Judgment, *, case: Intervention, actor: Any, at: datetime) -> None:
    policies = policy_table.load("violation.")
    points = (
        policies.int("violation.refuse_return_points")
        if judgment.violation_kind == ViolationKind.REFUSE_RETURN
        else policies.int("violation.breach_of_promise_points")
    )
    Violation.objects.get_or_create(
        idempotency_key=_key(judgment, "violation"),
        defaults={
            "merchant_id": case.merchant_id,
            "buyer_id": case.buyer_id,
            "kind": judgment.violation_kind,
            "intervention": case,
            "occurred_at": at,
            "status": ViolationStatus.COUNTED,
            "score_points": points,
            "compensation_points": judgment.compensation_points,
            "note": f"{case.number}: {judgment.reasons[:500]}",
            "decided_at": at,
            "decided_by": actor,
        },
    )


def _reverse(judgment: Judgment, *, actor: Any, reason: str) -> None:
    """Undo what a judgment moved with compensating entries; revoke its violation. Never edits or deletes."""
    prefix = f"judgment:{judgment.pk}:"
    for model in LEDGER_MODELS:
        for entry in model.objects.filter(idempotency_key__startswith=prefix, reverses__isnull=True):
            ledger_reverse(entry=entry, actor=actor, reason=reason[:255])
    Violation.objects.filter(idempotency_key=_key(judgment, "violation")).exclude(
        status=ViolationStatus.REVOKED
    ).update(status=ViolationStatus.REVOKED, decided_at=timezone.now(), decided_by=actor)
    judgment.reversed_at = timezone.now()
    judgment.save(update_fields=["reversed_at"])


# --- scheduler -----------------------------------------------------------------------------------


@dataclass
class InterventionSweepResult:
    to_mediation: int = 0
    finalized: int = 0
    resumed: int = 0
    at_risk: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.to_mediation + self.finalized + self.resumed + self.at_risk + self.breached

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _due_ids(qs: Any) -> list[int]:
    return list(qs.select_for_update(skip_locked=True).order_by().values_list("id", flat=True)[:500])


def intervention_sweep(*, now: datetime | None = None) -> InterventionSweepResult:
    """Move cases on when their windows close, resume suspensions, and flag decision deadlines at risk or
    missed for supervisors. Idempotent: each step re-reads the state under a row lock."""
    now = now or timezone.now()
    actor = system_actor()
    policies = policy_table.load("intervention.")
    result = InterventionSweepResult()
    with transaction.atomic():
        for case in Intervention.objects.filter(
            id__in=_due_ids(Intervention.objects.filter(state=CaseState.EVIDENCE, evidence_due_at__lte=now))
        ).select_for_update():
            if case.merchant_answer_due_at is not None and case.merchant_answer_due_at > now:
                continue
            if case.evidence_requests.filter(fulfilled_at__isnull=True, due_at__gt=now).exists():
                continue
            case.start_mediation(by=actor, description="Evidence window closed: mediation")
            case.save()
            result.to_mediation += 1
    with transaction.atomic():
        for case in Intervention.objects.filter(
            id__in=_due_ids(Intervention.objects.filter(state=CaseState.JUDGED, appeal_due_at__lte=now))
        ).select_for_update():
            case.finalize(at=now, by=actor, description="Appeal window closed: judgment final")
            case.save()
            result.finalized += 1
    with transaction.atomic():
        for case in Intervention.objects.filter(
            id__in=_due_ids(Intervention.objects.filter(state=CaseState.SUSPENDED, resume_due_at__lte=now))
        ).select_for_update():
            case.resume(at=now, by=actor, description="Suspension time limit reached: resumed")
            case.save()
            result.resumed += 1
    with transaction.atomic():
        working = Intervention.objects.filter(state__in=WORKING_STATES, decision_breached_at__isnull=True)
        result.breached = working.filter(decision_due_at__lte=now).update(decision_breached_at=now)
        result.at_risk = working.filter(
            decision_at_risk_at__isnull=True,
            decision_due_at__lte=now + policies.duration("intervention.at_risk_before"),
        ).update(decision_at_risk_at=now)
    return result


def intervention_queue() -> Any:
    """The staff queue: open cases, express and 小二 first, then by decision deadline."""
    return (
        Intervention.objects.filter(state__in=[*OPEN_CASE_STATES, CaseState.APPEALED])
        .select_related("buyer", "merchant", "assigned_to", "order_item__order")
        # Explicit NULLS LAST: a case not yet accepted has no decision deadline, and SQLite would otherwise put
        # it first where PostgreSQL puts it last.
        .order_by("-priority", F("decision_due_at").asc(nulls_last=True), "applied_at", "id")
    )
