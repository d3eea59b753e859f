"""Who performs an action: a staff user, a buyer, a merchant or provider API user, or the scheduler."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

SYSTEM_USERNAME = "system-scheduler"


def system_actor() -> AbstractBaseUser:
    """The user that the scheduler's transitions and ledger entries are recorded under."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "Scheduler"}
    )
    return user
