"""The scheduler's pass over intervention cases: close the evidence stage when its window ends, make a judgment
final when no one appealed in time, resume suspended cases, and flag decision deadlines at risk or missed. Each
takes a case once its deadline's last second has passed (disputes.deadlines)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import system_actor
from disputes.deadlines import missed, missed_q, open_q
from disputes.events.staff import decision_events
from disputes.models import OPEN_CASE_STATES, CaseState, Intervention
from disputes.selectors.interventions import decision_due_soon, decision_missed


@dataclass
class InterventionSweepResult:
    to_mediation: int = 0
    finalized: int = 0
    resumed: int = 0
    at_risk: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.to_mediation + self.finalized + self.resumed + self.at_risk + self.breached

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _due_ids(qs: QuerySet[Intervention]) -> list[int]:
    return list(qs.select_for_update(skip_locked=True).order_by().values_list("id", flat=True)[:500])


def intervention_sweep(*, now: datetime | None = None) -> InterventionSweepResult:
    """Move cases on when their windows close, resume suspensions, and flag decision deadlines at risk or
    missed for supervisors. Idempotent: each step re-reads the state under a row lock."""
    now = now or timezone.now()
    actor = system_actor()
    policies = policy_table.load("intervention.")
    result = InterventionSweepResult()
    with transaction.atomic():
        for case in Intervention.objects.filter(
            id__in=_due_ids(Intervention.objects.filter(missed_q("evidence_due_at", now), state=CaseState.EVIDENCE))
        ).select_for_update():
            if case.merchant_answer_due_at is not None and not missed(case.merchant_answer_due_at, now):
                continue
            if case.evidence_requests.filter(open_q("due_at", now), fulfilled_at__isnull=True).exists():
                continue
            case.start_mediation(by=actor, description="Evidence window closed: mediation")
            case.save()
            result.to_mediation += 1
    with transaction.atomic():
        for case in Intervention.objects.filter(
            id__in=_due_ids(Intervention.objects.filter(missed_q("appeal_due_at", now), state=CaseState.JUDGED))
        ).select_for_update():
            case.finalize(at=now, by=actor, description="Appeal window closed: judgment final")
            case.save()
            result.finalized += 1
    with transaction.atomic():
        for case in Intervention.objects.filter(
            id__in=_due_ids(Intervention.objects.filter(missed_q("resume_due_at", now), state=CaseState.SUSPENDED))
        ).select_for_update():
            case.resume(at=now, by=actor, description="Suspension time limit reached: resumed")
            case.save()
            result.resumed += 1
    with transaction.atomic():
        cases = Intervention.objects
        breached = _flag(cases.filter(decision_missed(now)), decision_breached_at=now)
        result.breached = len(breached)
        window = policies.duration("intervention.at_risk_before")
        at_risk = _flag(
            cases.filter(decision_due_soon(now, window)).filter(decision_at_risk_at__isnull=True),
            decision_at_risk_at=now,
        )
        result.at_risk = len(at_risk)
        decision_events("intervention.decision_breached", breached, at=now)
        decision_events("intervention.decision_due_soon", at_risk, at=now)
    return result


def _flag(due: QuerySet[Intervention], **flag: datetime) -> list[tuple[int, datetime | None, int | None]]:
    """Set `flag` on the `due` cases (locked first); returns each case's id, decision deadline and assignee."""
    rows: list[tuple[int, datetime | None, int | None]] = list(
        due.select_for_update().order_by("id").values_list("id", "decision_due_at", "assigned_to_id")
    )
    Intervention.objects.filter(id__in=[pk for pk, _, _ in rows]).update(**flag)
    return rows


def intervention_queue() -> QuerySet[Intervention]:
    """The staff queue: open cases, express and 小二 first, then by decision deadline."""
    return (
        Intervention.objects.filter(state__in=[*OPEN_CASE_STATES, CaseState.APPEALED])
        .select_related("buyer", "merchant", "assigned_to", "order_item__order")
        # Explicit NULLS LAST: a case not yet accepted has no decision deadline, and SQLite would otherwise put
        # it first where PostgreSQL puts it last.
        .order_by("-priority", F("decision_due_at").asc(nulls_last=True), "applied_at", "id")
    )
