"""Which client a request comes from, for the per-client limits and the staff-login backoff.

The key is the socket peer, unless the peer is a proxy named in OPC_TRUSTED_PROXIES: then it is the nearest
address in X-Forwarded-For that is not one of those proxies. A header is never believed from anyone else, so a
client cannot pick a fresh key by sending one. IPv6 clients are keyed by their /64 (one subscriber's allocation).

uvicorn rewrites the peer from X-Forwarded-For itself when its `proxy_headers` is on (its default, trusting
loopback peers). `opc-assistant serve` turns that off; under a uvicorn started some other way the real peer is lost
once rewritten, so every such request shares one key (fail closed) instead of the address it names."""
from __future__ import annotations

import ipaddress

UNVERIFIED = "forwarded-unverified"  # the key of requests whose peer uvicorn replaced by a forwarded address
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(text: str) -> Address | None:
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip


def entry_host(entry: str) -> str:
    """The host part of one X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:80` or a bare IPv6."""
    entry = entry.strip()
    if entry.startswith("["):
        return entry[1:entry.find("]")] if "]" in entry else entry
    return entry.split(":")[0] if entry.count(":") == 1 else entry


def forwarded_for(headers) -> list[str]:
    """Every X-Forwarded-For entry, in order (several headers are one list, as proxies append)."""
    values = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
    return [entry_host(e) for e in ",".join(values).split(",") if e.strip()]


def client_key(ip: Address) -> str:
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class ClientResolver:
    """Resolves a request's client from its ASGI scope with a fixed set of trusted proxies."""

    def __init__(self, trusted_proxies: str = ""):
        self.networks = []
        for item in (s.strip() for s in trusted_proxies.split(",")):
            if item:
                try:
                    self.networks.append(ipaddress.ip_network(item, strict=False))
                except ValueError:
                    raise ValueError(f"OPC_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None

    def trusted(self, ip: Address | None) -> bool:
        return ip is not None and any(ip in net for net in self.networks if net.version == ip.version)

    def resolve(self, scope) -> tuple[str, str | None]:
        """(limit key, the client's address when a trusted proxy forwarded it, else None)."""
        peer_text = (scope.get("client") or ("unknown", 0))[0]
        peer = _ip(peer_text)
        chain = forwarded_for(scope.get("headers", []))
        if not chain:
            return (client_key(peer) if peer else peer_text), None
        if self.trusted(peer):
            for entry in reversed(chain):  # each trusted proxy appended the address it saw
                ip = _ip(entry)
                if ip is None:
                    break  # garbage from a proxy we trust: keep the proxy as the key
                if not self.trusted(ip):
                    return client_key(ip), str(ip)
            return (client_key(peer) if peer else peer_text), None
        if peer_text in chain:  # uvicorn replaced the peer by a forwarded address: the peer is unknown
            return UNVERIFIED, None
        return (client_key(peer) if peer else peer_text), None
