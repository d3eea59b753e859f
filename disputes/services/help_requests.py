"""One-click help (一键求助) services: raise, cancel, solve, resolve, confirm, object, rule, close, follow up."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from disputes import policies as policy_table
from disputes.actors import Actor, buyer_of, merchant_of, provider_of
from disputes.deadlines import missed
from disputes.errors import (
    DomainError,
    Forbidden,
    NotFound,
    RuleRefused,
    ValidationFailed,
    field_code,
)
from disputes.explain.deadlines import RULES
from disputes.jobs import enqueue_after_commit
from disputes.models import (
    AnomalyKind,
    HelpRequest,
    HelpState,
    OrderItem,
    OrderStatus,
    ServiceDesignation,
)
from disputes.selectors.raising import HelpFacts, with_help_facts
from disputes.services.help_misses import record_misses_for
from disputes.services.inputs import clean_text
from disputes.services.steps import audit, lock, require_allowed, require_step

DISPATCH_ONE = "disputes.help_dispatch_one"

MAX_TEXT = 2000


class NotEligible(RuleRefused):
    """The order item cannot carry a one-click help request; the message says why."""


def _lock(request_id: int) -> HelpRequest:
    return lock(HelpRequest, request_id, missing="No such help request.", code="help_request_not_found")


def _is_buyer(actor: Actor, request: HelpRequest) -> bool:
    buyer = buyer_of(actor)
    return buyer is not None and buyer.pk == request.buyer_id


def _visible_to_party(actor: Actor, request: HelpRequest) -> bool:
    """The merchant sees all its requests; a provider only those dispatched to it."""
    if request.state in (HelpState.RAISED, HelpState.CANCELLED):
        return False
    merchant = merchant_of(actor)
    if merchant is not None and merchant.pk == request.merchant_id:
        return True
    provider = provider_of(actor)
    return provider is not None and request.provider_id is not None and provider.pk == request.provider_id


def _require_responsible(actor: Actor, request: HelpRequest) -> str:
    """The merchant, its designated provider, or staff recording on their behalf. Returns the role."""
    if _visible_to_party(actor, request):
        return "party"
    if getattr(actor, "is_staff", False) and actor.has_perm("disputes.record_solution_helprequest"):
        return "staff"
    # A party that may not see the request is told it does not exist.
    raise NotFound("No such help request.", code="help_request_not_found")


def _require_buyer(actor: Actor, request: HelpRequest) -> None:
    if not _is_buyer(actor, request):
        raise NotFound("No such help request.", code="help_request_not_found")


def help_raise_refusal(facts: HelpFacts, service_kind: str | None) -> DomainError | None:
    """Why the buyer may not raise a help request on the item for `service_kind` (None: the item's only eligible
    service), or None when they may: the one statement of RULES.md section 1's eligibility, which
    help_request_raise enforces and the buyer's order-item list shows (disputes.selectors.order_items)."""
    order = facts.item.order
    if order.status == OrderStatus.CLOSED:
        return NotEligible("The order is closed.", code="order_closed")
    eligible = facts.eligible
    if not eligible:
        return NotEligible(
            "This item has no installation, delivery or warranty commitment, so one-click help does not apply.",
            code="service_not_eligible",
        )
    if service_kind is None:
        if len(eligible) > 1:
            return ValidationFailed(
                f"This item carries several services; choose one of {', '.join(eligible)}.",
                code="service_kind_required",
            )
        service_kind = eligible[0]
    elif service_kind not in eligible:
        return NotEligible(
            f"This item does not carry the service {service_kind!r}; it carries {', '.join(eligible)}.",
            code="service_not_on_item",
        )
    if not facts.city_supported:
        return NotEligible(f"One-click help is not offered in {order.city}.", code="city_not_supported")
    if service_kind in facts.live:
        return RuleRefused("A help request for this item and service is already open.", code="help_request_exists")
    return None


def help_request_raise(
    *,
    actor: Actor,
    order_item_id: int,
    anomaly_kind: str,
    description: str,
    service_kind: str | None = None,
) -> HelpRequest:
    """A buyer raises a one-click help request on one of their order items.

    Requires: the actor is the buyer of the item; the item carries an eligible service
    commitment (RULES.md section 1); the delivery city is supported; no other live request
    for the same item and service. Stores the 1-hour (only when raised 09:00–18:00 Beijing)
    and 48-hour deadlines. After commit: a dispatch attempt once the cancel window ends
    (the sweep is the guarantee). Raises NotFound, NotEligible, ValidationFailed.
    """
    buyer = buyer_of(actor)
    if buyer is None:
        raise Forbidden("Only a buyer account can raise a help request.", code="buyer_required")
    if anomaly_kind not in AnomalyKind.values:
        raise ValidationFailed(
            f"anomaly_kind must be one of {', '.join(AnomalyKind.values)}.", code="invalid_anomaly_kind"
        )
    text = clean_text(description, field="description")
    with transaction.atomic():
        item = with_help_facts(OrderItem.objects.filter(pk=order_item_id, order__buyer=buyer)).first()
        if item is None:
            raise NotFound("No such order item on your orders.", code="order_item_not_found")
        facts = HelpFacts.of(item)
        refusal = help_raise_refusal(facts, service_kind)
        if refusal is not None:
            raise refusal
        service_kind = service_kind or facts.eligible[0]
        order = item.order

        policies = policy_table.load("help.")
        now = timezone.now()
        designation = (
            ServiceDesignation.objects.filter(merchant_id=order.merchant_id, service_kind=service_kind)
            .select_related("provider")
            .first()
        )
        dispatch_at, dispatch_basis = RULES["help.dispatch"].set(now, policies=policies)
        solution_due, solution_basis = RULES["help.solution_due"].set(now, policies=policies)
        resolution_due, resolution_basis = RULES["help.resolution_due"].set(now, policies=policies)
        basis = {"dispatch_at": dispatch_basis, "resolution_due_at": resolution_basis}
        if solution_due is not None:
            basis["solution_due_at"] = solution_basis
        request = HelpRequest.objects.create(
            order_item=item,
            buyer=buyer,
            merchant_id=order.merchant_id,
            provider=designation.provider if designation and designation.provider.is_active else None,
            service_kind=service_kind,
            anomaly_kind=anomaly_kind,
            description=text,
            item_price_fen=item.amount_paid_fen,
            raised_at=now,
            dispatch_at=dispatch_at,
            solution_due_at=solution_due,
            resolution_due_at=resolution_due,
            deadline_basis=basis,
        )
        audit(request, actor=actor, step="raise", description="Raised by the buyer", source=None)
        delay = policies.duration("help.cancel_window").total_seconds()
        enqueue_after_commit(DISPATCH_ONE, request_id=request.pk, countdown=delay + 1)
    return request


def help_request_cancel(*, actor: Actor, request_id: int) -> HelpRequest:
    """The buyer cancels within the cancel window (server clock); the request becomes void.

    Raises NotFound for someone else's request, RuleRefused (cancel_window_passed) once the window ended and
    InvalidTransition once the request has moved on (dispatched, cancelled).
    """
    with transaction.atomic():
        request = _lock(request_id)
        _require_buyer(actor, request)
        require_step(request, "cancel", message="Only a request not yet dispatched can be cancelled")
        request.cancel(at=timezone.now(), by=actor, description="Cancelled by the buyer within the cancel window")
        request.save()
    return request


def help_request_dispatch(*, request_id: int, actor: Actor, now: datetime | None = None) -> bool:
    """Dispatch one request whose cancel window has ended (its last second passed); False when there is nothing to
    do."""
    now = now or timezone.now()
    with transaction.atomic():
        request = HelpRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or not can_proceed(request.dispatch) or not missed(request.dispatch_at, now):
            return False
        request.dispatch(at=now, by=actor, description="Cancel window ended: dispatched")
        request.save()
    return True


def help_request_give_solution(
    *, actor: Actor, request_id: int, text: str, appointment_at: datetime | None = None
) -> HelpRequest:
    """The merchant or provider (or staff, from a phone call) gives a solution; stops the 1-hour clock.

    A solution given after the 1-hour deadline records the miss first (the same way the
    sweep does), so a late answer is never a way out of the penalty.
    """
    solution = clean_text(text, field="solution")
    with transaction.atomic():
        request = _lock(request_id)
        role = _require_responsible(actor, request)
        require_step(request, "give_solution", message="A solution can only be given while the request awaits one")
        now = timezone.now()
        if appointment_at is not None:
            if timezone.is_naive(appointment_at):
                raise ValidationFailed("appointment_at must include a time zone.", code=field_code("appointment_at"))
            if appointment_at < now:
                raise RuleRefused("The appointment cannot be in the past.", code="appointment_in_past")
        record_misses_for(request, now=now)
        by_staff = " (recorded by staff)" if role == "staff" else ""
        request.give_solution(
            at=now,
            text=solution,
            appointment_at=appointment_at,
            by=actor,
            description=f"Solution given{by_staff}",
        )
        request.save()
    return request


def help_request_mark_resolved(*, actor: Actor, request_id: int, note: str) -> HelpRequest:
    """The merchant or provider marks the problem resolved; stops the 48-hour clock.

    The buyer confirms or objects; without either, the sweep confirms after the policy delay.
    """
    resolution = clean_text(note, field="note")
    with transaction.atomic():
        request = _lock(request_id)
        role = _require_responsible(actor, request)
        require_step(request, "mark_resolved", message="Only an open request can be marked resolved")
        now = timezone.now()
        record_misses_for(request, now=now)
        confirm_due, basis = RULES["help.confirm_due"].set(now, policies=policy_table.load("help.auto_confirm_after"))
        request.deadline_basis["confirm_due_at"] = basis
        by_staff = " (recorded by staff)" if role == "staff" else ""
        request.mark_resolved(
            at=now,
            note=resolution,
            confirm_due_at=confirm_due,
            by=actor,
            description=f"Marked resolved{by_staff}",
        )
        request.save()
    return request


def help_request_confirm(*, actor: Actor, request_id: int) -> HelpRequest:
    """The buyer confirms that the problem is resolved."""
    with transaction.atomic():
        request = _lock(request_id)
        _require_buyer(actor, request)
        require_step(request, "confirm", message="Only a resolution awaiting confirmation can be confirmed")
        request.confirm(at=timezone.now(), by=actor, description="Confirmed by the buyer")
        request.save()
    return request


def help_request_object(*, actor: Actor, request_id: int, text: str) -> HelpRequest:
    """The buyer objects to the resolution; the request goes to staff, who rule on it."""
    objection = clean_text(text, field="objection")
    with transaction.atomic():
        request = _lock(request_id)
        _require_buyer(actor, request)
        require_step(request, "object", message="Only a resolution awaiting confirmation can be objected to")
        now = timezone.now()
        if request.confirm_due_at is not None and missed(request.confirm_due_at, now):
            raise RuleRefused(
                "The objection period has ended; the resolution stands as confirmed.",
                code="objection_window_passed",
            )
        request.object(at=now, text=objection, by=actor, description="Buyer objected to the resolution")
        request.save()
    return request


def help_request_rule_objection(*, actor: Actor, request_id: int, resolved: bool, reason: str) -> HelpRequest:
    """Staff rule on a buyer's objection: the problem was resolved (final) or not (reopened).

    A reopened request runs its 48-hour clock again from the original deadline: if that
    has passed, the next sweep records the miss dated at the deadline.
    """
    why = clean_text(reason, field="reason")
    with transaction.atomic():
        request = _lock(request_id)
        name = "uphold_resolution" if resolved else "reopen"
        require_step(request, name, message="Only a request under review can be ruled on")
        require_allowed(request, name, actor)
        if resolved:
            request.uphold_resolution(at=timezone.now(), by=actor, description=f"Objection rejected: {why}")
        else:
            request.reopen(by=actor, description=f"Objection upheld, reopened: {why}")
        request.save()
    return request


def help_request_close(*, actor: Actor, request_id: int, reason: str) -> HelpRequest:
    """Staff close a request that needs no more work (e.g. the buyer withdrew by phone)."""
    why = clean_text(reason, field="reason")
    with transaction.atomic():
        request = _lock(request_id)
        require_step(request, "close", message="This request cannot be closed")
        require_allowed(request, "close", actor)
        now = timezone.now()
        # A deadline that passed before the close is a miss like any other: closing is no way out of its penalty.
        record_misses_for(request, now=now)
        request.close(at=now, by=actor, description=f"Closed by staff: {why}")
        request.save()
    return request


def help_request_record_followup(*, actor: Actor, request_id: int, note: str) -> HelpRequest:
    """Staff record the 48-hour follow-up call with the buyer; it leaves the follow-up queue."""
    text = clean_text(note, field="note")
    with transaction.atomic():
        request = _lock(request_id)
        require_allowed(request, "record_followup", actor)
        require_step(request, "record_followup", message="The follow-up cannot be recorded")
        request.record_followup(at=timezone.now(), note=text, by=actor, description=f"Follow-up: {text}")
        request.save()
    return request


def visible_to(actor: Actor, request: HelpRequest) -> bool:
    """Whether a merchant/provider API user may see this request."""
    return _visible_to_party(actor, request)
