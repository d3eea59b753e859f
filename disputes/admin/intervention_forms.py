"""The short forms of the intervention case page's buttons and of filing a case for a party by phone or chat."""

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from disputes.admin.helpers import MAX_TEXT
from disputes.models import Channel, Ground, Order, Outcome, Party, RefundRequest, SuspendReason, ViolationKind
from disputes.services.interventions.common import MAX_TEXT as CASE_TEXT

PARTY_CHOICES = [(Party.BUYER, Party.BUYER.label), (Party.MERCHANT, Party.MERCHANT.label)]
STAFF_CHANNELS = [(c, c.label) for c in (Channel.PHONE, Channel.ONLINE_CHAT, Channel.SENIOR)]
VIOLATION_CHOICES = [("", _("No violation")), *ViolationKind.choices]


def intervention_staff() -> QuerySet[Any]:
    """Active staff who may work intervention cases (through a group, directly, or as superusers)."""
    perm = Permission.objects.filter(content_type__app_label="disputes", codename="work_intervention").first()
    holders = Q(is_superuser=True)
    if perm is not None:
        holders |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    return get_user_model().objects.filter(holders, is_active=True, is_staff=True).distinct().order_by("username")


class AssignForm(forms.Form):
    assign_to = forms.ModelChoiceField(label=_("agent"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assign_to"]
        assert isinstance(field, forms.ModelChoiceField)  # declared above
        field.queryset = intervention_staff()


def _text_field(
    label: Any, *, rows: int = 3, required: bool = True, help_text: Any = "", max_length: int = CASE_TEXT
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "cols": 60}),
    )


# Amounts left empty mean zero; the service checks what each outcome needs.
def _refund_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("refund (fen)"),
        min_value=0,
        initial=0,
        required=False,
        help_text=_("100 fen = 1 元. 0 on a full refund: the amount of the refund request."),
    )


def _points_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("compensation (points)"), min_value=0, initial=0, required=False, help_text=_("100 points = 1 元.")
    )


class RequestEvidenceForm(forms.Form):
    party = forms.ChoiceField(label=_("ask"), choices=PARTY_CHOICES)
    note = _text_field(_("what is needed"), max_length=MAX_TEXT)
    due_at = forms.SplitDateTimeField(label=_("due at"), widget=AdminSplitDateTime, help_text=_("Beijing time."))


class ProposeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    refund_fen = _refund_field()
    compensation_points = _points_field()
    terms = _text_field(_("terms"), rows=4, max_length=MAX_TEXT)


class JudgeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    refund_fen = _refund_field()
    compensation_points = _points_field()
    violation_kind = forms.ChoiceField(label=_("violation to record"), choices=VIOLATION_CHOICES, required=False)
    reasons = _text_field(_("reasons"), rows=5)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("review"),
        choices=[("confirm", _("Confirm the judgment")), ("overturn", _("Overturn it"))],
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("new outcome"),
        choices=[("", "---------"), *Outcome.choices],
        required=False,
        help_text=_("Overturn only."),
    )
    refund_fen = _refund_field()
    compensation_points = _points_field()
    violation_kind = forms.ChoiceField(label=_("violation to record"), choices=VIOLATION_CHOICES, required=False)
    reasons = _text_field(_("reasons"), rows=5)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("decision") == "overturn" and not data.get("outcome"):
            self.add_error("outcome", _("An overturn states the new outcome."))
        return data


class SuspendForm(forms.Form):
    reason = forms.ChoiceField(label=_("why"), choices=SuspendReason.choices)
    note = _text_field(_("note"), max_length=MAX_TEXT)


class FileCaseForm(forms.Form):
    """A case staff file for a party who called or chatted: name the order or the refund, then the claim."""

    order_no = forms.CharField(label=_("order number"), max_length=40, required=False)
    refund = forms.CharField(label=_("refund request"), max_length=20, required=False, help_text=_("RF-123 or 123."))
    party = forms.ChoiceField(label=_("on behalf of"), choices=PARTY_CHOICES)
    channel = forms.ChoiceField(label=_("channel"), choices=STAFF_CHANNELS)
    ground = forms.ChoiceField(label=_("ground"), choices=Ground.choices)
    claim = _text_field(
        pgettext_lazy("what a party asks for", "claim"), rows=5, help_text=_("What the party asks for, in their words.")
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        order_no, refund = (data.get("order_no") or "").strip(), (data.get("refund") or "").strip().upper()
        data["order_item_id"] = data["refund_id"] = None
        if bool(order_no) == bool(refund):
            raise forms.ValidationError(_("Give either the order number or the refund request, not both."))
        if refund:
            number = refund.removeprefix("RF-")
            if not number.isdigit():
                self.add_error("refund", _("A refund request number looks like RF-123."))
            elif not RefundRequest.objects.filter(pk=int(number)).exists():
                self.add_error("refund", _("No such refund request."))
            else:
                data["refund_id"] = int(number)
            return data
        order = Order.objects.filter(order_no=order_no).first()
        items = list(order.items.values_list("pk", flat=True)) if order is not None else []
        if not items:
            self.add_error("order_no", _("No such order."))
        elif len(items) > 1:
            self.add_error("order_no", _("The order has several items: file the case on the item's refund request."))
        else:
            data["order_item_id"] = items[0]
        return data
