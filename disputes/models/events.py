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
PUBLISHED = models.Q(sequence__isnull=False)


class Event(models.Model):
    # Random, so unique without an index: an index on it cost the sweeps more than any lookup by it would save.
    uid = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    sequence = models.BigIntegerField(_("sequence"), null=True, blank=True, editable=False)
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
        db_constraint=False,  # see the buyer's
    )
    buyer = models.ForeignKey(
        Buyer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("buyer"),
        db_index=False,  # the (buyer, sequence) index serves it
        # No database foreign key on either party, as on the ledgers' source columns: the sweeps write tens of
        # thousands of events in a batch, and checking each party at commit doubled what the events cost them
        # (benchmark_help_sweep). Parties are never deleted (PROTECT in the ORM).
        db_constraint=False,
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    version = models.PositiveSmallIntegerField(_("payload version"), default=PAYLOAD_VERSION)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    # For events that must happen once per occurrence whatever retries the scheduler makes ("help_request:42:
    # solution_due_soon:<due time>"): a second insert with the same key is skipped.
    dedupe_key = models.CharField(_("dedupe key"), max_length=160, null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["sequence", "id"]
        # The sweeps write events by the tens of thousands, so a new event touches two indexes only: the primary
        # key and the publisher's queue of unpublished ids (plus the dedupe key's, when it has one). The readers'
        # indexes cover published events only; the publisher adds each event to them as it numbers it.
        constraints = [
            models.UniqueConstraint(fields=["sequence"], condition=PUBLISHED, name="event_sequence_unique"),
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=models.Q(dedupe_key__isnull=False), name="event_dedupe_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "sequence"], name="event_merchant_seq", condition=PUBLISHED),
            models.Index(fields=["buyer", "sequence"], name="event_buyer_seq", condition=PUBLISHED),
            models.Index(fields=["case_type", "case_id", "sequence"], name="event_case", condition=PUBLISHED),
            models.Index(fields=["id"], name="event_unpublished", condition=models.Q(sequence__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.case_type}:{self.case_id}" if self.case_type else self.type
