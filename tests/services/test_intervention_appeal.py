"""Appeal (申诉) within 7 days (the last second included) with something not already on file (new reasons, or a file
not yet submitted in the case), and review (复审) by a senior who did not judge: a confirmation is
final and reverses nothing; an overturn reverses every posting of the old judgment with entries pointing at it,
revokes its violation and executes the new judgment, once."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from disputes.errors import DomainError, Forbidden, InvalidTransition, NotFound, RuleRefused, ValidationFailed
from disputes.models import (
    Appeal,
    BuyerPointsEntry,
    CaseState,
    EntryKind,
    EvidenceItem,
    Judgment,
    MerchantAccountEntry,
    RefundState,
    Violation,
    ViolationStatus,
)
from disputes.services.interventions import execution as service
from disputes.services.interventions.common import InterventionNotAllowed
from disputes.services.interventions.deciding import compared, intervention_appeal, intervention_review
from disputes.services.interventions.mediation import intervention_propose, intervention_respond
from disputes.services.interventions.workflow import intervention_submit_evidence
from disputes.services.ledger import ledger_balance
from tests.services.helpers import bj
from tests.services.test_intervention_helpers import (
    ASKED,
    accepted_case,
    at,
    case_logs,
    in_mediation,
    judged,
    other_senior,
    png_upload,
)

pytestmark = pytest.mark.django_db

ACCEPTED = bj(2026, 3, 2, 10, 0)
JUDGED = bj(2026, 3, 6, 15, 0)
APPEAL_DUE = JUDGED + timedelta(days=7)


@pytest.fixture
def judge(senior):
    """The senior agent who works and judges the case."""
    return senior


@pytest.fixture
def reviewer(db):
    return other_senior()


@pytest.fixture
def case(buyer, merchant, merchant_user, judge):
    found = accepted_case(buyer, merchant, merchant_user, judge, accepted_at=ACCEPTED)
    judged(
        found,
        judge,
        moment=JUDGED,
        outcome="full_refund",
        compensation_points=2_000,
        violation_kind="breach_of_promise",
        reasons="The photos show a crack present on delivery.",
    )
    found.refresh_from_db()
    return found


def appeal(actor, case, *, moment=JUDGED + timedelta(days=1), reasons="The photos show another unit.", files=None):
    with at(moment):
        return intervention_appeal(actor=actor, case_id=case.pk, reasons=reasons, files=files)


def review(actor, case, *, moment=JUDGED + timedelta(days=2), **kwargs):
    kwargs.setdefault("reasons", "Serial number on the photos differs from the one shipped.")
    with at(moment):
        return intervention_review(actor=actor, case_id=case.pk, **kwargs)


def balances(buyer, merchant):
    return (
        ledger_balance(MerchantAccountEntry, merchant=merchant),
        ledger_balance(BuyerPointsEntry, buyer=buyer),
    )


# --- appealing -----------------------------------------------------------------------------------------


def test_a_party_appeals_within_7_days_with_new_reasons_and_evidence(case, merchant_user):
    moment = APPEAL_DUE - timedelta(seconds=1)
    filed = appeal(merchant_user, case, moment=moment, files=[png_upload("serial.png")])
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED
    assert (filed.party, filed.appealed_by, filed.appealed_at, filed.reasons) == (
        "merchant",
        merchant_user,
        moment,
        "The photos show another unit.",
    )
    assert filed.judgment == Judgment.objects.get()
    [item] = EvidenceItem.objects.filter(for_appeal=True)
    assert (item.party, item.original_name, item.submitted_at) == ("merchant", "serial.png", moment)
    assert case_logs(case, "appeal")[0].by == merchant_user


def test_after_the_last_second_of_the_7_days_the_appeal_is_refused(case, buyer):
    with pytest.raises(RuleRefused) as caught:
        appeal(buyer.user, case, moment=APPEAL_DUE + timedelta(seconds=1))
    assert caught.value.code == "appeal_window_closed"
    assert Appeal.objects.count() == 0


def test_an_appeal_at_the_last_second_of_the_7_days_is_in_time(case, buyer):
    filed = appeal(buyer.user, case, moment=APPEAL_DUE)
    assert filed.appealed_at == APPEAL_DUE


def test_an_appeal_needs_reasons(case, merchant_user):
    with pytest.raises(ValidationFailed) as caught:
        appeal(merchant_user, case, reasons=" ")
    assert caught.value.code == "reasons_required"


# --- an appeal brings something not already on file ------------------------------------------------------------

CLAIM = "It broke on the first day."  # the buyer's claim when the case was opened (accepted_case)
BUYER_SAID = "The crack runs along the left hinge."
MERCHANT_SAID = "Our packing video shows the unit intact."
JUDGMENT_REASONS = "The photos show a crack present on delivery."


def png_of(colour: tuple[int, int, int], name: str = "new.png") -> SimpleUploadedFile:
    """A PNG whose content (and so its SHA-256) differs with its colour."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def case_on_file(buyer, merchant, merchant_user, judge):
    """A judged case in which both parties said something during evidence, and the buyer sent a photo."""
    found = accepted_case(buyer, merchant, merchant_user, judge, accepted_at=ACCEPTED)
    with at(ACCEPTED + timedelta(hours=1)):
        intervention_submit_evidence(actor=buyer.user, case_id=found.pk, text=BUYER_SAID, files=[png_upload()])
    with at(ACCEPTED + timedelta(hours=2)):
        intervention_submit_evidence(actor=merchant_user, case_id=found.pk, text=MERCHANT_SAID)
    judged(found, judge, moment=JUDGED, outcome="full_refund", reasons=JUDGMENT_REASONS)
    found.refresh_from_db()
    return found


def refused_appeal(actor, case, code, **kwargs):
    evidence_before = EvidenceItem.objects.count()
    with pytest.raises(InterventionNotAllowed) as caught:
        appeal(actor, case, **kwargs)
    assert (caught.value.code, caught.value.status) == (code, 422)
    case.refresh_from_db()
    assert (case.state, Appeal.objects.count(), EvidenceItem.objects.count()) == (
        CaseState.JUDGED,
        0,
        evidence_before,
    )
    return caught.value


@pytest.mark.parametrize(
    "reasons",
    [
        JUDGMENT_REASONS,
        "the PHOTOS show a crack,   present on delivery!",  # case, punctuation and spacing do not make it new
        "The photos show a crack present on delivery。",  # nor does full-width punctuation
        "a crack present on delivery",  # a part of the judgment's reasons
        "Crack!",
    ],
)
def test_reasons_found_in_the_judgment_bring_nothing_new(case_on_file, merchant_user, reasons):
    refused_appeal(merchant_user, case_on_file, "appeal_nothing_new", reasons=reasons)


@pytest.mark.parametrize(
    ("who", "reasons"),
    [
        ("buyer", CLAIM),  # the buyer's own claim: the buyer applied
        ("buyer", "it broke on the first day"),
        ("buyer", BUYER_SAID),  # the buyer's own evidence text
        ("merchant", "OUR packing video shows the unit intact"),  # the merchant's own evidence text
    ],
)
def test_the_partys_own_earlier_words_bring_nothing_new(case_on_file, buyer, merchant_user, who, reasons):
    actor = buyer.user if who == "buyer" else merchant_user
    refused_appeal(actor, case_on_file, "appeal_nothing_new", reasons=reasons)


@pytest.mark.parametrize(("who", "reasons"), [("merchant", CLAIM), ("merchant", BUYER_SAID), ("buyer", MERCHANT_SAID)])
def test_the_other_partys_words_are_not_the_appellants_own(case_on_file, buyer, merchant_user, who, reasons):
    """Quoting the other side is an argument the appellant has not made before."""
    actor = buyer.user if who == "buyer" else merchant_user
    assert appeal(actor, case_on_file, reasons=reasons).reasons == reasons


def test_an_appeal_with_new_reasons_is_accepted(case_on_file, buyer):
    filed = appeal(buyer.user, case_on_file, reasons="The serial number on the unit differs from the invoice.")
    case_on_file.refresh_from_db()
    assert case_on_file.state == CaseState.APPEALED
    assert filed.reasons == "The serial number on the unit differs from the invoice."


def test_repeated_reasons_with_a_new_file_are_accepted(case_on_file, merchant_user):
    filed = appeal(merchant_user, case_on_file, reasons=JUDGMENT_REASONS, files=[png_of((10, 120, 240), "seal.png")])
    assert filed.reasons == JUDGMENT_REASONS
    [item] = EvidenceItem.objects.filter(for_appeal=True)
    assert (item.party, item.original_name) == ("merchant", "seal.png")
    assert item.sha256 and not EvidenceItem.objects.filter(for_appeal=False, sha256=item.sha256).exists()


@pytest.mark.parametrize("who", ["buyer", "merchant"])
def test_a_file_already_submitted_in_the_case_is_refused_whoever_sent_it(case_on_file, buyer, merchant_user, who):
    actor = buyer.user if who == "buyer" else merchant_user
    error = refused_appeal(
        actor,
        case_on_file,
        "appeal_file_already_submitted",
        reasons="Completely new reasons about the seal.",
        files=[png_of((10, 120, 240), "fresh.png"), png_upload("renamed-copy.png")],  # same bytes as the buyer's photo
    )
    assert error.details == {"file": "renamed-copy.png"}


def test_a_file_sent_with_the_refund_request_is_already_on_file(buyer, merchant, merchant_user, judge):
    found = accepted_case(buyer, merchant, merchant_user, judge, accepted_at=ACCEPTED, files=[png_of((1, 2, 3))])
    judged(found, judge, moment=JUDGED, outcome="support_merchant", reasons="No defect visible.")
    refused_appeal(
        buyer.user, found, "appeal_file_already_submitted", reasons="Look again.", files=[png_of((1, 2, 3), "b.png")]
    )


def test_the_same_new_file_twice_in_one_appeal_is_refused(case_on_file, buyer):
    twice = [png_of((10, 120, 240), "one.png"), png_of((10, 120, 240), "two.png")]
    error = refused_appeal(buyer.user, case_on_file, "appeal_file_already_submitted", reasons="New angle.", files=twice)
    assert error.details == {"file": "two.png"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  The Photos,  show\ta CRACK!  ", "the photos show a crack"),
        ("质量问题，已退货。", "质量问题已退货"),
        ("ＦＵＬＬ－ＷＩＤＴＨ", "fullwidth"),
        ("Straße", "strasse"),
        ("!!!", ""),
    ],
)
def test_how_texts_are_compared(text, expected):
    assert compared(text) == expected


def test_outsiders_cannot_appeal(case, other_buyer, other_merchant_user):
    for actor in (other_buyer.user, other_merchant_user):
        with pytest.raises(NotFound):
            appeal(actor, case)


def test_an_agreement_is_not_appealable(buyer, merchant, merchant_user, agent):
    case = in_mediation(
        accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED),
        agent,
        moment=ACCEPTED + timedelta(days=3),
    )
    with at(ACCEPTED + timedelta(days=3, hours=1)):
        proposal = intervention_propose(
            actor=agent, case_id=case.pk, outcome="partial_refund", refund_fen=10_000, terms="100 元 back."
        )
        intervention_respond(actor=buyer.user, proposal_id=proposal.pk, accept=True)
        intervention_respond(actor=merchant_user, proposal_id=proposal.pk, accept=True)
    for actor in (buyer.user, merchant_user):
        with pytest.raises(InvalidTransition) as caught:
            appeal(actor, case, moment=ACCEPTED + timedelta(days=4))
        assert caught.value.code == "agreement_final"


# --- who reviews -------------------------------------------------------------------------------------------


def test_the_judge_cannot_review_their_own_judgment(case, merchant_user, judge):
    appeal(merchant_user, case)
    with pytest.raises(Forbidden) as caught:
        review(judge, case, overturn=False)
    assert caught.value.code == "reviewer_is_judge"
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED
    assert Appeal.objects.get().reviewed_at is None


@pytest.mark.parametrize("who", ["agent", "buyer"])
def test_only_a_senior_reviewer_reviews(case, merchant_user, agent, buyer, who):
    appeal(merchant_user, case)
    actor = {"agent": agent, "buyer": buyer.user}[who]
    with pytest.raises(Forbidden) as caught:
        review(actor, case, overturn=False)
    assert caught.value.code == "reviewer_permission_required"


def test_a_case_that_was_not_appealed_is_not_reviewed(case, reviewer):
    with pytest.raises(InvalidTransition):
        review(reviewer, case, overturn=False)


# --- confirming -----------------------------------------------------------------------------------------------


def test_a_confirmation_is_final_and_reverses_nothing(case, buyer, merchant, merchant_user, reviewer):
    appeal(merchant_user, case)
    before = (MerchantAccountEntry.objects.count(), BuyerPointsEntry.objects.count(), balances(buyer, merchant))
    assert before == (2, 1, (-ASKED - 2_000, 2_000))

    decided = review(reviewer, case, overturn=False, reasons="The crack is on the delivery photo.")

    case.refresh_from_db()
    assert (case.state, case.closed_at) == (CaseState.FINAL, JUDGED + timedelta(days=2))
    assert (decided.reviewed_by, decided.overturned, decided.review_reasons) == (
        reviewer,
        False,
        "The crack is on the delivery photo.",
    )
    assert (MerchantAccountEntry.objects.count(), BuyerPointsEntry.objects.count(), balances(buyer, merchant)) == before
    judgment = Judgment.objects.get()
    assert judgment.reversed_at is None
    assert Violation.objects.get().status == ViolationStatus.COUNTED
    with pytest.raises(InvalidTransition):
        review(other_senior(), case, overturn=True, outcome="support_merchant", moment=JUDGED + timedelta(days=3))


# --- overturning ----------------------------------------------------------------------------------------------


def test_an_overturn_reverses_the_old_judgment_and_executes_the_new_one(case, buyer, merchant, merchant_user, reviewer):
    old = Judgment.objects.get()
    old_refund = MerchantAccountEntry.objects.get(kind=EntryKind.REFUND)
    old_charge = MerchantAccountEntry.objects.get(kind=EntryKind.COMPENSATION)
    old_credit = BuyerPointsEntry.objects.get(kind=EntryKind.COMPENSATION)
    appeal(merchant_user, case)
    moment = JUDGED + timedelta(days=2)

    review(
        reviewer,
        case,
        moment=moment,
        overturn=True,
        outcome="partial_refund",
        refund_fen=10_000,
        reasons="Only the drawer was damaged.",
    )

    # Merchant account: refund −40,000 and compensation −2,000, their reversals +40,000 and +2,000,
    # and the new partial refund −10,000.
    assert MerchantAccountEntry.objects.count() == 5
    assert BuyerPointsEntry.objects.count() == 2
    assert balances(buyer, merchant) == (-10_000, 0)
    for original in (old_refund, old_charge, old_credit):
        reversal = type(original).objects.get(reverses=original)
        assert (reversal.amount, reversal.kind, reversal.created_by) == (-original.amount, EntryKind.REVERSAL, reviewer)
        assert "Overturned on review" in reversal.memo
    new = Judgment.objects.exclude(pk=old.pk).get()
    assert (new.outcome, new.refund_fen, new.via_review, new.supersedes, new.judged_by, new.executed_at) == (
        "partial_refund",
        10_000,
        True,
        old,
        reviewer,
        moment,
    )
    [new_refund] = MerchantAccountEntry.objects.filter(idempotency_key=f"judgment:{new.pk}:refund")
    assert new_refund.amount == -10_000
    old.refresh_from_db()
    assert old.reversed_at == moment and old.superseded_by == new
    violation = Violation.objects.get()
    assert (violation.status, violation.decided_by) == (ViolationStatus.REVOKED, reviewer)
    case.refresh_from_db()
    assert (case.state, case.outcome_note) == (CaseState.FINAL, "Only the drawer was damaged.")
    assert Appeal.objects.get().overturned is True


def test_a_reversal_happens_once(case, buyer, merchant, merchant_user, reviewer):
    appeal(merchant_user, case)
    review(reviewer, case, overturn=True, outcome="support_merchant", reasons="Wrong unit in the photos.")
    counts = (MerchantAccountEntry.objects.count(), BuyerPointsEntry.objects.count())
    assert counts == (4, 2)
    # A retried reversal finds its entries already there.
    with at(JUDGED + timedelta(days=3)):
        service.judgment_reverse(Judgment.objects.get(via_review=False), actor=reviewer, reason="retry")
    assert (MerchantAccountEntry.objects.count(), BuyerPointsEntry.objects.count()) == counts
    assert balances(buyer, merchant) == (0, 0)
    assert Violation.objects.filter(status=ViolationStatus.REVOKED).count() == 1


def test_an_overturn_to_a_refund_reopens_payment_on_a_closed_refund(buyer, merchant, merchant_user, judge, reviewer):
    case = accepted_case(buyer, merchant, merchant_user, judge, accepted_at=ACCEPTED)
    judged(case, judge, moment=JUDGED, outcome="support_merchant", reasons="No defect visible.")
    refund = case.refund
    refund.refresh_from_db()
    assert refund.state == RefundState.CLOSED
    appeal(buyer.user, case, reasons="Here is a video of the defect.")
    review(reviewer, case, overturn=True, outcome="full_refund", reasons="The video shows the defect.")
    refund.refresh_from_db()
    assert (refund.state, refund.amount_fen) == (RefundState.SUCCESS, ASKED)
    assert balances(buyer, merchant) == (-ASKED, 0)


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({}, 400, "outcome_required"),
        ({"outcome": "support_merchant", "violation_kind": "refuse_return"}, 400, "invalid_violation_kind"),
        ({"outcome": "full_refund", "violation_kind": "rudeness"}, 400, "invalid_violation_kind"),
        ({"outcome": "full_refund", "refund_fen": 100_001}, 422, "amount_exceeds_refundable"),
    ],
)
def test_an_overturn_states_a_valid_new_judgment(case, merchant_user, reviewer, buyer, merchant, kwargs, status, code):
    appeal(merchant_user, case)
    before = (MerchantAccountEntry.objects.count(), balances(buyer, merchant))
    with pytest.raises(DomainError) as caught:
        review(reviewer, case, overturn=True, **kwargs)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert (MerchantAccountEntry.objects.count(), balances(buyer, merchant)) == before
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED
    assert Appeal.objects.get().reviewed_at is None
