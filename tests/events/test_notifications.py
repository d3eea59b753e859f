"""Buyer and staff notifications are fed by the published events: which events queue an email, to whom, and what
it says (in the site's language, Chinese by default)."""

from datetime import timedelta

import pytest
from django.core import mail

from disputes.events.notify import SEND, send_event_email
from disputes.events.publish import publish
from disputes.models import Event
from disputes.services.help_sweep import help_sweep
from disputes.services.interventions.sweep import intervention_sweep
from tests.services.helpers import bj, raised_and_dispatched
from tests.services.test_intervention_helpers import accepted_case, at, in_mediation, judged

pytestmark = pytest.mark.django_db
T0 = bj(2026, 3, 2, 10, 0)


def published_emails(capture):
    """Publish, and return the event ids the publisher queued an email for (after its commit)."""
    with capture() as callbacks:
        publish()
    return [c.keywords["event_id"] for c in callbacks if c.args == (SEND,)]


def test_a_credited_penalty_emails_the_buyer_once(item, buyer, django_capture_on_commit_callbacks, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the site's default (the tests run in English otherwise)
    buyer.user.email = "buyer@example.com"
    buyer.user.save()
    request = raised_and_dispatched(T0, buyer=buyer, item=item)
    help_sweep(now=T0 + timedelta(hours=1, seconds=1))
    queued = published_emails(django_capture_on_commit_callbacks)
    credited = Event.objects.get(type="penalty.credited", case_id=request.pk)
    assert queued == [credited.pk]  # the breach and the postings themselves email no one
    assert send_event_email(credited.pk) is True
    (message,) = mail.outbox
    assert message.to == ["buyer@example.com"]
    assert f"HR-{request.pk}" in message.subject and "5000" in message.subject
    assert "积分" in message.subject  # in the site's language
    assert "50.00" in message.body
    assert published_emails(django_capture_on_commit_callbacks) == []  # published once, queued once


def test_a_buyer_without_an_email_address_is_skipped(item, buyer, django_capture_on_commit_callbacks):
    buyer.user.email = ""
    buyer.user.save()
    raised_and_dispatched(T0, buyer=buyer, item=item)
    help_sweep(now=T0 + timedelta(hours=1, seconds=1))
    (queued,) = published_emails(django_capture_on_commit_callbacks)
    assert send_event_email(queued) is False
    assert mail.outbox == []


ACCEPTED = bj(2026, 3, 2, 10, 0)
DECISION_DUE = bj(2026, 3, 10, 10, 0)


@pytest.fixture
def case(buyer, merchant, merchant_user, agent):
    buyer.user.email = "buyer@example.com"
    buyer.user.save()
    agent.email = "agent@example.com"
    agent.save()
    found = accepted_case(buyer, merchant, merchant_user, agent, accepted_at=ACCEPTED)
    assert found.assigned_to == agent
    return found


def test_a_judgment_emails_the_buyer_but_the_steps_before_it_do_not(case, agent, django_capture_on_commit_callbacks):
    in_mediation(case, agent, moment=bj(2026, 3, 5, 10, 0))
    assert published_emails(django_capture_on_commit_callbacks) == []  # accepted, evidence, mediation: no mail
    judged(case, agent, moment=bj(2026, 3, 6, 10, 0), outcome="support_merchant")
    queued = published_emails(django_capture_on_commit_callbacks)
    judgment = Event.objects.get(type="intervention.stage_changed", case_id=case.pk, payload__to="judged")
    assert queued == [judgment.pk]
    send_event_email(judgment.pk)
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]
    assert f"IV-{case.pk}" in mail.outbox[0].subject


def test_the_assignee_is_told_when_the_decision_comes_due_and_when_it_is_missed(
    case, agent, django_capture_on_commit_callbacks
):
    with at(DECISION_DUE - timedelta(hours=24)):
        intervention_sweep()
    with at(DECISION_DUE + timedelta(seconds=1)):
        intervention_sweep()
    queued = published_emails(django_capture_on_commit_callbacks)
    types = [Event.objects.get(pk=pk).type for pk in queued]
    assert types == ["intervention.decision_due_soon", "intervention.decision_breached"]
    for pk in queued:
        send_event_email(pk)
    assert [m.to for m in mail.outbox] == [["agent@example.com"], ["agent@example.com"]]
    soon = Event.objects.get(type="intervention.decision_due_soon")
    # Staff-only: no party's feed or webhook carries the platform's own deadline.
    assert (soon.merchant_id, soon.buyer_id) == (None, None)
    with at(DECISION_DUE + timedelta(hours=3)):
        intervention_sweep()
    assert published_emails(django_capture_on_commit_callbacks) == []  # each once
