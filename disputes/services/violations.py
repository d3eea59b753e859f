"""Merchant violations: breach-of-promise complaints and staff decisions on them, and the merchant's appeal of a
counted violation with the staff decision on it (RULES.md section 5)."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor
from disputes.errors import RuleRefused
from disputes.models import Violation, ViolationKind, ViolationStatus
from disputes.models.violations import APPEALED_ONCE
from disputes.services.help_requests import _lock, _require_buyer
from disputes.services.inputs import clean_text
from disputes.services.steps import lock, require_allowed, require_step


def help_complaint_file(*, actor: Actor, request_id: int, text: str) -> Violation:
    """The buyer complains of a breach of promise (违背承诺) on a help request; staff review it.

    Refused as already compensated when a penalty for this request was paid: the paid
    penalty replaces the violation (RULES.md section 1).
    """
    complaint = clean_text(text, field="complaint")
    with transaction.atomic():
        request = _lock(request_id)
        _require_buyer(actor, request)
        if Violation.objects.filter(help_request=request, status=ViolationStatus.NOT_COUNTED).exists():
            raise RuleRefused(
                "The merchant already paid a penalty for this request, so the complaint is closed as compensated.",
                code="already_compensated",
            )
        try:
            with transaction.atomic():
                violation = Violation.objects.create(
                    merchant_id=request.merchant_id,
                    buyer_id=request.buyer_id,
                    kind=ViolationKind.BREACH_OF_PROMISE,
                    help_request=request,
                    idempotency_key=f"help:{request.pk}:complaint",
                    occurred_at=timezone.now(),
                    status=ViolationStatus.PENDING_REVIEW,
                    score_points=policy_table.load("violation.").int("violation.breach_of_promise_points"),
                    note=complaint,
                )
        except IntegrityError:
            raise RuleRefused("A complaint about this request was already filed.", code="complaint_exists") from None
    return violation


def violation_decide(*, actor: Actor, violation_id: int, count: bool, reason: str) -> Violation:
    """Staff count a complaint against the merchant, or revoke it."""
    why = clean_text(reason, field="reason")
    step = "count_complaint" if count else "revoke_complaint"
    with transaction.atomic():
        violation = lock(Violation, violation_id, missing="No such violation.", code="violation_not_found")
        require_allowed(violation, step, actor)
        require_step(
            violation, step, message="Only a complaint awaiting review can be decided", code="violation_decided"
        )
        now = timezone.now()
        if count:
            violation.count_complaint(at=now, by=actor, reason=why, appeal_due_at=appeal_due(now), description=why)
        else:
            violation.revoke_complaint(at=now, by=actor, reason=why, description=why)
        violation.save()
    return violation


APPEAL_REASON_MAX = 1000


def appeal_due(counted_at: datetime) -> datetime:
    """When the merchant's window to appeal a violation counted at `counted_at` closes (`violation.appeal_window`,
    7 days by default; its last second still in time)."""
    return counted_at + policy_table.load("violation.").duration("violation.appeal_window")


def violation_appeal(*, actor: Actor, violation_id: int, reason: str) -> Violation:
    """The merchant appeals (申诉) one of its counted violations, with its reasons, once, within the appeal window;
    the violation awaits a senior agent's decision (APPEALED) and its points still count meanwhile.

    Raises NotFound (`violation_not_found`, also for another merchant's violation), Forbidden, InvalidTransition
    (the violation is not counted) and RuleRefused (`already_appealed`, `appeal_window_closed`)."""
    why = clean_text(reason, field="reason", max_length=APPEAL_REASON_MAX)
    with transaction.atomic():
        violation = lock(Violation, violation_id, missing="No such violation.", code="violation_not_found")
        require_allowed(violation, "appeal", actor)
        # Asked again while the first appeal is pending, the answer is the same as after its decision.
        if not APPEALED_ONCE(violation):
            raise APPEALED_ONCE.refusal(violation)
        require_step(violation, "appeal", message="Only a counted violation can be appealed")
        violation.appeal(at=timezone.now(), by=actor, reason=why, description=why[:2000])
        violation.save()
    return violation


def violation_decide_appeal(*, actor: Actor, violation_id: int, grant: bool, reason: str) -> Violation:
    """Senior staff decide a merchant's appeal: granted, the violation is revoked and its points no longer count;
    rejected, it is counted again, for good (a violation is appealed once)."""
    why = clean_text(reason, field="reason")
    step = "grant_appeal" if grant else "reject_appeal"
    with transaction.atomic():
        violation = lock(Violation, violation_id, missing="No such violation.", code="violation_not_found")
        require_allowed(violation, step, actor)
        require_step(violation, step, message="Only an appeal awaiting review can be decided", code="appeal_decided")
        getattr(violation, step)(at=timezone.now(), by=actor, reason=why, description=why)
        violation.save()
    return violation
