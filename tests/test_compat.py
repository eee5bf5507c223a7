"""pytiktoklive.compat: TikTokLive user code, with only its imports changed, against the simulator."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from typing import Any, Dict, Iterator, List

import pytest
import pytiktoklive
from pytiktoklive.compat import TikTokLiveClient
from pytiktoklive.compat.client.errors import UserOfflineError as MirroredUserOfflineError
from pytiktoklive.compat.errors import (
    AlreadyConnectedError,
    InvalidFetchIsLiveRequest,
    TikTokLiveError,
    UserNotFoundError,
    UserOfflineError,
)
from pytiktoklive.compat.events import (
    BaseEvent,
    CommentEvent,
    ConnectEvent,
    ControlAction,
    ControlEvent,
    DisconnectEvent,
    FollowEvent,
    GiftEvent,
    JoinEvent,
    LikeEvent,
    LiveEndEvent,
    LiveIntroEvent,
    LivePauseEvent,
    LiveUnpauseEvent,
    QuestionNewEvent,
    RoomUserSeqEvent,
    ShareEvent,
    SocialEvent,
    UnknownEvent,
    WebsocketResponseEvent,
)
from pytiktoklive.simulator import RoomSpec, ScriptedScenario, Simulator

EVERY_EVENT_CLASS = [
    ConnectEvent,
    DisconnectEvent,
    CommentEvent,
    GiftEvent,
    LikeEvent,
    JoinEvent,
    FollowEvent,
    ShareEvent,
    SocialEvent,
    RoomUserSeqEvent,
    QuestionNewEvent,
    LiveIntroEvent,
    LivePauseEvent,
    LiveUnpauseEvent,
    LiveEndEvent,
    ControlEvent,
    UnknownEvent,
]


def record_everything(client: TikTokLiveClient) -> List[BaseEvent]:
    """Every event the client emits, in emission order (plain listeners run inline)."""
    seen: List[BaseEvent] = []
    for event_class in EVERY_EVENT_CLASS:
        client.add_listener(event_class, seen.append)
    return seen


def sent_methods(sim: Simulator, username: str) -> collections.Counter[str]:
    return collections.Counter(message.method for message in sim.room(username).messages)


# --------------------------------------------------------------------------- the demo room


async def test_tiktoklive_style_code_receives_the_demo_room(tiktok_simulator: Simulator) -> None:
    client = TikTokLiveClient(unique_id="@demo_user", endpoints=tiktok_simulator.endpoints)
    seen = record_everything(client)
    comments_handled: List[str] = []

    @client.on(CommentEvent)
    async def on_comment(event: CommentEvent) -> None:
        await asyncio.sleep(0)  # a real coroutine handler, run as a task
        comments_handled.append(f"{event.user.nickname}: {event.comment}")  # type: ignore[union-attr]

    try:
        task = await client.connect()
    finally:
        await client.close()

    room = tiktok_simulator.room("demo_user")
    sent = sent_methods(tiktok_simulator, "demo_user")
    kinds = collections.Counter(type(event).__name__ for event in seen)
    assert task.done() and not client.connected
    assert seen[0] == ConnectEvent(unique_id="demo_user", room_id=room.room_id)
    assert isinstance(seen[-1], DisconnectEvent) and kinds["DisconnectEvent"] == 1
    # Every message the room sent arrives once, under TikTokLive's event names.
    assert kinds["CommentEvent"] == sent["WebcastChatMessage"] > 0
    assert kinds["GiftEvent"] == sent["WebcastGiftMessage"] > 0
    assert kinds["LikeEvent"] == sent["WebcastLikeMessage"] > 0
    assert kinds["JoinEvent"] == sent["WebcastMemberMessage"] > 0
    assert kinds["SocialEvent"] == sent["WebcastSocialMessage"] == kinds["FollowEvent"] + kinds["ShareEvent"]
    assert kinds["FollowEvent"] > 0 and kinds["ShareEvent"] > 0
    assert kinds["RoomUserSeqEvent"] == sent["WebcastRoomUserSeqMessage"] > 0
    assert kinds["QuestionNewEvent"] == sent["WebcastQuestionNewMessage"] > 0
    assert kinds["LiveIntroEvent"] == 1
    # The coroutine handler ran for every comment before connect() returned.
    assert len(comments_handled) == kinds["CommentEvent"]

    comments = [event for event in seen if isinstance(event, CommentEvent)]
    for comment in comments:
        user = comment.user
        assert user is not None and comment.comment and comment.comment == comment.content
        assert user.unique_id == user.display_id == user.username and user.unique_id
        assert user.nickname == user.nick_name and user.nickname
        assert user.user_id == user.id > 0
        assert comment.common.room_id == room.room_id and comment.common.method == "WebcastChatMessage"

    likes = [event for event in seen if isinstance(event, LikeEvent)]
    assert all(like.count >= 1 and like.user is not None for like in likes)
    assert [like.total for like in likes] == sorted(like.total for like in likes)

    viewers = [event for event in seen if isinstance(event, RoomUserSeqEvent)]
    assert all(event.m_total == event.total > 0 and event.total_user >= event.total for event in viewers)

    question = next(event for event in seen if isinstance(event, QuestionNewEvent))
    assert question.data.content and question.data.user is not None

    # TikTokLive emits the derived event right before the message's own event.
    for index, event in enumerate(seen):
        if isinstance(event, (FollowEvent, ShareEvent)):
            following = seen[index + 1]
            assert type(following) is SocialEvent and following.native is event.native
            assert event.user is not None and event.user.unique_id
    end = next(index for index, event in enumerate(seen) if isinstance(event, LiveEndEvent))
    control = seen[end + 1]
    assert type(control) is ControlEvent and control.action == ControlAction.STREAM_ENDED
    assert isinstance(seen[end + 2], DisconnectEvent)


async def test_gift_streaks_follow_tiktoklive_semantics(tiktok_simulator: Simulator) -> None:
    client = TikTokLiveClient("demo_user", endpoints=tiktok_simulator.endpoints)
    gifts: List[GiftEvent] = []
    client.on(GiftEvent, gifts.append)
    try:
        await client.connect()
    finally:
        await client.close()

    streaks: Dict[int, List[GiftEvent]] = collections.defaultdict(list)
    for gift in gifts:
        streaks[gift.group_id].append(gift)
    assert any(gift.gift.streakable for gift in gifts) and any(not gift.gift.streakable for gift in gifts)
    for events in streaks.values():
        last = events[-1]
        assert not last.streaking and last.value == last.repeat_count * last.gift.diamond_count * 0.005
        assert last.gift.name and last.gift.gift_name == last.gift.name and last.gift_id == last.gift.id
        assert last.user is not None and last.user.unique_id
        if last.gift.streakable:
            assert last.repeat_end == 1
            assert all(event.streaking and event.value is None for event in events[:-1])
            counts = [event.repeat_count for event in events]
            assert counts == sorted(counts) and last.repeat_count == len(events) - 1
        else:
            assert len(events) == 1 and last.repeat_end == 0 and last.repeat_count == 1


# --------------------------------------------------------------------------- scripted room


async def test_control_social_and_unknown_messages_become_tiktoklive_events() -> None:
    script = ScriptedScenario(
        [
            (0.1, lambda f: f.control(1, "paused")),
            (0.2, lambda f: f.control(2)),
            (0.3, lambda f: f.follow()),
            (0.4, lambda f: f.share()),
            (0.5, lambda f: f.gift_streak(gift=f.gifts.pick(f.rng, streakable=False))),
            (0.6, lambda f: f.unknown()),
            (0.7, lambda f: f.control(3, "The LIVE has ended")),
        ]
    )
    async with Simulator([RoomSpec("scripted_user", scenario=script)], seed=3, speed=10.0) as sim:
        client = TikTokLiveClient("https://www.tiktok.com/@scripted_user/live", endpoints=sim.endpoints)
        seen = record_everything(client)
        responses: List[WebsocketResponseEvent] = []

        @client.on(WebsocketResponseEvent)
        def on_response(event: WebsocketResponseEvent) -> None:
            seen.append(event)
            responses.append(event)

        client.add_listener(GiftEvent, seen.append)  # already listening: still called once per event
        try:
            await client.connect()
        finally:
            await client.close()

    names = [type(event).__name__ for event in seen]
    assert names == [
        "ConnectEvent",
        *("LivePauseEvent", "WebsocketResponseEvent", "ControlEvent"),
        *("LiveUnpauseEvent", "WebsocketResponseEvent", "ControlEvent"),
        *("FollowEvent", "WebsocketResponseEvent", "SocialEvent"),
        *("ShareEvent", "WebsocketResponseEvent", "SocialEvent"),
        *("WebsocketResponseEvent", "GiftEvent"),
        *("WebsocketResponseEvent", "UnknownEvent"),
        *("LiveEndEvent", "WebsocketResponseEvent", "ControlEvent"),
        "DisconnectEvent",
    ]
    pause = seen[1]
    assert isinstance(pause, LivePauseEvent) and pause.action is ControlAction.STREAM_PAUSED
    assert pause.tips == "paused"
    gift = next(event for event in seen if isinstance(event, GiftEvent))
    assert not gift.gift.streakable and not gift.streaking and gift.value is not None
    unknown = next(event for event in seen if isinstance(event, UnknownEvent))
    assert unknown.method == "WebcastSimulatorUnknownMessage" and unknown.bytes
    assert unknown.size == len(unknown.payload) > 0 and unknown.as_base64
    assert all(response.raw is None and response.native is not None for response in responses)


# --------------------------------------------------------------------------- errors


async def test_offline_user_raises_user_offline_error(tiktok_simulator: Simulator) -> None:
    client = TikTokLiveClient("offline_user", endpoints=tiktok_simulator.endpoints)
    connected: List[ConnectEvent] = []
    client.on(ConnectEvent, connected.append)
    try:
        assert await client.is_live() is False
        with pytest.raises(UserOfflineError) as raised:
            await client.start()
    finally:
        await client.close()
    # One class for every way user code spells it.
    assert isinstance(raised.value, (TikTokLiveError, RuntimeError, pytiktoklive.errors.UserOfflineError))
    assert MirroredUserOfflineError is UserOfflineError
    assert not client.connected and client.room_id is None and connected == []


async def test_unknown_user_raises_user_not_found_error(tiktok_simulator: Simulator) -> None:
    client = TikTokLiveClient("@no_such_user_here", endpoints=tiktok_simulator.endpoints)
    try:
        with pytest.raises(UserNotFoundError) as raised:
            await client.connect()
        with pytest.raises(UserNotFoundError):
            await client.is_live()
    finally:
        await client.close()
    assert raised.value.unique_id == "no_such_user_here"
    assert isinstance(raised.value, pytiktoklive.errors.UserNotFoundError)
    assert isinstance(raised.value.__cause__, pytiktoklive.errors.UserNotFoundError)


# --------------------------------------------------------------------------- lifecycle


async def test_start_fetches_room_data_and_refuses_a_second_connection(tiktok_simulator: Simulator) -> None:
    client = TikTokLiveClient("demo_user", endpoints=tiktok_simulator.endpoints)
    room = tiktok_simulator.room("demo_user")
    disconnected = asyncio.Event()
    client.on(DisconnectEvent, lambda event: disconnected.set())
    try:
        task = await client.start(fetch_room_info=True, fetch_gift_info=True)
        assert client.connected and client.room_id == room.room_id
        assert client.room_info is not None and int(client.room_info["id"]) == room.room_id
        assert client.gift_info is not None and client.gift_info.get("gifts")
        with pytest.raises(AlreadyConnectedError):
            await client.start()
        await client.disconnect()
        await disconnected.wait()
        assert task.done() and not client.connected
        assert client.room_id is None and client.room_info is None
    finally:
        await client.close()


async def test_a_handler_can_disconnect(tiktok_simulator: Simulator) -> None:
    client = TikTokLiveClient("demo_user", endpoints=tiktok_simulator.endpoints)
    seen = record_everything(client)

    @client.on(CommentEvent)
    async def stop(event: CommentEvent) -> None:
        await client.disconnect()

    try:
        await client.connect()
    finally:
        await client.close()
    assert not tiktok_simulator.room("demo_user").ended  # we left; the LIVE went on
    assert isinstance(seen[-1], DisconnectEvent) and not any(isinstance(e, LiveEndEvent) for e in seen)
    assert any(isinstance(event, CommentEvent) for event in seen) and not client.connected


@contextlib.contextmanager
def simulator_in_thread(**options: Any) -> Iterator[Simulator]:
    """A simulator serving from its own thread and loop, so that blocking ``client.run()`` can be tested."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def started() -> Simulator:
        return await Simulator(**options).start()

    sim = asyncio.run_coroutine_threadsafe(started(), loop).result(timeout=30)
    try:
        yield sim
    finally:
        asyncio.run_coroutine_threadsafe(sim.close(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def test_run_blocks_until_the_live_ends_and_can_run_again() -> None:
    with simulator_in_thread(seed=1, speed=40.0) as sim:
        client = TikTokLiveClient(unique_id="@demo_user", endpoints=sim.endpoints)
        comments: List[str] = []
        ended: List[DisconnectEvent] = []

        @client.on(CommentEvent)
        async def on_comment(event: CommentEvent) -> None:
            comments.append(event.comment)

        client.on(DisconnectEvent, ended.append)
        task = client.run()
        assert task.done() and len(ended) == 1
        assert len(comments) == sent_methods(sim, "demo_user")["WebcastChatMessage"] > 0
        # A second run gets a fresh event loop and HTTP client: the LIVE is over now.
        with pytest.raises(UserOfflineError):
            client.run()


async def test_run_inside_an_event_loop_points_to_connect() -> None:
    client = TikTokLiveClient("demo_user")
    with pytest.raises(RuntimeError, match="connect"):
        client.run()
    await client.close()


# --------------------------------------------------------------------------- listeners and helpers


async def test_listener_registry_follows_tiktoklive() -> None:
    client = TikTokLiveClient("someone")
    calls: List[Any] = []

    def on_like(event: Any) -> None:
        calls.append(("like", event))

    assert not client.has_listener(LikeEvent)
    assert client.add_listener(LikeEvent, on_like) is on_like
    assert client.has_listener(LikeEvent) and client.listeners("LikeEvent") == [on_like]
    client.once("CommentEvent", lambda event: calls.append(("once", event)))
    assert client.event_names() == {"LikeEvent", "CommentEvent"}
    assert client.emit(LikeEvent, 1) and client.emit("CommentEvent", 2)
    assert client.emit(CommentEvent, 3) is False  # the once-listener is gone
    assert calls == [("like", 1), ("once", 2)]
    client.remove_listener(LikeEvent, on_like)
    assert not client.has_listener(LikeEvent)
    with pytest.raises(KeyError):
        client.remove_listener(LikeEvent, on_like)
    with pytest.raises(TypeError):
        client.on(pytiktoklive.events.ChatEvent)  # type: ignore[arg-type]  # pytiktoklive's own events

    # A failing handler goes to the "error" listeners; the others still run.
    errors: List[BaseException] = []
    client.on("error", errors.append)

    @client.on(GiftEvent)
    async def broken(event: Any) -> None:
        raise ValueError("boom")

    client.on(GiftEvent, lambda event: calls.append(("gift", event)))
    client.emit(GiftEvent, 4)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert calls[-1] == ("gift", 4) and [str(error) for error in errors] == ["boom"]
    await client.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("@creator", "creator"),
        ("creator", "creator"),
        (" https://www.tiktok.com/@creator/live ", "creator"),
        ("https://www.tiktok.com/@creator", "creator"),
        (123456789, "123456789"),
    ],
)
def test_parse_unique_id(given: Any, expected: str) -> None:
    assert TikTokLiveClient.parse_unique_id(given) == expected


async def test_web_routes(tiktok_simulator: Simulator) -> None:
    client = TikTokLiveClient("demo_user", endpoints=tiktok_simulator.endpoints)
    room = tiktok_simulator.room("demo_user")
    try:
        assert await client.web.fetch_room_id_from_api("@demo_user") == room.room_id
        assert await client.web.fetch_is_live(room_id=room.room_id) is True
        assert await client.web.fetch_is_live(unique_id="offline_user") is False
        info = await client.web.fetch_room_info(unique_id="demo_user")
        assert int(info["id"]) == room.room_id
        assert (await client.web.fetch_gift_list(room_id=room.room_id)).get("gifts")
        assert (await client.get_avatar_url() or "").startswith(tiktok_simulator.url)
        with pytest.raises(InvalidFetchIsLiveRequest):
            await client.web.fetch_is_live()
        with pytest.raises(UserOfflineError):
            await client.web.fetch_room_id_from_api("offline_user")
    finally:
        await client.close()
