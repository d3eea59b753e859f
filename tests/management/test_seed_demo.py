"""seed_demo: idempotent, refuses production, fills every staff queue whatever the hour it runs, dates nothing in
the future, and prints fixed API tokens."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import Max, Sum
from django_fsm_log.models import StateLog
from rest_framework.authtoken.models import Token

from disputes.choices import ServiceKind
from disputes.management.demo.data import ORDER_NOS
from disputes.models import (
    AdvanceState,
    Appeal,
    Buyer,
    BuyerPointsEntry,
    CaseState,
    ClaimStatus,
    DeadlineKind,
    ExpressClaim,
    ExpressStatus,
    ForceMajeureClaim,
    HelpRequest,
    HelpState,
    Intervention,
    MediationProposal,
    Merchant,
    MerchantUser,
    Order,
    OrderItem,
    OrderStatus,
    Policy,
    PolicyChange,
    Product,
    ProposalStatus,
    RefundRequest,
    RefundState,
    ServiceCommitment,
    ServiceDesignation,
    ServiceProvider,
    ServiceProviderUser,
    SupportedCity,
    Tier,
    Violation,
    ViolationStatus,
)
from disputes.roles import AGENT, SENIOR_AGENT, SUPERVISOR
from disputes.services.help_requests import help_request_raise

BJ = ZoneInfo("Asia/Shanghai")
IN_WINDOW = datetime(2026, 3, 2, 10, 0, tzinfo=BJ)  # a Monday, 09:00-18:00: a request raised now gets 1 hour
OFF_HOURS = datetime(2026, 3, 2, 20, 0, tzinfo=BJ)  # no 1-hour deadline for a request raised now
# Whenever a newcomer starts the demo: at night, just after the window opens, mid-afternoon, just after it closes,
# and in the National Day holiday: no working day for a week, so no decision can be due within the next 24 hours
# and the "decision at risk" queue is rightly empty (HOLIDAY_EMPTY).
HOLIDAY = datetime(2026, 10, 3, 11, 0, tzinfo=BJ)
HOLIDAY_EMPTY = ["intervention/?decision=at_risk"]
CLOCKS = [
    datetime(2026, 3, 2, 3, 0, tzinfo=BJ),
    datetime(2026, 3, 3, 9, 20, tzinfo=BJ),
    datetime(2026, 3, 4, 14, 0, tzinfo=BJ),
    datetime(2026, 3, 5, 18, 40, tzinfo=BJ),
    HOLIDAY,
]
# Deadlines and appointments lie ahead; every other date records something that happened.
AHEAD = ("due_at", "dispatch_at", "appointment_at")

COUNTED_MODELS = (
    SupportedCity,
    Merchant,
    ServiceProvider,
    ServiceDesignation,
    Buyer,
    get_user_model(),
    Product,
    Order,
    OrderItem,
    ServiceCommitment,
    HelpRequest,
    ForceMajeureClaim,
    RefundRequest,
    ExpressClaim,
    Intervention,
    Appeal,
    Violation,
    BuyerPointsEntry,
    StateLog,
    Token,
    MerchantUser,
    ServiceProviderUser,
)

# Every queue filter of the admin's three case lists, by its query string.
QUEUES = [
    *(f"helprequest/?queue={q}" for q in ("awaiting_solution", "at_risk", "breached", "force_majeure")),
    *(f"helprequest/?queue={q}" for q in ("objections", "followup")),
    *(f"refundrequest/?queue={q}" for q in ("express_claims", "wait_merchant", "wait_return", "wait_confirm")),
    *(f"refundrequest/?queue={q}" for q in ("refused", "intervention", "repayment_owed", "due_soon", "overdue")),
    "intervention/?assigned=me",
    "intervention/?assigned=unassigned",
    "intervention/?decision=at_risk",
    "intervention/?decision=breached",
]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """The demo's evidence photos are written to a media root of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "private-media"


def seed(*args: str, at: datetime = IN_WINDOW, tick: bool = False) -> str:
    out = StringIO()
    with time_machine.travel(at, tick=tick):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED_MODELS}


def credited(order: str) -> int:
    """Points credited to the buyer for the help request on the demo order `order` (a key of demo.data.ORDERS)."""
    request = HelpRequest.objects.get(order_item__order__order_no=ORDER_NOS[order])
    entries = BuyerPointsEntry.objects.filter(
        source_type=ContentType.objects.get_for_model(HelpRequest), source_id=request.pk
    )
    return entries.aggregate(total=Sum("amount"))["total"] or 0


@pytest.mark.django_db
def test_second_run_creates_nothing():
    seed()
    first = counts()
    output = seed()
    assert counts() == first
    assert "none created" in output
    assert (first["HelpRequest"], first["RefundRequest"], first["Intervention"]) == (18, 19, 13)
    assert (first["Merchant"], first["Buyer"]) == (5, 5)


@pytest.mark.django_db
@pytest.mark.parametrize("at", CLOCKS, ids=lambda at: at.strftime("%m-%d_%H%M"))
def test_every_queue_has_cases_and_nothing_is_dated_ahead(at, client):
    seed(at=at)
    client.force_login(get_user_model().objects.get(username="admin"))
    with time_machine.travel(at, tick=False):
        empty = []
        for queue in QUEUES:
            response = client.get(f"/admin/disputes/{queue}")
            assert response.status_code == 200, queue
            if response.context["cl"].result_count == 0:
                empty.append(queue)
    assert empty == (HOLIDAY_EMPTY if at == HOLIDAY else [])
    # Every stage of every case type, and of what hangs off the cases (RAISED lasts the 10-second cancel window).
    stages = [
        *((HelpRequest, "state", s) for s in HelpState.values if s != HelpState.RAISED),
        *((RefundRequest, "state", s) for s in RefundState.values),
        *((RefundRequest, "advance_state", s) for s in AdvanceState.values),
        *((Intervention, "state", s) for s in CaseState.values),
        *((Intervention, "tier", s) for s in Tier.values),
        *((ExpressClaim, "status", s) for s in ExpressStatus.values),
        *((ForceMajeureClaim, "status", s) for s in ClaimStatus.values),
        *((Violation, "status", s) for s in ViolationStatus.values),
        *((MediationProposal, "status", s) for s in ProposalStatus.values),
        (Intervention, "express", True),
        (Appeal, "reviewed_at__isnull", True),
        (Appeal, "overturned", True),
    ]
    missing = [(m.__name__, f, v) for m, f, v in stages if not m.objects.filter(**{f: v}).exists()]
    assert missing == []
    ahead = []
    for model in [*apps.get_app_config("disputes").get_models(), StateLog]:
        if model in (Policy, PolicyChange):  # made by the migrations, at the machine's real time
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.DateTimeField) and not f.name.endswith(AHEAD):
                latest = model.objects.aggregate(latest=Max(f.name))["latest"]
                if latest is not None and latest > at:
                    ahead.append(f"{model.__name__}.{f.name}")
    assert ahead == []


@pytest.mark.django_db
def test_penalties_credited_in_the_business_window():
    seed(at=IN_WINDOW)
    # Sofa, 送货入户并安装, never answered: 1-hour 5,000 + 48-hour "not provided" 30,000.
    assert credited("unanswered") == 35_000
    # Ceiling light 1,899 元, 预约安装, answered in time but still open at 48 h: 10 % = 18,990.
    assert credited("late") == 18_990
    # Air conditioner 3,299 元: force majeure rejected, so its 10 % (32,990) is credited after all.
    assert credited("fm_rejected") == 32_990
    # Flooring: the claim is still pending, so the penalty is held; the approved claim voids it.
    assert credited("fm_held") == 0
    assert credited("fm_approved") == 0
    assert Violation.objects.filter(status=ViolationStatus.HELD).count() == 1
    assert Violation.objects.filter(status=ViolationStatus.EXEMPTED).count() == 1
    # Follow-up queue: the 48-hour misses, one already called back.
    queued = HelpRequest.objects.filter(followup_queued_at__isnull=False)
    assert queued.filter(followup_done_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_one_hour_deadlines_at_night():
    seed(at=OFF_HOURS)
    # Raised "now" at 20:00: no 1-hour deadline; but the stories that need one are dated into the daytime window.
    assert not HelpRequest.objects.filter(raised_at__gte=OFF_HOURS.replace(hour=18)).exclude(solution_due_at=None)
    assert credited("unanswered") == 35_000
    assert Violation.objects.filter(deadline=DeadlineKind.SOLUTION).exists()
    # The pending claim falls back to the 48-hour deadline when there is no 1-hour one.
    claim = ForceMajeureClaim.objects.get(status=ClaimStatus.PENDING, help_request__state=HelpState.DISPATCHED)
    assert claim.deadline == DeadlineKind.RESOLUTION


@pytest.mark.django_db
def test_at_risk_of_the_one_hour_deadline_in_the_afternoon():
    at = datetime(2026, 3, 4, 14, 0, tzinfo=BJ)
    seed(at=at)
    soon = HelpRequest.objects.filter(solution_due_at__gt=at, solution_due_at__lte=at + timedelta(minutes=15))
    assert [(r.state, (r.solution_due_at - at).total_seconds()) for r in soon] == [(HelpState.DISPATCHED, 600)]


@pytest.mark.django_db
def test_catalogue_orders_and_parties():
    seed()
    assert set(ServiceCommitment.objects.values_list("kind", flat=True)) == set(ServiceKind.values)
    assert set(Order.objects.values_list("status", flat=True)) == set(OrderStatus.values)
    supported = set(SupportedCity.objects.values_list("name", flat=True))
    assert {"杭州", "上海", "北京", "广州", "深圳", "成都", "武汉", "南京"} <= supported
    assert Order.objects.exclude(city__in=supported).exists()
    categories = set(Product.objects.values_list("category_path", flat=True))
    for prefix in (
        "家装主材/基础建材",
        "家装大件/家具",
        "灯具灯饰",
        "家电",
        "收纳整理",
        "家装/",
        "女装",
        "零食/生鲜",
        "数码",
    ):
        assert any(c.startswith(prefix) for c in categories), prefix
    assert Product.objects.get(category_path__startswith="零食/生鲜").seven_day_exclusion == "perishable"
    assert Product.objects.get(category_path__startswith="数码").seven_day_exclusion == "unsealed_digital"
    quotas = dict(Buyer.objects.values_list("credit_rating", "instant_refund_quota_fen").distinct())
    assert quotas == {"ordinary": 30_000, "good": 60_000, "excellent": 90_000, "outstanding": 120_000}
    assert Merchant.objects.exclude(return_address="").count() == 5
    assert ServiceDesignation.objects.count() == 4
    assert HelpRequest.objects.filter(provider__isnull=False).exists()
    assert Order.objects.get(status=OrderStatus.PAID).shipped_at is None
    succeeded = Order.objects.filter(status=OrderStatus.SUCCEEDED).first()
    assert succeeded.paid_at < succeeded.shipped_at < succeeded.signed_at < succeeded.succeeded_at


@pytest.mark.django_db
def test_logins_and_fixed_tokens():
    output = seed("--password", "other-pass-42")
    users = get_user_model().objects
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("other-pass-42")
    for username, group in (("agent", AGENT), ("senior", SENIOR_AGENT), ("supervisor", SUPERVISOR)):
        user = users.get(username=username)
        assert user.is_staff and list(user.groups.values_list("name", flat=True)) == [group]
    assert users.get(username="buyer_lina").check_password("other-pass-42")
    assert MerchantUser.objects.count() == 5
    assert ServiceProviderUser.objects.count() == 3
    keys = dict(Token.objects.values_list("user__username", "key"))
    assert len(keys) == 5 + 3 + 5
    assert all(key == f"demo-{username}" for username, key in keys.items())
    assert all(key in output for key in keys.values())
    assert keys["api-furniture"] == "demo-api-furniture"
    assert keys["buyer_lina"] == "demo-buyer_lina"
    # A second run keeps them, and puts back a key someone changed.
    Token.objects.filter(user__username="buyer_lina").delete()
    Token.objects.create(user=users.get(username="buyer_lina"))
    seed()
    assert Token.objects.get(user__username="buyer_lina").key == "demo-buyer_lina"


@pytest.mark.django_db
def test_refuses_in_production_and_never_uses_the_demo_tokens_there(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not Merchant.objects.exists()
    seed("--force")
    assert Merchant.objects.count() == 5
    assert Token.objects.count() == 13
    assert not Token.objects.filter(key__startswith="demo-").exists()


@pytest.mark.django_db
def test_nothing_is_sent_to_the_worker(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        seed()
    assert callbacks == []


@pytest.mark.django_db
def test_other_requests_are_left_alone(item, buyer):
    with time_machine.travel(IN_WINDOW, tick=False):
        other = help_request_raise(
            actor=buyer.user, order_item_id=item.pk, anomaly_kind="not_performed", description="x"
        )
    seed()
    other.refresh_from_db()
    # The demo's sweep runs as of now: a request still in its cancel window is not dispatched, and misses nothing.
    assert other.state == HelpState.RAISED
    assert not Violation.objects.filter(help_request=other).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("at", "tick"),
    [(IN_WINDOW, False), (OFF_HOURS, False), (IN_WINDOW, True)],
    ids=["in_window", "off_hours", "clock_running"],
)
def test_every_demo_deadline_and_penalty_is_explained_and_reproduced(at, tick):
    """Also with the clock running while the demo is seeded, as it is for `make demo`: a date framed by one reading
    of the clock and its recorded start by another were a few milliseconds apart, and the explanation said so."""
    from disputes.models import Intervention, RefundRequest
    from disputes.selectors.explanations import deadline_explanations, explain_penalty

    seed(at=at, tick=tick)
    explained = 0
    for model in (HelpRequest, RefundRequest, Intervention):
        for case in model.objects.all():
            for explanation in deadline_explanations(case):
                assert explanation["recorded"] and explanation["reproduced"], (case, case.deadline_basis, explanation)
                explained += 1
    assert explained > 40
    misses = Violation.objects.filter(help_request__isnull=False).exclude(deadline="")
    assert misses.exists()
    for violation in misses:
        found = explain_penalty(violation)
        assert found is not None and found["reproduced"], (violation, found)
    for complaint in Violation.objects.filter(deadline=""):  # decided by staff: nothing to recompute
        found = explain_penalty(complaint)
        assert found is not None and found["recorded"] is False
