"""A hostile HTTP server on 127.0.0.1, for tests that attack the client.

The simulator plays a well-behaved TikTok; this server plays a broken or malicious one,
byte by byte over a raw socket, so every response can be as wrong as a real attacker's:

* :func:`body` — any status, headers and bytes (garbage, ``Connection: close`` bodies);
* :func:`huge` — a body of any size, streamed (never held in memory);
* :func:`gzip_bomb` — a small gzip body that inflates to gigabytes, compressed as it is sent;
* :func:`slow` — the status line and headers (or the body) one byte at a time, for ever;
* :func:`redirect` — a 3xx to anywhere (another origin: another :class:`HostileServer`);
* :func:`nested_json` / :func:`script_tags` — deeply nested JSON, pathological HTML.

Every request is recorded (:attr:`HostileServer.requests`, headers included) and every
response counts the bytes it managed to send (:attr:`Sent.bytes`): a client that stops
reading early shows as a response that never finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

__all__ = [
    "HostileServer",
    "Received",
    "Sent",
    "body",
    "gzip_bomb",
    "huge",
    "nested_json",
    "redirect",
    "script_tags",
    "slow",
]


@dataclass
class Received:
    """A request as the server read it (header names lower-cased)."""

    method: str
    target: str
    headers: Dict[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class Sent:
    """What one response managed to send before the client went away (or it finished)."""

    bytes: int = 0
    finished: bool = False


Write = Callable[[bytes], Awaitable[None]]
#: A response: given the request and a writer that counts bytes, send anything.
Behaviour = Callable[[Received, Write], Awaitable[None]]


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def body(
    data: bytes = b"",
    *,
    status: int = 200,
    content_type: str = "text/html",
    headers: Optional[Mapping[str, str]] = None,
) -> Behaviour:
    """A complete response with ``data`` as its body."""

    async def respond(request: Received, write: Write) -> None:
        fields = {"Content-Type": content_type, "Content-Length": str(len(data)), "Connection": "close"}
        fields.update(headers or {})
        await write(_head(status, fields) + data)

    return respond


async def _stream(write: Write, chunks: AsyncIterator[bytes]) -> None:
    async for chunk in chunks:
        await write(chunk)


def huge(size: int, *, filler: bytes = b"<div>hostile</div>", content_type: str = "text/html") -> Behaviour:
    """``size`` bytes of ``filler`` (Content-Length declared: an honest, huge answer)."""

    async def respond(request: Received, write: Write) -> None:
        await write(
            _head(200, {"Content-Type": content_type, "Content-Length": str(size), "Connection": "close"})
        )
        block = filler * (65536 // len(filler) + 1)
        left = size
        while left > 0:
            chunk = block[: min(left, len(block))]
            await write(chunk)
            left -= len(chunk)

    return respond


def gzip_bomb(
    inflated: int, *, content_type: str = "application/json", declare_length: bool = False
) -> Behaviour:
    """A ``Content-Encoding: gzip`` body inflating to ``inflated`` bytes of zeros (about
    1000 times smaller on the wire), compressed while it is sent."""

    async def respond(request: Received, write: Write) -> None:
        fields = {"Content-Type": content_type, "Content-Encoding": "gzip", "Connection": "close"}
        if declare_length:
            fields["Content-Length"] = "1000"  # a lie: the body is longer, and inflates further
        await write(_head(200, fields))
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        zeros = bytes(1 << 20)
        left = inflated
        while left > 0:
            piece = compressor.compress(zeros[: min(left, len(zeros))])
            left -= min(left, len(zeros))
            if piece:
                await write(piece)
        await write(compressor.flush())

    return respond


def slow(
    data: bytes = b"", *, head_too: bool = True, interval: float = 0.05, forever: bool = True
) -> Behaviour:
    """A slow-loris answer: one byte per ``interval`` seconds. ``head_too``: the status line
    and headers are dripped as well; else they arrive at once and only the body drips.
    ``forever``: after ``data``, keep dripping spaces until the client gives up."""

    async def respond(request: Received, write: Write) -> None:
        head = _head(200, {"Content-Type": "application/json", "Connection": "close"})
        if not head_too:
            await write(head)
            head = b""
        payload = head + data
        index = 0
        while index < len(payload) or forever:
            await write(payload[index : index + 1] if index < len(payload) else b" ")
            index += 1
            await asyncio.sleep(interval)

    return respond


def redirect(location: str, *, status: int = 302, headers: Optional[Mapping[str, str]] = None) -> Behaviour:
    return body(b"", status=status, headers={"Location": location, **(headers or {})})


def nested_json(depth: int, *, wrap: Tuple[str, str] = ('{"status_code":0,"data":', "}")) -> bytes:
    """JSON ``depth`` arrays deep, inside ``wrap``."""
    return (wrap[0] + "[" * depth + "]" * depth + wrap[1]).encode()


def script_tags(size: int, tag: str = "<script ") -> bytes:
    """``size`` bytes of a tag opened again and again and never closed."""
    return (tag * (size // len(tag) + 1))[:size].encode()


@dataclass
class HostileServer:
    """Serves :attr:`routes` (path → behaviour; unknown paths get a 404) on 127.0.0.1."""

    routes: Dict[str, Behaviour] = field(default_factory=dict)
    requests: List[Received] = field(default_factory=list)
    sent: Dict[str, List[Sent]] = field(default_factory=dict)
    _server: Optional[asyncio.base_events.Server] = None
    _connections: List[asyncio.Task[None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, behaviour: Behaviour) -> None:
        self.routes[path] = behaviour

    def requested(self, path: str) -> List[Received]:
        return [request for request in self.requests if request.path == path]

    async def start(self) -> HostileServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in self._connections:
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            self._server = None

    async def __aenter__(self) -> HostileServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.append(task)
        try:
            request = await self._read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            behaviour = self.routes.get(
                request.path, body(b"not found", status=404, content_type="text/plain")
            )
            sent = Sent()
            self.sent.setdefault(request.path, []).append(sent)

            async def write(data: bytes) -> None:
                writer.write(data)
                await writer.drain()
                sent.bytes += len(data)

            await behaviour(request, write)
            sent.finished = True
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: that is what many tests wait for
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> Optional[Received]:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = [*lines[0].split(" ", 2), "", ""][:3]
        headers: Dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        return Received(method, target, headers)
