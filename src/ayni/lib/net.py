"""The address a request really came from, for throttling.

Behind nginx every request arrives from 127.0.0.1, so REMOTE_ADDR alone would count the whole
country as one client. X-Forwarded-For says who the proxy saw, but anyone can send that header,
so it is read only when REMOTE_ADDR is one of the proxies we run (`AYNI_TRUSTED_PROXIES`), and
then from the right: each proxy appends the address it saw, so the right-most address that is not
one of ours is the first one nobody could forge. Whatever a client wrote further left is ignored.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@cache
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def parse_proxies(entries: list[str]) -> list[str]:
    """The setting checked at start-up: a typo must stop the server, not trust nothing silently."""
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"AYNI_TRUSTED_PROXIES: {entry!r} is not an address or a network (e.g. 127.0.0.1, 10.0.0.0/8)"
            ) from exc
    return entries


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:10.1.2.3 is 10.1.2.3
    return address


def client_address(request) -> str | None:
    """The client's address as a string, or None when there is none (a test, a Unix socket)."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    proxies = _networks(tuple(settings.AYNI_TRUSTED_PROXIES))
    if not any(remote in net for net in proxies):
        return str(remote)
    client = remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not an address: the hop to its right is the last one we can vouch for
            break
        client = address
        if not any(address in net for net in proxies):
            break
    return str(client)
