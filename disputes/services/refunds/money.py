"""What a refund moves on the ledgers: the refund charge, advance and recovery, damage penalty, shipping
cover. Built as unsaved entries so the single-request services and the bulk sweep post the same rows."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, Sum

from disputes.actors import Actor
from disputes.models import (
    AdvanceState,
    BuyerPointsEntry,
    EntryKind,
    MerchantAccountEntry,
    PlatformAdvanceEntry,
    RefundRequest,
)
from disputes.policies import PolicySnapshot
from disputes.services.ledger import PendingEntry, ledger_post_pending

# The buyer holds the platform's advance: after it was paid, and still after the merchant refused the
# goods (until repaid). Paying the refund in either state recovers it from the merchant's charge.
ADVANCE_OUTSTANDING = (AdvanceState.ADVANCED, AdvanceState.MERCHANT_REFUSED_GOODS)


@dataclass(frozen=True)
class RefundRow:
    """The money-relevant columns of a refund, read in bulk by the sweep."""

    id: int
    buyer_id: int
    merchant_id: int
    amount_fen: int
    advance_state: str
    damage_guarantee: bool
    # What the platform advanced and has not got back, when that differs from amount_fen (a judgment may
    # award less or more than was advanced): the recovery is never more than this.
    advance_fen: int | None = None

    @classmethod
    def of(cls, refund: RefundRequest) -> "RefundRow":
        return cls(
            refund.pk,
            refund.buyer_id,
            refund.merchant_id,
            refund.amount_fen,
            refund.advance_state,
            refund.damage_guarantee,
        )


class Written(NamedTuple):
    """How many entries a write added to each ledger (a key already there adds nothing)."""

    merchant: int
    advance: int
    points: int


@dataclass
class Postings:
    """The entries one or many refunds move, per ledger, not yet written."""

    merchant: list[PendingEntry] = field(default_factory=list)
    advance: list[PendingEntry] = field(default_factory=list)
    points: list[PendingEntry] = field(default_factory=list)

    def extend(self, other: "Postings") -> None:
        self.merchant += other.merchant
        self.advance += other.advance
        self.points += other.points

    def write(self) -> Written:
        """Post everything, each key at most once."""
        return Written(
            ledger_post_pending(MerchantAccountEntry, self.merchant),
            ledger_post_pending(PlatformAdvanceEntry, self.advance),
            ledger_post_pending(BuyerPointsEntry, self.points),
        )


def refund_key(refund_id: int, what: str) -> str:
    """Idempotency key of a refund posting: (case, rule)."""
    return f"refund:{refund_id}:{what}"


def damage_penalty_fen(amount_fen: int, policies: PolicySnapshot) -> int:
    """破损包退: a share of the refund, between a minimum and a cap (RULES.md section 2)."""
    share = amount_fen * policies.int("refund.damage_penalty_percent") // 100
    return max(policies.int("refund.damage_penalty_min"), min(share, policies.int("refund.damage_penalty_max")))


def _entry(
    refund_id: int, what: str, kind: str, amount: int, *, at: datetime, actor: Actor | None, memo: str, **account: int
) -> PendingEntry:
    return PendingEntry(
        amount=amount,
        kind=kind,
        idempotency_key=refund_key(refund_id, what),
        source_type_id=ContentType.objects.get_for_model(RefundRequest).pk,
        source_id=refund_id,
        occurred_at=at,
        created_by_id=getattr(actor, "pk", None),
        memo=memo,
        **account,
    )


def refund_paid(row: RefundRow, *, at: datetime, actor: Actor | None, policies: PolicySnapshot) -> Postings:
    """A refund succeeds: charge the merchant; recover a platform advance; credit a damage penalty.

    When the platform advanced the money, the buyer already has it: the charge to the
    merchant repays the platform, and the advance account goes back to zero.
    """
    out = Postings()
    if not row.amount_fen:
        return out
    out.merchant.append(
        _entry(
            row.id,
            "refund",
            EntryKind.REFUND,
            -row.amount_fen,
            memo=f"RF-{row.id} refund",
            merchant_id=row.merchant_id,
            at=at,
            actor=actor,
        )
    )
    recovery = row.amount_fen if row.advance_fen is None else min(row.amount_fen, row.advance_fen)
    if row.advance_state in ADVANCE_OUTSTANDING and recovery > 0:
        memo = f"RF-{row.id} advance recovered from the merchant"
        out.advance.append(
            _entry(
                row.id,
                "advance_recovery",
                EntryKind.ADVANCE_RECOVERY,
                -recovery,
                memo=memo,
                buyer_id=row.buyer_id,
                merchant_id=row.merchant_id,
                at=at,
                actor=actor,
            )
        )
    penalty = damage_penalty_fen(row.amount_fen, policies) if row.damage_guarantee else 0
    if penalty:
        # 100 points = 1 元 = 100 fen: the buyer gets the penalty as points, the merchant pays it in fen.
        memo = f"RF-{row.id} damage guarantee penalty"
        kind = EntryKind.DAMAGE_PENALTY
        out.points.append(
            _entry(row.id, "damage_penalty", kind, penalty, memo=memo, buyer_id=row.buyer_id, at=at, actor=actor)
        )
        out.merchant.append(
            _entry(row.id, "damage_penalty", kind, -penalty, memo=memo, merchant_id=row.merchant_id, at=at, actor=actor)
        )
    return out


class Charge(NamedTuple):
    """What paying a refund moves between the parties: the merchant account's charge in fen (a positive number,
    posted negative), and the points credited to the buyer."""

    merchant_fen: int
    buyer_points: int


def refund_paid_charge(row: RefundRow, *, at: datetime, policies: PolicySnapshot) -> Charge:
    """What refund_paid would post for `row`, summed per party: the refund and any damage penalty charged to the
    merchant, the damage penalty credited to the buyer as points. Read off the very postings the sweep writes (the
    advance recovery goes to the platform's account, not the merchant's), so a list of money at risk cannot state
    a different rule than the one the sweep applies."""
    postings = refund_paid(row, at=at, actor=None, policies=policies)
    return Charge(-sum(e.amount for e in postings.merchant), sum(e.amount for e in postings.points))


def advance_outstanding(refund: RefundRequest) -> int:
    """What the platform advanced on this refund and has not got back, from the ledger: the advance, its
    recovery or repayment, and what judgments on the refund's cases posted or reversed."""
    from disputes.models import Judgment

    judgments = Judgment.objects.filter(intervention__refund_id=refund.pk).values_list("pk", flat=True)
    refund_ct = ContentType.objects.get_for_model(RefundRequest)
    judgment_ct = ContentType.objects.get_for_model(Judgment)
    entries = PlatformAdvanceEntry.objects.filter(
        Q(source_type=refund_ct, source_id=refund.pk) | Q(source_type=judgment_ct, source_id__in=judgments)
    )
    return entries.aggregate(total=Sum("amount"))["total"] or 0


def advance_paid(row: RefundRow, *, at: datetime, actor: Actor) -> Postings:
    """The platform refunds the buyer first (先行垫付): the advance account records what it is owed."""
    memo = f"RF-{row.id} instant refund advance"
    account = {"buyer_id": row.buyer_id, "merchant_id": row.merchant_id}
    return Postings(
        advance=[_entry(row.id, "advance", EntryKind.ADVANCE, row.amount_fen, at=at, actor=actor, memo=memo, **account)]
    )


def advance_repaid(row: RefundRow, *, at: datetime, actor: Actor) -> Postings:
    """The buyer repaid an advance after the merchant's refusal of the goods was upheld."""
    memo = f"RF-{row.id} advance repaid by the buyer"
    account = {"buyer_id": row.buyer_id, "merchant_id": row.merchant_id}
    kind = EntryKind.ADVANCE_RECOVERY
    return Postings(
        advance=[_entry(row.id, "advance_repaid", kind, -row.amount_fen, at=at, actor=actor, memo=memo, **account)]
    )


def shipping_cover_paid(row: RefundRow, *, at: datetime, actor: Actor, policies: PolicySnapshot) -> Postings:
    """退货包运费: the buyer's return shipping compensation, credited once the return ships.

    Funded by the cover (insurance), so no merchant entry.
    """
    amount = policies.int("refund.shipping_cover")
    if not amount:
        return Postings()  # the policy table can switch the cover off
    memo = f"RF-{row.id} return shipping cover"
    return Postings(
        points=[
            _entry(
                row.id,
                "shipping_cover",
                EntryKind.SHIPPING_COVER,
                amount,
                at=at,
                actor=actor,
                memo=memo,
                buyer_id=row.buyer_id,
            )
        ]
    )


def judgment_key(judgment_id: int, what: str) -> str:
    """Idempotency key of a posting a judgment made: (judgment, what). An overturn reverses exactly these."""
    return f"judgment:{judgment_id}:{what}"
