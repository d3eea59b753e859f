"""Which one-click help requests a buyer, merchant or service provider may read, loaded for listing."""

from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from disputes import policies as policy_table
from disputes.actors import buyer_of, merchant_of, provider_of
from disputes.models import DeadlineKind, HelpRequest, HelpState
from disputes.models.help_requests import deadline_due_by

AT_RISK_POLICY = "help.at_risk_before"

# A request is void or still cancellable in these states: the responsible party never sees it
# (RULES.md section 1; the same rule as disputes.services.help_requests._visible_to_party).
HIDDEN_FROM_PARTY = (HelpState.RAISED, HelpState.CANCELLED)

# Everything a list row shows, in one query: no per-row lookups.
_LIST_RELATIONS = ("merchant", "provider", "buyer", "order_item__order", "order_item__product")


def help_requests_for_buyer(user: object) -> QuerySet[HelpRequest]:
    """The buyer's own requests in every state, newest first; none for a user who is not a buyer."""
    buyer = buyer_of(user)
    if buyer is None:
        return HelpRequest.objects.none()
    return HelpRequest.objects.filter(buyer=buyer).select_related(*_LIST_RELATIONS)


def help_requests_for_party(user: object) -> QuerySet[HelpRequest]:
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


# The staff's at-risk queue reads the same running-deadline rule as the sweep (HelpRequest.RUNNING_DEADLINE).


def at_risk_window() -> timedelta:
    """How long before a deadline a request counts as at risk (policy help.at_risk_before)."""
    return policy_table.load(AT_RISK_POLICY).duration(AT_RISK_POLICY)


def at_risk_q(now: datetime, window: timedelta) -> Q:
    """Requests whose running deadline falls within `window` from now (or passed, not yet recorded)."""
    horizon = now + window
    return deadline_due_by(DeadlineKind.SOLUTION, horizon) | deadline_due_by(DeadlineKind.RESOLUTION, horizon)


def next_deadline(request: HelpRequest) -> tuple[datetime, str] | None:
    """The deadline the responsible party must meet next, or None when no clock is running."""
    for kind in (DeadlineKind.SOLUTION, DeadlineKind.RESOLUTION):
        due = request.running_deadline(kind)
        if due is not None:
            return due, kind
    return None
