"""A refund's events besides its steps: the buyer told that an advance the platform paid must be repaid, and by
when (`refund.advance_repayment_due`), one at a time or for a sweep's batch."""

from disputes.events.record import PendingEvent, record, record_many
from disputes.models import RefundRequest
from disputes.sql.bulk import in_ids

TYPE = "refund.advance_repayment_due"


def repayment_due_event(refund: RefundRequest) -> None:
    record(
        TYPE,
        case=refund,
        payload={"repayment_due_at": refund.repayment_due_at, "amount_fen": refund.amount_fen},
    )


def repayment_due_events(refund_ids: list[int]) -> int:
    rows = RefundRequest.objects.filter(id__in=in_ids(refund_ids)).values_list(
        "id", "merchant_id", "buyer_id", "repayment_notice_at", "repayment_due_at", "amount_fen"
    )
    return record_many(
        [
            PendingEvent(
                TYPE,
                "refund",
                pk,
                merchant,
                buyer,
                notice_at,
                {"repayment_due_at": due, "amount_fen": amount},
            )
            for pk, merchant, buyer, notice_at, due, amount in rows
        ]
    )
