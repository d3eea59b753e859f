"""Admin for orders, their items and each item's service commitments."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from disputes.admin.helpers import money_column
from disputes.models import Order, OrderItem, ServiceCommitment


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    autocomplete_fields = ("product",)
    show_change_link = True  # the item's page edits its service commitments


class ServiceCommitmentInline(admin.TabularInline):
    model = ServiceCommitment
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("order_no", "buyer", "buyer_phone", "merchant", "status", "city", "paid_at", "signed_at")
    list_filter = ("status", "city")
    search_fields = ("=order_no", "=buyer__phone", "buyer__nickname", "merchant__shop_name")
    list_select_related = ("buyer", "merchant")
    autocomplete_fields = ("buyer", "merchant")
    date_hierarchy = "paid_at"
    inlines = (OrderItemInline,)

    @admin.display(description=_("buyer phone"), ordering="buyer__phone")
    def buyer_phone(self, obj: Order) -> str:
        return obj.buyer.phone


@admin.register(OrderItem)
class OrderItemAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "product", "quantity", money_column(OrderItem, "amount_paid_fen"), "services")
    list_filter = ("commitments__kind",)
    search_fields = ("=order__order_no", "=order__buyer__phone", "product__title")
    list_select_related = ("order", "product")
    autocomplete_fields = ("order", "product")
    inlines = (ServiceCommitmentInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderItem]:
        # __str__ reads the order number and product title; the services column reads commitments.
        return super().get_queryset(request).select_related("order", "product").prefetch_related("commitments")

    @admin.display(description=_("service commitments"))
    def services(self, obj: OrderItem) -> str:
        return ", ".join(str(c.get_kind_display()) for c in obj.commitments.all())


@admin.register(ServiceCommitment)
class ServiceCommitmentAdmin(admin.ModelAdmin):
    list_display = ("order_item", "kind")
    list_filter = ("kind",)
    search_fields = ("=order_item__order__order_no", "=order_item__order__buyer__phone")
    list_select_related = ("order_item__order", "order_item__product")
    autocomplete_fields = ("order_item",)
