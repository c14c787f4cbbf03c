"""Where a store may point its receipt printer: the rule, checked when the address is saved and
again, after a fresh DNS lookup, right before anything is sent to it.

A printer address is a place the platform's own servers open a TCP connection to, on a store's
word; left open it reaches the machine itself (loopback), the cloud's metadata service
(169.254.169.254, Aliyun's 100.100.100.200), the platform's database and Redis, and every private
network the servers sit in. So the rule allows, and only for the printer ports (9100–9102 by
default, `PRINTER_PORTS`):

- public (globally routed) addresses: a printer the shop exposes or relays to the internet, the
  only kind a platform in the cloud can reach;
- private LAN ranges (10/8, 172.16/12, 192.168/16, fc00::/7) only when `LAN_PRINTERS_ENABLED`
  says the platform runs on the shops' own network;

and refuses everything else: loopback, link-local, multicast, unspecified, reserved, carrier NAT
and the other special ranges, and the host:port of every service the platform itself uses
(`SQLALCHEMY_DATABASE_URI`, `REDIS_URL`, `RATELIMIT_STORAGE_URI`, `S3_ENDPOINT_URL`). A name is
refused if any of its addresses is. The config is passed in, so tests can run the loopback
printer stand-in with `PRINTER_ALLOW_LOOPBACK` (any port, never a platform service).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from app.errors import InvalidInput
from app.i18n_markers import N_
from app.messages import define

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PRINTER_HOST_UNKNOWN = define("printer_host_unknown", N_("找不到打印机地址 %(host)s"))
PRINTER_TARGET_REFUSED = define("printer_target_refused", N_("打印机地址 %(host)s 不可使用"))
PRINTER_LAN_CLOSED = define(
    "printer_lan_closed", N_("%(host)s 是局域网地址，平台未开放局域网打印机")
)
PRINTER_PORT_REFUSED = define("printer_port_refused", N_("打印机端口须为 %(ports)s"))

DEFAULT_PORTS = "9100-9102"
LAN_RANGES = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
# Where the platform's own services live, and the port a URL of that scheme means by default.
SERVICE_SETTINGS = (
    "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "S3_ENDPOINT_URL",
)
SCHEME_PORTS = {
    "postgresql": 5432,
    "postgres": 5432,
    "mysql": 3306,
    "mariadb": 3306,
    "redis": 6379,
    "rediss": 6379,
    "memcached": 11211,
    "mongodb": 27017,
    "http": 80,
    "https": 443,
}


def vet_printer_target(host: str, port: int, config: Mapping[str, Any]) -> str:
    """The address to connect to for `host:port`, or InvalidInput saying why not.

    Connect to the returned address, not to `host`: looking the name up again would let DNS
    answer differently from what was checked.
    """
    ports = config.get("PRINTER_PORTS") or DEFAULT_PORTS
    addresses = resolve_host(host)
    services = service_endpoints(config)
    for address in addresses:
        if (address, port) in services or (address, None) in services:
            raise InvalidInput(PRINTER_TARGET_REFUSED(host=host))
        if address.is_loopback and config.get("PRINTER_ALLOW_LOOPBACK"):
            continue  # the local stand-in listens on whatever port it was given
        if not port_allowed(port, ports):
            raise InvalidInput(PRINTER_PORT_REFUSED(ports=ports))
        if not _routable(address):
            raise InvalidInput(PRINTER_TARGET_REFUSED(host=host))
        if _on_lan(address) and not config.get("LAN_PRINTERS_ENABLED"):
            raise InvalidInput(PRINTER_LAN_CLOSED(host=host))
    return str(addresses[0])


def resolve_host(host: str) -> list[IPAddress]:
    """Every address the name stands for now (an IP literal, in any form inet_aton reads, too)."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InvalidInput(PRINTER_HOST_UNKNOWN(host=host)) from exc
    addresses = list(dict.fromkeys(_plain(ipaddress.ip_address(info[4][0])) for info in found))
    if not addresses:
        raise InvalidInput(PRINTER_HOST_UNKNOWN(host=host))
    return addresses


def service_endpoints(config: Mapping[str, Any]) -> set[tuple[IPAddress, int | None]]:
    """(address, port) of every service the platform uses; port None when the URL has none we
    know, which refuses the whole host."""
    endpoints: set[tuple[IPAddress, int | None]] = set()
    for setting in SERVICE_SETTINGS:
        url = urlsplit(str(config.get(setting) or ""))
        if not url.hostname:
            continue
        try:
            port = url.port or SCHEME_PORTS.get(url.scheme.split("+")[0].lower())
            addresses = resolve_host(url.hostname)
        except (ValueError, InvalidInput):
            continue  # a setting we cannot read or resolve names nothing we could connect to
        endpoints.update((address, port) for address in addresses)
    return endpoints


def parse_ports(spec: str) -> list[range]:
    """ "9100-9102,515" as ranges; ValueError for anything else."""
    ranges = []
    for part in spec.split(","):
        low, _, high = part.strip().partition("-")
        ranges.append(range(int(low), int(high or low) + 1))
    return ranges


def port_allowed(port: int, spec: str) -> bool:
    return any(port in allowed for allowed in parse_ports(spec))


def _plain(address: IPAddress) -> IPAddress:
    """An IPv4 address wearing IPv6 clothes (::ffff:a.b.c.d) is judged as the IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _tunnelled(address: IPAddress) -> list[IPAddress]:
    """The IPv4 addresses a 6to4 or Teredo address leads to."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    return [part for part in (address.sixtofour, *(address.teredo or ())) if part is not None]


def _special(address: IPAddress) -> bool:
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    )


def _routable(address: IPAddress) -> bool:
    """Public or in a LAN range, never a special-purpose block (carrier NAT, where Aliyun keeps
    its metadata service, documentation, benchmarking, ...), nor a tunnel to one."""
    if _special(address) or not (address.is_global or _on_lan(address)):
        return False
    return all(part.is_global and not _special(part) for part in _tunnelled(address))


def _on_lan(address: IPAddress) -> bool:
    return any(address in network for network in LAN_RANGES)
