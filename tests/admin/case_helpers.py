"""Helpers for refund and intervention admin tests: orders, requests and cases reached through the services."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from disputes.choices import CreditRating
from disputes.roles import AGENT, SENIOR_AGENT
from disputes.services.interventions.deciding import intervention_appeal, intervention_judge
from disputes.services.interventions.mediation import intervention_propose
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_request_evidence,
    intervention_start_mediation,
    intervention_submit_evidence,
)
from disputes.services.refunds.buyer import refund_apply, refund_ship_return
from disputes.services.refunds.escalation import refund_request_intervention
from disputes.services.refunds.express import refund_express_claim
from disputes.services.refunds.merchant import refund_agree, refund_refuse, refund_refuse_goods
from tests import factories as f

BJ = ZoneInfo("Asia/Shanghai")
# A Wednesday. Orders were signed for the day before, so every refund below is inside its windows.
T0 = datetime(2026, 4, 1, 10, 0, tzinfo=BJ)


def photo(name: str = "broken.png", colour=(200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name: str = "report.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def at(moment: datetime, service, **kwargs):
    """Call a service with the clock frozen at `moment`."""
    with time_machine.travel(moment, tick=False):
        return service(**kwargs)


def signed_item(buyer, merchant, *, price_fen: int = 100_000):
    """An order item paid, shipped and signed for before T0, with no service commitments."""
    order = f.OrderFactory(
        buyer=buyer,
        merchant=merchant,
        paid_at=T0 - timedelta(days=4),
        shipped_at=T0 - timedelta(days=3),
        signed_at=T0 - timedelta(days=1),
    )
    return f.OrderItemFactory(order=order, amount_paid_fen=price_fen, services=[])


def applied(
    buyer,
    merchant,
    *,
    moment: datetime = T0,
    refund_type: str = "return_refund",
    reason: str = "quality",
    amount_fen: int = 50_000,
    files=None,
):
    """A new request on a fresh item, waiting for the merchant."""
    item = signed_item(buyer, merchant)
    return at(
        moment,
        refund_apply,
        actor=buyer.user,
        order_item_id=item.pk,
        refund_type=refund_type,
        reason=reason,
        amount_fen=amount_fen,
        description="It arrived broken",
        files=files,
    )


def refused(buyer, merchant, merchant_user, *, moment: datetime = T0, **kwargs):
    """Refused by the merchant an hour after it was applied for."""
    refund = applied(buyer, merchant, moment=moment, **kwargs)
    at(moment + timedelta(hours=1), refund_refuse, actor=merchant_user, refund_id=refund.pk, reason="Used goods")
    refund.refresh_from_db()
    return refund


def awaiting_return(buyer, merchant, merchant_user, *, moment: datetime = T0, **kwargs):
    """A return the merchant agreed to an hour after it was applied for."""
    refund = applied(buyer, merchant, moment=moment, **kwargs)
    at(moment + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=refund.pk)
    refund.refresh_from_db()
    return refund


def in_transit(buyer, merchant, merchant_user, *, moment: datetime = T0, **kwargs):
    """A return the buyer shipped two hours after applying (an instant refund is advanced if the quota allows)."""
    refund = awaiting_return(buyer, merchant, merchant_user, moment=moment, **kwargs)
    at(
        moment + timedelta(hours=2),
        refund_ship_return,
        actor=buyer.user,
        refund_id=refund.pk,
        carrier="SF",
        waybill=f"SF{refund.pk:06d}",
    )
    refund.refresh_from_db()
    return refund


def goods_refused(buyer, merchant, merchant_user, *, moment: datetime = T0, **kwargs):
    """The merchant refused the returned goods three hours after the request."""
    refund = in_transit(buyer, merchant, merchant_user, moment=moment, **kwargs)
    at(
        moment + timedelta(hours=3),
        refund_refuse_goods,
        actor=merchant_user,
        refund_id=refund.pk,
        reason="The returned sofa is scratched",
    )
    refund.refresh_from_db()
    return refund


def express_claimed(buyer, merchant, merchant_user, *, moment: datetime = T0, files=None):
    """A refused quality refund the buyer (rated 优秀) claims express rights protection on, with photos."""
    refund = refused(buyer, merchant, merchant_user, moment=moment)
    return at(
        moment + timedelta(hours=2),
        refund_express_claim,
        actor=buyer.user,
        refund_id=refund.pk,
        description="The legs snapped on the first day.",
        files=files or [photo("legs.png")],
    )


def excellent_buyer(**kwargs):
    return f.BuyerFactory(credit_rating=CreditRating.EXCELLENT, **kwargs)


def staff(username: str, role: str):
    return f.StaffFactory(username=username, groups=[role])


def opened_case(buyer, merchant, merchant_user, *, moment: datetime = T0, ground: str = "quality", **kwargs):
    """The buyer asks for intervention two hours after a refund-only request was refused."""
    refund = refused(buyer, merchant, merchant_user, moment=moment, refund_type="refund_only", **kwargs)
    return at(
        moment + timedelta(hours=2),
        intervention_open,
        actor=buyer.user,
        ground=ground,
        claim="The sofa arrived broken and the shop refuses to refund.",
        refund_id=refund.pk,
    )


def accepted_case(buyer, merchant, merchant_user, agent, *, moment: datetime = T0, **kwargs):
    case = opened_case(buyer, merchant, merchant_user, moment=moment, **kwargs)
    at(moment + timedelta(hours=3), intervention_accept, actor=agent, case_id=case.pk)
    case.refresh_from_db()
    return case


def judged_case(buyer, merchant, merchant_user, agent, *, moment: datetime = T0, **kwargs):
    """Accepted, evidence from the buyer, more asked of the merchant, mediation, proposal, then judged the
    next day: full refund of the 50,000 fen request plus 2,000 points, breach of promise recorded."""
    case = accepted_case(buyer, merchant, merchant_user, agent, moment=moment, **kwargs)
    soon = moment + timedelta(hours=4)
    at(soon, intervention_submit_evidence, actor=buyer.user, case_id=case.pk, text="Photos", files=[photo()])
    at(
        soon,
        intervention_request_evidence,
        actor=agent,
        case_id=case.pk,
        party="merchant",
        note="Send the packing photos.",
        due_at=moment + timedelta(days=2),
    )
    at(soon, intervention_start_mediation, actor=agent, case_id=case.pk)
    at(
        soon,
        intervention_propose,
        actor=agent,
        case_id=case.pk,
        outcome="partial_refund",
        terms="Half back, buyer keeps the sofa.",
        refund_fen=25_000,
    )
    at(
        moment + timedelta(days=1),
        intervention_judge,
        actor=agent,
        case_id=case.pk,
        outcome="full_refund",
        reasons="The defect is visible in the photos.",
        compensation_points=2_000,
        violation_kind="breach_of_promise",
    )
    case.refresh_from_db()
    return case


def appealed_case(buyer, merchant, merchant_user, agent, *, moment: datetime = T0, **kwargs):
    case = judged_case(buyer, merchant, merchant_user, agent, moment=moment, **kwargs)
    at(
        moment + timedelta(days=2),
        intervention_appeal,
        actor=merchant_user,
        case_id=case.pk,
        reasons="The photos show another sofa: the serial number differs.",
    )
    case.refresh_from_db()
    return case


def populate_cases(n: int) -> dict:
    """One of every refund and intervention record, for a fresh merchant and buyer (admin smoke tests)."""
    merchant = f.MerchantFactory()
    buyer = excellent_buyer(instant_refund_quota_fen=100_000)
    merchant_user = f.MerchantUserFactory(merchant=merchant).user
    agent = staff(f"pop-agent-{n}", AGENT)
    staff(f"pop-senior-{n}", SENIOR_AGENT)
    # Evidence at application, then an express claim with photos.
    claim = express_claimed(buyer, merchant, merchant_user)
    applied(buyer, merchant, refund_type="refund_only", files=[photo("receipt.png"), pdf()])
    # A refusal the buyer takes to the platform: an intervention case on the refund.
    handed = refused(buyer, merchant, merchant_user)
    at(T0 + timedelta(hours=2), refund_request_intervention, actor=buyer.user, refund_id=handed.pk, reason="Help")
    # A return in transit with an instant-refund advance, and one the merchant refused after receiving it.
    in_transit(buyer, merchant, merchant_user)
    goods_refused(buyer, merchant, merchant_user)
    # A case through evidence, mediation, judgment and appeal.
    case = appealed_case(buyer, merchant, merchant_user, agent)
    return {"claim": claim, "case": case, "merchant": merchant, "buyer": buyer}
