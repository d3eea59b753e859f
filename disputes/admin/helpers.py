"""Shared admin pieces: the acting staff user, formatting, read-only admins and inlines, short forms and their
frame, evidence files."""

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes.actors import Actor
from disputes.evidence import ALLOWED_TYPES, download_name

ACTION_FORM_TEMPLATE = "admin/disputes/service_action_form.html"
READONLY_INLINE_TEMPLATE = "admin/disputes/edit_inline/readonly_tabular.html"
MAX_TEXT = 2000


def staff_user(request: HttpRequest) -> Actor:
    """The signed-in staff user acting through an admin request: the admin site serves no one else, so anything
    but a User here is refused as the admin would refuse it."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


# Formatting -------------------------------------------------------------------------------------------------


def format_duration(delta: timedelta) -> str:
    """A short, human duration for list badges: '<1 min', '12 min', '1h', '1h 20m', '2d 3h'."""
    seconds = int(abs(delta.total_seconds()))
    minutes, _seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        if hours:
            return gettext("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
        return gettext("%(days)dd") % {"days": days}
    if hours:
        if minutes:
            return gettext("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": minutes}
        return gettext("%(hours)dh") % {"hours": hours}
    if minutes:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    return gettext("<1 min")


def format_fen(fen: int) -> str:
    """Integer fen as yuan with two decimals, e.g. -5000 -> '-50.00 元'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d} 元"


def yuan_column(field: str) -> Any:
    """A list column or read-only field showing the model field `field` (integer fen) as 元 with two decimals,
    under the field's own label and sorted by it: staff never read raw fen."""

    def show(obj: Any) -> str:
        value = getattr(obj, field)
        return "-" if value is None else format_fen(value)

    show.__name__ = f"{field}_yuan"
    return show


def _label_of(model: type[models.Model], field: str) -> Any:
    found = model._meta.get_field(field)
    return found.verbose_name if isinstance(found, models.Field) else field


def flag_column(model: type[models.Model], field: str) -> Any:
    """A yes/no field in words: the admin's boolean icons put a red cross on a plain "no" (not an express case),
    which staff read as an error. On a ModelAdmin class, assign it as a staticmethod."""

    def show(obj: Any) -> str:
        return gettext("yes") if getattr(obj, field) else gettext("no")

    show.__name__ = f"{field}_flag"
    return admin.display(description=_label_of(model, field), ordering=field)(show)


# A money field's label as staff read it in 元: the model's verbose name without its "(fen)".
MONEY_LABELS = {
    "amount paid": _("amount paid"),
    "instant-refund quota": _("instant-refund quota"),
    "item price at raise": _("item price at raise"),
    "list price": _("list price"),
    "refund": _("refund"),
    "refund amount": _("refund amount"),
}


def money_column(model: type[models.Model], field: str) -> Any:
    """yuan_column with the field's label (its unit dropped: the value says 元) and sorting, for list_display and
    readonly_fields."""
    with translation.override("en"):
        english = str(_label_of(model, field)).removesuffix(" (fen)")
    label = MONEY_LABELS.get(english, _label_of(model, field))
    return admin.display(description=label, ordering=field)(yuan_column(field))


# Badge colours: amber when a deadline is near, red once it passed, grey otherwise.
BADGE_STYLE = {
    "amber": "background:#f5a623;color:#1a1a1a",
    "red": "background:#ba2121;color:#fff",
    "grey": "background:#e8e8e8;color:#333",
    "green": "background:#2e7d32;color:#fff",
    "blue": "background:#205493;color:#fff",
}


def badge(colour: str, text: str, title: str = "") -> SafeString:
    """A small coloured label for list columns (deadlines, flags)."""
    return format_html(
        '<span style="{};padding:1px 7px;border-radius:9px;white-space:nowrap;font-size:11px" title="{}">{}</span>',
        BADGE_STYLE[colour],
        title,
        text,
    )


def admin_change_url(model: type[models.Model], pk: Any) -> str:
    """The admin change (or view) page of one object, without loading it."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])


def admin_changelist_url(model: type[models.Model], **filters: Any) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    if filters:
        url += "?" + "&".join(f"{key}={value}" for key, value in filters.items())
    return url


# Read-only admins and inlines -------------------------------------------------------------------------------


def fen_fields(model: type[models.Model]) -> set[str]:
    """The model's money fields: integer fen, named `*_fen`."""
    return {f.name for f in model._meta.concrete_fields if f.name.endswith("_fen")}


def _as_yuan(model: type[models.Model], names: Any) -> Any:
    """`names` (a list, or a fieldset's nested tuples) with each money field replaced by its 元 display."""
    money = fen_fields(model)
    out: list[Any] = []
    for name in names:
        if isinstance(name, (list, tuple)):
            out.append(tuple(_as_yuan(model, name)))
        else:
            out.append(f"{name}_yuan" if isinstance(name, str) and name in money else name)
    return tuple(out)


def all_field_names(model: type[models.Model]) -> list[str]:
    """Every concrete and many-to-many field of a model, for pages where nothing is editable."""
    opts = model._meta
    return [f.name for f in [*opts.concrete_fields, *opts.many_to_many] if not f.auto_created or f.primary_key]


if TYPE_CHECKING:
    # The checker sees the mixin as the ModelAdmin it is mixed into (its super() calls and self.model).
    _ModelAdminBase = admin.ModelAdmin
else:
    _ModelAdminBase = object


class ReadOnlyAdminMixin(_ModelAdminBase):
    """An admin where records are written only by services: no add, change or delete, every field read-only."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every money field (integer fen) reads as 元 on the page: field `x_fen` shows as `x_fen_yuan`.
        for name in fen_fields(self.model):
            setattr(self, f"{name}_yuan", money_column(self.model, name))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        declared = list(super().get_readonly_fields(request, obj))
        names = declared + [name for name in all_field_names(self.model) if name not in declared]
        return [f"{name}_yuan" if name in fen_fields(self.model) else name for name in names]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self.fields:
            return _as_yuan(self.model, self.fields)
        return self.get_readonly_fields(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            (name, {**opts, "fields": _as_yuan(self.model, opts["fields"])})
            for name, opts in super().get_fieldsets(request, obj)
        ]

    def get_list_display(self, request: HttpRequest) -> Any:
        return _as_yuan(self.model, super().get_list_display(request))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ReadOnlyInlineMixin:
    """An inline that shows rows and never adds, edits or deletes them."""

    extra = 0
    max_num: int | None = 0  # as InlineModelAdmin declares it
    can_delete = False
    template = READONLY_INLINE_TEMPLATE

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Short forms for service actions ----------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class ConfirmForm(forms.Form):
    """No input: the button's page explains the step and asks for confirmation."""


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


# The frame of a button's short form -------------------------------------------------------------------------


def render_action_form(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    form: forms.Form,
    title: Any,
    back_url: str,
    obj: Any = None,
    intro: Any = "",
    submit_label: Any = None,
    media: Any = None,
) -> TemplateResponse:
    """Render a short form inside the admin's frame (header, breadcrumbs, messages)."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "object": obj,
        "form": form,
        "back_url": back_url,
        "intro": intro,
        "submit_label": submit_label or gettext("Confirm"),
        "media": (media or model_admin.media) + form.media,
    }
    return TemplateResponse(request, ACTION_FORM_TEMPLATE, context)


# Evidence files -----------------------------------------------------------------------------------------------

# Raster types the upload check verified by content; only these may render inline (never SVG or HTML).
INLINE_IMAGE_TYPES = frozenset(mime for mime, kind in ALLOWED_TYPES.items() if kind == "image")


def evidence_file_response(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    evidence: Any,
    *,
    file_field: str = "file",
    inline: bool = False,
) -> FileResponse:
    """Stream one stored evidence file to staff who may view `evidence` in `model_admin`.

    A download by default; with `inline`, a checked raster image is shown in place (thumbnails),
    anything else is still sent as an attachment. Uploaded bytes never run in the back office's origin.
    """
    if not model_admin.has_view_permission(request, evidence):
        raise PermissionDenied
    stored = getattr(evidence, file_field)
    if not stored:
        raise Http404(gettext("This evidence has no file."))
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("The evidence file is missing from storage.")) from None
    content_type = evidence.content_type or "application/octet-stream"
    response = FileResponse(
        handle,
        as_attachment=not (inline and content_type in INLINE_IMAGE_TYPES),
        # Cleaned again here (rows stored before names were cleaned), with the content's extension.
        filename=download_name(evidence.original_name, content_type),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def evidence_file_html(evidence: Any, *, url_name: str) -> SafeString:
    """A download link for one evidence file; a checked image also shows as a thumbnail served inline."""
    url = reverse(f"admin:{url_name}", args=[evidence.pk])
    if evidence.content_type in INLINE_IMAGE_TYPES:
        return format_html(
            '<a href="{}" title="{}"><img src="{}?inline=1" alt="{}" loading="lazy" '
            'style="max-height:80px;max-width:120px;border:1px solid #ccc;vertical-align:middle"></a>',
            url,
            evidence.original_name,
            url,
            evidence.original_name,
        )
    return format_html('<a href="{}">{}</a> ({} B)', url, evidence.original_name, evidence.size)
