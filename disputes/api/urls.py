"""API routes: one router for the merchant/provider and buyer viewsets, plus the schema."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from disputes.api.buyer.interventions import BuyerInterventionViewSet
from disputes.api.buyer.money import BuyerOrderItemViewSet, BuyerPointsEntryViewSet, BuyerPointsViewSet
from disputes.api.buyer.refunds import BuyerRefundViewSet
from disputes.api.buyer.views import BuyerHelpRequestViewSet
from disputes.api.errors import not_found
from disputes.api.events import BuyerEventViewSet, MerchantEventViewSet
from disputes.api.merchant.at_risk import MerchantAtRiskViewSet
from disputes.api.merchant.interventions import MerchantInterventionViewSet
from disputes.api.merchant.money import (
    MerchantAccountViewSet,
    MerchantPenaltyViewSet,
    MerchantStatementViewSet,
    MerchantViolationViewSet,
)
from disputes.api.merchant.refunds import MerchantRefundViewSet
from disputes.api.merchant.views import MerchantHelpRequestViewSet
from disputes.api.merchant.webhooks import MerchantWebhookEndpointViewSet

# Ids are whole numbers: anything else in an id's place (e.g. /refunds/0.5/) falls through to the JSON 404 below.
router = DefaultRouter()
router.register("buyer/help-requests", BuyerHelpRequestViewSet, basename="buyer-help-request")
router.register("merchant/help-requests", MerchantHelpRequestViewSet, basename="merchant-help-request")
router.register("buyer/refunds", BuyerRefundViewSet, basename="buyer-refund")
router.register("merchant/refunds", MerchantRefundViewSet, basename="merchant-refund")
router.register("buyer/interventions", BuyerInterventionViewSet, basename="buyer-intervention")
router.register("merchant/interventions", MerchantInterventionViewSet, basename="merchant-intervention")
router.register("merchant/events", MerchantEventViewSet, basename="merchant-event")
router.register("buyer/events", BuyerEventViewSet, basename="buyer-event")
router.register("merchant/at-risk", MerchantAtRiskViewSet, basename="merchant-at-risk")
router.register("merchant/webhook-endpoints", MerchantWebhookEndpointViewSet, basename="merchant-webhook-endpoint")
router.register("buyer/points", BuyerPointsViewSet, basename="buyer-points")
router.register("buyer/points-entries", BuyerPointsEntryViewSet, basename="buyer-points-entry")
router.register("buyer/order-items", BuyerOrderItemViewSet, basename="buyer-order-item")
router.register("merchant/account", MerchantAccountViewSet, basename="merchant-account")
router.register("merchant/statement", MerchantStatementViewSet, basename="merchant-statement")
router.register("merchant/penalties", MerchantPenaltyViewSet, basename="merchant-penalty")
router.register("merchant/violations", MerchantViolationViewSet, basename="merchant-violation")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from a URL, so the page runs under a strict CSP (no inline script).
    path("schema/swagger-ui/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="swagger-ui"),
    path("", include(router.urls)),
    # Whatever no route above matches (any path, line breaks included) is a JSON 404 with the error body, never
    # Django's HTML page.
    re_path(r"^[\s\S]*$", not_found, name="not-found"),
]
