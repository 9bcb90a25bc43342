"""The private-address guard for outbound webhook requests (SSRF).

A webhook URL comes from an API caller, so without a guard anyone with an API
key could make this server send requests into its own network (a database's
admin port, a cloud metadata endpoint). The guard resolves the host once and
accepts the URL only if every address is public; the caller then connects to
one of those vetted addresses, never to a name resolved a second time, so a DNS
answer that changes between check and use (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Refused in addition to what `ipaddress` calls non-global: shared address space
# (carrier-grade NAT, often internal in clouds) and the metadata endpoints.
BLOCKED_NETWORKS = (
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)
# Characters left as they are in the request line; spaces, control characters
# and non-ASCII are percent-encoded (existing escapes are kept), as browsers do.
REQUEST_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"
# IPv6 forms that embed an IPv4 address, which is judged instead.
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """The URL may not be requested; the message completes "the URL ...".

    The message names no address and no exception text (it reaches callers); the
    detail goes to the log.
    """

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        if detail:
            logger.info("Refused a URL target: %s (%s)", message, detail)


@dataclass(frozen=True)
class VettedTarget:
    """Where to connect (`addresses`) and what to say there (Host header, SNI, path)."""

    scheme: str
    hostname: str
    port: int
    addresses: tuple[str, ...]
    host_header: str
    request_target: str
    username: str | None
    password: str | None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64_NETWORK:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: str | IPAddress) -> bool:
    """True if the address is globally routable and none of the refused kinds."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            if ip.ipv4_mapped is not None:
                # A mapped address is the IPv4 host itself.
                return is_public_address(inner)
            if not is_public_address(inner):
                return False
    if any(ip in network for network in BLOCKED_NETWORKS if network.version == ip.version):
        return False
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


class AddressGuard:
    """Vets a URL: scheme, host, and every address the host resolves to.

    `resolver` has `socket.getaddrinfo`'s signature; it is a class attribute so
    tests can answer names from a table instead of DNS without patching code.
    """

    resolver = staticmethod(socket.getaddrinfo)
    schemes = {"http": 80, "https": 443}

    @classmethod
    def vet(cls, url: str, *, resolve: bool = True) -> VettedTarget:
        """Return the target to connect to; raise UnsafeTarget if the URL may not be used.

        With settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS any address is accepted;
        `resolve=False` then skips the lookup (request-time validation only).
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UnsafeTarget("is not a valid URL", detail=str(exc)) from None
        scheme = parts.scheme.lower()
        if scheme not in cls.schemes:
            raise UnsafeTarget("must use http or https")
        if not parts.hostname:
            raise UnsafeTarget("has no host")
        hostname = parts.hostname
        try:
            ascii_hostname = hostname if hostname.isascii() else hostname.encode("idna").decode()
        except UnicodeError:
            raise UnsafeTarget("has an invalid host name", detail=hostname) from None
        port = port or cls.schemes[scheme]
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
        addresses: tuple[str, ...] = ()
        if resolve or not allow_private:
            addresses = cls.resolve(ascii_hostname, port)
        if not allow_private:
            for address in addresses:
                if not is_public_address(address):
                    raise UnsafeTarget(
                        "resolves to a private address", detail=f"{ascii_hostname}: {address}"
                    )
        host_for_header = f"[{ascii_hostname}]" if ":" in ascii_hostname else ascii_hostname
        if port != cls.schemes[scheme]:
            host_for_header = f"{host_for_header}:{port}"
        return VettedTarget(
            scheme=scheme,
            hostname=ascii_hostname,
            port=port,
            addresses=addresses,
            host_header=host_for_header,
            request_target=quote(
                (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                safe=REQUEST_TARGET_SAFE,
            ),
            username=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    @classmethod
    def resolve(cls, hostname: str, port: int) -> tuple[str, ...]:
        try:
            answers = cls.resolver(hostname, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise UnsafeTarget("host does not resolve", detail=hostname) from None
        addresses = tuple(dict.fromkeys(str(answer[4][0]) for answer in answers))
        if not addresses:
            raise UnsafeTarget("host does not resolve", detail=hostname)
        return addresses
