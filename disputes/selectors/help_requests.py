"""Which one-click help requests a buyer, merchant or service provider may read, loaded for listing."""

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from disputes.actors import buyer_of, merchant_of, provider_of
from disputes.models import HelpRequest, HelpState

# A request is void or still cancellable in these states: the responsible party never sees it
# (RULES.md section 1; the same rule as disputes.services.help_requests._visible_to_party).
HIDDEN_FROM_PARTY = (HelpState.RAISED, HelpState.CANCELLED)

# Everything a list row shows, in one query: no per-row lookups.
_LIST_RELATIONS = ("merchant", "provider", "buyer", "order_item__order", "order_item__product")


def help_requests_for_buyer(user: Any) -> QuerySet[HelpRequest]:
    """The buyer's own requests in every state, newest first; none for a user who is not a buyer."""
    buyer = buyer_of(user)
    if buyer is None:
        return HelpRequest.objects.none()
    return HelpRequest.objects.filter(buyer=buyer).select_related(*_LIST_RELATIONS)


def help_requests_for_party(user: Any) -> QuerySet[HelpRequest]:
    """The requests a merchant or provider API user may see; none for anyone else.

    A merchant sees every request on its shop once dispatched; a provider only those
    dispatched to it. A user linked to both sees the union.
    """
    scopes = []
    merchant = merchant_of(user)
    if merchant is not None:
        scopes.append(Q(merchant=merchant))
    provider = provider_of(user)
    if provider is not None:
        scopes.append(Q(provider=provider))
    if not scopes:
        return HelpRequest.objects.none()
    return (
        HelpRequest.objects.filter(reduce(or_, scopes))
        .exclude(state__in=HIDDEN_FROM_PARTY)
        .select_related(*_LIST_RELATIONS)
    )
