"""The bytes of the client's HTTP requests, read off a real socket.

:func:`pytiktoklive._receive.receive` builds a request's URL itself (:func:`with_query`,
one parse instead of httpx's two) instead of handing ``params`` to httpx: what goes on the
wire must be exactly what httpx sends for ``build_request(url, params=params)``, request
line and headers, for every kind of parameter value TikTok's requests carry.
"""

from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator, Dict, List, Mapping, Optional

import httpx
import pytest
from pytiktoklive import TikTok
from pytiktoklive._cookies import MAX_COOKIE_BYTES, MAX_COOKIES, CookieJar, cookie_header
from pytiktoklive._http import DEFAULT_USER_AGENT, default_headers, default_params
from pytiktoklive._proxy import build_http_client, resolve_proxies
from pytiktoklive._receive import receive, with_query
from pytiktoklive.config import Endpoints


class RequestRecorder:
    """A loopback HTTP server that records each request's head and answers ``{}``."""

    def __init__(self) -> None:
        self.heads: List[bytes] = []
        self.url = ""
        self._server: Optional[asyncio.AbstractServer] = None

    async def __aenter__(self) -> RequestRecorder:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                self.heads.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@pytest.fixture
async def recorder() -> AsyncIterator[RequestRecorder]:
    async with RequestRecorder() as server:
        yield server


WEBCAST_PARAMS = {
    **default_params(DEFAULT_USER_AGENT, "https://www.tiktok.com"),
    "room_id": "7301234567890123456",
}
ODD_VALUES = {
    "plain": "abc",
    "spaces and plus": "a b+c",
    "reserved": "&=?#/%;:@,$!'()*",
    "unicode": "über 🎁 漢字",
    "empty": "",
    "tilde and dots": "a~b.c-d_e",
    "already escaped": "%20%2F",
}
PARAM_SETS: Dict[str, Mapping[str, str]] = {
    "webcast defaults and a room": WEBCAST_PARAMS,
    "odd values": ODD_VALUES,
    "odd names": {"a b": "1", "ä": "2", "x&y": "3", "": "4"},
    "none": {},
}


def client_with_cookies(jar: str) -> httpx.AsyncClient:
    """A client whose jar is httpx's own (a user's client) or the one that counts its changes
    (the client's own), holding cookies that match some paths and not others."""
    if jar == "counting":
        client = build_http_client(resolve_proxies(None), timeout=5.0)
        assert isinstance(client.cookies.jar, CookieJar)
    else:
        client = httpx.AsyncClient()
    client.cookies.set("ttwid", "cookie-value", domain="127.0.0.1")
    client.cookies.set("webcast_only", "w", domain="127.0.0.1", path="/webcast")
    client.cookies.set("secure_only", "s", domain="127.0.0.1")
    for cookie in client.cookies.jar:
        cookie.secure = cookie.name == "secure_only"  # never sent over plain http
    client.cookies.set("elsewhere", "e", domain="example.com")
    return client


JARS = ["httpx's", "counting"]


@pytest.mark.parametrize("jar", JARS)
@pytest.mark.parametrize("params", PARAM_SETS.values(), ids=list(PARAM_SETS))
@pytest.mark.parametrize(
    "path", ["/webcast/room/info/", "/webcast/im/fetch/", "/@some.user/live", "/x?keep=1"]
)
async def test_receive_sends_what_httpx_sends_for_the_same_params(
    recorder: RequestRecorder, path: str, params: Mapping[str, str], jar: str
) -> None:
    headers = default_headers(DEFAULT_USER_AGENT, "https://www.tiktok.com")
    async with client_with_cookies(jar) as client:
        reference = await client.send(
            client.build_request("GET", recorder.url + path, params=params, headers=headers)
        )
        assert reference.status_code == 200
        answer = await receive(
            client,
            recorder.url + path,
            params=params,
            headers=headers,
            kind="json",
            max_bytes=100,
            deadline=5.0,
        )
        assert answer.status_code == 200
    sent_by_httpx, sent_by_receive = recorder.heads
    assert sent_by_receive == sent_by_httpx
    assert str(answer.request.url) == str(reference.request.url)
    assert (b"webcast_only=w" in sent_by_receive) == path.startswith("/webcast/")
    assert b"ttwid=cookie-value" in sent_by_receive
    assert b"secure_only" not in sent_by_receive and b"elsewhere" not in sent_by_receive


@pytest.mark.parametrize("jar", JARS)
async def test_every_change_of_the_jar_reaches_the_next_request(recorder: RequestRecorder, jar: str) -> None:
    """The counting jar remembers each URL's Cookie header: a set, a replaced value, a cookie
    the server sets, a deletion and a clear must each show in the next request, as with httpx."""

    async def cookies_sent() -> bytes:
        await receive(client, recorder.url + "/webcast/x", kind="json", max_bytes=100, deadline=5.0)
        head = recorder.heads[-1]
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"cookie: "):
                return line[len(b"cookie: ") :]
        return b""

    async with client_with_cookies(jar) as client:
        client.cookies.clear()
        assert await cookies_sent() == b""
        client.cookies.set("a", "1", domain="127.0.0.1")
        assert await cookies_sent() == b"a=1"
        client.cookies.set("a", "2", domain="127.0.0.1")
        assert await cookies_sent() == b"a=2"
        client.cookies.extract_cookies(
            httpx.Response(
                200,
                headers={"set-cookie": "b=3; Path=/"},
                request=httpx.Request("GET", recorder.url + "/"),
            )
        )
        assert await cookies_sent() == b"a=2; b=3"
        client.cookies.delete("a", domain="127.0.0.1")
        assert await cookies_sent() == b"b=3"
        client.cookies.clear()
        assert await cookies_sent() == b""


def test_a_remembered_cookie_header_ends_when_a_cookie_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])  # the stdlib jar and the cache read this clock
    jar = CookieJar()
    client = httpx.AsyncClient(cookies=jar)
    client.cookies.set("lasting", "1", domain="h.example")
    client.cookies.set("brief", "2", domain="h.example")
    next(cookie for cookie in jar if cookie.name == "brief").expires = 1_000_010
    assert cookie_header(jar, "https://h.example/p") == "lasting=1; brief=2"
    now[0] += 9
    assert cookie_header(jar, "https://h.example/p") == "lasting=1; brief=2"
    now[0] += 1  # brief's expiry
    assert cookie_header(jar, "https://h.example/p") == "lasting=1"
    assert [cookie.name for cookie in jar] == ["lasting"]
    # The websocket's URL counts as https (and ws as http): the same header.
    assert cookie_header(jar, "wss://h.example/p?cursor=1") == "lasting=1"
    assert cookie_header(jar, "https://elsewhere.example/p") == ""


def test_the_jar_holds_at_most_max_cookies_and_forgets_cleared_ones() -> None:
    """Over the bound, the least recently set cookie goes (here all were set by the program);
    a cleared cookie no longer counts, so setting it again drops nothing."""
    said: List[str] = []
    jar = httpx.Cookies(CookieJar(warn=said.append))
    for index in range(MAX_COOKIES + 3):
        jar.set(f"c{index}", "v", domain="example.com")
    assert len(jar.jar) == MAX_COOKIES
    assert {cookie.name for cookie in jar.jar} == {f"c{index}" for index in range(3, MAX_COOKIES + 3)}
    assert len(said) == 2  # the 1st and 2nd drop (the 3rd is not a power of two)
    jar.jar.clear("example.com", "/", "c10")
    jar.set("c10", "again", domain="example.com")
    assert len(jar.jar) == MAX_COOKIES and jar.jar.dropped == 3  # nothing more dropped
    jar.set("big", "x" * MAX_COOKIE_BYTES, domain="example.com")  # name + value over the limit
    assert "big" not in {cookie.name for cookie in jar.jar} and jar.jar.dropped == 4
    jar.jar.clear()
    jar.set("after", "v", domain="example.com")
    assert [cookie.name for cookie in jar.jar] == ["after"] and jar.jar.dropped == 4


def test_the_same_cookie_set_again_keeps_the_headers_worked_out_and_a_new_value_does_not() -> None:
    """A sign server gives the same cookies with every signed request: the header worked out
    for a URL stays; a changed value (or anything else about the cookie) is a change."""
    jar = httpx.Cookies(CookieJar())
    jar.set("msToken", "one", domain="example.com")
    url = "https://example.com/webcast/im/fetch/"
    assert cookie_header(jar.jar, url) == "msToken=one"
    changes = jar.jar.changes
    jar.set("msToken", "one", domain="example.com")
    assert jar.jar.changes == changes and cookie_header(jar.jar, url) == "msToken=one"
    jar.set("msToken", "two", domain="example.com")
    assert jar.jar.changes == changes + 1 and cookie_header(jar.jar, url) == "msToken=two"
    jar.set("msToken", "two", domain="example.com", path="/webcast")  # another cookie: another path
    assert cookie_header(jar.jar, url) == "msToken=two; msToken=two"
    assert len(jar.jar) == 2


async def test_a_cookie_header_of_the_callers_own_wins(recorder: RequestRecorder) -> None:
    async with client_with_cookies("counting") as client:
        await receive(
            client,
            recorder.url + "/p",
            headers={"Cookie": "mine=1"},
            kind="json",
            max_bytes=100,
            deadline=5.0,
        )
    (head,) = recorder.heads
    assert b"\r\ncookie: mine=1\r\n" in head.lower() and b"ttwid" not in head


@pytest.mark.parametrize("params", PARAM_SETS.values(), ids=list(PARAM_SETS))
def test_with_query_is_httpx_url_with_params(params: Mapping[str, str]) -> None:
    for base in (
        "https://webcast.tiktok.com/webcast/room/info/",
        "http://127.0.0.1:8080/a",
        "https://h/p?q=1#f",
    ):
        assert str(with_query(base, params)) == str(httpx.URL(base, params=params))
        assert with_query(base, params).raw_path == httpx.URL(base, params=params).raw_path


async def test_a_clients_own_params_are_merged_as_httpx_merges_them(recorder: RequestRecorder) -> None:
    async with httpx.AsyncClient(params={"client_param": "1"}) as client:
        await client.get(recorder.url + "/p", params={"a": "b"})
        await receive(
            client, recorder.url + "/p", params={"a": "b"}, kind="json", max_bytes=100, deadline=5.0
        )
    sent_by_httpx, sent_by_receive = recorder.heads
    assert sent_by_receive == sent_by_httpx
    assert sent_by_receive.startswith(b"GET /p?client_param=1&a=b HTTP/1.1\r\n")


async def test_the_clients_webcast_request_line_carries_every_default_parameter_in_order(
    recorder: RequestRecorder,
) -> None:
    async with TikTok(
        Endpoints(www=recorder.url, webcast=recorder.url + "/webcast", signer=""), params={"x": "y z"}
    ) as client:
        await client._http.webcast_json("room/info/", {"room_id": "42"})
        # The default parameters' encoding is remembered: a change to them must show.
        client._http.params["user_is_login"] = "true"
        await client._http.webcast_json("room/info/", {"room_id": "42"})
        # A parameter replacing a default keeps the default's place, as httpx merges it.
        await client._http.webcast_json("room/info/", {"aid": "7", "room_id": "42"})
    defaults = {**default_params(DEFAULT_USER_AGENT, recorder.url), "x": "y z"}
    expected = [
        {**defaults, "room_id": "42"},
        {**defaults, "user_is_login": "true", "room_id": "42"},
        {**defaults, "user_is_login": "true", "aid": "7", "room_id": "42"},
    ]
    assert len(recorder.heads) == len(expected)
    for head, params in zip(recorder.heads, expected):
        target = httpx.URL(recorder.url + "/webcast/room/info/", params=params).raw_path
        assert head.startswith(b"GET " + target + b" HTTP/1.1\r\n")
