"""Where connectors may connect, and for how long: every socket they open goes through here.

A source's address is typed by an editor, so it may name this machine, the private network or a
cloud metadata service. The host is resolved once per connection; every address it resolves to
is checked (loopback, private, link-local, multicast, reserved, unspecified and the IPv4
addresses hidden in IPv6 ones are refused unless ``JOURNEYBOARD_OUTBOUND_ALLOW`` names them),
and the socket connects to the address that was checked, so a DNS answer that changes between
check and connect (rebinding) is never used. Redirects open their connections here too.

A ``Deadline`` bounds a whole request, headers and body: per-read timeouts do not stop a server
that trickles a byte a second, so at the deadline the request's sockets are shut, which ends a
read blocked on them at once.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from functools import lru_cache

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as socket_connection

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """A host that resolves to an address connectors may not reach.

    Not an ``OSError``: urllib3 and requests pass it through unwrapped, so it is never mistaken
    for a passing network fault and retried."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


# -- the address check ------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _parse_allow(
    entries: tuple[str, ...],
) -> tuple[frozenset[str], tuple[ipaddress._BaseNetwork, ...]]:
    names, networks = set(), []
    for entry in entries:
        entry = entry.strip().strip("[]").lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.rstrip("."))
    return frozenset(names), tuple(networks)


def allow_list() -> tuple[frozenset[str], tuple[ipaddress._BaseNetwork, ...]]:
    """The host names and networks this deployment lets connectors reach although they are
    local or private (``JOURNEYBOARD_OUTBOUND_ALLOW``)."""
    from django.conf import settings

    return _parse_allow(tuple(getattr(settings, "JOURNEYBOARD_OUTBOUND_ALLOW", ()) or ()))


def _embedded(ip: Address) -> list[Address]:
    """The address itself and any IPv4 address it carries (mapped, 6to4, Teredo)."""
    found: list[Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        found += [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour) if v4 is not None]
        if ip.teredo:
            found.append(ip.teredo[1])
    return found


def _public(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def host_allowed(host: str) -> bool:
    """Whether the allow-list names ``host`` (a name, or an address inside an allowed network)."""
    names, networks = allow_list()
    host = host.strip("[]").lower().rstrip(".")
    if host in names:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return _in_networks(ip, networks)


def _in_networks(ip: Address, networks: tuple[ipaddress._BaseNetwork, ...]) -> bool:
    return any(a in n for a in _embedded(ip) for n in networks if a.version == n.version)


def address_allowed(host: str, ip: Address) -> bool:
    """Whether a connection to ``host`` may go to ``ip``."""
    names, networks = allow_list()
    if host.lower().rstrip(".") in names or _in_networks(ip, networks):
        return True
    return all(_public(a) for a in _embedded(ip))


def resolve_checked(host: str, port: int) -> list[tuple]:
    """``getaddrinfo`` for ``host``, refused as a whole when any address is off limits (a name
    that resolves both inside and outside is not to be trusted either way)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address_allowed(host, ip):
            raise AddressRefused(host)
    return infos


# -- the deadline -----------------------------------------------------------------------------

_current = threading.local()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for TLS: SSLSocket.shutdown would drop its TLS state
    # under the reader's feet; shutting the descriptor ends the read with an error instead.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Deadline:
    """The end of one request: at ``seconds`` every socket attached to it is shut."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _current.deadline = None

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _attach(sock: socket.socket | None) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.attach(sock)


# -- connections that check, and an adapter that uses them -------------------------------------


def _connect_checked(conn: HTTPConnection) -> socket.socket:
    """A socket to one of the checked addresses of the connection's host (urllib3's errors, so
    requests reports them as it always does)."""
    host, port = conn._dns_host, conn.port
    try:
        infos = resolve_checked(host, port)
    except socket.gaierror as error:
        raise NameResolutionError(conn.host, conn, error) from error
    last: OSError | None = None
    for *_, sockaddr in infos:
        try:
            return socket_connection.create_connection(
                (sockaddr[0], port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(
                conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
            ) from error
        except OSError as error:
            last = error
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


class _Checked:
    def _new_conn(self) -> socket.socket:
        sock = _connect_checked(self)  # type: ignore[arg-type]
        _attach(sock)
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _attach(self.sock)  # type: ignore[attr-defined] (wrapped in TLS by now)

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _attach(self.sock)  # type: ignore[attr-defined] (a kept-alive connection)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class CheckedHTTPConnection(_Checked, HTTPConnection):
    pass


class CheckedHTTPSConnection(_Checked, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = CheckedHTTPSConnection


_POOLS = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


class CheckedAdapter(HTTPAdapter):
    """requests' adapter with every connection checked and attached to the current deadline.
    Through a proxy the connection goes to the proxy, which the allow-list must then name (the
    target is checked by the client before it asks: ``check_host``)."""

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # type: ignore[no-untyped-def]
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def check_host(host: str, port: int) -> None:
    """Resolve and check a host a proxy will connect to for us (best effort: the proxy resolves
    it again)."""
    resolve_checked(host, port)
