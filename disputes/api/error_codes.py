"""Every refusal code each API operation can answer, by status: the one list the OpenAPI document publishes (a
merchant's engineer reads "which codes must my integration handle?" off each operation) and the API tests hold
the API to (tests/api/conftest.py fails a test that provokes a code its operation does not declare here).

Statuses mean one thing each (disputes.errors): 400 malformed input, 401/403 authentication and permission, 404
absent or not the caller's, 409 the case has moved on, 415 a body type the operation does not take, 422 a business
rule refused a well-formed request, 429 throttled.

A 400 that names fields also carries `field_codes`, one stable code per field (disputes.errors.field_code):
`<field>_required`, `<field>_too_long`, `invalid_<field>` or the field's own code (`invalid_amount`). Those are
read off the operation's inputs (disputes.api.schema) and are not repeated here; codes a service gives are."""

Codes = dict[int, tuple[str, ...]]

# Every operation: a body or parameter that cannot be read, no valid token, an unknown id, too many calls.
EVERY: Codes = {
    400: ("invalid", "parse_error", "request_too_large"),
    401: ("not_authenticated", "authentication_failed"),
    404: ("not_found",),
    429: ("throttled",),
}
# Every POST (disputes.api.idempotency, and DRF's own body parsing).
WRITES: Codes = {
    400: ("invalid_idempotency_key",),
    409: ("idempotency_request_in_flight",),
    415: ("unsupported_media_type",),
    422: ("idempotency_key_reused",),
}
BUYER: Codes = {403: ("buyer_required",)}
MERCHANT: Codes = {403: ("party_required",)}
# An operation that takes files (disputes.evidence).
UPLOADS: Codes = {
    400: (
        "evidence_empty",
        "evidence_too_large",
        "evidence_type_refused",
        "evidence_image_too_large",
        "evidence_image_invalid",
        "evidence_polyglot",
        "evidence_pdf_active_content",
        "evidence_pdf_unreadable",
        "too_many_files",
    )
}

HELP: Codes = {404: ("help_request_not_found",)}
REFUND: Codes = {404: ("refund_not_found",)}
CASE: Codes = {404: ("intervention_not_found",)}
# The steps of a refund that an open intervention case or a pending express claim holds (disputes.models.refunds).
REFUND_HELD: Codes = {409: ("invalid_transition", "intervention_open", "express_claim_pending")}
# Asking for intervention on a refund (disputes.services.refunds.escalation → interventions.opening).
ESCALATION: Codes = {
    409: ("intervention_not_available",),
    422: ("intervention_exists", "virtual_goods_wait", "refund_not_refused", "merchant_ground", "ground_mismatch"),
}
CASE_OPENING: Codes = {
    400: ("subject_required",),
    404: ("order_item_not_found", "refund_not_found"),
    422: ("intervention_exists", "virtual_goods_wait", "refund_not_refused", "merchant_ground", "ground_mismatch"),
}
CASE_EVIDENCE: Codes = {400: ("evidence_empty",), 409: ("evidence_closed",), 422: ("evidence_window_closed",)}
CASE_RESPOND: Codes = {404: ("proposal_not_found",), 409: ("invalid_transition", "proposal_closed")}
CASE_APPEAL: Codes = {
    409: ("invalid_transition", "agreement_final"),
    422: ("appeal_window_closed", "appeal_nothing_new", "appeal_file_already_submitted"),
}
# Webhook endpoints (disputes.api.merchant.webhooks): the merchant's own, and URLs on the public internet only
# (disputes.webhooks.safety; `url_not_public` is the url field's own code, disputes.errors.PROBLEM_CODES).
WEBHOOK: Codes = {404: ("webhook_endpoint_not_found",)}
WEBHOOK_URL: Codes = {400: ("url_not_public",)}
# A PATCH takes JSON like a POST, but has no Idempotency-Key (it is idempotent itself).
WEBHOOK_UPDATE: Codes = {400: ("url_not_public",), 415: ("unsupported_media_type",)}
CASE_WITHDRAW: Codes = {403: ("applicant_only",), 409: ("invalid_transition",)}
# The merchant's money (disputes.api.merchant.money): a merchant's API user only, its own violations.
MONEY: Codes = {403: ("merchant_required",)}
VIOLATION: Codes = {404: ("violation_not_found",)}

_REFUND_APPLY_RULES = (
    "order_closed",
    "refund_exists",
    "reopen_refused",
    "after_sales_window_passed",
    "not_shipped",
    "seven_day_needs_return",
    "seven_day_excluded",
    "seven_day_not_signed",
    "seven_day_window_passed",
    "no_damage_guarantee",
    "damage_reason_required",
    "damage_claim_window_passed",
    "amount_exceeds_refundable",
)

OPERATIONS: dict[str, list[Codes]] = {
    # One-click help, the buyer's side (disputes.api.buyer.views).
    "buyer-help-request.list": [BUYER],
    "buyer-help-request.retrieve": [BUYER, HELP],
    "buyer-help-request.create": [
        BUYER,
        WRITES,
        {
            400: ("service_kind_required",),
            404: ("order_item_not_found",),
            422: ("order_closed", "service_not_eligible", "service_not_on_item", "city_not_supported"),
        },
        {422: ("help_request_exists",)},
    ],
    "buyer-help-request.cancel": [BUYER, WRITES, HELP, {409: ("invalid_transition",), 422: ("cancel_window_passed",)}],
    "buyer-help-request.confirm": [BUYER, WRITES, HELP, {409: ("invalid_transition",)}],
    "buyer-help-request.object_to_resolution": [
        BUYER,
        WRITES,
        HELP,
        {409: ("invalid_transition",), 422: ("objection_window_passed",)},
    ],
    "buyer-help-request.complaint": [BUYER, WRITES, HELP, {422: ("complaint_exists", "already_compensated")}],
    # One-click help, the merchant's or service provider's side (disputes.api.merchant.views).
    "merchant-help-request.list": [MERCHANT],
    "merchant-help-request.retrieve": [MERCHANT, HELP],
    "merchant-help-request.solution": [
        MERCHANT,
        WRITES,
        HELP,
        {409: ("invalid_transition",), 422: ("appointment_in_past",)},
    ],
    "merchant-help-request.resolve": [MERCHANT, WRITES, HELP, {409: ("invalid_transition",)}],
    "merchant-help-request.force_majeure": [
        MERCHANT,
        WRITES,
        HELP,
        UPLOADS,
        {409: ("no_such_deadline", "deadline_not_running"), 422: ("deadline_passed", "claim_exists")},
    ],
    # Refunds, the buyer's side (disputes.api.buyer.refunds).
    "buyer-refund.list": [BUYER],
    "buyer-refund.retrieve": [BUYER, REFUND],
    "buyer-refund.create": [
        BUYER,
        WRITES,
        UPLOADS,
        {400: ("invalid_amount", "amount_not_allowed"), 404: ("order_item_not_found",), 422: _REFUND_APPLY_RULES},
    ],
    "buyer-refund.modify": [
        BUYER,
        WRITES,
        REFUND,
        REFUND_HELD,
        {
            400: ("invalid_amount", "amount_not_allowed"),
            422: (
                "amount_exceeds_refundable",
                "amount_locked_by_advance",
                "damage_reason_required",
                "seven_day_needs_return",
                "seven_day_excluded",
                "seven_day_not_signed",
                "seven_day_window_passed",
            ),
        },
    ],
    "buyer-refund.cancel": [BUYER, WRITES, REFUND, REFUND_HELD],
    "buyer-refund.ship_return": [BUYER, WRITES, REFUND, REFUND_HELD, {422: ("refund_type_mismatch",)}],
    "buyer-refund.express_claim": [
        BUYER,
        WRITES,
        REFUND,
        UPLOADS,
        {
            400: ("photos_required",),
            409: ("invalid_transition", "express_not_available", "express_claim_pending", "intervention_open"),
            422: ("express_rating_required", "express_reason", "after_sales_window_passed"),
        },
    ],
    "buyer-refund.intervention": [BUYER, WRITES, REFUND, ESCALATION],
    # Refunds, the merchant's side (disputes.api.merchant.refunds).
    "merchant-refund.list": [MERCHANT],
    "merchant-refund.retrieve": [MERCHANT, REFUND],
    "merchant-refund.agree": [MERCHANT, WRITES, REFUND, REFUND_HELD, {422: ("refund_type_mismatch",)}],
    "merchant-refund.refuse": [MERCHANT, WRITES, REFUND, REFUND_HELD, UPLOADS],
    "merchant-refund.confirm_goods": [MERCHANT, WRITES, REFUND, REFUND_HELD, {422: ("refund_type_mismatch",)}],
    "merchant-refund.refuse_goods": [MERCHANT, WRITES, REFUND, REFUND_HELD, UPLOADS, {422: ("refund_type_mismatch",)}],
    "merchant-refund.reship": [MERCHANT, WRITES, REFUND, REFUND_HELD, {422: ("refund_type_mismatch",)}],
    "merchant-refund.intervention": [MERCHANT, WRITES, REFUND, ESCALATION],
    # Platform intervention, both sides (disputes.api.buyer.interventions, disputes.api.merchant.interventions).
    "buyer-intervention.list": [BUYER],
    "buyer-intervention.retrieve": [BUYER, CASE],
    "buyer-intervention.create": [BUYER, WRITES, UPLOADS, CASE_OPENING],
    "buyer-intervention.evidence": [BUYER, WRITES, CASE, UPLOADS, CASE_EVIDENCE],
    "buyer-intervention.respond": [BUYER, WRITES, CASE, CASE_RESPOND],
    "buyer-intervention.appeal": [BUYER, WRITES, CASE, UPLOADS, CASE_APPEAL],
    "buyer-intervention.withdraw": [BUYER, WRITES, CASE, CASE_WITHDRAW],
    "merchant-intervention.list": [MERCHANT],
    "merchant-intervention.retrieve": [MERCHANT, CASE],
    "merchant-intervention.create": [MERCHANT, WRITES, UPLOADS, CASE_OPENING],
    "merchant-intervention.evidence": [MERCHANT, WRITES, CASE, UPLOADS, CASE_EVIDENCE],
    "merchant-intervention.respond": [MERCHANT, WRITES, CASE, CASE_RESPOND],
    "merchant-intervention.appeal": [MERCHANT, WRITES, CASE, UPLOADS, CASE_APPEAL],
    "merchant-intervention.withdraw": [MERCHANT, WRITES, CASE, CASE_WITHDRAW],
    # The event feeds (disputes.api.events).
    "merchant-event.list": [{403: ("merchant_required",)}],
    "buyer-event.list": [BUYER],
    # Money at risk (disputes.api.merchant.at_risk); its parameters' codes (invalid_order, ...) come from the inputs.
    "merchant-at-risk.list": [{403: ("merchant_required",)}],
    # The buyer's points and order items (disputes.api.buyer.money); the order-item actions' refusal codes are
    # the raise operations' (buyer-help-request.create, buyer-refund.create), given as data, not as errors.
    "buyer-points.list": [BUYER],
    "buyer-points-entry.list": [BUYER],
    "buyer-points-entry.retrieve": [BUYER, {404: ("points_entry_not_found",)}],
    "buyer-order-item.list": [BUYER],
    "buyer-order-item.retrieve": [BUYER, {404: ("order_item_not_found",)}],
    # Webhook endpoints, the merchant's side (disputes.api.merchant.webhooks).
    "merchant-webhook-endpoint.list": [MERCHANT],
    "merchant-webhook-endpoint.retrieve": [MERCHANT, WEBHOOK],
    "merchant-webhook-endpoint.create": [MERCHANT, WRITES, WEBHOOK_URL],
    "merchant-webhook-endpoint.partial_update": [MERCHANT, WEBHOOK, WEBHOOK_UPDATE],
    "merchant-webhook-endpoint.destroy": [MERCHANT, WEBHOOK],
    "merchant-webhook-endpoint.rotate_secret": [MERCHANT, WRITES, WEBHOOK],
    "merchant-webhook-endpoint.deliveries": [MERCHANT, WEBHOOK],
    # The merchant's money (disputes.api.merchant.money).
    "merchant-account.list": [MONEY],
    "merchant-statement.list": [MONEY],
    "merchant-statement.export": [MONEY],
    "merchant-statement.retrieve": [MONEY, {404: ("statement_entry_not_found",)}],
    "merchant-penalty.list": [MONEY],
    "merchant-violation.list": [MONEY],
    "merchant-violation.retrieve": [MONEY, VIOLATION],
    "merchant-violation.points": [MONEY],
    "merchant-violation.appeal": [
        MONEY,
        WRITES,
        VIOLATION,
        {409: ("invalid_transition",), 422: ("already_appealed", "appeal_window_closed")},
    ],
}


def codes_of(operation: str) -> Codes:
    """All codes `operation` ("<router basename>.<action>") can answer, by status, EVERY included."""
    merged: dict[int, list[str]] = {}
    for part in [EVERY, *OPERATIONS.get(operation, [])]:
        for status, codes in part.items():
            known = merged.setdefault(status, [])
            known.extend(code for code in codes if code not in known)
    return {status: tuple(codes) for status, codes in sorted(merged.items())}
