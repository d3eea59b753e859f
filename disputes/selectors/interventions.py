"""Which intervention cases a buyer or merchant may read, loaded with everything a party sees in one fixed
number of queries (no per-row lookups)."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from disputes.actors import buyer_of, merchant_of
from disputes.deadlines import missed_q, open_q
from disputes.errors import NotFound
from disputes.models import (
    WORKING_STATES,
    Appeal,
    EvidenceItem,
    EvidenceRequest,
    Intervention,
    Judgment,
    MediationProposal,
    Party,
    ProposalStatus,
)

# The decision deadline (6 working days by default): the sweep flags and the staff queues read the same queries.


def decision_undecided() -> Q:
    """Cases still being worked whose decision deadline has not been recorded as missed."""
    return Q(state__in=WORKING_STATES, decision_breached_at__isnull=True)


def decision_missed(now: datetime) -> Q:
    """Undecided cases whose decision deadline has passed and is not recorded yet (the sweep records it)."""
    return decision_undecided() & missed_q("decision_due_at", now)


def decision_due_soon(now: datetime, window: timedelta) -> Q:
    """Undecided cases whose decision deadline falls within `window` of now (or has passed)."""
    return decision_undecided() & Q(decision_due_at__lte=now + window)


def decision_at_risk_q(now: datetime, window: timedelta) -> Q:
    """The at-risk queue: undecided, not yet past due, and flagged by the sweep or due within `window`."""
    return (
        decision_undecided()
        & open_q("decision_due_at", now)
        & (Q(decision_at_risk_at__isnull=False) | Q(decision_due_at__lte=now + window))
    )


def decision_breached_q(now: datetime) -> Q:
    """The breached queue: recorded as missed by the sweep, or past due and still undecided."""
    return Q(decision_breached_at__isnull=False) | decision_missed(now)


# Everything a row shows besides the nested lists, in the row's own query.
_RELATIONS = ("merchant", "buyer", "refund", "order_item__order", "order_item__product")


def interventions_for_buyer(user: object, *, now: datetime | None = None) -> QuerySet[Intervention]:
    """The buyer's own cases in every stage, newest first; none for a user who is not a buyer."""
    buyer = buyer_of(user)
    if buyer is None:
        return Intervention.objects.none()
    return _loaded(Intervention.objects.filter(buyer=buyer), party=Party.BUYER, now=now)


def interventions_for_merchant(user: object, *, now: datetime | None = None) -> QuerySet[Intervention]:
    """Every case on the merchant's shop, newest first; none for anyone but a merchant API user.

    Service providers answer one-click help only: disputes are the merchant's own business.
    """
    merchant = merchant_of(user)
    if merchant is None:
        return Intervention.objects.none()
    return _loaded(Intervention.objects.filter(merchant=merchant), party=Party.MERCHANT, now=now)


def _loaded(queryset: QuerySet[Intervention], *, party: str, now: datetime | None = None) -> QuerySet[Intervention]:
    """Attach the nested lists a party sees; each is one query for the whole page.

    `open_evidence_requests` holds only the requests addressed to `party` that are still open at `now`
    (unanswered and not past due, the due second included), the same test the evidence service applies.
    """
    moment = now or timezone.now()
    superseded = Judgment.objects.filter(supersedes=OuterRef("pk"))
    return (
        queryset.select_related(*_RELATIONS)
        .prefetch_related(
            Prefetch("evidence", queryset=EvidenceItem.objects.order_by("submitted_at", "id")),
            Prefetch(
                "evidence_requests",
                queryset=EvidenceRequest.objects.filter(
                    open_q("due_at", moment), party=party, fulfilled_at__isnull=True
                ).order_by("due_at", "id"),
                to_attr="open_evidence_requests",
            ),
            Prefetch(
                "proposals",
                queryset=MediationProposal.objects.filter(status=ProposalStatus.OPEN),
                to_attr="open_proposals",
            ),
            Prefetch(
                "judgments",
                queryset=Judgment.objects.annotate(superseded=Exists(superseded)).order_by("judged_at", "id"),
            ),
            Prefetch("appeals", queryset=Appeal.objects.order_by("appealed_at", "id")),
        )
        # The id breaks ties so that offset pagination never repeats or skips a row.
        .order_by("-applied_at", "-id")
    )


def open_proposals_of(case: Intervention) -> list[MediationProposal]:
    """The open proposals with_case_details loaded on the case (its Prefetch to_attr; at most one)."""
    loaded: list[MediationProposal] = vars(case)["open_proposals"]
    return loaded


def intervention_from(queryset: QuerySet[Intervention], pk: str | int) -> Intervention:
    """One case from a caller-scoped queryset; an id outside the scope (or not a number) names no case,
    with the same code the services use."""
    if not isinstance(pk, int) and not (pk.isascii() and pk.isdigit()):
        raise NotFound("No such intervention case.", code="intervention_not_found")
    found = queryset.filter(pk=int(pk)).first()
    if found is None:
        raise NotFound("No such intervention case.", code="intervention_not_found")
    return found


def proposal_of(case: Intervention, proposal_id: str | int) -> MediationProposal:
    """A mediation proposal of this case; another case's proposal does not exist here."""
    if not isinstance(proposal_id, int) and not (proposal_id.isascii() and proposal_id.isdigit()):
        raise NotFound("No such proposal.", code="proposal_not_found")
    found = MediationProposal.objects.filter(pk=int(proposal_id), intervention=case).first()
    if found is None:
        raise NotFound("No such proposal.", code="proposal_not_found")
    return found
