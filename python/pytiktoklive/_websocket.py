"""The websocket transport: one connection to the push server, fed to the protocol.

A thin asyncio layer over :class:`~pytiktoklive._protocol.WebcastProtocol`:
it connects (``websockets.asyncio.client``), sends the frames the protocol
queues (enter-room, heartbeats at the server's interval, acks), feeds every
frame in and hands the new events to ``deliver``. Awaiting ``deliver`` is the
backpressure: while the consumer is behind, no frame is read.

It returns when the live has ended and raises when the connection is lost;
reconnecting is the caller's job (:mod:`pytiktoklive._session`).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidProxy, InvalidStatus, InvalidURI

from pytiktoklive._log import Reporter
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive._proxy import certificate_problem
from pytiktoklive._redact import redact
from pytiktoklive.errors import (
    ConnectionFailedError,
    DecodeError,
    TLSVerificationError,
    WebsocketRejectedError,
)
from pytiktoklive.events import Event

__all__ = ["ConnectionDropped", "WebsocketOptions", "run_websocket"]

Deliver = Callable[[List[Event]], Awaitable[None]]


class ConnectionDropped(Exception):
    """The push server closed, went silent or sent an undecodable frame before the live ended."""


@dataclass(frozen=True)
class WebsocketOptions:
    """How to open the websocket: the web client's fingerprint and the network path."""

    user_agent: str
    origin: str
    cookie: str = ""
    proxy: Optional[str] = None
    #: TLS to an ``https://`` proxy (None for other proxies). Declared before ``ssl``, which
    #: shadows the module in the class body.
    proxy_ssl: Optional[ssl.SSLContext] = None
    ssl: Optional[ssl.SSLContext] = None
    open_timeout: float = 10.0
    #: Seconds without any frame before the connection counts as stalled (None: wait forever).
    idle_timeout: Optional[float] = 60.0
    max_frame_size: int = 16 * 1024 * 1024


class _IdleWatchdog:
    """Aborts the connection when no frame arrives within ``seconds`` of arming.

    Armed only around ``recv()``: time spent waiting for a slow consumer is not
    silence from the server. (Not ``asyncio.wait_for``: before Python 3.12 it can
    swallow a cancellation that races with a frame, and then ``Live.close()`` hangs.)
    """

    __slots__ = ("_handle", "fired")

    def __init__(self, connection: ClientConnection, seconds: Optional[float]) -> None:
        self.fired = False
        self._handle: Optional[asyncio.TimerHandle] = None
        if seconds is not None:
            self._handle = asyncio.get_running_loop().call_later(seconds, self._fire, connection)

    def _fire(self, connection: ClientConnection) -> None:
        self.fired = True
        connection.transport.abort()  # recv() then raises ConnectionClosed

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()


async def _flush(connection: ClientConnection, protocol: WebcastProtocol) -> None:
    for frame in protocol.data_to_send():
        await connection.send(frame)


async def _send_heartbeats(connection: ClientConnection, protocol: WebcastProtocol) -> None:
    try:
        while True:
            await asyncio.sleep(protocol.heartbeat_interval)
            protocol.heartbeat()
            await _flush(connection, protocol)
    except ConnectionClosed:
        return  # the reader sees the close and reports it


async def _open(url: str, options: WebsocketOptions) -> ClientConnection:
    headers = {"Cookie": options.cookie} if options.cookie else {}
    # websockets refuses proxy_ssl for anything but an https:// proxy, even as None.
    proxy_tls: Dict[str, Any] = {"proxy_ssl": options.proxy_ssl} if options.proxy_ssl is not None else {}
    try:
        return await connect(
            url,
            additional_headers=headers,
            user_agent_header=options.user_agent,
            origin=options.origin,  # type: ignore[arg-type]  # websockets' Origin is a NewType of str
            subprotocols=["echo-protocol"],  # type: ignore[list-item]  # same for Subprotocol
            # TikTok does not answer websocket pings; its own heartbeats keep the connection alive.
            ping_interval=None,
            ping_timeout=None,
            proxy=options.proxy,
            ssl=options.ssl,
            open_timeout=options.open_timeout,
            close_timeout=2,
            max_size=options.max_frame_size,
            **proxy_tls,
        )
    except InvalidStatus as exc:
        response = exc.response
        reason = response.headers.get("Handshake-Msg", "") or response.reason_phrase
        status = response.headers.get("Handshake-Status", "")
        raise WebsocketRejectedError(
            f"the push server refused the websocket: HTTP {response.status_code}"
            + (f", handshake-status {status}" if status else "")
            + (f": {reason}" if reason else ""),
            status_code=response.status_code,
            reason=reason,
        ) from exc
    except InvalidURI as exc:
        raise WebsocketRejectedError(f"the push server URL is not usable: {redact(str(exc))}") from exc
    except InvalidProxy as exc:
        raise ConnectionFailedError(f"the websocket proxy is not usable: {redact(str(exc))}") from exc
    except InvalidHandshake as exc:  # the connection broke mid-handshake, or the proxy failed: retry
        raise ConnectionDropped(f"the websocket handshake failed: {redact(str(exc))}") from exc
    except ssl.SSLCertVerificationError as exc:
        # Not retried and no fallback to polling: every attempt would fail the same way, and a
        # push server whose certificate fails while the HTTP API's passes deserves attention.
        problem = certificate_problem(exc)
        raise TLSVerificationError(f"the push server at {redact(url)}: {problem}", url=redact(url)) from exc


async def run_websocket(
    protocol: WebcastProtocol,
    url: str,
    options: WebsocketOptions,
    deliver: Deliver,
    reporter: Reporter,
    label: str,
) -> None:
    """Run one websocket connection to ``url``.

    Returns when the live has ended; raises when the connection is lost or refused.
    """
    reporter.debug("%s: connecting to %s", label, url)
    connection = await _open(url, options)
    async with connection:
        handshake_options = (
            connection.response.headers.get("Handshake-Options") if connection.response else None
        )
        # Opening resets the per-connection state (the previous handshake's interval among it),
        # so this connection's options come after it.
        protocol.connection_opened()
        if handshake_options:
            protocol.apply_handshake_options(handshake_options)
        await _flush(connection, protocol)
        reporter.info("%s: connected to the websocket", label)
        heartbeats = asyncio.ensure_future(_send_heartbeats(connection, protocol))
        try:
            while True:
                watchdog = _IdleWatchdog(connection, options.idle_timeout)
                try:
                    message = await connection.recv()
                except ConnectionClosed as exc:
                    if watchdog.fired:
                        raise ConnectionDropped(f"no frame for {options.idle_timeout:g}s") from None
                    raise ConnectionDropped(f"the push server closed the connection ({exc})") from exc
                finally:
                    watchdog.cancel()
                data = message.encode() if isinstance(message, str) else message
                try:
                    protocol.receive_frame(data)
                except DecodeError as exc:
                    # The bad frame may have carried events, and the next good frame moves the
                    # cursor past them: reading on would lose them silently. Report it, and let
                    # the session reconnect from the last good cursor (the server sends them again).
                    reporter.error(
                        DecodeError(f"{label}: dropped an undecodable frame ({len(data)} bytes): {exc}")
                    )
                    raise ConnectionDropped(f"undecodable frame ({len(data)} bytes)") from exc
                await _flush(connection, protocol)
                events = protocol.events_received()
                if events:
                    reporter.debug("%s: got %d events, cursor %s", label, len(events), protocol.cursor)
                    await deliver(events)
                if protocol.ended:
                    return
        finally:
            heartbeats.cancel()
            await asyncio.gather(heartbeats, return_exceptions=True)
