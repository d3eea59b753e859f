"""Reads policy values (staff-editable rule numbers) as typed Python values."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
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


class PolicyHistory:
    """The values of some policies at every version, from their change history: what explanations recompute
    recorded deadlines and penalties with, after any later edit. One query for the current rows, and one more for
    the history only when an older version is asked for (or with `history=True`).

    Version 1 is the value before the first change (that change's old value, or the current value when there is
    none); version n > 1 is the new value of the change that created it."""

    def __init__(self, keys: Iterable[str], *, history: bool = False) -> None:
        self.wanted = sorted(set(keys))
        self.current: dict[str, tuple[str, int, int]] = {}
        self.changes: dict[tuple[str, int], tuple[int, int]] = {}
        self.changed_at: dict[str, list[tuple[datetime, int]]] = {}
        self.loaded = False
        if not self.wanted:
            return
        for key, unit, value, version in Policy.objects.filter(key__in=self.wanted).values_list(
            "key", "unit", "value", "version"
        ):
            self.current[key] = (unit, value, version)
        if history:
            self._load_changes()

    def _load_changes(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        for key, version, old, new, at in PolicyChange.objects.filter(policy__key__in=self.wanted).values_list(
            "policy__key", "version", "old_value", "new_value", "changed_at"
        ):
            self.changes[(key, version)] = (old, new)
            self.changed_at.setdefault(key, []).append((at, version))

    def value(self, key: str, version: int) -> tuple[str, int] | None:
        """(unit, value) of `key` at `version`, or None when the history does not know it."""
        if key not in self.current:
            return None
        unit, current, latest = self.current[key]
        if version == latest:
            return unit, current
        self._load_changes()
        if version == 1 and (key, 2) in self.changes:
            return unit, self.changes[(key, 2)][0]
        if (key, version) in self.changes:
            return unit, self.changes[(key, version)][1]
        return None

    def snapshot(self, versions: dict[str, int]) -> PolicySnapshot:
        """The values at the given versions ({key: version}); a key whose version is unknown is left out (reading
        it raises PolicyMissing)."""
        values: dict[str, tuple[str, int]] = {}
        for key, version in versions.items():
            found = self.value(key, version)
            if found is not None:
                values[key] = found
        return PolicySnapshot(values, {key: versions[key] for key in values})

    def version_at(self, key: str, moment: datetime) -> int:
        """The version of `key` in force at `moment`: for a posting that did not record the versions it used."""
        self._load_changes()
        return max((version for at, version in self.changed_at.get(key, []) if at <= moment), default=1)


def at_versions(versions: dict[str, int]) -> PolicySnapshot:
    """The policy values as they were at the given versions ({key: version}): PolicyHistory.snapshot."""
    return PolicyHistory(versions).snapshot(versions)
