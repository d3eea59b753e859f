"""Parties to a case: merchants, their service providers, buyers, and the API users acting for them; and who a
user acting on a case is (disputes.actors re-exports these for the layers above)."""

from typing import Any, TypeAlias

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from disputes.choices import CreditRating, ServiceKind

# Every actor is a Django user: staff log in to the admin; buyers' apps, merchants and providers call the API
# with a user's token; the scheduler acts as SYSTEM_USERNAME.
Actor: TypeAlias = User

SYSTEM_USERNAME = "system-scheduler"


class Merchant(models.Model):
    """A Tmall shop (商家). Its money account is the sum of its MerchantAccountEntry rows."""

    shop_name = models.CharField(_("shop name"), max_length=120, unique=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    # Where the back office writes to the merchant's staff (e.g. a webhook endpoint was disabled).
    notify_email = models.EmailField(_("notification email"), blank=True)
    return_contact = models.CharField(_("return contact"), max_length=60)
    return_phone = models.CharField(_("return phone"), max_length=32)
    return_address = models.CharField(_("default return address"), max_length=255)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["shop_name"]

    def __str__(self) -> str:
        return self.shop_name

    @property
    def full_return_address(self) -> str:
        return f"{self.return_contact} {self.return_phone} {self.return_address}"


class ServiceProvider(models.Model):
    """An installer or carrier (服务商) that merchants designate for a service."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceDesignation(models.Model):
    """The provider a merchant designates for one kind of service; absent means the merchant serves."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="designations", verbose_name=_("merchant")
    )
    service_kind = models.CharField(_("service kind"), max_length=32, choices=ServiceKind.choices)
    provider = models.ForeignKey(
        ServiceProvider, on_delete=models.PROTECT, related_name="designations", verbose_name=_("provider")
    )

    class Meta:
        verbose_name = _("service designation")
        verbose_name_plural = _("service designations")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "service_kind"], name="uniq_designation_per_service"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} / {self.get_service_kind_display()} → {self.provider}"


class Buyer(models.Model):
    """A buying account (买家) with its credit rating and instant-refund quota."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="buyer", verbose_name=_("user")
    )
    nickname = models.CharField(_("nickname"), max_length=60)
    phone = models.CharField(_("phone"), max_length=32, db_index=True)
    credit_rating = models.CharField(
        _("credit rating"), max_length=16, choices=CreditRating.choices, default=CreditRating.ORDINARY
    )
    instant_refund_quota_fen = models.PositiveBigIntegerField(
        _("instant-refund quota (fen)"), default=0, help_text=_("0 means no instant-refund privilege.")
    )
    instant_refund_revoked_at = models.DateTimeField(_("instant refund revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("buyer")
        verbose_name_plural = _("buyers")
        ordering = ["nickname"]

    def __str__(self) -> str:
        return self.nickname


class MerchantUser(models.Model):
    """An API login acting for exactly one merchant (the merchant's own systems)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="merchant_user",
        verbose_name=_("user"),
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="api_users", verbose_name=_("merchant")
    )

    class Meta:
        verbose_name = _("merchant API user")
        verbose_name_plural = _("merchant API users")

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant}"


class ServiceProviderUser(models.Model):
    """An API login acting for exactly one service provider."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="provider_user",
        verbose_name=_("user"),
    )
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.CASCADE,
        related_name="api_users",
        verbose_name=_("service provider"),
    )

    class Meta:
        verbose_name = _("service provider API user")
        verbose_name_plural = _("service provider API users")

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"


def system_actor() -> Actor:
    """The user that the scheduler's transitions and ledger entries are recorded under."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "Scheduler"}
    )
    return user


def is_system(user: object) -> bool:
    """Whether `user` is the scheduler."""
    return getattr(user, "username", None) == SYSTEM_USERNAME and not getattr(user, "is_active", True)


def buyer_of(user: object) -> Buyer | None:
    """The buyer account a user logs in as, if any."""
    found: Buyer | None = _related(user, "buyer")
    return found


def merchant_of(user: object) -> Merchant | None:
    """The merchant an API user acts for, if any."""
    link = _related(user, "merchant_user")
    return link.merchant if link is not None else None


def provider_of(user: object) -> ServiceProvider | None:
    """The service provider an API user acts for, if any."""
    link = _related(user, "provider_user")
    return link.provider if link is not None else None


def _related(user: object, name: str) -> Any:
    if user is None or (not getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is None):
        return None
    try:
        return getattr(user, name)
    except ObjectDoesNotExist:
        return None
