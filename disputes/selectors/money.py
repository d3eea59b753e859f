"""A merchant's money as its API reads it (RULES.md section 9): the account balance, the statement with the balance
after each entry, the penalties with their cases and violations, and the violation points per year. Every read is
scoped to one merchant and costs a fixed number of queries, however many rows it returns."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from disputes.models import (
    DeadlineKind,
    EntryKind,
    HelpRequest,
    Intervention,
    Judgment,
    Merchant,
    MerchantAccountEntry,
    RefundRequest,
    Violation,
    ViolationStatus,
)
from disputes.models.ledger import PENALTY_KINDS
from disputes.models.violations import COUNTING
from disputes.selectors.keyset import after_q
from disputes.services.help_misses import penalty_key, violation_key
from disputes.services.refunds.money import judgment_key
from disputes.sla import BEIJING
from disputes.sql import statement as statement_sql
from disputes.sql.statement import balances_after

# The cases an entry, a penalty or a violation is about, by the name the API gives them (the events' names).
CASE_MODELS: dict[str, type[Any]] = {"help_request": HelpRequest, "refund": RefundRequest, "intervention": Intervention}


@dataclass(frozen=True)
class CaseRef:
    """A case as a money row names it: its type and id, its number (HR-12, RF-3, IV-5) and its order number."""

    type: str
    id: int
    number: str
    order_no: str


# --- the account ------------------------------------------------------------------------------------------------


def month_start(now: datetime) -> datetime:
    """The first instant of `now`'s calendar month in Beijing time."""
    local = timezone.localtime(now, BEIJING)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year `year` in Beijing time, as [start, end)."""
    return datetime(year, 1, 1, tzinfo=BEIJING), datetime(year + 1, 1, 1, tzinfo=BEIJING)


def account_totals(merchant: Merchant, *, now: datetime) -> dict[str, int]:
    """The balance (the sum of every entry, from the merchant's checkpoints when its history is long) and this
    Beijing month's movements in one aggregate over the month's entries: what was charged (negative entries), what
    was credited (positive ones, e.g. reversals) and the penalties charged (penalty kinds; their reversals are
    credited)."""
    totals = MerchantAccountEntry.objects.filter(merchant=merchant, created_at__gte=month_start(now)).aggregate(
        charged=Sum("amount", filter=Q(amount__lt=0)),
        credited=Sum("amount", filter=Q(amount__gt=0)),
        penalties=Sum("amount", filter=Q(kind__in=PENALTY_KINDS)),
    )
    checkpoints = checkpoints_for(merchant.pk, low=(now, 2**63 - 1))
    return {
        "balance_fen": statement_sql.balance(merchant.pk, checkpoints=checkpoints),
        "month_charged_fen": -(totals["charged"] or 0),
        "month_credited_fen": totals["credited"] or 0,
        "month_penalties_fen": -(totals["penalties"] or 0),
    }


# --- the statement ----------------------------------------------------------------------------------------------


def statement_entries(merchant: Merchant) -> QuerySet[MerchantAccountEntry]:
    return MerchantAccountEntry.objects.filter(merchant=merchant)


def case_entries_q(case_type: str, case_id: int) -> Q:
    """The entries about one case: the postings whose source is the case; for an intervention case, the postings
    of its judgments (a judgment's refund and compensation are posted with the judgment as their source). A
    reversal keeps the source of the entry it reverses, so it is about the same case."""
    if case_type == "intervention":
        judgments = Judgment.objects.filter(intervention_id=case_id).values("pk")
        return Q(source_type=ContentType.objects.get_for_model(Judgment), source_id__in=judgments)
    return Q(source_type=ContentType.objects.get_for_model(CASE_MODELS[case_type]), source_id=case_id)


def with_balances(merchant: Merchant, entries: Sequence[MerchantAccountEntry]) -> Sequence[MerchantAccountEntry]:
    """Set `balance_after` on each entry: the account's balance just after it. One query, using the merchant's
    checkpoints when its history is long (disputes.sql.statement); the first read of a long history takes them."""
    if not entries:
        return entries
    keys = [(e.created_at, e.pk) for e in entries]
    checkpoints = checkpoints_for(merchant.pk, low=min(keys))
    balances = balances_after(merchant.pk, keys, checkpoints=checkpoints)
    for entry in entries:
        entry.balance_after = balances[entry.pk]  # type: ignore[attr-defined]
    return entries


CHECKPOINTS_KEPT = 3600  # seconds: then taken again, so that the entries after the newest one stay few
# A history shorter than this is summed whole on each read: it costs less than keeping checkpoints for it.
CHECKPOINTS_FROM = 5 * statement_sql.CHECKPOINT_EVERY


def _checkpoint_cache_key(merchant_id: int) -> str:
    return f"statement-checkpoints:v1:{connection.settings_dict['NAME']}:{merchant_id}"


def checkpoints_for(merchant_id: int, *, low: tuple[datetime, int]) -> statement_sql.Checkpoints | None:
    """The merchant's checkpoints from the cache; taken now if its history before `low` is long enough to need
    them (one count, then one pass over the history, at most once per CHECKPOINTS_KEPT)."""
    key = _checkpoint_cache_key(merchant_id)
    found = cache.get(key)
    if isinstance(found, statement_sql.Checkpoints):
        return found
    if statement_sql.entries_before(merchant_id, low, up_to=CHECKPOINTS_FROM) < CHECKPOINTS_FROM:
        return None
    taken = statement_sql.take_checkpoints(merchant_id, settled_before=timezone.now() - statement_sql.SETTLE)
    cache.set(key, taken, CHECKPOINTS_KEPT)
    return taken


EXPORT_BATCH = 2000


def statement_export(merchant: Merchant, entries: QuerySet[MerchantAccountEntry]) -> Iterator[list[Any]]:
    """The filtered statement `entries`, newest first, in batches of EXPORT_BATCH (entries with `balance_after`
    and `case` set): a fixed number of queries per batch, and only one batch in memory.

    On PostgreSQL the batches are read in one REPEATABLE READ transaction, so a posting that commits during the
    export cannot shift the balances of the rows still to come."""
    outer = connection.in_atomic_block
    with transaction.atomic():
        if not outer:
            statement_sql.read_one_snapshot()
        ordered = entries.order_by("-created_at", "-id")
        known: tuple[tuple[datetime, int], int] | None = None
        while True:
            page = ordered
            if known is not None:
                (at, pk), _ = known
                page = ordered.filter(after_q("created_at", at, pk, descending=True))
            batch = list(page[:EXPORT_BATCH])
            if not batch:
                return
            balances = balances_after(merchant.pk, [(e.created_at, e.pk) for e in batch], known=known)
            cases = cases_of((e.source_type_id, e.source_id) for e in batch)
            for entry in batch:
                entry.balance_after = balances[entry.pk]  # type: ignore[attr-defined]
                entry.case = cases.get((entry.source_type_id, entry.source_id))  # type: ignore[attr-defined]
            yield batch
            last = batch[-1]
            known = ((last.created_at, last.pk), balances[last.pk])
            if len(batch) < EXPORT_BATCH:
                return


# --- cases ------------------------------------------------------------------------------------------------------


def cases_of(sources: Iterable[tuple[int | None, int | None]]) -> dict[tuple[int | None, int | None], CaseRef]:
    """The case of each (source_type_id, source_id) of ledger entries, with its order number: one query per kind of
    source present (help requests, refunds, judgments of intervention cases)."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for type_id, source_id in sources:
        if type_id is not None and source_id is not None:
            wanted[type_id].add(source_id)
    found: dict[tuple[int | None, int | None], CaseRef] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is HelpRequest or model is RefundRequest:
            name = "help_request" if model is HelpRequest else "refund"
            prefix = "HR" if model is HelpRequest else "RF"
            for pk, order_no in model.objects.filter(pk__in=ids).values_list("pk", "order_item__order__order_no"):
                found[type_id, pk] = CaseRef(name, pk, f"{prefix}-{pk}", order_no)
        elif model is Judgment:
            rows = Judgment.objects.filter(pk__in=ids).values_list(
                "pk", "intervention_id", "intervention__order_item__order__order_no"
            )
            for pk, case_id, order_no in rows:
                found[type_id, pk] = CaseRef("intervention", case_id, f"IV-{case_id}", order_no)
    return found


def violation_case(violation: Violation) -> CaseRef | None:
    """The case of a violation loaded with its help request's or intervention's order (VIOLATION_RELATIONS)."""
    request = violation.help_request if violation.help_request_id is not None else None
    if request is not None:
        return CaseRef("help_request", request.pk, request.number, request.order_item.order.order_no)
    case = violation.intervention if violation.intervention_id is not None else None
    if case is not None:
        return CaseRef("intervention", case.pk, case.number, case.order_item.order.order_no)
    return None


# What a violation row shows, loaded with it (a join, no per-row query).
VIOLATION_RELATIONS = ("help_request__order_item__order", "intervention__order_item__order")


# --- penalties --------------------------------------------------------------------------------------------------


class PenaltyStatus:
    CREDITED = "credited"  # charged to the merchant, credited to the buyer
    HELD = "held"  # a help-request miss whose force-majeure claim is pending: not charged yet
    VOIDED = "voided"  # a help-request miss exempted by force majeure: never charged
    REVERSED = "reversed"  # charged, then cancelled by a reversal (e.g. a judgment overturned on review)


PENALTY_STATUSES = (PenaltyStatus.CREDITED, PenaltyStatus.HELD, PenaltyStatus.VOIDED, PenaltyStatus.REVERSED)
# A help-request miss's violation, by what became of its penalty.
_MISS_STATUS = {ViolationStatus.HELD: PenaltyStatus.HELD, ViolationStatus.EXEMPTED: PenaltyStatus.VOIDED}
_DEADLINE_OF_KIND = {
    EntryKind.HELP_SOLUTION_PENALTY: DeadlineKind.SOLUTION,
    EntryKind.HELP_RESOLUTION_PENALTY: DeadlineKind.RESOLUTION,
}
_KIND_OF_DEADLINE = {deadline: kind for kind, deadline in _DEADLINE_OF_KIND.items()}


@dataclass
class Penalty:
    """One penalty on the merchant: a posted charge (its ledger entry) or a help-request miss whose charge is held
    or voided (its violation record only)."""

    key: str  # the ledger idempotency key it is (or would be) posted under: the same row whatever its status
    status: str
    kind: str
    amount_fen: int  # what the penalty is, positive
    recorded_at: datetime  # the list's order: when the entry was posted, or the held/voided miss recorded
    occurred_at: datetime
    deadline: str
    memo: str
    entry: MerchantAccountEntry | None
    violation: Violation | None
    case: CaseRef | None = None


def penalty_entries(merchant: Merchant) -> QuerySet[MerchantAccountEntry]:
    """The merchant's penalty postings (served by the merchant_entry_penalties partial index)."""
    return MerchantAccountEntry.objects.filter(merchant=merchant, kind__in=PENALTY_KINDS).select_related("reversed_by")


def unposted_misses(merchant: Merchant) -> QuerySet[Violation]:
    """The merchant's help-request misses whose penalty is held or voided (no entry)."""
    return Violation.objects.filter(
        merchant=merchant, status__in=list(_MISS_STATUS), help_request__isnull=False
    ).select_related(*VIOLATION_RELATIONS)


def deadlines_of_kinds(kinds: Iterable[str]) -> list[str]:
    """The help-request deadlines whose penalties are of `kinds` (a held or voided miss has no entry to filter)."""
    return [str(_DEADLINE_OF_KIND[EntryKind(kind)]) for kind in kinds if EntryKind(kind) in _DEADLINE_OF_KIND]


def miss_statuses(statuses: Iterable[str]) -> list[str]:
    """The violation statuses of the unposted misses with penalty `statuses` (held, voided)."""
    return [str(violation) for violation, penalty in _MISS_STATUS.items() if penalty in set(statuses)]


def penalties_from(rows: Sequence[MerchantAccountEntry | Violation]) -> list[Penalty]:
    """Penalties for a page of penalty entries and held/voided misses, with their cases and violations: two queries
    at most (the entries' violations, and their cases by kind of source)."""
    penalties: list[Penalty] = []
    keys: dict[str, Penalty] = {}
    for row in rows:
        if isinstance(row, Violation):
            penalties.append(
                Penalty(
                    key=penalty_key(row.help_request_id or 0, row.deadline),  # unposted_misses: on a request
                    status=_MISS_STATUS[ViolationStatus(row.status)],
                    kind=_KIND_OF_DEADLINE[DeadlineKind(row.deadline)],
                    amount_fen=row.compensation_points,
                    recorded_at=row.created_at,
                    occurred_at=row.occurred_at,
                    deadline=row.deadline,
                    memo="",
                    entry=None,
                    violation=row,
                    case=violation_case(row),
                )
            )
            continue
        reversed_ = getattr(row, "reversed_by", None) is not None
        penalty = Penalty(
            key=row.idempotency_key or "",
            status=PenaltyStatus.REVERSED if reversed_ else PenaltyStatus.CREDITED,
            kind=row.kind,
            amount_fen=-row.amount,
            recorded_at=row.created_at,
            occurred_at=row.occurred_at,
            deadline=_DEADLINE_OF_KIND.get(EntryKind(row.kind), ""),
            memo=row.memo,
            entry=row,
            violation=None,
        )
        penalties.append(penalty)
        key = _violation_key_of(row)
        if key:
            keys[key] = penalty
    if keys:
        for violation in Violation.objects.filter(idempotency_key__in=list(keys)):
            keys[violation.idempotency_key].violation = violation
    entries = [p.entry for p in penalties if p.entry is not None]
    cases = cases_of((e.source_type_id, e.source_id) for e in entries)
    for penalty in penalties:
        if penalty.entry is not None:
            penalty.case = cases.get((penalty.entry.source_type_id, penalty.entry.source_id))
    return penalties


def _violation_key_of(entry: MerchantAccountEntry) -> str | None:
    """The key of the violation record a penalty entry goes with: a help miss's, or the judgment's."""
    key = entry.idempotency_key or ""
    deadline = _DEADLINE_OF_KIND.get(EntryKind(entry.kind))
    if deadline is not None and key.startswith("help:"):
        return violation_key(int(key.split(":")[1]), deadline)
    if entry.kind == EntryKind.COMPENSATION and key.startswith("judgment:"):
        return judgment_key(int(key.split(":")[1]), "violation")
    return None


# --- violations and points --------------------------------------------------------------------------------------


def merchant_violations(merchant: Merchant) -> QuerySet[Violation]:
    return Violation.objects.filter(merchant=merchant).select_related(*VIOLATION_RELATIONS)


def points_by_year(merchant: Merchant, *, now: datetime) -> list[dict[str, int]]:
    """The score points counted against the merchant per calendar year in Beijing time (the year of each violation's
    occurred_at; counted and under appeal, COUNTING), newest first, the current year always included. One query."""
    rows = (
        Violation.objects.filter(merchant=merchant, status__in=COUNTING)
        .annotate(year=ExtractYear("occurred_at", tzinfo=BEIJING))
        .values("year")
        .annotate(points=Sum("score_points"), violations=Count("*"))
        .order_by("-year")
    )
    years = {
        row["year"]: {"year": row["year"], "points": row["points"], "violations": row["violations"]} for row in rows
    }
    current = timezone.localtime(now, BEIJING).year
    years.setdefault(current, {"year": current, "points": 0, "violations": 0})
    return [years[year] for year in sorted(years, reverse=True)]


def points_in_year(merchant: Merchant, year: int) -> dict[str, int]:
    """The counted score points of one Beijing calendar year (one query)."""
    start, end = year_bounds(year)
    totals = Violation.objects.filter(
        merchant=merchant, status__in=COUNTING, occurred_at__gte=start, occurred_at__lt=end
    ).aggregate(points=Sum("score_points"), violations=Count("*"))
    return {"year": year, "points": totals["points"] or 0, "violations": totals["violations"]}
