"""Sockets on plain asyncio for the client's own HTTP connections (:mod:`pytiktoklive._direct`).

:class:`AsyncioStream` is a connected socket on an :class:`asyncio.Protocol`: a read waits on
one future with one timer, and "closed by the server?" (``is_readable``) is a flag the protocol
keeps, where anyio's streams (httpx's default) put a cancel scope around every read and write
and rebuild a table of socket attributes for each such question. Its interface is httpcore's
network backend's (:class:`AsyncioBackend` opens them), so that httpcore's exceptions
(``ConnectError``, ``ReadTimeout``…, each caused by the original error), ``b""`` at the end of
the stream, TLS started on a connected stream, and the ``ssl_object``, ``client_addr``,
``server_addr``, ``socket`` and ``is_readable`` extras mean what they mean there.

Memory is bounded: reading pauses while more than :data:`_READ_AHEAD` bytes wait unread
(a server talking on an idle connection, or faster than the client reads).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from typing import Any, Deque, Iterable, Optional, cast

import httpcore

__all__ = ["AsyncioBackend", "AsyncioStream"]

#: Bytes received and not yet read beyond which the socket is not read from.
_READ_AHEAD = 256 * 1024
#: Bytes waiting to be sent beyond which a write waits for the socket to take them.
_WRITE_AHEAD = 64 * 1024

#: A ``setsockopt`` argument tuple (httpcore's ``SOCKET_OPTION``).
SocketOption = Any


class _Connection(asyncio.Protocol):
    """One socket's protocol: what arrived and was not read yet, and the state of the line."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: Optional[asyncio.Transport] = None
        self.received: Deque[bytes] = collections.deque()
        self.received_size = 0
        #: The server ended its side (EOF), or the connection is gone.
        self.eof = False
        #: Why the connection was lost (None: not lost, or closed cleanly).
        self.error: Optional[BaseException] = None
        self.lost = False
        self.reading_paused = False
        self.writing_paused = False
        self._read_waiter: Optional[asyncio.Future[None]] = None
        self._drain_waiter: Optional[asyncio.Future[None]] = None

    # ---------------------------------------------------------------- asyncio's callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (Not an isinstance check: other event loops' transports, uvloop's, need not subclass it.)
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(high=_WRITE_AHEAD)

    def data_received(self, data: bytes) -> None:
        self.received.append(data)
        self.received_size += len(data)
        if self.received_size > _READ_AHEAD and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # close the transport: httpcore never writes after the server's end

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.lost = True
        self.eof = True
        self.error = exc
        self._wake_reader()
        self._wake(self._drain_waiter)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake(self._drain_waiter)

    def why_lost(self) -> str:
        """What ended the connection, for a message."""
        error = self.error
        return (str(error) or repr(error)) if error is not None else "the connection is closed"

    # ---------------------------------------------------------------- waiting

    def _wake_reader(self) -> None:
        self._wake(self._read_waiter)

    @staticmethod
    def _wake(waiter: Optional[asyncio.Future[None]]) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait_readable(self, timeout: Optional[float]) -> bool:
        """Wait until something was received or the stream ended; False if ``timeout`` passed."""
        waiter = self._read_waiter = self.loop.create_future()
        return await self._wait(waiter, timeout)

    async def wait_drained(self, timeout: Optional[float]) -> bool:
        """Wait until the socket takes writes again or is gone; False if ``timeout`` passed."""
        waiter = self._drain_waiter = self.loop.create_future()
        return await self._wait(waiter, timeout)

    async def _wait(self, waiter: asyncio.Future[None], timeout: Optional[float]) -> bool:
        timer = None if timeout is None else self.loop.call_later(timeout, self._time_out, waiter)
        try:
            await waiter
            return True
        except _TimedOut:
            return False
        finally:
            if timer is not None:
                timer.cancel()
            if waiter is self._read_waiter:
                self._read_waiter = None
            elif waiter is self._drain_waiter:
                self._drain_waiter = None

    @staticmethod
    def _time_out(waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(_TimedOut())


class _TimedOut(Exception):
    """A wait's time ran out (internal: turned into httpcore's timeouts)."""


class AsyncioStream(httpcore.AsyncNetworkStream):
    """A connected socket (TCP, TLS or Unix), as httpcore reads and writes it."""

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    async def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        connection = self._connection
        ready = connection.received or connection.eof or await connection.wait_readable(timeout)
        if not ready:
            raise httpcore.ReadTimeout(f"no data for {timeout:g}s")
        if not connection.received:
            if connection.error is not None:
                raise httpcore.ReadError(connection.why_lost()) from connection.error
            return b""  # the end of the stream
        received = connection.received
        data = received[0]
        if len(data) > max_bytes:
            received[0] = data[max_bytes:]
            data = data[:max_bytes]
        else:
            received.popleft()
        connection.received_size -= len(data)
        if connection.reading_paused and connection.received_size <= _READ_AHEAD // 2:
            connection.reading_paused = False
            if connection.transport is not None and not connection.lost:
                connection.transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        if not buffer:
            return
        connection = self._connection
        transport = connection.transport
        if connection.lost or transport is None or transport.is_closing():
            raise httpcore.WriteError(connection.why_lost()) from connection.error
        transport.write(buffer)
        while connection.writing_paused and not connection.lost:
            if not await connection.wait_drained(timeout):
                raise httpcore.WriteTimeout(f"the socket took no data for {timeout:g}s")
        if connection.lost and connection.error is not None:
            raise httpcore.WriteError(connection.why_lost()) from connection.error

    async def aclose(self) -> None:
        self.close_now()

    def close_now(self) -> None:
        """Close the socket, dropping what it has not sent yet."""
        transport = self._connection.transport
        if transport is not None and not transport.is_closing():
            # close() would wait for unsent bytes to go, with no end if the server reads nothing.
            if transport.get_write_buffer_size():
                transport.abort()
            else:
                transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> httpcore.AsyncNetworkStream:
        connection = self._connection
        transport = connection.transport
        assert transport is not None
        try:
            started = asyncio.get_running_loop().start_tls(
                transport, connection, ssl_context, server_hostname=server_hostname
            )
            tls_transport = await asyncio.wait_for(started, timeout)
        except BaseException as exc:
            transport.abort()
            if isinstance(exc, asyncio.TimeoutError):
                raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout:g}s") from exc
            if isinstance(exc, (OSError, ssl.SSLError, EOFError)):
                raise httpcore.ConnectError(str(exc) or repr(exc)) from exc
            raise
        if tls_transport is None:  # the server hung up during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        connection.transport = tls_transport
        return AsyncioStream(connection)

    def get_extra_info(self, info: str) -> Any:
        connection = self._connection
        if info == "is_readable":
            # On an idle connection, anything received, or the end of the stream, means the
            # server has closed it (or is about to): httpcore then does not reuse it.
            return bool(connection.received) or connection.eof
        transport = connection.transport
        if transport is None:
            return None
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on plain asyncio (see the module's docstring)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Optional[Iterable[SocketOption]] = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        connection = _Connection(loop)
        opened = loop.create_connection(
            lambda: connection,
            host,
            port,
            local_addr=(local_address, 0) if local_address else None,
            happy_eyeballs_delay=0.25,
        )
        await self._connected(opened, timeout)
        self._set_options(connection, socket_options)
        return AsyncioStream(connection)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: Optional[float] = None,
        socket_options: Optional[Iterable[SocketOption]] = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        connection = _Connection(loop)
        await self._connected(loop.create_unix_connection(lambda: connection, path), timeout)
        self._set_options(connection, socket_options)
        return AsyncioStream(connection)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    @staticmethod
    async def _connected(opened: Any, timeout: Optional[float]) -> None:
        try:
            await asyncio.wait_for(opened, timeout)
        except asyncio.TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"not connected within {timeout:g}s") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or repr(exc)) from exc

    @staticmethod
    def _set_options(connection: _Connection, options: Optional[Iterable[SocketOption]]) -> None:
        if not options or connection.transport is None:
            return
        sock = connection.transport.get_extra_info("socket")
        try:
            for option in options:
                sock.setsockopt(*option)
        except OSError as exc:
            connection.transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
