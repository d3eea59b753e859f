"""Buyer endpoints for platform intervention (客服介入): open a case, list and read their own cases, send evidence,
answer a mediation proposal, appeal a judgment, withdraw. The actions both parties share live in
InterventionCaseActions, which the merchant viewset reuses."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from disputes.api.base import JSON_OR_MULTIPART, CaseViewSet
from disputes.api.buyer.intervention_serializers import (
    BuyerInterventionOpenSerializer,
    BuyerInterventionOpenUploadSerializer,
    InterventionAppealSerializer,
    InterventionCaseDetailSerializer,
    InterventionCaseSerializer,
    InterventionEvidenceSubmitSerializer,
    InterventionRespondSerializer,
    InterventionWithdrawSerializer,
)
from disputes.api.permissions import IsBuyer, caller
from disputes.models import Intervention
from disputes.selectors.interventions import intervention_from, interventions_for_buyer, proposal_of
from disputes.services.interventions.deciding import intervention_appeal
from disputes.services.interventions.mediation import intervention_respond
from disputes.services.interventions.opening import intervention_open
from disputes.services.interventions.workflow import intervention_submit_evidence, intervention_withdraw

TAGS = ["buyer: platform intervention"]


class InterventionCaseActions(CaseViewSet):
    """Reading cases and the actions either party takes on one; a subclass names the caller's scope.

    Every action first reads the case through the caller's scope (outside it a case does not exist: 404),
    then calls the service, then answers with the case as it now stands.
    """

    queryset = Intervention.objects.none()  # the real one is scoped per caller in get_queryset
    serializer_class = InterventionCaseDetailSerializer
    scope: Callable[[Any], QuerySet[Intervention]]

    def get_serializer_class(self) -> type:
        # The list leaves the explanations out: they read the policies' history, per case.
        return InterventionCaseSerializer if self.action == "list" else InterventionCaseDetailSerializer

    def get_queryset(self) -> QuerySet[Intervention]:
        if getattr(self, "swagger_fake_view", False):
            return Intervention.objects.none()
        return type(self).scope(self.request.user)

    def get_object(self) -> Intervention:
        return intervention_from(self.get_queryset(), self.kwargs["pk"])

    def _case(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        # Read again after the service: the lists (evidence, proposals, judgments) changed.
        found = intervention_from(type(self).scope(self.request.user), pk)
        return Response(
            InterventionCaseDetailSerializer(found, context=self.get_serializer_context()).data, status_code
        )

    @extend_schema(
        summary="Send evidence (举证): text and files",
        description=(
            "Accepted within the evidence window (policy `intervention.evidence_window`, 3 days by default); after "
            "it, the merchant while its time to answer the buyer's first evidence runs (`intervention.merchant_answer`"
            ", 24 hours by default), and either party until the due time of a staff request addressed to it. "
            "Otherwise `evidence_window_closed`. One bad file refuses the whole call (`evidence_type_refused`, "
            "`evidence_too_large`, `evidence_image_too_large`, `evidence_polyglot`, `evidence_pdf_active_content`...); "
            "nothing is stored then."
        ),
        request={"multipart/form-data": InterventionEvidenceSubmitSerializer},
        responses={201: InterventionCaseDetailSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def evidence(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = InterventionEvidenceSubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        intervention_submit_evidence(
            actor=caller(request),
            case_id=case.pk,
            text=form.validated_data["text"],
            files=form.validated_data.get("files", []),
        )
        return self._case(case.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept or decline the open mediation proposal (调解)",
        description=(
            "When both parties accept, the agreement closes the case and is executed at once. A declined or "
            "replaced proposal is `proposal_closed`; another case's proposal is `proposal_not_found`."
        ),
        parameters=[OpenApiParameter("proposal_id", int, OpenApiParameter.PATH, description="Id of the proposal.")],
        request=InterventionRespondSerializer,
        responses={200: InterventionCaseDetailSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"proposals/(?P<proposal_id>\d+)/respond",
        url_name="proposal-respond",
    )
    def respond(self, request: Request, pk: str, proposal_id: str) -> Response:
        case = self.get_object()
        proposal = proposal_of(case, proposal_id)
        form = InterventionRespondSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        intervention_respond(actor=caller(request), proposal_id=proposal.pk, accept=form.validated_data["accept"])
        return self._case(case.pk)

    @extend_schema(
        summary="Appeal the judgment (申诉) with new reasons and evidence",
        description=(
            "Within the appeal window after the judgment, its last second included (policy "
            "`intervention.appeal_window`, 7 days by default; `appeal_window_closed` after); a mediation agreement is "
            "final (`agreement_final`). The appeal brings something not already on file (422): a file identical to "
            "one already submitted in the case is refused (`appeal_file_already_submitted`), and without a new file, "
            "reasons that repeat the judgment's reasons or the caller's own earlier claim or evidence text, ignoring "
            "case, punctuation and spacing, are refused (`appeal_nothing_new`). A senior reviewer who did not judge "
            "the case decides; the review is final."
        ),
        request={"multipart/form-data": InterventionAppealSerializer},
        responses={201: InterventionCaseDetailSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def appeal(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = InterventionAppealSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        intervention_appeal(
            actor=caller(request),
            case_id=case.pk,
            reasons=form.validated_data["reasons"],
            files=form.validated_data.get("files", []),
        )
        return self._case(case.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw the case (before judgment; applicant only)",
        description="Only the party that applied may withdraw (`applicant_only`), and only before the judgment.",
        request=InterventionWithdrawSerializer,
        responses={200: InterventionCaseDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        case = self.get_object()
        form = InterventionWithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        intervention_withdraw(actor=caller(request), case_id=case.pk, reason=form.validated_data["reason"])
        return self._case(case.pk)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(
        summary="List my intervention cases",
        responses={200: InterventionCaseSerializer},
    ),
    retrieve=extend_schema(
        summary="Read one of my intervention cases",
        description="Stage, tier, every deadline, evidence requests addressed to me, the evidence of both "
        "parties (metadata only), the open mediation proposal, judgments and the appeal.",
        responses={200: InterventionCaseDetailSerializer},
    ),
)
class BuyerInterventionViewSet(InterventionCaseActions):
    """A buyer's platform intervention cases (客服介入); every write goes through a service."""

    permission_classes = [IsAuthenticated, IsBuyer]
    scope = staticmethod(interventions_for_buyer)
    create_parser_classes = JSON_OR_MULTIPART

    @extend_schema(
        summary="Ask for platform intervention",
        description=(
            "Name the refused refund (`refund`) or, for a listed ground without a refund, the order item "
            "(`order_item`). Sent as JSON, or as multipart/form-data with evidence files. Refusals: "
            "`refund_not_refused` (the merchant has not refused), `virtual_goods_wait` (virtual goods: a wait after "
            "the refund request, policy `intervention.virtual_goods_wait`), `ground_mismatch`, "
            "`intervention_exists`, `refund_not_found`, `order_item_not_found`, `subject_required`, "
            "`evidence_type_refused`..."
        ),
        request={
            "application/json": BuyerInterventionOpenSerializer,
            "multipart/form-data": BuyerInterventionOpenUploadSerializer,
        },
        responses={201: InterventionCaseDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        form = BuyerInterventionOpenUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        case = intervention_open(
            actor=caller(request),
            ground=data["ground"],
            claim=data["claim"],
            refund_id=data.get("refund"),
            order_item_id=data.get("order_item"),
            files=data.get("files", []),
        )
        return self._case(case.pk, status.HTTP_201_CREATED)
