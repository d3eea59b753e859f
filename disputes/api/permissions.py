"""Who may call which part of the API: buyers on the buyer side, merchant or provider API users on the other;
and the caller as the actor the services record."""

from typing import Any

from django.contrib.auth.models import User
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from disputes.actors import Actor, buyer_of, merchant_of, provider_of


def caller(request: Request) -> Actor:
    """The signed-in user acting through this request. Every endpoint that acts requires IsAuthenticated, so an
    anonymous caller never gets here; should one, it hears 401 rather than reaching a service."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


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
