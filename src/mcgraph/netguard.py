"""Which network addresses mcgraph may connect to on a user's behalf, shared by every fetcher
(JSON-LD contexts, harvesting): public unicast addresses only, unless a caller explicitly
allows private ones. A host is resolved once and the connection pinned to a vetted address,
so a second DNS answer (rebinding) cannot send the request elsewhere."""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["METADATA_HOSTS", "is_public", "resolve_addresses"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata services, refused by name as well as by address (169.254.169.254 is
#: link-local; fd00:ec2::254 is unique-local): never reachable, whatever a source allows.
METADATA_HOSTS = frozenset(
    {"metadata.google.internal", "metadata", "instance-data", "169.254.169.254", "fd00:ec2::254"}
)


def is_public(address: Address) -> bool:
    """True for a global unicast address (not private, loopback, link-local, reserved...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def is_metadata(address: Address) -> bool:
    """The cloud metadata addresses (refused even where private addresses are allowed)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address) in METADATA_HOSTS


def resolve_addresses(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (OSError/ValueError when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
