"""Every duration and amount of RULES.md with its default: loaded into Policy rows by a data migration.

Business code never reads these numbers directly; it reads the Policy table (disputes.policies),
so staff edits in the admin take effect. This module is only the seed and the list of known keys.
"""

from typing import NamedTuple

from django.utils.translation import gettext_noop

# Values that must stay in order, (lower, higher, strictly): policy_update refuses a change that breaks one.
ORDERED_PAIRS: tuple[tuple[str, str, bool], ...] = (
    ("help.window_start", "help.window_end", True),  # the 09:00–18:00 window of the 1-hour deadline
    ("refund.damage_penalty_min", "refund.damage_penalty_max", False),
    ("standard.install.min", "standard.install.max", False),
)


class PolicyDefault(NamedTuple):
    key: str
    group: str
    unit: str
    value: int
    label: str


# Units: seconds, minutes, hours, days, working_days (durations); clock (HHMM, e.g. 900 = 09:00);
# points, fen (amounts); percent; multiplier.
POLICY_DEFAULTS: tuple[PolicyDefault, ...] = (
    # One-click help (RULES.md section 1)
    PolicyDefault("help.cancel_window", "help", "seconds", 10, gettext_noop("Help request: buyer cancel window")),
    PolicyDefault("help.window_start", "help", "clock", 900, gettext_noop("Help request: 1-hour SLA window opens")),
    PolicyDefault("help.window_end", "help", "clock", 1800, gettext_noop("Help request: 1-hour SLA window closes")),
    PolicyDefault("help.solution_sla", "help", "minutes", 60, gettext_noop("Help request: solution deadline")),
    PolicyDefault("help.resolution_sla", "help", "hours", 48, gettext_noop("Help request: resolution deadline")),
    PolicyDefault(
        "help.auto_confirm_after",
        "help",
        "hours",
        24,
        gettext_noop("Help request: resolution auto-confirmed after"),
    ),
    PolicyDefault("help.at_risk_before", "help", "minutes", 15, gettext_noop("Help request: at risk when due within")),
    PolicyDefault(
        "refund.at_risk_before", "refund", "minutes", 15, gettext_noop("Refund: automatic action soon when due within")
    ),
    PolicyDefault("help.solution_penalty", "help", "points", 5000, gettext_noop("Help request: 1-hour miss penalty")),
    # 48-hour penalties per service standard (RULES.md section 6)
    PolicyDefault(
        "standard.delivery_install.not_provided",
        "help",
        "points",
        30000,
        gettext_noop("Delivery and installation: 48-hour penalty, not provided"),
    ),
    PolicyDefault(
        "standard.delivery_install.late",
        "help",
        "points",
        5000,
        gettext_noop("Delivery and installation: 48-hour penalty, late"),
    ),
    PolicyDefault(
        "standard.home_delivery.not_provided",
        "help",
        "points",
        30000,
        gettext_noop("Delivery into the home: 48-hour penalty, not provided"),
    ),
    PolicyDefault(
        "standard.home_delivery.late",
        "help",
        "points",
        5000,
        gettext_noop("Delivery into the home: 48-hour penalty, late"),
    ),
    PolicyDefault(
        "standard.warranty.multiplier",
        "help",
        "multiplier",
        15,
        gettext_noop("Three-year warranty: penalty points per 元 of item price"),
    ),
    PolicyDefault("standard.warranty.max", "help", "points", 100000, gettext_noop("Three-year warranty: penalty cap")),
    PolicyDefault(
        "standard.install.percent",
        "help",
        "percent",
        10,
        gettext_noop("Installation: penalty share of item price"),
    ),
    PolicyDefault("standard.install.min", "help", "points", 5000, gettext_noop("Installation: penalty minimum")),
    PolicyDefault("standard.install.max", "help", "points", 50000, gettext_noop("Installation: penalty cap")),
    # Refunds and after-sales (RULES.md section 2)
    PolicyDefault(
        "refund.unshipped_merchant_silent",
        "refund",
        "hours",
        24,
        gettext_noop("Refund: unshipped, merchant silent"),
    ),
    PolicyDefault(
        "refund.shipped_refund_only_silent",
        "refund",
        "hours",
        48,
        gettext_noop("Refund: shipped refund-only, merchant silent"),
    ),
    PolicyDefault(
        "refund.return_merchant_silent",
        "refund",
        "days",
        2,
        gettext_noop("Return and refund: merchant silent"),
    ),
    PolicyDefault(
        "refund.buyer_ship_return", "refund", "days", 7, gettext_noop("Return: buyer ships the goods within")
    ),
    PolicyDefault(
        "refund.merchant_confirm_receipt",
        "refund",
        "days",
        10,
        gettext_noop("Return: merchant confirms receipt within"),
    ),
    PolicyDefault(
        "refund.merchant_confirm_after_signed",
        "refund",
        "days",
        3,
        gettext_noop("Return: merchant confirms within, once logistics show it signed"),
    ),
    PolicyDefault(
        "refund.refused_buyer_silent",
        "refund",
        "days",
        7,
        gettext_noop("Refund refused: closed if the buyer neither modifies nor escalates within"),
    ),
    PolicyDefault("refund.after_sales_window", "refund", "days", 15, gettext_noop("After-sales window")),
    PolicyDefault("refund.seven_day_window", "refund", "days", 7, gettext_noop("7-day no-reason return window")),
    PolicyDefault(
        "refund.shipping_cover", "refund", "points", 1000, gettext_noop("Return shipping cover compensation")
    ),
    PolicyDefault(
        "refund.damage_claim_window", "refund", "hours", 72, gettext_noop("Damage claim window after signing")
    ),
    PolicyDefault(
        "refund.damage_merchant_silent", "refund", "hours", 24, gettext_noop("Damage claim: merchant silent")
    ),
    PolicyDefault("refund.damage_penalty_percent", "refund", "percent", 20, gettext_noop("Damage penalty share")),
    PolicyDefault("refund.damage_penalty_min", "refund", "fen", 500, gettext_noop("Damage penalty minimum")),
    PolicyDefault("refund.damage_penalty_max", "refund", "fen", 5000, gettext_noop("Damage penalty cap")),
    PolicyDefault(
        "refund.instant_quota.ordinary",
        "refund",
        "fen",
        30000,
        gettext_noop("Instant-refund quota: ordinary buyer"),
    ),
    PolicyDefault(
        "refund.instant_quota.good", "refund", "fen", 60000, gettext_noop("Instant-refund quota: good buyer")
    ),
    PolicyDefault(
        "refund.instant_quota.excellent",
        "refund",
        "fen",
        90000,
        gettext_noop("Instant-refund quota: excellent buyer"),
    ),
    PolicyDefault(
        "refund.instant_quota.outstanding",
        "refund",
        "fen",
        120000,
        gettext_noop("Instant-refund quota: outstanding buyer"),
    ),
    PolicyDefault(
        "refund.advance_repay_window",
        "refund",
        "days",
        7,
        gettext_noop("Advance repayment window after notice"),
    ),
    # Platform intervention (RULES.md section 4)
    PolicyDefault("intervention.evidence_window", "intervention", "days", 3, gettext_noop("Evidence window")),
    PolicyDefault(
        "intervention.merchant_answer",
        "intervention",
        "hours",
        24,
        gettext_noop("Merchant answer after buyer evidence"),
    ),
    PolicyDefault(
        "intervention.decision_due",
        "intervention",
        "working_days",
        6,
        gettext_noop("Decision due after acceptance"),
    ),
    PolicyDefault("intervention.appeal_window", "intervention", "days", 7, gettext_noop("Appeal window")),
    PolicyDefault(
        "intervention.at_risk_before", "intervention", "hours", 24, gettext_noop("Decision at risk when due within")
    ),
    PolicyDefault(
        "intervention.virtual_goods_wait",
        "intervention",
        "days",
        3,
        gettext_noop("Virtual goods: intervention only after"),
    ),
    PolicyDefault(
        "intervention.suspend_self_settle",
        "intervention",
        "days",
        30,
        gettext_noop("Suspension: self-settlement"),
    ),
    PolicyDefault(
        "intervention.suspend_court_proof",
        "intervention",
        "working_days",
        7,
        gettext_noop("Suspension: proof of court or police acceptance"),
    ),
    PolicyDefault(
        "intervention.suspend_police",
        "intervention",
        "days",
        180,
        gettext_noop("Suspension: police conclusion"),
    ),
    # Merchant violations (RULES.md section 5)
    PolicyDefault(
        "violation.breach_of_promise_points",
        "violation",
        "count",
        4,
        gettext_noop("Violation points: breach of promise (违背承诺)"),
    ),
    PolicyDefault(
        "violation.refuse_return_points",
        "violation",
        "count",
        6,
        gettext_noop("Violation points: refusing return obligations"),
    ),
    PolicyDefault(
        "violation.appeal_window",
        "violation",
        "days",
        7,
        gettext_noop("Violation: the merchant may appeal a counted violation within"),
    ),
)
