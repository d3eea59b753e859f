"""Demo only: a demo case's history dated back in time, so that seeded cases have every age whenever the demo starts.

The services stamp every step with the real clock. A Story runs a case's steps one after another, now, and between
two steps moves everything the case has recorded so far back by the time the story says passes (`wait`), so that
each step sees the elapsed times (deadlines, windows, answer times) it would have seen on the day the story gives
it. `finish` then moves the whole case back so that it began when the story says (`began`). What moves: every date
and deadline column of the case, of the rows hanging off it (force-majeure claims, evidence, express claims, an
intervention on a refund, proposals, judgments, appeals, violations) and of their history rows (django-fsm-log).
What does not: the ledgers, which the database keeps append-only, so the money a story moves is dated when the demo
was seeded.

Two deadlines are not elapsed time, and the story sets them from the date it gives the step, with the services' own
arithmetic: the 1-hour solution deadline exists only for a request raised 09:00-18:00 Beijing time, and the decision
on an intervention case is due in working days.

Nothing outside seed_demo (which refuses to run in production) may use this module.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F
from django.utils import timezone
from django_fsm_log.models import StateLog

from disputes import policies as policy_table
from disputes import sla
from disputes.explain.deadlines import RULES, shifted
from disputes.models import HelpRequest, Intervention, LedgerEntry

__all__ = ["Story", "decision_due_in", "in_window_before", "move_back"]


def _rows_of(case: models.Model) -> dict[type[models.Model], set[int]]:
    """The case and every row that hangs off it (reverse foreign keys, followed down), ledger entries left out."""
    found: dict[type[models.Model], set[int]] = defaultdict(set)
    todo: list[tuple[type[models.Model], set[int]]] = [(type(case), {case.pk})]
    while todo:
        model, pks = todo.pop()
        pks = pks - found[model]
        if not pks:
            continue
        found[model] |= pks
        for relation in model._meta.related_objects:
            related = relation.related_model
            if not relation.one_to_many or not isinstance(related, type) or issubclass(related, LedgerEntry):
                continue
            children = set(
                related._default_manager.filter(**{f"{relation.field.name}__in": pks}).values_list("pk", flat=True)
            )
            if children:
                todo.append((related, children))
    return found


def move_back(case: models.Model, delta: timedelta) -> None:
    """Move every date of `case`, of the rows hanging off it and of their history rows `delta` into the past."""
    if delta <= timedelta(0):
        return
    for model, pks in _rows_of(case).items():
        dates = [f.name for f in model._meta.concrete_fields if isinstance(f, models.DateTimeField)]
        if dates:
            model._default_manager.filter(pk__in=pks).update(**{name: F(name) - delta for name in dates})
        if any(f.name == "deadline_basis" for f in model._meta.concrete_fields):
            # The recorded starts move with the dates, so the explanations still recompute the moved deadlines.
            for pk, bases in model._default_manager.filter(pk__in=pks).values_list("pk", "deadline_basis"):
                if bases:
                    model._default_manager.filter(pk=pk).update(deadline_basis=shifted(bases, delta))
        content_type = ContentType.objects.get_for_model(model)
        StateLog.objects.filter(content_type=content_type, object_id__in=pks).update(timestamp=F("timestamp") - delta)


@dataclass
class Story:
    """One case's history: it began at `began`; `at` is the date of the step about to run."""

    case: models.Model
    began: datetime
    elapsed: timedelta = field(default=timedelta(0))

    @property
    def at(self) -> datetime:
        return self.began + self.elapsed

    def wait(self, **duration: float) -> None:
        """Time passes before the next step: what happened so far moves back by that much."""
        delta = timedelta(**duration)
        move_back(self.case, delta)
        self.elapsed += delta

    def frame(self, moment: datetime) -> datetime:
        """`moment`, a date in the story (an appointment, a deadline staff set), as a service must be given it now:
        the moves still to come bring it back to `moment`."""
        return moment + (timezone.now() - self.at)

    def framing(self) -> Callable[[datetime], datetime]:
        """`frame` with the clock read once: dates framed by it keep their distances to the millisecond (a deadline
        and the start it is recorded as computed from, which the explanation recomputes it from)."""
        shift = timezone.now() - self.at
        return lambda moment: moment + shift

    def finish(self) -> None:
        """Move the case back so that its last step happened at `at`."""
        delta = timezone.now() - self.at
        if delta < timedelta(0):
            raise ValueError(f"A demo story cannot end in the future ({self.at:%Y-%m-%d %H:%M}).")
        move_back(self.case, delta)

    # The two deadlines that are not elapsed time (module docstring).

    def date_solution_deadline(self, request: HelpRequest) -> None:
        """Give a request just raised the 1-hour deadline of a request raised at `at`, or none."""
        policies = policy_table.load("help.")
        due = sla.solution_due_at(
            self.at,
            sla=policies.duration("help.solution_sla"),
            start=policies.clock("help.window_start"),
            end=policies.clock("help.window_end"),
        )
        frame = self.framing()  # one reading of the clock for the deadline and its recorded start
        request.solution_due_at = None if due is None else frame(due)
        # Recorded as started at `at` once the moves to come are done (frame), as the service would have.
        # Read back: the service recorded the other deadlines on its own copy of the row.
        bases = dict(HelpRequest.objects.filter(pk=request.pk).values_list("deadline_basis", flat=True).get() or {})
        bases.pop("solution_due_at", None)
        if due is not None:
            bases["solution_due_at"] = RULES["help.solution_due"].basis(frame(self.at), policies=policies)
        request.deadline_basis = bases
        HelpRequest.objects.filter(pk=request.pk).update(
            solution_due_at=request.solution_due_at, deadline_basis=request.deadline_basis
        )

    def date_decision_deadline(self, case: Intervention) -> None:
        """Give a case just accepted the decision deadline of a case accepted at `at`."""
        policies = policy_table.load("intervention.")
        due = RULES["intervention.decision_due"].due([self.at], policies)
        assert due is not None  # working days always give a day
        frame = self.framing()  # one reading of the clock for the deadline and its recorded start
        case.decision_due_at = frame(due)
        case.deadline_basis = {
            **(Intervention.objects.filter(pk=case.pk).values_list("deadline_basis", flat=True).get() or {}),
            "decision_due_at": RULES["intervention.decision_due"].basis(frame(self.at), policies=policies),
        }
        Intervention.objects.filter(pk=case.pk).update(
            decision_due_at=case.decision_due_at, deadline_basis=case.deadline_basis
        )


def in_window_before(moment: datetime, *, latest: time = time(17, 30)) -> datetime:
    """The last moment at or before `moment` inside the Beijing daytime window (09:01 to `latest`): when a request
    must have been raised to have a 1-hour deadline."""
    local = sla.to_beijing(moment)
    if local.time() > latest:
        return local.replace(hour=latest.hour, minute=latest.minute, second=0, microsecond=0)
    # Not in the window's first minute either: the demo's dates land a few milliseconds before the story's own (the
    # clock runs while it is seeded), and a request raised at 08:59:59.99 has no 1-hour deadline.
    if local.time() < time(9, 1):
        previous = local - timedelta(days=1)
        return previous.replace(hour=latest.hour, minute=latest.minute, second=0, microsecond=0)
    return local


def decision_due_in(now: datetime, low: timedelta, high: timedelta) -> datetime:
    """An acceptance time during Beijing office hours whose decision deadline (the policy's working days later) falls
    between now + low and now + high: for the at-risk (ahead) and the breached (behind) decision queues. In a long
    public holiday no decision falls due, so none may fall in that span: then the nearest deadline on its side."""
    days = policy_table.load("intervention.").int("intervention.decision_due")
    ahead = low > timedelta(0)
    start = sla.to_beijing(now).replace(minute=0, second=0, microsecond=0)
    best: tuple[datetime, datetime] | None = None
    for hours in range(24, 24 * 40):
        accepted = start - timedelta(hours=hours)
        if not time(9, 0) <= accepted.time() < time(18, 0):
            continue
        due = sla.add_working_days(accepted, days)
        if ahead and due >= now + low and (best is None or due < best[1]):
            best = (accepted, due)
        if not ahead and due <= now + high and (best is None or due > best[1]):
            best = (accepted, due)
    if best is None:
        raise ValueError("No acceptance time gives a decision deadline near that span.")
    return best[0]
