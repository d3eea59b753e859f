"""Staff-editable policy values (every duration and amount of RULES.md) and their change history."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class PolicyUnit(models.TextChoices):
    SECONDS = "seconds", _("seconds")
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")
    WORKING_DAYS = "working_days", _("working days")
    CLOCK = "clock", _("time of day (HHMM)")
    POINTS = "points", _("points")
    FEN = "fen", _("fen (1/100 元)")
    PERCENT = "percent", _("percent")
    MULTIPLIER = "multiplier", _("multiplier")
    COUNT = "count", _("count")


class PolicyGroup(models.TextChoices):
    HELP = "help", _("One-click help")
    REFUND = "refund", _("Refunds and after-sales")
    INTERVENTION = "intervention", _("Platform intervention")
    VIOLATION = "violation", _("Merchant violations")


class Policy(models.Model):
    """One rule value. Code reads it at the moment it applies the rule."""

    key = models.CharField(
        _("key"),
        max_length=80,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9_.]+$")],
    )
    group = models.CharField(_("group"), max_length=16, choices=PolicyGroup.choices)
    label = models.CharField(_("label"), max_length=200)
    unit = models.CharField(_("unit"), max_length=16, choices=PolicyUnit.choices)
    value = models.BigIntegerField(_("value"))
    default_value = models.BigIntegerField(_("default value"), editable=False)
    # Bumped by every change (services.policies.policy_update): deadlines and penalties record the versions they
    # used, so an explanation can be recomputed from the values of those versions after later edits.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["group", "key"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value} {self.unit}"

    @property
    def display_label(self) -> str:
        # Labels are English msgids marked with gettext_noop in policy_defaults.
        return gettext(self.label)

    def clean(self) -> None:
        if self.value < 0:
            raise ValidationError({"value": _("A policy value cannot be negative.")})
        if self.unit == PolicyUnit.CLOCK:
            hours, minutes = divmod(self.value, 100)
            if hours > 24 or minutes > 59 or (hours == 24 and minutes):
                raise ValidationError({"value": _("A time of day is written HHMM, e.g. 900 for 09:00.")})
        if self.unit == PolicyUnit.PERCENT and self.value > 100:
            raise ValidationError({"value": _("A percentage is at most 100.")})


class PolicyChange(models.Model):
    """Who changed which policy value, when, and why (append-only)."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="changes", verbose_name=_("policy"))
    old_value = models.BigIntegerField(_("old value"))
    new_value = models.BigIntegerField(_("new value"))
    # The policy version this change created (the first change of a policy creates version 2).
    version = models.PositiveIntegerField(_("version created"), default=2, editable=False)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy change")
        verbose_name_plural = _("policy changes")
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.policy.key}: {self.old_value} → {self.new_value}"
