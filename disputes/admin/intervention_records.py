"""What an intervention case gathers, shown inline on the case page and as read-only lists: evidence (files served
only through a checked download view), evidence requests, mediation proposals, judgments with the money they
moved, and appeals."""

from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes.admin.help_requests import ViolationInline
from disputes.admin.helpers import (
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    admin_change_url,
    evidence_file_html,
    evidence_file_response,
    format_fen,
)
from disputes.models import (
    LEDGER_MODELS,
    Appeal,
    EvidenceItem,
    EvidenceRequest,
    Intervention,
    Judgment,
    LedgerEntry,
    MediationProposal,
    ViolationKind,
)

EVIDENCE_DOWNLOAD = "disputes_evidenceitem_download"


def evidence_content(item: EvidenceItem) -> str:
    """Text shown as it is; a file as a download link, an image also as a thumbnail."""
    if item.file:
        html = evidence_file_html(item, url_name=EVIDENCE_DOWNLOAD)
        return format_html("{}<br>{}", html, item.text) if item.text else html
    return item.text


class EvidenceItemInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = EvidenceItem
    fields = ("party", "content", "content_type", "size", "submitted_at", "submitted_by", "for_appeal")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceItem]:
        return super().get_queryset(request).select_related("submitted_by")

    @admin.display(description=_("evidence"))
    def content(self, obj: EvidenceItem) -> str:
        return evidence_content(obj)


class EvidenceRequestInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = EvidenceRequest
    fields = ("party", "note", "due_at", "requested_at", "requested_by", "fulfilled_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceRequest]:
        return super().get_queryset(request).select_related("requested_by")


class MediationProposalInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = MediationProposal
    fields = (
        "outcome",
        "refund",
        "compensation_points",
        "terms",
        "status",
        "buyer_accepted_at",
        "merchant_accepted_at",
        "declined_by",
        "proposed_at",
        "proposed_by",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[MediationProposal]:
        return super().get_queryset(request).select_related("proposed_by")

    @admin.display(description=_("refund"))
    def refund(self, obj: MediationProposal) -> str:
        return format_fen(obj.refund_fen)


def superseded_annotation() -> Exists:
    return Exists(Judgment.objects.filter(supersedes=OuterRef("pk")))


class JudgmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Judgment
    fk_name = "intervention"
    fields = (
        "outcome",
        "refund",
        "compensation_points",
        "violation",
        "reasons",
        "judged_at",
        "judged_by",
        "via_agreement",
        "via_review",
        "superseded",
        "executed_at",
        "reversed_at",
    )
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Judgment]:
        return super().get_queryset(request).select_related("judged_by").annotate(is_superseded=superseded_annotation())

    @admin.display(description=_("refund"))
    def refund(self, obj: Judgment) -> str:
        return format_fen(obj.refund_fen)

    @admin.display(description=_("superseded"), boolean=True)
    def superseded(self, obj: Judgment) -> bool:
        return obj.is_superseded  # type: ignore[attr-defined]  # get_queryset annotates it

    @admin.display(description=_("violation recorded"))
    def violation(self, obj: Judgment) -> str:
        return violation_label(obj.violation_kind)


def violation_label(kind: str) -> str:
    if not kind:
        return "-"
    return str(dict(ViolationKind.choices).get(kind, kind))


class AppealInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Appeal
    fields = (
        "party",
        "reasons",
        "appealed_at",
        "appealed_by",
        "reviewed_at",
        "reviewed_by",
        "overturned",
        "review_reasons",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appeal]:
        return super().get_queryset(request).select_related("appealed_by", "reviewed_by")


class CaseViolationInline(ViolationInline):
    fk_name = "intervention"
    fields = ("kind", "status", "occurred_at", "compensation_points", "score_points", "decided_by")
    readonly_fields = fields


def judgment_ledger_entries(case: Intervention) -> list[LedgerEntry]:
    """Every ledger entry whose source is one of the case's judgments (postings and their reversals)."""
    judgment_ids = list(case.judgments.values_list("pk", flat=True))
    if not judgment_ids:
        return []
    source_type = ContentType.objects.get_for_model(Judgment)
    entries: list[LedgerEntry] = []
    for model in LEDGER_MODELS:
        accounts = [f.name for f in model._meta.concrete_fields if f.name in ("buyer", "merchant")]
        entries += model.objects.filter(source_type=source_type, source_id__in=judgment_ids).select_related(
            *accounts, "created_by"
        )
    return sorted(entries, key=lambda e: (e.occurred_at, e.created_at, type(e).__name__, e.pk))


def judgment_ledger_table(case: Intervention) -> str:
    entries = judgment_ledger_entries(case)
    if not entries:
        return "-"
    rows = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>Judgment #{}</td>'
        "<td>{}</td><td>{}</td></tr>",
        (
            (
                admin_change_url(type(e), e.pk),
                type(e)._meta.verbose_name,
                timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M"),
                " / ".join(str(getattr(e, n)) for n in ("buyer", "merchant") if hasattr(e, f"{n}_id")),
                e.get_kind_display(),
                f"{e.amount:+,}",
                e.source_id,
                e.memo,
                e.idempotency_key or "",
            )
            for e in entries
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
        "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
        gettext("ledger"),
        gettext("occurred at"),
        gettext("account"),
        gettext("kind"),
        gettext("amount"),
        gettext("source"),
        gettext("memo"),
        gettext("idempotency key"),
        rows,
    )


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Evidence from the parties; files live outside any web root and are served only through the view below."""

    list_display = ("intervention", "party", "summary", "content_type", "size", "submitted_at", "submitted_by")
    list_filter = ("party", "for_appeal", "content_type")
    search_fields = ("original_name", "=sha256", "text", "=intervention__order_item__order__order_no")
    list_select_related = ("intervention", "submitted_by")
    date_hierarchy = "submitted_at"
    readonly_fields = ("summary",)
    exclude = ("file",)  # the storage path is an internal detail

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "file"]

    @admin.display(description=_("evidence"))
    def summary(self, obj: EvidenceItem) -> str:
        return evidence_content(obj)

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:evidence_id>/download/", self.admin_site.admin_view(self.download_view), name=EVIDENCE_DOWNLOAD
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, evidence_id: int) -> FileResponse:
        """Stream one file to staff who may view evidence; `?inline=1` shows a checked image in place."""
        item = EvidenceItem.objects.filter(pk=evidence_id).first()
        if item is None:
            raise Http404(gettext("No such evidence."))
        return evidence_file_response(self, request, item, inline=request.GET.get("inline") == "1")


@admin.register(EvidenceRequest)
class EvidenceRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("intervention", "party", "note", "due_at", "requested_at", "requested_by", "fulfilled_at")
    list_filter = ("party",)
    search_fields = ("=intervention__order_item__order__order_no", "note")
    list_select_related = ("intervention", "requested_by")
    date_hierarchy = "due_at"


@admin.register(MediationProposal)
class MediationProposalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "intervention",
        "outcome",
        "refund_fen",
        "compensation_points",
        "status",
        "buyer_accepted_at",
        "merchant_accepted_at",
        "declined_by",
        "proposed_at",
        "proposed_by",
    )
    list_filter = ("status", "outcome")
    search_fields = ("=intervention__order_item__order__order_no", "terms")
    list_select_related = ("intervention", "proposed_by")
    date_hierarchy = "proposed_at"


@admin.register(Judgment)
class JudgmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "outcome",
        "refund_fen",
        "compensation_points",
        "violation",
        "judged_at",
        "judged_by",
        "via_agreement",
        "via_review",
        "superseded",
        "executed_at",
        "reversed_at",
    )
    list_filter = ("outcome", "via_agreement", "via_review")
    search_fields = ("=intervention__order_item__order__order_no", "reasons")
    list_select_related = ("intervention", "judged_by")
    date_hierarchy = "judged_at"
    readonly_fields = ("superseded", "violation")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Judgment]:
        return super().get_queryset(request).annotate(is_superseded=superseded_annotation())

    @admin.display(description=_("superseded"), boolean=True)
    def superseded(self, obj: Judgment) -> bool:
        return obj.is_superseded  # type: ignore[attr-defined]  # get_queryset annotates it

    @admin.display(description=_("violation recorded"), ordering="violation_kind")
    def violation(self, obj: Judgment) -> str:
        return violation_label(obj.violation_kind)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "judgment",
        "party",
        "appealed_at",
        "appealed_by",
        "reviewed_at",
        "reviewed_by",
        "overturned",
    )
    list_filter = ("party", "overturned")
    search_fields = ("=intervention__order_item__order__order_no", "reasons")
    list_select_related = ("intervention", "judgment__intervention", "appealed_by", "reviewed_by")
    date_hierarchy = "appealed_at"
