"""pytiktoklive.compat, continued: separate web/websocket proxies, ``is_user_id``, and every
pytiktoklive error caught by ``except TikTokLiveError``. Against the simulator, over real sockets."""

from __future__ import annotations

import enum
import types
from typing import Any, AsyncIterator, Dict, List

import httpx
import pytest
import pytest_asyncio
from client_sim import FAST
from proxies import HttpProxy, Socks5Proxy
from pytiktoklive import errors as native
from pytiktoklive.compat import TikTokLiveClient
from pytiktoklive.compat import errors as compat
from pytiktoklive.compat.events import CommentEvent, ConnectEvent, DisconnectEvent, WebsocketResponseEvent
from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator
from pytiktoklive.simulator.faults import HTTPFault

pytest.importorskip("betterproto2", reason="the websocket needs betterproto2 (Python >= 3.10)")

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_environment_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    rooms = [RoomSpec("short_live", scenario=LivelyScenario(duration=2.0, battle=False))]
    async with Simulator(rooms, builtin_rooms=False, seed=7, speed=20.0) as simulator:
        yield simulator


def authority(sim: Simulator) -> str:
    return sim.url.split("://", 1)[1]


def http_requests(sim: Simulator) -> List[str]:
    return [request.path for request in sim.requests if request.endpoint != "push"]


async def connect_to_the_end(client: TikTokLiveClient) -> List[object]:
    seen: List[object] = []
    for event_class in (ConnectEvent, CommentEvent, DisconnectEvent):
        client.add_listener(event_class, seen.append)
    try:
        await client.connect()
    finally:
        await client.close()
    return seen


# --------------------------------------------------------------------------- proxies


async def test_web_proxy_and_ws_proxy_each_carry_their_own_traffic(sim: Simulator) -> None:
    async with HttpProxy() as web, Socks5Proxy() as ws:
        client = TikTokLiveClient(
            "@short_live",
            web_proxy=httpx.Proxy(web.url),  # as TikTokLive takes it
            ws_proxy=ws.url,
            endpoints=sim.endpoints,
            reconnect=FAST,
        )
        assert client.tiktok.proxies.http == web.url and client.tiktok.proxies.websocket == ws.url
        seen = await connect_to_the_end(client)
    assert isinstance(seen[0], ConnectEvent) and isinstance(seen[-1], DisconnectEvent)
    assert any(isinstance(event, CommentEvent) for event in seen)
    # Every HTTP request went through the web proxy, which opened no tunnel (no websocket) ...
    assert len(web.requests) == len(http_requests(sim)) > 0 and web.tunnels == []
    # ... and each websocket connection through the SOCKS proxy, which carried nothing else.
    handshakes = len(sim.room("short_live").stats.handshakes)
    assert handshakes >= 1 and ws.targets == [authority(sim)] * handshakes


class SocksType(enum.Enum):
    SOCKS5 = 2


def python_socks_like(host: str, port: int, username: str, password: str) -> object:
    """What ``websockets_proxy.Proxy.from_url(...)`` (python-socks) holds, without depending on it."""
    return types.SimpleNamespace(
        _proxy_type=SocksType.SOCKS5,
        _proxy_host=host,
        _proxy_port=port,
        _username=username,
        _password=password,
        _rdns=None,
    )


@pytest.mark.parametrize("how", ["ws_proxy", "ws_kwargs", "python_socks"])
async def test_ws_proxy_alone_leaves_http_direct(sim: Simulator, how: str) -> None:
    async with Socks5Proxy(username="alice", password="p@ss:word") as ws:
        url = ws.url.replace("p@ss:word", "p%40ss%3Aword")  # credentials percent-encoded in a URL
        choices: Dict[str, Dict[str, Any]] = {
            "ws_proxy": {"ws_proxy": url},
            "ws_kwargs": {"ws_kwargs": {"proxy": url}},
            "python_socks": {"ws_proxy": python_socks_like("127.0.0.1", ws.port, "alice", "p@ss:word")},
        }
        given = choices[how]
        client = TikTokLiveClient("short_live", endpoints=sim.endpoints, reconnect=FAST, **given)
        assert client.tiktok.proxies.http is None
        seen = await connect_to_the_end(client)
    assert isinstance(seen[-1], DisconnectEvent)
    assert ws.targets and ws.targets == [authority(sim)] * len(sim.room("short_live").stats.handshakes)


async def test_web_proxy_alone_carries_the_websocket_too(sim: Simulator) -> None:
    async with HttpProxy() as web:
        client = TikTokLiveClient(
            "short_live", web_kwargs={"web_proxy": web.url}, endpoints=sim.endpoints, reconnect=FAST
        )
        await connect_to_the_end(client)
    assert len(web.requests) == len(http_requests(sim)) > 0
    assert web.tunnels and web.tunnels == [authority(sim)] * len(sim.room("short_live").stats.handshakes)


# --------------------------------------------------------------------------- is_user_id


async def test_is_user_id_resolves_the_numeric_id_from_the_profile(tiktok_simulator: Simulator) -> None:
    room = tiktok_simulator.room("demo_user")
    client = TikTokLiveClient(room.user_id, is_user_id=True, endpoints=tiktok_simulator.endpoints)
    connected: List[ConnectEvent] = []
    client.on(ConnectEvent, connected.append)
    try:
        assert client.unique_id == str(room.user_id)
        assert await client.is_live() is True
        assert client.unique_id == "demo_user"  # TikTokLive keeps the resolved handle
        await client.start()
        assert client.room_id == room.room_id
        await client.disconnect()
    finally:
        await client.close()
    assert connected == [ConnectEvent(unique_id="demo_user", room_id=room.room_id)]
    profiles = [r.path for r in tiktok_simulator.requests if r.endpoint == "profile"]
    assert f"/@{room.user_id}" in profiles


async def test_is_user_id_for_an_unknown_id_fails_like_tiktoklive(tiktok_simulator: Simulator) -> None:
    client = TikTokLiveClient("12345", is_user_id=True, endpoints=tiktok_simulator.endpoints)
    without_flag = TikTokLiveClient("12345", endpoints=tiktok_simulator.endpoints)
    try:
        with pytest.raises(compat.FailedResolveUserId) as raised:
            await client.start()
        # Without is_user_id, a numeric id is a handle, as in TikTokLive.
        with pytest.raises(compat.UserNotFoundError):
            await without_flag.start()
    finally:
        await client.close()
        await without_flag.close()
    assert isinstance(raised.value.__cause__, native.UserNotFoundError)
    assert not client.connected


# --------------------------------------------------------------------------- errors


async def test_blocked_pages_raise_a_tiktoklive_error(sim: Simulator) -> None:
    sim.faults.not_served("room/info_by_user")  # so the room is looked for on the pages
    sim.faults.waf(times=None)  # the pages, and the api-live fallback too: a blocked IP
    sim.faults.add(HTTPFault("api-live", "waf", times=None))
    client = TikTokLiveClient("short_live", endpoints=sim.endpoints)
    try:
        with pytest.raises(compat.TikTokLiveError) as raised:
            await client.start()
    finally:
        await client.close()
    error = raised.value
    assert isinstance(error, compat.IPBlockedError) and isinstance(error, native.IPBlockedError)
    assert isinstance(error, native.RequestError) and isinstance(error, RuntimeError)
    assert isinstance(error.__cause__, native.RequestError) and str(error) == str(error.__cause__)


async def test_reconnects_running_out_raise_connection_failed_through_connect(sim: Simulator) -> None:
    # A LIVE that outlasts the test, whose every websocket closes at once.
    room = sim.add_room(RoomSpec("long_live", scenario=LivelyScenario(duration=600.0, battle=False)))
    room.faults.close_after(0, times=None)
    client = TikTokLiveClient("long_live", endpoints=sim.endpoints, reconnect=FAST, polling=False)
    disconnected: List[DisconnectEvent] = []
    client.on(DisconnectEvent, disconnected.append)
    try:
        with pytest.raises(compat.TikTokLiveError) as raised:
            await client.connect()
    finally:
        await client.close()
    assert isinstance(raised.value, compat.ConnectionFailedError)
    assert isinstance(raised.value, native.ConnectionFailedError)
    assert type(raised.value.__cause__) is native.ConnectionFailedError
    assert disconnected == []  # as TikTokLive: no DisconnectEvent when the connection fails


def test_every_pytiktoklive_error_becomes_a_tiktoklive_error() -> None:
    cases: List[native.TikTokLiveError] = [
        native.DecodeError("bad frame"),
        native.RequestError("down", url="https://example.invalid/a"),
        native.HTTPStatusError("503", url="u", status_code=503),
        native.RateLimitError("slow down", url="u", retry_after=2.5),
        native.IPBlockedError("blocked", url="u"),
        native.CaptchaError("captcha", url="u"),
        native.SignerError("signer down", url="u"),
        native.SignerRateLimitError("signer busy", url="u", retry_after=1.0),
        native.InvalidUsernameError("a/b"),
        native.UserNotFoundError("who?", username="nobody"),
        native.UserOfflineError("offline", username="someone"),
        native.LiveEndedError("over"),
        native.AgeRestrictedError("18+"),
        native.NoMoreFeedItemsError("done"),
        native.ConnectionFailedError("gave up"),
        native.WebsocketRejectedError("no", status_code=417, reason="illegal secret key"),
        native.BackpressureError("full"),
        native.DownloadError("ffmpeg failed", stderr_tail="tail", path="x.flv"),
        native.FFmpegNotFoundError("no ffmpeg"),
        native.StreamURLNotFoundError("no url"),
        native.TikTokLiveError("something else"),
    ]
    for original in cases:
        with pytest.raises(compat.TikTokLiveError) as raised, compat.translate_errors():
            raise original
        error = raised.value
        assert error.__cause__ is original and str(error) == str(original)
        assert isinstance(error, RuntimeError)
        if not isinstance(original, native.LiveEndedError):  # reported as UserOfflineError
            assert isinstance(error, type(original)), (type(error), type(original))
    # Attributes survive, and the new classes nest like pytiktoklive's.
    rate = compat.translate(native.RateLimitError("slow", url="u", retry_after=2.5))
    assert isinstance(rate, compat.RateLimitError) and isinstance(rate, compat.HTTPStatusError)
    assert (rate.retry_after, rate.status_code, rate.url) == (2.5, 429, "u")
    download = compat.translate(native.FFmpegNotFoundError("no ffmpeg", path="x.flv"))
    assert isinstance(download, compat.DownloadError) and download.path == "x.flv"
    rejected = compat.translate(native.WebsocketRejectedError("no", status_code=417))
    assert isinstance(rejected, compat.WebcastBlockedError) and rejected.status_code == 417
    assert isinstance(rejected, compat.ConnectionFailedError)
    signer = compat.translate(native.SignerError("down", url="u"))
    assert isinstance(signer, compat.SignAPIError) and isinstance(signer, compat.RequestError)
    assert isinstance(compat.translate(native.DecodeError("x")), ValueError)
    assert type(compat.translate(native.TikTokLiveError("x"))) is compat.PyTikTokLiveError


async def test_websocket_response_event_raw_is_none(sim: Simulator) -> None:
    client = TikTokLiveClient("short_live", endpoints=sim.endpoints)
    responses: List[WebsocketResponseEvent] = []
    client.on(WebsocketResponseEvent, responses.append)
    await connect_to_the_end(client)
    assert responses and all(event.raw is None and event.native is not None for event in responses)
