"""Idempotency keys, Stripe's semantics: a retry with the same key and the same request gets the first answer back
and nothing happens twice; a different request under the same key is refused; keys belong to their caller."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import IdempotencyKey, MerchantAccountEntry, RefundRequest, RefundState
from disputes.services.refunds.buyer import refund_apply
from tests import factories as f
from tests.api.helpers import token_client
from tests.services.helpers import run_together

pytestmark = pytest.mark.django_db


def refund_only(buyer, merchant, amount_fen=40_000) -> RefundRequest:
    item = f.OrderItemFactory(order=f.OrderFactory(buyer=buyer, merchant=merchant), amount_paid_fen=300_000)
    return refund_apply(
        actor=buyer.user, order_item_id=item.pk, refund_type="refund_only", reason="quality", amount_fen=amount_fen
    )


def agree_url(refund) -> str:
    return reverse("api:merchant-refund-agree", args=[refund.pk])


def test_a_retry_with_the_same_key_replays_the_answer_and_pays_once(buyer, merchant, merchant_user):
    refund = refund_only(buyer, merchant)
    api = token_client(merchant_user)
    first = api.post(agree_url(refund), {}, format="json", HTTP_IDEMPOTENCY_KEY="agree-1")
    again = api.post(agree_url(refund), {}, format="json", HTTP_IDEMPOTENCY_KEY="agree-1")
    assert first.status_code == 200, first.content
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert (first["Idempotent-Replayed"], again["Idempotent-Replayed"]) == ("false", "true")
    assert MerchantAccountEntry.objects.filter(merchant=merchant).count() == 1
    # Without a key, a second agree is what it always was: the refund has moved on.
    assert api.post(agree_url(refund), {}, format="json").status_code == 409


def test_a_refusal_is_the_answer_too_and_is_replayed(buyer, merchant, merchant_user):
    refund = refund_only(buyer, merchant)
    api = token_client(merchant_user)
    api.post(agree_url(refund), {}, format="json")
    first = api.post(agree_url(refund), {}, format="json", HTTP_IDEMPOTENCY_KEY="late")
    again = api.post(agree_url(refund), {}, format="json", HTTP_IDEMPOTENCY_KEY="late")
    assert first.status_code == 409
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (409, first.content, "true")


def test_the_same_key_with_a_different_request_is_refused(buyer, merchant, merchant_user):
    refund, other = refund_only(buyer, merchant), refund_only(buyer, merchant)
    api = token_client(merchant_user)
    assert api.post(agree_url(refund), {}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    reused = api.post(agree_url(other), {}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    other.refresh_from_db()
    assert other.state == RefundState.WAIT_SELLER_AGREE


def test_keys_belong_to_their_caller(buyer, merchant, merchant_user):
    other_merchant = f.MerchantFactory()
    other_user = f.MerchantUserFactory(merchant=other_merchant).user
    mine, theirs = refund_only(buyer, merchant), refund_only(buyer, other_merchant)
    assert token_client(merchant_user).post(agree_url(mine), {}, HTTP_IDEMPOTENCY_KEY="same").status_code == 200
    answer = token_client(other_user).post(agree_url(theirs), {}, HTTP_IDEMPOTENCY_KEY="same")
    assert answer.status_code == 200 and answer["Idempotent-Replayed"] == "false"
    assert IdempotencyKey.objects.filter(key="same").count() == 2


@pytest.mark.parametrize("key", ["", "a" * 256, "spaces are not allowed", "ключ"])
def test_a_malformed_key_is_refused_before_anything_runs(buyer, merchant, merchant_user, key):
    refund = refund_only(buyer, merchant)
    answer = token_client(merchant_user).post(agree_url(refund), {}, HTTP_IDEMPOTENCY_KEY=key)
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_idempotency_key")
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE


def test_a_request_still_in_flight_is_waited_for_then_refused(buyer, merchant, merchant_user, settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0
    refund = refund_only(buyer, merchant)
    api = token_client(merchant_user)
    assert api.post(agree_url(refund), {}, HTTP_IDEMPOTENCY_KEY="slow").status_code == 200
    IdempotencyKey.objects.filter(key="slow").update(status_code=None, completed_at=None)  # as if still running
    answer = api.post(agree_url(refund), {}, HTTP_IDEMPOTENCY_KEY="slow")
    assert (answer.status_code, answer.json()["code"]) == (409, "idempotency_request_in_flight")


def test_a_server_error_frees_the_key_and_an_old_answer_expires(buyer, merchant, merchant_user, monkeypatch):
    refund = refund_only(buyer, merchant)
    api = token_client(merchant_user)
    api.raise_request_exception = False

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("disputes.api.merchant.refunds.refund_agree", broken)
    assert api.post(agree_url(refund), {}, HTTP_IDEMPOTENCY_KEY="retry-me").status_code == 500
    assert not IdempotencyKey.objects.filter(key="retry-me").exists()
    monkeypatch.undo()
    assert api.post(agree_url(refund), {}, HTTP_IDEMPOTENCY_KEY="retry-me").status_code == 200
    # A day later the key is free again: it names a new request.
    IdempotencyKey.objects.filter(key="retry-me").update(created_at=timezone.now() - timedelta(hours=25))
    fresh = api.post(agree_url(refund), {}, HTTP_IDEMPOTENCY_KEY="retry-me")
    assert (fresh.status_code, fresh["Idempotent-Replayed"]) == (409, "false")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_concurrent_retries_with_one_key_pay_once_and_answer_alike(buyer, merchant, merchant_user):
    refund = refund_only(buyer, merchant)

    def retry():
        response = token_client(merchant_user).post(agree_url(refund), {}, HTTP_IDEMPOTENCY_KEY="burst")
        return response.status_code, response.content

    answers, errors = run_together(*[retry] * 8)
    assert errors == []
    assert len(answers) == 8 and len(set(answers)) == 1, answers
    assert answers[0][0] == 200
    assert MerchantAccountEntry.objects.filter(merchant=merchant).count() == 1
