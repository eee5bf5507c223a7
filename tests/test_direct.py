"""The client's direct HTTP connections (``pytiktoklive._direct``) and the way ``receive`` takes
them without httpx's models: the same bytes on the wire and the same answers as through httpx,
and a pool that stays within its bounds.

Each comparison sends one request both ways through the same client: the direct way, and
httpx's (the client taken off the direct way, so ``receive`` builds httpx's request and sends
it with ``client.send``).
"""

from __future__ import annotations

import asyncio
import gzip
from typing import Any, Dict, List, Optional, Tuple

import httpx
import pytest
from pytiktoklive import _direct
from pytiktoklive._direct import DirectTransport
from pytiktoklive._proxy import ProxySettings, build_http_client
from pytiktoklive._receive import _plain_url, receive
from pytiktoklive.errors import ResponseTooLargeError
from raw_server import Server, answer, keep_alive, read_head


class Recorder:
    """A keep-alive server that records every request head and answers each from ``answers``
    (by path), else 200 with the path."""

    def __init__(self, answers: Optional[Dict[bytes, bytes]] = None) -> None:
        self.heads: List[bytes] = []
        self.answers = answers or {}

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await read_head(reader)
            self.heads.append(head)
            path = head.split(b" ")[1].split(b"?")[0]
            writer.write(self.answers.get(path, answer(b"path " + path)))
            await writer.drain()


async def both_ways(
    client: httpx.AsyncClient, url: str, **options: Any
) -> Tuple[httpx.Response, httpx.Response]:
    """``receive`` the direct way, then httpx's."""
    options = {"kind": "json", "max_bytes": 1_000_000, "deadline": 5.0, **options}
    transport = _direct.direct_transport(client)
    assert transport is not None
    direct = await receive(client, url, **options)
    del _direct._DIRECT[client]
    try:
        through_httpx = await receive(client, url, **options)
    finally:
        _direct.use_direct_transport(client, transport)
    return direct, through_httpx


def our_client() -> httpx.AsyncClient:
    client = build_http_client(ProxySettings(), timeout=5.0)
    client.headers["User-Agent"] = "Mozilla/5.0 test"
    return client


# ---------------------------------------------------------------------------- the same as httpx


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_the_direct_way_sends_what_httpx_sends_byte_for_byte(method: str) -> None:
    recorder = Recorder()
    async with Server(recorder) as server, our_client() as client:
        client.cookies.set("sessionid", "secret-session", domain="127.0.0.1")
        client.cookies.set("tt_chain_token", "chain", domain="127.0.0.1")
        direct, through_httpx = await both_ways(
            client,
            server.url + "/webcast/room/info/",
            params={"aid": "1988", "room_id": "7", "odd": "a b&c=d/é", "empty": ""},
            headers={"Referer": "https://www.tiktok.com/", "X-Api-Key": "key", "accept": "application/json"},
            method=method,
        )
    first, second = recorder.heads
    assert first == second
    assert b"Cookie: sessionid=secret-session; tt_chain_token=chain\r\n" in first
    assert first.startswith(
        method.encode() + b" /webcast/room/info/?aid=1988&room_id=7&odd=a+b%26c%3Dd%2F%C3%A9&empty= "
    )
    assert (direct.status_code, direct.content, direct.headers.multi_items()) == (
        through_httpx.status_code,
        through_httpx.content,
        through_httpx.headers.multi_items(),
    )
    assert str(direct.request.url) == str(through_httpx.request.url)


async def test_answers_are_decoded_and_their_cookies_kept_as_httpx_keeps_them() -> None:
    body = b'{"data": "' + b"x" * 5000 + b'"}'
    answers = {
        b"/gz": answer(
            gzip.compress(body),
            "Content-Encoding: gzip",
            "Set-Cookie: ttwid=from-server; Path=/; HttpOnly",
            "Set-Cookie: msToken=t2; Path=/",
            "Content-Type: application/json",
        )
    }
    async with Server(Recorder(answers)) as server, our_client() as client:
        direct, through_httpx = await both_ways(client, server.url + "/gz")
        jar = sorted((cookie.name, cookie.value, cookie.path) for cookie in client.cookies.jar)
    assert direct.content == through_httpx.content == body
    assert direct.json() == {"data": "x" * 5000}
    assert direct.headers.multi_items() == through_httpx.headers.multi_items()
    assert "content-encoding" not in direct.headers
    assert jar == [("msToken", "t2", "/"), ("ttwid", "from-server", "/")]


async def test_redirects_keep_secrets_within_the_origin_and_drop_them_beyond_it() -> None:
    elsewhere = Recorder()
    async with Server(elsewhere) as other:
        answers = {
            b"/start": b"HTTP/1.1 302 Found\r\nLocation: /same\r\nContent-Length: 0\r\n\r\n",
            b"/same": (
                f"HTTP/1.1 307 Temporary\r\nLocation: {other.url}/away?x=1\r\nContent-Length: 0\r\n\r\n"
            ).encode(),
        }
        home = Recorder(answers)
        async with Server(home) as server, our_client() as client:
            client.cookies.set("sessionid", "secret-session", domain="127.0.0.1")
            direct, through_httpx = await both_ways(
                client, server.url + "/start", headers={"X-Api-Key": "key", "X-Plain": "1"}
            )
    assert direct.text == through_httpx.text == "path /away"
    assert str(direct.request.url) == f"{other.url}/away?x=1"
    # Both ways: /start and /same with the key and the session, /away without them.
    assert home.heads[:2] == home.heads[2:]
    assert elsewhere.heads[0] == elsewhere.heads[1]
    for head in home.heads:
        assert b"X-Api-Key: key" in head and b"sessionid=secret-session" in head
    away = elsewhere.heads[0]
    assert b"X-Plain: 1" in away
    assert b"X-Api-Key" not in away and b"sessionid" not in away and b"Cookie" not in away
    # The Host is the new origin's, not the one the redirect came from.
    assert f"Host: {other.url.split('//')[1]}".encode() in away


async def test_a_body_inflating_past_the_limit_is_too_large_either_way() -> None:
    answers = {b"/bomb": answer(gzip.compress(b"\0" * (32 * 1024 * 1024)), "Content-Encoding: gzip")}
    async with Server(Recorder(answers)) as server, our_client() as client:
        transport = _direct.direct_transport(client)
        with pytest.raises(ResponseTooLargeError):
            await receive(client, server.url + "/bomb", kind="json", max_bytes=100_000, deadline=5.0)
        # Nothing is left in use: the connection (read to its end) waits in the pool.
        assert transport is not None and transport._open == transport._idle_count == 1


async def test_raw_bytes_past_a_small_decoded_body_are_bounded_too() -> None:
    """gzip ignores what follows its stream: a server padding a tiny body with megabytes of it is
    stopped by the bound on raw bytes (the limit and an eighth), not read to the end."""
    padded = gzip.compress(b"{}") + b"\0" * 300_000
    answers = {b"/padded": answer(padded, "Content-Encoding: gzip")}
    async with Server(Recorder(answers)) as server, our_client() as client:
        with pytest.raises(ResponseTooLargeError):
            await receive(client, server.url + "/padded", kind="json", max_bytes=100_000, deadline=5.0)
        small = await receive(client, server.url + "/padded", kind="json", max_bytes=300_000, deadline=5.0)
    assert small.content == b"{}"


async def test_urls_httpx_would_rewrite_go_through_httpx() -> None:
    recorder = Recorder()
    async with Server(recorder) as server, our_client() as client:
        for tail in ("/a b", "/a/../b", "/%zz", "/é", "/x?q=a b"):
            await receive(client, server.url + tail, kind="json", max_bytes=1000, deadline=5.0)
    assert [head.split(b" ")[1] for head in recorder.heads] == [
        b"/a%20b",
        b"/b",
        b"/%zz",
        b"/%C3%A9",
        b"/x?q=a%20b",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://webcast.tiktok.com/webcast/room/info/?aid=1988&room_id=7",
        "https://WebCast.TikTok.com:443/a",
        "http://127.0.0.1:80/a?b=c",
        "http://127.0.0.1:8080",
        "https://sign.example:8443/webcast/sign?url=https%3A%2F%2Fx%2Fy&X-Bogus=a%2Bb%3D",
        "http://h/p/a:b@c!$&'()*+,;=~/?q=/?:@!$&'()*+,;=%41",
        "http://h/%zz?q=%2",
    ],
)
def test_a_plain_url_goes_on_the_wire_as_httpx_writes_it(url: str) -> None:
    plain = _plain_url(url)
    assert plain is not None
    parsed = httpx.URL(url)
    assert (plain.scheme, plain.host, plain.port) == (parsed.raw_scheme, parsed.host, parsed.port)
    assert (plain.authority, plain.target) == (parsed.netloc, parsed.raw_path)


@pytest.mark.parametrize(
    "url",
    [
        "http://u:p@h/",
        "http://[::1]:8/",
        "http://h/#f",
        "http://h/a/../b",
        "http://h/é",
        "http://h/a b",
        "ftp://h/",
    ],
)
def test_urls_httpx_would_change_are_not_plain(url: str) -> None:
    assert _plain_url(url) is None


# ---------------------------------------------------------------------------- the pool


def transport_client(**options: Any) -> Tuple[DirectTransport, httpx.AsyncClient]:
    transport = DirectTransport(ssl_context=httpx.create_ssl_context(), **options)
    return transport, httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5.0, pool=0.3))


async def test_at_most_max_connections_are_open_and_a_request_waits_for_one() -> None:
    release = asyncio.Event()
    open_now: List[int] = []
    server_ref: List[Server] = []

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_head(reader)
            open_now.append(server_ref[0].connections)
            await release.wait()
            writer.write(answer(b"done"))
            await writer.drain()

    transport, client = transport_client(max_connections=2)
    async with Server(slow) as server, client:
        server_ref.append(server)
        first = [asyncio.ensure_future(client.get(server.url + f"/{index}")) for index in range(3)]
        # Two are sent, the third waits for a connection and gives up after the pool timeout.
        done, _ = await asyncio.wait(first, return_when=asyncio.FIRST_EXCEPTION)
        (failed,) = done
        assert isinstance(failed.exception(), httpx.PoolTimeout)
        # Once the first two are answered, more requests run on those same two connections.
        release.set()
        answered = await asyncio.gather(*(task for task in first if task is not failed))
        more = await asyncio.gather(*(client.get(server.url + f"/more{index}") for index in range(4)))
    assert [response.text for response in answered + more] == ["done"] * 6
    assert server.connections == 2 and transport._open == 0


async def test_idle_connections_are_bounded_and_expire() -> None:
    transport, client = transport_client(max_keepalive=2, keepalive_expiry=0.2)
    async with Server(keep_alive) as server, client:
        await asyncio.gather(*(client.get(server.url + f"/{index}") for index in range(5)))
        assert server.connections == 5
        assert transport._idle_count == 2 and transport._open == 2
        await client.get(server.url + "/reused")
        assert server.connections == 5
        await asyncio.sleep(0.3)  # past the expiry: not reused
        await client.get(server.url + "/after")
        assert server.connections == 6


async def test_a_reused_connection_closed_under_a_request_fails_as_with_httpx_and_the_pool_goes_on() -> None:
    async def closes_the_second_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(answer(b"first"))
        await writer.drain()
        await read_head(reader)  # the next request on this connection: closed without an answer
        # (Closed after the request arrived: the client's "closed while idle?" check saw nothing.)

    transport, client = transport_client()
    async with Server(closes_the_second_request) as server, client:
        await client.get(server.url + "/")
        # Not sent again (it may have been acted on): the callers' retries decide.
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(server.url + "/")
        assert transport._open == 0
        server.handler = keep_alive
        assert (await client.get(server.url + "/next")).text == "you asked for /next"
    assert server.connections == 2


async def test_a_cancelled_request_frees_its_connection() -> None:
    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        await asyncio.sleep(30)

    transport, client = transport_client(max_connections=1)
    async with Server(never) as server, client:
        request = asyncio.ensure_future(client.get(server.url + "/"))
        await asyncio.sleep(0.1)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        assert transport._open == 0
        server.handler = keep_alive
        assert (await client.get(server.url + "/next")).text == "you asked for /next"


async def test_a_closed_transport_closes_its_idle_connections_and_refuses_requests() -> None:
    transport, client = transport_client()
    async with Server(keep_alive) as server:
        await client.get(server.url + "/")
        await client.aclose()
        assert transport._idle_count == 0 and transport._open == 0
        with pytest.raises(RuntimeError):
            await transport.exchange(b"GET", b"http", "127.0.0.1", 9, b"/", [(b"Host", b"x")], {})
