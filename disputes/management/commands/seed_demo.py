"""Demo data: parties, catalogue, orders in every stage and help requests in every staff queue, via the services."""

from datetime import timedelta
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
from disputes.management.demo_data import (
    BUYERS,
    DEFAULT_PASSWORD,
    DESIGNATIONS,
    MERCHANTS,
    ORDER_NOS,
    ORDERS,
    PRODUCTS,
    PROVIDERS,
    SUPPORTED_CITIES,
    K,
    stage_times,
)
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
                    **stage_times(spec.status, spec.days_ago, self.now),
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
