"""Every event type there is, with what it means (docs/events.md is written from this list; a test holds the two
together), and how a declared transition or a recorded step is named as an event.

Names are `<case>.<what happened>`. One-click help names each step (`help_request.dispatched`); refunds name their
scheduler's timeouts `refund.timeout_applied` and every other step `refund.state_changed`; interventions name every
step `intervention.stage_changed`. The payload of each says which transition it was, from which state to which."""

from django.apps import apps
from django.db import models

# The case a model's events are about: the model's own rows, or (for the claims) the case they belong to.
CASE_TYPES = {
    "helprequest": "help_request",
    "refundrequest": "refund",
    "intervention": "intervention",
    "forcemajeureclaim": "help_request",
    "expressclaim": "refund",
    "violation": "violation",
}
# Cases whose events only the merchant receives: a violation is between the merchant and the platform (its buyer
# hears of the complaint's decision on the help request, not of the merchant's record or appeal).
MERCHANT_ONLY = {"violation"}

VIOLATION_STEPS = {
    "count_complaint": "violation.counted",
    "revoke_complaint": "violation.revoked",
    "exempt": "violation.exempted",
    "pay_held": "violation.penalty_paid",
    "revoke_by_review": "violation.revoked",
    "appeal": "violation.appealed",
    "grant_appeal": "violation.appeal_granted",
    "reject_appeal": "violation.appeal_rejected",
}

HELP_STEPS = {
    "raise": "help_request.raised",
    "dispatch": "help_request.dispatched",
    "cancel": "help_request.cancelled",
    "give_solution": "help_request.solution_given",
    "mark_resolved": "help_request.marked_resolved",
    "confirm": "help_request.confirmed",
    "object": "help_request.objected",
    "uphold_resolution": "help_request.resolution_upheld",
    "reopen": "help_request.reopened",
    "close": "help_request.closed",
    "record_followup": "help_request.followup_recorded",
}

EVENT_TYPES: dict[str, str] = {
    **{
        name: f"One-click help: {step.replace('_', ' ')}" + (" (the case's creation)" if step == "raise" else "")
        for step, name in HELP_STEPS.items()
    },
    "help_request.noted": "Something was recorded on a request besides a state change (payload.step names it).",
    "help_request.solution_due_soon": "The 1-hour solution deadline falls within the lead time (once per deadline).",
    "help_request.resolution_due_soon": "The 48-hour resolution deadline falls within the lead time (once).",
    "help_request.solution_breached": "The 1-hour solution deadline passed without a solution; payload.penalty says "
    "what followed (credited, held for a force-majeure claim, or exempted).",
    "help_request.resolution_breached": "The 48-hour resolution deadline passed unresolved; payload.penalty as above.",
    "help_request.force_majeure_claimed": "The merchant claimed force majeure for a deadline.",
    "help_request.force_majeure_decided": "Staff approved or rejected a force-majeure claim (payload.status).",
    "refund.applied": "A buyer applied for a refund (the case's creation).",
    "refund.state_changed": "A refund moved on a party's or staff's step (payload.transition names it).",
    "refund.timeout_applied": "The scheduler applied a refund timeout (payload.transition names it).",
    "refund.due_soon": "The refund's next automatic timeout falls within the lead time (once per deadline).",
    "refund.advance_repayment_due": "The buyer must repay an instant refund the platform advanced, by "
    "payload.repayment_due_at (the merchant refused the returned goods, or a judgment found for the merchant).",
    "refund.express_claim_decided": "An express rights-protection claim was verified or rejected.",
    "refund.noted": "Something was recorded on a refund besides a state change (payload.step names it).",
    "intervention.opened": "A platform intervention case was opened.",
    "intervention.stage_changed": "An intervention case moved stage (payload.transition names the step).",
    "intervention.decision_due_soon": "Staff only: the platform's decision deadline on the case falls within "
    "intervention.at_risk_before (once per deadline); the assignee is emailed.",
    "intervention.decision_breached": "Staff only: the platform's decision deadline on the case passed undecided.",
    "intervention.noted": "Something was recorded on a case besides a stage change (payload.step names it).",
    "penalty.credited": "A missed deadline's penalty was charged to the merchant and credited to the buyer.",
    "penalty.held": "A missed deadline's penalty is held while a force-majeure claim is decided.",
    "penalty.voided": "A held penalty will not be charged (force majeure approved).",
    "ledger.entry_posted": "An entry was posted to the account of the party the event is for.",
    "violation.counted": "Merchant only: staff upheld a buyer's complaint; the violation counts against the shop "
    "(payload.deadlines.appeal_due_at: the merchant may appeal until then).",
    "violation.revoked": "Merchant only: a violation no longer counts (a complaint rejected by staff, or its judgment "
    "overturned on review; payload.transition says which).",
    "violation.exempted": "Merchant only: a held miss was exempted (force majeure approved); no penalty, not counted.",
    "violation.penalty_paid": "Merchant only: a held miss's penalty was charged (force majeure rejected); not counted.",
    "violation.appealed": "Merchant only: the merchant appealed a counted violation; it awaits a senior agent.",
    "violation.appeal_granted": "Merchant only: staff granted the appeal; the violation is revoked and its points "
    "no longer count.",
    "violation.appeal_rejected": "Merchant only: staff rejected the appeal; the violation counts, for good.",
    "webhook_endpoint.disabled": "A webhook endpoint was disabled after its deliveries kept failing, or a 410.",
}

_AUDIT_STEPS = {
    ("refund", "apply"): "refund.applied",
    ("intervention", "open"): "intervention.opened",
}


class UnknownEventType(LookupError):
    pass


def require_known(type_: str) -> None:
    if type_ not in EVENT_TYPES:
        raise UnknownEventType(f"{type_!r} is not in the event catalogue (disputes/events/catalogue.py)")


def case_type_of(model: type[models.Model]) -> str:
    return CASE_TYPES[model._meta.model_name or ""]


def transition_event(model: type[models.Model], transition: str) -> str | None:
    """The event type a declared transition of `model` writes, or None for a model that writes none."""
    name = model._meta.model_name or ""
    if name == "helprequest":
        return HELP_STEPS[transition]
    if name == "refundrequest":
        return "refund.timeout_applied" if transition.startswith("timeout_") else "refund.state_changed"
    if name == "intervention":
        return "intervention.stage_changed"
    if name == "forcemajeureclaim":
        return "help_request.force_majeure_decided"
    if name == "expressclaim":
        return "refund.express_claim_decided"
    if name == "violation":
        return VIOLATION_STEPS[transition]
    return None


def step_event(case_type: str, step: str) -> str:
    """The event type of a step a service recorded outside a transition (services.steps.audit)."""
    if case_type == "help_request":
        return HELP_STEPS.get(step, "help_request.noted")
    return _AUDIT_STEPS.get((case_type, step), f"{case_type}.noted")


def evented_models() -> list[type[models.Model]]:
    return [apps.get_model("disputes", name) for name in CASE_TYPES]


def deadline_fields(model: type[models.Model]) -> list[str]:
    """The clocks an event about a `model` case carries in payload.deadlines: its *_due_at columns (and a help
    request's dispatch_at, the end of its cancel window)."""
    return [f.name for f in model._meta.concrete_fields if f.name.endswith("due_at") or f.name == "dispatch_at"]
