"""Admin for what is sold and where help is offered: products and supported cities."""

from django.contrib import admin

from disputes.admin.helpers import money_column
from disputes.models import Product, SupportedCity


@admin.register(SupportedCity)
class SupportedCityAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "merchant",
        "category_path",
        money_column(Product, "price_fen"),
        "seven_day_return",
        "is_virtual",
    )
    list_filter = ("seven_day_return", "seven_day_exclusion", "is_virtual")
    search_fields = ("title", "category_path", "merchant__shop_name")
    list_select_related = ("merchant",)
    autocomplete_fields = ("merchant",)
