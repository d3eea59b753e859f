"""Buyer and staff notifications, fed by the event log like the webhooks: when the publisher publishes an event a
person must hear of, an email task is queued for it after the publishing commit.

- Buyers: penalties credited to them, and decisions on their cases (a judgment, an agreement, a final or refused
  intervention case, an express claim decided), at the buyer account's email.
- Staff: an intervention case's decision deadline coming due or missed, at its assignee's email.

A message goes at least once: a worker that dies while sending retries it (the text says what happened, so a
rare second copy misleads no one). The text is in the site's language (Chinese by default)."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from disputes.jobs import enqueue_after_commit
from disputes.models import Buyer, Event, ExpressClaim, Intervention

SEND = "disputes.send_event_email"

# Intervention stages that are a decision the buyer must hear of.
DECIDED_STAGES = ("refused", "agreed", "judged", "final")
NOTIFIED_TYPES = (
    "penalty.credited",
    "intervention.stage_changed",
    "refund.express_claim_decided",
    "intervention.decision_due_soon",
    "intervention.decision_breached",
)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


def on_published(ids: list[int]) -> None:
    """The publisher's subscriber: queue one email task per newly published event that someone must hear of."""
    for pk, type_, payload in Event.objects.filter(id__in=ids, type__in=NOTIFIED_TYPES).values_list(
        "id", "type", "payload"
    ):
        if type_ == "intervention.stage_changed" and payload.get("to") not in DECIDED_STAGES:
            continue
        enqueue_after_commit(SEND, event_id=pk)


def message_for(event: Event) -> Message | None:
    """The email `event` calls for, or None (nobody to tell, or no address to tell them at)."""
    with translation.override(settings.LANGUAGE_CODE):
        if event.type.startswith("intervention.decision_"):
            return _staff_message(event)
        return _buyer_message(event)


def send_event_email(event_id: int) -> bool:
    """Send the email of one event; False when there is none to send."""
    event = Event.objects.filter(pk=event_id).first()
    message = message_for(event) if event is not None else None
    if message is None:
        return False
    send_mail(message.subject, message.body, None, [message.to])
    return True


def _case_number(event: Event) -> str:
    prefix = {"help_request": "HR", "refund": "RF", "intervention": "IV"}.get(event.case_type, "")
    return f"{prefix}-{event.case_id}"


def _label(model: type[models.Model], field: str, value: object) -> str:
    """A state's label as staff and parties read it (e.g. 已判决), in the active language."""
    found = model._meta.get_field(field)
    choices = found.choices if isinstance(found, models.Field) else None
    return str(dict(choices or []).get(value, value))


def _buyer_message(event: Event) -> Message | None:
    if event.buyer_id is None:
        return None
    buyer = Buyer.objects.select_related("user").filter(pk=event.buyer_id).first()
    if buyer is None or not buyer.user.email:
        return None
    case = _case_number(event)
    data = event.payload
    if event.type == "penalty.credited":
        subject = _("%(points)s points credited to you (%(case)s)") % {"points": data["points"], "case": case}
        body = _(
            "The merchant missed a service deadline on %(case)s, so %(points)s points (%(yuan)s yuan) were credited "
            "to your account."
        ) % {"case": case, "points": data["points"], "yuan": f"{data['points'] / 100:.2f}"}
    elif event.type == "refund.express_claim_decided":
        subject = _("Your express rights-protection claim on %(case)s was decided") % {"case": case}
        body = _("The claim is now: %(status)s.") % {"status": _label(ExpressClaim, "status", data.get("to"))}
    else:
        subject = _("A decision on your case %(case)s") % {"case": case}
        body = _("The platform's intervention case is now: %(stage)s.") % {
            "stage": _label(Intervention, "state", data.get("to"))
        }
    return Message(buyer.user.email, subject, body)


def _staff_message(event: Event) -> Message | None:
    assignee = event.payload.get("assigned_to")
    user = get_user_model().objects.filter(pk=assignee, is_active=True).first() if assignee else None
    if user is None or not user.email:
        return None
    case = _case_number(event)
    due = event.payload.get("due_at")
    if event.type == "intervention.decision_due_soon":
        subject = _("Decision due soon on %(case)s") % {"case": case}
        body = _("The decision on %(case)s, assigned to you, is due at %(due)s (UTC).") % {"case": case, "due": due}
    else:
        subject = _("Decision deadline missed on %(case)s") % {"case": case}
        body = _("The decision on %(case)s, assigned to you, was due at %(due)s (UTC).") % {"case": case, "due": due}
    return Message(user.email, subject, body)
