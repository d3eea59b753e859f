"""Admin for webhooks: merchants' endpoints and their health, the delivery log with each attempt, and redelivery.
Read-only (merchants manage their endpoints through the API); no page shows an endpoint's secret."""

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import ReadOnlyAdminMixin, ReadOnlyInlineMixin, flag_column, staff_user
from disputes.errors import DomainError
from disputes.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from disputes.webhooks.delivery import webhook_delivery_redeliver

# Health is read over the deliveries of the last HEALTH_WINDOW.
HEALTH_WINDOW = timedelta(days=7)
SETTLED = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.GIVEN_UP)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Endpoints as staff see them: where, what, whether it works. Never the secret."""

    list_display = ("url", "merchant", "enabled_flag", "types", "success_rate", "last_failure", "created_at")
    list_filter = ("enabled", ("merchant", admin.RelatedOnlyFieldListFilter))
    search_fields = ("url", "merchant__shop_name")
    list_select_related = ("merchant",)
    # Explicit, so the secret (a field of the model) is never on the page.
    fields = (
        "merchant",
        "url",
        "event_types",
        "enabled",
        "disabled_reason",
        "disabled_at",
        "created_at",
        "success_rate",
        "last_failure",
    )
    enabled_flag = staticmethod(flag_column(WebhookEndpoint, "enabled"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        since = timezone.now() - HEALTH_WINDOW
        recent = Q(deliveries__created_at__gte=since)
        failed_at = (
            WebhookAttempt.objects.filter(delivery__endpoint=OuterRef("pk"))
            .exclude(status_code__gte=200, status_code__lt=300)
            .order_by("-at")
            .values("at")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                settled=Count("deliveries", filter=recent & Q(deliveries__status__in=SETTLED)),
                succeeded=Count("deliveries", filter=recent & Q(deliveries__status=DeliveryStatus.SUCCEEDED)),
                last_failed_at=Subquery(failed_at),
            )
        )

    @admin.display(description=_("event types"))
    def types(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types) if obj.event_types else gettext("all")

    @admin.display(description=_("success rate (7 days)"))
    def success_rate(self, obj: Any) -> str:
        if not getattr(obj, "settled", 0):
            return "-"
        return f"{100 * obj.succeeded / obj.settled:.0f}% ({obj.succeeded}/{obj.settled})"

    @admin.display(description=_("last failure"), ordering="last_failed_at")
    def last_failure(self, obj: Any) -> Any:
        return getattr(obj, "last_failed_at", None) or "-"


class WebhookAttemptInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ("at", "status_code", "latency_ms", "response_excerpt", "error")
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log: one row per event per endpoint, its attempts inline; supervisors may redeliver."""

    list_display = (
        "id",
        "endpoint",
        "event_type",
        "event_sequence",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", ("endpoint", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=event__uid", "endpoint__url", "endpoint__merchant__shop_name")
    list_select_related = ("endpoint", "event")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = (WebhookAttemptInline,)
    actions = ("redeliver",)

    @admin.display(description=_("event type"), ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("disputes.redeliver_webhookdelivery")

    @admin.action(description=_("Redeliver the selected deliveries"), permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        actor = staff_user(request)
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                webhook_delivery_redeliver(actor=actor, delivery_id=pk)
            except DomainError as exc:
                messages.error(request, f"#{pk}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(
                request,
                ngettext("%(count)d delivery will be sent again.", "%(count)d deliveries will be sent again.", done)
                % {"count": done},
            )


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "delivery", "status_code", "latency_ms", "error")
    list_filter = ("status_code",)
    list_select_related = ("delivery",)
    date_hierarchy = "at"
    show_full_result_count = False
