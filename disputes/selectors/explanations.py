"""Explanations of a case's deadlines and of a penalty, read for the API and the admin: what each was computed from,
with the policy values of the versions it recorded (disputes.explain builds them; this module reads their inputs)."""

from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from disputes.explain.deadlines import Basis, explain_deadline, unrecorded
from disputes.explain.penalties import (
    DAMAGE_KEYS,
    SHIPPING_KEYS,
    explain_damage_penalty,
    explain_help_penalty,
    explain_shipping_cover,
    unexplained,
)
from disputes.models import DeadlineKind, EntryKind, HelpRequest, Intervention, RefundRequest, Violation
from disputes.models.ledger import LedgerEntry
from disputes.policies import PolicyHistory
from disputes.services.help_misses import penalty_key, solution_in_time, violation_key

__all__ = ["DEADLINE_FIELDS", "deadline_explanations", "explain_penalty"]

# The deadline columns of each case, in the order a party meets them.
DEADLINE_FIELDS: dict[type, tuple[str, ...]] = {
    HelpRequest: ("dispatch_at", "solution_due_at", "resolution_due_at", "confirm_due_at"),
    RefundRequest: ("due_at", "repayment_due_at"),
    Intervention: ("evidence_due_at", "merchant_answer_due_at", "decision_due_at", "appeal_due_at", "resume_due_at"),
}

Case = HelpRequest | RefundRequest | Intervention


def _set_deadlines(case: Case) -> list[tuple[str, datetime, Basis | None]]:
    out = []
    for field in DEADLINE_FIELDS[type(case)]:
        due = getattr(case, field)
        if due is not None:
            out.append((field, due, (case.deadline_basis or {}).get(field)))
    return out


def deadline_explanations(case: Case, *, history: PolicyHistory | None = None) -> list[dict[str, Any]]:
    """One explanation per deadline the case has now (disputes.explain.deadlines.explain_deadline), each recomputed
    from its recorded start and the values of its recorded policy versions. Two queries (the policies' history),
    none when the case has no deadline; pass `history` to share them."""
    found = _set_deadlines(case)
    keys = {key for _, _, basis in found if basis for key in basis.get("policies", {})}
    if history is None:
        history = PolicyHistory(keys)
    out = []
    for field, due, basis in found:
        if not basis:
            out.append(unrecorded(field, due))
        else:
            out.append(explain_deadline(field, due, basis, history.snapshot(basis.get("policies", {}))))
    return out


def explain_penalty(record: Violation | LedgerEntry) -> dict[str, Any] | None:
    """The explanation of a penalty, from its violation record or from one of its ledger entries (the buyer's
    credit or the merchant's charge), or None for an entry that is no penalty.

    Returns {"penalty", "amount", "unit", "recorded", "recomputed_amount", "reproduced", "basis", "formula",
    "steps", "policies": [{"key", "value", "unit", "version"}], "deadline": <explanation of the missed deadline>
    (help misses), "versions_recorded": bool}. A few queries per call: for one row (a detail view, the admin), not
    for a list."""
    if isinstance(record, Violation):
        return _explain_violation(record)
    key = record.idempotency_key or ""
    if record.kind in (EntryKind.HELP_SOLUTION_PENALTY, EntryKind.HELP_RESOLUTION_PENALTY):
        violation = Violation.objects.filter(idempotency_key=_violation_key_of(key)).first()
        return None if violation is None else _explain_violation(violation)
    if record.kind == EntryKind.DAMAGE_PENALTY or record.kind == EntryKind.SHIPPING_COVER:
        return _explain_refund_entry(record)
    return None


def _violation_key_of(entry_key: str) -> str:
    # help:<id>:<deadline>_penalty (help_misses.penalty_key) -> help:<id>:<deadline>_miss (violation_key)
    _, request_id, rest = entry_key.split(":", 2)
    deadline = rest.removesuffix("_penalty")
    if penalty_key(int(request_id), deadline) != entry_key:
        raise ValueError(f"not a help penalty key: {entry_key!r}")
    return violation_key(int(request_id), deadline)


def _explain_violation(violation: Violation) -> dict[str, Any]:
    amount = violation.compensation_points
    if violation.help_request_id is None:
        return unexplained(
            "violation",
            amount,
            "points",
            str(_("The compensation was set by the staff's judgment, not by a policy.")),
        )
    if violation.deadline not in DeadlineKind.values:
        return unexplained(
            "violation",
            amount,
            "points",
            str(_("A buyer's complaint decided by staff: no deadline or policy computed an amount.")),
        )
    request = HelpRequest.objects.get(pk=violation.help_request_id)
    versions = violation.policy_versions or {}
    deadline_field = f"{violation.deadline}_due_at"
    basis = (request.deadline_basis or {}).get(deadline_field) or {}
    history = PolicyHistory([*versions, *basis.get("policies", {})])
    in_time = solution_in_time(request.solution_given_at, violation.occurred_at)
    out = explain_help_penalty(
        deadline=violation.deadline,
        service_kind=request.service_kind,
        item_price_fen=request.item_price_fen,
        solution_in_time=in_time,
        amount=amount,
        policies=history.snapshot(versions),
    )
    out["versions_recorded"] = bool(versions)
    out["status"] = violation.status
    out["occurred_at"] = violation.occurred_at.isoformat()
    due = getattr(request, deadline_field)
    if due is not None:
        out["deadline"] = (
            explain_deadline(deadline_field, due, basis, history.snapshot(basis.get("policies", {})))
            if basis
            else unrecorded(deadline_field, due)
        )
    return out


def _explain_refund_entry(entry: LedgerEntry) -> dict[str, Any]:
    refund_ct = ContentType.objects.get_for_model(RefundRequest)
    keys = DAMAGE_KEYS if entry.kind == EntryKind.DAMAGE_PENALTY else SHIPPING_KEYS
    amount = abs(entry.amount)
    refund = RefundRequest.objects.filter(pk=entry.source_id).first() if entry.source_type_id == refund_ct.pk else None
    if refund is None:
        return unexplained(f"refund.{entry.kind}", amount, "points", str(_("The refund of this entry was not found.")))
    # Refund postings do not record versions: the versions in force when the entry was written are read from the
    # policies' change history (a policy change and a posting in the same second would be ambiguous).
    history = PolicyHistory(keys)
    versions = {key: history.version_at(key, entry.created_at) for key in keys}
    policies = history.snapshot(versions)
    if entry.kind == EntryKind.DAMAGE_PENALTY:
        out = explain_damage_penalty(refund_fen=refund.amount_fen, amount=amount, policies=policies)
    else:
        out = explain_shipping_cover(amount=amount, policies=policies)
    out["versions_recorded"] = False
    out["occurred_at"] = entry.occurred_at.isoformat()
    return out
