"""``Live`` against the simulator over real sockets: transports, handlers, closing, streaks.

Every room plays at ``speed=20``; the assertions compare what the client
delivered with what the room really emitted (``msg_id`` by ``msg_id``).
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Dict, List

import pytest
import pytest_asyncio
from client_sim import FAST, Recorder, collect, emitted, guarded, ids_of
from pytiktoklive import SignServer, TikTok
from pytiktoklive.errors import BackpressureError, ConnectionFailedError
from pytiktoklive.events import ChatEvent, ControlEvent, Event, GiftEvent
from pytiktoklive.simulator import LivelyScenario, RoomSpec, ScriptedScenario, Simulator
from pytiktoklive.simulator.push import position_of_route_params
from pytiktoklive.streaks import GiftStreak, GiftStreaks

pytest.importorskip("betterproto2")  # the simulator and the outbound frames need it

SHORT = LivelyScenario(duration=4.0, battle=False)
ENDLESS = LivelyScenario(duration=None, battle=False)


def _chats(count: int) -> ScriptedScenario:
    """``count`` chats at once, then silence until the test ends the LIVE (``room.end()``)."""
    return ScriptedScenario([(0.0, lambda f: [f.chat(text=f"chat {n}") for n in range(count)])])


def _streaks() -> ScriptedScenario:
    def gifts(f: Any) -> List[Any]:
        alice, bob = f.viewer(), f.viewer()
        while bob.id == alice.id:
            bob = f.viewer()
        rose = f.gifts.pick(f.rng, streakable=True)
        lion = f.gifts.pick(f.rng, streakable=False)
        alice_roses, bob_roses = f.gift_streak(alice, rose, 5), f.gift_streak(bob, rose, 3)
        # Interleaved: the two streaks run at the same time, and a non-streakable gift cuts in.
        mixed = [alice_roses[0], bob_roses[0], *f.gift_streak(alice, lion), alice_roses[1], bob_roses[1]]
        return mixed + alice_roses[2:] + bob_roses[2:]

    return ScriptedScenario([(0.0, gifts), (1.0, lambda f: f.control(3))])


ROOMS = [
    RoomSpec("ws_room", scenario=SHORT, ping_interval=0.05),
    RoomSpec("noack_room", scenario=SHORT, need_ack=False),
    RoomSpec("poll_room", scenario=SHORT, websocket=False, fetch_interval_ms=30),
    RoomSpec("endless_room", scenario=ENDLESS),
    RoomSpec("beat_room", scenario=ENDLESS, ping_interval=0.05),
    RoomSpec("slow_beat_room", scenario=ENDLESS, ping_interval=0.3),
    RoomSpec("real_beat_room", scenario=ENDLESS, ping_interval=7.0, heartbeat_duration=15),
    RoomSpec("endless_poll", scenario=ENDLESS, websocket=False, fetch_interval_ms=30),
    RoomSpec("streak_room", scenario=_streaks()),
    RoomSpec("big_room", scenario=_chats(450), history_size=1000),
]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(ROOMS, seed=5, speed=20.0) as simulator:
        yield simulator


# --------------------------------------------------------------------------- the websocket


async def test_websocket_delivers_every_event_once_in_order_then_ends(sim: Simulator) -> None:
    room = sim.room("ws_room")
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("ws_room")
        assert live.info.id == room.room_id and live.info.title == room.title
        assert live.gift_info is not None and len(live.gift_info) > 0
        events, error = await collect(live)
    assert error is None
    assert ids_of(events) == emitted(room)
    assert isinstance(events[-1], ControlEvent) and events[-1].ended
    assert live.ended and live.transport == "websocket"
    # The signed first fetch, then one websocket that entered the room and kept it alive.
    assert room.stats.signed_fetches == 1 and room.stats.polls == 0
    assert len(room.stats.handshakes) == 1
    handshake = room.stats.handshakes[0]
    assert handshake.query["room_id"] == str(room.room_id) and handshake.query["cursor"]
    assert handshake.query["compress"] == "gzip" and handshake.query["internal_ext"]
    # Every route parameter the fetch handed out goes back (the Go original kept only one).
    assert {"imprp", "wrss"} <= set(handshake.query)
    assert position_of_route_params(room, handshake.query) is not None
    assert handshake.headers["User-Agent"].startswith("Mozilla/")
    assert [enter.room_id for enter in room.stats.enter_room] == [room.room_id]
    await sim.wait_until(lambda: room.stats.open_connections == 0)  # a clean end closes the socket


async def test_pause_goes_on_and_suspension_ends(sim: Simulator) -> None:
    room = sim.room("endless_room")
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("endless_room")
        first = [await guarded(live.events.__anext__()) for _ in range(3)]
        room.emit(room.factory.control(1))  # paused: the LIVE goes on
        room.emit(room.factory.control(2))
        room.end(action=4)  # suspended by moderation: over
        rest, error = await collect(live)
    assert error is None and live.ended
    controls = [event for event in rest if isinstance(event, ControlEvent)]
    assert [event.action for event in controls] == [1, 2, 4] and controls[-1] is rest[-1]
    assert ids_of(first + rest) == emitted(room)


async def test_heartbeats_follow_the_servers_interval(sim: Simulator) -> None:
    room = sim.room("beat_room")  # its handshake says ping-interval=0.05 (the default would be 10 s)
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("beat_room")
        await guarded(sim.wait_until(lambda: len(room.stats.heartbeats) >= 4), "heartbeats")
        await live.close()
    assert room.stats.heartbeats[:4] == [1, 2, 3, 4]  # sequence numbers grow by one


async def test_rooms_keep_their_own_heartbeat_intervals_and_a_closed_room_stops(sim: Simulator) -> None:
    """One timer sends every room's heartbeats (``_websocket._HeartbeatClock``): each room still
    at its own server's interval, and none once the room is closed."""
    fast, slow = sim.room("beat_room"), sim.room("slow_beat_room")
    async with Recorder(sim) as client:
        fast_live = await client.tiktok.track_user("beat_room")
        slow_live = await client.tiktok.track_user("slow_beat_room")
        await guarded(sim.wait_until(lambda: len(slow.stats.heartbeats) >= 2), "the slow room's heartbeats")
        assert len(fast.stats.heartbeats) >= 2 * len(slow.stats.heartbeats)  # 0.05 s against 0.3 s
        await fast_live.close()
        # A heartbeat written just before the close may still be on its way: one slow beat on.
        settled = len(slow.stats.heartbeats) + 1
        await guarded(sim.wait_until(lambda: len(slow.stats.heartbeats) >= settled), "a slow heartbeat")
        beats_at_close = len(fast.stats.heartbeats)
        wanted = len(slow.stats.heartbeats) + 2
        await guarded(sim.wait_until(lambda: len(slow.stats.heartbeats) >= wanted), "more slow heartbeats")
        assert len(fast.stats.heartbeats) == beats_at_close  # a closed room sends none
        await slow_live.close()
    assert slow.stats.heartbeats[:wanted] == list(range(1, wanted + 1))


async def test_the_handshake_interval_wins_over_the_fetch_results(sim: Simulator) -> None:
    # A real fetch result says heartbeat_duration=15; the handshake says ping-interval=7 (s).
    room = sim.room("real_beat_room")
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("real_beat_room")
        await guarded(sim.wait_until(lambda: len(room.stats.heartbeats) >= 1), "the first heartbeat")
        await guarded(sim.wait_until(lambda: live._protocol.frames_received >= 1), "a frame")
        assert live._protocol.heartbeat_interval == 7.0
        await live.close()


async def test_acks_exactly_when_the_server_asks(sim: Simulator) -> None:
    acked, unacked = sim.room("ws_room"), sim.room("noack_room")
    async with Recorder(sim) as client:
        for name in ("ws_room", "noack_room"):
            _events, error = await collect(await client.tiktok.track_user(name))
            assert error is None
    assert acked.stats.acks and acked.stats.bad_acks == 0
    assert len({log_id for log_id, _ in acked.stats.acks}) == len(acked.stats.acks)  # each frame once
    assert all(payload.startswith(b"fetch_time:") for _, payload in acked.stats.acks)  # its internal_ext
    assert unacked.stats.frames_sent > 0 and unacked.stats.acks == []


async def test_reconnect_resumes_from_the_last_cursor(sim: Simulator) -> None:
    room = sim.room("endless_room")
    room.faults.drop_after(4)  # the first connection breaks after 4 frames,
    closed = room.faults.close_after(9)  # the second is closed after 9
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("endless_room")
        consumer = asyncio.ensure_future(collect(live))
        await guarded(
            sim.wait_until(lambda: closed.fired == 1 and len(room.stats.handshakes) == 3), "two reconnects"
        )
        room.end()
        events, error = await consumer
    assert error is None
    assert ids_of(events) == emitted(room)  # nothing lost, nothing twice
    assert live.stats["reconnects"] == 2
    _first, *resumed = room.stats.handshakes
    assert len(resumed) == 2
    # Each reconnect asks for what follows the last frame it got, not for the start again.
    cursors = [handshake.query["cursor"] for handshake in room.stats.handshakes]
    assert len(set(cursors)) == 3
    assert all(handshake.query.get("internal_ext") for handshake in resumed)
    assert any("connection lost" in warning for warning in client.warnings)


# --------------------------------------------------------------------------- polling


async def test_polling_when_no_websocket_is_offered(sim: Simulator) -> None:
    room = sim.room("poll_room")
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("poll_room")
        events, error = await collect(live)
    assert error is None
    assert ids_of(events) == emitted(room)
    assert live.transport == "polling" and live.ended
    assert room.stats.handshakes == [] and room.stats.polls >= 1
    # Only the first fetch is signed: polls never spend the signer's quota.
    assert room.stats.signed_fetches == 1
    assert sum(request.endpoint == "sign" for request in sim.requests) == 1


async def test_the_builtin_polling_user(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("polling_user")
        first = await guarded(live.events.__anext__(), "the first polled event")
        assert isinstance(first, Event)
        assert live.transport == "polling"
        await live.close()


async def test_a_stalled_poll_does_not_block_tracking_other_rooms(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        polled = await client.tiktok.track_user("endless_poll")
        stall = sim.faults.stall("im/fetch", seconds=None)  # the next poll hangs until the simulator closes
        await guarded(sim.wait_until(lambda: stall.fired == 1), "the stalled poll")
        other = await guarded(client.tiktok.track_user("ws_room"), "track_user while a poll hangs")
        assert isinstance(await guarded(other.events.__anext__()), Event)
        assert polled.transport == "polling" and not polled.ended
        await guarded(client.tiktok.aclose(), "closing with a poll in flight")
    assert polled.closed and other.closed


# --------------------------------------------------------------------------- the initial batch


async def test_a_big_first_batch_neither_deadlocks_nor_drops(sim: Simulator) -> None:
    room = sim.room("big_room")
    room.start()
    await room.wait_for_messages(450)  # all of them are history by the time we connect
    async with Recorder(sim, max_buffered_events=16) as client:
        live = await guarded(client.tiktok.track_user("big_room"), "track_user with a big first batch")
        room.end()
        events, error = await collect(live)
    assert error is None
    assert ids_of(events) == emitted(room)
    assert live.stats["backpressure_stalls"] >= 1 and live.stats["buffered_events"] == 0
    assert any("consumer is slow" in warning for warning in client.warnings)


async def test_initial_events_can_be_skipped(sim: Simulator) -> None:
    room = sim.room("big_room")
    room.start()
    await room.wait_for_messages(450)
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("big_room", process_initial_events=False)
        room.end()
        events, error = await collect(live)
    assert error is None
    history = emitted(room)[:100]  # what the first fetch returned (the simulator's batch limit)
    assert not set(ids_of(events)) & set(history)
    assert ids_of(events) == emitted(room)[100:]


# --------------------------------------------------------------------------- handlers


async def test_handlers_sync_async_and_raising(sim: Simulator) -> None:
    room = sim.room("ws_room")
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("ws_room")
        chats: List[str] = []
        everything: List[int] = []

        @live.on(ChatEvent)
        def on_chat(event: ChatEvent) -> None:
            chats.append(event.comment)

        @live.on(Event)
        async def on_any(event: Event) -> None:
            await asyncio.sleep(0)
            everything.append(event.msg_id)

        @live.on(GiftEvent)
        def broken(event: GiftEvent) -> None:
            raise RuntimeError(f"handler bug on gift {event.id}")

        await guarded(live.run(), "live.run()")
    assert everything == emitted(room)
    assert chats and len(chats) == sum(message.method == "WebcastChatMessage" for message in room.messages)
    # The raising handler reached the error handler for every gift, and the stream went on.
    gifts = sum(message.method == "WebcastGiftMessage" for message in room.messages)
    assert gifts and sum(isinstance(error, RuntimeError) for error in client.errors) == gifts
    assert live.ended


async def test_on_rejects_what_is_not_an_event_class(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("ws_room")
        with pytest.raises(TypeError):
            live.on(str)  # type: ignore[type-var]
        await live.close()


async def test_one_consumer_per_room(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("endless_room")
        in_handler, release = asyncio.Event(), asyncio.Event()

        @live.on(Event)
        async def hold(event: Event) -> None:
            in_handler.set()
            await release.wait()

        first = asyncio.ensure_future(live.events.__anext__())
        await guarded(in_handler.wait(), "the first event")
        with pytest.raises(RuntimeError, match="one consumer"):
            await live.events.__anext__()
        release.set()
        assert isinstance(await guarded(first), Event)
        await live.close()


# --------------------------------------------------------------------------- closing


async def test_close_ends_the_stream_and_the_connection(sim: Simulator) -> None:
    room = sim.room("endless_room")
    async with Recorder(sim) as client:
        async with await client.tiktok.track_user("endless_room") as live:
            seen = [await guarded(live.events.__anext__()) for _ in range(5)]
            assert room.stats.open_connections == 1 or live.transport == ""
        assert live.closed and not live.ended
        assert [event async for event in live.events] == []  # the stream is over
        await guarded(sim.wait_until(lambda: room.stats.open_connections == 0), "the socket closing")
        assert client.tiktok.lives == []
    assert ids_of(seen) == emitted(room)[:5]


async def test_closing_while_frames_flow_never_hangs(sim: Simulator) -> None:
    # Closing races with frames arriving; asyncio.wait_for around recv() used to swallow the
    # cancellation now and then (CPython < 3.12), and close() then waited for the LIVE to end.
    sim.add_room(RoomSpec("busy_room", scenario=LivelyScenario(duration=None, rate=5.0, battle=False)))
    async with Recorder(sim) as client:
        for attempt in range(8):
            live = await client.tiktok.track_user("busy_room", fetch_gift_info=False)
            for _ in range(3 + attempt):
                await guarded(live.events.__anext__())
            await guarded(live.close(), f"close() #{attempt} while frames flow")
            assert live.closed and client.tiktok.lives == []


async def test_closing_one_room_leaves_the_others_running(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        closed = await client.tiktok.track_user("endless_room")
        running = await client.tiktok.track_user("ws_room")
        await guarded(closed.close(), "closing one room")  # the Go original deadlocked here
        events, error = await collect(running)
    assert error is None and running.ended
    assert ids_of(events) == emitted(sim.room("ws_room"))


async def test_client_close_closes_every_room(sim: Simulator) -> None:
    tiktok = TikTok(sim.endpoints, reconnect=FAST)
    lives = [await tiktok.track_user(name) for name in ("endless_room", "endless_poll")]
    await guarded(tiktok.aclose(), "TikTok.aclose()")
    assert all(live.closed for live in lives)
    with pytest.raises(RuntimeError, match="closed"):
        await tiktok.track_user("ws_room")
    await tiktok.aclose()  # idempotent


async def test_websocket_refused_and_polling_disabled_fails_typed(sim: Simulator) -> None:
    room = sim.room("ws_room")
    room.faults.reject(times=None)
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("ws_room", polling=False)
        events, error = await collect(live)
    assert isinstance(error, ConnectionFailedError)
    assert ids_of(events) == emitted(room)[: len(events)]  # the first fetch's events still came


# --------------------------------------------------------------------------- backpressure


async def test_slow_consumer_with_overflow_error(sim: Simulator) -> None:
    room = sim.room("big_room")
    room.start()
    await room.wait_for_messages(450)
    async with Recorder(sim, max_buffered_events=10, overflow="error") as client:
        live = await client.tiktok.track_user("big_room")
        room.end()
        events, error = await collect(live)
    assert isinstance(error, BackpressureError)
    assert ids_of(events) == emitted(room)[: len(events)]  # what came before the error is intact


# --------------------------------------------------------------------------- gift streaks


async def test_gift_streaks_report_their_final_totals(sim: Simulator) -> None:
    async with Recorder(sim) as client:
        live = await client.tiktok.track_user("streak_room")
        finished: List[GiftStreak] = []
        live.on_gift_streak_end(finished.append)
        events, error = await collect(live)
    assert error is None
    gifts = [event for event in events if isinstance(event, GiftEvent)]
    assert len(gifts) == 5 + 1 + 3 + 1 + 1  # two streaks with their end messages, one single gift
    # One result per streak, when it ends: the single gift first, then Alice's 5, then Bob's 3.
    assert [streak.count for streak in finished] == [1, 5, 3]
    assert [streak.first.streakable for streak in finished] == [False, True, True]
    for streak in finished:
        assert streak.total_cost == streak.cost * streak.count and streak.cost > 0
        assert streak.user is not None and streak.user.id == streak.first.user.id  # type: ignore[union-attr]
    # The helper gives the same results to a plain loop.
    helper = GiftStreaks()
    assert [s.count for s in (helper.feed(event) for event in events) if s] == [1, 5, 3]
    assert len(helper) == 0


# --------------------------------------------------------------------------- signers


@pytest.mark.parametrize("how", ["object", "url", "default", "sign_url"])
async def test_a_sign_server_with_an_api_key(sim: Simulator, how: str) -> None:
    room = sim.room("ws_room")
    options: Dict[str, Any] = {
        "object": {"signer": SignServer(sim.endpoints.signer, api_key="the-key")},
        "url": {"signer": sim.endpoints.signer, "sign_api_key": "the-key"},
        "default": {"sign_api_key": "the-key"},  # the endpoints' sign server
        "sign_url": {"signer": SignServer(sim.endpoints.signer, api_key="the-key", flow="sign_url")},
    }[how]
    async with Recorder(sim, **options) as client:
        events, error = await collect(await client.tiktok.track_user("ws_room"))
    assert error is None and ids_of(events) == emitted(room)
    (sign,) = [request for request in sim.requests if request.endpoint == "sign"]
    assert sign.headers.get("X-Api-Key") == "the-key"
    if how == "sign_url":  # signs the URL; the client fetches
        assert sign.query["apiKey"] == "the-key"
        assert sign.query["url"].startswith(sim.endpoints.webcast + "/im/fetch/")
    else:  # the default flow: the sign server fetches (the key goes in the header only)
        assert sign.path == "/signer/webcast/fetch" and sign.query["room_id"] == str(room.room_id)
        assert "apiKey" not in sign.query
    assert room.stats.signed_fetches == 1


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_sign_function_of_the_users(sim: Simulator, asynchronous: bool) -> None:
    from pytiktoklive.simulator.signer import SIGNER_USER_AGENT, tokens_for

    room = sim.room("ws_room")
    asked: List[str] = []

    def sign(url: str) -> Any:
        asked.append(url)
        signature = "&".join(f"{name}={value}" for name, value in tokens_for(url).items())
        return f"{url}&{signature}", SIGNER_USER_AGENT

    async def sign_async(url: str) -> Any:
        await asyncio.sleep(0)
        return sign(url)

    async with Recorder(sim, signer=sign_async if asynchronous else sign) as client:
        events, error = await collect(await client.tiktok.track_user("ws_room"))
    assert error is None and ids_of(events) == emitted(room)
    assert len(asked) == 1 and f"room_id={room.room_id}" in asked[0]  # only the first fetch is signed
    assert room.stats.signed_fetches == 1
    assert not any(request.endpoint == "sign" for request in sim.requests)
    # The websocket presents the User-Agent the URL was signed for.
    assert room.stats.handshakes[0].headers["User-Agent"] == SIGNER_USER_AGENT


async def test_an_api_key_needs_a_sign_server(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="sign_api_key"):
        TikTok(sim.endpoints, signer=lambda url: url, sign_api_key="the-key")


async def test_a_failing_sign_function_is_a_signer_error(sim: Simulator) -> None:
    from pytiktoklive.errors import SignerError

    def broken(url: str) -> str:
        raise KeyError("no quota left")

    async with Recorder(sim, signer=broken) as client:
        with pytest.raises(SignerError, match="KeyError"):
            await client.tiktok.track_user("ws_room")
        assert client.tiktok.lives == []


@pytest.mark.parametrize(
    ("options", "message"),
    [({"max_buffered_events": 0}, "at least 1"), ({"overflow": "drop"}, "overflow must be one of")],
)
async def test_bad_room_options_fail_before_any_request(
    sim: Simulator, options: Dict[str, Any], message: str
) -> None:
    room = sim.room("ws_room")
    async with Recorder(sim) as client:
        with pytest.raises(ValueError, match=message):
            await client.tiktok.track_room(room.room_id, **options)
    # Neither room/info nor a (signed) first fetch was spent on it.
    assert not sim.requests and room.stats.first_fetches == 0


# --------------------------------------------------------------------------- raw frames


async def test_on_frame_passes_every_frame_before_it_is_decoded() -> None:
    from pytiktoklive import decode_frame

    spec = RoomSpec("framed", scenario=LivelyScenario(duration=2.0, battle=False))
    async with Simulator([spec], builtin_rooms=False, speed=4.0) as sim, TikTok(sim.endpoints) as tiktok:
        errors: List[BaseException] = []
        tiktok.set_error_handler(errors.append)
        frames: List[Any] = []
        live = await tiktok.track_user("framed")
        live.on_frame(lambda kind, data: frames.append((kind, data)))
        async with live:
            events = [event async for event in live.events]
    assert frames and {kind for kind, _ in frames} == {"push_frame"}
    from_frames = [event for _, data in frames for event in decode_frame(data).events]
    assert [event.msg_id for event in from_frames] == [event.msg_id for event in events][-len(from_frames) :]
    assert not errors


async def test_a_failing_frame_handler_is_reported_and_the_room_goes_on() -> None:
    spec = RoomSpec("framed", scenario=LivelyScenario(duration=2.0, battle=False))
    async with Simulator([spec], builtin_rooms=False, speed=4.0) as sim, TikTok(sim.endpoints) as tiktok:
        errors: List[BaseException] = []
        tiktok.set_error_handler(errors.append)
        live = await tiktok.track_user("framed")

        def broken(kind: str, data: bytes) -> None:
            raise RuntimeError("disk full")

        live.on_frame(broken)
        async with live:
            events = [event async for event in live.events]
    assert isinstance(events[-1], ControlEvent) and events[-1].ended
    assert errors and all(isinstance(error, RuntimeError) for error in errors)
