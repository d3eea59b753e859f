"""The explanation of each deadline a case has (disputes.selectors.explanations), as both sides of the API show it:
the shapes here document it in the schema; the values come from the selector, on detail responses only (a list
would cost the policies' history per row)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disputes.selectors.explanations import deadline_explanations


class ExplanationPolicySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Policy key, e.g. help.solution_sla.")
    value = serializers.IntegerField(help_text="The value used (the value of that version).")
    unit = serializers.CharField(help_text="seconds, minutes, hours, days, working_days, clock (HHMM), points, ...")
    version = serializers.IntegerField(allow_null=True, help_text="The policy row's version used.")


class ExplanationWindowSerializer(serializers.Serializer):
    opens = serializers.CharField(help_text="Beijing time, HH:MM.")
    closes = serializers.CharField(help_text="Beijing time, HH:MM (not included).")
    inside = serializers.BooleanField()


class ExplanationSkippedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    why = serializers.ChoiceField(choices=["weekend", "holiday"])
    name = serializers.CharField(help_text="The holiday's name, when it is one.")


class ExplanationWorkingDaysSerializer(serializers.Serializer):
    counted = serializers.ListField(child=serializers.DateField())
    skipped = ExplanationSkippedDaySerializer(many=True)
    adjusted_working_days = serializers.ListField(
        child=serializers.DateField(), help_text="Counted weekend days: adjusted (调休) working days."
    )


class DeadlineExplanationSerializer(serializers.Serializer):
    """How one deadline was computed, recomputed from its recorded inputs."""

    deadline = serializers.CharField(help_text="The deadline's rule, e.g. help.solution_due.")
    field = serializers.CharField(help_text="The case's column holding it, e.g. solution_due_at.")
    # Declared fields leave the class at run time (DRF's metaclass); the stubs see Field.label.
    label = serializers.CharField(required=False)  # type: ignore[assignment]
    recorded = serializers.BooleanField(help_text="False for a deadline set before its inputs were recorded.")
    due_at = serializers.DateTimeField()
    due_at_local = serializers.CharField(help_text="The due time in Beijing time (+08:00).")
    recomputed_due_at = serializers.DateTimeField(required=False, allow_null=True)
    reproduced = serializers.BooleanField(required=False, help_text="The recomputed due time equals the stored one.")
    started_at = serializers.DateTimeField(required=False)
    started_at_local = serializers.CharField(required=False)
    rule = serializers.ChoiceField(choices=["business_window", "elapsed", "working_days", "earliest"], required=False)
    paused_seconds = serializers.FloatField(required=False, help_text="Time a suspension moved the deadline on.")
    window = ExplanationWindowSerializer(required=False)
    working_days = ExplanationWorkingDaysSerializer(required=False)
    steps = serializers.ListField(child=serializers.CharField(), help_text="The computation, in words.")
    policies = ExplanationPolicySerializer(many=True, required=False)


class ExplainedMixin(serializers.Serializer):
    """Adds `explanations`: one per deadline the case has now."""

    explanations = serializers.SerializerMethodField(
        help_text="How each deadline the case has now was computed, and the policy versions it used."
    )

    @extend_schema_field(DeadlineExplanationSerializer(many=True))
    def get_explanations(self, obj: Any) -> list[dict[str, Any]]:
        return deadline_explanations(obj)
