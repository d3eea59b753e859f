"""Money a merchant loses if it does nothing: every running deadline of its open cases whose miss charges its
account (RULES.md sections 1, 2 and 6), priced by the very functions the sweeps charge with.

One row per deadline, not per case: a help request with no solution yet misses its 1-hour and then its 48-hour
deadline and pays both, so both are listed and the total is what the sweeps would take if the merchant did nothing
at all. What costs nothing is not listed: a refund whose timeout only agrees to a return or takes goods as received
(no money moves), and platform intervention deadlines (the intervention sweep moves cases on and flags decision
deadlines, it posts nothing to the merchant's account; a judgment is a staff decision, not a missed deadline)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Case, F, Q, When

from disputes import policies as policy_table
from disputes.models import (
    ClaimStatus,
    DeadlineKind,
    DueAction,
    ForceMajeureClaim,
    HelpRequest,
    Merchant,
    RefundRequest,
    RefundState,
    ViolationStatus,
)
from disputes.models.help_requests import DUE_FIELD, OPEN_STATES, RUNNING_DEADLINE
from disputes.policies import PolicySnapshot
from disputes.services.help_misses import MissRules, solution_in_time
from disputes.services.refunds.money import RefundRow, refund_paid_charge
from disputes.services.refunds.sweep import TIMEOUTS

HELP_REQUEST = "help_request"
REFUND = "refund"

# The name of each deadline in the list, by case: the help request's two clocks, and the refund state whose
# timeout pays the refund (the merchant did not answer the request / did not confirm the returned goods).
HELP_DEADLINE = {DeadlineKind.SOLUTION: "solution_due", DeadlineKind.RESOLUTION: "resolution_due"}
REFUND_DEADLINE = {RefundState.WAIT_SELLER_AGREE: "answer_due", RefundState.WAIT_SELLER_CONFIRM: "receipt_due"}
DEADLINES = (*HELP_DEADLINE.values(), *REFUND_DEADLINE.values())

# Why the amount is what it is: a help penalty's own basis (disputes.models.PenaltyBasis), or one of these.
EXEMPTED = "exempted"  # force majeure approved: the miss costs nothing
REFUND_ONLY = "refund"  # the refund is paid and charged
REFUND_AND_DAMAGE = "refund_and_damage_penalty"  # ... plus the damage-guarantee penalty (破损包退)

ORDERS = ("deadline", "amount")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AtRiskRow:
    """One deadline that charges the merchant when it passes: how much (fen), what the buyer is credited (points),
    and whether a pending force-majeure claim holds the penalty (then the sweep records the miss but charges
    nothing until staff reject the claim)."""

    case_type: str
    case_id: int
    order_number: str
    deadline: str
    due_at: datetime
    penalty_fen: int
    buyer_points: int
    basis: str
    held: bool

    def sort_key(self, order: str) -> tuple[int, ...]:
        """A total order: deadline first (or the amount, largest first), then the case and the deadline."""
        micros = (self.due_at - EPOCH) // timedelta(microseconds=1)  # exact, unlike a float timestamp
        tail = (micros, int(self.case_type == REFUND), self.case_id, DEADLINES.index(self.deadline))
        return (-self.penalty_fen, *tail) if order == "amount" else tail


@dataclass(frozen=True)
class AtRisk:
    rows: list[AtRiskRow]  # sorted by the order asked for
    total_fen: int  # what the sweeps charge if every listed deadline passes: the rows not held
    held_fen: int  # what pending force-majeure claims hold: charged only if staff reject them


def money_at_risk(merchant: Merchant, *, order: str = "deadline", before: datetime | None = None) -> AtRisk:
    """Every deadline of the merchant's open cases that costs it money when missed (before `before`, if given),
    sorted by `order` ("deadline": soonest first; "amount": largest first), with the totals of all of them.

    Four queries whatever the number of cases: the policies, the help requests, their force-majeure claims, the
    refunds."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, not {order!r}")
    policies = policy_table.load()
    rows = [*_help_rows(merchant, policies, before), *_refund_rows(merchant, policies, before)]
    rows.sort(key=lambda row: row.sort_key(order))
    return AtRisk(
        rows=rows,
        total_fen=sum(row.penalty_fen for row in rows if not row.held),
        held_fen=sum(row.penalty_fen for row in rows if row.held),
    )


def _help_rows(merchant: Merchant, policies: PolicySnapshot, before: datetime | None) -> list[AtRiskRow]:
    running = RUNNING_DEADLINE[DeadlineKind.SOLUTION] | RUNNING_DEADLINE[DeadlineKind.RESOLUTION]
    requests = HelpRequest.objects.filter(running, merchant=merchant)
    if before is not None:
        requests = requests.filter(Q(solution_due_at__lt=before) | Q(resolution_due_at__lt=before))
    # Each deadline while its clock runs, else NULL: the declared condition (RUNNING_DEADLINE, which the sweep
    # selects its due rows by), evaluated by the database so that no model instance is built per request.
    running_due = {
        deadline: Case(When(RUNNING_DEADLINE[deadline], then=F(DUE_FIELD[deadline])), default=None)
        for deadline in DUE_FIELD
    }
    found = requests.order_by().values_list(
        "id",
        "order_item__order__order_no",
        "service_kind",
        "item_price_fen",
        "solution_given_at",
        running_due[DeadlineKind.SOLUTION],
        running_due[DeadlineKind.RESOLUTION],
    )
    # The claims the sweep reads (services.help_misses.claims_on), for all the merchant's open requests at once.
    claims = {
        (pk, deadline): status
        for pk, deadline, status in ForceMajeureClaim.objects.filter(
            help_request__merchant=merchant,
            help_request__state__in=OPEN_STATES,
            status__in=[ClaimStatus.PENDING, ClaimStatus.APPROVED],
        ).values_list("help_request_id", "deadline", "status")
    }
    rules = {deadline: MissRules(deadline, policies) for deadline in DUE_FIELD}
    rows = []
    for pk, order_no, kind, price, given, solution_due, resolution_due in found:
        for deadline, due_at in ((DeadlineKind.SOLUTION, solution_due), (DeadlineKind.RESOLUTION, resolution_due)):
            if due_at is None or (before is not None and not due_at < before):
                continue
            # If the merchant does nothing, the solution it has (or has not) given is what the sweep judges by.
            decision = rules[deadline](kind, price, solution_in_time(given, due_at), claims.get((pk, deadline)))
            exempted = decision.status == ViolationStatus.EXEMPTED
            rows.append(
                AtRiskRow(
                    case_type=HELP_REQUEST,
                    case_id=pk,
                    order_number=order_no,
                    deadline=HELP_DEADLINE[deadline],
                    due_at=due_at,
                    # 100 points = 1 元 = 100 fen: the merchant is charged in fen what the buyer gets in points.
                    penalty_fen=0 if exempted else decision.points,
                    buyer_points=0 if exempted else decision.points,
                    basis=EXEMPTED if exempted else decision.basis,
                    held=decision.status == ViolationStatus.HELD,
                )
            )
    return rows


def _refund_rows(merchant: Merchant, policies: PolicySnapshot, before: datetime | None) -> list[AtRiskRow]:
    # The refunds the sweep pays when their deadline passes: the PAY timeout, in a state it may be taken from.
    refunds = RefundRequest.objects.filter(
        merchant=merchant,
        due_action=DueAction.PAY,
        due_at__isnull=False,
        state__in=TIMEOUTS[DueAction.PAY].sources,
    )
    if before is not None:
        refunds = refunds.filter(due_at__lt=before)
    rows = []
    for pk, order_no, state, due_at, buyer_id, amount, advance, damage in refunds.values_list(
        "id",
        "order_item__order__order_no",
        "state",
        "due_at",
        "buyer_id",
        "amount_fen",
        "advance_state",
        "damage_guarantee",
    ):
        row = RefundRow(pk, buyer_id, merchant.pk, amount, advance, damage)
        charge = refund_paid_charge(row, at=due_at, policies=policies)
        if not charge.merchant_fen:
            continue
        rows.append(
            AtRiskRow(
                case_type=REFUND,
                case_id=pk,
                order_number=order_no,
                deadline=REFUND_DEADLINE[RefundState(state)],
                due_at=due_at,
                penalty_fen=charge.merchant_fen,
                buyer_points=charge.buyer_points,
                basis=REFUND_AND_DAMAGE if charge.buyer_points else REFUND_ONLY,
                held=False,
            )
        )
    return rows
