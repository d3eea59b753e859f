"""Demo data: parties, catalogue, orders in every stage and help requests in every staff queue, via the services."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework.authtoken.models import Token

from disputes import policies as policy_table
from disputes.actors import system_actor
from disputes.choices import CreditRating, ServiceKind, SevenDayExclusion
from disputes.models import (
    AnomalyKind,
    Buyer,
    DeadlineKind,
    ForceMajeureCategory,
    HelpRequest,
    HelpState,
    Merchant,
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
)
from disputes.roles import AGENT, SENIOR_AGENT, SUPERVISOR
from disputes.services.force_majeure import help_force_majeure_claim, help_force_majeure_decide
from disputes.services.help_requests import (
    help_request_cancel,
    help_request_close,
    help_request_confirm,
    help_request_dispatch,
    help_request_give_solution,
    help_request_mark_resolved,
    help_request_object,
    help_request_raise,
    help_request_record_followup,
)
from disputes.services.help_sweep import help_sweep

DEFAULT_PASSWORD = "demo-pass-123"

SUPPORTED_CITIES = ("杭州", "上海", "北京", "广州", "深圳", "成都", "武汉", "南京", "苏州", "重庆")
# Orders shipped here show the "city not supported" refusal of one-click help.
UNSUPPORTED_CITY = "拉萨"

K = ServiceKind

MERCHANTS: dict[str, dict[str, str]] = {
    "furniture": {
        "shop_name": "栖木家居旗舰店",
        "contact_phone": "0571-8821-3366",
        "return_contact": "陈晓梅",
        "return_phone": "0571-8821-3300",
        "return_address": "浙江省杭州市余杭区仓前街道良睦路 1399 号 栖木家居售后仓",
    },
    "lighting": {
        "shop_name": "明光灯饰旗舰店",
        "contact_phone": "0760-2255-8810",
        "return_contact": "梁志强",
        "return_phone": "0760-2255-8800",
        "return_address": "广东省中山市古镇镇东兴中路 28 号 明光灯饰退货组",
    },
    "appliances": {
        "shop_name": "美厨电器官方旗舰店",
        "contact_phone": "0757-2663-7700",
        "return_contact": "何丽华",
        "return_phone": "0757-2663-7701",
        "return_address": "广东省佛山市顺德区北滘镇工业大道 18 号 华南退货中心",
    },
    "materials": {
        "shop_name": "筑石建材旗舰店",
        "contact_phone": "025-5210-9988",
        "return_contact": "周建国",
        "return_phone": "025-5210-9900",
        "return_address": "江苏省南京市江宁区秣陵街道将军大道 88 号 筑石仓储中心",
    },
    # Sells the categories one-click help does not cover (women's wear, fresh food).
    "general": {
        "shop_name": "溪山生活百货旗舰店",
        "contact_phone": "021-6788-1200",
        "return_contact": "吴敏",
        "return_phone": "021-6788-1201",
        "return_address": "上海市松江区九亭镇涞寅路 1881 号 溪山退货仓",
    },
}

PROVIDERS: dict[str, dict[str, str]] = {
    "carrier": {"name": "安送达送装服务有限公司", "contact_phone": "400-820-5566"},
    "installer": {"name": "万家师傅安装服务", "contact_phone": "400-698-3322"},
    "builder": {"name": "安居匠心上门服务", "contact_phone": "400-110-7788"},
}

# (merchant, service, provider): who serves a help request; any other service is served by the merchant.
DESIGNATIONS = (
    ("furniture", K.DELIVERY_AND_INSTALL, "carrier"),
    ("furniture", K.HOME_DELIVERY, "carrier"),
    ("lighting", K.SCHEDULED_INSTALL, "installer"),
    ("materials", K.ONSITE_INSTALL, "builder"),
)


@dataclass(frozen=True)
class BuyerSpec:
    username: str
    nickname: str
    phone: str
    rating: str
    city: str
    address: str


BUYERS: dict[str, BuyerSpec] = {
    "zhangwei": BuyerSpec(
        "buyer_zhangwei",
        "张伟",
        "13812345601",
        CreditRating.ORDINARY,
        "杭州",
        "浙江省杭州市西湖区文三路 478 号 1203 室",
    ),
    "lina": BuyerSpec(
        "buyer_lina", "李娜", "13912345602", CreditRating.GOOD, "上海", "上海市浦东新区张杨路 1588 弄 6 号 702 室"
    ),
    "wangfang": BuyerSpec(
        "buyer_wangfang",
        "王芳",
        "13712345603",
        CreditRating.EXCELLENT,
        "北京",
        "北京市朝阳区望京西路 48 号院 3 号楼 1506 室",
    ),
    "liuyang": BuyerSpec(
        "buyer_liuyang",
        "刘洋",
        "18612345604",
        CreditRating.OUTSTANDING,
        "深圳",
        "广东省深圳市南山区科苑南路 2666 号 2 栋 901 室",
    ),
    "chenjing": BuyerSpec(
        "buyer_chenjing",
        "陈静",
        "15012345605",
        CreditRating.GOOD,
        "成都",
        "四川省成都市武侯区天府大道中段 1268 号 11 楼",
    ),
}


@dataclass(frozen=True)
class ProductSpec:
    merchant: str
    title: str
    category_path: str
    price_fen: int
    seven_day_return: bool = True
    exclusion: str = SevenDayExclusion.NONE


PRODUCTS: dict[str, ProductSpec] = {
    "sofa": ProductSpec("furniture", "北欧布艺沙发 三人位 科技布", "家装大件/家具/沙发", 459_900),
    "bed": ProductSpec("furniture", "白蜡木实木双人床 1.8 米", "家装大件/家具/床", 329_900),
    "shelf": ProductSpec("furniture", "钢木组合置物架 五层 免打孔", "收纳整理/置物架", 39_900),
    "ceiling_light": ProductSpec("lighting", "LED 吸顶灯 三室两厅套餐", "灯具灯饰/吸顶灯", 189_900),
    "chandelier": ProductSpec("lighting", "轻奢水晶吊灯 餐厅", "灯具灯饰/吊灯", 129_900),
    "aircon": ProductSpec("appliances", "变频冷暖空调 1.5 匹 一级能效 挂机", "家电/空调", 329_900),
    "range_hood": ProductSpec("appliances", "侧吸式油烟机燃气灶 烟灶套装", "家电/厨房大电", 399_900),
    # Returnable while sealed; opening it is what excludes it from the 7-day return.
    "earbuds": ProductSpec(
        "appliances", "真无线主动降噪蓝牙耳机", "数码/耳机", 89_900, exclusion=SevenDayExclusion.UNSEALED_DIGITAL
    ),
    "tiles": ProductSpec("materials", "通体大理石瓷砖 800×800 (每平方米)", "家装主材/基础建材/瓷砖", 12_900),
    "flooring": ProductSpec("materials", "三层实木复合地板 橡木 (每平方米)", "家装主材/基础建材/地板", 23_900),
    "switches": ProductSpec("materials", "86 型墙壁开关插座面板 20 只装", "家装主材/电子电工/开关插座", 29_900),
    "toilet": ProductSpec("materials", "即热式智能马桶一体机", "家装/卫浴/智能马桶", 299_900),
    "dress": ProductSpec("general", "真丝印花连衣裙 春款", "女装/连衣裙", 69_900),
    "cherries": ProductSpec(
        "general",
        "智利车厘子 JJ 级 2.5kg 冷链直发",
        "零食/生鲜/水果",
        25_900,
        seven_day_return=False,
        exclusion=SevenDayExclusion.PERISHABLE,
    ),
    "nuts": ProductSpec("general", "每日坚果礼盒 30 包", "零食/坚果炒货", 12_900),
}


@dataclass(frozen=True)
class OrderSpec:
    key: str
    buyer: str
    product: str
    status: str
    services: tuple[str, ...]
    quantity: int = 1
    city: str | None = None  # with address: shipped elsewhere than the buyer's home
    address: str = ""
    days_ago: int = 6
    extra: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())


S = OrderStatus
ORDERS: tuple[OrderSpec, ...] = (
    # Help requests are raised on these (one scenario each; see _seed_help_requests).
    OrderSpec("unanswered", "zhangwei", "sofa", S.SIGNED, (K.DELIVERY_AND_INSTALL, K.SEVEN_DAY_RETURN)),
    OrderSpec("late", "lina", "ceiling_light", S.SIGNED, (K.SCHEDULED_INSTALL, K.RETURN_SHIPPING_COVER)),
    OrderSpec("fm_held", "wangfang", "flooring", S.SIGNED, (K.ONSITE_INSTALL, K.HOME_DELIVERY), quantity=45),
    OrderSpec("fm_rejected", "liuyang", "aircon", S.SIGNED, (K.SCHEDULED_INSTALL, K.AUTHENTICITY)),
    OrderSpec("awaiting", "lina", "bed", S.SIGNED, (K.DELIVERY_AND_INSTALL,), days_ago=4),
    OrderSpec("awaiting_warranty", "zhangwei", "toilet", S.SUCCEEDED, (K.THREE_YEAR_WARRANTY,), days_ago=30),
    OrderSpec("solution_given", "wangfang", "range_hood", S.SIGNED, (K.SCHEDULED_INSTALL, K.AUTHENTICITY)),
    OrderSpec("resolved_pending", "liuyang", "tiles", S.SIGNED, (K.HOME_DELIVERY,), quantity=60),
    OrderSpec("under_review", "chenjing", "chandelier", S.SIGNED, (K.SCHEDULED_INSTALL, K.DAMAGE_GUARANTEE)),
    OrderSpec("resolved", "zhangwei", "switches", S.SUCCEEDED, (K.ONSITE_INSTALL, K.SCHEDULED_INSTALL), days_ago=25),
    OrderSpec("fm_pending", "liuyang", "shelf", S.SIGNED, (K.SCHEDULED_INSTALL,), days_ago=3),
    OrderSpec("cancelled", "chenjing", "bed", S.SIGNED, (K.DELIVERY_AND_INSTALL,), days_ago=5),
    OrderSpec("closed", "lina", "aircon", S.SUCCEEDED, (K.SCHEDULED_INSTALL,), days_ago=20),
    # Orders in the other stages, and items one-click help refuses.
    OrderSpec("paid", "chenjing", "sofa", S.PAID, (K.DELIVERY_AND_INSTALL, K.SEVEN_DAY_RETURN), days_ago=1),
    OrderSpec("shipped", "wangfang", "chandelier", S.SHIPPED, (K.SCHEDULED_INSTALL,), days_ago=2),
    OrderSpec(
        "unsupported_city",
        "wangfang",
        "aircon",
        S.SIGNED,
        (K.SCHEDULED_INSTALL,),
        city=UNSUPPORTED_CITY,
        address="西藏自治区拉萨市城关区北京中路 65 号 3 单元 402 室",
    ),
    OrderSpec(
        "fashion",
        "lina",
        "dress",
        S.SUCCEEDED,
        (K.SEVEN_DAY_RETURN, K.RETURN_SHIPPING_COVER, K.AUTHENTICITY),
        days_ago=18,
        extra=(("nuts", (K.SEVEN_DAY_RETURN,)),),
    ),
    OrderSpec("fresh", "zhangwei", "cherries", S.SIGNED, (K.DAMAGE_GUARANTEE,), days_ago=3),
    OrderSpec("digital", "liuyang", "earbuds", S.SHIPPED, (K.SEVEN_DAY_RETURN, K.AUTHENTICITY), days_ago=2),
    OrderSpec("refunded", "chenjing", "cherries", S.CLOSED, (K.DAMAGE_GUARANTEE,), days_ago=9),
)

# Stable, realistic-looking order numbers: the natural key that makes re-runs find their rows.
ORDER_NOS = {spec.key: f"40521988371{index:05d}" for index, spec in enumerate(ORDERS, start=1)}


def _stage_times(status: str, days_ago: int, now: datetime) -> dict[str, datetime | None]:
    """Paid/shipped/signed/succeeded times in order, none later than an hour ago."""
    latest = now - timedelta(hours=1)
    paid = now - timedelta(days=days_ago, hours=3)
    shipped = min(paid + timedelta(hours=20), latest)
    signed = min(shipped + timedelta(days=2), latest)
    succeeded = min(signed + timedelta(days=10), latest)
    return {
        "paid_at": paid,
        "shipped_at": shipped if status in (S.SHIPPED, S.SIGNED, S.SUCCEEDED) else None,
        "signed_at": signed if status in (S.SIGNED, S.SUCCEEDED) else None,
        "succeeded_at": succeeded if status == S.SUCCEEDED else None,
    }


class Command(BaseCommand):
    help = (
        "Create demo merchants, providers, buyers, products, orders and one-click help requests in every staff "
        "queue, plus staff and API logins. Idempotent: a second run creates nothing new (it resets the demo "
        "logins' passwords to the one printed)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for every demo login.")
        parser.add_argument("--force", action="store_true", help="Run even when settings.PRODUCTION is True.")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False) and not options["force"]:
            raise CommandError("Refusing to seed demo data in production (DJANGO_ENV=production); pass --force.")
        # One hash for all demo logins: they share the printed password anyway, and hashing is slow.
        self.password = options["password"]
        self.password_hash = make_password(self.password)
        self.now = timezone.now()
        self.logins: list[tuple[str, str]] = []
        self.tokens: list[tuple[str, str]] = []
        # All or nothing: a failure leaves no half-built demo behind, so a re-run starts clean.
        with transaction.atomic():
            self._seed_cities()
            self._seed_parties()
            self._seed_catalogue()
            self._seed_orders()
            self._seed_staff()
            self._seed_api_users()
            self._seed_help_requests()
        self._print_summary()

    # Reference data and parties

    def _seed_cities(self) -> None:
        for name in SUPPORTED_CITIES:
            SupportedCity.objects.get_or_create(name=name)

    def _seed_parties(self) -> None:
        self.merchants = {}
        for key, values in MERCHANTS.items():
            fields = dict(values)
            self.merchants[key], _ = Merchant.objects.get_or_create(shop_name=fields.pop("shop_name"), defaults=fields)
        self.providers = {}
        for key, values in PROVIDERS.items():
            fields = dict(values)
            self.providers[key], _ = ServiceProvider.objects.get_or_create(name=fields.pop("name"), defaults=fields)
        for merchant, kind, provider in DESIGNATIONS:
            ServiceDesignation.objects.get_or_create(
                merchant=self.merchants[merchant],
                service_kind=kind,
                defaults={"provider": self.providers[provider]},
            )
        quotas = policy_table.load("refund.instant_quota.")
        self.buyers = {}
        for key, spec in BUYERS.items():
            user = self._user(spec.username, first_name=spec.nickname, role="buyer")
            self.buyers[key], _ = Buyer.objects.get_or_create(
                user=user,
                defaults={
                    "nickname": spec.nickname,
                    "phone": spec.phone,
                    "credit_rating": spec.rating,
                    "instant_refund_quota_fen": quotas.int(f"refund.instant_quota.{spec.rating}"),
                },
            )

    def _user(self, username: str, *, role: str, **defaults: Any) -> Any:
        user, _ = get_user_model().objects.get_or_create(username=username, defaults=defaults)
        user.password = self.password_hash
        user.save(update_fields=["password"])
        self.logins.append((role, username))
        return user

    def _seed_catalogue(self) -> None:
        self.products = {}
        for key, spec in PRODUCTS.items():
            self.products[key], _ = Product.objects.get_or_create(
                merchant=self.merchants[spec.merchant],
                title=spec.title,
                defaults={
                    "category_path": spec.category_path,
                    "price_fen": spec.price_fen,
                    "seven_day_return": spec.seven_day_return,
                    "seven_day_exclusion": spec.exclusion,
                },
            )

    def _seed_orders(self) -> None:
        self.items: dict[str, OrderItem] = {}
        for spec in ORDERS:
            buyer_spec = BUYERS[spec.buyer]
            product = self.products[spec.product]
            order, _ = Order.objects.get_or_create(
                order_no=ORDER_NOS[spec.key],
                defaults={
                    "buyer": self.buyers[spec.buyer],
                    "merchant": product.merchant,
                    "status": spec.status,
                    "city": spec.city or buyer_spec.city,
                    "address": spec.address or buyer_spec.address,
                    **_stage_times(spec.status, spec.days_ago, self.now),
                },
            )
            lines = ((spec.product, spec.services, spec.quantity), *((p, s, 1) for p, s in spec.extra))
            for index, (product_key, services, quantity) in enumerate(lines):
                line_product = self.products[product_key]
                item, _ = OrderItem.objects.get_or_create(
                    order=order,
                    product=line_product,
                    defaults={"quantity": quantity, "amount_paid_fen": line_product.price_fen * quantity},
                )
                for kind in services:
                    ServiceCommitment.objects.get_or_create(order_item=item, kind=kind)
                if index == 0:
                    self.items[spec.key] = item

    def _seed_staff(self) -> None:
        admin = self._user("admin", role="superuser", email="admin@example.com")
        if not (admin.is_staff and admin.is_superuser):
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        self.staff = {}
        for username, group_name in (("agent", AGENT), ("senior", SENIOR_AGENT), ("supervisor", SUPERVISOR)):
            user = self._user(username, role=group_name, is_staff=True, first_name=username.title())
            user.groups.add(Group.objects.get(name=group_name))
            # A fresh instance: has_perm caches the permissions it saw before the group was added.
            self.staff[username] = get_user_model().objects.get(pk=user.pk)

    def _seed_api_users(self) -> None:
        self.merchant_users = {}
        for key, merchant in self.merchants.items():
            user = self._user(f"api-{key}", role=f"merchant API: {merchant.shop_name}")
            MerchantUser.objects.get_or_create(user=user, defaults={"merchant": merchant})
            self.merchant_users[merchant.pk] = user
            self.tokens.append((user.username, Token.objects.get_or_create(user=user)[0].key))
        self.provider_users = {}
        for key, provider in self.providers.items():
            user = self._user(f"api-provider-{key}", role=f"provider API: {provider.name}")
            ServiceProviderUser.objects.get_or_create(user=user, defaults={"provider": provider})
            self.provider_users[provider.pk] = user
            self.tokens.append((user.username, Token.objects.get_or_create(user=user)[0].key))

    # Help requests, reached through the services

    def _seed_help_requests(self) -> None:
        if HelpRequest.objects.filter(order_item__order__order_no__in=ORDER_NOS.values()).exists():
            self.stdout.write("Help requests: the demo orders already have them; none created.")
            return
        self._seed_breaches()
        self._seed_live_requests()

    def _raise(self, key: str, service_kind: str, anomaly: str, description: str, *, dispatch: bool = True) -> Any:
        item = self.items[key]
        request = help_request_raise(
            actor=item.order.buyer.user,
            order_item_id=item.pk,
            anomaly_kind=anomaly,
            description=description,
            service_kind=service_kind,
        )
        if dispatch:
            # The cancel window runs on the server clock; dispatch as of its end instead of waiting for it.
            help_request_dispatch(
                request_id=request.pk, actor=system_actor(), now=request.dispatch_at + timedelta(seconds=1)
            )
        return request

    def _party(self, request: HelpRequest) -> Any:
        """The API user that answers a request: the designated provider, else the merchant."""
        if request.provider_id is not None:
            return self.provider_users[request.provider_id]
        return self.merchant_users[request.merchant_id]

    def _seed_breaches(self) -> None:
        """Requests whose deadlines the demo lets pass, by sweeping as of a moment after the 48-hour deadline.

        The sweep applies every due row in the database, so these come first, and only when no other
        open request would be swept early.
        """
        open_states = (HelpState.RAISED, HelpState.DISPATCHED, HelpState.SOLUTION_GIVEN, HelpState.RESOLVED_PENDING)
        if HelpRequest.objects.filter(state__in=open_states).exists():
            self.stdout.write(
                self.style.WARNING(
                    "Other open help requests exist: skipping the missed-deadline demo requests, because the "
                    "future-dated sweep they need would apply to those requests too."
                )
            )
            return
        # Left unanswered: both misses (the 1-hour one only when raised 09:00-18:00), in the follow-up queue.
        self._raise(
            "unanswered",
            K.DELIVERY_AND_INSTALL,
            AnomalyKind.NOT_PERFORMED,
            "约好今天上午送货安装，师傅一直没来，电话也打不通。",
        )
        late = self._raise(
            "late", K.SCHEDULED_INSTALL, AnomalyKind.PARTLY_PERFORMED, "吸顶灯只装了客厅一盏，两个卧室的没装就走了。"
        )
        help_request_give_solution(
            actor=self._party(late), request_id=late.pk, text="已安排师傅明天上门补装卧室两盏灯。"
        )
        held = self._raise("fm_held", K.ONSITE_INSTALL, AnomalyKind.NOT_PERFORMED, "地板到货三天了，一直没人来铺装。")
        help_request_give_solution(
            actor=self._party(held), request_id=held.pk, text="台风预警，铺装师傅停工，风停后第一时间安排。"
        )
        help_force_majeure_claim(
            actor=self._party(held),
            request_id=held.pk,
            deadline=DeadlineKind.RESOLUTION,
            category=ForceMajeureCategory.TYPHOON,
            note="气象台发布台风红色预警，全市停工停课。",
        )
        rejected = self._raise(
            "fm_rejected", K.SCHEDULED_INSTALL, AnomalyKind.EXTRA_FEE, "安装师傅额外收了 200 元支架费。"
        )
        help_request_give_solution(
            actor=self._party(rejected), request_id=rejected.pk, text="核实后退还支架费，并重新安排检查安装。"
        )
        rejected_claim = help_force_majeure_claim(
            actor=self._party(rejected),
            request_id=rejected.pk,
            deadline=DeadlineKind.RESOLUTION,
            category=ForceMajeureCategory.HEAVY_RAIN,
            note="暴雨，师傅无法出行。",
        )
        resolution_sla = policy_table.load("help.resolution_sla").duration("help.resolution_sla")
        result = help_sweep(now=self.now + resolution_sla + timedelta(hours=1))
        self.stdout.write(f"Sweep as of 49 hours from now: {result.as_dict()}")
        help_force_majeure_decide(
            actor=self.staff["senior"],
            claim_id=rejected_claim.pk,
            approve=False,
            reason="当日当地无暴雨预警记录，不予认定。",
        )
        help_request_record_followup(
            actor=self.staff["agent"], request_id=late.pk, note="已回访买家：师傅已约好时间补装，买家认可。"
        )

    def _seed_live_requests(self) -> None:
        """Requests in every state staff see now, with their deadlines still ahead."""
        self._raise(
            "awaiting", K.DELIVERY_AND_INSTALL, AnomalyKind.NOT_PERFORMED, "床已经送到楼下，说不负责送上楼安装。"
        )
        self._raise(
            "awaiting_warranty", K.THREE_YEAR_WARRANTY, AnomalyKind.NOT_PERFORMED, "马桶冲水阀漏水，联系保修没人处理。"
        )

        given = self._raise(
            "solution_given", K.SCHEDULED_INSTALL, AnomalyKind.NOT_PERFORMED, "预约的安装时间过了没人来。"
        )
        tomorrow = timezone.localtime(self.now) + timedelta(days=1)
        help_request_give_solution(
            actor=self._party(given),
            request_id=given.pk,
            text="已改约明天下午两点上门安装，师傅电话 139 0571 2233。",
            appointment_at=tomorrow.replace(hour=14, minute=0, second=0, microsecond=0),
        )

        pending = self._raise(
            "resolved_pending", K.HOME_DELIVERY, AnomalyKind.PARTLY_PERFORMED, "瓷砖只送到一楼大堂，没有送货入户。"
        )
        help_request_give_solution(actor=self._party(pending), request_id=pending.pk, text="今晚安排搬运工补送入户。")
        help_request_mark_resolved(
            actor=self._party(pending), request_id=pending.pk, note="60 平方米瓷砖已全部送入户。"
        )

        review = self._raise("under_review", K.SCHEDULED_INSTALL, AnomalyKind.NOT_PERFORMED, "吊灯一直没安排安装。")
        help_request_mark_resolved(actor=self._party(review), request_id=review.pk, note="师傅已上门安装完毕。")
        help_request_object(
            actor=review.buyer.user, request_id=review.pk, text="师傅根本没来过，灯还在箱子里，请核实。"
        )

        done = self._raise("resolved", K.ONSITE_INSTALL, AnomalyKind.PARTLY_PERFORMED, "插座面板装歪了，还有两个没装。")
        help_request_mark_resolved(actor=self._party(done), request_id=done.pk, note="已重新调整并补装两个面板。")
        help_request_confirm(actor=done.buyer.user, request_id=done.pk)

        claimed = self._raise("fm_pending", K.SCHEDULED_INSTALL, AnomalyKind.NOT_PERFORMED, "置物架到了一周没人来装。")
        help_force_majeure_claim(
            actor=self._party(claimed),
            request_id=claimed.pk,
            # Raised outside 09:00-18:00 there is no 1-hour deadline to claim against.
            deadline=DeadlineKind.SOLUTION if claimed.solution_due_at else DeadlineKind.RESOLUTION,
            category=ForceMajeureCategory.TRAFFIC_CONTROL,
            note="市区因大型活动实行交通管制，安装车辆无法进入。",
        )

        cancelled = self._raise(
            "cancelled", K.DELIVERY_AND_INSTALL, AnomalyKind.NOT_PERFORMED, "提交错了订单。", dispatch=False
        )
        help_request_cancel(actor=cancelled.buyer.user, request_id=cancelled.pk)

        closed = self._raise("closed", K.SCHEDULED_INSTALL, AnomalyKind.NOT_PERFORMED, "空调外机没装。")
        help_request_close(
            actor=self.staff["senior"], request_id=closed.pk, reason="买家来电告知已自行解决，撤回求助。"
        )

    # Output

    def _print_summary(self) -> None:
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS("Demo data ready."))
        out("Admin: run `python manage.py runserver` and open http://127.0.0.1:8000/admin/")
        out(f"Logins (password for all: {self.password}):")
        for role, username in self.logins:
            out(f"  {username:<28} {role}")
        out("API tokens (header `Authorization: Token <key>`):")
        for username, key in self.tokens:
            out(f"  {username:<28} {key}")
        states = dict(
            HelpRequest.objects.filter(order_item__order__order_no__in=ORDER_NOS.values())
            .order_by()
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        labels = dict(HelpState.choices)
        out("Demo help requests by state: " + ", ".join(f"{labels[s]}: {n}" for s, n in sorted(states.items())))
