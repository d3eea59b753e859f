"""Which URLs a webhook may be sent to: http(s) only and, unless WEBHOOK_ALLOW_PRIVATE_URLS, only public addresses.

A merchant chooses the URL and the platform makes the request, so without this a merchant could make the platform
call its own network (server-side request forgery): loopback, private ranges, link-local (cloud metadata at
169.254.169.254), multicast, reserved. Checked when an endpoint is registered or changed, and again before every
delivery, on the addresses the host name resolves to then (a name may point elsewhere by the time it is used)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from disputes.errors import ValidationFailed, field_code

SCHEMES = ("http", "https")


class UrlRefused(ValidationFailed):
    """The URL is not http(s), or its host is not a public address (400 `url_not_public`)."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to now (a literal address resolves to itself)."""
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(f"The URL's host {host!r} does not resolve.", code=field_code("url", "not_public")) from exc
    return [str(info[4][0]) for info in found]


def check_url(url: str) -> list[str]:
    """Refuse (UrlRefused) a URL that is not http(s) with a host, or, unless WEBHOOK_ALLOW_PRIVATE_URLS, whose host
    resolves to any address that is not public. Returns the public addresses it resolved to (none when private
    URLs are allowed, which resolves nothing), for the caller to connect to exactly those."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused("The URL cannot be read.", code=field_code("url")) from exc
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise UrlRefused("Webhook URLs must be http:// or https:// with a host.", code=field_code("url"))
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return []
    addresses = resolve(parts.hostname, port)
    refused = [address for address in addresses if not is_public(address)]
    if refused:
        raise UrlRefused(
            "Webhook URLs must reach the public internet; this host is a loopback, private, link-local, multicast "
            "or reserved address.",
            code=field_code("url", "not_public"),
        )  # which addresses, never said: the answer would map the platform's network for the caller
    return addresses
