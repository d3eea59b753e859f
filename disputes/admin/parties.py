"""Admin for the parties: merchants (with their designations and balance), providers, buyers and API users."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import admin_changelist_url, format_fen, money_column
from disputes.models import (
    Buyer,
    BuyerPointsEntry,
    Merchant,
    MerchantAccountEntry,
    MerchantUser,
    PlatformAdvanceEntry,
    ServiceDesignation,
    ServiceProvider,
    ServiceProviderUser,
)
from disputes.services.ledger import ledger_balance


class ServiceDesignationInline(admin.TabularInline):
    model = ServiceDesignation
    extra = 0
    autocomplete_fields = ("provider",)


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("shop_name", "contact_phone", "return_contact", "return_phone", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("shop_name", "contact_phone", "return_phone")
    date_hierarchy = "created_at"
    readonly_fields = ("account_balance", "advances_outstanding", "created_at")
    fieldsets = (
        (None, {"fields": ("shop_name", "contact_phone", "notify_email", "is_active", "created_at")}),
        (_("Default return address"), {"fields": ("return_contact", "return_phone", "return_address")}),
        (_("Money"), {"fields": ("account_balance", "advances_outstanding")}),
    )
    inlines = (ServiceDesignationInline,)

    @admin.display(description=_("account balance"))
    def account_balance(self, obj: Merchant) -> str:
        if obj.pk is None:
            return "-"
        balance = ledger_balance(MerchantAccountEntry, merchant=obj)
        url = admin_changelist_url(MerchantAccountEntry, merchant__id__exact=obj.pk)
        return format_html('{} (<a href="{}">{}</a>)', format_fen(balance), url, _("entries"))

    @admin.display(description=_("platform advances outstanding"))
    def advances_outstanding(self, obj: Merchant) -> str:
        if obj.pk is None:
            return "-"
        balance = ledger_balance(PlatformAdvanceEntry, merchant=obj)
        url = admin_changelist_url(PlatformAdvanceEntry, merchant__id__exact=obj.pk)
        return format_html('{} (<a href="{}">{}</a>)', format_fen(balance), url, _("entries"))


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_phone", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_phone")


@admin.register(ServiceDesignation)
class ServiceDesignationAdmin(admin.ModelAdmin):
    list_display = ("merchant", "service_kind", "provider")
    list_filter = ("service_kind",)
    search_fields = ("merchant__shop_name", "provider__name")
    list_select_related = ("merchant", "provider")
    autocomplete_fields = ("merchant", "provider")


@admin.register(Buyer)
class BuyerAdmin(admin.ModelAdmin):
    list_display = (
        "nickname",
        "phone",
        "credit_rating",
        money_column(Buyer, "instant_refund_quota_fen"),
        "instant_refund_revoked_at",
        "user",
    )
    list_filter = ("credit_rating",)
    search_fields = ("nickname", "=phone", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("points_balance", "advances_owed")
    fieldsets = (
        (None, {"fields": ("user", "nickname", "phone", "credit_rating")}),
        (_("Instant refund"), {"fields": ("instant_refund_quota_fen", "instant_refund_revoked_at")}),
        (_("Balances"), {"fields": ("points_balance", "advances_owed")}),
    )

    @admin.display(description=_("points balance"))
    def points_balance(self, obj: Buyer) -> str:
        if obj.pk is None:
            return "-"
        balance = ledger_balance(BuyerPointsEntry, buyer=obj)
        url = admin_changelist_url(BuyerPointsEntry, buyer__id__exact=obj.pk)
        return format_html('{} {} (<a href="{}">{}</a>)', f"{balance:,}", _("points"), url, _("entries"))

    @admin.display(description=_("platform advances outstanding"))
    def advances_owed(self, obj: Buyer) -> str:
        if obj.pk is None:
            return "-"
        balance = ledger_balance(PlatformAdvanceEntry, buyer=obj)
        url = admin_changelist_url(PlatformAdvanceEntry, buyer__id__exact=obj.pk)
        return format_html('{} (<a href="{}">{}</a>)', format_fen(balance), url, _("entries"))


@admin.register(MerchantUser)
class MerchantUserAdmin(admin.ModelAdmin):
    list_display = ("user", "merchant")
    search_fields = ("user__username", "merchant__shop_name")
    list_select_related = ("user", "merchant")
    raw_id_fields = ("user",)
    autocomplete_fields = ("merchant",)


@admin.register(ServiceProviderUser)
class ServiceProviderUserAdmin(admin.ModelAdmin):
    list_display = ("user", "provider")
    search_fields = ("user__username", "provider__name")
    list_select_related = ("user", "provider")
    raw_id_fields = ("user",)
    autocomplete_fields = ("provider",)
