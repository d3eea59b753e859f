"""Deciding a case: the judgment (判决) the system executes at once, the parties' appeal (申诉) with something new,
and the senior reviewer's review (复审) that confirms or overturns it."""

import unicodedata
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.deadlines import missed
from disputes.errors import Forbidden, InvalidTransition, RuleRefused, ValidationFailed
from disputes.explain.deadlines import RULES
from disputes.models import (
    Appeal,
    CaseState,
    EvidenceItem,
    Intervention,
    Judgment,
    MediationProposal,
    Outcome,
    Party,
    ProposalStatus,
    RefundEvidence,
    ViolationKind,
)
from disputes.models.interventions.case import REVIEWER
from disputes.services.interventions.common import (
    InterventionNotAllowed,
    Upload,
    case_text,
    checked_uploads,
    lock_case,
    require_party,
    store_evidence,
)
from disputes.services.interventions.execution import judgment_execute, judgment_reverse
from disputes.services.refunds.platform import refund_reopen_for_review, refundable_for_case
from disputes.services.steps import require_allowed, require_step


def check_outcome(outcome: str, refund_fen: Any, compensation_points: Any) -> None:
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


def check_violation(outcome: str, violation_kind: str) -> None:
    if violation_kind and violation_kind not in ViolationKind.values:
        raise ValidationFailed("Unknown violation kind.", code="invalid_violation_kind")
    if violation_kind and outcome == Outcome.SUPPORT_MERCHANT:
        raise ValidationFailed("A judgment for the merchant records no violation.", code="invalid_violation_kind")


def check_refund_amount(case: Intervention, outcome: str, refund_fen: int) -> None:
    if outcome not in (Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND):
        return
    refundable = refundable_for_case(case)
    if refund_fen > refundable:
        raise RuleRefused(
            f"The refund {refund_fen} fen is more than the {refundable} fen still refundable.",
            code="amount_exceeds_refundable",
        )


def appeal_window_closed() -> str:
    """The refusal of a late appeal, stating the window the policy sets."""
    window = policy_table.load("intervention.appeal_window").describe("intervention.appeal_window")
    return f"The appeal window ({window}) has closed."


def compared(text: str) -> str:
    """Text as an appeal's novelty is judged: width-normalised (NFKC), case-folded, punctuation dropped, and each run
    of white space one space. "The photos show a crack." and "the photos  show a crack" compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(char for char in folded if not unicodedata.category(char).startswith("P"))
    return " ".join(kept.split())


def files_on_file(case: Intervention) -> set[str]:
    """The SHA-256 of every file already submitted in the case, by anyone: its evidence, and the files sent with
    the refund request it is about (application, refusals, express claim)."""
    hashes = set(EvidenceItem.objects.filter(intervention=case).exclude(sha256="").values_list("sha256", flat=True))
    if case.refund_id is not None:
        refund_files = RefundEvidence.objects.filter(refund_id=case.refund_id).exclude(sha256="")
        hashes.update(refund_files.values_list("sha256", flat=True))
    return hashes


def require_something_new(
    case: Intervention, *, judgment: Judgment, party: str, reasons: str, uploads: list[Upload]
) -> None:
    """An appeal brings something not already on file (RULES.md section 4, appeal): no file identical to one already
    submitted in the case; and, unless it brings a new file, reasons that neither repeat the judgment's reasons (in
    whole or in part) nor the party's own earlier claim or evidence text. Raises InterventionNotAllowed."""
    known = files_on_file(case)
    for _upload, info in uploads:
        if info.sha256 in known:
            raise InterventionNotAllowed(
                f"{info.original_name}: this file was already submitted in the case; an appeal brings new evidence.",
                code="appeal_file_already_submitted",
                details={"file": info.original_name},
            )
        known.add(info.sha256)  # the same file twice in one appeal is not new the second time
    if uploads:
        return
    text = compared(reasons)
    if text in compared(judgment.reasons):
        raise InterventionNotAllowed(
            "The appeal repeats the judgment's reasons; give new reasons or attach new evidence.",
            code="appeal_nothing_new",
        )
    earlier = list(
        EvidenceItem.objects.filter(intervention=case, party=party).exclude(text="").values_list("text", flat=True)
    )
    if case.applicant == party:
        earlier.append(case.claim)
    if text in {compared(said) for said in earlier}:
        raise InterventionNotAllowed(
            "The appeal repeats what you already said in this case; give new reasons or attach new evidence.",
            code="appeal_nothing_new",
        )


def intervention_judge(
    *,
    actor: Actor,
    case_id: int,
    outcome: str,
    reasons: str,
    refund_fen: int = 0,
    compensation_points: int = 0,
    violation_kind: str = "",
) -> Judgment:
    """Give the judgment: the system executes it at once (refunds paid, compensation credited, a violation
    recorded when the merchant is at fault), exactly once; the appeal window (a policy) opens."""
    why = case_text(reasons, field="reasons")
    check_outcome(outcome, refund_fen, compensation_points)
    check_violation(outcome, violation_kind)
    with transaction.atomic():
        case = lock_case(case_id)
        require_allowed(case, "judge", actor)
        require_step(case, "judge", message="Judgment follows evidence or mediation")
        check_refund_amount(case, outcome, refund_fen)
        now = timezone.now()
        appeal_due, case.deadline_basis["appeal_due_at"] = RULES["intervention.appeal_due"].set(
            now, policies=policy_table.load("intervention.")
        )
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
        judgment_execute(judgment, case=case, actor=actor)
    return judgment


def intervention_appeal(*, actor: Actor, case_id: int, reasons: str, files: list[UploadedFile] | None = None) -> Appeal:
    """A party appeals within the appeal window after the judgment (its last second included), with something new:
    see require_something_new. The case goes to review. Raises InvalidTransition (window closed, agreement) and
    InterventionNotAllowed (appeal_nothing_new, appeal_file_already_submitted)."""
    why = case_text(reasons, field="reasons")
    uploads = checked_uploads(files)
    with transaction.atomic():
        case = lock_case(case_id)
        party = require_party(actor, case)
        if case.state == CaseState.AGREED:
            raise InvalidTransition("An agreement is not appealed.", code="agreement_final")
        require_step(case, "appeal", message="Only a judgment in its appeal window can be appealed")
        if case.appeal_due_at is None or missed(case.appeal_due_at, timezone.now()):
            raise RuleRefused(appeal_window_closed(), code="appeal_window_closed")
        judgment = case.judgments.filter(superseded_by__isnull=True).latest("judged_at", "id")
        if judgment.via_agreement:
            raise InvalidTransition("An agreement is not appealed.", code="agreement_final")
        require_something_new(case, judgment=judgment, party=party, reasons=why, uploads=uploads)
        appeal = Appeal.objects.create(
            intervention=case, judgment=judgment, party=party, reasons=why, appealed_by=actor
        )
        store_evidence(case, party=party, actor=actor, text="", files=uploads, for_appeal=True)
        case.appeal(by=actor, description=f"Appealed by the {party}")
        case.save()
    return appeal


def intervention_review(
    *,
    actor: Actor,
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
    why = case_text(reasons, field="reasons")
    refusal = REVIEWER.refusal(Intervention(), actor)
    if refusal is not None:
        raise refusal
    if overturn:
        if outcome is None:
            raise ValidationFailed("An overturn states the new outcome.", code="outcome_required")
        check_outcome(outcome, refund_fen, compensation_points)
        check_violation(outcome, violation_kind)
    with transaction.atomic():
        case = lock_case(case_id)
        require_step(case, "review", message="Only an appealed case is reviewed")
        appeal = Appeal.objects.select_for_update().get(intervention=case, reviewed_at__isnull=True)
        old = appeal.judgment
        if old.judged_by_id == actor.pk:
            raise Forbidden("The reviewer must not be the judge of the appealed judgment.", code="reviewer_is_judge")
        now = timezone.now()
        appeal.reviewed_at, appeal.reviewed_by, appeal.overturned, appeal.review_reasons = now, actor, overturn, why
        appeal.save(update_fields=["reviewed_at", "reviewed_by", "overturned", "review_reasons"])
        if overturn and outcome is not None:
            # Reverse first: the old judgment's refund no longer counts against what is refundable.
            judgment_reverse(old, actor=actor, reason=f"Overturned on review: {why}")
            refund_reopen_for_review(old, case=case, actor=actor, reason=why)
            check_refund_amount(case, outcome, refund_fen)
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
            judgment_execute(new, case=case, actor=actor)
        case.review(at=now, note=why, by=actor, description=("Overturned" if overturn else "Confirmed") + f": {why}")
        case.save()
    return appeal
