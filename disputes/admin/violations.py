"""Admin for merchant violations (违背承诺 and others): lists by status, and staff decisions on complaints and on
merchants' appeals."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disputes.admin.buttons import Button, ServiceActionsAdmin
from disputes.admin.explanations import penalty_panel
from disputes.admin.helpers import ReadOnlyAdminMixin, ReasonForm
from disputes.models import Violation
from disputes.services.violations import violation_decide, violation_decide_appeal


def _appeal_intro(violation: Violation) -> str:
    return f"{violation.note}\n\n[appeal] {violation.appeal_reason}".strip()


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """Violations are written by the sweep, by complaints and by judgments; staff decide complaints awaiting review
    and merchants' appeals awaiting review."""

    list_display = (
        "occurred_at",
        "merchant",
        "kind",
        "status",
        "deadline",
        "help_request",
        "buyer",
        "compensation_points",
        "score_points",
        "decided_by",
        "appealed_at",
    )
    list_filter = ("status", "kind", "deadline", "penalty_basis", ("merchant", admin.RelatedOnlyFieldListFilter))
    search_fields = (
        "merchant__shop_name",
        "=buyer__phone",
        "=help_request__order_item__order__order_no",
        "idempotency_key",
    )
    list_select_related = ("merchant", "buyer", "help_request", "decided_by")
    date_hierarchy = "occurred_at"
    buttons = (
        Button(
            name="count_complaint",
            label=_("Count against merchant"),
            description=_("Uphold the complaint: the violation counts against the merchant's score."),
            steps=("count_complaint",),
            form=ReasonForm,
            call=lambda actor, obj, data: violation_decide(
                actor=actor, violation_id=obj.pk, count=True, reason=data["reason"]
            ),
            success=_("Complaint counted against the merchant."),
            intro=lambda obj: obj.note,
        ),
        Button(
            name="revoke_complaint",
            label=_("Revoke"),
            description=_("Reject the complaint: the violation does not count."),
            steps=("revoke_complaint",),
            form=ReasonForm,
            call=lambda actor, obj, data: violation_decide(
                actor=actor, violation_id=obj.pk, count=False, reason=data["reason"]
            ),
            success=_("Complaint revoked."),
            intro=lambda obj: obj.note,
        ),
        Button(
            name="grant_appeal",
            label=_("Grant appeal"),
            description=_("The merchant's appeal is upheld: the violation is revoked and its points no longer count."),
            steps=("grant_appeal",),
            form=ReasonForm,
            call=lambda actor, obj, data: violation_decide_appeal(
                actor=actor, violation_id=obj.pk, grant=True, reason=data["reason"]
            ),
            success=_("Appeal granted: the violation is revoked."),
            intro=_appeal_intro,
        ),
        Button(
            name="reject_appeal",
            label=_("Reject appeal"),
            description=_("The merchant's appeal is rejected: the violation counts, for good."),
            steps=("reject_appeal",),
            form=ReasonForm,
            call=lambda actor, obj, data: violation_decide_appeal(
                actor=actor, violation_id=obj.pk, grant=False, reason=data["reason"]
            ),
            success=_("Appeal rejected: the violation counts."),
            intro=_appeal_intro,
        ),
    )

    readonly_fields = ("explanation",)

    @admin.display(description=_("explanation"))
    def explanation(self, obj: Violation) -> str:
        return penalty_panel(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Violation]:
        return (
            super()
            .get_queryset(request)
            .select_related("merchant", "buyer", "help_request", "decided_by", "appeal_decided_by")
        )
