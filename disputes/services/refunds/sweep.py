"""The scheduler's pass over refunds: every timeout of RULES.md section 2, applied in bulk and exactly once."""

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Case, CharField, F, Value, When
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import Actor, system_actor
from disputes.deadlines import missed_q
from disputes.events.bulk import transition_events
from disputes.events.refunds import repayment_due_events
from disputes.explain.deadlines import RULES
from disputes.models import AdvanceState, Buyer, DueAction, Merchant, RefundRequest, RefundState
from disputes.models.steps import declared, sources_of, steps_by, target_of
from disputes.policies import PolicySnapshot
from disputes.services.refunds.common import pay, repayment_notice, reschedule
from disputes.services.refunds.money import ADVANCE_OUTSTANDING, Postings, RefundRow, refund_paid
from disputes.sql.bulk import in_ids, insert_transitions, json_set_key

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 5000
SESSIONS = 2


@dataclass
class RefundSweepResult:
    paid: int = 0
    agreed: int = 0
    closed: int = 0
    received: int = 0
    revoked: int = 0
    credits: int = 0
    notices: int = 0

    @property
    def total(self) -> int:
        return self.paid + self.agreed + self.closed + self.received + self.revoked

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def add(self, other: "RefundSweepResult") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class DueRefund(NamedTuple):
    """One due refund as the sweep reads it (the columns of _DUE_COLUMNS, in order)."""

    id: int
    due_action: str
    state: str
    buyer_id: int
    merchant_id: int
    amount_fen: int
    advance_state: str
    damage_guarantee: bool
    due_at: datetime


_DUE_COLUMNS = tuple(DueRefund._fields)


@dataclass(frozen=True)
class Timeout:
    """A due action's declared step on RefundRequest (custom "due_action"): the states it may be taken from, the
    state it leads to, and the history line. The bulk updates below are that step's set-based twin."""

    step: str
    sources: tuple[str, ...]
    target: str
    description: str


def _timeouts() -> dict[str, Timeout]:
    found = {}
    for action, step in steps_by(RefundRequest, "due_action").items():
        custom = declared(RefundRequest, step)[0].custom
        found[str(action)] = Timeout(
            step, sources_of(RefundRequest, step), target_of(RefundRequest, step), custom["description"]
        )
    return found


TIMEOUTS = _timeouts()


def _apply_batch(
    rows: list[DueRefund], *, now: datetime, actor: Actor, policies: PolicySnapshot, result: RefundSweepResult
) -> list[int]:
    """Apply one locked batch; returns the ids whose deadline's action does not fit their state.

    The services never write such a row. Should one appear, it is neither paid nor moved (a refund is
    only paid by moving it to success) but left, with its deadline, for staff to see."""
    by_action: dict[str, list[DueRefund]] = defaultdict(list)
    unfit: list[int] = []
    for row in rows:
        timeout = TIMEOUTS.get(row.due_action)
        if timeout is not None and row.state in timeout.sources:
            by_action[row.due_action].append(row)
        else:
            unfit.append(row.id)
    postings = Postings()
    for action, group in by_action.items():
        timeout = TIMEOUTS[action]
        qs = RefundRequest.objects.filter(id__in=in_ids([r.id for r in group]), state__in=timeout.sources)
        if action == DueAction.PAY:
            for row in group:
                # Money is dated at the deadline, so a catch-up after downtime reads as it should have.
                postings.extend(
                    refund_paid(
                        RefundRow(
                            row.id,
                            row.buyer_id,
                            row.merchant_id,
                            row.amount_fen,
                            row.advance_state,
                            row.damage_guarantee,
                        ),
                        at=row.due_at,
                        actor=actor,
                        policies=policies,
                    )
                )
            qs.update(
                state=timeout.target,
                succeeded_at=F("due_at"),
                agreed_at=Case(When(state=RefundState.WAIT_SELLER_AGREE, then=F("due_at")), default=F("agreed_at")),
                goods_received_at=Case(
                    When(state=RefundState.WAIT_SELLER_CONFIRM, then=F("due_at")), default=F("goods_received_at")
                ),
                advance_state=Case(
                    When(advance_state__in=ADVANCE_OUTSTANDING, then=Value(AdvanceState.SETTLED)),
                    When(advance_state=AdvanceState.APPLIED, then=Value(AdvanceState.CLOSED)),
                    default=F("advance_state"),
                    output_field=CharField(),
                ),
                due_at=None,
                due_action=DueAction.NONE,
            )
            result.paid += len(group)
        elif action == DueAction.AGREE:
            merchants = {
                m.pk: m.full_return_address[:300]
                for m in Merchant.objects.filter(pk__in={r.merchant_id for r in group}).only(
                    "id", "return_contact", "return_phone", "return_address"
                )
            }
            # The buyer's 7 days to ship start when the address is given, i.e. now.
            buyer_ship_due, buyer_ship_basis = RULES["refund.buyer_ship_return"].set(now, policies=policies)
            qs.update(
                state=timeout.target,
                agreed_at=now,
                return_address=Case(
                    *[When(merchant_id=k, then=Value(v)) for k, v in merchants.items()], output_field=CharField()
                ),
                due_at=buyer_ship_due,
                due_action=DueAction.CLOSE_NOT_SHIPPED,
                # The same rule as reschedule (agreed now, so started now); every row of the group shares it.
                deadline_basis=json_set_key("deadline_basis", "due_at", buyer_ship_basis),
            )
            result.agreed += len(group)
        elif action in (DueAction.CLOSE_NOT_SHIPPED, DueAction.CLOSE_REFUSED):
            notice = [r.id for r in group if r.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS]
            qs.update(
                state=timeout.target,
                closed_at=F("due_at"),
                close_reason=timeout.description[:200],
                advance_state=Case(
                    When(advance_state=AdvanceState.APPLIED, then=Value(AdvanceState.CLOSED)),
                    default=F("advance_state"),
                    output_field=CharField(),
                ),
                due_at=None,
                due_action=DueAction.NONE,
            )
            if notice:
                # The merchant's refusal of the goods stands: the buyer owes the advance.
                repayment_due, repayment_basis = RULES["refund.repayment"].set(now, policies=policies)
                RefundRequest.objects.filter(id__in=in_ids(notice)).update(
                    repayment_notice_at=now,
                    repayment_due_at=repayment_due,
                    deadline_basis=json_set_key("deadline_basis", "repayment_due_at", repayment_basis),
                )
                repayment_due_events(notice)
                result.notices += len(notice)
            result.closed += len(group)
        elif action == DueAction.RECEIVED:
            qs.update(
                state=timeout.target,
                goods_received_at=F("due_at"),
                due_at=None,
                due_action=DueAction.NONE,
            )
            result.received += len(group)
        insert_transitions(
            RefundRequest,
            [(r.id, r.state) for r in group],
            transition=timeout.step,
            target=timeout.target,
            description=timeout.description,
            actor_id=actor.pk,
            at=now,
        )
        transition_events(
            RefundRequest, [(r.id, r.state) for r in group], transition=timeout.step, target=timeout.target, at=now
        )
    result.credits += postings.write().merchant
    return unfit


def _sweep_due(
    *, now: datetime, actor: Actor, policies: PolicySnapshot, batch_size: int, result: RefundSweepResult
) -> None:
    unfit: list[int] = []  # never taken again in this run, so they cannot keep the loop going
    while True:
        with transaction.atomic():
            due = RefundRequest.objects.select_for_update(skip_locked=True).filter(
                missed_q("due_at", now), due_at__isnull=False
            )
            if unfit:
                due = due.exclude(id__in=in_ids(unfit))
            rows = [DueRefund(*values) for values in due.order_by().values_list(*_DUE_COLUMNS)[:batch_size]]
            if not rows:
                break
            unfit += _apply_batch(rows, now=now, actor=actor, policies=policies, result=result)
        if len(rows) < batch_size:
            break
    if unfit:
        logger.error(
            "refund sweep: %d requests have a deadline whose action does not fit their state; "
            "left untouched for staff: %s",
            len(unfit),
            ", ".join(f"RF-{pk}" for pk in sorted(unfit)[:50]),
        )


def refund_apply_timeout(*, refund_id: int, now: datetime, actor: Actor, policies: PolicySnapshot) -> RefundSweepResult:
    """The one-by-one twin of the bulk path: take the declared timeout step of one refund whose deadline has
    passed, with what follows from it (the money paid and the advance settled, an advance's repayment notice, the
    next deadline). Counts nothing when nothing was due or the step does not fit the state (left for staff, as
    in bulk). The reference for the set-based path, which the sweep runs: tests/services/test_refund_bulk_steps.py
    proves the two agree on every state."""
    done = RefundSweepResult()
    with transaction.atomic():
        refund = RefundRequest.objects.select_for_update().filter(missed_q("due_at", now), pk=refund_id).first()
        timeout = TIMEOUTS.get(refund.due_action) if refund is not None else None
        if refund is None or refund.due_at is None or timeout is None or refund.state not in timeout.sources:
            return done
        due, action, step = refund.due_at, refund.due_action, getattr(refund, timeout.step)
        said = {"by": actor, "description": timeout.description}
        if action == DueAction.PAY:
            step(at=due, **said)
            done.credits = pay(refund, at=due, actor=actor, policies=policies).merchant
            done.paid = 1
        elif action == DueAction.AGREE:
            step(at=now, address=refund.merchant.full_return_address[:300], **said)
            done.agreed = 1
        elif action in (DueAction.CLOSE_NOT_SHIPPED, DueAction.CLOSE_REFUSED):
            step(at=due, reason=timeout.description, **said)
            if refund.advance_state == AdvanceState.APPLIED:
                refund.close_advance(by=actor, description="Closed without an advance")
            elif refund.advance_state == AdvanceState.MERCHANT_REFUSED_GOODS:
                # The merchant's refusal of the goods stands: the buyer owes the advance.
                repayment_notice(refund, now=now, policies=policies)
                done.notices = 1
            done.closed = 1
        else:
            step(at=due, **said)
            done.received = 1
        reschedule(refund, policies)
        refund.save()
    return done


def _sweep_repayments(*, now: datetime, batch_size: int, result: RefundSweepResult) -> None:
    while True:
        with transaction.atomic():
            rows: list[tuple[int, int]] = list(
                RefundRequest.objects.select_for_update(skip_locked=True)
                .filter(
                    missed_q("repayment_due_at", now),
                    advance_state=AdvanceState.MERCHANT_REFUSED_GOODS,
                    repaid_at__isnull=True,
                    privilege_revoked_at__isnull=True,
                    repayment_due_at__isnull=False,
                )
                .order_by()
                .values_list("id", "buyer_id")[:batch_size]
            )
            if not rows:
                return
            RefundRequest.objects.filter(id__in=[pk for pk, _ in rows]).update(privilege_revoked_at=now)
            Buyer.objects.filter(id__in={buyer for _, buyer in rows}, instant_refund_revoked_at__isnull=True).update(
                instant_refund_revoked_at=now
            )
            result.revoked += len(rows)
        if len(rows) < batch_size:
            return


def refund_sweep(*, now: datetime | None = None, batch_size: int = DEFAULT_BATCH) -> RefundSweepResult:
    """Apply every refund deadline that has passed: pay, agree, close, take goods as received, and revoke
    the instant-refund privilege of buyers who did not repay an advance in time.

    Safe to run twice or concurrently: due rows are locked (skipping rows another sweep holds), each
    update re-checks the source state, and every posting has a unique idempotency key. After downtime
    the next run catches up, dating refunds at their deadlines.
    """
    now = now or timezone.now()
    actor = system_actor()
    policies = policy_table.load("refund.")
    result = RefundSweepResult()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Two sessions take batches side by side: SKIP LOCKED hands each a different set of due rows,
        # exactly as when two sweeps run at once. The work is in PostgreSQL, and there are two cores.
        with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
            parts = list(
                pool.map(
                    lambda _: _due_in_own_session(now=now, actor=actor, policies=policies, batch_size=batch_size),
                    range(SESSIONS),
                )
            )
        for part in parts:
            result.add(part)
    else:
        _sweep_due(now=now, actor=actor, policies=policies, batch_size=batch_size, result=result)
    _sweep_repayments(now=now, batch_size=batch_size, result=result)
    return result


def _due_in_own_session(*, now: datetime, actor: Actor, policies: PolicySnapshot, batch_size: int) -> RefundSweepResult:
    part = RefundSweepResult()
    try:
        _sweep_due(now=now, actor=actor, policies=policies, batch_size=batch_size, result=part)
    finally:
        connection.close()  # this thread's own connection
    return part
