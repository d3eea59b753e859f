"""The read-only "Explanation" panels of the case and violation pages: each deadline's and penalty's computation in
words, then the policy values used with their versions (disputes.selectors.explanations)."""

from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from disputes.models import PolicyUnit
from disputes.selectors.explanations import deadline_explanations, explain_penalty


def _unit(unit: str) -> str:
    """A policy unit as the admin's language names it ("points", "seconds" are the API's codes)."""
    return str(PolicyUnit(unit).label) if unit in PolicyUnit.values else unit


def _policies(rows: list[dict[str, Any]]) -> SafeString:
    if not rows:
        return SafeString("")
    items = format_html_join(
        "",
        "<li><code>{}</code> = {} {} <small>({})</small></li>",
        (
            (row["key"], row["value"], _unit(row["unit"]), _("version %(v)s") % {"v": row["version"] or "?"})
            for row in rows
        ),
    )
    return format_html("<p>{}</p><ul>{}</ul>", _("Policies used:"), items)


def _one(title: str, explanation: dict[str, Any]) -> SafeString:
    steps = format_html_join("", "<li>{}</li>", ((step,) for step in explanation.get("steps", [])))
    check = ""
    if explanation.get("recorded") and not explanation.get("reproduced", True):
        check = _("Recomputing it gives a different result: check the recorded inputs.")
    return format_html(
        '<div class="explanation"><strong>{}</strong><ol>{}</ol>{}<p class="errornote">{}</p></div>'
        if check
        else '<div class="explanation"><strong>{}</strong><ol>{}</ol>{}{}</div>',
        title,
        steps,
        _policies(explanation.get("policies", [])),
        check,
    )


def deadlines_panel(case: Any) -> SafeString:
    """Every deadline the case has now, explained."""
    found = deadline_explanations(case)
    if not found:
        return format_html("{}", _("No deadline is running."))
    return format_html_join(
        "",
        "{}",
        ((_one(f"{e.get('label', e['field'])}: {e['due_at_local']}", e),) for e in found),
    )


def penalty_panel(record: Any) -> SafeString:
    """A penalty explained, with the deadline that was missed."""
    found = explain_penalty(record)
    if found is None:
        return format_html("{}", _("No penalty."))
    title = _("%(amount)s %(unit)s") % {"amount": found["amount"], "unit": _unit(found["unit"])}
    deadline = found.get("deadline")
    if deadline is None:
        return _one(title, found)
    return format_html(
        "{}{}",
        _one(title, found),
        _one(f"{deadline.get('label', deadline['field'])}: {deadline['due_at_local']}", deadline),
    )
