"""factory-boy factories for the core domain; cases are reached by calling services, not by setting state."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from disputes.choices import CreditRating, ServiceKind
from disputes.models import (
    Buyer,
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


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-1")


class StaffFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    is_staff = True

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            from django.contrib.auth.models import Group

            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    shop_name = factory.Sequence(lambda n: f"Shop {n} 旗舰店")
    return_contact = "王售后"
    return_phone = "021-5555-0000"
    return_address = "上海市浦东新区张江路 1 号 退货仓"


class ServiceProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProvider

    name = factory.Sequence(lambda n: f"Installer {n}")


class DesignationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceDesignation

    merchant = factory.SubFactory(MerchantFactory)
    provider = factory.SubFactory(ServiceProviderFactory)
    service_kind = ServiceKind.DELIVERY_AND_INSTALL


class BuyerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Buyer

    user = factory.SubFactory(UserFactory)
    nickname = factory.Sequence(lambda n: f"buyer{n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    credit_rating = CreditRating.GOOD


class MerchantUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MerchantUser

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)


class ProviderUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProviderUser

    user = factory.SubFactory(UserFactory)
    provider = factory.SubFactory(ServiceProviderFactory)


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportedCity
        django_get_or_create = ("name",)

    name = "杭州"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    merchant = factory.SubFactory(MerchantFactory)
    title = factory.Sequence(lambda n: f"Sofa model {n}")
    category_path = "家装大件/家具"
    price_fen = 300_000


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    order_no = factory.Sequence(lambda n: f"T{2026000000 + n}")
    buyer = factory.SubFactory(BuyerFactory)
    merchant = factory.SubFactory(MerchantFactory)
    status = OrderStatus.SIGNED
    city = "杭州"
    paid_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    shipped_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=4))
    signed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem
        skip_postgeneration_save = True

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory, merchant=factory.SelfAttribute("..order.merchant"))
    amount_paid_fen = 300_000

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        kinds = [ServiceKind.DELIVERY_AND_INSTALL] if extracted is None else extracted
        if create:
            for kind in kinds:
                ServiceCommitment.objects.create(order_item=self, kind=kind)
