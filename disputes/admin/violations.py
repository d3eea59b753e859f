"""Admin for merchant violations (违背承诺 and others): lists by status, and staff decisions on complaints."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import ReadOnlyAdminMixin, ReasonForm, ServiceActionsAdmin, service_action
from disputes.models import Violation, ViolationStatus
from disputes.services.violations import violation_decide


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdminMixin, ServiceActionsAdmin):
    """Violations are written by the sweep and by complaints; staff only decide complaints awaiting review."""

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
    change_actions = ("count_complaint", "revoke_complaint")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Violation]:
        return super().get_queryset(request).select_related("merchant", "buyer", "help_request", "decided_by")

    @service_action(
        label=_("Count against merchant"),
        description=_("Uphold the complaint: the violation counts against the merchant's score."),
        permission="disputes.rule_objection_helprequest",
        applies=lambda obj: obj.status == ViolationStatus.PENDING_REVIEW,
    )
    def count_complaint(self, request: HttpRequest, obj: Violation) -> HttpResponse:
        return self._decide(request, obj, name="count_complaint", count=True)

    @service_action(
        label=_("Revoke"),
        description=_("Reject the complaint: the violation does not count."),
        permission="disputes.rule_objection_helprequest",
        applies=lambda obj: obj.status == ViolationStatus.PENDING_REVIEW,
    )
    def revoke_complaint(self, request: HttpRequest, obj: Violation) -> HttpResponse:
        return self._decide(request, obj, name="revoke_complaint", count=False)

    def _decide(self, request: HttpRequest, obj: Violation, *, name: str, count: bool) -> Any:
        return self.run_service_action(
            request,
            obj,
            name=name,
            form_class=ReasonForm,
            call=lambda data: violation_decide(
                actor=request.user, violation_id=obj.pk, count=count, reason=data["reason"]
            ),
            success=_("Complaint counted against the merchant.") if count else _("Complaint revoked."),
            intro=obj.note,
        )
