"""A buyer's points (天猫积分) as the buyer's app reads them: the balance and totals in one aggregate, and the entries
of the append-only ledger, each with the case it came from resolved in the entries' own query."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from disputes.actors import buyer_of
from disputes.events.catalogue import case_type_of
from disputes.models import BuyerPointsEntry, HelpRequest, Intervention, Judgment, RefundRequest

# The models an entry's source may be that name a case of their own; a judgment's case is its intervention.
CASE_MODELS = (HelpRequest, RefundRequest, Intervention)
CASE_TYPE_CHOICES = [(case_type_of(model), case_type_of(model)) for model in CASE_MODELS]


def points_summary(user: object) -> dict[str, int]:
    """The buyer's balance (the sum of every entry: nothing else stores it), what was credited and taken in all,
    and how many entries there are: one aggregate query. Zeros for a buyer with no entries or a non-buyer."""
    buyer = buyer_of(user)
    if buyer is None:
        return {"balance": 0, "credited_total": 0, "debited_total": 0, "entry_count": 0}
    zero = Value(0)
    totals = BuyerPointsEntry.objects.filter(buyer=buyer).aggregate(
        balance=Coalesce(Sum("amount"), zero),
        credited_total=Coalesce(Sum("amount", filter=Q(amount__gt=0)), zero),
        debited_total=Coalesce(Sum("amount", filter=Q(amount__lt=0)), zero),
        entry_count=Count("id"),
    )
    return {name: int(value) for name, value in totals.items()}


def points_entries_for_buyer(user: object) -> QuerySet[BuyerPointsEntry]:
    """The buyer's entries, newest written first, each annotated with `case_type` and `case_id` (the help request,
    refund or intervention case it came from, or empty for a manual adjustment) and `reversed_by_id` (the entry that
    reversed it, if any); none for a user who is not a buyer."""
    buyer = buyer_of(user)
    if buyer is None:
        return BuyerPointsEntry.objects.none()
    return with_cases(BuyerPointsEntry.objects.filter(buyer=buyer)).order_by("-created_at", "-id")


def with_cases(queryset: QuerySet[BuyerPointsEntry]) -> QuerySet[BuyerPointsEntry]:
    """Annotate each entry's case and its reversal, as subqueries and CASE expressions of the entries' own query.
    The content types come from Django's per-process cache (at most one query, the first time)."""
    types = ContentType.objects.get_for_models(*CASE_MODELS, Judgment)
    judgment = types.pop(Judgment).pk
    case_of_judgment = Judgment.objects.filter(pk=OuterRef("source_id")).values("intervention_id")[:1]
    return queryset.annotate(
        case_type=Case(
            *(When(source_type_id=ct.pk, then=Value(case_type_of(model))) for model, ct in types.items()),
            When(source_type_id=judgment, then=Value(case_type_of(Intervention))),
            default=Value(""),
            output_field=CharField(),
        ),
        case_id=Case(
            When(source_type_id__in=[ct.pk for ct in types.values()], then=F("source_id")),
            When(source_type_id=judgment, then=Subquery(case_of_judgment)),
            default=None,
            output_field=BigIntegerField(),
        ),
        reversed_by_id=Subquery(BuyerPointsEntry.objects.filter(reverses=OuterRef("pk")).values("id")[:1]),
    )


def case_reference(entry: Any) -> dict[str, Any] | None:
    """`{"type": ..., "id": ...}` of an entry annotated by with_cases, or None."""
    if not entry.case_type or entry.case_id is None:
        return None
    return {"type": entry.case_type, "id": entry.case_id}
