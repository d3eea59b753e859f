"""Admin for the append-only ledgers: read-only lists, and manual adjustments posted through ledger_post."""

import re
import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import (
    ReadOnlyAdminMixin,
    admin_change_url,
    admin_changelist_url,
    render_action_form,
    staff_user,
)
from disputes.errors import DomainError
from disputes.models import BuyerPointsEntry, EntryKind, LedgerEntry, MerchantAccountEntry, PlatformAdvanceEntry
from disputes.services.ledger import ledger_post

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class AdjustmentForm(forms.Form):
    """A manual adjustment: the account, a signed amount and a memo saying why."""

    amount = forms.IntegerField(
        label=_("amount"),
        help_text=_("Signed: positive credits the account, negative debits it. Points or fen, as the ledger counts."),
    )
    memo = forms.CharField(label=_("memo"), max_length=255, help_text=_("Why the adjustment is made (required)."))
    # One token per rendered form: submitting the same form twice posts once (the ledger's idempotency key).
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, model: type[LedgerEntry], admin_site: admin.AdminSite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_names = [n for n in ("buyer", "merchant") if any(f.name == n for f in model._meta.fields)]
        account_fields = {}
        for name in self.account_names:
            field = model._meta.get_field(name)
            if not isinstance(field, models.ForeignKey):  # the accounts are keys to a buyer or a merchant
                raise TypeError(f"{model.__name__}.{name} is not an account key")
            account_fields[name] = forms.ModelChoiceField(
                label=field.verbose_name,
                queryset=field.related_model._default_manager.all(),
                widget=ForeignKeyRawIdWidget(field.remote_field, admin_site),
            )
        # Account first, then amount and memo.
        self.fields = {**account_fields, **self.fields}
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("An adjustment must move a non-zero amount."))
        return amount

    def clean_memo(self) -> str:
        memo = self.cleaned_data["memo"].strip()
        if not memo:
            raise forms.ValidationError(_("Say why the adjustment is made."))
        return memo

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not _TOKEN.match(token):
            raise forms.ValidationError(_("The form expired; open it again."))
        return token


class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Entries are never changed or deleted, by anyone; a supervisor may add a manual adjustment."""

    account_fields: tuple[str, ...] = ()
    list_filter = ("kind",)
    date_hierarchy = "occurred_at"
    ordering = ("-created_at", "-id")

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return ("id", "occurred_at", *self.account_fields, "kind", "amount", "memo", "source_link", "created_by")

    def get_list_select_related(self, request: HttpRequest) -> tuple[str, ...]:
        return (*self.account_fields, "created_by", "source_type")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # The add page is the adjustment form below, never the model form.
        return admin.ModelAdmin.has_add_permission(self, request)

    @admin.display(description=_("source"))
    def source_link(self, obj: LedgerEntry) -> str:
        source_type = obj.source_type
        if source_type is None or obj.source_id is None:
            return "-"
        model = source_type.model_class()
        if model is None:
            return f"{source_type.model} #{obj.source_id}"
        label = (
            f"HR-{obj.source_id}" if model._meta.model_name == "helprequest" else f"{model.__name__} #{obj.source_id}"
        )
        if model not in self.admin_site._registry:
            return label
        return format_html('<a href="{}">{}</a>', admin_change_url(model, obj.source_id), label)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Post a manual ADJUSTMENT entry through the ledger service; never a model save."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        changelist = admin_changelist_url(self.model)
        if request.method == "POST":
            form = AdjustmentForm(request.POST, model=self.model, admin_site=self.admin_site)
            if form.is_valid():
                data = form.cleaned_data
                account = {name: data[name] for name in form.account_names}
                try:
                    posted = ledger_post(
                        model=self.model,
                        amount=data["amount"],
                        kind=EntryKind.ADJUSTMENT,
                        idempotency_key=f"admin-adjustment:{self.model._meta.model_name}:{data['token']}",
                        actor=staff_user(request),
                        memo=data["memo"],
                        **account,
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    if posted.created:
                        self.log_addition(request, posted.entry, [{"added": {}}])
                        messages.success(request, gettext("Adjustment posted: %(entry)s") % {"entry": posted.entry})
                    else:
                        messages.warning(request, gettext("This adjustment was already posted."))
                    return HttpResponseRedirect(changelist)
        else:
            form = AdjustmentForm(model=self.model, admin_site=self.admin_site)
        return render_action_form(
            self,
            request,
            form=form,
            title=gettext("Manual adjustment: %(ledger)s") % {"ledger": self.model._meta.verbose_name},
            back_url=changelist,
            intro=gettext(
                "Ledger entries are never edited or deleted. An adjustment is a new entry, recorded with your name."
            ),
            submit_label=gettext("Post adjustment"),
        )


@admin.register(BuyerPointsEntry)
class BuyerPointsEntryAdmin(LedgerEntryAdmin):
    account_fields = ("buyer",)
    search_fields = ("=buyer__phone", "buyer__nickname", "idempotency_key", "memo")


@admin.register(MerchantAccountEntry)
class MerchantAccountEntryAdmin(LedgerEntryAdmin):
    account_fields = ("merchant",)
    search_fields = ("merchant__shop_name", "idempotency_key", "memo")


@admin.register(PlatformAdvanceEntry)
class PlatformAdvanceEntryAdmin(LedgerEntryAdmin):
    account_fields = ("buyer", "merchant")
    search_fields = ("=buyer__phone", "buyer__nickname", "merchant__shop_name", "idempotency_key", "memo")
