"""The detail responses of help requests, refunds and intervention cases carry `explanations` for both parties (one per
deadline the case has now, recomputed from its recorded inputs); the lists do not."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from disputes.services.interventions.workflow import intervention_accept
from tests.api.helpers import BJ, client_for, dispatch, new_item, raise_request
from tests.services.refund_helpers import apply_at, refund_env, signed_item  # noqa: F401
from tests.services.test_intervention_helpers import open_case, refused_refund

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("refund_env")]

RAISED = datetime(2026, 3, 5, 17, 59, 59, tzinfo=BJ)  # a Thursday, the window's last second


def _get(user, name: str, pk: int | None = None) -> dict:
    url = reverse(f"api:{name}-detail", args=[pk]) if pk is not None else reverse(f"api:{name}-list")
    resp = client_for(user).get(url)
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_help_request_detail_explains_each_deadline_to_both_parties(buyer, merchant, merchant_user, city):
    item = new_item(buyer, merchant)
    with time_machine.travel(RAISED, tick=False):
        request = raise_request(buyer, item)
    dispatch(request)
    for user, name in ((buyer.user, "buyer-help-request"), (merchant_user, "merchant-help-request")):
        body = _get(user, name, request.pk)
        by_field = {e["field"]: e for e in body["explanations"]}
        assert set(by_field) == {"dispatch_at", "solution_due_at", "resolution_due_at"}
        solution = by_field["solution_due_at"]
        assert solution["started_at_local"] == "2026-03-05T17:59:59+08:00"
        assert solution["due_at_local"] == "2026-03-05T18:59:59+08:00"
        assert solution["window"] == {"opens": "09:00", "closes": "18:00", "inside": True}
        assert solution["reproduced"] is True
        assert [p["version"] for p in solution["policies"]] == [1, 1, 1]
        assert by_field["resolution_due_at"]["due_at_local"] == "2026-03-07T17:59:59+08:00"
        rows = _get(user, name)["results"]
        assert rows and "explanations" not in rows[0]


def test_refund_detail_explains_the_merchants_deadline(buyer, merchant, merchant_user):
    refund = apply_at(datetime(2026, 4, 1, 10, 0, tzinfo=BJ), buyer=buyer, item=signed_item(buyer, merchant))
    for user, name in ((buyer.user, "buyer-refund"), (merchant_user, "merchant-refund")):
        [explanation] = _get(user, name, refund.pk)["explanations"]
        assert explanation["deadline"] == "refund.merchant_silent_return"
        assert explanation["due_at_local"] == "2026-04-03T10:00:00+08:00"  # 2 days
        assert explanation["policies"] == [
            {"key": "refund.return_merchant_silent", "value": 2, "unit": "days", "version": 1}
        ]
        rows = _get(user, name)["results"]
        assert rows and "explanations" not in rows[0]


def test_intervention_detail_explains_the_decision_deadline_with_its_working_days(
    buyer, merchant, merchant_user, agent
):
    accepted = datetime(2025, 9, 25, 10, 0, tzinfo=BJ)  # Thursday before the 2025 National Day holidays
    refund = refused_refund(buyer, merchant, merchant_user, start=accepted - timedelta(days=2))
    case = open_case(buyer, refund, moment=accepted - timedelta(hours=1))
    with time_machine.travel(accepted, tick=False):
        intervention_accept(actor=agent, case_id=case.pk)
    for user, name in ((buyer.user, "buyer-intervention"), (merchant_user, "merchant-intervention")):
        by_field = {e["field"]: e for e in _get(user, name, case.pk)["explanations"]}
        decision = by_field["decision_due_at"]
        assert decision["due_at_local"] == "2025-10-10T10:00:00+08:00"
        assert decision["working_days"]["adjusted_working_days"] == ["2025-09-28"]
        assert len(decision["working_days"]["skipped"]) == 9
        assert by_field["evidence_due_at"]["due_at_local"] == "2025-09-28T10:00:00+08:00"
        rows = _get(user, name)["results"]
        assert rows and "explanations" not in rows[0]
