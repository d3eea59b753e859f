"""Change-page buttons that take a step of the model's state machine through its service.

Each button is one declaration (a `Button`: which transitions it takes, its short form, the service it calls).
Whether it shows is the model's answer alone: django-fsm's has_transition_perm for the signed-in user (the
step's source states, its Rules, its Who). The service checks the same declarations again and stays the authority;
its refusal is shown as an error message and nothing changes (its transaction rolled back)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext
from django_fsm import has_transition_perm
from django_object_actions import DjangoObjectActions
from django_object_actions import action as object_action

from disputes.actors import Actor
from disputes.admin.helpers import admin_change_url, render_action_form, staff_user
from disputes.errors import DomainError
from disputes.models.steps import Who
from disputes.services.steps import who_takes

if TYPE_CHECKING:
    # What the stubs call the lazy string gettext_lazy returns; at run time it is a Promise.
    from django_stubs_ext import StrPromise
else:
    from django.utils.functional import Promise as StrPromise

# A label or message: plain text, or a lazy translation (gettext_lazy) rendered in the active language.
Text: TypeAlias = str | StrPromise


@dataclass(frozen=True)
class Button:
    """A change-page button: `steps` are transitions of the model (the button shows when any of them is available to
    the user); `call(actor, obj, data)` runs the service as the signed-in staff user with the form's cleaned data.
    `also` is a further declaration the button needs besides the step's own, e.g. assigning a new case to someone
    else."""

    name: str
    label: Text
    description: Text
    steps: tuple[str, ...]
    form: type[forms.Form]
    call: Callable[[Actor, Any, dict[str, Any]], object]
    success: Text | Callable[[Any], Text]
    intro: Callable[[Any], Text] | None = None
    also: Who | None = None


def offered(button: Button, obj: models.Model, user: Actor) -> bool:
    """Whether the button shows: one of its steps is available to `user` now (django-fsm: source state, Rules, Who)."""
    if button.also is not None and not button.also(obj, user):
        return False
    return any(has_transition_perm(getattr(obj, step), user) for step in button.steps)


def refusal(button: Button, obj: models.Model, user: Actor) -> str | None:
    """Why `user` may not take the button's steps at all, whatever the state (its Who, and `also`); None if they
    may. Staff holding the step's permission but failing its further staff rule (a 小二-tier case) hear that rule."""
    if button.also is not None and not button.also(obj, user):
        return gettext("You do not have permission to do this.")
    refusals = [who_takes(obj, step).refusal(obj, user) for step in button.steps]
    if any(found is None for found in refusals):
        return None
    rules = {who_takes(obj, step).staff_rule for step in button.steps} - {None}
    for found in refusals:
        if found is not None and any(rule.code == found.code for rule in rules if rule is not None):
            return found.message
    return gettext("You do not have permission to do this.")


class ServiceActionsAdmin(DjangoObjectActions, admin.ModelAdmin):
    """A ModelAdmin whose change-page buttons are declared in `buttons` and call one service each."""

    buttons: tuple[Button, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "buttons" not in cls.__dict__:
            return
        cls.change_actions = [button.name for button in cls.buttons]
        for button in cls.buttons:
            setattr(cls, button.name, _action_for(button))

    def get_change_actions(self, request: HttpRequest, object_id: str, form_url: str) -> list[str]:
        obj = self.get_object(request, object_id)
        if obj is None:
            return []
        return [button.name for button in self.buttons if offered(button, obj, staff_user(request))]

    def button(self, name: str) -> Button:
        return next(button for button in self.buttons if button.name == name)

    def run_button(self, request: HttpRequest, obj: Any, button: Button) -> HttpResponse:
        """GET shows the button's form; a valid POST calls its service and returns to the change page."""
        back_url = admin_change_url(self.model, obj.pk)
        actor = staff_user(request)
        refused = refusal(button, obj, actor)
        if refused is not None:
            messages.error(request, refused)
            return HttpResponseRedirect(back_url)
        if request.method == "POST":
            form = button.form(request.POST)
            if form.is_valid():
                try:
                    button.call(actor, obj, form.cleaned_data)
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    success = button.success(obj) if callable(button.success) else button.success
                    messages.success(request, success)
                return HttpResponseRedirect(back_url)
        else:
            form = button.form()
        return render_action_form(
            self,
            request,
            form=form,
            title=button.label,
            obj=obj,
            back_url=back_url,
            intro=button.intro(obj) if button.intro is not None else "",
        )


def _action_for(button: Button) -> Callable[..., HttpResponse]:
    def take(self: ServiceActionsAdmin, request: HttpRequest, obj: Any) -> HttpResponse:
        return self.run_button(request, obj, button)

    take.__name__ = button.name
    return object_action(label=button.label, description=button.description, button_type="a", methods=("GET", "POST"))(
        take
    )
