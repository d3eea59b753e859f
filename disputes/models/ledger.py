"""Append-only ledgers: buyer points, merchant account and platform advances (RULES.md section 7)."""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.errors import AppendOnlyViolation
from disputes.models.parties import Buyer, Merchant


class EntryKind(models.TextChoices):
    HELP_SOLUTION_PENALTY = "help_solution_penalty", _("One-click help: 1-hour solution penalty")
    HELP_RESOLUTION_PENALTY = "help_resolution_penalty", _("One-click help: 48-hour resolution penalty")
    REFUND = "refund", _("Refund (退款)")
    SHIPPING_COVER = "shipping_cover", _("Return shipping cover (退货包运费)")
    DAMAGE_PENALTY = "damage_penalty", _("Damage guarantee penalty (破损包退)")
    ADVANCE = "advance", _("Platform advance (先行垫付)")
    ADVANCE_RECOVERY = "advance_recovery", _("Advance recovered")
    COMPENSATION = "compensation", _("Compensation (赔付)")
    ADJUSTMENT = "adjustment", _("Manual adjustment")
    REVERSAL = "reversal", _("Reversal (冲正)")


# What the merchant is charged as a penalty or compensation for a failure (RULES.md sections 1, 2 and 4), as opposed
# to a refund of the price or a correction.
PENALTY_KINDS = (
    EntryKind.HELP_SOLUTION_PENALTY,
    EntryKind.HELP_RESOLUTION_PENALTY,
    EntryKind.DAMAGE_PENALTY,
    EntryKind.COMPENSATION,
)


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk updates and deletes: entries are written once and never changed."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyViolation("Ledger entries cannot be updated; post a reversal instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("Ledger entries cannot be deleted; post a reversal instead.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyViolation("Ledger entries cannot be updated; post a reversal instead.")


class LedgerEntry(models.Model):
    """One signed movement on an account. The balance of an account is the sum of its entries."""

    amount = models.BigIntegerField(_("amount"))
    kind = models.CharField(_("kind"), max_length=32, choices=EntryKind.choices)
    # (case, rule, occurrence), e.g. "help:42:solution_penalty": unique, so a retry or a
    # second scheduler finds the entry already there instead of crediting twice.
    idempotency_key = models.CharField(_("idempotency key"), max_length=160, unique=True, null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    if TYPE_CHECKING:
        # The stubs' plugin gives the concrete ledgers this column, not the abstract base ("self" names no model).
        reverses_id: int | None
    # source_type/source_id is a generic pointer (source_id cannot have a foreign key), and created_by
    # names an auth user, which is never deleted (PROTECT in the ORM). Neither carries a database
    # constraint: checking them cost the penalty sweep a quarter of its time (benchmark_help_sweep),
    # while the account, amount, key and reversal columns, which the money depends on, keep theirs.
    source_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source type"),
        db_constraint=False,
        db_index=False,  # the (source_type, source_id) index serves it
    )
    source_id = models.PositiveBigIntegerField(_("source id"), null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        db_constraint=False,
        db_index=False,
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyViolation("Ledger entries cannot be updated; post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("Ledger entries cannot be deleted; post a reversal instead.")


class BuyerPointsEntry(LedgerEntry):
    """Tmall points (天猫积分) credited to or taken from a buyer; 100 points = 1 元."""

    buyer = models.ForeignKey(
        Buyer,
        on_delete=models.PROTECT,
        related_name="points_entries",
        verbose_name=_("buyer"),
        db_index=False,  # the (buyer, created_at, id) index serves it
    )

    class Meta(LedgerEntry.Meta):
        verbose_name = _("buyer points entry")
        verbose_name_plural = _("buyer points entries")
        indexes = [
            # The entries' order, (created_at, id), per buyer, carrying the amount: the points balance and totals
            # are read from the index alone (an index-only scan on PostgreSQL; disputes.selectors.points).
            models.Index(fields=["buyer", "created_at", "id"], include=["amount"], name="buyer_points_entries"),
            models.Index(fields=["source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} {self.amount:+d} pts ({self.kind})"


class MerchantAccountEntry(LedgerEntry):
    """Money (fen) on a merchant's deposit/settlement account; negative is a charge."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="account_entries",
        verbose_name=_("merchant"),
        db_index=False,  # the (merchant, created_at) index serves it
    )

    class Meta(LedgerEntry.Meta):
        verbose_name = _("merchant account entry")
        verbose_name_plural = _("merchant account entries")
        indexes = [
            # The statement's order, (created_at, id), per merchant, carrying the amount and kind: the running
            # balance and the account's monthly totals are read from the index alone (index-only scans on
            # PostgreSQL; disputes.sql.statement, disputes.selectors.money).
            models.Index(
                fields=["merchant", "created_at", "id"], include=["amount", "kind"], name="merchant_entry_statement"
            ),
            # The penalties list: the penalty kinds only, in the statement's order.
            models.Index(
                fields=["merchant", "created_at", "id"],
                condition=models.Q(kind__in=PENALTY_KINDS),
                name="merchant_entry_penalties",
            ),
            models.Index(fields=["source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.amount:+d} fen ({self.kind})"


class PlatformAdvanceEntry(LedgerEntry):
    """Money (fen) the platform advanced to a buyer on a merchant's behalf; positive is outstanding."""

    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="advance_entries", verbose_name=_("buyer"))
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="advance_entries", verbose_name=_("merchant")
    )

    class Meta(LedgerEntry.Meta):
        verbose_name = _("platform advance entry")
        verbose_name_plural = _("platform advance entries")
        indexes = [
            models.Index(fields=["buyer", "created_at"]),
            models.Index(fields=["source_type", "source_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.buyer}/{self.merchant} {self.amount:+d} fen ({self.kind})"


LEDGER_MODELS: tuple[type[LedgerEntry], ...] = (BuyerPointsEntry, MerchantAccountEntry, PlatformAdvanceEntry)
