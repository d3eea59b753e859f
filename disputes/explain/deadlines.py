"""Every deadline's rule: the services set a deadline through it (DeadlineRule.set, which also returns what to record),
and an explanation recomputes it from what was recorded with the same arithmetic, traced (explain_deadline)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import dateformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes import sla
from disputes.policies import PolicyMissing, PolicySnapshot
from disputes.sla.working_days import walk_working_days

__all__ = ["RULES", "Basis", "DeadlineRule", "explain_deadline", "policy_rows", "shifted", "unrecorded"]

BUSINESS_WINDOW = "business_window"
ELAPSED = "elapsed"
WORKING_DAYS = "working_days"
EARLIEST = "earliest"

# What a case records for one of its deadline fields: {"rule": name, "from": [ISO start, ...],
# "policies": {key: version}, "paused_us": n (microseconds a suspension moved it on, added on resume)}.
Basis = dict[str, Any]


@dataclass(frozen=True)
class DeadlineRule:
    """How one kind of deadline follows from its start time(s) and its policies."""

    name: str
    rule: str
    keys: tuple[str, ...]
    label: Any  # a lazy translatable string

    def due(self, starts: Sequence[datetime], policies: PolicySnapshot) -> datetime | None:
        """The deadline: the one computation both the setter and the explanation run."""
        if self.rule == BUSINESS_WINDOW:
            return sla.solution_due_at(
                starts[0],
                sla=policies.duration(self.keys[0]),
                start=policies.clock(self.keys[1]),
                end=policies.clock(self.keys[2]),
            )
        if self.rule == WORKING_DAYS:
            return sla.add_working_days(starts[0], policies.int(self.keys[0]))
        # ELAPSED is EARLIEST of one: each start present pairs with its key, in order.
        return min(start + policies.duration(key) for start, key in zip(starts, self.keys, strict=False))

    def used_keys(self, starts: Sequence[datetime]) -> tuple[str, ...]:
        return self.keys if self.rule == BUSINESS_WINDOW else self.keys[: len(starts)]

    def set(self, *starts: datetime, policies: PolicySnapshot) -> tuple[datetime | None, Basis]:
        """The deadline and what the case records about it: the rule, its start(s), the policy versions used."""
        return self.due(starts, policies), self.basis(*starts, policies=policies)

    def basis(self, *starts: datetime, policies: PolicySnapshot) -> Basis:
        return {
            "rule": self.name,
            "from": [start.isoformat() for start in starts],
            "policies": policies.versions_of(*self.used_keys(starts)),
        }


def _rules(*rules: DeadlineRule) -> dict[str, DeadlineRule]:
    return {rule.name: rule for rule in rules}


RULES = _rules(
    DeadlineRule("help.dispatch", ELAPSED, ("help.cancel_window",), _("Cancel window ends (dispatch)")),
    DeadlineRule(
        "help.solution_due",
        BUSINESS_WINDOW,
        ("help.solution_sla", "help.window_start", "help.window_end"),
        _("1-hour solution deadline"),
    ),
    DeadlineRule("help.resolution_due", ELAPSED, ("help.resolution_sla",), _("48-hour resolution deadline")),
    DeadlineRule("help.confirm_due", ELAPSED, ("help.auto_confirm_after",), _("Resolution confirmed automatically")),
    DeadlineRule(
        "refund.merchant_silent_unshipped",
        ELAPSED,
        ("refund.unshipped_merchant_silent",),
        _("Merchant silent: refund paid (not shipped)"),
    ),
    DeadlineRule(
        "refund.merchant_silent_shipped",
        ELAPSED,
        ("refund.shipped_refund_only_silent",),
        _("Merchant silent: refund paid (shipped, refund only)"),
    ),
    DeadlineRule(
        "refund.merchant_silent_return",
        ELAPSED,
        ("refund.return_merchant_silent",),
        _("Merchant silent: return agreed"),
    ),
    DeadlineRule(
        "refund.merchant_silent_damage",
        ELAPSED,
        ("refund.damage_merchant_silent",),
        _("Merchant silent on a damage claim"),
    ),
    DeadlineRule(
        "refund.buyer_ship_return", ELAPSED, ("refund.buyer_ship_return",), _("Buyer ships the return, or it closes")
    ),
    DeadlineRule(
        "refund.merchant_confirm",
        EARLIEST,
        ("refund.merchant_confirm_receipt", "refund.merchant_confirm_after_signed"),
        _("Merchant confirms receipt, or it is taken as received"),
    ),
    DeadlineRule(
        "refund.buyer_silent_after_refusal",
        ELAPSED,
        ("refund.refused_buyer_silent",),
        _("Refused: closed unless the buyer modifies or escalates"),
    ),
    DeadlineRule("refund.repayment", ELAPSED, ("refund.advance_repay_window",), _("Buyer repays the advance")),
    DeadlineRule("intervention.evidence_due", ELAPSED, ("intervention.evidence_window",), _("Evidence window closes")),
    DeadlineRule(
        "intervention.merchant_answer_due",
        ELAPSED,
        ("intervention.merchant_answer",),
        _("Merchant answers the buyer's evidence"),
    ),
    DeadlineRule("intervention.decision_due", WORKING_DAYS, ("intervention.decision_due",), _("Decision due")),
    DeadlineRule("intervention.appeal_due", ELAPSED, ("intervention.appeal_window",), _("Appeal window closes")),
    DeadlineRule(
        "intervention.resume_self_settle",
        ELAPSED,
        ("intervention.suspend_self_settle",),
        _("Resumes if self-settlement fails"),
    ),
    DeadlineRule(
        "intervention.resume_court_proof",
        WORKING_DAYS,
        ("intervention.suspend_court_proof",),
        _("Resumes without proof that a court or the police took the matter"),
    ),
    DeadlineRule(
        "intervention.resume_police",
        ELAPSED,
        ("intervention.suspend_police",),
        _("Resumes without a police conclusion"),
    ),
)


def shifted(bases: dict[str, Basis], delta: timedelta) -> dict[str, Basis]:
    """The recorded bases with every start moved `delta` into the past (the demo data dates its stories back)."""
    return {
        field: {**basis, "from": [(datetime.fromisoformat(s) - delta).isoformat() for s in basis.get("from", [])]}
        for field, basis in bases.items()
    }


def _local(moment: datetime) -> str:
    return sla.to_beijing(moment).isoformat()


def _wall(moment: datetime) -> str:
    return sla.to_beijing(moment).strftime("%Y-%m-%d %H:%M:%S")


def _clock(value: Any) -> str:
    return value.strftime("%H:%M")


def policy_rows(keys: Sequence[str], policies: PolicySnapshot) -> list[dict[str, Any]]:
    """The policy values an explanation used, each with its unit and the version of its row."""
    rows = []
    for key in keys:
        unit, value = policies.values[key]
        rows.append({"key": key, "value": value, "unit": unit, "version": policies.versions.get(key)})
    return rows


def unrecorded(field: str, due_at: datetime) -> dict[str, Any]:
    """A deadline set before explanations were recorded (or written directly, e.g. by the benchmark)."""
    return {
        "deadline": field,
        "field": field,
        "due_at": due_at.isoformat(),
        "due_at_local": _local(due_at),
        "recorded": False,
        "steps": [gettext("This deadline was set before its inputs were recorded; it cannot be explained.")],
    }


def _working_days(start: datetime, days: int) -> tuple[dict[str, Any], list[str]]:
    counted, skipped, adjusted, steps = [], [], [], []
    for walked in walk_working_days(sla.to_beijing(start).date(), days):
        if walked.counted:
            counted.append(walked.day.isoformat())
            if walked.why == "adjusted_working_day":
                adjusted.append(walked.day.isoformat())
                steps.append(
                    gettext("%(date)s (%(weekday)s) counted: an adjusted working weekend.")
                    % {"date": walked.day.isoformat(), "weekday": dateformat.format(walked.day, "l")}
                )
        else:
            skipped.append({"date": walked.day.isoformat(), "why": walked.why, "name": walked.name})
            why = gettext("public holiday") if walked.why == "holiday" else gettext("weekend")
            steps.append(
                gettext("%(date)s (%(weekday)s) skipped: %(why)s%(name)s.")
                % {
                    "date": walked.day.isoformat(),
                    "weekday": dateformat.format(walked.day, "l"),
                    "why": why,
                    "name": f" ({walked.name})" if walked.name else "",
                }
            )
    return {"counted": counted, "skipped": skipped, "adjusted_working_days": adjusted}, steps


def explain_deadline(field: str, due_at: datetime, basis: Basis, policies: PolicySnapshot) -> dict[str, Any]:
    """A structured, translated explanation of the deadline stored in `field` (`due_at`), recomputed from its
    recorded `basis` with `policies` (the values at the recorded versions: disputes.policies.at_versions).

    `recomputed_due_at` comes from the same arithmetic the setter ran; `reproduced` says it equals the stored one."""
    rule = RULES[basis["rule"]]
    starts = [datetime.fromisoformat(s) for s in basis["from"]]
    keys = rule.used_keys(starts)
    try:
        computed = rule.due(starts, policies)
    except PolicyMissing:
        return {**unrecorded(field, due_at), "deadline": rule.name, "label": str(rule.label)}
    paused = timedelta(microseconds=int(basis.get("paused_us", 0)))
    if computed is not None:
        computed += paused
    start = starts[0]
    out: dict[str, Any] = {
        "deadline": rule.name,
        "field": field,
        "label": str(rule.label),
        "recorded": True,
        "due_at": due_at.isoformat(),
        "due_at_local": _local(due_at),
        "recomputed_due_at": computed.isoformat() if computed else None,
        "reproduced": computed == due_at,
        "started_at": start.isoformat(),
        "started_at_local": _local(start),
        "rule": rule.rule,
        "paused_seconds": paused.total_seconds(),
        "policies": policy_rows(keys, policies),
    }
    steps: list[str] = []
    if rule.rule == BUSINESS_WINDOW:
        opens, closes = policies.clock(keys[1]), policies.clock(keys[2])
        inside = sla.in_business_window(start, start=opens, end=closes)
        out["window"] = {"opens": _clock(opens), "closes": _clock(closes), "inside": inside}
        values = {"at": _wall(start), "opens": _clock(opens), "closes": _clock(closes)}
        if inside:
            steps.append(gettext("Raised at %(at)s Beijing time, inside the %(opens)s–%(closes)s window.") % values)
            steps.append(gettext("Due %(duration)s later.") % {"duration": policies.describe(keys[0])})
        else:
            steps.append(
                gettext("Raised at %(at)s Beijing time, outside the %(opens)s–%(closes)s window: no deadline.") % values
            )
    elif rule.rule == WORKING_DAYS:
        days = policies.int(keys[0])
        steps.append(
            gettext("Started on %(weekday)s %(at)s Beijing time; %(duration)s are counted from the next day.")
            % {
                "weekday": dateformat.format(sla.to_beijing(start), "l"),
                "at": _wall(start),
                "duration": policies.describe(keys[0]),
            }
        )
        out["working_days"], walked = _working_days(start, days)
        steps.extend(walked)
        steps.append(gettext("Due at the same time of day on the last working day counted."))
    else:
        for moment, key in zip(starts, keys, strict=False):
            steps.append(
                gettext("From %(at)s Beijing time, %(duration)s: %(due)s.")
                % {
                    "at": _wall(moment),
                    "duration": policies.describe(key),
                    "due": _wall(moment + policies.duration(key)),
                }
            )
        if len(starts) > 1:
            steps.append(gettext("The earlier of these applies."))
    if paused:
        steps.append(
            gettext("Moved on by %(hours).1f hours, the time the case was suspended.")
            % {"hours": paused.total_seconds() / 3600}
        )
    if computed is not None:
        steps.append(gettext("Due at %(due)s Beijing time.") % {"due": _wall(computed)})
    out["steps"] = steps
    return out
