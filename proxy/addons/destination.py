"""Where a request really goes: the names it carries must all be its destination, on a port its API allows.

The allowlist judges the CONNECT target (or an absolute URL's host): what the proxy connects to.
The Host header, an HTTP/2 :authority and the TLS SNI are chosen by the code; at a shared front
end (a CDN, a PaaS router, virtual hosts) any of them can route the request, with its injected
credential, to another tenant on the same address. So every one of them must name the judged
destination, or the request is refused before anything is injected.
"""
import ipaddress
from dataclasses import dataclass

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_host(host):
    return (host or "").strip().lower().rstrip(".")


def split_authority(value):
    """'Host:443' -> ('host', 443); '[::1]:8' -> ('::1', 8); no port -> (host, None). Raises ValueError."""
    value = value.strip()
    if not value or any(c in value for c in " \t/\\@?#"):
        raise ValueError("malformed authority")
    if value.startswith("["):
        end = value.find("]")
        if end == -1:
            raise ValueError("malformed IPv6 authority")
        host, rest = value[1:end], value[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError("malformed IPv6 authority")
        port = rest[1:] if rest else None
    else:
        host, sep, port = value.rpartition(":")
        if not sep:
            host, port = value, None
        elif ":" in host:
            raise ValueError("unbracketed IPv6 authority")
    if port is not None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("malformed port")
        port = int(port)
    return normalise_host(host), port


def is_ip(host):
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def binding_error(host, port, scheme, host_headers, authority, client_sni, tls):
    """Why the names a request carries do not all match its destination, or None when they do."""
    host = normalise_host(host)
    if len(host_headers) > 1:
        return "more than one Host header"
    for label, value in [("Host header", v) for v in host_headers] + ([(":authority", authority)] if authority else []):
        try:
            named, named_port = split_authority(value)
        except ValueError as err:
            return f"{label} is malformed ({err})"
        if named != host:
            return f"{label} names '{named}' but the request goes to '{host}'"
        if named_port is not None and named_port != port:
            return f"{label} names port {named_port} but the request goes to port {port}"
        if named_port is None and DEFAULT_PORTS.get(scheme) != port:
            return f"{label} names no port but the request goes to port {port}"
    if tls:
        sni = normalise_host(client_sni) if client_sni else None
        if is_ip(host):
            if sni not in (None, host):
                return f"TLS SNI names '{sni}' but the request goes to '{host}'"
        elif sni != host:
            return f"TLS SNI names '{sni or '(none)'}' but the request goes to '{host}'"
    return None


@dataclass(frozen=True)
class Transport:
    """How a request may travel to its API: over TLS (credentials allowed) or plain (never)."""

    allowed: bool
    tls: bool
    reason: str = ""


def transport_for(api, scheme, port):
    if scheme == "https" and port in api.ports:
        return Transport(True, True)
    if scheme == "http" and port in api.plain_http_ports:
        return Transport(True, False)
    tls_ports = ", ".join(str(p) for p in sorted(api.ports))
    plain = ", ".join(str(p) for p in sorted(api.plain_http_ports)) or "none"
    return Transport(
        False, scheme == "https",
        f"{scheme}:// on port {port} is not allowed for API '{api.name}' (HTTPS ports: {tls_ports}; "
        f"plain HTTP ports: {plain}). Use https:// on an allowed port.",
    )


def connect_port_allowed(api, port):
    return port in api.ports or port in api.plain_http_ports


def parse_networks(text):
    """A comma-separated list of CIDRs the operator allows in open-egress mode. Raises ValueError."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in (text or "").split(",") if part.strip())


def non_public(ip, allowed_networks=()):
    """True for loopback, link-local (cloud metadata), private, Docker-internal, multicast and
    reserved addresses, unless the operator listed a network that holds it."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in net for net in allowed_networks):
        return False
    return not address.is_global or address.is_multicast
