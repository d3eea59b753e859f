"""Helpers shared by the intervention tests (service and API): refunds at the stage a case starts from, cases
reached through the services, and evidence files. Holds no tests of its own."""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django_fsm_log.models import StateLog
from PIL import Image

from disputes.choices import CreditRating
from disputes.models import EvidenceItem, Intervention, RefundRequest
from disputes.services.interventions.deciding import intervention_judge
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import (
    intervention_accept,
    intervention_start_mediation,
    intervention_submit_evidence,
)
from disputes.services.refunds.buyer import refund_ship_return
from disputes.services.refunds.express import refund_express_claim, refund_express_decide
from disputes.services.refunds.merchant import refund_agree, refund_refuse, refund_refuse_goods
from tests import factories as f
from tests.services.helpers import bj
from tests.services.refund_helpers import apply_at, signed_item

# Wednesday 2026-04-01 10:00 Beijing: an ordinary working week, far from public holidays.
T0 = bj(2026, 4, 1, 10, 0)
PAID = 100_000  # what the buyer paid for the item, fen
ASKED = 40_000  # what the refund asks for, fen


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Freeze the clock at `moment` (Beijing time) for the block."""
    with time_machine.travel(moment, tick=False):
        yield


def use_private_media(settings, tmp_path) -> None:
    """Evidence files go to a temporary folder; users hash passwords cheaply."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- refunds at the stage a case starts from --------------------------------------------------------


def refused_refund(buyer, merchant, merchant_user, *, start: datetime = T0, item=None, **kwargs) -> RefundRequest:
    """A refund-only request applied at `start` and refused by the merchant one hour later."""
    item = item or signed_item(buyer, merchant, signed_at=start - timedelta(days=1), price_fen=PAID)
    kwargs.setdefault("refund_type", "refund_only")
    kwargs.setdefault("amount_fen", ASKED)
    refund = apply_at(start, buyer=buyer, item=item, **kwargs)
    with at(start + timedelta(hours=1)):
        refund_refuse(actor=merchant_user, refund_id=refund.pk, reason="The goods were used.")
    refund.refresh_from_db()
    return refund


def goods_refused_refund(
    buyer, merchant, merchant_user, *, start: datetime = T0, advance_quota: int = 0
) -> RefundRequest:
    """A return and refund: agreed, shipped back by the buyer, then the merchant refused the goods.

    With an instant-refund quota the platform advanced the refund when the buyer shipped.
    """
    if advance_quota:
        buyer.instant_refund_quota_fen = advance_quota
        buyer.save(update_fields=["instant_refund_quota_fen"])
    item = signed_item(buyer, merchant, signed_at=start - timedelta(days=1), price_fen=PAID)
    refund = apply_at(start, buyer=buyer, item=item, refund_type="return_refund", amount_fen=ASKED)
    with at(start + timedelta(hours=1)):
        refund_agree(actor=merchant_user, refund_id=refund.pk)
    with at(start + timedelta(hours=2)):
        refund_ship_return(actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF100200300")
    with at(start + timedelta(days=2)):
        refund_refuse_goods(actor=merchant_user, refund_id=refund.pk, reason="The returned item is scratched.")
    refund.refresh_from_db()
    return refund


def express_goods_refused_refund(buyer, merchant, merchant_user, senior, *, start: datetime = T0) -> RefundRequest:
    """Express rights protection (极速维权): refusal, verified claim, return shipped (advance), goods refused."""
    buyer.credit_rating = CreditRating.EXCELLENT
    buyer.save(update_fields=["credit_rating"])
    item = signed_item(buyer, merchant, signed_at=start - timedelta(days=1), price_fen=PAID)
    refund = apply_at(start, buyer=buyer, item=item, refund_type="return_refund", reason="quality", amount_fen=ASKED)
    with at(start + timedelta(hours=1)):
        refund_refuse(actor=merchant_user, refund_id=refund.pk, reason="Not a defect.")
    with at(start + timedelta(hours=2)):
        claim = refund_express_claim(
            actor=buyer.user, refund_id=refund.pk, description="The hinge snapped.", files=[png_upload()]
        )
    with at(start + timedelta(hours=3)):
        refund_express_decide(actor=senior, claim_id=claim.pk, verified=True, reason="Photos show the defect.")
    with at(start + timedelta(hours=4)):
        refund_ship_return(actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="SF900800700")
    with at(start + timedelta(days=2)):
        refund_refuse_goods(actor=merchant_user, refund_id=refund.pk, reason="Different serial number.")
    refund.refresh_from_db()
    return refund


# --- cases ---------------------------------------------------------------------------------------


def open_case(buyer, refund: RefundRequest, *, moment: datetime, ground: str = "quality") -> Intervention:
    with at(moment):
        return intervention_open(
            actor=buyer.user, ground=ground, claim="It broke on the first day.", refund_id=refund.pk
        )


def accepted_case(buyer, merchant, merchant_user, agent, *, accepted_at: datetime, **kwargs) -> Intervention:
    """A buyer's case on a refused refund (refund applied two days before), accepted by `agent` at `accepted_at`."""
    refund = refused_refund(buyer, merchant, merchant_user, start=accepted_at - timedelta(days=2), **kwargs)
    case = open_case(buyer, refund, moment=accepted_at - timedelta(hours=1))
    with at(accepted_at):
        intervention_accept(actor=agent, case_id=case.pk)
    case.refresh_from_db()
    return case


def in_mediation(case: Intervention, agent, *, moment: datetime) -> Intervention:
    with at(moment):
        intervention_start_mediation(actor=agent, case_id=case.pk)
    case.refresh_from_db()
    return case


def judged(case: Intervention, agent, *, moment: datetime, **kwargs):
    kwargs.setdefault("reasons", "The photos show the defect.")
    with at(moment):
        return intervention_judge(actor=agent, case_id=case.pk, **kwargs)


def submit(actor, case: Intervention, *, moment: datetime, text: str = "", files=None):
    with at(moment):
        return intervention_submit_evidence(actor=actor, case_id=case.pk, text=text, files=files)


def case_logs(case: Intervention, transition: str | None = None) -> list[StateLog]:
    rows = StateLog.objects.for_(case).select_related("by").order_by("timestamp", "pk")
    if transition is not None:
        rows = rows.filter(transition=transition)
    return list(rows)


def other_senior():
    return f.StaffFactory(username="senior-two", groups=["Senior agent (小二)"])


# --- evidence files ------------------------------------------------------------------------------


def png_upload(name: str = "crack.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def jpeg_upload(name: str = "crack.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 200, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf_upload(name: str = "report.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def script_as_jpeg(name: str = "x.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"#!/bin/sh\nrm -rf /\n", content_type="image/jpeg")


@lru_cache(maxsize=1)
def _bomb_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")
    return buffer.getvalue()


def bomb_png(name: str = "bomb.png") -> SimpleUploadedFile:
    """A PNG whose header declares 20000×20000 pixels (400 million) but that is about 50 kB on disk."""
    return SimpleUploadedFile(name, _bomb_bytes(), content_type="image/png")


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def evidence_count() -> int:
    return EvidenceItem.objects.count()
