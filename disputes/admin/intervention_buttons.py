"""The intervention case page's buttons: one declaration each (its steps, form and service); the model says when
each shows (Intervention's transitions, disputes.models.interventions.case)."""

from typing import Any

from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.admin.buttons import Button
from disputes.admin.helpers import ConfirmForm, NoteForm, ReasonForm
from disputes.admin.intervention_forms import (
    AssignForm,
    JudgeForm,
    ProposeForm,
    RequestEvidenceForm,
    ReviewForm,
    SuspendForm,
)
from disputes.models import Intervention
from disputes.models.interventions.case import ASSIGNER
from disputes.services.interventions.deciding import intervention_judge, intervention_review
from disputes.services.interventions.mediation import intervention_propose
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_assign,
    intervention_escalate,
    intervention_record_proof,
    intervention_refuse,
    intervention_request_evidence,
    intervention_resume,
    intervention_start_mediation,
    intervention_suspend,
    intervention_withdraw,
)


def _review(actor: Actor, case: Intervention, data: dict[str, Any]) -> object:
    overturn = data["decision"] == "overturn"
    return intervention_review(
        actor=actor,
        case_id=case.pk,
        overturn=overturn,
        reasons=data["reasons"],
        outcome=data["outcome"] if overturn else None,
        refund_fen=data["refund_fen"] or 0,
        compensation_points=data["compensation_points"] or 0,
        violation_kind=data["violation_kind"],
    )


def _review_intro(case: Intervention) -> str:
    appeal = case.appeals.filter(reviewed_at__isnull=True).first()
    if appeal is None:
        return case.outcome_note
    return gettext("Judgment: %(judgment)s. Appeal by the %(party)s: %(reasons)s") % {
        "judgment": case.outcome_note,
        "party": appeal.get_party_display(),
        "reasons": appeal.reasons,
    }


def _accept_help(case: Intervention) -> str:
    policies = policy_table.load("intervention.")
    return gettext("Take the case: evidence opens for %(evidence)s and the decision is due in %(decision)s.") % {
        "evidence": policies.describe("intervention.evidence_window"),
        "decision": policies.describe("intervention.decision_due"),
    }


# The case page's buttons: one declaration each; the model says when each shows (Intervention's steps).
CASE_BUTTONS = (
    Button(
        name="accept",
        label=_("Accept (claim)"),
        description=_("Take the case: the evidence window opens and the decision deadline starts."),
        steps=("accept",),
        form=ConfirmForm,
        call=lambda actor, case, data: intervention_accept(actor=actor, case_id=case.pk),
        success=_("Case accepted and assigned to you."),
        intro=lambda case: format_html("{}<br><br>{}", _accept_help(case), case.claim),
    ),
    Button(
        name="assign",
        label=_("Assign to an agent"),
        description=_("Supervisor: give the case to an agent (a new case is accepted for them)."),
        steps=("assign", "accept"),
        also=ASSIGNER,
        form=AssignForm,
        call=lambda actor, case, data: intervention_assign(actor=actor, case_id=case.pk, assign_to=data["assign_to"]),
        success=_("Case assigned."),
    ),
    Button(
        name="escalate",
        label=_("Escalate to 小二"),
        description=_("Move the case to the senior tier; it jumps the queue and a senior agent must take it."),
        steps=("escalate",),
        form=ReasonForm,
        call=lambda actor, case, data: intervention_escalate(actor=actor, case_id=case.pk, reason=data["reason"]),
        success=_("Escalated to the senior tier."),
    ),
    Button(
        name="refuse",
        label=_("Refuse (outside the rules)"),
        description=_("Refuse a claim outside the rules, with the reason the parties will see."),
        steps=("refuse",),
        form=ReasonForm,
        call=lambda actor, case, data: intervention_refuse(actor=actor, case_id=case.pk, reason=data["reason"]),
        success=_("Case refused."),
        intro=lambda case: case.claim,
    ),
    Button(
        name="request_evidence",
        label=_("Request evidence"),
        description=_("Ask one party for more evidence by a deadline."),
        steps=("request_evidence",),
        form=RequestEvidenceForm,
        call=lambda actor, case, data: intervention_request_evidence(
            actor=actor, case_id=case.pk, party=data["party"], note=data["note"], due_at=data["due_at"]
        ),
        success=_("Evidence requested."),
    ),
    Button(
        name="start_mediation",
        label=_("Start mediation"),
        description=_("Close the evidence stage now and start mediation."),
        steps=("start_mediation",),
        form=ConfirmForm,
        call=lambda actor, case, data: intervention_start_mediation(actor=actor, case_id=case.pk),
        success=_("Mediation started."),
    ),
    Button(
        name="propose",
        label=_("Propose terms"),
        description=_("Propose terms; when both parties accept, the agreement closes the case and is executed."),
        steps=("propose",),
        form=ProposeForm,
        call=lambda actor, case, data: intervention_propose(
            actor=actor,
            case_id=case.pk,
            outcome=data["outcome"],
            terms=data["terms"],
            refund_fen=data["refund_fen"] or 0,
            compensation_points=data["compensation_points"] or 0,
        ),
        success=_("Terms proposed to both parties."),
    ),
    Button(
        name="judge",
        label=_("Judge"),
        description=_("Decide the case; the system executes it at once and the appeal window opens."),
        steps=("judge",),
        form=JudgeForm,
        call=lambda actor, case, data: intervention_judge(
            actor=actor,
            case_id=case.pk,
            outcome=data["outcome"],
            reasons=data["reasons"],
            refund_fen=data["refund_fen"] or 0,
            compensation_points=data["compensation_points"] or 0,
            violation_kind=data["violation_kind"],
        ),
        success=_("Judgment given and executed."),
        intro=lambda case: case.claim,
    ),
    Button(
        name="review",
        label=_("Review the appeal (复审)"),
        description=_("Senior reviewer, not the judge: confirm or overturn. Final either way."),
        steps=("review",),
        form=ReviewForm,
        call=_review,
        success=_("Review recorded; the case is final."),
        intro=_review_intro,
    ),
    Button(
        name="suspend",
        label=_("Suspend"),
        description=_("Suspend (中止) on both parties' request, or when a party goes to court or the police."),
        steps=("suspend",),
        form=SuspendForm,
        call=lambda actor, case, data: intervention_suspend(
            actor=actor, case_id=case.pk, reason=data["reason"], note=data["note"]
        ),
        success=_("Case suspended."),
    ),
    Button(
        name="record_proof",
        label=_("Record proof"),
        description=_("Proof arrived that the court or the police took the matter."),
        steps=("record_proof",),
        form=NoteForm,
        call=lambda actor, case, data: intervention_record_proof(actor=actor, case_id=case.pk, note=data["note"]),
        success=_("Proof recorded."),
    ),
    Button(
        name="resume",
        label=_("Resume"),
        description=_("Resume the suspended case where it stopped."),
        steps=("resume",),
        form=ReasonForm,
        call=lambda actor, case, data: intervention_resume(actor=actor, case_id=case.pk, reason=data["reason"]),
        success=_("Case resumed."),
    ),
    Button(
        name="withdraw",
        label=_("Withdraw for the applicant"),
        description=_("The applicant withdraws the case before judgment (told us by phone or chat)."),
        steps=("withdraw",),
        form=ReasonForm,
        call=lambda actor, case, data: intervention_withdraw(actor=actor, case_id=case.pk, reason=data["reason"]),
        success=_("Case withdrawn for the applicant."),
    ),
)
