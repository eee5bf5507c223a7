"""Tiny local proxies for the client's tests: an HTTP proxy and a SOCKS5 proxy.

Each records what it relayed (``targets``: ``"host:port"`` per connection,
``requests``: HTTP request lines it forwarded), so a test can assert that the
client's traffic really went through it. Both are asyncio servers on
127.0.0.1 (the HTTP one optionally over TLS: an ``https://`` proxy) and are
used as async context managers::

    async with HttpProxy() as proxy:
        ...  # proxy.url == "http://127.0.0.1:PORT"
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import ssl
import struct
from typing import List, Optional, Tuple


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _relay(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))


class _Server:
    scheme = ""

    def __init__(self, *, tls: Optional[ssl.SSLContext] = None) -> None:
        #: Serve TLS (an ``https://`` proxy) with this server context.
        self.tls = tls
        self.targets: List[str] = []
        self._server: Optional[asyncio.AbstractServer] = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def _track(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # the proxy is shutting down; asyncio's stream callback must not see a cancelled task
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def __aenter__(self) -> _Server:
        self._server = await asyncio.start_server(self._track, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()


class HttpProxy(_Server):
    """An HTTP proxy: ``CONNECT host:port`` tunnels (websockets, https) and absolute-form
    ``GET http://…`` forwarding (httpx's plain-HTTP requests). Optional basic auth."""

    scheme = "http"

    def __init__(
        self, *, username: str = "", password: str = "", tls: Optional[ssl.SSLContext] = None
    ) -> None:
        super().__init__(tls=tls)
        if tls is not None:
            self.scheme = "https"
        #: Forwarded plain-HTTP request lines, and CONNECT targets (websockets, https).
        self.requests: List[str] = []
        self.tunnels: List[str] = []
        self._auth = (
            "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode() if username else ""
        )

    @property
    def url(self) -> str:
        if self._auth:
            credentials = base64.b64decode(self._auth[6:]).decode()
            return f"{self.scheme}://{credentials}@127.0.0.1:{self.port}"
        return super().url

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            headers = [line for line in lines[1:] if line]
            if self._auth and f"proxy-authorization: {self._auth}".lower() not in (
                h.lower() for h in headers
            ):
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                self.targets.append(target)
                self.tunnels.append(target)
                up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await _relay(reader, writer, up_reader, up_writer)
                return
            await self._forward(method, target, version, headers, reader, writer)

    async def _forward(
        self,
        method: str,
        target: str,
        version: str,
        headers: List[str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        # Absolute-form request: GET http://host:port/path HTTP/1.1
        rest = target.split("://", 1)[1]
        authority, _, path = rest.partition("/")
        host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "80")
        self.targets.append(f"{host}:{port}")
        self.requests.append(f"{method} {target}")
        length = 0
        kept = []
        for header in headers:
            name, _, value = header.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
            if not name.lower().startswith("proxy-"):
                kept.append(header)
        body = await reader.readexactly(length) if length else b""
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        try:
            request = f"{method} /{path} {version}\r\n" + "".join(f"{h}\r\n" for h in kept) + "\r\n"
            up_writer.write(request.encode("latin-1") + body)
            await up_writer.drain()
            response_head = await up_reader.readuntil(b"\r\n\r\n")
            response_length, chunked = _body_framing(response_head)
            writer.write(response_head)
            await writer.drain()
            # The body is relayed as it comes, as a real proxy does: a LIVE's media stream
            # never ends by itself, and ffmpeg must get its first bytes at once.
            if chunked:
                while True:
                    size_line = await up_reader.readuntil(b"\r\n")
                    writer.write(size_line)
                    size = int(size_line.split(b";")[0], 16)
                    writer.write(await up_reader.readexactly(size + 2))
                    await writer.drain()
                    if size == 0:
                        break
            else:  # Content-Length bytes, or until the server closes
                left = response_length
                while left is None or left > 0:
                    chunk = await up_reader.read(65536 if left is None else min(left, 65536))
                    if not chunk:
                        break
                    writer.write(chunk)
                    await writer.drain()
                    if left is not None:
                        left -= len(chunk)
        finally:
            up_writer.close()


def _body_framing(head: bytes) -> Tuple[Optional[int], bool]:
    length: Optional[int] = None
    chunked = False
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        if name.strip().lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    return length, chunked


class Socks5Proxy(_Server):
    """A SOCKS5 proxy (RFC 1928) with CONNECT only; optional username/password auth (RFC 1929)."""

    scheme = "socks5"

    def __init__(self, *, username: str = "", password: str = "") -> None:
        super().__init__()
        self._credentials = (username, password) if username else None

    @property
    def url(self) -> str:
        if self._credentials:
            return f"socks5://{self._credentials[0]}:{self._credentials[1]}@127.0.0.1:{self.port}"
        return super().url

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != 5:
            return
        wanted = 2 if self._credentials else 0
        if wanted not in methods:
            writer.write(b"\x05\xff")
            return
        writer.write(bytes([5, wanted]))
        await writer.drain()
        if self._credentials:
            _, user_length = await reader.readexactly(2)
            username = (await reader.readexactly(user_length)).decode()
            (password_length,) = await reader.readexactly(1)
            password = (await reader.readexactly(password_length)).decode()
            ok = (username, password) == self._credentials
            writer.write(b"\x01\x00" if ok else b"\x01\x01")
            await writer.drain()
            if not ok:
                return
        _, command, _, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif address_type == 3:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode()
        else:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:
            writer.write(b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        self.targets.append(f"{host}:{port}")
        up_reader, up_writer = await asyncio.open_connection(host, port)
        writer.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01" + struct.pack("!H", 0))
        await writer.drain()
        await _relay(reader, writer, up_reader, up_writer)
