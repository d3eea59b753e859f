"""The event log (transactional outbox): one row per thing that happened to a case or an account, written in the
same transaction as the change, so an event exists if and only if its change committed (docs/events.md).

An event is written unpublished (`sequence` empty). The publisher (disputes.events.publish) gives committed events
their `sequence` in one serialized pass, in the order they were written; readers (the polling API, the webhook
fan-out) only ever see published events, in `sequence` order, so a reader that remembers the last sequence it saw
never skips an event whose transaction committed late."""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.models.parties import Buyer, Merchant

PAYLOAD_VERSION = 1


class Event(models.Model):
    uid = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.BigIntegerField(_("sequence"), null=True, blank=True, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=64)
    case_type = models.CharField(_("case type"), max_length=32, blank=True)
    case_id = models.BigIntegerField(_("case id"), null=True, blank=True)
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merchant"),
        db_index=False,  # the (merchant, sequence) index serves it
    )
    buyer = models.ForeignKey(
        Buyer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("buyer"),
        db_index=False,  # the (buyer, sequence) index serves it
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    version = models.PositiveSmallIntegerField(_("payload version"), default=PAYLOAD_VERSION)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    # For events that must happen once per occurrence whatever retries the scheduler makes ("help_request:42:
    # solution_due_soon:<due time>"): a second insert with the same key is skipped.
    dedupe_key = models.CharField(_("dedupe key"), max_length=160, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["sequence", "id"]
        indexes = [
            models.Index(fields=["merchant", "sequence"], name="event_merchant_seq"),
            models.Index(fields=["buyer", "sequence"], name="event_buyer_seq"),
            models.Index(fields=["case_type", "case_id", "id"], name="event_case"),
            models.Index(fields=["id"], name="event_unpublished", condition=models.Q(sequence__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.case_type}:{self.case_id}" if self.case_type else self.type
