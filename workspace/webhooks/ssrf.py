"""Refuse webhook URLs that point inside our network.

Checked at creation and again at every delivery, because DNS can change
between the two (rebinding). At delivery the connection goes to the very
address that was vetted, so a second lookup cannot swap it. Redirects are
never followed. No maintained Python library does this without pulling in a
second HTTP client, so it is the standard library's `getaddrinfo` and
`ipaddress`.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 host
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local-use translators
# RFC 4291's deprecated IPv4-compatible form `::a.b.c.d` (and `::`, `::1`): no
# public host has one, and some stacks route it to the IPv4 address inside.
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 (SIIT)


class UnsafeURL(ValueError):
    """The URL is malformed, does not resolve, or reaches a forbidden address."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def is_forbidden(address: str) -> bool:
    """Is this address (as getaddrinfo gives it) anything but a public unicast
    host? An IPv6 address that carries an IPv4 one is judged by the IPv4
    address it reaches."""
    if "%" in address:
        return True  # a zone id: scoped to a local link
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True  # not an address we can judge
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in IPV4_COMPATIBLE or ip in IPV4_TRANSLATED or ip in NAT64_LOCAL:
            return True
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if ip in NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        inside = [v4 for v4 in embedded if v4 is not None]
        if inside:
            return any(is_forbidden(str(v4)) for v4 in inside)
    # `is_global` alone is not enough on every Python: 3.11 calls site-local
    # fec0::/10 and the IETF-reserved ranges global. Private, loopback,
    # link-local (cloud metadata at 169.254.169.254), CGNAT (Alibaba's
    # 100.100.100.200), unspecified, multicast and reserved are all refused.
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or getattr(ip, "is_site_local", False)
    )


def parse(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise UnsafeURL(f"Not a valid URL ({err}).") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeURL("Put credentials in the secret, not in the URL.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(url: str, allow_private: bool) -> Target:
    scheme, host, port, path = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise UnsafeURL(f"The host {host} does not resolve ({err}).") from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise UnsafeURL(f"The host {host} does not resolve.")
    if not allow_private:
        bad = [a for a in addresses if is_forbidden(a)]
        # One bad answer is enough to refuse: a name that mixes public and
        # private addresses is how rebinding attacks look.
        if bad:
            raise UnsafeURL(
                f"{host} resolves to {bad[0]}, a private, loopback, link-local or "
                "otherwise internal address; webhooks may only go to public addresses."
            )
    return Target(scheme, host, port, path, addresses)
