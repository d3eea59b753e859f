"""Admin for the event log: what each party was told, and when. Read-only; staff use it to answer "was the
merchant told its deadline was missed?" and to find a case's events by its id."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import ReadOnlyAdminMixin
from disputes.models import Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("sequence", "type", "case_type", "case_id", "merchant", "buyer", "occurred_at", "published")
    list_filter = ("type", "case_type")
    search_fields = ("=case_id",)
    list_select_related = ("merchant", "buyer")
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    ordering = ("-id",)

    @admin.display(description=_("published"), boolean=True)
    def published(self, obj: Event) -> bool:
        return obj.sequence is not None
