"""Where events come from without each service saying so: every declared transition taken on a model instance
(django-fsm's post_transition signal, sent in the service's transaction before it saves), and every step a service
records outside a transition (services.steps.audit calls step_recorded). The sweeps' bulk transitions write theirs
in disputes.sql.bulk.insert_transitions, the ledger's postings in disputes.services.ledger."""

from datetime import datetime
from typing import Any

from django.db import models
from django_fsm.signals import post_transition

from disputes.actors import Actor, buyer_of, is_system, merchant_of, provider_of
from disputes.events.catalogue import CASE_TYPES, deadline_fields, step_event, transition_event
from disputes.events.record import record

# The case a claim's events are about.
_PARENT = {"forcemajeureclaim": "help_request", "expressclaim": "refund"}


def role_of(actor: Actor | None) -> str:
    """Who took a step, as the parties see it: the scheduler, staff, the buyer, the merchant or its provider."""
    if actor is None or is_system(actor):
        return "system"
    if buyer_of(actor) is not None:
        return "buyer"
    if merchant_of(actor) is not None:
        return "merchant"
    if provider_of(actor) is not None:
        return "provider"
    return "staff"


def deadlines_of(case: models.Model) -> dict[str, datetime | None]:
    """The case's clocks as they stand: its *_due_at columns (and a help request's dispatch_at)."""
    return {name: getattr(case, name) for name in deadline_fields(type(case))}


def case_of(instance: models.Model) -> models.Model:
    parent = _PARENT.get(instance._meta.model_name or "")
    return getattr(instance, parent) if parent else instance


def _on_transition(
    sender: type[models.Model], instance: models.Model, name: str, source: Any, target: Any, **kwargs: Any
) -> None:
    model_name = sender._meta.model_name or ""
    if model_name not in CASE_TYPES:
        return
    type_ = transition_event(sender, name)
    if type_ is None:
        return
    case = case_of(instance)
    method_kwargs = kwargs.get("method_kwargs") or {}
    field = kwargs.get("field")
    payload: dict[str, Any] = {
        "transition": name,
        "field": getattr(field, "name", "state"),
        "from": source,
        "to": target if target is not None else source,
        "by": role_of(method_kwargs.get("by")),
        "deadlines": deadlines_of(case),
    }
    if case is not instance:
        payload["claim_id"] = instance.pk
    at = method_kwargs.get("at")
    record(type_, case=case, payload=payload, occurred_at=at if isinstance(at, datetime) else None)


def step_recorded(case: models.Model, *, step: str, actor: Actor | None, source: Any, state: Any) -> None:
    """The event of a step services.steps.audit recorded on `case`."""
    case_type = CASE_TYPES.get(case._meta.model_name or "")
    if case_type is None:
        return
    payload = {"step": step, "from": source, "to": state, "by": role_of(actor), "deadlines": deadlines_of(case)}
    record(step_event(case_type, step), case=case, payload=payload)


def connect() -> None:
    post_transition.connect(_on_transition, dispatch_uid="disputes.events.transition")
