"""What every case page shows under the case: its transition history (django-fsm-log), labelled from the model's
own state fields, and the ledger entries whose source is the case."""

from functools import cache
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMFieldMixin
from django_fsm_log.models import StateLog

from disputes.admin.helpers import ReadOnlyInlineMixin
from disputes.models import BuyerPointsEntry, MerchantAccountEntry, PlatformAdvanceEntry


@cache
def _state_field_of_step(model: type[models.Model], step: str) -> str:
    """Which state field a step moves ("state", or e.g. a refund's "advance_state"); "state" for rows a service
    wrote without a transition (the case's creation, notes)."""
    for field in model._meta.fields:
        if isinstance(field, FSMFieldMixin) and any(t.name == step for t in field.get_all_transitions(model)):
            return field.name
    return "state"


def state_label(model: type[models.Model], step: str, value: str | None) -> str:
    """The display label of a state value in a history row: "closed" is both a refund state and an advance state,
    and the step says which field moved."""
    if not value:
        return "-"
    field = model._meta.get_field(_state_field_of_step(model, step))
    choices = field.choices if isinstance(field, models.Field) else None  # a state field is a column
    return str(dict(choices or ()).get(value, value))


class StateLogInline(ReadOnlyInlineMixin, GenericTabularInline):
    """The transition history (django-fsm-log): who did what, when, and why."""

    model = StateLog
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("when", "step", "source_state_label", "state_label", "by_whom", "why")
    readonly_fields = fields
    verbose_name = _("transition")
    verbose_name_plural = _("transition history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StateLog]:
        return super().get_queryset(request).select_related("by").order_by("timestamp", "id")

    # django-fsm-log's columns carry no verbose names; these say them in the admin's language.
    @admin.display(description=_("time"))
    def when(self, obj: StateLog) -> str:
        return timezone.localtime(obj.timestamp).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description=_("step"))
    def step(self, obj: StateLog) -> str:
        return obj.transition

    @admin.display(description=_("by"))
    def by_whom(self, obj: StateLog) -> Any:
        return obj.by or "-"

    @admin.display(description=_("note"))
    def why(self, obj: StateLog) -> str:
        return obj.description or "-"

    @admin.display(description=_("from"))
    def source_state_label(self, obj: StateLog) -> str:
        return state_label(self.parent_model, obj.transition, obj.source_state)

    @admin.display(description=_("to"))
    def state_label(self, obj: StateLog) -> str:
        return state_label(self.parent_model, obj.transition, obj.state)


class _LedgerSourceInline(ReadOnlyInlineMixin, GenericTabularInline):
    """Ledger entries whose source is this case (penalties credited and charged, refunds, advances)."""

    ct_field = "source_type"
    ct_fk_field = "source_id"
    accounts: tuple[str, ...] = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("occurred_at", *self.accounts, "kind", "amount", "memo", "idempotency_key", "created_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related(*self.accounts, "created_by").order_by("occurred_at", "id")


class BuyerPointsSourceInline(_LedgerSourceInline):
    model = BuyerPointsEntry
    accounts = ("buyer",)


class MerchantAccountSourceInline(_LedgerSourceInline):
    model = MerchantAccountEntry
    accounts = ("merchant",)


class PlatformAdvanceSourceInline(_LedgerSourceInline):
    """Advances paid, recovered or repaid for this case."""

    model = PlatformAdvanceEntry
    accounts = ("buyer", "merchant")
