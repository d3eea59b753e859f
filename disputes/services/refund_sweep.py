"""The scheduler's pass over refunds: every timeout of RULES.md section 2, applied in bulk and exactly once."""

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, CharField, F, Value, When
from django.utils import timezone

from disputes import policies as policy_table
from disputes.actors import system_actor
from disputes.bulk import in_ids, insert_transitions
from disputes.models import AdvanceState, Buyer, DueAction, Merchant, RefundRequest, RefundState
from disputes.notifications import notify_many_after_commit
from disputes.services.refund_money import ADVANCE_OUTSTANDING, Postings, RefundRow, refund_paid

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


_TARGET = {
    DueAction.PAY: RefundState.SUCCESS,
    DueAction.AGREE: RefundState.WAIT_BUYER_RETURN,
    DueAction.CLOSE_NOT_SHIPPED: RefundState.CLOSED,
    DueAction.CLOSE_REFUSED: RefundState.CLOSED,
    DueAction.RECEIVED: RefundState.WAIT_SELLER_RESHIP,
}
_DESCRIPTION = {
    DueAction.PAY: "Merchant did not act in time: refund paid",
    DueAction.AGREE: "Merchant silent: return agreed, default return address given",
    DueAction.CLOSE_NOT_SHIPPED: "Buyer did not ship the return in time: closed",
    DueAction.CLOSE_REFUSED: "Buyer neither modified nor asked for intervention: closed",
    DueAction.RECEIVED: "Merchant did not confirm in time: goods taken as received",
}
# The state each action is only valid from: a row that moved since it was read is left alone.
_SOURCE = {
    DueAction.PAY: (RefundState.WAIT_SELLER_AGREE, RefundState.WAIT_SELLER_CONFIRM),
    DueAction.AGREE: (RefundState.WAIT_SELLER_AGREE,),
    DueAction.CLOSE_NOT_SHIPPED: (RefundState.WAIT_BUYER_RETURN,),
    DueAction.CLOSE_REFUSED: (RefundState.SELLER_REFUSED,),
    DueAction.RECEIVED: (RefundState.WAIT_SELLER_CONFIRM,),
}


def _apply_batch(
    rows: list[tuple], *, now: datetime, actor: Any, policies: Any, result: RefundSweepResult
) -> list[int]:
    """Apply one locked batch; returns the ids whose deadline's action does not fit their state.

    The services never write such a row. Should one appear, it is neither paid nor moved (a refund is
    only paid by moving it to success) but left, with its deadline, for staff to see."""
    by_action: dict[str, list[tuple]] = defaultdict(list)
    unfit: list[int] = []
    for row in rows:
        if row[1] in _SOURCE and row[2] in _SOURCE[row[1]]:
            by_action[row[1]].append(row)
        else:
            unfit.append(row[0])
    postings = Postings()
    for action, group in by_action.items():
        qs = RefundRequest.objects.filter(id__in=in_ids([r[0] for r in group]), state__in=_SOURCE[action])
        if action == DueAction.PAY:
            for pk, _, _source, buyer_id, merchant_id, amount, advance, damage, due in group:
                # Money is dated at the deadline, so a catch-up after downtime reads as it should have.
                postings.extend(
                    refund_paid(
                        RefundRow(pk, buyer_id, merchant_id, amount, advance, damage),
                        at=due,
                        actor=actor,
                        policies=policies,
                    )
                )
            qs.update(
                state=RefundState.SUCCESS,
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
                for m in Merchant.objects.filter(pk__in={r[4] for r in group}).only(
                    "id", "return_contact", "return_phone", "return_address"
                )
            }
            # The buyer's 7 days to ship start when the address is given, i.e. now.
            qs.update(
                state=RefundState.WAIT_BUYER_RETURN,
                agreed_at=now,
                return_address=Case(
                    *[When(merchant_id=k, then=Value(v)) for k, v in merchants.items()], output_field=CharField()
                ),
                due_at=now + policies.duration("refund.buyer_ship_return"),
                due_action=DueAction.CLOSE_NOT_SHIPPED,
            )
            result.agreed += len(group)
        elif action in (DueAction.CLOSE_NOT_SHIPPED, DueAction.CLOSE_REFUSED):
            notice = [r[0] for r in group if r[6] == AdvanceState.MERCHANT_REFUSED_GOODS]
            qs.update(
                state=RefundState.CLOSED,
                closed_at=F("due_at"),
                close_reason=_DESCRIPTION[action][:200],
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
                RefundRequest.objects.filter(id__in=in_ids(notice)).update(
                    repayment_notice_at=now, repayment_due_at=now + policies.duration("refund.advance_repay_window")
                )
                notify_many_after_commit("refund.advance_repayment_notice", case="refund", case_ids=notice)
                result.notices += len(notice)
            result.closed += len(group)
        elif action == DueAction.RECEIVED:
            qs.update(
                state=RefundState.WAIT_SELLER_RESHIP,
                goods_received_at=F("due_at"),
                due_at=None,
                due_action=DueAction.NONE,
            )
            result.received += len(group)
        insert_transitions(
            RefundRequest,
            [(r[0], r[2]) for r in group],
            transition=f"timeout_{action}",
            target=_TARGET[action],
            description=_DESCRIPTION[action],
            actor_id=actor.pk,
            at=now,
        )
    result.credits += postings.write().merchant
    return unfit


def _sweep_due(*, now: datetime, actor: Any, policies: Any, batch_size: int, result: RefundSweepResult) -> None:
    unfit: list[int] = []  # never taken again in this run, so they cannot keep the loop going
    while True:
        with transaction.atomic():
            due = RefundRequest.objects.select_for_update(skip_locked=True).filter(
                due_at__isnull=False, due_at__lte=now
            )
            if unfit:
                due = due.exclude(id__in=in_ids(unfit))
            rows = list(
                due.order_by().values_list(
                    "id",
                    "due_action",
                    "state",
                    "buyer_id",
                    "merchant_id",
                    "amount_fen",
                    "advance_state",
                    "damage_guarantee",
                    "due_at",
                )[:batch_size]
            )
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


def _sweep_repayments(*, now: datetime, batch_size: int, result: RefundSweepResult) -> None:
    while True:
        with transaction.atomic():
            rows = list(
                RefundRequest.objects.select_for_update(skip_locked=True)
                .filter(
                    advance_state=AdvanceState.MERCHANT_REFUSED_GOODS,
                    repaid_at__isnull=True,
                    privilege_revoked_at__isnull=True,
                    repayment_due_at__isnull=False,
                    repayment_due_at__lte=now,
                )
                .order_by()
                .values_list("id", "buyer_id")[:batch_size]
            )
            if not rows:
                return
            RefundRequest.objects.filter(id__in=[r[0] for r in rows]).update(privilege_revoked_at=now)
            Buyer.objects.filter(id__in={r[1] for r in rows}, instant_refund_revoked_at__isnull=True).update(
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


def _due_in_own_session(*, now: datetime, actor: Any, policies: Any, batch_size: int) -> RefundSweepResult:
    part = RefundSweepResult()
    try:
        _sweep_due(now=now, actor=actor, policies=policies, batch_size=batch_size, result=part)
    finally:
        connection.close()  # this thread's own connection
    return part
