"""The bytes of the client's HTTP requests, read off a real socket.

:func:`pytiktoklive._receive.receive` builds a request's URL itself (:func:`with_query`,
one parse instead of httpx's two) instead of handing ``params`` to httpx: what goes on the
wire must be exactly what httpx sends for ``build_request(url, params=params)``, request
line and headers, for every kind of parameter value TikTok's requests carry.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Dict, List, Mapping, Optional

import httpx
import pytest
from pytiktoklive import TikTok
from pytiktoklive._http import DEFAULT_USER_AGENT, default_headers, default_params
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


@pytest.mark.parametrize("params", PARAM_SETS.values(), ids=list(PARAM_SETS))
@pytest.mark.parametrize(
    "path", ["/webcast/room/info/", "/webcast/im/fetch/", "/@some.user/live", "/x?keep=1"]
)
async def test_receive_sends_what_httpx_sends_for_the_same_params(
    recorder: RequestRecorder, path: str, params: Mapping[str, str]
) -> None:
    headers = default_headers(DEFAULT_USER_AGENT, "https://www.tiktok.com")
    async with httpx.AsyncClient() as client:
        client.cookies.set("ttwid", "cookie-value", domain="127.0.0.1")
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
    (head,) = recorder.heads
    expected = {**default_params(DEFAULT_USER_AGENT, recorder.url), "x": "y z", "room_id": "42"}
    target = httpx.URL(recorder.url + "/webcast/room/info/", params=expected).raw_path
    assert head.startswith(b"GET " + target + b" HTTP/1.1\r\n")
