"""Mediation (调解): staff propose terms, the parties accept or decline; both accepting is an agreement that closes
the case and is executed like a judgment."""

from django.db import transaction
from django.utils import timezone

from disputes.actors import Actor
from disputes.errors import InvalidTransition, NotFound
from disputes.models import CaseState, Judgment, MediationProposal, Party, ProposalStatus
from disputes.services.interventions.common import case_text, lock_case, require_party
from disputes.services.interventions.deciding import check_outcome, check_refund_amount
from disputes.services.interventions.execution import judgment_execute
from disputes.services.steps import audit, require_allowed, require_step


def intervention_propose(
    *, actor: Actor, case_id: int, outcome: str, terms: str, refund_fen: int = 0, compensation_points: int = 0
) -> MediationProposal:
    """Staff propose terms; when both parties accept, the agreement closes the case and is executed."""
    text = case_text(terms, field="terms")
    check_outcome(outcome, refund_fen, compensation_points)
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "propose", actor)
        require_step(
            case, "propose", message="Proposals are made in mediation.", code="not_in_mediation", say_state=False
        )
        check_refund_amount(case, outcome, refund_fen)
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
        case.propose(by=actor, description=f"Proposal: {text}")
        case.save()
    return proposal


def intervention_respond(*, actor: Actor, proposal_id: int, accept: bool) -> MediationProposal:
    """A party accepts or declines the open proposal; both accepting is an agreement, executed at once."""
    with transaction.atomic():
        proposal = MediationProposal.objects.select_for_update().filter(pk=proposal_id).first()
        if proposal is None:
            raise NotFound("No such proposal.", code="proposal_not_found")
        case = lock_case(proposal.intervention_id)
        party = require_party(actor, case)
        if proposal.status != ProposalStatus.OPEN or case.state != CaseState.MEDIATION:
            raise InvalidTransition("This proposal is no longer open.", code="proposal_closed")
        now = timezone.now()
        if not accept:
            proposal.status, proposal.declined_by = ProposalStatus.DECLINED, party
            proposal.save(update_fields=["status", "declined_by"])
            audit(case, actor=actor, step="decline_proposal", description=f"Proposal declined by the {party}")
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
            judgment_execute(judgment, case=case, actor=actor)
        proposal.save()
        audit(
            case,
            actor=actor,
            step="accept_proposal",
            source=CaseState.MEDIATION,
            description=f"Proposal accepted by the {party}",
        )
    return proposal
