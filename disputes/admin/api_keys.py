"""Admin for the API's idempotency keys: which caller retried what, and the answer that was replayed. Read-only;
supervisors use it to answer "did my retry go through twice?"."""

import re
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import ReadOnlyAdminMixin
from disputes.models import IdempotencyKey

MAX_SHOWN = 2000
# A webhook endpoint's signing secret, in the stored answer of its creation or rotation: staff never see secrets.
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "user", "status_code", "created_at", "completed_at")
    list_filter = ("status_code",)
    search_fields = ("=key", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    exclude = ("body",)
    readonly_fields = ("answer",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in super().get_readonly_fields(request, obj) if name != "body"]

    @admin.display(description=_("answer replayed to retries"))
    def answer(self, obj: IdempotencyKey) -> str:
        text = SECRET.sub("whsec_(hidden)", bytes(obj.body).decode("utf-8", errors="replace"))
        return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"
