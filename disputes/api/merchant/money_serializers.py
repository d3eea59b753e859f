"""The merchant's money as the API shows it: the account summary, statement rows with their running balance,
penalties, violations with their appeal, points per year, and the appeal's input. Amounts are integer fen (negative:
charged to the merchant), each with its 元 text (two decimals) beside it."""

from datetime import datetime
from typing import Any

from django_fsm import can_proceed
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disputes.models import DeadlineKind, EntryKind, MerchantAccountEntry, PenaltyBasis, Violation
from disputes.models.ledger import PENALTY_KINDS
from disputes.models.violations import COUNTING
from disputes.selectors.explanations import explain_penalty
from disputes.selectors.money import CASE_MODELS, PENALTY_STATUSES, CaseRef, Penalty, violation_case
from disputes.services.violations import APPEAL_REASON_MAX

CASE_TYPE_CHOICES = sorted(CASE_MODELS)
APPEAL_OUTCOMES = ("pending", "granted", "rejected")
PENALTY_KIND_CHOICES = [(str(kind), kind.label) for kind in PENALTY_KINDS]


def yuan(fen: int) -> str:
    """Integer fen as 元 with two decimals and no separators: -5000 -> "-50.00"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _time(value: datetime | None) -> str | None:
    """A time as every API time reads (ISO 8601 in Beijing time, with its offset)."""
    return serializers.DateTimeField().to_representation(value) if value is not None else None


class YuanField(serializers.Field):
    """Read-only: the fen of `source` as 元 text with two decimals."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: int) -> str:
        return yuan(value)


extend_schema_field({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "-50.00"})(YuanField)


class MoneyCaseSerializer(serializers.Serializer):
    """The case a money row is about."""

    type = serializers.ChoiceField(choices=CASE_TYPE_CHOICES, help_text="help_request, refund or intervention.")
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="HR-12, RF-3, IV-5.")
    order_no = serializers.CharField(help_text="The order the case is about.")

    def to_representation(self, instance: CaseRef) -> dict[str, Any]:
        return {"type": instance.type, "id": instance.id, "number": instance.number, "order_no": instance.order_no}


class MerchantStatementEntrySerializer(serializers.ModelSerializer):
    """One entry of the account statement, with the account's balance just after it."""

    posted_at = serializers.DateTimeField(
        source="created_at", read_only=True, help_text="When the entry was written: the statement's order."
    )
    occurred_at = serializers.DateTimeField(
        read_only=True, help_text="When what it records happened (a penalty: the deadline that was missed)."
    )
    kind = serializers.ChoiceField(choices=EntryKind.choices, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    amount_fen = serializers.IntegerField(source="amount", read_only=True, help_text="Negative: charged to you.")
    amount_yuan = YuanField(source="amount")
    balance_after_fen = serializers.IntegerField(
        read_only=True,
        help_text="The account's balance just after this entry: the sum of every entry of the account up to it "
        "in the statement's order (posted_at, then id), whatever the filters left out of the list.",
    )
    balance_after_yuan = YuanField(source="balance_after_fen")
    key = serializers.CharField(
        source="idempotency_key",
        read_only=True,
        allow_null=True,
        help_text="The posting's unique key (case, rule), e.g. help:42:solution_penalty.",
    )
    reverses = serializers.IntegerField(
        source="reverses_id", read_only=True, allow_null=True, help_text="The entry a reversal cancels."
    )
    case = MoneyCaseSerializer(read_only=True, allow_null=True)

    class Meta:
        model = MerchantAccountEntry
        fields = [
            "id",
            "posted_at",
            "occurred_at",
            "kind",
            "kind_label",
            "amount_fen",
            "amount_yuan",
            "balance_after_fen",
            "balance_after_yuan",
            "memo",
            "key",
            "reverses",
            "case",
        ]
        read_only_fields = fields

    def to_representation(self, instance: MerchantAccountEntry) -> dict[str, Any]:
        instance.balance_after_fen = instance.balance_after  # type: ignore[attr-defined]
        return super().to_representation(instance)


class ViolationAppealSerializer(serializers.Serializer):
    """A violation's appeal: the window, the merchant's reasons and the staff decision."""

    can_appeal = serializers.BooleanField(
        help_text="The violation may be appealed now (counted, never appealed, within its window)."
    )
    due_at = serializers.DateTimeField(allow_null=True, help_text="The appeal window closes (its last second is in).")
    appealed_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text="Your reasons, as sent.")
    outcome = serializers.ChoiceField(choices=APPEAL_OUTCOMES, allow_null=True, help_text="Null when not appealed.")
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField(allow_blank=True, help_text="Staff's reasons.")


class MerchantViolationSerializer(serializers.ModelSerializer):
    """A violation record on the shop: what it was, what it cost, whether it counts, and its appeal."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    counts = serializers.SerializerMethodField(help_text="The score points count against the shop now.")
    deadline = serializers.ChoiceField(choices=[("", ""), *DeadlineKind.choices], read_only=True)
    penalty_basis = serializers.ChoiceField(choices=[("", ""), *PenaltyBasis.choices], read_only=True)
    compensation_fen = serializers.IntegerField(
        source="compensation_points",
        read_only=True,
        help_text="The compensation to the buyer in points: what you are charged, in fen (100 points = 100 fen).",
    )
    case = serializers.SerializerMethodField()
    appeal = serializers.SerializerMethodField()

    class Meta:
        model = Violation
        fields = [
            "id",
            "kind",
            "kind_label",
            "status",
            "status_label",
            "counts",
            "score_points",
            "compensation_points",
            "compensation_fen",
            "penalty_basis",
            "deadline",
            "case",
            "occurred_at",
            "decided_at",
            "decision_reason",
            "appeal",
        ]
        read_only_fields = fields

    def get_counts(self, violation: Violation) -> bool:
        return violation.status in COUNTING

    @extend_schema_field(MoneyCaseSerializer(allow_null=True))
    def get_case(self, violation: Violation) -> dict[str, Any] | None:
        case = violation_case(violation)
        return MoneyCaseSerializer(case).data if case is not None else None

    @extend_schema_field(ViolationAppealSerializer)
    def get_appeal(self, violation: Violation) -> dict[str, Any]:
        if violation.appealed_at is None:
            outcome = None
        elif violation.appeal_decided_at is None:
            outcome = "pending"
        else:
            outcome = "rejected" if violation.status in COUNTING else "granted"
        return {
            # The state machine's answer (status, appealed once, window), as the service checks it.
            "can_appeal": can_proceed(violation.appeal),
            "due_at": _time(violation.appeal_due_at),
            "appealed_at": _time(violation.appealed_at),
            "reason": violation.appeal_reason,
            "outcome": outcome,
            "decided_at": _time(violation.appeal_decided_at),
            "decision_reason": violation.appeal_decision_reason,
        }


class PenaltyViolationSerializer(serializers.ModelSerializer):
    """The violation record a penalty goes with."""

    class Meta:
        model = Violation
        fields = ["id", "kind", "status", "score_points"]
        read_only_fields = fields


class MerchantPenaltySerializer(serializers.Serializer):
    """A penalty on the shop: charged (credited to the buyer), held, voided or reversed; with its case, the deadline
    it was for and its violation record."""

    key = serializers.CharField(
        help_text="The posting's key (case, rule): the same penalty whatever its status, e.g. help:42:solution_penalty."
    )
    status = serializers.ChoiceField(
        choices=PENALTY_STATUSES,
        help_text="credited: charged to you and credited to the buyer; held: a force-majeure claim is pending, "
        "nothing charged yet; voided: force majeure approved, never charged; reversed: charged, then cancelled by a "
        "reversal entry (e.g. a judgment overturned on review).",
    )
    kind = serializers.ChoiceField(choices=PENALTY_KIND_CHOICES)
    kind_label = serializers.CharField()
    amount_fen = serializers.IntegerField(help_text="What the penalty is, positive (charged: the entry's -amount).")
    amount_yuan = serializers.CharField()
    recorded_at = serializers.DateTimeField(
        help_text="The list's order: when the charge was posted, or the held or voided miss recorded."
    )
    occurred_at = serializers.DateTimeField(help_text="For a missed deadline: the deadline.")
    deadline = serializers.ChoiceField(
        choices=[("", ""), *DeadlineKind.choices], help_text="The help-request deadline missed, if any."
    )
    penalty_basis = serializers.ChoiceField(choices=[("", ""), *PenaltyBasis.choices])
    memo = serializers.CharField(allow_blank=True)
    entry = serializers.IntegerField(allow_null=True, help_text="The statement entry that charged it.")
    reversal_entry = serializers.IntegerField(allow_null=True, help_text="The statement entry that reversed it.")
    case = MoneyCaseSerializer(allow_null=True)
    violation = PenaltyViolationSerializer(allow_null=True)

    def to_representation(self, instance: Penalty) -> dict[str, Any]:
        reversal = getattr(instance.entry, "reversed_by", None) if instance.entry is not None else None
        violation = instance.violation
        return {
            "key": instance.key,
            "status": instance.status,
            "kind": instance.kind,
            "kind_label": str(EntryKind(instance.kind).label),
            "amount_fen": instance.amount_fen,
            "amount_yuan": yuan(instance.amount_fen),
            "recorded_at": _time(instance.recorded_at),
            "occurred_at": _time(instance.occurred_at),
            "deadline": instance.deadline,
            "penalty_basis": violation.penalty_basis if violation is not None else "",
            "memo": instance.memo,
            "entry": instance.entry.pk if instance.entry is not None else None,
            "reversal_entry": reversal.pk if reversal is not None else None,
            "case": MoneyCaseSerializer(instance.case).data if instance.case is not None else None,
            "violation": PenaltyViolationSerializer(violation).data if violation is not None else None,
        }


class YearPointsSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="A calendar year in Beijing time (points reset on 1 January).")
    points = serializers.IntegerField(help_text="Score points of the violations counted (or under appeal) that year.")
    violations = serializers.IntegerField(help_text="How many such violations.")


class MerchantPointsSerializer(serializers.Serializer):
    """Score points counted against the shop per calendar year (Beijing time)."""

    results = YearPointsSerializer(many=True, help_text="Newest year first; the current year is always listed.")


class MerchantAccountSerializer(serializers.Serializer):
    """The merchant account at a glance. A deposit (保证金) ledger and sanctions from violation points are not in
    the system yet (docs/rules.md section 11)."""

    balance_fen = serializers.IntegerField(help_text="The sum of every entry of the account (negative: you owe).")
    balance_yuan = serializers.CharField()
    month = serializers.CharField(help_text="The current calendar month in Beijing time, e.g. 2026-03.")
    month_charged_fen = serializers.IntegerField(help_text="Charged this month: the negative entries, as positive.")
    month_credited_fen = serializers.IntegerField(help_text="Credited this month: the positive entries.")
    month_penalties_fen = serializers.IntegerField(
        help_text="Of which penalties and compensation (the penalty kinds), net, as positive."
    )
    points = YearPointsSerializer(help_text="The current Beijing calendar year's counted violation points.")
    as_of = serializers.DateTimeField(help_text="When these figures were read.")


class MerchantViolationAppealCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=APPEAL_REASON_MAX, help_text=f"Why the violation should be revoked (at most {APPEAL_REASON_MAX})."
    )


PENALTY_EXPLANATION_HELP = (
    "How the penalty was computed, recomputed now from what it recorded (docs/explanations.md): the missed deadline's "
    "own explanation, the basis and formula, the policy values of the versions it used, and whether the recomputed "
    "amount equals the recorded one (`reproduced`). Null for an entry that is not a penalty."
)


class MerchantStatementEntryDetailSerializer(MerchantStatementEntrySerializer):
    """One statement entry, and for a penalty how it was computed."""

    explanation = serializers.SerializerMethodField(help_text=PENALTY_EXPLANATION_HELP)

    class Meta(MerchantStatementEntrySerializer.Meta):
        fields = [*MerchantStatementEntrySerializer.Meta.fields, "explanation"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_explanation(self, entry: MerchantAccountEntry) -> dict[str, Any] | None:
        return explain_penalty(entry)


class MerchantViolationDetailSerializer(MerchantViolationSerializer):
    """One violation record, and how its penalty was computed."""

    explanation = serializers.SerializerMethodField(help_text=PENALTY_EXPLANATION_HELP)

    class Meta(MerchantViolationSerializer.Meta):
        fields = [*MerchantViolationSerializer.Meta.fields, "explanation"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_explanation(self, violation: Violation) -> dict[str, Any] | None:
        return explain_penalty(violation)
