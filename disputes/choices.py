"""Enumerations shared across aggregates: service commitments, credit ratings, exclusions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    """A service commitment carried by an order item (RULES.md sections 1-2)."""

    SCHEDULED_INSTALL = "scheduled_install", _("Scheduled installation (预约安装)")
    ONSITE_INSTALL = "onsite_install", _("On-site installation (上门安装)")
    HOME_DELIVERY = "home_delivery", _("Delivery into the home (送货入户)")
    DELIVERY_AND_INSTALL = "delivery_install", _("Delivery into the home and installation (送货入户并安装)")
    THREE_YEAR_WARRANTY = "three_year_warranty", _("Three-year warranty (三年质保)")
    SEVEN_DAY_RETURN = "seven_day_return", _("7-day no-reason return (七天无理由退货)")
    RETURN_SHIPPING_COVER = "return_shipping_cover", _("Return shipping cover (退货包运费)")
    DAMAGE_GUARANTEE = "damage_guarantee", _("Damage return guarantee (破损包退)")
    AUTHENTICITY = "authenticity", _("Authenticity guarantee (正品保障)")


# The commitments that make an item eligible for one-click help (RULES.md section 1).
HELP_ELIGIBLE_SERVICES = frozenset(
    {
        ServiceKind.SCHEDULED_INSTALL,
        ServiceKind.ONSITE_INSTALL,
        ServiceKind.HOME_DELIVERY,
        ServiceKind.DELIVERY_AND_INSTALL,
        ServiceKind.THREE_YEAR_WARRANTY,
    }
)


class CreditRating(models.TextChoices):
    """Buyer credit rating (信誉评级)."""

    ORDINARY = "ordinary", _("Ordinary (普通)")
    GOOD = "good", _("Good (良好)")
    EXCELLENT = "excellent", _("Excellent (优秀)")
    OUTSTANDING = "outstanding", _("Outstanding (极好)")


EXPRESS_PROTECTION_RATINGS = frozenset({CreditRating.EXCELLENT, CreditRating.OUTSTANDING})


class SevenDayExclusion(models.TextChoices):
    """Why a product is excluded from the 7-day no-reason return."""

    NONE = "", _("Not excluded")
    MADE_TO_ORDER = "made_to_order", _("Made to order (定制)")
    PERISHABLE = "perishable", _("Fresh or perishable (鲜活易腐)")
    UNSEALED_DIGITAL = "unsealed_digital", _("Unsealed digital goods (已拆封数字商品)")
    PERIODICALS = "periodicals", _("Delivered newspapers and periodicals (报纸期刊)")
    BUYER_CONFIRMED = "buyer_confirmed", _("Buyer confirmed exclusion at purchase")
