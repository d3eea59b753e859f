"""What every service does around a step, written once for all of them: lock the row, check that the state
machine allows the step now and lets this actor take it (the model's declarations, disputes.models.steps), and
write the audit row (and its event) for steps that record something besides a transition."""

from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm import Transition
from django_fsm_log.models import StateLog

from disputes.actors import Actor
from disputes.errors import InvalidTransition, NotFound
from disputes.events.hooks import step_recorded
from disputes.models.steps import Rule, Who

M = TypeVar("M", bound=models.Model)

# How a refusal names the record in "(the request is Waiting for the merchant)".
_NOUNS = {"helprequest": "request", "refundrequest": "request", "intervention": "case"}


def lock(model: type[M], pk: Any, *, missing: str, code: str) -> M:
    """The row, locked for the rest of the transaction (select_for_update), or NotFound(code)."""
    found = model._default_manager.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(missing, code=code)
    return found


def transitions_of(obj: models.Model, step: str) -> list[Transition]:
    """The declared transitions of the step named `step` (one per source state)."""
    return list(getattr(type(obj), step)._django_fsm.transitions.values())


def who_takes(obj: models.Model, step: str) -> Who:
    """The step's permission declaration (the same for every source state)."""
    permission = transitions_of(obj, step)[0].permission
    if not isinstance(permission, Who):
        raise TypeError(f"{type(obj).__name__}.{step} declares no Who permission")
    return permission


def require_allowed(obj: models.Model, step: str, actor: Actor) -> None:
    """Refuse (Forbidden, with the declaration's code) unless `actor` may take `step` on `obj`, whatever its state."""
    refusal = who_takes(obj, step).refusal(obj, actor)
    if refusal is not None:
        raise refusal


def require_step(
    obj: models.Model,
    step: str,
    *,
    message: str,
    code: str = "invalid_transition",
    actor: Actor | None = None,
    say_state: bool = True,
) -> None:
    """Refuse unless the state machine allows `step` now: the current state is one of its sources (else
    InvalidTransition(code) with `message`, followed by the state the record is in unless not `say_state`), then
    each of its Rules holds (else that Rule's own refusal). With `actor`, then also require_allowed."""
    meta = getattr(type(obj), step)._django_fsm
    field = meta.field
    state = field.get_state(obj)
    if not meta.has_transition(state):
        if say_state:
            display = getattr(obj, f"get_{field.name}_display")()
            message = f"{message} (the {_NOUNS.get(obj._meta.model_name or '', 'record')} is {display})."
        raise InvalidTransition(message, code=code, details={field.name: state})
    for condition in meta.get_transition(state).conditions:
        if not condition(obj):
            if isinstance(condition, Rule):
                raise condition.refusal(obj)
            raise InvalidTransition(message, code=code, details={field.name: state})
    if actor is not None:
        require_allowed(obj, step, actor)


CURRENT = "<current state>"


def audit(obj: models.Model, *, actor: Actor | None, step: str, description: str, source: str | None = CURRENT) -> None:
    """A history row (django-fsm-log's StateLog) for what a service recorded outside a transition: the case's
    creation (`source=None`), or a note on the case, from its current state unless `source` says otherwise."""
    state = getattr(obj, "state", None)
    source_state = state if source == CURRENT else source
    StateLog.objects.create(
        by=actor,
        source_state=source_state,
        state=state,
        transition=step,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        description=description[:2000],
    )
    step_recorded(obj, step=step, actor=actor, source=source_state, state=state)
