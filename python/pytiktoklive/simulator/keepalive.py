"""HTTP/1.1 keep-alive on top of the websockets server: several plain requests per connection.

TikTok's web servers keep connections open between requests (HTTP/1.1 keep-alive, or
HTTP/2), so a client connecting many rooms reuses a few connections. ``websockets``'
server answers one plain HTTP request per connection and then closes it (it exists for
the websocket handshake); the simulator's ``process_request`` hook uses this module to
answer a plain request itself, with ``Connection: keep-alive``, and wait on the same
connection for the next request, until one ends the loop:

* a websocket upgrade, or any request the simulator answers by accepting (None): the
  handshake proceeds as ``websockets`` does it, on the same connection;
* an answer that must close the connection (:func:`keeps_alive` says which), sent the
  usual way (``Connection: close``);
* the client closing the connection, the simulator closing (:class:`IdleConnections`), or
  the connection staying idle for ``KEEP_ALIVE_SECONDS`` (then the simulator closes it, as
  web servers close idle keep-alive connections after a while).

Requests are never pipelined by the clients the simulator serves (httpx and websockets
send the next request after reading the answer), which this relies on: the parser is
reset for the next request right after an answer is written.
"""

from __future__ import annotations

import asyncio
from typing import Optional, Set

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response
from websockets.protocol import CONNECTING

__all__ = ["KEEP_ALIVE_SECONDS", "IdleConnections", "keeps_alive"]

#: Seconds a kept-alive connection may wait for its next request before the simulator closes it.
KEEP_ALIVE_SECONDS = 60.0


def _has_body(request: Request) -> bool:
    """A request body (which websockets' parser does not read: it would be taken for the next request)."""
    length = request.headers.get("Content-Length", "0").strip()
    return length not in ("", "0") or "Transfer-Encoding" in request.headers


def keeps_alive(connection: ServerConnection, request: Request, answer: Optional[Response]) -> bool:
    """Whether ``answer`` to ``request`` can go out with the connection kept open: a complete
    plain answer (its whole body, as ``Content-Length`` says: a truncated answer or a stream
    must end the connection), on a connection still open and not upgraded, to a request
    that did not ask to close and carried no body."""
    if answer is None or answer.status_code == 101:
        return False
    if connection.protocol.state is not CONNECTING or connection.transport.is_closing():
        return False
    if "close" in request.headers.get("Connection", "").lower() or _has_body(request):
        return False
    declared = answer.headers.get("Content-Length", "")
    return declared.isdigit() and int(declared) == len(answer.body)


class IdleConnections:
    """Connections waiting for their next request, so that closing the simulator ends them."""

    def __init__(self, timeout: float = KEEP_ALIVE_SECONDS) -> None:
        #: Seconds a connection may stay idle before it is closed.
        self.timeout = timeout
        self._waiting: Set[ServerConnection] = set()

    def close_all(self) -> None:
        for connection in list(self._waiting):
            connection.transport.abort()

    async def next_request(self, connection: ServerConnection, answer: Response) -> Optional[Request]:
        """Send ``answer`` (kept alive: :func:`keeps_alive` said so) and return the next request
        on ``connection``; None when the connection closed first or stayed idle too long (it is
        then closed)."""
        if "Connection" in answer.headers:
            del answer.headers["Connection"]
        answer.headers["Connection"] = "keep-alive"
        protocol = connection.protocol
        # The parser went on to websocket frames after the request; the next bytes are a request.
        protocol.parser = protocol.parse()
        next(protocol.parser)
        connection.request = None
        connection.request_rcvd = connection.loop.create_future()
        connection.transport.write(answer.serialize())
        self._waiting.add(connection)
        try:
            await asyncio.wait(
                [connection.request_rcvd, connection.connection_lost_waiter],
                timeout=self.timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            self._waiting.discard(connection)
        if connection.request_rcvd.done():
            return connection.request
        connection.transport.close()  # idle too long (or already closed by the client)
        return None
