"""The client's own direct HTTP connections: an httpx transport, and a faster way around httpx.

Connecting a room costs two HTTP requests (the room lookup and the signed first fetch). Through
httpx each took ~1 ms of CPU in httpx, httpcore and h11 (request and URL models, the pool's
locks and events, stream wrappers, cookie copies), most of what a room's connect costs; a
thousand rooms are CPU-bound on it. :class:`DirectTransport` keeps its own pool of
HTTP/1.1 connections on plain asyncio sockets (:mod:`pytiktoklive._network`) and reads them
with the sans-I/O :mod:`pytiktoklive._http11`, and offers two ways in:

* :meth:`DirectTransport.handle_async_request`, httpx's transport interface: the client's
  ``httpx.AsyncClient`` is built on it (so anything sent through that client goes this way);
* :meth:`DirectTransport.exchange`, for :func:`pytiktoklive._receive.receive`: a request from a
  URL string and header pairs, and the raw answer, without building httpx's models.

Proxied requests, and a client the user brought, never come here (httpx's own transports).

Bounded like httpx's pool, with its defaults: at most ``max_connections`` open (a request waits
up to the ``pool`` timeout for one: ``httpx.PoolTimeout``), at most ``max_keepalive`` idle,
each idle at most ``keepalive_expiry`` seconds; connect, read and write each within their
timeout. Failures are httpx's exceptions (``ConnectError``, ``ReadTimeout``,
``RemoteProtocolError``…), each caused by what went wrong. A connection is reused only after
a complete answer that allows it, and never once the server has said anything unasked or
closed it. As with httpx, a request whose reused connection the server closes as it arrives
fails (``RemoteProtocolError``) and is not sent again: the callers' retries decide.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
import weakref
from typing import TYPE_CHECKING, AsyncIterator, Deque, Dict, List, Mapping, NoReturn, Optional, Tuple

import httpcore
import httpx

from pytiktoklive._http11 import DecodingError, Head, ProtocolError, ResponseReader, request_bytes
from pytiktoklive._network import AsyncioBackend, AsyncioStream

__all__ = ["DirectTransport", "Exchange", "direct_transport", "use_direct_transport"]

_DEFAULT_PORTS = {b"http": 80, b"https": 443}
#: Bytes read from a socket at a time.
_READ_SIZE = 64 * 1024

_Origin = Tuple[bytes, str, int]
if TYPE_CHECKING:
    #: A request waiting for a connection: given None (a place to open one) or a connection.
    _Waiter = asyncio.Future[Optional[AsyncioStream]]

# httpcore's exceptions (what the sockets raise) as httpx's, as httpx maps them.
_HTTPX_ERRORS: Dict[type, type] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
}


def _raise_as_httpx(exc: BaseException) -> NoReturn:
    """Raise ``exc`` as httpx's exception for it (caused by it), or as it is."""
    if isinstance(exc, DecodingError):
        raise httpx.DecodingError(str(exc)) from exc
    if isinstance(exc, ProtocolError):
        raise httpx.RemoteProtocolError(str(exc)) from exc
    kind = _HTTPX_ERRORS.get(type(exc))
    if kind is not None:
        raise kind(str(exc)) from exc
    raise exc


class _Idle:
    __slots__ = ("stream", "since")

    def __init__(self, stream: AsyncioStream, since: float) -> None:
        self.stream = stream
        self.since = since


class Exchange:
    """One request's answer on one connection: :attr:`head`, then the body's raw (still
    content-encoded) bytes from :meth:`read`; :meth:`aclose` gives the connection back to the pool
    when the answer was read to its end and allows reuse, else closes it."""

    def __init__(
        self,
        transport: DirectTransport,
        origin: _Origin,
        stream: AsyncioStream,
        reader: ResponseReader,
        read_timeout: Optional[float],
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._stream: Optional[AsyncioStream] = stream
        self._reader = reader
        self._read_timeout = read_timeout
        assert reader.head is not None
        self.head: Head = reader.head
        #: The connection (for its extras: ``ssl_object``, ``server_addr``…).
        self.stream = stream

    async def read(self) -> bytes:
        """The next raw body bytes; ``b""`` at the end of the body."""
        reader = self._reader
        while True:
            data = reader.body()
            if data or reader.done:
                return data
            stream = self._stream
            if stream is None:
                raise httpx.ReadError("the answer was closed")
            try:
                reader.feed(await stream.read(_READ_SIZE, self._read_timeout))
            except BaseException as exc:
                await self._close_stream()
                _raise_as_httpx(exc)

    async def aclose(self) -> None:
        stream = self._stream
        if stream is not None and self._reader.done and self._reader.keep_alive:
            self._stream = None
            self._transport._give_back(self._origin, stream)
        else:
            await self._close_stream()

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()
            self._transport._release()


class DirectTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over plain asyncio sockets, pooled (see the module's docstring)."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_connections: int = 256,
        max_keepalive: int = 64,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self.ssl_context = ssl_context
        self.max_connections = max_connections
        self.max_keepalive = max_keepalive
        self.keepalive_expiry = keepalive_expiry
        self._backend = AsyncioBackend()
        #: Idle connections per origin, the most recently used last.
        self._idle: Dict[_Origin, List[_Idle]] = {}
        self._idle_count = 0
        #: Connections open (idle or in use), and the requests waiting for room for one.
        self._open = 0
        self._waiting: Deque[Tuple[_Origin, _Waiter]] = collections.deque()
        self._closed = False

    # ------------------------------------------------------------------ the fast way in

    async def exchange(
        self,
        method: bytes,
        scheme: bytes,
        host: str,
        port: Optional[int],
        target: bytes,
        headers: List[Tuple[bytes, bytes]],
        timeout: Mapping[str, Optional[float]],
        body: bytes = b"",
    ) -> Exchange:
        """Send one request (``headers`` complete, ``Host`` included) and read its answer's head."""
        if self._closed:
            raise RuntimeError("the HTTP client is closed")
        try:
            message = request_bytes(method, target, headers) + body
        except ProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        origin: _Origin = (scheme, host, port or _DEFAULT_PORTS.get(scheme, 0))
        stream = await self._connection(origin, timeout)
        reader = ResponseReader(method.decode("ascii"))
        try:
            await stream.write(message, timeout.get("write"))
            while reader.head is None:
                reader.feed(await stream.read(_READ_SIZE, timeout.get("read")))
        except BaseException as exc:
            self._discard(stream)
            _raise_as_httpx(exc)
        return Exchange(self, origin, stream, reader, timeout.get("read"))

    # ------------------------------------------------------------------ httpx's way in

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"the URL's scheme is {url.scheme!r}, not http or https")
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        headers = list(request.headers.raw)
        if body and not any(name.lower() == b"content-length" for name, _ in headers):
            headers = [(name, value) for name, value in headers if name.lower() != b"transfer-encoding"]
            headers.append((b"Content-Length", str(len(body)).encode()))
        exchange = await self.exchange(
            request.method.encode("ascii"),
            url.raw_scheme,
            url.raw_host.decode("ascii"),
            url.port,
            url.raw_path,
            headers,
            request.extensions.get("timeout", {}),
            body,
        )
        head = exchange.head
        return httpx.Response(
            head.status,
            headers=head.headers,
            stream=_ResponseStream(exchange),
            extensions={
                "http_version": head.http_version,
                "reason_phrase": head.reason,
                "network_stream": exchange.stream,
            },
        )

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        self._idle_count = 0
        for entries in idle.values():
            for entry in entries:
                await entry.stream.aclose()
                self._open -= 1

    # ------------------------------------------------------------------ the pool

    async def _connection(self, origin: _Origin, timeout: Mapping[str, Optional[float]]) -> AsyncioStream:
        """An idle connection to ``origin`` that is still good, else a new one."""
        entries = self._idle.get(origin)
        now = time.monotonic()
        while entries:
            entry = entries.pop()
            self._idle_count -= 1
            if now - entry.since < self.keepalive_expiry and not entry.stream.get_extra_info("is_readable"):
                return entry.stream
            self._discard(entry.stream)  # expired, or the server closed it (or spoke unasked)
        handed = await self._place_for(origin, timeout.get("pool"))
        if handed is not None:
            return handed
        try:
            return await self._connect(origin, timeout.get("connect"))
        except BaseException as exc:
            self._release()
            _raise_as_httpx(exc)

    async def _connect(self, origin: _Origin, timeout: Optional[float]) -> AsyncioStream:
        scheme, host, port = origin
        stream = await self._backend.connect_tcp(host, port, timeout=timeout)
        if scheme == b"https":
            try:
                stream = await stream.start_tls(self.ssl_context, server_hostname=host, timeout=timeout)
            except BaseException:
                await stream.aclose()
                raise
        assert isinstance(stream, AsyncioStream)
        return stream

    async def _place_for(self, origin: _Origin, timeout: Optional[float]) -> Optional[AsyncioStream]:
        """Room for one more connection (None: counted, to be opened), waiting (``timeout``) while
        ``max_connections`` are open; or, handed over while waiting, a connection to ``origin``
        another request is done with."""
        if self._open >= self.max_connections and self._idle_count:
            self._drop_oldest_idle()  # idle to another origin: its place is better used here
        if self._open < self.max_connections and not self._waiting:
            self._open += 1
            return None
        loop = asyncio.get_running_loop()
        waiter: _Waiter = loop.create_future()
        self._waiting.append((origin, waiter))
        timer = None if timeout is None else loop.call_later(timeout, _time_out, waiter)
        try:
            return await waiter
        except _PoolWaitTimedOut:
            self._forget(waiter)
            raise httpx.PoolTimeout(
                f"no connection free within {timeout:g}s ({self.max_connections} open)"
            ) from None
        except BaseException:  # the request was cancelled
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Given a place or a connection just as it was cancelled: passed on.
                handed = waiter.result()
                if handed is not None:
                    handed.close_now()
                self._release()
            else:
                waiter.cancel()
                self._forget(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _forget(self, waiter: _Waiter) -> None:
        self._waiting = collections.deque(entry for entry in self._waiting if entry[1] is not waiter)

    def _discard(self, stream: AsyncioStream) -> None:
        """Close a connection of the pool's and pass its place on."""
        stream.close_now()
        self._release()

    def _release(self) -> None:
        """One connection closed: its place goes to the first request waiting, if any."""
        while self._waiting:
            _, waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._open -= 1

    def _give_back(self, origin: _Origin, stream: AsyncioStream) -> None:
        if self._closed:
            self._discard(stream)
            return
        if self._waiting:
            # A request waiting for a connection to this origin takes this one; one waiting for
            # another origin takes its place.
            for index, (wanted, waiter) in enumerate(self._waiting):
                if wanted == origin and not waiter.done():
                    del self._waiting[index]
                    waiter.set_result(stream)
                    return
            self._discard(stream)
            return
        if self._idle_count >= self.max_keepalive:
            self._drop_oldest_idle()
        self._idle.setdefault(origin, []).append(_Idle(stream, time.monotonic()))
        self._idle_count += 1

    def _drop_oldest_idle(self) -> None:
        """Close the connection idle the longest (its place is then free: no one waits for it)."""
        oldest: Optional[Tuple[_Origin, _Idle]] = None
        for origin, entries in self._idle.items():
            if entries and (oldest is None or entries[0].since < oldest[1].since):
                oldest = (origin, entries[0])
        if oldest is None:
            return
        origin, entry = oldest
        entries = self._idle[origin]
        entries.pop(0)
        if not entries:
            del self._idle[origin]
        self._idle_count -= 1
        entry.stream.close_now()
        self._open -= 1


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            data = await self._exchange.read()
            if not data:
                return
            yield data

    async def aclose(self) -> None:
        await self._exchange.aclose()


_DIRECT: weakref.WeakKeyDictionary[httpx.AsyncClient, DirectTransport] = weakref.WeakKeyDictionary()


def use_direct_transport(client: httpx.AsyncClient, transport: DirectTransport) -> None:
    """Say that every request of ``client`` goes through ``transport`` (a client with no proxies,
    built on it), so that :func:`direct_transport` lets ``receive`` use it directly."""
    _DIRECT[client] = transport


def direct_transport(client: httpx.AsyncClient) -> Optional[DirectTransport]:
    """The :class:`DirectTransport` all of ``client``'s requests go through, if it has one."""
    return _DIRECT.get(client)


class _PoolWaitTimedOut(Exception):
    """No connection became free within the pool timeout (internal: raised as ``httpx.PoolTimeout``)."""


def _time_out(waiter: _Waiter) -> None:
    if not waiter.done():
        waiter.set_exception(_PoolWaitTimedOut())
