"""Helpers for webhook tests: events for a merchant's cases, published (which fans them out), and a real HTTP
receiver on 127.0.0.1 whose answers a test scripts."""

import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from django.utils import timezone

from disputes.events.publish import publish
from disputes.events.record import PendingEvent, record_many
from disputes.models import Event, Merchant, WebhookEndpoint
from disputes.webhooks.endpoints import webhook_endpoint_create

BJ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=BJ)


def events_for(merchant: Merchant | None, cases: list[tuple[str, int]], type_: str = "refund.noted") -> list[Event]:
    """One event per (case type, case id), in that order, for `merchant`; written and published (fanned out)."""
    now = timezone.now()
    pending = [
        PendingEvent(type_, case_type, case_id, merchant.pk if merchant else None, None, now, {"n": n})
        for n, (case_type, case_id) in enumerate(cases)
    ]
    before = Event.objects.count()
    record_many(pending)
    publish()
    return list(Event.objects.order_by("id")[before:])


def endpoint_for(user, url: str, event_types: list[str] | None = None) -> WebhookEndpoint:
    return webhook_endpoint_create(actor=user, url=url, event_types=event_types or [])


class Receiver:
    """An HTTP server in a thread. `answer(request_number, headers, body)` gives each request's status (default
    200); every request is kept in `requests` as (headers, body, status)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.answer: Callable[[int, dict[str, str], bytes], int] = lambda n, headers, body: 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.answer(len(receiver.requests), headers, body)
                receiver.requests.append((headers, body, status))
                text = b'{"ok": true}' if status < 300 else b"x" * 800
                self.send_response(status)
                self.send_header("content-length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
