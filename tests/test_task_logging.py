"""What the worker says: each task says what it did, in words and at the level it deserves; Celery's own per-task
lines ("received", "succeeded in 0.002s: False") stay quiet unless the worker runs at DEBUG."""

import logging
from datetime import timedelta

import pytest
import time_machine

from backoffice.celery import QUIET_AT_INFO, quiet_task_bookkeeping
from disputes.services.help_requests import help_request_raise
from disputes.tasks import _done, help_dispatch_one
from tests.admin.helpers import T0


@pytest.mark.django_db
def test_dispatch_one_says_what_happened(buyer, item, caplog):
    with time_machine.travel(T0, tick=False):
        request = help_request_raise(
            actor=buyer.user, order_item_id=item.pk, anomaly_kind="not_performed", description="Nobody came."
        )
    with (
        caplog.at_level(logging.DEBUG, logger="disputes.tasks"),
        time_machine.travel(request.dispatch_at + timedelta(seconds=1), tick=False),
    ):
        assert help_dispatch_one(request.pk) is None
        assert help_dispatch_one(request.pk) is None  # the sweep got there first, say
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", f"HR-{request.pk} dispatched: its cancel window ended"),
        ("DEBUG", f"HR-{request.pk}: nothing to dispatch (cancelled, or already dispatched)"),
    ]


def test_a_sweep_says_what_it_did_in_words():
    assert _done({"paid": 1, "agreed": 0, "credits": 1, "solution_misses": 2}) == "paid 1, credits 1, solution misses 2"


@pytest.fixture
def celery_levels():
    saved = {name: logging.getLogger(name).level for name in QUIET_AT_INFO}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_celery_bookkeeping_is_quiet_at_info_and_shown_at_debug(celery_levels):
    quiet_task_bookkeeping(loglevel=logging.INFO)
    assert {logging.getLogger(name).level for name in QUIET_AT_INFO} == {logging.WARNING}
    for name in QUIET_AT_INFO:
        logging.getLogger(name).setLevel(logging.NOTSET)
    quiet_task_bookkeeping(loglevel=logging.DEBUG)
    assert {logging.getLogger(name).level for name in QUIET_AT_INFO} == {logging.NOTSET}
