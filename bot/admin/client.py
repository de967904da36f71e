"""The address of the person behind a request: the peer's, or, when the peer is a trusted
reverse proxy (TRUSTED_PROXIES), the last address in X-Forwarded-For that is not one of them.
Without a trusted proxy the header is ignored: anyone can write it."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from functools import lru_cache

from aiohttp import web

log = logging.getLogger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=1)
def _warn_untrusted_proxy() -> None:
    # Once: behind a proxy every citizen and admin would share its address and its limits.
    log.warning(
        "requests carry X-Forwarded-For but TRUSTED_PROXIES is unset: every client counts as "
        "the proxy's address for the login and web chat limits"
    )


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(request: web.Request, trusted: tuple[str, ...]) -> str:
    peer = request.remote or "?"
    networks = _networks(trusted)
    if not networks and "X-Forwarded-For" in request.headers:
        _warn_untrusted_proxy()
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a forged or broken header: the proxy's own address
    return peer
