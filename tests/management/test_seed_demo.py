"""seed_demo: idempotent, refuses production, and fills every staff queue of one-click help."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_fsm_log.models import StateLog
from rest_framework.authtoken.models import Token

from disputes.choices import ServiceKind
from disputes.models import (
    Buyer,
    BuyerPointsEntry,
    ClaimStatus,
    DeadlineKind,
    ForceMajeureClaim,
    HelpRequest,
    HelpState,
    Merchant,
    MerchantAccountEntry,
    MerchantUser,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    ServiceCommitment,
    ServiceDesignation,
    ServiceProvider,
    ServiceProviderUser,
    SupportedCity,
    Violation,
    ViolationStatus,
)
from disputes.roles import AGENT, SENIOR_AGENT, SUPERVISOR
from disputes.services.help_requests import help_request_raise
from disputes.services.ledger import ledger_balance

BJ = ZoneInfo("Asia/Shanghai")
IN_WINDOW = datetime(2026, 3, 2, 10, 0, tzinfo=BJ)  # raised 09:00-18:00: the 1-hour deadline applies
OFF_HOURS = datetime(2026, 3, 2, 20, 0, tzinfo=BJ)  # no 1-hour deadline

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
    Violation,
    BuyerPointsEntry,
    MerchantAccountEntry,
    StateLog,
    Token,
    MerchantUser,
    ServiceProviderUser,
)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str, at: datetime = IN_WINDOW) -> str:
    out = StringIO()
    with time_machine.travel(at, tick=False):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED_MODELS}


def balance_of(nickname: str) -> int:
    return ledger_balance(BuyerPointsEntry, buyer=Buyer.objects.get(nickname=nickname))


@pytest.mark.django_db
def test_second_run_creates_nothing():
    seed()
    first = counts()
    output = seed()
    assert counts() == first
    assert "none created" in output
    assert first["HelpRequest"] == 13
    assert first["Merchant"] == 5
    assert first["Buyer"] == 5


@pytest.mark.django_db
def test_every_help_queue_has_requests():
    seed()
    by_state = {state: HelpRequest.objects.filter(state=state).count() for state in HelpState.values}
    assert by_state == {
        HelpState.RAISED: 0,
        HelpState.DISPATCHED: 4,
        HelpState.SOLUTION_GIVEN: 4,
        HelpState.RESOLVED_PENDING: 1,
        HelpState.UNDER_REVIEW: 1,
        HelpState.RESOLVED: 1,
        HelpState.CANCELLED: 1,
        HelpState.CLOSED: 1,
    }
    # Force majeure: one pending before its deadline, one pending whose miss is held, one rejected.
    assert ForceMajeureClaim.objects.filter(status=ClaimStatus.PENDING).count() == 2
    assert ForceMajeureClaim.objects.filter(status=ClaimStatus.REJECTED).count() == 1
    assert Violation.objects.filter(status=ViolationStatus.HELD).count() == 1
    # Follow-up queue: three 48-hour misses still open, one already called back.
    queued = HelpRequest.objects.filter(followup_queued_at__isnull=False)
    assert queued.filter(followup_done_at__isnull=True).count() == 3
    assert queued.filter(followup_done_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_penalties_credited_in_the_business_window():
    seed(at=IN_WINDOW)
    # Sofa, 送货入户并安装, never answered: 1-hour 5,000 + 48-hour "not provided" 30,000.
    assert balance_of("张伟") == 35_000
    # Ceiling light 1,899 元, 预约安装, answered in time but still open at 48 h: 10 % = 18,990.
    assert balance_of("李娜") == 18_990
    # Air conditioner 3,299 元: force majeure rejected, so its 10 % (32,990) is credited after all.
    assert balance_of("刘洋") == 32_990
    # Flooring: the claim is still pending, so the penalty is held.
    assert balance_of("王芳") == 0
    merchant = Merchant.objects.get(shop_name="栖木家居旗舰店")
    assert ledger_balance(MerchantAccountEntry, merchant=merchant) == -35_000
    assert Violation.objects.filter(deadline=DeadlineKind.SOLUTION).count() == 1


@pytest.mark.django_db
def test_off_hours_run_has_no_one_hour_deadlines():
    seed(at=OFF_HOURS)
    assert balance_of("张伟") == 30_000
    assert not HelpRequest.objects.filter(solution_due_at__isnull=False).exists()
    assert not Violation.objects.filter(deadline=DeadlineKind.SOLUTION).exists()
    # The pending claim falls back to the 48-hour deadline when there is no 1-hour one.
    claim = ForceMajeureClaim.objects.get(status=ClaimStatus.PENDING, help_request__state=HelpState.DISPATCHED)
    assert claim.deadline == DeadlineKind.RESOLUTION


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
def test_logins_and_tokens():
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
    tokens = Token.objects.filter(user__username__startswith="api-")
    assert tokens.count() == 8
    for token in tokens:
        assert token.key in output
    assert "/admin/" in output


@pytest.mark.django_db
def test_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not Merchant.objects.exists()
    seed("--force")
    assert Merchant.objects.count() == 5


@pytest.mark.django_db
def test_skips_missed_deadlines_when_other_requests_are_open(item, buyer):
    with time_machine.travel(IN_WINDOW, tick=False):
        other = help_request_raise(
            actor=buyer.user, order_item_id=item.pk, anomaly_kind="not_performed", description="x"
        )
    output = seed()
    assert "skipping the missed-deadline demo requests" in output
    other.refresh_from_db()
    # A future-dated sweep would have dispatched it and recorded its misses; it was left alone.
    assert other.state == HelpState.RAISED
    assert not Violation.objects.exists()
    assert HelpRequest.objects.filter(state=HelpState.UNDER_REVIEW).count() == 1
