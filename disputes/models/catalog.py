"""What is sold and where service is supported: products and supported cities."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from disputes.choices import SevenDayExclusion
from disputes.models.parties import Merchant


class SupportedCity(models.Model):
    """A city where one-click help is offered."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supported city")
        verbose_name_plural = _("supported cities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A listed product (商品) with its category path and return eligibility."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="products", verbose_name=_("merchant")
    )
    title = models.CharField(_("title"), max_length=200)
    category_path = models.CharField(
        _("category path"), max_length=200, db_index=True, help_text=_("e.g. 家装主材/基础建材")
    )
    price_fen = models.PositiveBigIntegerField(_("list price (fen)"))
    seven_day_return = models.BooleanField(_("7-day no-reason return"), default=True)
    seven_day_exclusion = models.CharField(
        _("7-day exclusion"), max_length=32, choices=SevenDayExclusion.choices, blank=True, default=""
    )
    is_virtual = models.BooleanField(_("virtual goods"), default=False)
    after_sales_days = models.PositiveSmallIntegerField(
        _("after-sales window override (days)"),
        null=True,
        blank=True,
        help_text=_("Empty uses the default window policy; at most 180 days."),
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["merchant", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(after_sales_days__isnull=True) | models.Q(after_sales_days__lte=180),
                name="product_after_sales_days_max_180",
            ),
        ]

    def __str__(self) -> str:
        return self.title
