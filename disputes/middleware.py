"""Requests no view should see: a NUL byte in the path or the query string (PostgreSQL cannot store one, so a
filter value carrying it used to fail with a server error). Refused with 400 before routing."""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


class RefuseNullBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw_query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or b"\x00" in unquote_to_bytes(raw_query):
            message = "The request's path or query string contains a NUL byte."
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "parse_error", "message": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
