"""Who performs an action: a staff user, a buyer, a merchant or provider API user, or the scheduler."""

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist

if TYPE_CHECKING:
    from disputes.models import Buyer, Merchant, ServiceProvider

SYSTEM_USERNAME = "system-scheduler"


def system_actor() -> AbstractBaseUser:
    """The user that the scheduler's transitions and ledger entries are recorded under."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "Scheduler"}
    )
    return user


def buyer_of(user: Any) -> "Buyer | None":
    """The buyer account a user logs in as, if any."""
    return _related(user, "buyer")


def merchant_of(user: Any) -> "Merchant | None":
    """The merchant an API user acts for, if any."""
    link = _related(user, "merchant_user")
    return link.merchant if link is not None else None


def provider_of(user: Any) -> "ServiceProvider | None":
    """The service provider an API user acts for, if any."""
    link = _related(user, "provider_user")
    return link.provider if link is not None else None


def _related(user: Any, name: str) -> Any:
    if user is None or (not getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is None):
        return None
    try:
        return getattr(user, name)
    except ObjectDoesNotExist:
        return None
