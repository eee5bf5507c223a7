"""The client's direct HTTP connections: :class:`~pytiktoklive._direct.DirectTransport` on
plain asyncio sockets (``pytiktoklive._network``), driven here through httpx's interface.

Against real sockets on loopback. Keep-alive reuse, a
connection the server closed while idle, bodies ended by length, chunks or the connection's
end, TLS, every kind of failure as httpx's own error type, a cancelled request, and memory
bounded when the server sends faster than the client reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
from typing import AsyncIterator, List, Tuple

import httpcore
import httpx
import pytest
import pytest_asyncio
from pytiktoklive import _network
from pytiktoklive._direct import DirectTransport, direct_transport
from pytiktoklive._proxy import ProxySettings, build_http_client, certificate_problem
from raw_server import Server, answer, keep_alive, read_head


def asyncio_client(**options: object) -> httpx.AsyncClient:
    transport = DirectTransport(ssl_context=httpx.create_ssl_context())
    return httpx.AsyncClient(transport=transport, **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- wiring


def test_the_clients_own_http_client_uses_the_direct_transport() -> None:
    client = build_http_client(ProxySettings(), timeout=5.0)
    assert isinstance(client._transport, DirectTransport)
    # ...and receive() may use it without httpx's models: the client has no other transport.
    assert direct_transport(client) is client._transport


def test_proxied_connections_keep_httpxs_own_transport() -> None:
    client = build_http_client(ProxySettings(http="http://127.0.0.1:9"), timeout=5.0)
    proxied = [transport for transport in client._mounts.values() if transport is not None]
    assert proxied and all(isinstance(transport, httpx.AsyncHTTPTransport) for transport in proxied)
    # Some requests go through the proxy: receive() must send them all through httpx.
    assert direct_transport(client) is None


def test_a_client_of_the_users_own_is_never_taken_the_direct_way() -> None:
    client = httpx.AsyncClient(transport=DirectTransport(ssl_context=httpx.create_ssl_context()))
    assert direct_transport(client) is None


# ---------------------------------------------------------------------------- bodies and reuse


async def test_requests_reuse_one_keep_alive_connection() -> None:
    async with Server(keep_alive) as server, asyncio_client() as client:
        texts = [(await client.get(f"{server.url}/n{index}")).text for index in range(5)]
    assert texts == [f"you asked for /n{index}" for index in range(5)]
    assert server.connections == 1


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def one_answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(answer(b"once"))  # says nothing about closing: the client keeps it
        await writer.drain()

    async with Server(one_answer_then_close) as server, asyncio_client() as client:
        first = await client.get(server.url + "/")
        await asyncio.sleep(0.1)  # the close reaches the client's idle connection
        second = await client.get(server.url + "/")
    assert (first.text, second.text) == ("once", "once")
    assert server.connections == 2


async def test_chunked_and_close_delimited_bodies_arrive_whole() -> None:
    payload = bytes(range(256)) * 2000  # 512 KB: several reads, past the read-ahead limit

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for start in range(0, len(payload), 70_000):
            part = payload[start : start + 70_000]
            writer.write(b"%x\r\n" % len(part) + part + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")

    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + payload)
        await writer.drain()

    async with asyncio_client() as client:
        for handler in (chunked, until_close):
            async with Server(handler) as server:
                assert (await client.get(server.url + "/")).content == payload


async def test_a_server_sending_faster_than_the_client_reads_is_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Memory per connection is bounded: past the read-ahead limit, the socket is not read."""
    body = b"x" * (8 * 1024 * 1024)

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(answer(body))
        await writer.drain()

    seen: List[_network._Connection] = []
    made = _network._Connection.connection_made

    def record(connection: _network._Connection, transport: asyncio.BaseTransport) -> None:
        seen.append(connection)
        made(connection, transport)

    monkeypatch.setattr(_network._Connection, "connection_made", record)
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(Server(flood))
        client = await stack.enter_async_context(asyncio_client())
        response = await stack.enter_async_context(client.stream("GET", server.url + "/"))
        chunks = response.aiter_raw()
        got = len(await chunks.__anext__())
        await asyncio.sleep(0.3)  # the server keeps sending; the client reads nothing
        (connection,) = seen
        assert connection.reading_paused
        # What arrived before the pause: at most one socket read past the limit.
        assert connection.received_size <= _network._READ_AHEAD + 256 * 1024
        async for chunk in chunks:
            got += len(chunk)
    assert got == len(body)


# ---------------------------------------------------------------------------- failures


async def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        await asyncio.sleep(30)

    async with Server(silent) as server, asyncio_client(timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(server.url + "/")


async def test_a_server_that_reads_nothing_is_a_write_timeout() -> None:
    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with Server(deaf) as server, asyncio_client(timeout=0.5) as client:
        with pytest.raises(httpx.WriteTimeout):
            await client.post(server.url + "/", content=b"x" * (64 * 1024 * 1024))


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with Server(keep_alive) as server:
        url = server.url
    async with asyncio_client() as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.get(url + "/")
    raised = caught.value.__cause__
    assert isinstance(raised, httpcore.ConnectError)
    assert isinstance(raised.__cause__, ConnectionRefusedError)


@pytest.mark.parametrize("cut", [0, 20, 60])
async def test_a_server_hanging_up_mid_answer_is_an_error_not_a_short_body(cut: int) -> None:
    whole = answer(b"y" * 100)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(whole[:cut])
        await writer.drain()

    async with Server(hang_up) as server, asyncio_client() as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await client.get(server.url + "/")


async def test_a_reset_connection_is_a_read_error() -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart")
        await writer.drain()
        writer.transport.abort()  # an RST, not a FIN

    async with Server(reset) as server, asyncio_client() as client:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await client.get(server.url + "/")


async def test_a_cancelled_request_leaves_no_connection_behind() -> None:
    released = asyncio.Event()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        try:
            await reader.read()  # till the client goes
        finally:
            released.set()

    async with Server(slow) as server, asyncio_client() as client:
        request = asyncio.ensure_future(client.get(server.url + "/"))
        await asyncio.sleep(0.2)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        await asyncio.wait_for(released.wait(), 5)  # the client closed its socket
        # The pool is usable afterwards, on a new connection.
        server.handler = keep_alive
        assert (await client.get(server.url + "/again")).text == "you asked for /again"
    assert server.connections == 2


# ---------------------------------------------------------------------------- TLS


@pytest_asyncio.fixture
async def tls_server(tmp_path: object) -> AsyncIterator[Tuple[str, str]]:
    """An HTTPS keep-alive server with a throw-away CA; yields (url, ca file)."""
    pytest.importorskip("betterproto2")
    if shutil.which("openssl") is None:
        pytest.skip("the simulator makes its certificates with openssl")
    from pytiktoklive.simulator import Simulator

    async with Simulator(builtin_rooms=False, tls=True) as sim:
        assert sim.ca_file is not None
        yield sim.endpoints.webcast, str(sim.ca_file)


async def test_tls_with_a_trusted_ca(tls_server: Tuple[str, str]) -> None:
    url, ca = tls_server
    transport = DirectTransport(ssl_context=ssl.create_default_context(cafile=ca))
    async with httpx.AsyncClient(transport=transport) as client:
        for _ in range(2):
            answered = await client.get(url + "/room/check_alive/", params={"room_ids": "1"})
            assert answered.status_code == 200
            assert answered.extensions["network_stream"].get_extra_info("ssl_object") is not None


async def test_tls_with_an_untrusted_certificate_says_why(tls_server: Tuple[str, str]) -> None:
    url, _ = tls_server
    transport = DirectTransport(ssl_context=ssl.create_default_context())
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.get(url + "/room/check_alive/")
    problem = certificate_problem(caught.value)
    assert problem is not None and "certificate verification failed" in problem
