"""Who performs an action: a staff user, a buyer, a merchant or provider API user, or the scheduler. The layers
above the models import these from here; they live with the parties (disputes.models.parties)."""

from disputes.models.parties import (
    SYSTEM_USERNAME,
    Actor,
    buyer_of,
    is_system,
    merchant_of,
    provider_of,
    system_actor,
)

__all__ = ["SYSTEM_USERNAME", "Actor", "buyer_of", "is_system", "merchant_of", "provider_of", "system_actor"]
