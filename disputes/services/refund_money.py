"""What a refund moves on the ledgers: the refund charge, advance and recovery, damage penalty, shipping
cover. Built as unsaved entries so the single-request services and the bulk sweep post the same rows."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType

from disputes.models import (
    AdvanceState,
    BuyerPointsEntry,
    EntryKind,
    MerchantAccountEntry,
    PlatformAdvanceEntry,
    RefundRequest,
)
from disputes.policies import PolicySnapshot
from disputes.services.ledger import ledger_post_many

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


@dataclass
class Postings:
    merchant: list[MerchantAccountEntry] = field(default_factory=list)
    advance: list[PlatformAdvanceEntry] = field(default_factory=list)
    points: list[BuyerPointsEntry] = field(default_factory=list)

    def extend(self, other: "Postings") -> None:
        self.merchant += other.merchant
        self.advance += other.advance
        self.points += other.points

    def write(self) -> int:
        """Post everything (each key at most once); returns how many merchant refund charges were new."""
        charges = ledger_post_many(self.merchant)
        ledger_post_many(self.advance)
        ledger_post_many(self.points)
        return charges


def refund_key(refund_id: int, what: str) -> str:
    """Idempotency key of a refund posting: (case, rule)."""
    return f"refund:{refund_id}:{what}"


def damage_penalty_fen(amount_fen: int, policies: PolicySnapshot) -> int:
    """破损包退: a share of the refund, between a minimum and a cap (RULES.md section 2)."""
    share = amount_fen * policies.int("refund.damage_penalty_percent") // 100
    return max(policies.int("refund.damage_penalty_min"), min(share, policies.int("refund.damage_penalty_max")))


def _common(refund_id: int, what: str, kind: str, *, at: datetime, actor: Any, memo: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "idempotency_key": refund_key(refund_id, what),
        "source_type": ContentType.objects.get_for_model(RefundRequest),
        "source_id": refund_id,
        "occurred_at": at,
        "created_by": actor if getattr(actor, "pk", None) else None,
        "memo": memo,
    }


def refund_paid(row: RefundRow, *, at: datetime, actor: Any, policies: PolicySnapshot) -> Postings:
    """A refund succeeds: charge the merchant; recover a platform advance; credit a damage penalty.

    When the platform advanced the money, the buyer already has it: the charge to the
    merchant repays the platform, and the advance account goes back to zero.
    """
    out = Postings()
    if row.amount_fen:
        out.merchant.append(
            MerchantAccountEntry(
                merchant_id=row.merchant_id,
                amount=-row.amount_fen,
                **_common(row.id, "refund", EntryKind.REFUND, at=at, actor=actor, memo=f"RF-{row.id} refund"),
            )
        )
    if row.advance_state in ADVANCE_OUTSTANDING and row.amount_fen:
        out.advance.append(
            PlatformAdvanceEntry(
                buyer_id=row.buyer_id,
                merchant_id=row.merchant_id,
                amount=-row.amount_fen,
                **_common(
                    row.id,
                    "advance_recovery",
                    EntryKind.ADVANCE_RECOVERY,
                    at=at,
                    actor=actor,
                    memo=f"RF-{row.id} advance recovered from the merchant",
                ),
            )
        )
    if row.damage_guarantee and row.amount_fen:
        penalty = damage_penalty_fen(row.amount_fen, policies)
        # 100 points = 1 元 = 100 fen: the buyer gets the penalty as points, the merchant pays it in fen.
        memo = f"RF-{row.id} damage guarantee penalty"
        out.points.append(
            BuyerPointsEntry(
                buyer_id=row.buyer_id,
                amount=penalty,
                **_common(row.id, "damage_penalty", EntryKind.DAMAGE_PENALTY, at=at, actor=actor, memo=memo),
            )
        )
        out.merchant.append(
            MerchantAccountEntry(
                merchant_id=row.merchant_id,
                amount=-penalty,
                **_common(row.id, "damage_penalty", EntryKind.DAMAGE_PENALTY, at=at, actor=actor, memo=memo),
            )
        )
    return out


def advance_paid(row: RefundRow, *, at: datetime, actor: Any) -> Postings:
    """The platform refunds the buyer first (先行垫付): the advance account records what it is owed."""
    return Postings(
        advance=[
            PlatformAdvanceEntry(
                buyer_id=row.buyer_id,
                merchant_id=row.merchant_id,
                amount=row.amount_fen,
                **_common(
                    row.id, "advance", EntryKind.ADVANCE, at=at, actor=actor, memo=f"RF-{row.id} instant refund advance"
                ),
            )
        ]
    )


def advance_repaid(row: RefundRow, *, at: datetime, actor: Any) -> Postings:
    """The buyer repaid an advance after the merchant's refusal of the goods was upheld."""
    return Postings(
        advance=[
            PlatformAdvanceEntry(
                buyer_id=row.buyer_id,
                merchant_id=row.merchant_id,
                amount=-row.amount_fen,
                **_common(
                    row.id,
                    "advance_repaid",
                    EntryKind.ADVANCE_RECOVERY,
                    at=at,
                    actor=actor,
                    memo=f"RF-{row.id} advance repaid by the buyer",
                ),
            )
        ]
    )


def shipping_cover_paid(row: RefundRow, *, at: datetime, actor: Any, policies: PolicySnapshot) -> Postings:
    """退货包运费: the buyer's return shipping compensation, credited once the return ships.

    Funded by the cover (insurance), so no merchant entry.
    """
    return Postings(
        points=[
            BuyerPointsEntry(
                buyer_id=row.buyer_id,
                amount=policies.int("refund.shipping_cover"),
                **_common(
                    row.id,
                    "shipping_cover",
                    EntryKind.SHIPPING_COVER,
                    at=at,
                    actor=actor,
                    memo=f"RF-{row.id} return shipping cover",
                ),
            )
        ]
    )
