"""The refund queues: filters, badges, query count, on-behalf buttons, express claims and evidence files."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog
from pytest_django.asserts import assertNumQueries

from disputes.admin.refunds import due_badge, flag_badges
from disputes.models import (
    AdvanceState,
    DueAction,
    ExpressClaim,
    ExpressStatus,
    Intervention,
    MerchantAccountEntry,
    PlatformAdvanceEntry,
    RefundEvidence,
    RefundRequest,
    RefundState,
)
from disputes.services.ledger import ledger_balance
from disputes.services.refunds.advances import refund_uphold_goods_refusal
from disputes.services.refunds.escalation import refund_request_intervention
from tests import factories as f
from tests.admin.case_helpers import (
    T0,
    applied,
    at,
    awaiting_return,
    excellent_buyer,
    express_claimed,
    goods_refused,
    in_transit,
    pdf,
    photo,
    refused,
)
from tests.admin.helpers import action_url, messages_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/disputes/refundrequest/"
NOW = T0 + timedelta(hours=5)  # 15:00 on Wednesday 1 April
ON_BEHALF = "Merchant asked by phone, call 0412"


@pytest.fixture
def quota_buyer(db):
    """A buyer with a 1,000 元 instant-refund quota: the platform advances returns when they ship."""
    return f.BuyerFactory(instant_refund_quota_fen=100_000)


@pytest.fixture
def queue(buyer, merchant, merchant_user, quota_buyer, senior):
    """One refund per queue, reached through the services; due times are given relative to NOW (15:00)."""
    rows = {
        # Refund only, applied at 10:00: pays at 10:00 on Friday (48 h), 1d 19h after NOW.
        "merchant": applied(buyer, merchant, refund_type="refund_only"),
        # Applied 47.5 h before NOW: pays 30 minutes after NOW.
        "due_soon": applied(buyer, merchant, moment=NOW - timedelta(hours=47, minutes=30), refund_type="refund_only"),
        # Applied 49 h before NOW and not swept: an hour overdue.
        "overdue": applied(buyer, merchant, moment=NOW - timedelta(hours=49), refund_type="refund_only"),
        # Agreed at 11:00: closes 7 days later unless the buyer ships.
        "return": awaiting_return(buyer, merchant, merchant_user),
        # Shipped at 12:00: the merchant has 10 days to confirm.
        "confirm": in_transit(buyer, merchant, merchant_user),
        # Refused at 11:00: the buyer may modify or escalate for 7 days.
        "refused": refused(buyer, merchant, merchant_user),
        # Refused, then the buyer (rated 优秀) claimed express rights protection at 12:00.
        "express": express_claimed(excellent_buyer(), merchant, merchant_user).refund,
        # Refused, then the buyer asked for platform intervention at 12:00.
        "intervention": refused(buyer, merchant, merchant_user),
        # Advanced at 12:00, goods refused at 13:00, refusal upheld at 14:00: repayment due in 7 days.
        "repayment": goods_refused(quota_buyer, merchant, merchant_user),
    }
    at(
        T0 + timedelta(hours=2),
        refund_request_intervention,
        actor=buyer.user,
        refund_id=rows["intervention"].pk,
        reason="The shop refuses a broken sofa.",
    )
    at(
        T0 + timedelta(hours=4),
        refund_uphold_goods_refusal,
        actor=senior,
        refund_id=rows["repayment"].pk,
        reason="Scratches visible on arrival photos.",
    )
    for refund in rows.values():
        refund.refresh_from_db()
    return rows


def listed(client, **params) -> list[int]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return [obj.pk for obj in response.context["cl"].result_list]


def test_queue_filters_select_the_right_requests(client, queue, agent):
    ids = {name: refund.pk for name, refund in queue.items()}
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert set(listed(client)) == set(ids.values())
        assert listed(client, queue="express_claims") == [ids["express"]]
        assert set(listed(client, queue="wait_merchant")) == {ids["merchant"], ids["due_soon"], ids["overdue"]}
        assert listed(client, queue="wait_return") == [ids["return"]]
        assert listed(client, queue="wait_confirm") == [ids["confirm"]]
        # The express claim and the intervention request take those refusals out of the buyer's queue.
        assert listed(client, queue="refused") == [ids["refused"]]
        assert listed(client, queue="intervention") == [ids["intervention"]]
        assert listed(client, queue="repayment_owed") == [ids["repayment"]]
        assert listed(client, queue="due_soon") == [ids["due_soon"]]
        assert listed(client, queue="overdue") == [ids["overdue"]]
        assert listed(client, state="seller_refused", express__exact="1") == []
        assert set(listed(client, advance_state="merchant_refused_goods")) == {ids["repayment"]}
        assert set(listed(client, refund_type="refund_only", state="wait_seller_agree")) == {
            ids["merchant"],
            ids["due_soon"],
            ids["overdue"],
        }


def test_the_express_queue_is_offered_first_and_listed_first(client, queue, agent):
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        response = client.get(CHANGELIST)
    queue_filter = response.context["cl"].filter_specs[0]
    assert queue_filter.parameter_name == "queue"
    assert queue_filter.lookup_choices[0][0] == "express_claims"
    order = [obj.pk for obj in response.context["cl"].result_list]
    # Express claim first, then the nearest automatic action (overdue, in 30 min, Friday 10:00, ...).
    assert order[:4] == [queue["express"].pk, queue["overdue"].pk, queue["due_soon"].pk, queue["merchant"].pk]


def test_search_by_order_number_buyer_phone_and_case_number(client, queue, agent, quota_buyer):
    client.force_login(agent)
    order_no = queue["refused"].order_item.order.order_no
    assert listed(client, q=order_no) == [queue["refused"].pk]
    assert listed(client, q=quota_buyer.phone) == [queue["repayment"].pk]
    assert listed(client, q=f"RF-{queue['return'].pk}") == [queue["return"].pk]
    assert listed(client, q=f"rf-{queue['confirm'].pk}") == [queue["confirm"].pk]


def test_list_shows_countdown_overdue_and_flag_badges(client, queue, agent):
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        html = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "pays in 30 min" in html
    assert "pays: overdue 1h" in html
    assert "pays in 1d 19h" in html
    assert "closes in 6d 20h" in html  # agreed 11:00 + 7 days, seen at 15:00
    assert "express claim to verify" in html
    assert "intervention requested" in html
    assert "repayment due in 6d 23h" in html  # upheld at 14:00 + 7 days, seen at 15:00


def test_badges_from_stored_deadlines():
    due = T0 + timedelta(hours=3)
    paying = RefundRequest(due_at=due, due_action=DueAction.PAY)
    soon = due_badge(paying, now=due - timedelta(minutes=20))
    assert "pays in 20 min" in soon and "#f5a623" in soon  # amber: within the hour
    far = due_badge(paying, now=due - timedelta(days=2))
    assert "pays in 2d" in far and "#e8e8e8" in far
    late = due_badge(paying, now=due + timedelta(hours=3))
    assert "pays: overdue 3h" in late and "#ba2121" in late
    closing = RefundRequest(due_at=due, due_action=DueAction.CLOSE_REFUSED)
    assert "closes in 2d" in due_badge(closing, now=due - timedelta(days=2))
    assert due_badge(RefundRequest(), now=due) == "-"
    owed = RefundRequest(
        state=RefundState.CLOSED,
        advance_state=AdvanceState.MERCHANT_REFUSED_GOODS,
        repayment_due_at=due,
    )
    assert "repayment overdue 1d" in flag_badges(owed, now=due + timedelta(days=1), express_pending=False)
    owed.repaid_at = due
    assert flag_badges(owed, now=due + timedelta(days=1), express_pending=False) == "-"
    assert "express claim to verify" in flag_badges(RefundRequest(), now=due, express_pending=True)


def test_changelist_query_count_does_not_grow_with_rows(client, agent, buyer, merchant, merchant_user, quota_buyer):
    def three_rows():
        applied(buyer, merchant, refund_type="refund_only")
        refused(buyer, merchant, merchant_user)
        in_transit(quota_buyer, merchant, merchant_user)

    three_rows()
    express_claimed(excellent_buyer(), merchant, merchant_user)
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        with CaptureQueriesContext(connection) as few:
            response = client.get(CHANGELIST)
        assert response.context["cl"].result_count == 4
    three_rows()
    three_rows()
    express_claimed(excellent_buyer(), merchant, merchant_user)
    express_claimed(excellent_buyer(), merchant, merchant_user)
    with time_machine.travel(NOW, tick=False):
        with assertNumQueries(len(few.captured_queries)):
            response = client.get(CHANGELIST)
        assert response.context["cl"].result_count == 12
        with assertNumQueries(len(few.captured_queries)):
            client.get(CHANGELIST, {"queue": "express_claims"})
    assert len(few.captured_queries) <= 12


# Buttons -----------------------------------------------------------------------------------------------------


def change_actions(client, refund) -> set[str]:
    response = client.get(reverse("admin:disputes_refundrequest_change", args=[refund.pk]))
    assert response.status_code == 200
    return {tool["name"] for tool in response.context["objectactions"]}


def last_log(refund) -> StateLog:
    return StateLog.objects.for_(refund).order_by("timestamp", "pk").last()


def log_of(refund, transition: str) -> StateLog:
    """The one audit row of `transition`; fails if it is missing or doubled."""
    return StateLog.objects.for_(refund).filter(transition=transition).get()


def test_agent_agrees_to_a_refund_for_the_merchant_and_it_is_paid_once(client, buyer, merchant, agent):
    refund = applied(buyer, merchant, refund_type="refund_only", amount_fen=40_000)
    url = action_url("refundrequest", refund.pk, "agree_for_merchant")
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert change_actions(client, refund) == {"agree_for_merchant", "refuse_for_merchant", "cancel_for_buyer"}
        form = client.get(url)
        assert form.status_code == 200
        assert set(form.context["form"].fields) == {"on_behalf_reason", "return_address"}
        response = client.post(url, {"on_behalf_reason": ON_BEHALF})
        # The same form posted again is refused by the service: nothing is paid twice.
        again = client.post(url, {"on_behalf_reason": ON_BEHALF})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:disputes_refundrequest_change", args=[refund.pk])
    assert [level for level, _ in messages_of(response)] == ["success"]
    # The first redirect was not followed, so its message is still queued ahead of the refusal.
    assert [level for level, _ in messages_of(again)] == ["success", "error"]
    refund.refresh_from_db()
    assert (refund.state, refund.succeeded_at) == (RefundState.SUCCESS, NOW)
    [charge] = MerchantAccountEntry.objects.filter(merchant=merchant)
    assert (charge.amount, charge.idempotency_key, charge.created_by) == (-40_000, f"refund:{refund.pk}:refund", agent)
    log = last_log(refund)
    assert (log.transition, log.by) == ("agree_refund", agent)
    assert log.description == f"Refund agreed (by staff on the merchant's behalf: {ON_BEHALF})"


def test_agent_agrees_to_a_return_with_another_address(client, buyer, merchant, agent):
    refund = applied(buyer, merchant)
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        client.post(
            action_url("refundrequest", refund.pk, "agree_for_merchant"),
            {"on_behalf_reason": ON_BEHALF, "return_address": "杭州市西湖区 文三路 8 号 售后部"},
        )
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_BUYER_RETURN
    assert refund.return_address == "杭州市西湖区 文三路 8 号 售后部"
    assert (refund.due_at, refund.due_action) == (NOW + timedelta(days=7), DueAction.CLOSE_NOT_SHIPPED)
    assert last_log(refund).description == f"Return agreed (by staff on the merchant's behalf: {ON_BEHALF})"


def test_acting_for_the_merchant_needs_a_reason(client, buyer, merchant, agent):
    refund = applied(buyer, merchant)
    logs_before = StateLog.objects.for_(refund).count()
    client.force_login(agent)
    response = client.post(action_url("refundrequest", refund.pk, "agree_for_merchant"), {"on_behalf_reason": " "})
    assert response.status_code == 200
    assert "on_behalf_reason" in response.context["form"].errors
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE
    assert StateLog.objects.for_(refund).count() == logs_before


def test_agent_refuses_for_the_merchant(client, buyer, merchant, agent):
    refund = applied(buyer, merchant)
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        client.post(
            action_url("refundrequest", refund.pk, "refuse_for_merchant"),
            {"on_behalf_reason": ON_BEHALF, "reason": "Outside the return policy"},
        )
    refund.refresh_from_db()
    assert (refund.state, refund.refuse_reason, refund.refused_at) == (
        RefundState.SELLER_REFUSED,
        "Outside the return policy",
        NOW,
    )
    assert last_log(refund).description == (
        f"Refused (by staff on the merchant's behalf: {ON_BEHALF}): Outside the return policy"
    )


def test_a_refused_button_shows_the_service_message_and_changes_nothing(client, buyer, merchant, merchant_user, agent):
    refund = refused(buyer, merchant, merchant_user)
    logs_before = StateLog.objects.for_(refund).count()
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert "agree_for_merchant" not in change_actions(client, refund)
        response = client.post(
            action_url("refundrequest", refund.pk, "agree_for_merchant"), {"on_behalf_reason": ON_BEHALF}
        )
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith("Only a request waiting for the merchant can be agreed")
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED
    assert StateLog.objects.for_(refund).count() == logs_before
    assert not MerchantAccountEntry.objects.exists()


def test_agent_enters_the_return_waybill_for_the_buyer_and_the_advance_is_paid_once(
    client, quota_buyer, merchant, merchant_user, agent
):
    refund = awaiting_return(quota_buyer, merchant, merchant_user)
    url = action_url("refundrequest", refund.pk, "ship_return_for_buyer")
    data = {"on_behalf_reason": "Buyer called, no app access", "carrier": "SF", "waybill": "SF1234567"}
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert "ship_return_for_buyer" in change_actions(client, refund)
        client.post(url, data)
        again = client.post(url, data)
    assert messages_of(again)[-1][0] == "error"
    refund.refresh_from_db()
    assert (refund.state, refund.return_carrier, refund.return_waybill) == (
        RefundState.WAIT_SELLER_CONFIRM,
        "SF",
        "SF1234567",
    )
    assert refund.advance_state == AdvanceState.ADVANCED
    [advance] = PlatformAdvanceEntry.objects.all()
    assert (advance.amount, advance.idempotency_key) == (50_000, f"refund:{refund.pk}:advance")
    assert log_of(refund, "ship_return").description == (
        "Return shipped (by staff on the buyer's behalf: Buyer called, no app access)"
    )


def test_agent_confirms_goods_for_the_merchant_and_the_advance_is_recovered(
    client, quota_buyer, merchant, merchant_user, agent
):
    refund = in_transit(quota_buyer, merchant, merchant_user)
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert {"confirm_goods_for_merchant", "record_return_signed"} <= change_actions(client, refund)
        client.post(
            action_url("refundrequest", refund.pk, "confirm_goods_for_merchant"), {"on_behalf_reason": ON_BEHALF}
        )
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state) == (RefundState.SUCCESS, AdvanceState.SETTLED)
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -50_000
    assert ledger_balance(PlatformAdvanceEntry, buyer=quota_buyer) == 0
    assert PlatformAdvanceEntry.objects.count() == 2  # advanced, then recovered
    assert log_of(refund, "confirm_goods_refund").description == (
        f"Goods received, refund paid (by staff on the merchant's behalf: {ON_BEHALF})"
    )


def test_agent_records_the_return_signed_and_the_merchant_has_three_days(client, buyer, merchant, merchant_user, agent):
    refund = in_transit(buyer, merchant, merchant_user)
    signed = T0 + timedelta(hours=4)  # 14:00
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        response = client.post(
            action_url("refundrequest", refund.pk, "record_return_signed"),
            {"signed_at_0": "2026-04-01", "signed_at_1": "14:00:00"},
        )
    assert [level for level, _ in messages_of(response)] == ["success"]
    refund.refresh_from_db()
    assert refund.return_signed_at == signed
    assert (refund.due_at, refund.due_action) == (signed + timedelta(days=3), DueAction.PAY)
    assert log_of(refund, "return_signed").by == agent


def test_a_signing_time_in_the_future_is_refused(client, buyer, merchant, merchant_user, agent):
    refund = in_transit(buyer, merchant, merchant_user)
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        response = client.post(
            action_url("refundrequest", refund.pk, "record_return_signed"),
            {"signed_at_0": "2026-04-02", "signed_at_1": "09:00:00"},
        )
    [(level, text)] = messages_of(response)
    assert (level, text) == ("error", "signed_at must be between shipping and now.")
    refund.refresh_from_db()
    assert refund.return_signed_at is None


def test_agent_cancels_for_the_buyer(client, buyer, merchant, agent):
    refund = applied(buyer, merchant)
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        client.post(action_url("refundrequest", refund.pk, "cancel_for_buyer"), {"on_behalf_reason": "Buyer called"})
    refund.refresh_from_db()
    assert (refund.state, refund.cancelled_by_buyer, refund.closed_at) == (RefundState.CLOSED, True, NOW)
    assert last_log(refund).description == "Cancelled by the buyer (by staff on the buyer's behalf: Buyer called)"


def test_senior_upholds_the_refusal_of_goods_and_the_buyer_owes_the_advance(
    client, quota_buyer, merchant, merchant_user, senior, agent
):
    refund = goods_refused(quota_buyer, merchant, merchant_user)
    url = action_url("refundrequest", refund.pk, "uphold_goods_refusal")
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert "uphold_goods_refusal" not in change_actions(client, refund)
        refused_response = client.post(url, {"reason": "Photos show scratches."})
        assert [level for level, _ in messages_of(refused_response)] == ["error"]
        refund.refresh_from_db()
        assert refund.state == RefundState.SELLER_REFUSED
        client.force_login(senior)
        assert "uphold_goods_refusal" in change_actions(client, refund)
        client.post(url, {"reason": "Photos show scratches."})
    refund.refresh_from_db()
    assert refund.state == RefundState.CLOSED
    assert (refund.repayment_notice_at, refund.repayment_due_at) == (NOW, NOW + timedelta(days=7))
    assert log_of(refund, "close").description == "Refusal upheld: Photos show scratches."


def test_no_uphold_or_cancel_button_while_an_intervention_case_decides_the_refund(
    client, quota_buyer, merchant, merchant_user, senior
):
    from disputes.services.interventions.opening import intervention_open

    refund = goods_refused(quota_buyer, merchant, merchant_user)
    with time_machine.travel(NOW, tick=False):
        client.force_login(senior)
        assert {"uphold_goods_refusal", "cancel_for_buyer"} <= change_actions(client, refund)
    at(
        T0 + timedelta(hours=4),
        intervention_open,
        actor=quota_buyer.user,
        ground="quality",
        claim="Fine",
        refund_id=refund.pk,
    )
    with time_machine.travel(NOW, tick=False):
        assert not {"uphold_goods_refusal", "cancel_for_buyer"} & change_actions(client, refund)
        response = client.post(action_url("refundrequest", refund.pk, "uphold_goods_refusal"), {"reason": "Scratched."})
    assert messages_of(response)[-1] == (
        "error",
        "A platform intervention case is open on this refund; withdraw it first.",
    )
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED


def test_agent_records_an_advance_repaid(client, quota_buyer, merchant, merchant_user, senior, agent):
    refund = goods_refused(quota_buyer, merchant, merchant_user)
    at(T0 + timedelta(hours=4), refund_uphold_goods_refusal, actor=senior, refund_id=refund.pk, reason="Scratched")
    assert ledger_balance(PlatformAdvanceEntry, buyer=quota_buyer) == 50_000
    url = action_url("refundrequest", refund.pk, "record_advance_repaid")
    with time_machine.travel(NOW, tick=False):
        client.force_login(agent)
        assert change_actions(client, refund) == {"record_advance_repaid"}
        client.post(url, {})
        again = client.post(url, {})
    assert messages_of(again)[-1] == ("error", "No advance is owed on this request.")
    refund.refresh_from_db()
    assert (refund.repaid_at, refund.advance_state) == (NOW, AdvanceState.SETTLED)
    assert ledger_balance(PlatformAdvanceEntry, buyer=quota_buyer) == 0
    assert PlatformAdvanceEntry.objects.filter(idempotency_key=f"refund:{refund.pk}:advance_repaid").count() == 1


def test_staff_without_a_role_gets_no_button_and_cannot_post(client, buyer, merchant, staff_without_role):
    refund = applied(buyer, merchant, refund_type="refund_only")
    client.force_login(staff_without_role)
    assert client.get(reverse("admin:disputes_refundrequest_change", args=[refund.pk])).status_code == 403
    response = client.post(action_url("refundrequest", refund.pk, "agree_for_merchant"), {"on_behalf_reason": "x"})
    assert response.status_code == 302
    assert [level for level, _ in messages_of(response)] == ["error"]
    refund.refresh_from_db()
    assert refund.state == RefundState.WAIT_SELLER_AGREE


def test_the_refund_page_is_read_only_with_no_add_or_delete(client, buyer, merchant, superuser):
    refund = applied(buyer, merchant)
    client.force_login(superuser)
    url = reverse("admin:disputes_refundrequest_change", args=[refund.pk])
    assert client.get(url).context["has_change_permission"] is False
    assert client.post(url, {"amount_fen": "1"}).status_code == 403
    assert client.get(reverse("admin:disputes_refundrequest_add")).status_code == 403
    assert client.get(reverse("admin:disputes_refundrequest_delete", args=[refund.pk])).status_code == 403
    refund.refresh_from_db()
    assert refund.amount_fen == 50_000


def test_the_refund_page_shows_history_evidence_claims_interventions_and_ledgers(
    client, merchant, merchant_user, agent, senior
):
    from disputes.services.interventions.opening import intervention_open
    from disputes.services.refunds.buyer import refund_ship_return
    from disputes.services.refunds.express import refund_express_decide

    buyer = excellent_buyer()
    claim = express_claimed(buyer, merchant, merchant_user, files=[photo("legs.png"), pdf("invoice.pdf")])
    refund = claim.refund
    at(T0 + timedelta(hours=3), refund_express_decide, actor=senior, claim_id=claim.pk, verified=True, reason="True")
    at(T0 + timedelta(hours=4), refund_ship_return, actor=buyer.user, refund_id=refund.pk, carrier="SF", waybill="S1")
    client.force_login(agent)
    response = client.get(reverse("admin:disputes_refundrequest_change", args=[refund.pk]))
    formsets = {fs.formset.model.__name__: fs for fs in response.context["inline_admin_formsets"]}
    history = [form.original for form in formsets["StateLog"]]
    assert [log.transition for log in history] == [
        "apply",
        "refuse",
        "express_claim",
        "agree_on_behalf",
        "apply_advance",
        "ship_return",
        "advance",
    ]
    assert history[3].by == senior
    assert [e.original_name for e in (form.original for form in formsets["RefundEvidence"])] == [
        "legs.png",
        "invoice.pdf",
    ]
    [shown_claim] = [form.original for form in formsets["ExpressClaim"]]
    assert shown_claim.status == ExpressStatus.VERIFIED
    [advance] = [form.original for form in formsets["PlatformAdvanceEntry"]]
    assert advance.amount == 50_000
    assert len(list(formsets["BuyerPointsEntry"])) == 0
    assert len(list(formsets["MerchantAccountEntry"])) == 0
    html = response.content.decode()
    evidence = {e.original_name: e for e in RefundEvidence.objects.filter(refund=refund)}
    assert f'src="/admin/disputes/refundevidence/{evidence["legs.png"].pk}/download/?inline=1"' in html
    assert f'href="/admin/disputes/refundevidence/{evidence["invoice.pdf"].pk}/download/"' in html
    assert f"/admin/disputes/refundevidence/{evidence['invoice.pdf'].pk}/download/?inline=1" not in html
    # An intervention opened on another refused refund shows on that refund's page.
    other = refused(buyer, merchant, merchant_user, refund_type="refund_only")
    case = at(
        T0 + timedelta(hours=2),
        intervention_open,
        actor=buyer.user,
        ground="quality",
        claim="Broken",
        refund_id=other.pk,
    )
    response = client.get(reverse("admin:disputes_refundrequest_change", args=[other.pk]))
    formsets = {fs.formset.model.__name__: fs for fs in response.context["inline_admin_formsets"]}
    assert [form.original.pk for form in formsets["Intervention"]] == [case.pk]


# Express claims ------------------------------------------------------------------------------------------------


@pytest.fixture
def claims(merchant, merchant_user):
    """Two pending claims (the older first) and one decided earlier."""
    decided = express_claimed(excellent_buyer(), merchant, merchant_user, moment=T0 - timedelta(days=2))
    older = express_claimed(excellent_buyer(), merchant, merchant_user, moment=T0 - timedelta(days=1))
    newer = express_claimed(excellent_buyer(), merchant, merchant_user)
    return {"decided": decided, "older": older, "newer": newer}


def claim_actions(client, claim) -> set[str]:
    response = client.get(reverse("admin:disputes_expressclaim_change", args=[claim.pk]))
    assert response.status_code == 200
    return {tool["name"] for tool in response.context["objectactions"]}


def test_pending_claims_come_first_oldest_first(client, claims, senior):
    client.force_login(senior)
    client.post(action_url("expressclaim", claims["decided"].pk, "reject"), {"reason": "Photos are of another item"})
    response = client.get(reverse("admin:disputes_expressclaim_changelist"))
    assert [c.pk for c in response.context["cl"].result_list] == [
        claims["older"].pk,
        claims["newer"].pk,
        claims["decided"].pk,
    ]


def test_senior_verifies_a_claim_and_agrees_the_return_for_the_merchant(client, claims, senior, merchant):
    claim = claims["newer"]
    with time_machine.travel(NOW, tick=False):
        client.force_login(senior)
        assert claim_actions(client, claim) == {"verify", "reject"}
        response = client.post(action_url("expressclaim", claim.pk, "verify"), {"reason": "Cracks visible."})
    assert [level for level, _ in messages_of(response)] == ["success"]
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, claim.decided_at) == (ExpressStatus.VERIFIED, senior, NOW)
    refund = claim.refund
    refund.refresh_from_db()
    assert (refund.state, refund.agreed_on_behalf, refund.express) == (RefundState.WAIT_BUYER_RETURN, True, True)
    assert refund.return_address == merchant.full_return_address
    assert refund.advance_state == AdvanceState.APPLIED


def test_senior_rejects_a_claim_and_the_refusal_stands(client, claims, senior):
    claim = claims["newer"]
    with time_machine.travel(NOW, tick=False):
        client.force_login(senior)
        client.post(action_url("expressclaim", claim.pk, "reject"), {"reason": "No defect in the photos."})
    claim.refresh_from_db()
    assert claim.status == ExpressStatus.REJECTED
    refund = claim.refund
    refund.refresh_from_db()
    assert refund.state == RefundState.SELLER_REFUSED
    # The buyer's 7 days to modify or escalate run again from the rejection.
    assert (refund.due_at, refund.due_action) == (NOW + timedelta(days=7), DueAction.CLOSE_REFUSED)


def test_an_agent_cannot_decide_a_claim(client, claims, agent):
    claim = claims["newer"]
    client.force_login(agent)
    assert claim_actions(client, claim) == set()
    response = client.post(action_url("expressclaim", claim.pk, "verify"), {"reason": "Looks true."})
    assert [level for level, _ in messages_of(response)] == ["error"]
    claim.refresh_from_db()
    assert claim.status == ExpressStatus.PENDING


def test_a_decided_claim_cannot_be_decided_again(client, claims, senior):
    claim = claims["newer"]
    client.force_login(senior)
    client.post(action_url("expressclaim", claim.pk, "reject"), {"reason": "No."})
    response = client.post(action_url("expressclaim", claim.pk, "verify"), {"reason": "Yes after all."})
    assert messages_of(response)[-1] == ("error", "The claim was already decided.")
    assert ExpressClaim.objects.get(pk=claim.pk).status == ExpressStatus.REJECTED


def test_the_claim_page_shows_its_own_photos_as_thumbnails(client, merchant, merchant_user, senior):
    buyer = excellent_buyer()
    first = express_claimed(buyer, merchant, merchant_user, files=[photo("first.png")])
    client.force_login(senior)
    client.post(action_url("expressclaim", first.pk, "reject"), {"reason": "Unclear."})
    from disputes.services.refunds.express import refund_express_claim

    second = at(
        T0 + timedelta(days=1),
        refund_express_claim,
        actor=buyer.user,
        refund_id=first.refund_id,
        description="Clearer photos.",
        files=[photo("second.png", colour=(10, 10, 200))],
    )
    by_name = {e.original_name: e.pk for e in RefundEvidence.objects.filter(purpose="express_claim")}
    html = client.get(reverse("admin:disputes_expressclaim_change", args=[second.pk])).content.decode()
    assert f'<img src="/admin/disputes/refundevidence/{by_name["second.png"]}/download/?inline=1"' in html
    assert f"/refundevidence/{by_name['first.png']}/download/" not in html
    html = client.get(reverse("admin:disputes_expressclaim_change", args=[first.pk])).content.decode()
    assert f"/refundevidence/{by_name['first.png']}/download/" in html
    assert f"/refundevidence/{by_name['second.png']}/download/" not in html


# Evidence files ----------------------------------------------------------------------------------------------


@pytest.fixture
def evidence(buyer, merchant):
    refund = applied(buyer, merchant, files=[photo("crack.png"), pdf("report.pdf")])
    return {e.original_name: e for e in RefundEvidence.objects.filter(refund=refund)}


def download(client, evidence, **params):
    return client.get(f"/admin/disputes/refundevidence/{evidence.pk}/download/", params)


def test_an_image_is_shown_inline_only_when_asked(client, agent, evidence):
    client.force_login(agent)
    inline = download(client, evidence["crack.png"], inline="1")
    assert inline.status_code == 200
    assert inline["Content-Type"] == "image/png"
    assert inline["Content-Disposition"].startswith("inline;")
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert b"".join(inline.streaming_content) == photo().read()
    assert download(client, evidence["crack.png"])["Content-Disposition"].startswith("attachment;")


def test_a_pdf_is_always_a_download(client, agent, evidence):
    client.force_login(agent)
    response = download(client, evidence["report.pdf"], inline="1")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_evidence_needs_the_view_permission(client, staff_without_role, buyer, evidence):
    client.force_login(staff_without_role)
    assert download(client, evidence["crack.png"], inline="1").status_code == 403
    client.force_login(buyer.user)
    response = download(client, evidence["crack.png"])
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_missing_refund_evidence_is_a_404(client, agent):
    client.force_login(agent)
    assert client.get("/admin/disputes/refundevidence/999999/download/").status_code == 404


# Intervention cases on a refund, and roles -------------------------------------------------------------------


def test_a_requested_intervention_shows_on_the_refund_as_a_linked_case(client, buyer, merchant, merchant_user, agent):
    refund = refused(buyer, merchant, merchant_user)
    at(T0 + timedelta(hours=2), refund_request_intervention, actor=buyer.user, refund_id=refund.pk, reason="Help")
    case = Intervention.objects.get()
    client.force_login(agent)
    response = client.get(reverse("admin:disputes_refundrequest_change", args=[refund.pk]))
    formsets = {fs.formset.model.__name__: fs for fs in response.context["inline_admin_formsets"]}
    assert [form.original.pk for form in formsets["Intervention"]] == [case.pk]
    case_url = f"/admin/disputes/intervention/{case.pk}/change/"
    assert f'<a href="{case_url}">IV-{case.pk}</a>' in response.content.decode()
    assert client.get(case_url).status_code == 200
    # The refund stays in the "intervention requested" queue while the case is open.
    assert listed(client, queue="intervention") == [refund.pk]


def index_perms(client, user) -> dict[str, dict[str, bool]]:
    client.force_login(user)
    apps = {app["app_label"]: app for app in client.get("/admin/").context["app_list"]}
    return {m["object_name"].lower(): m["perms"] for m in apps["disputes"]["models"]}


REFUND_MODELS = ("refundrequest", "refundevidence", "expressclaim")


@pytest.mark.parametrize("role", ["agent", "senior", "supervisor"])
def test_every_role_views_the_refund_models_and_none_adds_changes_or_deletes(client, role, request):
    perms = index_perms(client, request.getfixturevalue(role))
    for model in REFUND_MODELS:
        assert perms[model]["view"], model
        assert not (perms[model]["add"] or perms[model]["change"] or perms[model]["delete"]), model
    # The interim hand-off record is gone: intervention cases live in their own admin.
    assert "interventionhandoff" not in perms


# Every button on a request its service refuses: an error message, and nothing changes.

REFUSALS = [
    ("agent", "refuse_for_merchant", {"on_behalf_reason": ON_BEHALF, "reason": "No."}, "Only a request waiting"),
    ("agent", "confirm_goods_for_merchant", {"on_behalf_reason": ON_BEHALF}, "Only goods on their way back"),
    ("agent", "record_return_signed", {}, "Only a return on its way can be signed for."),
    (
        "agent",
        "ship_return_for_buyer",
        {"on_behalf_reason": ON_BEHALF, "carrier": "SF", "waybill": "SF1"},
        "The return can be shipped only after the merchant agreed",
    ),
    ("agent", "cancel_for_buyer", {"on_behalf_reason": ON_BEHALF}, "This request can no longer be cancelled"),
    ("senior", "uphold_goods_refusal", {"reason": "Scratched."}, "Only a refusal of returned goods can be upheld."),
    ("agent", "record_advance_repaid", {}, "No advance is owed on this request."),
]


@pytest.mark.parametrize(("role", "button", "data", "message"), REFUSALS, ids=[r[1] for r in REFUSALS])
def test_every_button_on_a_paid_refund_is_refused_and_changes_nothing(
    client, request, buyer, merchant, merchant_user, role, button, data, message
):
    from disputes.services.refunds.merchant import refund_agree

    refund = applied(buyer, merchant, refund_type="refund_only")
    at(T0 + timedelta(hours=1), refund_agree, actor=merchant_user, refund_id=refund.pk)
    refund.refresh_from_db()
    before = (refund.state, refund.advance_state, refund.due_at, refund.closed_at, refund.return_signed_at)
    logs_before = StateLog.objects.for_(refund).count()
    entries_before = MerchantAccountEntry.objects.count() + PlatformAdvanceEntry.objects.count()
    with time_machine.travel(NOW, tick=False):
        client.force_login(request.getfixturevalue(role))
        response = client.post(action_url("refundrequest", refund.pk, button), data)
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "error" and text.startswith(message), text
    refund.refresh_from_db()
    assert (refund.state, refund.advance_state, refund.due_at, refund.closed_at, refund.return_signed_at) == before
    assert StateLog.objects.for_(refund).count() == logs_before
    assert MerchantAccountEntry.objects.count() + PlatformAdvanceEntry.objects.count() == entries_before


def test_every_button_form_opens(client, superuser, buyer, merchant):
    from disputes.admin.express import ExpressClaimAdmin
    from disputes.admin.refunds import RefundRequestAdmin

    refund = applied(buyer, merchant)
    client.force_login(superuser)
    for name in RefundRequestAdmin.change_actions:
        response = client.get(action_url("refundrequest", refund.pk, name))
        assert response.status_code == 200, name
        assert response.context["form"] is not None
    claim = express_claimed(excellent_buyer(), merchant, f.MerchantUserFactory(merchant=merchant).user)
    for name in ExpressClaimAdmin.change_actions:
        assert client.get(action_url("expressclaim", claim.pk, name)).status_code == 200, name
