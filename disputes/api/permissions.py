"""Who may call which part of the API: buyers on the buyer side, merchant or provider API users on the other."""

from typing import Any

from rest_framework.permissions import BasePermission

from disputes.actors import buyer_of, merchant_of, provider_of


class IsBuyer(BasePermission):
    """The caller logs in as a buyer account."""

    message = "Only a buyer account may use this endpoint."
    code = "buyer_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        return buyer_of(request.user) is not None


class IsParty(BasePermission):
    """The caller is an API user acting for a merchant or a service provider."""

    message = "Only a merchant or service-provider API user may use this endpoint."
    code = "party_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        return merchant_of(request.user) is not None or provider_of(request.user) is not None
