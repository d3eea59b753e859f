"""Force majeure (不可抗力) on one-click help: the party claims it by a deadline, staff decide."""

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from disputes.actors import Actor
from disputes.deadlines import missed
from disputes.errors import InvalidTransition, RuleRefused, ValidationFailed
from disputes.evidence import check_evidence_file
from disputes.models import (
    DeadlineKind,
    ForceMajeureCategory,
    ForceMajeureClaim,
    ForceMajeureEvidence,
    HelpState,
)
from disputes.services.help_misses import release_held_penalty
from disputes.services.help_requests import _lock, _require_responsible
from disputes.services.inputs import clean_text
from disputes.services.steps import lock, require_allowed

MAX_FILES = 10


def help_force_majeure_claim(
    *,
    actor: Actor,
    request_id: int,
    deadline: str,
    category: str,
    note: str,
    files: list[UploadedFile] | None = None,
) -> ForceMajeureClaim:
    """The merchant or provider claims force majeure against one deadline, by its deadline (its last second included).

    Evidence files are checked by content and size before anything is stored; one bad file
    refuses the whole claim. While the claim is pending, a miss of that deadline is recorded
    but its penalty is held. Raises ValidationFailed, InvalidTransition, DomainError (claim_exists).
    """
    if deadline not in DeadlineKind.values:
        raise ValidationFailed(f"deadline must be one of {', '.join(DeadlineKind.values)}.", code="invalid_deadline")
    if category not in ForceMajeureCategory.values:
        raise ValidationFailed(
            f"category must be one of {', '.join(ForceMajeureCategory.values)}.", code="invalid_category"
        )
    text = clean_text(note, field="note")
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"At most {MAX_FILES} evidence files.", code="too_many_files")
    checked = [check_evidence_file(f) for f in files]
    with transaction.atomic():
        request = _lock(request_id)
        _require_responsible(actor, request)
        now = timezone.now()
        due = request.solution_due_at if deadline == DeadlineKind.SOLUTION else request.resolution_due_at
        if due is None:
            raise InvalidTransition("This request has no 1-hour deadline.", code="no_such_deadline")
        if missed(due, now):
            raise RuleRefused("Force majeure must be claimed by the deadline it concerns.", code="deadline_passed")
        stopped = (
            request.solution_given_at is not None
            if deadline == DeadlineKind.SOLUTION
            else request.state not in (HelpState.DISPATCHED, HelpState.SOLUTION_GIVEN)
        )
        if stopped or request.state not in (HelpState.DISPATCHED, HelpState.SOLUTION_GIVEN):
            raise InvalidTransition("That deadline is no longer running.", code="deadline_not_running")
        try:
            with transaction.atomic():
                claim = ForceMajeureClaim.objects.create(
                    help_request=request,
                    deadline=deadline,
                    category=category,
                    note=text,
                    claimed_at=now,
                    claimed_by=actor,
                )
        except IntegrityError:
            raise RuleRefused("A force-majeure claim for this deadline already exists.", code="claim_exists") from None
        for upload, info in zip(files, checked, strict=True):
            ForceMajeureEvidence.objects.create(
                claim=claim,
                file=upload,
                original_name=info.original_name,
                content_type=info.content_type,
                size=info.size,
                sha256=info.sha256,
                uploaded_by=actor,
            )
    return claim


def help_force_majeure_decide(*, actor: Actor, claim_id: int, approve: bool, reason: str) -> ForceMajeureClaim:
    """Staff approve (penalty voided) or reject (penalty credited, dated at the miss) a pending claim."""
    why = clean_text(reason, field="reason")
    step = "approve" if approve else "reject"
    with transaction.atomic():
        claim = lock(ForceMajeureClaim, claim_id, missing="No such force-majeure claim.", code="claim_not_found")
        require_allowed(claim, step, actor)
        request = _lock(claim.help_request_id)
        if not can_proceed(getattr(claim, step)):
            raise InvalidTransition(
                f"The claim was already decided ({claim.get_status_display()}).", code="claim_decided"
            )
        now = timezone.now()
        getattr(claim, step)(at=now, by=actor, reason=why, description=why)
        claim.save()
        release_held_penalty(request=request, deadline=claim.deadline, approve=approve, actor=actor, now=now)
    return claim
