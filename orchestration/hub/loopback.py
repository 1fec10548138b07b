"""Whether a host name or address is this machine: the client's token rule and the local Hub's bind rule."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str | None) -> bool:
    """`localhost` or a loopback address (IPv4 or IPv6, bracketed or not); False for anything else or nothing."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
