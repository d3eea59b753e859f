"""Rate limits of the API (DRF throttles over the shared cache): per calling token, per client address, and for
calls without a valid token. Rates are settings (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]); a refusal is 429 with
Retry-After and the code `throttled`."""

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class SettingsRate(SimpleRateThrottle):
    """Reads its rate from the settings at each request, not once at import (DRF's default), so a changed
    REST_FRAMEWORK setting (and override_settings in tests) takes effect without a restart."""

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate else None


class TokenRateThrottle(SettingsRate):
    """Calls per authenticated caller (one API token is one user)."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return None  # AnonymousRateThrottle's business
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class AnonymousRateThrottle(SettingsRate):
    """Calls without a valid token, per client address."""

    scope = "anonymous"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if getattr(request.user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AddressRateThrottle(SettingsRate):
    """Every call per client address, whoever makes it. Checked before authentication (disputes.api.base), so a
    flood of wrong tokens from one address is limited as well; it never reads the caller."""

    scope = "address"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
