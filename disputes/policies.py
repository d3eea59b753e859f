"""Reads policy values (staff-editable rule numbers) as typed Python values."""

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

from django.utils.translation import ngettext_lazy

from disputes.errors import DomainError
from disputes.models.policies import Policy, PolicyChange, PolicyUnit

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
    # The version of each row read (Policy.version); what a deadline or penalty records as "used".
    versions: dict[str, int] = field(default_factory=dict)

    def versions_of(self, *keys: str) -> dict[str, int]:
        """{key: version} of the rows a rule read: what a deadline or a penalty records (a key read but
        missing raises PolicyMissing, as reading its value would)."""
        for key in keys:
            self._get(key)
        return {key: self.versions.get(key, 1) for key in keys}

    def unit(self, key: str) -> str:
        return self._get(key)[0]

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
    values: dict[str, tuple[str, int]] = {}
    versions: dict[str, int] = {}
    for key, unit, value, version in rows.values_list("key", "unit", "value", "version"):
        values[key] = (unit, value)
        versions[key] = version
    return PolicySnapshot(values, versions)


def at_versions(versions: dict[str, int]) -> PolicySnapshot:
    """The policy values as they were at the given versions ({key: version}), from the change history: what an
    explanation recomputes a recorded deadline or penalty with, after any later edit. Two queries.

    Version 1 is the value before the first change (that change's old value, or the current value when there is
    none); version n > 1 is the new value of the change that created it. A key whose version is unknown is left
    out (reading it raises PolicyMissing)."""
    if not versions:
        return PolicySnapshot({}, {})
    rows = {
        key: (unit, value, version)
        for key, unit, value, version in Policy.objects.filter(key__in=list(versions)).values_list(
            "key", "unit", "value", "version"
        )
    }
    changes: dict[tuple[str, int], tuple[int, int]] = {}
    for key, version, old, new in PolicyChange.objects.filter(policy__key__in=list(versions)).values_list(
        "policy__key", "version", "old_value", "new_value"
    ):
        changes[(key, version)] = (old, new)
    values: dict[str, tuple[str, int]] = {}
    for key, wanted in versions.items():
        if key not in rows:
            continue
        unit, current, latest = rows[key]
        if wanted == latest:
            values[key] = (unit, current)
        elif wanted == 1 and (key, 2) in changes:
            values[key] = (unit, changes[(key, 2)][0])
        elif (key, wanted) in changes:
            values[key] = (unit, changes[(key, wanted)][1])
    return PolicySnapshot(values, {key: versions[key] for key in values})
