"""Admin for policies (staff-editable rule values) and their change history; edits go through policy_update."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import ReadOnlyAdminMixin, ReadOnlyInlineMixin, admin_change_url, staff_user
from disputes.errors import DomainError
from disputes.models import Policy, PolicyChange
from disputes.selectors.what_if import NO_PREVIEW, REPLAYABLE, WhatIf, policy_what_if
from disputes.services.policies import policy_update

PREVIEW_URL = "disputes_policy_preview"
PREVIEW_DAYS = 30

# Where each policy is explained, by its key's first part: the sections of docs/policies.md, which is in the repository
# (a deployment serves no documentation), so the help text names the file and the section's anchor.
POLICY_DOCS = "docs/policies.md"
DOC_SECTIONS = {
    "help": "one-click-help",
    "standard": "48-hour-penalties-per-service-standard",
    "refund": "refunds-and-after-sales",
    "intervention": "platform-intervention",
    "violation": "merchant-violations",
}


def policy_doc(key: str) -> str:
    """The place in the repository's documentation that explains the policy `key`."""
    section = DOC_SECTIONS.get(key.split(".", 1)[0])
    return f"{POLICY_DOCS}#{section}" if section else POLICY_DOCS


class PolicyForm(forms.ModelForm):
    """The value, plus the reason that policy_update records with it."""

    reason = forms.CharField(
        label=_("reason for the change"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Required when the value changes; kept in the policy's history."),
    )

    class Meta:
        model = Policy
        fields = ("value",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "value" in self.fields and self.instance.key:
            self.fields["value"].help_text = _(
                "What it governs, its unit and default: %(doc)s in the repository; what a new value applies to: "
                "%(changing)s."
            ) % {"doc": policy_doc(self.instance.key), "changing": f"{POLICY_DOCS}#changing-a-value"}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "value" in self.changed_data and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the value changes."))
        return data


class PolicyPreviewForm(forms.Form):
    """The value a supervisor considers; the preview replays the last days under it and writes nothing."""

    value = forms.IntegerField(
        label=_("proposed value"),
        min_value=0,
        max_value=2**63 - 1,
        help_text=_("In the policy's own unit. Nothing is saved: change the value on the policy's page."),
    )


class PolicyChangeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = PolicyChange
    fields = ("changed_at", "version", "old_value", "new_value", "reason", "changed_by")
    readonly_fields = fields
    ordering = ("-changed_at", "-id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PolicyChange]:
        return super().get_queryset(request).select_related("changed_by", "policy")


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    form = PolicyForm
    list_display = (
        "key",
        "label_display",
        "group",
        "value",
        "unit",
        "version",
        "default_value",
        "is_default",
        "updated_at",
    )
    list_display_links = ("key", "label_display")
    list_filter = ("group", "unit")
    search_fields = ("key", "label")
    list_select_related = ("updated_by",)
    ordering = ("group", "key")
    fields = (
        "key",
        "label_display",
        "group",
        "unit",
        "default_value",
        "value",
        "version",
        "reason",
        "preview_link",
        "updated_at",
        "updated_by",
    )
    readonly_fields = (
        "key",
        "label_display",
        "group",
        "unit",
        "default_value",
        "version",
        "preview_link",
        "updated_at",
        "updated_by",
    )
    inlines = (PolicyChangeInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # policies are seeded by migrations; code reads them by key

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if not self.has_change_permission(request, obj):
            return [f for f in self.fields if f not in ("reason", "preview_link")]
        return self.fields

    @admin.display(description=_("before you change it"))
    def preview_link(self, obj: Policy) -> str:
        if not obj.pk:
            return "-"
        if obj.key not in REPLAYABLE:
            return str(NO_PREVIEW)
        return format_html(
            '<a href="{}">{}</a>',
            reverse(f"admin:{PREVIEW_URL}", args=[obj.pk]),
            _("Preview a new value on the last %(days)d days of one-click help") % {"days": PREVIEW_DAYS},
        )

    def get_urls(self) -> list[URLPattern]:
        preview = path("<int:policy_id>/preview/", self.admin_site.admin_view(self.preview_view), name=PREVIEW_URL)
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest, policy_id: int) -> HttpResponse:
        """What-if: the last 30 days of one-click help misses replayed under a proposed value (?value=), next to the
        value in force (disputes.selectors.what_if). Reads only; supervisors only, like the edit itself."""
        policy = get_object_or_404(Policy, pk=policy_id)
        if not self.has_change_permission(request, policy):
            raise PermissionDenied
        form = PolicyPreviewForm(request.GET if "value" in request.GET else None, initial={"value": policy.value})
        result: WhatIf | None = None
        error = ""
        if policy.key not in REPLAYABLE:
            error = str(NO_PREVIEW)
        elif form.is_valid():
            try:
                result = policy_what_if(policy.key, form.cleaned_data["value"], now=timezone.now(), days=PREVIEW_DAYS)
            except DomainError as exc:
                form.add_error("value", exc.message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": policy,
            "title": _("Preview a change of %(key)s") % {"key": policy.key},
            "form": form,
            "result": result,
            "no_preview": error,
            "days": PREVIEW_DAYS,
            "back_url": admin_change_url(Policy, policy.pk),
        }
        return TemplateResponse(request, "admin/disputes/policy/preview.html", context)

    @admin.display(description=_("label"), ordering="label")
    def label_display(self, obj: Policy) -> str:
        return obj.display_label

    @admin.display(description=_("default"), boolean=True)
    def is_default(self, obj: Policy) -> bool:
        return obj.value == obj.default_value

    def save_model(self, request: HttpRequest, obj: Policy, form: forms.ModelForm, change: bool) -> None:
        # Not a workflow: a value edit, routed through the service so it is validated under a
        # row lock and recorded with who, when and why.
        if "value" not in form.changed_data:
            return
        try:
            policy_update(
                actor=staff_user(request),
                policy_id=obj.pk,
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            request._policy_update_error = exc.message  # type: ignore[attr-defined]  # read by response_change

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "_policy_update_error", None):
            return None
        return super().log_change(request, obj, message)

    def response_change(self, request: HttpRequest, obj: Policy) -> HttpResponse:
        error = getattr(request, "_policy_update_error", None)
        if error:
            messages.error(request, error)
            return HttpResponseRedirect(admin_change_url(Policy, obj.pk))
        return super().response_change(request, obj)


@admin.register(PolicyChange)
class PolicyChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("changed_at", "policy", "version", "old_value", "new_value", "reason", "changed_by")
    list_filter = ("policy__group",)
    search_fields = ("policy__key", "reason", "changed_by__username")
    list_select_related = ("policy", "changed_by")
    date_hierarchy = "changed_at"
