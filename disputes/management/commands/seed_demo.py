"""Demo data: parties, catalogue, orders in every stage, and cases of every kind in every staff queue (one-click
help, refunds, platform intervention), made through the services and dated back from now; plus staff logins and
API users with fixed tokens, which the README's API quickstart uses."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from disputes import policies as policy_table
from disputes.jobs import nothing_sent
from disputes.management.demo.cast import Cast
from disputes.management.demo.data import (
    BUYERS,
    DEFAULT_PASSWORD,
    DEMO_TOKEN_PREFIX,
    DESIGNATIONS,
    MERCHANTS,
    ORDER_NOS,
    ORDERS,
    PRODUCTS,
    PROVIDERS,
    SUPPORTED_CITIES,
    stage_times,
)
from disputes.management.demo.help import HelpStories
from disputes.management.demo.interventions import InterventionStories
from disputes.management.demo.refunds import RefundStories
from disputes.models import (
    Buyer,
    HelpRequest,
    Intervention,
    Merchant,
    MerchantUser,
    Order,
    OrderItem,
    Product,
    RefundRequest,
    ServiceCommitment,
    ServiceDesignation,
    ServiceProvider,
    ServiceProviderUser,
    SupportedCity,
)
from disputes.roles import AGENT, SENIOR_AGENT, SUPERVISOR


class Command(BaseCommand):
    help = (
        "Create demo merchants, providers, buyers, products and orders, and one-click help requests, refunds and "
        "platform intervention cases in every staff queue, dated back from now; plus staff logins and API users "
        "with fixed demo tokens. Idempotent: a second run creates no cases (it resets the demo logins' passwords "
        "to the one printed)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for every demo login.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when settings.PRODUCTION is True (the API tokens are then random, not the demo's).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.production = getattr(settings, "PRODUCTION", False)
        if self.production and not options["force"]:
            raise CommandError("Refusing to seed demo data in production (DJANGO_ENV=production); pass --force.")
        # One hash for all demo logins: they share the printed password anyway, and hashing is slow.
        self.password = options["password"]
        self.password_hash = make_password(self.password)
        self.now = timezone.now()
        self.tokens: list[tuple[str, str, str]] = []
        # All or nothing: a failure leaves no half-built demo behind, so a re-run starts clean. Nothing is sent to
        # the worker: the cases are made-up history, not news for anyone.
        with transaction.atomic(), nothing_sent():
            self._seed_cities()
            self._seed_parties()
            self._seed_catalogue()
            self._seed_orders()
            self._seed_staff()
            self._seed_api_users()
            created = self._seed_cases()
        self._print_summary(created)

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
            user = self._user(spec.username, first_name=spec.nickname)
            self.buyers[key], _ = Buyer.objects.get_or_create(
                user=user,
                defaults={
                    "nickname": spec.nickname,
                    "phone": spec.phone,
                    "credit_rating": spec.rating,
                    "instant_refund_quota_fen": quotas.int(f"refund.instant_quota.{spec.rating}"),
                },
            )

    def _user(self, username: str, **defaults: Any) -> Any:
        user, _ = get_user_model().objects.get_or_create(username=username, defaults=defaults)
        user.password = self.password_hash
        user.save(update_fields=["password"])
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
        admin = self._user("admin", email="admin@example.com")
        if not (admin.is_staff and admin.is_superuser):
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        self.staff = {"admin": admin}
        for username, group_name in (("agent", AGENT), ("senior", SENIOR_AGENT), ("supervisor", SUPERVISOR)):
            user = self._user(username, is_staff=True, first_name=username.title())
            user.groups.add(Group.objects.get(name=group_name))
            # A fresh instance: has_perm caches the permissions it saw before the group was added.
            self.staff[username] = get_user_model().objects.get(pk=user.pk)

    def _seed_api_users(self) -> None:
        """Merchant and provider API users (a user linked to one merchant or provider), and the buyers, who call the
        buyer API with their own token (a buyer's app does, for its signed-in buyer)."""
        self.merchant_users = {}
        for key, merchant in self.merchants.items():
            user = self._user(f"api-{key}")
            MerchantUser.objects.get_or_create(user=user, defaults={"merchant": merchant})
            self.merchant_users[merchant.pk] = user
            self.tokens.append(("merchant", merchant.shop_name, self._token(user)))
        self.provider_users = {}
        for key, provider in self.providers.items():
            user = self._user(f"api-provider-{key}")
            ServiceProviderUser.objects.get_or_create(user=user, defaults={"provider": provider})
            self.provider_users[provider.pk] = user
            self.tokens.append(("provider", provider.name, self._token(user)))
        for key, spec in BUYERS.items():
            buyer = self.buyers[key]
            self.tokens.append(
                ("buyer", f"{spec.nickname} ({buyer.get_credit_rating_display()})", self._token(buyer.user))
            )

    def _token(self, user: Any) -> str:
        """The user's API token: a fixed, readable key in the demo, so that the README's curl lines work as printed;
        a random one in production (--force), where a key anyone can read in the README would be a way in."""
        token = Token.objects.filter(user=user).first()
        if self.production:
            if token is None or token.key.startswith(DEMO_TOKEN_PREFIX):
                Token.objects.filter(user=user).delete()
                token = Token.objects.create(user=user)
            return token.key
        key = DEMO_TOKEN_PREFIX + user.username
        if token is None or token.key != key:
            Token.objects.filter(user=user).delete()
            token = Token.objects.create(user=user, key=key)
        return token.key

    # Cases, made through the services and dated back from now (disputes.management.demo)

    def _seed_cases(self) -> bool:
        items = OrderItem.objects.filter(order__order_no__in=ORDER_NOS.values())
        if (
            HelpRequest.objects.filter(order_item__in=items).exists()
            or RefundRequest.objects.filter(order_item__in=items).exists()
            or Intervention.objects.filter(order_item__in=items).exists()
        ):
            return False
        cast = Cast(
            now=self.now,
            items=self.items,
            merchant_users=self.merchant_users,
            provider_users=self.provider_users,
            staff=self.staff,
        )
        HelpStories(cast).seed()
        RefundStories(cast).seed()
        InterventionStories(cast).seed()
        return True

    # Output: what a newcomer needs, once (`make demo` prints where the web server listens).

    def _print_summary(self, created: bool) -> None:
        out = self.stdout.write
        items = OrderItem.objects.filter(order__order_no__in=ORDER_NOS.values())
        counts = (
            HelpRequest.objects.filter(order_item__in=items).count(),
            RefundRequest.objects.filter(order_item__in=items).count(),
            Intervention.objects.filter(order_item__in=items).count(),
        )
        cases = "{} one-click help requests, {} refunds, {} platform intervention cases".format(*counts)
        if created:
            at = timezone.localtime(self.now)
            out(self.style.SUCCESS(f"Demo data ready: {cases}."))
            out(f"Every staff queue has cases, dated back from now ({at:%H:%M} Beijing time, the back office's time).")
        else:
            out(self.style.SUCCESS(f"Demo data already there ({cases}): none created."))
            out("Its cases are dated from when it was made; for fresh ones, delete the database (rm -rf var) first.")
        out(f"Admin logins, password {self.password}: admin (superuser); agent, senior, supervisor (客服, 小二, 主管).")
        out('API tokens, sent as "Authorization: Token <key>" (README.md, "API quickstart", has curl lines to try):')
        for role, name, key in self.tokens:
            out(f"  {role:<10}{key:<30}{name}")
