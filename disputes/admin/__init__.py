"""The staff back office (Django admin): one module per aggregate, registered on import."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from disputes.admin import (
    api_keys,
    catalog,
    events,
    express,
    force_majeure,
    help_requests,
    intervention_records,
    interventions,
    ledger,
    orders,
    parties,
    policies,
    refunds,
    violations,
    webhooks,
)

admin.site.site_header = _("After-sales back office")
admin.site.site_title = _("After-sales back office")
admin.site.index_title = _("Cases, ledgers and policies")

__all__ = [
    "api_keys",
    "catalog",
    "events",
    "express",
    "force_majeure",
    "help_requests",
    "intervention_records",
    "interventions",
    "ledger",
    "orders",
    "parties",
    "policies",
    "refunds",
    "violations",
    "webhooks",
]
