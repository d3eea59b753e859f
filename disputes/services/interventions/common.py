"""What every intervention service shares: the case's row lock, the parties' scope, assignees, free text and
evidence files."""

from django.core.files.uploadedfile import UploadedFile

from disputes.actors import Actor
from disputes.errors import Forbidden, NotFound, RuleRefused, ValidationFailed
from disputes.evidence import CheckedFile, check_evidence_file
from disputes.models import EvidenceItem, Intervention, Tier, party_of
from disputes.models.interventions.case import REVIEW, WORK
from disputes.models.steps import is_staff_with
from disputes.services.inputs import clean_text
from disputes.services.steps import lock

MAX_TEXT = 4000
MAX_FILES = 10

# An upload and what checking it found (content type, size, name, SHA-256).
Upload = tuple[UploadedFile, CheckedFile]


class InterventionNotAllowed(RuleRefused):
    """The claim is outside the rules; the message says which."""


def case_text(value: str | None, *, field: str, required: bool = True) -> str:
    return clean_text(value, field=field, required=required, max_length=MAX_TEXT)  # claims run longer


def lock_case(case_id: int) -> Intervention:
    return lock(Intervention, case_id, missing="No such intervention case.", code="intervention_not_found")


def require_party(actor: Actor, case: Intervention) -> str:
    """The actor's side of the case; a party of another case is told this one does not exist."""
    party = party_of(actor, case)
    if party is None:
        raise NotFound("No such intervention case.", code="intervention_not_found")
    return party


def check_assignee(case: Intervention, agent: Actor) -> None:
    """The assignee works intervention cases, and a 小二-tier case goes to a senior agent only: otherwise it
    would sit with someone the case's steps refuse."""
    if not is_staff_with(agent, WORK):
        raise RuleRefused("The assignee does not work intervention cases.", code="invalid_assignee")
    if case.tier == Tier.SENIOR and not agent.has_perm(REVIEW):
        raise Forbidden("This case is in the senior (小二) tier.", code="senior_tier_required")


def store_evidence(
    case: Intervention, *, party: str, actor: Actor, text: str, files: list[Upload], for_appeal: bool = False
) -> list[EvidenceItem]:
    """Text and files already checked (checked_uploads). Each row is created with its checked content type, which
    names the stored file's extension (evidence_upload_to), and its SHA-256."""
    items = []
    if text:
        items.append(
            EvidenceItem.objects.create(
                intervention=case, party=party, text=text, submitted_by=actor, for_appeal=for_appeal
            )
        )
    for upload, info in files:
        items.append(
            EvidenceItem.objects.create(
                intervention=case,
                party=party,
                file=upload,
                original_name=info.original_name,
                content_type=info.content_type,
                size=info.size,
                sha256=info.sha256,
                submitted_by=actor,
                for_appeal=for_appeal,
            )
        )
    return items


def checked_uploads(files: list[UploadedFile] | None) -> list[Upload]:
    """Each file checked by content once, before the case is locked, with its SHA-256; one bad file refuses
    them all."""
    uploads = list(files or [])
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(f"At most {MAX_FILES} files.", code="too_many_files")
    return [(f, check_evidence_file(f)) for f in uploads]
