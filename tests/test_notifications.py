"""Notifications leave only after commit, and a sweep's batch travels as a few tasks, not one per case."""

import logging

import pytest

from disputes.jobs import nothing_sent
from disputes.notifications import notify_after_commit, notify_many_after_commit
from disputes.tasks import send_notifications

pytestmark = pytest.mark.django_db


def test_one_notification_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notify_after_commit("help_request.dispatched", case="help_request", case_id=7)
    assert [cb.keywords for cb in callbacks] == [
        {"event": "help_request.dispatched", "case": "help_request", "case_id": 7}
    ]


def test_a_batch_is_chunked(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notify_many_after_commit("refund.advance_repayment_notice", case="refund", case_ids=list(range(2500)))
    assert [len(cb.keywords["case_ids"]) for cb in callbacks] == [1000, 1000, 500]
    assert callbacks[2].keywords["case_ids"][-1] == 2499


def test_send_notifications_delivers_each_case(caplog):
    with caplog.at_level(logging.INFO, logger="disputes.tasks"):
        send_notifications(event="refund.advance_repayment_notice", case="refund", case_ids=[3, 4])
    assert [r.getMessage() for r in caplog.records] == [
        "notify refund.advance_repayment_notice refund:3",
        "notify refund.advance_repayment_notice refund:4",
    ]


def test_nothing_is_sent_from_inside_nothing_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with nothing_sent():
            notify_after_commit("help_request.dispatched", case="help_request", case_id=7)
        notify_after_commit("help_request.dispatched", case="help_request", case_id=8)
    assert [cb.keywords["case_id"] for cb in callbacks] == [8]
