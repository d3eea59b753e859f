"""Admin for force-majeure claims (不可抗力) on one-click help: the queue of claims to decide, their evidence, and
the approve and reject buttons."""

from typing import Any

from django.contrib import admin
from django.db.models import Count, F, QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from disputes.admin.buttons import Button, ServiceActionsAdmin
from disputes.admin.helpers import ReadOnlyAdminMixin, ReadOnlyInlineMixin, ReasonForm, evidence_file_response
from disputes.models import DeadlineKind, ForceMajeureClaim, ForceMajeureEvidence
from disputes.services.force_majeure import help_force_majeure_decide


def evidence_links(evidence: Any) -> str:
    links = [
        (reverse("admin:disputes_forcemajeureevidence_download", args=[e.pk]), e.original_name, e.size)
        for e in evidence
    ]
    if not links:
        return "-"
    return format_html_join(", ", '<a href="{}">{}</a> ({} B)', links)


class ForceMajeureClaimInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ForceMajeureClaim
    fields = ("deadline", "category", "status", "note", "evidence_files", "claimed_at", "decided_by", "decision_reason")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[ForceMajeureClaim]:
        return super().get_queryset(request).select_related("decided_by").prefetch_related("evidence")

    @admin.display(description=_("evidence"))
    def evidence_files(self, obj: ForceMajeureClaim) -> str:
        return evidence_links(obj.evidence.all())


class ForceMajeureEvidenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ForceMajeureEvidence
    fields = ("download", "content_type", "size", "uploaded_at", "uploaded_by")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ForceMajeureEvidence]:
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def download(self, obj: ForceMajeureEvidence) -> str:
        return evidence_links([obj])


@admin.register(ForceMajeureClaim)
class ForceMajeureClaimAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """Pending claims first; senior staff approve (penalty voided) or reject (penalty credited)."""

    list_display = (
        "__str__",
        "merchant",
        "order_no",
        "deadline",
        "category",
        "status",
        "claimed_at",
        "deadline_at",
        "evidence_count",
        "decided_by",
    )
    list_filter = ("status", "deadline", "category")
    search_fields = (
        "=help_request__order_item__order__order_no",
        "=help_request__buyer__phone",
        "help_request__merchant__shop_name",
    )
    list_select_related = ("help_request__merchant", "help_request__order_item__order", "decided_by")
    date_hierarchy = "claimed_at"
    inlines = (ForceMajeureEvidenceInline,)
    buttons = (
        Button(
            name="approve",
            label=_("Approve"),
            description=_("Force majeure accepted: the penalty for this deadline is voided."),
            steps=("approve",),
            form=ReasonForm,
            call=lambda actor, obj, data: help_force_majeure_decide(
                actor=actor, claim_id=obj.pk, approve=True, reason=data["reason"]
            ),
            success=_("Claim approved: the penalty is voided."),
            intro=lambda obj: obj.note,
        ),
        Button(
            name="reject",
            label=_("Reject"),
            description=_("Force majeure refused: the penalty is credited to the buyer, dated at the miss."),
            steps=("reject",),
            form=ReasonForm,
            call=lambda actor, obj, data: help_force_majeure_decide(
                actor=actor, claim_id=obj.pk, approve=False, reason=data["reason"]
            ),
            success=_("Claim rejected: the penalty is credited if the deadline was missed."),
            intro=lambda obj: obj.note,
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ForceMajeureClaim]:
        return (
            super()
            .get_queryset(request)
            .select_related("help_request__merchant", "help_request__order_item__order", "claimed_by", "decided_by")
            .annotate(evidence_total=Count("evidence"))
        )

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # The queue: undecided claims first, oldest first (each holds a penalty); then the latest decisions.
        return [F("decided_at").desc(nulls_first=True), "claimed_at"]

    @admin.display(description=_("merchant"), ordering="help_request__merchant__shop_name")
    def merchant(self, obj: ForceMajeureClaim) -> str:
        return str(obj.help_request.merchant)

    @admin.display(description=_("order number"))
    def order_no(self, obj: ForceMajeureClaim) -> str:
        return obj.help_request.order_item.order.order_no

    @admin.display(description=_("deadline at"))
    def deadline_at(self, obj: ForceMajeureClaim) -> Any:
        request = obj.help_request
        return request.solution_due_at if obj.deadline == DeadlineKind.SOLUTION else request.resolution_due_at

    @admin.display(description=_("evidence files"), ordering="evidence_total")
    def evidence_count(self, obj: ForceMajeureClaim) -> int:
        return obj.evidence_total  # type: ignore[attr-defined]  # get_queryset annotates it


@admin.register(ForceMajeureEvidence)
class ForceMajeureEvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Evidence files; they live outside any web root and download only through the view below."""

    list_display = ("original_name", "claim", "content_type", "size", "uploaded_at", "uploaded_by", "download")
    list_filter = ("content_type",)
    search_fields = ("original_name", "=sha256", "=claim__help_request__order_item__order__order_no")
    list_select_related = ("claim__help_request", "uploaded_by")
    date_hierarchy = "uploaded_at"
    readonly_fields = ("download",)
    exclude = ("file",)  # the storage path is an internal detail; staff use the download link

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "file"]

    @admin.display(description=_("download"))
    def download(self, obj: ForceMajeureEvidence) -> str:
        return evidence_links([obj])

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:evidence_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="disputes_forcemajeureevidence_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, evidence_id: int) -> FileResponse:
        """Stream one evidence file to staff who may view evidence, always as a download (the shared helper's
        headers: attachment, nosniff, a sandboxing CSP)."""
        evidence = get_object_or_404(ForceMajeureEvidence, pk=evidence_id)
        return evidence_file_response(self, request, evidence)
