"""Requests no view should see, refused with 400 before routing (a JSON body under /api/, plain text elsewhere):

- a NUL byte in the path or the query string (PostgreSQL cannot store one, so a filter value carrying it used to
  fail with a server error): `parse_error`;
- an API body larger than the API takes (API_MAX_JSON_BYTES for JSON and any other non-multipart body,
  API_MAX_UPLOAD_BYTES for multipart uploads), judged by its Content-Length before a byte of it is read:
  `request_too_large`."""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


class RefuseMalformedRequestsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw_query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(raw_query):
            return _refuse(request, "parse_error", "The request's path or query string contains a NUL byte.")
        if request.path.startswith("/api/"):
            limit = _body_limit(request)
            if _content_length(request) > limit:
                return _refuse(request, "request_too_large", f"The request body is over the limit of {limit} bytes.")
        return self.get_response(request)


def _body_limit(request: HttpRequest) -> int:
    if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
        return int(settings.API_MAX_UPLOAD_BYTES)
    return int(settings.API_MAX_JSON_BYTES)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads such a body as empty


def _refuse(request: HttpRequest, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=400)
    return HttpResponseBadRequest(message)
