"""Admin for express rights protection (极速维权) claims, a priority queue that senior staff verify, and for refund
evidence files, served only through a checked download view."""

from typing import Any

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes.admin.buttons import Button, ServiceActionsAdmin
from disputes.admin.helpers import (
    ReadOnlyAdminMixin,
    ReasonForm,
    admin_change_url,
    evidence_file_html,
    evidence_file_response,
)
from disputes.admin.refunds import REFUND_EVIDENCE_DOWNLOAD
from disputes.models import ExpressClaim, RefundEvidence, RefundRequest
from disputes.services.refunds.express import refund_express_decide


def claim_photos(claim: ExpressClaim) -> QuerySet[RefundEvidence]:
    """The photos sent with this claim: express-claim uploads from its submission until the next claim."""
    photos = RefundEvidence.objects.filter(
        refund_id=claim.refund_id, purpose="express_claim", uploaded_at__gte=claim.submitted_at
    )
    following = (
        ExpressClaim.objects.filter(refund_id=claim.refund_id, submitted_at__gt=claim.submitted_at)
        .order_by("submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    if following is not None:
        photos = photos.filter(uploaded_at__lt=following)
    return photos.order_by("uploaded_at", "pk")


@admin.register(ExpressClaim)
class ExpressClaimAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """A priority queue: pending claims first, oldest first; senior staff verify or reject with a reason."""

    list_display = (
        "__str__",
        "refund_link",
        "buyer_phone",
        "merchant",
        "refund_reason",
        "status",
        "submitted_at",
        "decided_by",
    )
    list_filter = ("status",)
    search_fields = ("=refund__order_item__order__order_no", "=refund__buyer__phone")
    list_select_related = ("refund__buyer", "refund__merchant", "decided_by")
    date_hierarchy = "submitted_at"
    readonly_fields = ("refund_link", "buyer_phone", "refund_reason", "refuse_reason", "photos")
    fields = (
        ("refund_link", "status"),
        ("buyer_phone", "refund_reason"),
        "refuse_reason",
        "description",
        "photos",
        ("submitted_at", "decided_at", "decided_by"),
        "decision_reason",
    )
    buttons = (
        Button(
            name="verify",
            label=_("Verify"),
            description=_(
                "True: agree to the return on the merchant's behalf; the platform refunds when the buyer ships."
            ),
            steps=("verify",),
            form=ReasonForm,
            call=lambda actor, obj, data: refund_express_decide(
                actor=actor, claim_id=obj.pk, verified=True, reason=data["reason"]
            ),
            success=_("Claim verified: return agreed on the merchant's behalf."),
            intro=lambda obj: obj.description,
        ),
        Button(
            name="reject",
            label=_("Reject"),
            description=_(
                "Not true: the merchant's refusal stands and the buyer's time to modify or escalate runs again."
            ),
            steps=("reject",),
            form=ReasonForm,
            call=lambda actor, obj, data: refund_express_decide(
                actor=actor, claim_id=obj.pk, verified=False, reason=data["reason"]
            ),
            success=_("Claim rejected: the refusal stands."),
            intro=lambda obj: obj.description,
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExpressClaim]:
        return super().get_queryset(request).select_related("refund__buyer", "refund__merchant", "decided_by")

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [F("decided_at").desc(nulls_first=True), "submitted_at"]

    @admin.display(description=_("refund request"), ordering="refund")
    def refund_link(self, obj: ExpressClaim) -> str:
        return format_html('<a href="{}">{}</a>', admin_change_url(RefundRequest, obj.refund_id), obj.refund.number)

    @admin.display(description=_("buyer phone"))
    def buyer_phone(self, obj: ExpressClaim) -> str:
        return obj.refund.buyer.phone

    @admin.display(description=_("merchant"), ordering="refund__merchant__shop_name")
    def merchant(self, obj: ExpressClaim) -> str:
        return str(obj.refund.merchant)

    @admin.display(description=_("refund reason"))
    def refund_reason(self, obj: ExpressClaim) -> str:
        return obj.refund.get_reason_display()

    @admin.display(description=_("merchant's refusal"))
    def refuse_reason(self, obj: ExpressClaim) -> str:
        return obj.refund.refuse_reason or "-"

    @admin.display(description=_("photos"))
    def photos(self, obj: ExpressClaim) -> str:
        html = [evidence_file_html(p, url_name=REFUND_EVIDENCE_DOWNLOAD) for p in claim_photos(obj)]
        if not html:
            return "-"
        return format_html_join(" ", "{}", ((h,) for h in html))


@admin.register(RefundEvidence)
class RefundEvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refund evidence files; they live outside any web root and are served only through the view below."""

    list_display = ("original_name", "refund", "purpose", "content_type", "size", "uploaded_at", "uploaded_by", "view")
    list_filter = ("purpose", "content_type")
    search_fields = ("original_name", "=sha256", "=refund__order_item__order__order_no")
    list_select_related = ("refund", "uploaded_by")
    date_hierarchy = "uploaded_at"
    readonly_fields = ("view",)
    exclude = ("file",)  # the storage path is an internal detail

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "file"]

    @admin.display(description=_("file"))
    def view(self, obj: RefundEvidence) -> str:
        return evidence_file_html(obj, url_name=REFUND_EVIDENCE_DOWNLOAD)

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<int:evidence_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name=REFUND_EVIDENCE_DOWNLOAD,
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, evidence_id: int) -> FileResponse:
        """Stream one file to staff who may view refund evidence; `?inline=1` shows a checked image in place."""
        evidence = RefundEvidence.objects.filter(pk=evidence_id).first()
        if evidence is None:
            raise Http404(gettext("No such evidence."))
        return evidence_file_response(self, request, evidence, inline=request.GET.get("inline") == "1")
