"""Orders and order items, with the paid/shipped/signed times and each item's service commitments."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from disputes.choices import ServiceKind
from disputes.models.catalog import Product
from disputes.models.parties import Buyer, Merchant


class OrderStatus(models.TextChoices):
    PAID = "paid", _("Paid, not shipped (已付款)")
    SHIPPED = "shipped", _("Shipped (已发货)")
    SIGNED = "signed", _("Signed for (已签收)")
    SUCCEEDED = "succeeded", _("Trade succeeded (交易成功)")
    CLOSED = "closed", _("Closed (交易关闭)")


class Order(models.Model):
    """A paid order (订单) between one buyer and one merchant."""

    order_no = models.CharField(_("order number"), max_length=32, unique=True)
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("buyer"))
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="orders", verbose_name=_("merchant"))
    status = models.CharField(_("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PAID)
    city = models.CharField(_("delivery city"), max_length=40)
    address = models.CharField(_("delivery address"), max_length=255, blank=True)
    paid_at = models.DateTimeField(_("paid at"))
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("trade succeeded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-paid_at"]

    def __str__(self) -> str:
        return self.order_no

    @property
    def amount_paid_fen(self) -> int:
        return sum(item.amount_paid_fen for item in self.items.all())


class OrderItem(models.Model):
    """One line of an order; after-sales requests are raised per item."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_items", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    amount_paid_fen = models.PositiveBigIntegerField(_("amount paid (fen)"))
    seven_day_excluded_by_buyer = models.BooleanField(_("buyer confirmed 7-day exclusion at purchase"), default=False)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")

    def __str__(self) -> str:
        return f"{self.order.order_no} #{self.pk} {self.product.title}"

    def has_service(self, kind: str) -> bool:
        return any(c.kind == kind for c in self.commitments.all())


class ServiceCommitment(models.Model):
    """A service commitment (服务承诺) an order item carries, e.g. 送货入户并安装."""

    order_item = models.ForeignKey(
        OrderItem, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("order item")
    )
    kind = models.CharField(_("service kind"), max_length=32, choices=ServiceKind.choices)

    class Meta:
        verbose_name = _("service commitment")
        verbose_name_plural = _("service commitments")
        constraints = [
            models.UniqueConstraint(fields=["order_item", "kind"], name="uniq_commitment_per_item"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
