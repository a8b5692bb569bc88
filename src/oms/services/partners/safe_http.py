"""HTTP to partners' addresses that cannot lead back inside the service's own network.

A webhook URL names a host; what it resolves to decides where the request goes, and DNS can change between
the moment a subscription is made and each delivery (or between a check and a connection: DNS rebinding).
So the check is made where the connection is opened: the name is resolved once, every address it gave is
checked, and the connection goes to one of those checked addresses, never to a second lookup's answer.
The URL, the ``Host`` header and TLS (SNI and the certificate's name) keep the partner's own name.
"""

import asyncio
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from ...domain.addresses import refused
from ...domain.errors import FieldError, InvalidInput

LOOKUP_S = 5.0  # at most this long to resolve a name when there is no other limit


class RefusedAddress(httpcore.ConnectError):
    """The host is, or resolves to, an address the OMS does not send to: nothing was sent."""


async def reachable(ctx, url: str, field: str) -> None:
    """InvalidInput on ``field`` when the host of ``url`` is, or resolves to, an address inside (unless
    ``OMS_WEBHOOK_ALLOW_PRIVATE``). A name that does not resolve now is taken: each request checks again where
    it leads."""
    if ctx.settings.webhook_allow_private:
        return
    parsed = urlsplit(url)
    assert parsed.hostname is not None  # (the inputs refuse a URL without one)
    try:
        await checked(parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80), allow_private=False)
    except RefusedAddress as exc:
        raise InvalidInput([FieldError(field, str(exc))]) from None
    except httpcore.ConnectError:
        pass


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (an address literal resolves to itself), in the resolver's order."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))  # (an IP address: a str for these families)


async def checked(host: str, port: int, *, allow_private: bool, lookup_s: float | None = None) -> list[str]:
    """The addresses of ``host``, each of them allowed; RefusedAddress naming the first that is not (one
    address inside is enough to refuse: the resolver may answer it next time)."""
    try:
        addresses = await asyncio.wait_for(resolve(host, port), lookup_s or LOOKUP_S)
    except (OSError, TimeoutError) as exc:
        raise httpcore.ConnectError(f"{host} does not resolve ({exc})") from None
    if not allow_private:
        for address in addresses:
            if why := refused(address):
                shown = host if address == host else f"{host} resolves to {address},"
                raise RefusedAddress(f"refused: {shown} {why} (OMS_WEBHOOK_ALLOW_PRIVATE=1 allows it)")
    return addresses


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to checked addresses only (and no Unix sockets)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109 - httpcore's
                          local_address: str | None = None,
                          socket_options: Iterable | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await checked(host, port, allow_private=self.allow_private, lookup_s=timeout)
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:  # each one checked: the next is tried when one does not answer
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109 - httpcore's
                                  socket_options: Iterable | None = None) -> httpcore.AsyncNetworkStream:
        raise RefusedAddress("refused: a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (requests and answers mapped as usual) over a pool that connects through
    ``_CheckedBackend``. No proxy from the environment: the check must see the partner's address."""

    def __init__(self, allow_private: bool) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                                  network_backend=_CheckedBackend(allow_private))


def client(*, allow_private: bool, timeout: float) -> httpx.AsyncClient:
    """A client that sends only to allowed addresses; redirects are not followed."""
    return httpx.AsyncClient(transport=_CheckedTransport(allow_private), timeout=timeout, trust_env=False,
                             follow_redirects=False)


def refusal(exc: httpx.HTTPError) -> str | None:
    """The reason, when ``exc`` is a refused address."""
    return str(exc.__cause__) if isinstance(exc.__cause__, RefusedAddress) else None
