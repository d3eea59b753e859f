"""What the state machines declare about each step besides its source and target: who may take it directly
(`permission=`, a `Who`), what else must hold (`conditions=`, each a `Rule` that carries the refusal the
services raise), and `stay()`, the target of a step that records something without moving the case.

The admin shows a button, and a service lets an actor through, from these declarations alone; no other
module restates which state or role allows a step."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin, User
from django.db import models
from django_fsm import GET_STATE, FSMFieldMixin

from disputes.errors import DomainError, Forbidden, InvalidTransition, RuleRefused
from disputes.models.parties import Actor, buyer_of, is_system, merchant_of, provider_of

# (instance, actor) -> bool
PartyCheck = Callable[[Any, Actor], bool]


def is_buyer(instance: Any, actor: Actor) -> bool:
    """The actor is the buyer of this case."""
    buyer = buyer_of(actor)
    return buyer is not None and buyer.pk == instance.buyer_id


def is_merchant(instance: Any, actor: Actor) -> bool:
    """The actor is an API user of this case's merchant."""
    merchant = merchant_of(actor)
    return merchant is not None and merchant.pk == instance.merchant_id


def is_provider(instance: Any, actor: Actor) -> bool:
    """The actor is an API user of the service provider this case was dispatched to."""
    provider = provider_of(actor)
    return provider is not None and instance.provider_id is not None and provider.pk == instance.provider_id


def is_staff_with(actor: Actor | None, perm: str) -> bool:
    """An active staff member holding `perm` (through a group, directly, or as a superuser)."""
    return bool(actor is not None and getattr(actor, "is_staff", False) and actor.has_perm(perm))


@dataclass(frozen=True)
class StaffRule:
    """A further test on staff who hold the step's permission (e.g. a 小二-tier case needs a senior agent)."""

    test: Callable[[Any, Actor], bool]
    code: str
    message: str


@dataclass(frozen=True)
class Who:
    """The `permission=` of a transition: who may take the step directly.

    Staff holding `staff` (and passing `staff_rule`), a party of the case named in `parties`, or the
    scheduler when `system`. Called by django-fsm as permission(instance, user); `refusal` says why not.
    `NOBODY` marks a step that only follows from another one (a judgment's effect on a refund, the
    advance's bookkeeping): no button, no API operation takes it on its own.
    """

    staff: str | None = None
    staff_rule: StaffRule | None = None
    parties: tuple[PartyCheck, ...] = ()
    system: bool = False
    message: str = "Only staff with the right role may do this."
    code: str = "staff_permission_required"

    def __call__(self, instance: Any, actor: AbstractBaseUser | AnonymousUser | PermissionsMixin | None) -> bool:
        # django-fsm hands over whatever user it was given; only a signed-in User can be a party, staff or
        # the scheduler (an AnonymousUser was refused below all the same).
        return isinstance(actor, User) and self.refusal(instance, actor) is None

    def refusal(self, instance: Any, actor: Actor) -> DomainError | None:
        """None when `actor` may take the step on `instance`; otherwise the error a service raises."""
        if self.system and is_system(actor):
            return None
        if any(check(instance, actor) for check in self.parties):
            return None
        if self.staff is not None and is_staff_with(actor, self.staff):
            rule = self.staff_rule
            if rule is None or rule.test(instance, actor):
                return None
            return Forbidden(rule.message, code=rule.code)
        return Forbidden(self.message, code=self.code)

    @property
    def takes_directly(self) -> bool:
        """Whether anyone may take the step on its own (False for NOBODY)."""
        return bool(self.staff or self.parties or self.system)


NOBODY = Who()
SYSTEM = Who(system=True)


@dataclass(frozen=True)
class Rule:
    """A condition of a step (django-fsm `conditions=`): a pure test of the instance, and the refusal a service
    raises when it fails (`message` may be a callable of the instance, e.g. to read a policy). A rule about where
    the case has got to is a state conflict (InvalidTransition, 409); `business=True` marks a rule of the service
    itself, such as a time window or what kind of request this is (RuleRefused, 422)."""

    test: Callable[[Any], bool]
    code: str
    message: str | Callable[[Any], str]
    business: bool = False

    def __call__(self, instance: Any) -> bool:
        return bool(self.test(instance))

    def refusal(self, instance: Any) -> DomainError:
        text = self.message(instance) if callable(self.message) else self.message
        refused = RuleRefused if self.business else InvalidTransition
        # The record's state under its own field's name ("state" on the cases, "status" on a violation).
        field = next((f.name for f in instance._meta.fields if isinstance(f, FSMFieldMixin)), "state")
        return refused(text, code=self.code, details={field: getattr(instance, field, None)})


def stay(field: str = "state") -> GET_STATE:
    """The target of a step that records something on the case without moving it: the state it is in.
    django-fsm-log still writes the step to the history (source and target the same)."""
    return GET_STATE(lambda instance, *args, **kwargs: getattr(instance, field))


# Reading the declarations (the admin, the services and the sweeps' bulk paths do; nothing restates them).


def declared(model: type[models.Model], step: str) -> list[Any]:
    """The django-fsm Transition objects of the step named `step` on `model`, one per source state."""
    return list(getattr(model, step)._django_fsm.transitions.values())


def sources_of(model: type[models.Model], step: str) -> tuple[str, ...]:
    """The states the step may be taken from."""
    return tuple(str(t.source) for t in declared(model, step))


def target_of(model: type[models.Model], step: str) -> str:
    """The one state the step leads to (for steps with a fixed target, such as the scheduler's)."""
    targets = {t.target for t in declared(model, step)}
    if len(targets) != 1 or not isinstance(next(iter(targets)), str):
        raise TypeError(f"{model.__name__}.{step} has no single fixed target")
    return str(next(iter(targets)))


def steps_by(model: type[models.Model], key: str) -> dict[Any, str]:
    """Steps that declare custom[key], by that value: e.g. the scheduler's timeout step for each due action."""
    found: dict[Any, str] = {}
    for field in model._meta.fields:
        for transition in getattr(field, "get_all_transitions", lambda cls: [])(model):
            if key in transition.custom:
                found[transition.custom[key]] = transition.name
    return found
