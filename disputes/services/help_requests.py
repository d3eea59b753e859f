"""One-click help (一键求助) services: raise, cancel, solve, resolve, confirm, object, rule, close, follow up."""

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes import sla
from disputes.actors import buyer_of, merchant_of, provider_of
from disputes.choices import HELP_ELIGIBLE_SERVICES
from disputes.errors import DomainError, Forbidden, InvalidTransition, NotFound, ValidationFailed
from disputes.models import (
    AnomalyKind,
    HelpRequest,
    HelpState,
    OrderItem,
    OrderStatus,
    ServiceDesignation,
    SupportedCity,
)
from disputes.notifications import notify_after_commit
from disputes.services.help_penalties import record_misses_for
from disputes.services.inputs import clean_text

MAX_TEXT = 2000

LIVE_STATES = (
    HelpState.RAISED,
    HelpState.DISPATCHED,
    HelpState.SOLUTION_GIVEN,
    HelpState.RESOLVED_PENDING,
    HelpState.UNDER_REVIEW,
)


class NotEligible(DomainError):
    """The order item cannot carry a one-click help request; the message says why."""

    status = 422


def _lock(request_id: int) -> HelpRequest:
    found = HelpRequest.objects.select_for_update().filter(pk=request_id).first()
    if found is None:
        raise NotFound("No such help request.", code="help_request_not_found")
    return found


def _log_creation(request: HelpRequest, actor: Any, description: str) -> None:
    StateLog.objects.create(
        by=actor,
        source_state=None,
        state=request.state,
        transition="raise",
        content_type=ContentType.objects.get_for_model(HelpRequest),
        object_id=request.pk,
        description=description,
    )


def _require(request: HelpRequest, transition_name: str, message: str) -> None:
    if not can_proceed(getattr(request, transition_name)):
        raise InvalidTransition(
            f"{message} (the request is {request.get_state_display()}).",
            details={"state": request.state},
        )


def _is_buyer(actor: Any, request: HelpRequest) -> bool:
    buyer = buyer_of(actor)
    return buyer is not None and buyer.pk == request.buyer_id


def _visible_to_party(actor: Any, request: HelpRequest) -> bool:
    """The merchant sees all its requests; a provider only those dispatched to it."""
    if request.state in (HelpState.RAISED, HelpState.CANCELLED):
        return False
    merchant = merchant_of(actor)
    if merchant is not None and merchant.pk == request.merchant_id:
        return True
    provider = provider_of(actor)
    return provider is not None and request.provider_id is not None and provider.pk == request.provider_id


def _require_responsible(actor: Any, request: HelpRequest) -> str:
    """The merchant, its designated provider, or staff recording on their behalf. Returns the role."""
    if _visible_to_party(actor, request):
        return "party"
    if getattr(actor, "is_staff", False) and actor.has_perm("disputes.record_solution_helprequest"):
        return "staff"
    # A party that may not see the request is told it does not exist.
    raise NotFound("No such help request.", code="help_request_not_found")


def _require_buyer(actor: Any, request: HelpRequest) -> None:
    if not _is_buyer(actor, request):
        raise NotFound("No such help request.", code="help_request_not_found")


def _require_staff(actor: Any, request: HelpRequest, transition_name: str) -> None:
    if not getattr(actor, "is_staff", False) or not has_transition_perm(getattr(request, transition_name), actor):
        raise Forbidden("Only staff with the right role may do this.", code="staff_permission_required")


def help_request_raise(
    *,
    actor: Any,
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
        item = (
            OrderItem.objects.select_related("order", "product")
            .prefetch_related("commitments")
            .filter(pk=order_item_id, order__buyer=buyer)
            .first()
        )
        if item is None:
            raise NotFound("No such order item on your orders.", code="order_item_not_found")
        order = item.order
        if order.status == OrderStatus.CLOSED:
            raise NotEligible("The order is closed.", code="order_closed")
        eligible = sorted(c.kind for c in item.commitments.all() if c.kind in HELP_ELIGIBLE_SERVICES)
        if not eligible:
            raise NotEligible(
                "This item has no installation, delivery or warranty commitment, so one-click help does not apply.",
                code="service_not_eligible",
            )
        if service_kind is None:
            if len(eligible) > 1:
                raise ValidationFailed(
                    f"This item carries several services; choose one of {', '.join(eligible)}.",
                    code="service_kind_required",
                )
            service_kind = eligible[0]
        elif service_kind not in eligible:
            raise NotEligible(
                f"This item does not carry the service {service_kind!r}; it carries {', '.join(eligible)}.",
                code="service_not_on_item",
            )
        if not SupportedCity.objects.filter(name=order.city, is_active=True).exists():
            raise NotEligible(f"One-click help is not offered in {order.city}.", code="city_not_supported")
        if HelpRequest.objects.filter(order_item=item, service_kind=service_kind, state__in=LIVE_STATES).exists():
            raise DomainError(
                "A help request for this item and service is already open.", code="help_request_exists"
            ) from None

        policies = policy_table.load("help.")
        now = timezone.now()
        designation = (
            ServiceDesignation.objects.filter(merchant_id=order.merchant_id, service_kind=service_kind)
            .select_related("provider")
            .first()
        )
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
            dispatch_at=now + policies.duration("help.cancel_window"),
            solution_due_at=sla.solution_due_at(
                now,
                sla=policies.duration("help.solution_sla"),
                start=policies.clock("help.window_start"),
                end=policies.clock("help.window_end"),
            ),
            resolution_due_at=now + policies.duration("help.resolution_sla"),
        )
        _log_creation(request, actor, "Raised by the buyer")
        from disputes.tasks import help_dispatch_one

        delay = policies.duration("help.cancel_window").total_seconds()
        transaction.on_commit(lambda: help_dispatch_one.apply_async(args=[request.pk], countdown=delay + 1))
    return request


def help_request_cancel(*, actor: Any, request_id: int) -> HelpRequest:
    """The buyer cancels within the cancel window (server clock); the request becomes void.

    Raises NotFound for someone else's request and InvalidTransition once the window ended.
    """
    with transaction.atomic():
        request = _lock(request_id)
        _require_buyer(actor, request)
        now = timezone.now()
        if request.state != HelpState.RAISED or now >= request.dispatch_at:
            raise InvalidTransition(
                "The cancel window has ended; the request was dispatched.", code="cancel_window_passed"
            )
        request.cancel(at=now, by=actor, description="Cancelled by the buyer within the cancel window")
        request.save()
    return request


def help_request_dispatch(*, request_id: int, actor: Any, now: datetime | None = None) -> bool:
    """Dispatch one request whose cancel window has ended; False when there is nothing to do."""
    now = now or timezone.now()
    with transaction.atomic():
        request = HelpRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.state != HelpState.RAISED or request.dispatch_at > now:
            return False
        request.dispatch(at=now, by=actor, description="Cancel window ended: dispatched")
        request.save()
        notify_after_commit("help_request.dispatched", case="help_request", case_id=request.pk)
    return True


def help_request_give_solution(
    *, actor: Any, request_id: int, text: str, appointment_at: datetime | None = None
) -> HelpRequest:
    """The merchant or provider (or staff, from a phone call) gives a solution; stops the 1-hour clock.

    A solution given after the 1-hour deadline records the miss first (the same way the
    sweep does), so a late answer is never a way out of the penalty.
    """
    solution = clean_text(text, field="solution")
    with transaction.atomic():
        request = _lock(request_id)
        role = _require_responsible(actor, request)
        _require(request, "give_solution", "A solution can only be given while the request awaits one")
        now = timezone.now()
        if appointment_at is not None:
            if timezone.is_naive(appointment_at):
                raise ValidationFailed("appointment_at must include a time zone.", code="naive_datetime")
            if appointment_at < now:
                raise ValidationFailed("The appointment cannot be in the past.", code="appointment_in_past")
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
        notify_after_commit("help_request.solution_given", case="help_request", case_id=request.pk)
    return request


def help_request_mark_resolved(*, actor: Any, request_id: int, note: str) -> HelpRequest:
    """The merchant or provider marks the problem resolved; stops the 48-hour clock.

    The buyer confirms or objects; without either, the sweep confirms after the policy delay.
    """
    resolution = clean_text(note, field="note")
    with transaction.atomic():
        request = _lock(request_id)
        role = _require_responsible(actor, request)
        _require(request, "mark_resolved", "Only an open request can be marked resolved")
        now = timezone.now()
        record_misses_for(request, now=now)
        confirm_after = policy_table.load("help.auto_confirm_after").duration("help.auto_confirm_after")
        by_staff = " (recorded by staff)" if role == "staff" else ""
        request.mark_resolved(
            at=now,
            note=resolution,
            confirm_due_at=now + confirm_after,
            by=actor,
            description=f"Marked resolved{by_staff}",
        )
        request.save()
        notify_after_commit("help_request.resolved", case="help_request", case_id=request.pk)
    return request


def help_request_confirm(*, actor: Any, request_id: int) -> HelpRequest:
    """The buyer confirms that the problem is resolved."""
    with transaction.atomic():
        request = _lock(request_id)
        _require_buyer(actor, request)
        _require(request, "confirm", "Only a resolution awaiting confirmation can be confirmed")
        request.confirm(at=timezone.now(), by=actor, description="Confirmed by the buyer")
        request.save()
    return request


def help_request_object(*, actor: Any, request_id: int, text: str) -> HelpRequest:
    """The buyer objects to the resolution; the request goes to staff, who rule on it."""
    objection = clean_text(text, field="objection")
    with transaction.atomic():
        request = _lock(request_id)
        _require_buyer(actor, request)
        _require(request, "object", "Only a resolution awaiting confirmation can be objected to")
        now = timezone.now()
        if request.confirm_due_at is not None and now >= request.confirm_due_at:
            raise InvalidTransition(
                "The objection period has ended; the resolution stands as confirmed.",
                code="objection_window_passed",
            )
        request.object(at=now, text=objection, by=actor, description="Buyer objected to the resolution")
        request.save()
        notify_after_commit("help_request.objected", case="help_request", case_id=request.pk)
    return request


def help_request_rule_objection(*, actor: Any, request_id: int, resolved: bool, reason: str) -> HelpRequest:
    """Staff rule on a buyer's objection: the problem was resolved (final) or not (reopened).

    A reopened request runs its 48-hour clock again from the original deadline: if that
    has passed, the next sweep records the miss dated at the deadline.
    """
    why = clean_text(reason, field="reason")
    with transaction.atomic():
        request = _lock(request_id)
        name = "uphold_resolution" if resolved else "reopen"
        _require(request, name, "Only a request under review can be ruled on")
        _require_staff(actor, request, name)
        if resolved:
            request.uphold_resolution(at=timezone.now(), by=actor, description=f"Objection rejected: {why}")
        else:
            request.reopen(by=actor, description=f"Objection upheld, reopened: {why}")
        request.save()
    return request


def help_request_close(*, actor: Any, request_id: int, reason: str) -> HelpRequest:
    """Staff close a request that needs no more work (e.g. the buyer withdrew by phone)."""
    why = clean_text(reason, field="reason")
    with transaction.atomic():
        request = _lock(request_id)
        _require(request, "close", "This request cannot be closed")
        _require_staff(actor, request, "close")
        request.close(at=timezone.now(), by=actor, description=f"Closed by staff: {why}")
        request.save()
    return request


def help_request_record_followup(*, actor: Any, request_id: int, note: str) -> HelpRequest:
    """Staff record the 48-hour follow-up call with the buyer; it leaves the follow-up queue."""
    text = clean_text(note, field="note")
    with transaction.atomic():
        request = _lock(request_id)
        if not getattr(actor, "is_staff", False) or not actor.has_perm("disputes.record_solution_helprequest"):
            raise Forbidden("Only staff may record a follow-up.", code="staff_permission_required")
        if request.followup_queued_at is None:
            raise InvalidTransition("This request is not in the follow-up queue.", code="not_in_followup_queue")
        if request.followup_done_at is not None:
            raise InvalidTransition("The follow-up was already recorded.", code="followup_already_recorded")
        request.followup_done_at = timezone.now()
        request.followup_note = text
        request.save(update_fields=["followup_done_at", "followup_note"])
    return request


def visible_to(actor: Any, request: HelpRequest) -> bool:
    """Whether a merchant/provider API user may see this request."""
    return _visible_to_party(actor, request)
