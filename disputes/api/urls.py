"""API routes: one router for the merchant/provider and buyer viewsets, plus the schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from disputes.api.buyer.interventions import BuyerInterventionViewSet
from disputes.api.buyer.refunds import BuyerRefundViewSet
from disputes.api.buyer.views import BuyerHelpRequestViewSet
from disputes.api.merchant.interventions import MerchantInterventionViewSet
from disputes.api.merchant.refunds import MerchantRefundViewSet
from disputes.api.merchant.views import MerchantHelpRequestViewSet

router = DefaultRouter()
router.register("buyer/help-requests", BuyerHelpRequestViewSet, basename="buyer-help-request")
router.register("merchant/help-requests", MerchantHelpRequestViewSet, basename="merchant-help-request")
router.register("buyer/refunds", BuyerRefundViewSet, basename="buyer-refund")
router.register("merchant/refunds", MerchantRefundViewSet, basename="merchant-refund")
router.register("buyer/interventions", BuyerInterventionViewSet, basename="buyer-intervention")
router.register("merchant/interventions", MerchantInterventionViewSet, basename="merchant-intervention")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema/swagger-ui/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="swagger-ui"),
    path("schema/redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
]
