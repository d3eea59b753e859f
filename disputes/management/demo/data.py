"""The demo data set: cities, merchants and providers, buyers by rating, products with their services, and orders at
every stage, as plain specs that seed_demo creates through the services."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from disputes.choices import CreditRating, ServiceKind, SevenDayExclusion
from disputes.models import (
    OrderStatus,
)

DEFAULT_PASSWORD = "demo-pass-123"
# Demo API tokens are this prefix and the username (e.g. demo-api-furniture), so that the README's curl lines work
# against any fresh demo. Only outside production: seed_demo --force gives random keys there.
DEMO_TOKEN_PREFIX = "demo-"

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
    # One-click help: one request each (disputes.management.demo.help).
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
    # More one-click help (added after the orders above, whose order numbers stay as they were).
    OrderSpec("help_at_risk", "zhangwei", "chandelier", S.SIGNED, (K.SCHEDULED_INSTALL,), days_ago=5),
    OrderSpec("help_due_soon", "chenjing", "range_hood", S.SIGNED, (K.SCHEDULED_INSTALL,), days_ago=3),
    OrderSpec("help_missed_1h", "lina", "switches", S.SIGNED, (K.ONSITE_INSTALL,), days_ago=4),
    OrderSpec("fm_approved", "wangfang", "sofa", S.SIGNED, (K.DELIVERY_AND_INSTALL,)),
    # Refunds and after-sales: one request each (disputes.management.demo.refunds); "paid" and "fresh" above too.
    OrderSpec("lost_parcel", "wangfang", "nuts", S.SHIPPED, (K.SEVEN_DAY_RETURN,)),
    OrderSpec("rf_overdue", "chenjing", "nuts", S.SIGNED, (K.SEVEN_DAY_RETURN,)),
    OrderSpec("rf_wait_return", "lina", "dress", S.SIGNED, (K.SEVEN_DAY_RETURN, K.RETURN_SHIPPING_COVER), days_ago=5),
    OrderSpec("rf_advanced", "zhangwei", "switches", S.SIGNED, (K.SEVEN_DAY_RETURN,), days_ago=8),
    OrderSpec("rf_refused", "chenjing", "chandelier", S.SIGNED, (K.SCHEDULED_INSTALL,)),
    OrderSpec("rf_express_claim", "liuyang", "range_hood", S.SIGNED, (K.SCHEDULED_INSTALL,), days_ago=7),
    OrderSpec("rf_express_case", "wangfang", "toilet", S.SIGNED, (K.THREE_YEAR_WARRANTY,), days_ago=10),
    OrderSpec("rf_express_rejected", "liuyang", "aircon", S.SIGNED, (K.SCHEDULED_INSTALL,), days_ago=7),
    OrderSpec("rf_intervention", "lina", "flooring", S.SIGNED, (K.ONSITE_INSTALL,), quantity=30, days_ago=8),
    OrderSpec("rf_repayment", "chenjing", "shelf", S.SIGNED, (K.SCHEDULED_INSTALL,), days_ago=12),
    OrderSpec("rf_repair", "zhangwei", "earbuds", S.SIGNED, (K.AUTHENTICITY,), days_ago=10),
    OrderSpec("rf_paid", "liuyang", "nuts", S.SIGNED, (K.SEVEN_DAY_RETURN,), days_ago=5),
    OrderSpec("rf_settled", "lina", "nuts", S.SIGNED, (K.SEVEN_DAY_RETURN,), days_ago=6),
    OrderSpec("rf_cancelled", "lina", "ceiling_light", S.SIGNED, (K.SCHEDULED_INSTALL,)),
    # Platform intervention: one case each (disputes.management.demo.interventions); the refunds above open two.
    OrderSpec("iv_evidence", "liuyang", "bed", S.SIGNED, (K.DELIVERY_AND_INSTALL, K.AUTHENTICITY), days_ago=8),
    OrderSpec("iv_agreed", "wangfang", "ceiling_light", S.SIGNED, (K.SCHEDULED_INSTALL,), days_ago=16),
    OrderSpec("iv_judged", "chenjing", "switches", S.SIGNED, (K.ONSITE_INSTALL,), days_ago=14),
    OrderSpec("iv_refused", "chenjing", "ceiling_light", S.SUCCEEDED, (K.SCHEDULED_INSTALL,), days_ago=30),
    OrderSpec("iv_at_risk", "chenjing", "tiles", S.SUCCEEDED, (K.HOME_DELIVERY,), quantity=40, days_ago=30),
    OrderSpec("iv_breached", "wangfang", "bed", S.SUCCEEDED, (K.DELIVERY_AND_INSTALL,), days_ago=40),
    OrderSpec("iv_suspended", "lina", "earbuds", S.SUCCEEDED, (K.AUTHENTICITY,), days_ago=30),
    OrderSpec("iv_appealed", "lina", "aircon", S.SUCCEEDED, (K.SCHEDULED_INSTALL,), days_ago=30),
    OrderSpec("iv_overturned", "zhangwei", "range_hood", S.SUCCEEDED, (K.SCHEDULED_INSTALL,), days_ago=30),
    OrderSpec("iv_final", "wangfang", "shelf", S.SUCCEEDED, (K.SCHEDULED_INSTALL,), days_ago=30),
    OrderSpec("iv_withdrawn", "liuyang", "dress", S.SHIPPED, (K.SEVEN_DAY_RETURN,), days_ago=9),
    # Left untouched for the README's API quickstart: the buyer applies for a refund on it.
    OrderSpec("quickstart", "lina", "nuts", S.SIGNED, (K.SEVEN_DAY_RETURN,), days_ago=3),
    # A counted complaint the merchant has appealed (added last: the ids above stay as they were).
    OrderSpec("appealed", "zhangwei", "tiles", S.SIGNED, (K.HOME_DELIVERY,), quantity=30, days_ago=4),
)

# Stable, realistic-looking order numbers: the natural key that makes re-runs find their rows.
ORDER_NOS = {spec.key: f"40521988371{index:05d}" for index, spec in enumerate(ORDERS, start=1)}


def stage_times(status: str, days_ago: int, now: datetime) -> dict[str, datetime | None]:
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
