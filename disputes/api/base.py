"""The base of every API viewset: a caller's cases, listed and read; writes that are safe to retry (idempotency keys,
disputes.api.idempotency); and the per-address rate limit, checked before the caller is even identified."""

from collections.abc import Mapping
from typing import Any

from rest_framework import mixins, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request

from disputes.api.idempotency import IdempotentWrites
from disputes.api.parsers import SafeJSONParser
from disputes.api.throttles import AddressRateThrottle

# An operation that takes files, sent as JSON without them or as multipart/form-data with them.
JSON_OR_MULTIPART: list[type[BaseParser]] = [SafeJSONParser, MultiPartParser]


def limit_by_address(view: viewsets.GenericViewSet, request: Request) -> None:
    """The per-address rate limit (429), checked before the caller is identified, so bad tokens count too."""
    address = AddressRateThrottle()
    if not address.allow_request(request, view):
        view.throttled(request, address.wait() or 1.0)  # wait() is None only before a first call


class ReadViewSet(viewsets.GenericViewSet):
    """The base of a viewset that only reads (the buyer's points and order items): the same per-address limit."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        limit_by_address(self, request)
        super().initial(request, *args, **kwargs)


class CallerViewSet(IdempotentWrites, viewsets.GenericViewSet):
    """The caller's rows, read, and actions that write through services: POSTs honour an Idempotency-Key, the
    per-address rate limit is checked before the caller is identified, and an action on a row the caller cannot see
    is a 404 before anything else."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        limit_by_address(self, request)
        super().initial(request, *args, **kwargs)
        if "pk" in kwargs and self.action != "retrieve":
            # An action on a case the caller cannot see is a 404 before anything else is said about the request.
            self.get_object()
        if request.method == "POST" and not isinstance(request.data, Mapping):
            # Read every POST's body, even an operation that takes no fields: a malformed one is a 400 before
            # the step's rules run, never a 409 or 422 about a body the step did not read.
            raise ParseError("The request body must be a JSON object or a form.")


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CallerViewSet):
    """List and read the caller's cases; actions write through services. POSTs honour an Idempotency-Key.

    Bodies are JSON (REST_FRAMEWORK's parsers). An extra action that takes other bodies names its parsers in
    @action(parser_classes=...); `create`, which shares its route with `list`, names them here."""

    create_parser_classes: list[type[BaseParser]] | None = None

    def get_parsers(self) -> list[BaseParser]:
        request = getattr(self, "request", None)
        action = getattr(self, "action_map", {}).get(request.method.lower()) if request else None
        if action == "create" and self.create_parser_classes is not None:
            return [parser() for parser in self.create_parser_classes]
        return super().get_parsers()
