"""Production parity (issue #11): the paths real users need, and a simulator other clients trust.

Client: the fetch-flow sign server (Euler Stream's ``/webcast/fetch``), logged-in sessions,
sending chat, ``room/info_by_user``, the websocket URL, the compat client's endpoints.
Simulator: opening messages carried over to the websocket, closing only after the last ack (or a
grace period), route params, price list types, ended rooms, the 2022 page style.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, List

import httpx
import pytest
import pytest_asyncio
from client_sim import Recorder, collect, emitted, guarded, ids_of
from pytiktoklive import SignServer, TikTok
from pytiktoklive._signing import SessionCookies
from pytiktoklive.config import Endpoints
from pytiktoklive.decoding import decode_fetch_result, decode_frame
from pytiktoklive.errors import (
    AgeRestrictedError,
    LoginRequiredError,
    RateLimitError,
    SignerError,
    SignerRateLimitError,
    UserNotFoundError,
    UserOfflineError,
)
from pytiktoklive.events import ChatEvent, ControlEvent
from pytiktoklive.simulator import LivelyScenario, RoomSpec, ScriptedScenario, Simulator
from pytiktoklive.simulator.push import position_of_route_params
from pytiktoklive.simulator.testing import ack_frame, connect_push, fetch, page_data

pytest.importorskip("betterproto2")  # the simulator and the outbound frames need it

SHORT = LivelyScenario(duration=4.0, battle=False)
ENDLESS = LivelyScenario(duration=None, battle=False)
ROOMS = [
    RoomSpec("plain_room", scenario=SHORT),
    RoomSpec("chat_room", scenario=ENDLESS),
    RoomSpec("adult_room", scenario=SHORT, age_restricted=True),
]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(ROOMS, seed=11, speed=20.0) as simulator:
        yield simulator


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


# --------------------------------------------------------------------------- 1. fetch-flow signer


async def test_the_default_signer_makes_the_first_fetch_and_its_cookies_reach_the_websocket(
    sim: Simulator,
) -> None:
    room = sim.room("plain_room")
    async with Recorder(sim, sign_api_key="the-key", debug=True) as client:
        live = await client.tiktok.track_user("plain_room")
        events, error = await collect(live)
    assert error is None and ids_of(events) == emitted(room)
    (sign,) = [request for request in sim.requests if request.endpoint == "sign"]
    assert sign.path == "/signer/webcast/fetch"
    assert sign.query["room_id"] == str(room.room_id) and sign.query["user_agent"].startswith("Mozilla/")
    assert sign.headers.get("X-Api-Key") == "the-key" and "session_id" not in sign.query
    # No im/fetch of our own: the sign server made it (signed).
    assert not any(request.endpoint == "im/fetch" for request in sim.requests)
    assert room.stats.signed_fetches == 1
    # X-Set-TT-Cookie's cookies went into the jar and onto the websocket handshake.
    handshake = room.stats.handshakes[0]
    assert handshake.cookies["ttwid"] == f"simttwid{room.room_id}" and handshake.cookies["msToken"]
    # Support headers are logged (debug), the key never.
    assert "X-Request-Id" in client.everything() and "the-key" not in client.everything()


async def test_a_rate_limited_sign_server_says_why_and_for_how_long(sim: Simulator) -> None:
    sim.faults.fail("sign", 429, retry_after=30)
    async with Recorder(sim) as client:
        with pytest.raises(SignerRateLimitError) as caught:
            await client.tiktok.track_user("plain_room")
    error = caught.value
    assert error.limit_label == "rate_limit_ip_minute" and error.retry_after == 30
    assert error.server_message.startswith("Too many connections started")
    assert "rate_limit_ip_minute" in str(error) and "Too many connections" in str(error)


async def test_the_sign_url_flow_is_still_there(sim: Simulator) -> None:
    room = sim.room("plain_room")
    signer = SignServer(sim.endpoints.signer, flow="sign_url")
    async with Recorder(sim, signer=signer) as client:
        events, error = await collect(await client.tiktok.track_user("plain_room"))
    assert error is None and ids_of(events) == emitted(room)
    assert [request.path for request in sim.requests if request.endpoint == "sign"] == [
        "/signer/webcast/sign_url"
    ]
    assert room.stats.signed_fetches == 1
    with pytest.raises(ValueError, match="flow"):
        SignServer(sim.endpoints.signer, flow="sign")


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (200, {}, b"\x12\x01x", "no X-Set-TT-Cookie"),
        (200, {"X-Set-TT-Cookie": "ttwid=1"}, b"", "came back empty"),
        (500, {"X-Request-Id": "r-1"}, b'{"message": "internal"}', "500: internal (request id r-1)"),
    ],
)
async def test_unusable_sign_server_answers_are_signer_errors(
    status: int, headers: dict, body: bytes, expected: str
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(SignerError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            await SignServer("https://signer.test").fetch(1, client, user_agent="Mozilla/5.0")


# --------------------------------------------------------------------------- 2. sessions


async def test_an_age_restricted_room_needs_a_session(sim: Simulator) -> None:
    room = sim.room("adult_room")
    async with Recorder(sim) as client:
        with pytest.raises(AgeRestrictedError, match="session_id"):
            await client.tiktok.track_user("adult_room")
    session_id = sim.login("grown_up")
    async with Recorder(sim, session_id=session_id, tt_target_idc="useast1a") as client:
        assert client.tiktok.logged_in
        events, error = await collect(await client.tiktok.track_user("adult_room"))
    assert error is None and ids_of(events) == emitted(room)
    info = [request for request in sim.requests if request.endpoint == "room/info_by_user"][-1]
    assert info.cookies["sessionid"] == session_id and info.cookies["tt-target-idc"] == "useast1a"
    assert info.query["user_is_login"] == "true"
    # Not handed to the sign server without opting in, and never in a log.
    sign = [request for request in sim.requests if request.endpoint == "sign"][-1]
    assert "session_id" not in sign.query
    assert session_id not in client.everything()
    # A session TikTok does not know is refused with a hint.
    async with Recorder(sim, session_id="not-a-session") as client:
        with pytest.raises(AgeRestrictedError, match="did not accept"):
            await client.tiktok.get_room_info(room.room_id)


async def test_the_session_goes_to_the_sign_server_only_when_asked_with_a_warning(sim: Simulator) -> None:
    session_id = sim.login("opted_in")
    async with Recorder(
        sim, session_id=session_id, tt_target_idc="useast2a", sign_with_session=True, log_requests=True
    ) as client:
        live = await client.tiktok.track_user("plain_room")
        await live.close()
    sign = [request for request in sim.requests if request.endpoint == "sign"][-1]
    assert sign.query["session_id"] == session_id and sign.query["tt_target_idc"] == "useast2a"
    assert any("sign_with_session" in warning and "can act as you" for warning in client.warnings)
    assert session_id not in client.everything()
    assert session_id not in repr(SessionCookies(session_id, "useast2a"))


async def test_set_session_none_logs_out(sim: Simulator) -> None:
    async with Recorder(sim, session_id=sim.login()) as client:
        client.tiktok.set_session(None)
        assert not client.tiktok.logged_in
        with pytest.raises(AgeRestrictedError, match="set a logged-in session"):
            await client.tiktok.get_room_info(sim.room("adult_room").room_id)
    info = [request for request in sim.requests if request.endpoint == "room/info"][-1]
    assert "sessionid" not in info.cookies and "user_is_login" not in info.query


# --------------------------------------------------------------------------- 3. sending chat


async def test_send_chat_comes_back_as_a_chat_event_from_that_user(sim: Simulator) -> None:
    room = sim.room("chat_room")
    async with Recorder(sim, session_id=sim.login("chatty_viewer", nickname="Chatty")) as client:
        live = await client.tiktok.track_user("chat_room")
        msg_id = await live.send_chat("hello from the test")
        assert msg_id and any(entry.msg_id == msg_id for entry in room.log)
        async for event in live.events:
            if isinstance(event, ChatEvent) and event.msg_id == msg_id:
                break
        assert event.comment == "hello from the test"
        assert event.user.username == "chatty_viewer" and event.user.nickname == "Chatty"
        chat = [request for request in sim.requests if request.endpoint == "room/chat"][-1]
        assert chat.method == "POST" and chat.query["room_id"] == str(room.room_id)
        await live.close()


async def test_send_chat_errors_are_clear(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("chat_room")
        with pytest.raises(LoginRequiredError, match="session_id"):
            await live.send_chat("hi")
        await live.close()
    assert not any(request.endpoint == "room/chat" for request in sim.requests)  # refused locally
    async with Recorder(sim, session_id="expired-session") as client:
        live = await client.tiktok.track_user("chat_room")
        with pytest.raises(LoginRequiredError, match="did not accept"):
            await live.send_chat("hi")
        await live.close()
    async with Recorder(sim, session_id=sim.login()) as client:
        live = await client.tiktok.track_user("chat_room")
        with pytest.raises(ValueError):
            await live.send_chat("   ")
        sim.faults.fail("room/chat", 429, retry_after=5)
        with pytest.raises(RateLimitError) as caught:
            await live.send_chat("too fast")
        assert caught.value.retry_after == 5
        assert await live.send_chat("later") > 0  # the limit was for that one message
        await live.close()


async def test_compat_send_room_chat(sim: Simulator) -> None:
    from pytiktoklive.compat import TikTokLiveClient
    from pytiktoklive.compat.events import CommentEvent, ConnectEvent

    client = TikTokLiveClient("chat_room", endpoints=sim.endpoints)
    client.web.set_session(sim.login("compat_viewer"), "useast1a")
    comments: List[CommentEvent] = []
    answers: List[dict] = []

    @client.on(ConnectEvent)
    async def on_connect(_: ConnectEvent) -> None:
        answers.append(await client.send_room_chat("sent through compat"))

    @client.on(CommentEvent)
    async def on_comment(event: CommentEvent) -> None:
        if event.comment == "sent through compat":
            comments.append(event)
            await client.disconnect()

    try:
        await guarded(client.connect(), "connect")
    finally:
        await client.close()  # disconnect() leaves the HTTP client open, as TikTokLive's does
    assert answers and answers[0]["code"] == 0 and answers[0]["data"]["msg_id"]
    assert comments and comments[0].user.unique_id == "compat_viewer"


# --------------------------------------------------------------------------- 4. room/info_by_user


async def test_room_info_by_username_is_one_request(sim: Simulator) -> None:
    room = sim.room("plain_room")
    async with TikTok(sim.endpoints) as tiktok:
        info = await tiktok.get_room_info("@plain_room")
        assert info.id == room.room_id and info.title == room.title
        assert [request.endpoint for request in sim.requests] == ["room/info_by_user"]
        assert sim.requests[0].query["unique_id"] == "plain_room"
        with pytest.raises(UserOfflineError):
            await tiktok.get_room_info("offline_user")
        with pytest.raises(UserNotFoundError):
            await tiktok.get_room_info("nobody_here")


async def test_room_info_by_username_falls_back_where_the_endpoint_is_missing(sim: Simulator) -> None:
    sim.faults.not_served("room/info_by_user")
    async with TikTok(sim.endpoints) as tiktok:
        info = await tiktok.get_room_info("plain_room")
        assert info.id == sim.room("plain_room").room_id
        assert "room/info" in [request.endpoint for request in sim.requests]
        # Not asked again by this client, whether for a lookup or for tracking.
        await tiktok.get_room_info("plain_room")
        await (await tiktok.track_user("plain_room")).close()
    asked = [request.endpoint for request in sim.requests if request.endpoint == "room/info_by_user"]
    assert asked == ["room/info_by_user"]


# --------------------------------------------------------------------------- 5. websocket URL


async def test_the_websocket_url_carries_what_the_web_client_sends(sim: Simulator) -> None:
    room = sim.room("plain_room")
    async with Recorder(sim) as client:
        await collect(await client.tiktok.track_user("plain_room"))
    query = room.stats.handshakes[0].query
    assert query["aid"] == "1988" and query["app_name"] == "tiktok_web"
    assert query["version_code"] == "180800" and query["webcast_sdk_version"] == "1.3.0"
    assert query["compress"] == "gzip" and query["heartbeat_duration"] == "10000"
    assert query["room_id"] == str(room.room_id) and query["cursor"] and query["internal_ext"]
    assert position_of_route_params(room, query) is not None  # imprp and wrss went back


# --------------------------------------------------------------------------- 6. compat endpoints


async def test_compat_client_honours_pytiktoklive_endpoint(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytiktoklive.compat import TikTokLiveClient

    monkeypatch.setenv("PYTIKTOKLIVE_ENDPOINT", sim.url)
    monkeypatch.delenv("SIGN_API_URL", raising=False)
    client = TikTokLiveClient("plain_room")
    assert client.web.tiktok.endpoints == Endpoints.at(sim.url)
    assert await client.is_live()
    await client.web.close()
    monkeypatch.setenv("SIGN_API_URL", sim.url + "/other-signer")
    assert TikTokLiveClient("plain_room").web.tiktok._signer.base_url == sim.url + "/other-signer"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- A. opening messages


@pytest.mark.parametrize("kept", ["both", "imprp", "wrss"])
async def test_the_first_fetch_position_carries_over_to_the_websocket(
    http: httpx.AsyncClient, kept: str
) -> None:
    opening = ScriptedScenario(
        [(0.0, lambda f: [f.chat(text="first"), f.chat(text="second")]), (0.2, lambda f: f.control(3))]
    )
    async with Simulator([RoomSpec("opener", scenario=opening)], builtin_rooms=False, speed=1.0) as sim:
        room = sim.room("opener")
        first = await fetch(http, sim, room)  # starts the LIVE: the opening messages come after
        assert not first.events
        await room.wait_for_messages(2)
        params = {"both": first.route_params}.get(kept) or {kept: first.route_params[kept]}
        # Like TikTokLive 7 (route params only) and gotiktoklive (the last one): no cursor.
        async with connect_push(first.replace(route_params=params, cursor="", internal_ext=""), room) as ws:
            comments = []
            async for data in ws:
                frame = decode_frame(data)
                comments += [event.comment for event in frame.events if isinstance(event, ChatEvent)]
                if frame.need_ack:
                    await ws.send(ack_frame(frame.log_id, frame.internal_ext))
                if any(isinstance(event, ControlEvent) for event in frame.events):
                    break
        assert comments == ["first", "second"]


# --------------------------------------------------------------------------- B. closing after the end


async def test_the_push_server_closes_only_after_the_last_ack(http: httpx.AsyncClient) -> None:
    short = ScriptedScenario([(0.0, lambda f: f.chat(text="only")), (0.05, lambda f: f.control(3))])
    async with Simulator([RoomSpec("closer", scenario=short)], builtin_rooms=False, speed=20.0) as sim:
        room = sim.room("closer")
        first = await fetch(http, sim, room)
        async with connect_push(first, room) as ws:
            frames = []
            while not any(isinstance(event, ControlEvent) for frame in frames for event in frame.events):
                frames.append(decode_frame(await ws.recv()))
            frames = [frame for frame in frames if frame.payload_type == "msg"]
            # A client 1 s behind (20x the old grace at this speed) still has its connection...
            await asyncio.sleep(1.0)
            assert ws.close_code is None
            # ... and once it acked every frame, the server closes.
            for frame in frames:
                await ws.send(ack_frame(frame.log_id, frame.internal_ext))
            await guarded(ws.wait_closed(), "the close")
        assert ws.close_code == 1000 and room.stats.bad_acks == 0


# --------------------------------------------------------------------------- D, E, F. shapes


async def test_price_list_types_are_those_of_a_real_answer(sim: Simulator, http: httpx.AsyncClient) -> None:
    body = (await http.get(sim.endpoints.webcast + "/diamond/")).json()
    price = body["data"][0]["currency_price"][0]
    assert isinstance(price["price"], int) and isinstance(price["original_price"], int)
    assert isinstance(body["extra"]["channel"], str)
    async with TikTok(sim.endpoints) as tiktok:
        prices = await tiktok.get_price_list()
    assert prices.items[0].exchange_price == price["price"]


async def test_an_ended_room_refuses_handshakes_and_gets_no_push_server(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    from websockets.exceptions import InvalidStatus

    room = sim.room("plain_room")
    first = await fetch(http, sim, room)
    room.end()
    # Resuming from a cursor still collects the tail; a newcomer is refused.
    async with connect_push(first, room) as ws:
        assert ws.subprotocol == "echo-protocol"
    newcomer = first.replace(cursor="", internal_ext="", route_params={})
    with pytest.raises(InvalidStatus) as caught:
        async with connect_push(newcomer, room):
            pass
    assert caught.value.response.headers["Handshake-Status"] == "404"
    assert (await fetch(http, sim, room, cursor=first.cursor)).push_server == ""
    offline = sim.room("offline_user")
    answer = await http.get(sim.endpoints.signer + "/webcast/fetch", params={"room_id": str(offline.room_id)})
    result = decode_fetch_result(answer.content)
    assert result.push_server == "" and result.route_params == {}
    assert "LIVE on" not in offline.title and "last LIVE" in offline.title


async def test_a_builtin_room_has_the_2022_sigi_state_page(sim: Simulator, http: httpx.AsyncClient) -> None:
    room = sim.room("sigi_user")
    page = (await http.get(sim.url + "/@sigi_user")).text
    state = page_data(page, "SIGI_STATE")
    assert state["UserModule"]["users"]["sigi_user"]["roomId"] == str(room.room_id)
    async with TikTok(sim.endpoints) as tiktok:
        user = await tiktok.get_user_info("sigi_user")
    assert user.room_id == room.room_id
