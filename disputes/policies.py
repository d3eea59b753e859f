"""Reads policy values (staff-editable rule numbers) as typed Python values."""

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from django.utils.translation import ngettext_lazy

from disputes.errors import DomainError
from disputes.models.policies import Policy, PolicyUnit

_DURATION_UNITS = {
    PolicyUnit.SECONDS: timedelta(seconds=1),
    PolicyUnit.MINUTES: timedelta(minutes=1),
    PolicyUnit.HOURS: timedelta(hours=1),
    PolicyUnit.DAYS: timedelta(days=1),
}


# How a value reads in a message, by unit, pluralised by the value ("n").
_UNIT_WORDS: dict[str, Any] = {
    PolicyUnit.SECONDS: ngettext_lazy("%(n)d second", "%(n)d seconds", "n"),
    PolicyUnit.MINUTES: ngettext_lazy("%(n)d minute", "%(n)d minutes", "n"),
    PolicyUnit.HOURS: ngettext_lazy("%(n)d hour", "%(n)d hours", "n"),
    PolicyUnit.DAYS: ngettext_lazy("%(n)d day", "%(n)d days", "n"),
    PolicyUnit.WORKING_DAYS: ngettext_lazy("%(n)d working day", "%(n)d working days", "n"),
    PolicyUnit.POINTS: ngettext_lazy("%(n)d point", "%(n)d points", "n"),
    PolicyUnit.FEN: ngettext_lazy("%(n)d fen", "%(n)d fen", "n"),
}


class PolicyMissing(DomainError):
    code = "policy_missing"
    status = 500


@dataclass(frozen=True)
class PolicySnapshot:
    """The policy table as of one read: a sweep or service loads it once and applies it throughout."""

    values: dict[str, tuple[str, int]]

    def _get(self, key: str) -> tuple[str, int]:
        try:
            return self.values[key]
        except KeyError:
            raise PolicyMissing(f"Policy {key!r} is not configured; run migrations.") from None

    def int(self, key: str) -> int:
        return self._get(key)[1]

    def duration(self, key: str) -> timedelta:
        unit, value = self._get(key)
        if unit not in _DURATION_UNITS:
            raise PolicyMissing(f"Policy {key!r} is in {unit}, not a wall-clock duration.")
        return _DURATION_UNITS[PolicyUnit(unit)] * value

    def describe(self, key: str) -> str:
        """The value with its unit, in the active language, for text that states a rule: "7 days", "72 hours"."""
        unit, value = self._get(key)
        words = _UNIT_WORDS.get(unit)
        if words is None:
            return f"{value} {unit}"
        return str(words % {"n": value})

    def clock(self, key: str) -> time:
        unit, value = self._get(key)
        if unit != PolicyUnit.CLOCK:
            raise PolicyMissing(f"Policy {key!r} is in {unit}, not a time of day.")
        hours, minutes = divmod(value, 100)
        return time(23, 59, 59, 999999) if hours == 24 else time(hours, minutes)


def load(prefix: str = "") -> PolicySnapshot:
    """Load every policy (or those whose key starts with `prefix`) in one query."""
    rows = Policy.objects.all()
    if prefix:
        rows = rows.filter(key__startswith=prefix)
    return PolicySnapshot({key: (unit, value) for key, unit, value in rows.values_list("key", "unit", "value")})
