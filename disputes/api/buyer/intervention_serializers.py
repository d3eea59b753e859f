"""Input and output shapes for platform intervention (客服介入). Both parties read the same case record and send
the same evidence, responses, appeals and withdrawals, so those shapes live here and the merchant side reuses
them; only opening a case differs. Input is type-checked here; the rules live in disputes.services.interventions."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disputes.api.common import BIGINT_MAX
from disputes.api.explanations import ExplainedMixin
from disputes.models import (
    Appeal,
    CaseState,
    EvidenceItem,
    EvidenceRequest,
    Ground,
    Intervention,
    Judgment,
    MediationProposal,
    SuspendReason,
)
from disputes.selectors.interventions import open_proposals_of
from disputes.services.interventions.common import MAX_FILES, MAX_TEXT

FILES_HELP = (
    f"Evidence: images (JPEG, PNG, WebP, GIF), videos (MP4, MOV, WebM) or PDF, checked by content, at most "
    f"{MAX_FILES} files of {settings.EVIDENCE_MAX_BYTES} bytes each. Repeat the `files` part once per file."
)


def _files_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, max_length=MAX_FILES, help_text=FILES_HELP
    )


# --- input: opening (buyer) ------------------------------------------------------------------------


class BuyerInterventionOpenSerializer(serializers.Serializer):
    """A buyer asks for intervention: after the merchant refused a refund (name the refund), or on a listed
    ground without a refund (name the order item)."""

    refund = serializers.IntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        required=False,
        help_text="Id of the refused refund request the case is about.",
    )
    order_item = serializers.IntegerField(
        min_value=1,
        max_value=BIGINT_MAX,
        required=False,
        help_text="Id of one of the buyer's order items, when there is no refund.",
    )
    ground = serializers.ChoiceField(choices=Ground.choices)
    claim = serializers.CharField(max_length=MAX_TEXT, help_text="What the buyer asks for and why.")


class BuyerInterventionOpenUploadSerializer(BuyerInterventionOpenSerializer):
    """The same request sent as multipart/form-data, with evidence files."""

    files = _files_field()


# --- input: actions of either party --------------------------------------------------------------


class InterventionEvidenceSubmitSerializer(serializers.Serializer):
    """Evidence from a party: text, files, or both (multipart/form-data)."""

    text = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    files = _files_field()


class InterventionRespondSerializer(serializers.Serializer):
    """A party's answer to the open mediation proposal."""

    accept = serializers.BooleanField(help_text="true accepts the terms; false declines them.")


class InterventionAppealSerializer(serializers.Serializer):
    """An appeal (申诉) of the judgment: new reasons, or new evidence files (not already submitted in the case), or
    both (multipart/form-data)."""

    reasons = serializers.CharField(max_length=MAX_TEXT)
    files = _files_field()


class InterventionWithdrawSerializer(serializers.Serializer):
    """Why the applicant withdraws the case (optional)."""

    reason = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


# --- output --------------------------------------------------------------------------------------


class InterventionEvidenceItemSerializer(serializers.ModelSerializer):
    """One piece of evidence: who gave it, its text or the file's metadata. The file itself stays in private
    storage; there is no URL."""

    party_label = serializers.CharField(source="get_party_display", read_only=True)

    class Meta:
        model = EvidenceItem
        fields = [
            "id",
            "party",
            "party_label",
            "text",
            "original_name",
            "content_type",
            "size",
            "submitted_at",
            "for_appeal",
        ]
        read_only_fields = fields


class InterventionAskedEvidenceSerializer(serializers.ModelSerializer):
    """Staff ask the caller for more evidence by `due_at`; the caller may submit until then."""

    class Meta:
        model = EvidenceRequest
        fields = ["id", "party", "note", "due_at", "requested_at"]
        read_only_fields = fields


class InterventionProposalSerializer(serializers.ModelSerializer):
    """The open mediation proposal (调解): an agreement, executed at once, when both parties accept."""

    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)

    class Meta:
        model = MediationProposal
        fields = [
            "id",
            "outcome",
            "outcome_label",
            "refund_fen",
            "compensation_points",
            "terms",
            "proposed_at",
            "buyer_accepted_at",
            "merchant_accepted_at",
        ]
        read_only_fields = fields


class InterventionJudgmentSerializer(serializers.ModelSerializer):
    """A judgment (判决) or executed agreement; one overturned on review is `superseded` and its postings reversed."""

    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)
    superseded = serializers.BooleanField(read_only=True, help_text="True when a review overturned this judgment.")

    class Meta:
        model = Judgment
        fields = [
            "id",
            "outcome",
            "outcome_label",
            "refund_fen",
            "compensation_points",
            "violation_kind",
            "reasons",
            "judged_at",
            "via_agreement",
            "via_review",
            "supersedes",
            "superseded",
            "executed_at",
            "reversed_at",
        ]
        read_only_fields = fields


class InterventionAppealOutputSerializer(serializers.ModelSerializer):
    """An appeal (申诉) and, once reviewed (复审), the outcome of the review."""

    party_label = serializers.CharField(source="get_party_display", read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "judgment",
            "party",
            "party_label",
            "reasons",
            "appealed_at",
            "reviewed_at",
            "overturned",
            "review_reasons",
        ]
        read_only_fields = fields


class InterventionCaseSerializer(serializers.ModelSerializer):
    """One case as a party sees it: stage, tier, every deadline, what is asked of the caller, the evidence of
    both sides, the open proposal, the judgments and the appeal."""

    number = serializers.CharField(read_only=True)
    stage = serializers.ChoiceField(choices=CaseState.choices, source="state", read_only=True)
    stage_label = serializers.CharField(source="get_state_display", read_only=True)
    tier_label = serializers.CharField(source="get_tier_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    ground_label = serializers.CharField(source="get_ground_display", read_only=True)
    # A plain string: the buyer/merchant choice set is already named by the `party` fields.
    applicant = serializers.CharField(read_only=True, help_text="Who asked for intervention: buyer or merchant.")
    applicant_label = serializers.CharField(source="get_applicant_display", read_only=True)
    merchant_shop_name = serializers.CharField(source="merchant.shop_name", read_only=True)
    buyer_nickname = serializers.CharField(source="buyer.nickname", read_only=True)
    order_no = serializers.CharField(source="order_item.order.order_no", read_only=True)
    product_title = serializers.CharField(source="order_item.product.title", read_only=True)
    # Declared so the document says what is sent: "" while the case is not suspended.
    suspend_reason = serializers.ChoiceField(
        choices=SuspendReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why the case is suspended; empty while it is not.",
    )
    open_evidence_requests = InterventionAskedEvidenceSerializer(
        many=True, read_only=True, help_text="Requests for more evidence addressed to the caller, still open."
    )
    evidence = InterventionEvidenceItemSerializer(many=True, read_only=True)
    open_proposal = serializers.SerializerMethodField()
    judgments = InterventionJudgmentSerializer(many=True, read_only=True)
    appeal = serializers.SerializerMethodField()

    class Meta:
        model = Intervention
        fields = [
            "id",
            "number",
            "stage",
            "stage_label",
            "tier",
            "tier_label",
            "express",
            "channel",
            "channel_label",
            "ground",
            "ground_label",
            "applicant",
            "applicant_label",
            "claim",
            "merchant_shop_name",
            "buyer_nickname",
            "order_item",
            "order_no",
            "product_title",
            "refund",
            "applied_at",
            "accepted_at",
            "evidence_due_at",
            "merchant_answer_due_at",
            "decision_due_at",
            "appeal_due_at",
            "suspend_reason",
            "resume_due_at",
            "closed_at",
            "outcome_note",
            "open_evidence_requests",
            "evidence",
            "open_proposal",
            "judgments",
            "appeal",
        ]
        read_only_fields = fields

    @extend_schema_field(InterventionProposalSerializer(allow_null=True))
    def get_open_proposal(self, obj: Intervention) -> dict | None:
        """The proposal waiting for the parties' answers, if any (at most one is open)."""
        proposals = open_proposals_of(obj)  # loaded by the selector: open ones only
        return InterventionProposalSerializer(proposals[0]).data if proposals else None

    @extend_schema_field(InterventionAppealOutputSerializer(allow_null=True))
    def get_appeal(self, obj: Intervention) -> dict | None:
        """The appeal of the case, if any (a review is final, so there is at most one)."""
        appeals = list(obj.appeals.all())
        return InterventionAppealOutputSerializer(appeals[-1]).data if appeals else None


class InterventionCaseDetailSerializer(ExplainedMixin, InterventionCaseSerializer):
    """One case in full, with the explanation of each of its deadlines (the list leaves them out)."""

    class Meta(InterventionCaseSerializer.Meta):
        fields = [*InterventionCaseSerializer.Meta.fields, "explanations"]
        read_only_fields = fields
