"""Idempotency keys on the API's writes, with Stripe's semantics (`Idempotency-Key` header on a POST):

- the same key with the same request within IDEMPOTENCY_TTL: the stored status and body are replayed (header
  `Idempotent-Replayed: true`) and nothing runs a second time;
- the same key with a different request: 422 `idempotency_key_reused`;
- a request still in flight with that key: the retry waits for its answer up to IDEMPOTENCY_WAIT seconds and
  replays it, or gets 409 `idempotency_request_in_flight` if it does not come.

Keys are scoped to the caller. Answers below 500 are kept (a refusal is the answer to that request too); a server
error frees the key so that a retry runs again. Written here rather than taken from drf-idempotency, whose keys
are global to the site (two merchants picking the same key would meet) and whose concurrent retries get a 409
instead of the answer.
"""

import hashlib
import json
import re
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.views import APIView

from disputes.actors import Actor
from disputes.errors import DomainError, InvalidTransition, ValidationFailed
from disputes.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"^[A-Za-z0-9._~:\-]{1,255}$")
# A request in flight this long is taken as abandoned (its process died): the key is free again.
ABANDONED_AFTER = timedelta(minutes=5)


class KeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


class _Replay(Exception):
    """Raised from `initial` to answer with a stored response instead of running the view."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("replay")
        self.response = response


def fingerprint(request: Request) -> str:
    """What makes two requests the same request: method, path, query and data (a file by its SHA-256)."""

    def canonical(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            digest = hashlib.sha256()
            for chunk in value.chunks():
                digest.update(chunk)
            value.seek(0)
            return {"file": digest.hexdigest()}
        if isinstance(value, dict):
            return {str(k): canonical(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [canonical(v) for v in value]
        return value

    data = request.data
    lists = getattr(data, "lists", None)
    shaped = {key: canonical(values) for key, values in lists()} if callable(lists) else canonical(data)
    document = {"method": request.method, "path": request.path, "query": request.GET.urlencode(), "data": shaped}
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def _claim(user: Actor, key: str, print_: str) -> IdempotencyKey:
    """The caller's record of `key`, created for this request; or the stored answer (_Replay), a refusal."""
    ttl = timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
    give_up = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(user=user, key=key, fingerprint=print_, created_at=now)
        except IntegrityError:
            pass
        found = IdempotencyKey.objects.filter(user=user, key=key).first()
        if found is None:
            continue  # freed meanwhile
        stale = found.created_at < now - (ttl if found.status_code is not None else ABANDONED_AFTER)
        if stale:
            IdempotencyKey.objects.filter(pk=found.pk, created_at=found.created_at).delete()
            continue
        if found.fingerprint != print_:
            raise KeyReused(
                f"The Idempotency-Key {key!r} was used for a different request; use a new key for a new request."
            )
        if found.status_code is not None:
            response = HttpResponse(bytes(found.body), status=found.status_code, content_type=found.content_type)
            response[HEADER] = key
            response[REPLAYED] = "true"
            raise _Replay(response)
        if time.monotonic() >= give_up:
            raise InvalidTransition(
                f"A request with the Idempotency-Key {key!r} is still being processed; retry later.",
                code="idempotency_request_in_flight",
            )
        time.sleep(0.05)


class IdempotentWrites(APIView):
    """Mixed into the API's viewsets: POSTs that carry an Idempotency-Key are answered at most once per key."""

    _idempotency_record: IdempotencyKey | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # the caller is authenticated, permitted and not throttled
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return
        if not _KEY.match(key):
            raise ValidationFailed(
                "The Idempotency-Key is 1 to 255 characters of letters, digits and . _ ~ : -",
                code="invalid_idempotency_key",
            )
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return
        self._idempotency_record = _claim(user, key, fingerprint(request))  # type: ignore[arg-type]

    # DRF hands any HttpResponseBase through (finalize_response asserts no more); a replay is a plain HttpResponse.
    def handle_exception(self, exc: Exception) -> HttpResponseBase:  # type: ignore[override]
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(  # type: ignore[override]  # as handle_exception: replays are plain HttpResponses
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[arg-type]
        record, self._idempotency_record = self._idempotency_record, None
        if record is None:
            return response
        if response.status_code >= 500:
            record.delete()
            return response
        render = getattr(response, "render", None)
        if callable(render):
            render()
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = bytes(getattr(response, "content", b""))
        record.completed_at = timezone.now()
        record.save(update_fields=["status_code", "content_type", "body", "completed_at"])
        response[HEADER] = record.key
        response[REPLAYED] = "false"
        return response

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # An error no handler turned into a response (a 500): free the key so that a retry runs again.
            leftover, self._idempotency_record = self._idempotency_record, None
            if leftover is not None:
                IdempotencyKey.objects.filter(pk=leftover.pk, status_code__isnull=True).delete()
