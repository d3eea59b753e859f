"""Turns domain errors into 4xx responses with a stable `code`, and gives DRF's own errors the same shape."""

from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from disputes.errors import DomainError, field_code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if exc.details:
            body["details"] = exc.details
        return Response(body, status=exc.status)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        # Django's own limits on a form's size, fields or files (DATA_UPLOAD_*): the same refusal as an oversized
        # body (disputes.middleware), not Django's HTML 400 page.
        return Response({"code": "request_too_large", "message": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        message = str(detail["detail"])
        code = getattr(detail["detail"], "code", code)
        response.data = {"code": code, "message": message}
    else:
        codes = _field_codes(exc) if isinstance(exc, exceptions.ValidationError) else {}
        distinct = set(codes.values())
        response.data = {
            "code": distinct.pop() if len(distinct) == 1 else "invalid",
            "message": "The request has invalid fields.",
            "fields": detail,
        }
        if codes:
            response.data["field_codes"] = codes
    return response


def _field_codes(exc: exceptions.ValidationError) -> dict[str, str]:
    """Each failing field's stable code (disputes.errors.field_code), the same code a service gives that field."""
    codes = exc.get_codes()
    if not isinstance(codes, dict):
        return {}
    return {
        str(field): field_code(str(field), _first(problem))
        for field, problem in codes.items()
        if field != api_settings.NON_FIELD_ERRORS_KEY
    }


def _first(problem: Any) -> str:
    """The first leaf of DRF's nested error codes (a list per field, a dict per nested item)."""
    while isinstance(problem, (list, dict)) and problem:
        problem = problem[0] if isinstance(problem, list) else next(iter(problem.values()))
    return str(problem) if problem else "invalid"


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any API path no route matches (an unknown path, an id that is not a number): the JSON error body, not HTML."""
    return JsonResponse({"code": "not_found", "message": "No such resource."}, status=404)
