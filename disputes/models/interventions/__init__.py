"""Platform intervention (客服介入 / 小二介入): the case, its evidence and evidence requests, mediation
proposals, judgments with their execution, appeals and reviews (RULES.md section 4)."""

from disputes.models.interventions.case import Intervention, party_of
from disputes.models.interventions.choices import (
    CASE_PENDING_STATES,
    OPEN_CASE_STATES,
    WORKING_STATES,
    CaseState,
    Channel,
    Ground,
    Outcome,
    Party,
    ProposalStatus,
    SuspendReason,
    Tier,
)
from disputes.models.interventions.records import Appeal, EvidenceItem, EvidenceRequest, Judgment, MediationProposal

__all__ = [
    "CASE_PENDING_STATES",
    "OPEN_CASE_STATES",
    "WORKING_STATES",
    "Appeal",
    "CaseState",
    "Channel",
    "EvidenceItem",
    "EvidenceRequest",
    "Ground",
    "Intervention",
    "Judgment",
    "MediationProposal",
    "Outcome",
    "Party",
    "ProposalStatus",
    "SuspendReason",
    "Tier",
    "party_of",
]
