"""What happens in simulated rooms: seeded scenarios, scripts, replays, many rooms,
and the ways to run the simulator (``python -m``, :func:`run`, the pytest fixture)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive.decoding import decode_message
from pytiktoklive.events import METHOD_EVENT_TYPES, ControlEvent, GiftEvent, PollEvent, UnknownEvent
from pytiktoklive.samples import SAMPLE_CAPTURES
from pytiktoklive.simulator import (
    LivelyScenario,
    MessageFactory,
    RawMessage,
    ReplayScenario,
    RoomSpec,
    ScriptedScenario,
    SimRoom,
    Simulator,
)
from pytiktoklive.simulator import captures as captures_module
from pytiktoklive.simulator.captures import find_captures, load_gift_list, load_messages
from pytiktoklive.simulator.runner import describe
from pytiktoklive.simulator.testing import connect_push, fetch

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="the simulator needs Python >= 3.10")

#: Fields that carry the wall clock, the only thing a seed does not fix (the banner's JSON
#: document has its own clock fields, and its raw text ``json`` carries them too).
CLOCK_FIELDS = {
    "create_time", "timestamp", "json", "activity_time", "create_at", "now_millis",
    "start_time", "end_time", "unpack_at",  # a poll's, a treasure box's
}  # fmt: skip
#: Messages every lively room sends besides the viewer actions.
SCAFFOLDING = {
    "RoomMessage", "WebcastLiveIntroMessage", "WebcastRoomUserSeqMessage", "WebcastInRoomBannerMessage",
    "WebcastQuestionNewMessage", "WebcastControlMessage",
}  # fmt: skip


def without_clock(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_clock(item) for key, item in value.items() if key not in CLOCK_FIELDS}
    if isinstance(value, list):
        return [without_clock(item) for item in value]
    return value


async def play(spec: RoomSpec, *, seed: int = 0) -> List[Dict[str, Any]]:
    """Play one room to its end at high speed; its messages, decoded, without clock fields."""
    async with Simulator([spec], builtin_rooms=False, seed=seed, speed=200.0) as sim:
        room = sim.room(spec.username)
        room.start()
        await room.wait_ended()
        decoded = [decode_message(entry.method, entry.payload, entry.msg_id).to_dict() for entry in room.log]
    # Image URLs point at the simulator, whose port changes from run to run.
    messages: List[Dict[str, Any]] = json.loads(json.dumps(decoded).replace(sim.url, "http://simulator"))
    return [without_clock(message) for message in messages]


# --------------------------------------------------------------------------- seeds, rate and mix


async def test_a_seed_always_makes_the_same_room() -> None:
    first = await play(RoomSpec("seeded"), seed=42)
    again = await play(RoomSpec("seeded"), seed=42)
    other = await play(RoomSpec("seeded"), seed=43)
    assert first == again
    assert first != other
    methods = Counter(message["method"] for message in first)
    # Every event type of the demo: actions, gifts, a battle with army scores, the end.
    assert methods.keys() >= SCAFFOLDING | {
        "WebcastChatMessage", "WebcastLikeMessage", "WebcastMemberMessage", "WebcastGiftMessage",
        "WebcastSocialMessage", "WebcastLinkMicBattle", "WebcastLinkMicArmies",
    }  # fmt: skip
    assert first[-1]["method"] == "WebcastControlMessage" and first[-1]["action"] == 3


async def test_the_demo_room_plays_every_event_type_the_decoder_knows() -> None:
    async with Simulator(speed=200.0) as sim:
        room = sim.room("demo_user")
        room.start()
        await room.wait_ended()
        events = [decode_message(entry.method, entry.payload, entry.msg_id) for entry in room.log]
    played = {type(event) for event in events}
    assert set(METHOD_EVENT_TYPES.values()) <= played, set(METHOD_EVENT_TYPES.values()) - played
    assert not any(isinstance(event, UnknownEvent) for event in events)
    # Each through its own wire method (the notices through RoomMessage and WebcastBottomMessage).
    methods = {entry.method for entry in room.log}
    assert {
        "RoomMessage",
        "WebcastBottomMessage",
        "WebcastSubNotifyMessage",
        "WebcastBarrageMessage",
    } <= methods
    polls = [event for event in events if isinstance(event, PollEvent)]
    assert [poll.status for poll in polls] == [0, 2, 1] and len({poll.poll_id for poll in polls}) == 1


async def test_a_room_seed_overrides_the_simulator_seed() -> None:
    one = await play(RoomSpec("pinned", seed=5), seed=1)
    two = await play(RoomSpec("pinned", seed=5), seed=2)
    assert one == two


async def test_rate_scales_the_number_of_messages() -> None:
    calm = await play(RoomSpec("calm", scenario=LivelyScenario(duration=10.0, rate=0.5, battle=False)))
    busy = await play(RoomSpec("calm", scenario=LivelyScenario(duration=10.0, rate=4.0, battle=False)))
    assert len(busy) > 3 * len(calm)


async def test_mix_chooses_the_viewer_actions() -> None:
    gifts_only = await play(
        RoomSpec("gifts", scenario=LivelyScenario(duration=10.0, mix={"gift": 1}, battle=False))
    )
    methods = Counter(message["method"] for message in gifts_only)
    assert set(methods) - SCAFFOLDING == {"WebcastGiftMessage"}
    assert methods["WebcastGiftMessage"] > 10
    with pytest.raises(ValueError, match="unknown actions"):
        LivelyScenario(mix={"dance": 1})


async def test_gift_streaks_grow_and_end_like_real_ones() -> None:
    messages = await play(RoomSpec("streaks", scenario=LivelyScenario(duration=20.0, mix={"gift": 1})))
    streaks: Dict[int, List[Dict[str, Any]]] = {}
    for message in messages:
        if message["method"] == "WebcastGiftMessage":
            streaks.setdefault(message["group_id"], []).append(message)
    assert streaks
    for gifts in streaks.values():
        counts = [gift["repeat_count"] for gift in gifts]
        if gifts[0]["type"] == 1:  # streakable: 1, 2, …, n, then n again with repeat_end
            assert counts == [*range(1, len(gifts)), len(gifts) - 1]
            assert [bool(gift["repeat_end"]) for gift in gifts] == [False] * (len(gifts) - 1) + [True]
        else:  # one message, never "ended"
            assert counts == [1] and not gifts[0]["repeat_end"]


async def test_unknown_messages_can_be_mixed_in() -> None:
    messages = await play(RoomSpec("odd", scenario=LivelyScenario(duration=30.0, unknown_messages=True)))
    assert any(message["method"] == "WebcastSimulatorUnknownMessage" for message in messages)


# --------------------------------------------------------------------------- scripts and replays


async def test_a_scripted_room_sends_exactly_its_script() -> None:
    script = ScriptedScenario(
        [
            (0.0, lambda factory: factory.chat(text="first!")),
            (0.5, lambda factory: factory.gift_streak(length=2)),
            (1.0, lambda factory: factory.control(1)),  # paused
            (1.5, RawMessage("WebcastRawThing", b"\x08\x01", msg_id=99)),
            (2.0, lambda factory: factory.control(3)),  # ended
            (3.0, lambda factory: factory.chat(text="never sent: the LIVE is over")),
        ]
    )
    messages = await play(RoomSpec("scripted", scenario=script))
    assert [message["method"] for message in messages] == [
        "WebcastChatMessage",
        *["WebcastGiftMessage"] * 3,  # a streak of 2: counts 1, 2, then 2 with repeat_end
        "WebcastControlMessage",
        "WebcastRawThing",
        "WebcastControlMessage",
    ]
    assert messages[0]["comment"] == "first!"
    assert messages[-3]["action"] == 1 and messages[-1]["action"] == 3
    assert messages[-2]["msg_id"] == 99


async def test_messages_can_be_emitted_by_hand() -> None:
    async with Simulator([RoomSpec("manual", scenario=ScriptedScenario([]))], builtin_rooms=False) as sim:
        room = sim.room("manual")
        factory: MessageFactory = room.factory
        chat = room.emit(factory.chat(text="hello"))
        gifts = [room.emit(draft) for draft in factory.gift_streak(length=3)]
        room.end()
        assert room.ended and room.log[-1].method == "WebcastControlMessage"
    event = decode_message(chat.method, chat.payload)
    assert event.comment == "hello" and event.room_id == room.room_id
    last_gift = decode_message(gifts[-1].method, gifts[-1].payload)
    assert isinstance(last_gift, GiftEvent) and last_gift.repeat_end
    assert [entry.msg_id for entry in room.log] == sorted(entry.msg_id for entry in room.log)


async def test_the_replay_room_sends_every_captured_message_byte_for_byte() -> None:
    replay = ReplayScenario(duration=1.0)
    async with Simulator(builtin_rooms=False, speed=20.0) as sim:
        room = sim.add_room(RoomSpec("replay", scenario=replay))
        room.start()
        await room.wait_ended()
    sent = [(entry.method, entry.payload) for entry in room.log]
    assert sent == [(message.method, message.payload) for message in replay.messages]
    assert len({method for method, _ in sent}) >= 77  # every captured type, full set or sample
    last = decode_message(room.log[-1].method, room.log[-1].payload)
    assert isinstance(last, ControlEvent) and last.action in (3, 4)


async def test_the_builtin_replay_room_exists_with_captures() -> None:
    async with Simulator() as sim:
        assert isinstance(sim.room("replay_user").spec.scenario, ReplayScenario)


def test_without_the_full_captures_the_shipped_sample_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PYTIKTOKLIVE_CAPTURES", str(empty))  # set and empty: as on a plain clone
    assert find_captures() == SAMPLE_CAPTURES
    monkeypatch.delenv("PYTIKTOKLIVE_CAPTURES")
    monkeypatch.setattr(captures_module, "_REPO_CAPTURES", tmp_path / "missing")  # no neighbour
    assert find_captures() == SAMPLE_CAPTURES
    messages = load_messages(SAMPLE_CAPTURES)
    assert len({message.payload for message in messages}) == len(messages) > 250  # deduplicated
    assert len({message.method for message in messages}) >= 77
    assert load_gift_list(SAMPLE_CAPTURES) is not None
    assert find_captures(tmp_path / "missing") is None  # explicit and missing: no captures
    size = sum(path.stat().st_size for path in SAMPLE_CAPTURES.rglob("*") if path.is_file())
    assert size < 1_500_000


# --------------------------------------------------------------------------- many rooms


async def test_many_rooms_for_load_tests() -> None:
    async with Simulator(builtin_rooms=False, speed=20.0) as sim:
        rooms = sim.add_rooms(20, scenario=LivelyScenario(duration=4.0, battle=False))
        more = sim.add_rooms(5)  # numbering goes on
        assert [room.username for room in more] == [f"load_user{n}" for n in range(20, 25)]
        assert len({room.room_id for room in sim.rooms}) == 25
        assert sim.room(rooms[3].room_id) is rooms[3] and sim.room("@LOAD_USER3") is rooms[3]
        with pytest.raises(ValueError):
            sim.add_room(RoomSpec("load_user0"))

        async def watch(http: httpx.AsyncClient, room: SimRoom) -> int:
            async with connect_push(await fetch(http, sim, room), room) as ws:
                count = 0
                async for _ in ws:
                    count += 1
                return count

        async with httpx.AsyncClient(timeout=10.0) as http:
            counts = await asyncio.gather(*(watch(http, room) for room in rooms))
        assert all(count > 0 for count in counts)
        assert all(room.ended and room.stats.messages_sent == len(room.log) for room in rooms)


# --------------------------------------------------------------------------- running it


async def test_the_pytest_fixture_is_a_running_simulator(tiktok_simulator: Simulator) -> None:
    assert tiktok_simulator.speed == 20.0 and tiktok_simulator.seed == 0
    async with httpx.AsyncClient() as http:
        answer = await http.get(tiktok_simulator.url + "/@demo_user/live")
    assert answer.status_code == 200


async def test_the_banner_names_the_endpoints_and_rooms() -> None:
    async with Simulator() as sim:
        banner = describe(sim)
    assert sim.url in banner and sim.push_url in banner
    assert "@demo_user" in banner and "polling only" in banner and "ended" in banner


def test_python_dash_m_serves_until_interrupted() -> None:
    command = [
        sys.executable,
        "-m",
        "pytiktoklive.simulator",
        "--port",
        "0",
        "--speed",
        "50",
        "--load-rooms",
        "2",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            banner = [process.stdout.readline()]
            while "Ctrl-C" not in banner[-1] and banner[-1]:
                banner.append(process.stdout.readline())
            assert banner[0].startswith("pytiktoklive simulator listening on http://127.0.0.1:")
            assert any("@load_user1" in line for line in banner)
            url = banner[0].rsplit(" ", 1)[1].strip()
            page = httpx.get(url + "/@load_user1/live", timeout=10.0)
            assert page.status_code == 200 and "SIGI_STATE" in page.text
            process.send_signal(signal.SIGINT)  # Ctrl-C
            _, errors = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, errors
    assert "Traceback" not in errors


# --------------------------------------------------------------------------- looping rooms


async def test_a_looping_room_goes_live_again_in_a_new_room() -> None:
    from pytiktoklive import TikTok

    spec = RoomSpec("looper", scenario=LivelyScenario(duration=2.0), loop=True)
    async with Simulator([spec], builtin_rooms=False, speed=10.0) as sim, TikTok(sim.endpoints) as tiktok:
        first = sim.room("looper")
        async with await tiktok.track_user("looper") as live:
            assert live.room_id == first.room_id
            assert [event async for event in live.events]  # until the LIVE's end
        assert live.ended and first.ended
        second = sim.room("looper")  # the user's newest LIVE
        assert second is not first and second.room_id != first.room_id and second.live
        assert sim.room(first.room_id) is first  # the ended one is still known by id
        async with await tiktok.track_user("looper") as again:
            assert again.room_id == second.room_id
            events = [event async for event in again.events]
        assert isinstance(events[-1], ControlEvent) and events[-1].ended
        feed = await tiktok.new_feed().next()
        assert [stream.room_id for stream in feed] == [sim.room("looper").room_id]  # always a live room


async def test_without_loop_a_room_plays_once() -> None:
    async with Simulator(speed=50.0) as sim:
        demo = sim.room("demo_user")
        assert not demo.spec.loop
        demo.start()
        await demo.wait_ended()
        assert sim.room("demo_user") is demo and demo.ended
    async with Simulator(speed=50.0, loop=True) as sim:
        assert {room.username for room in sim.rooms if room.spec.loop} >= {"demo_user", "polling_user"}


async def test_a_looping_room_keeps_only_its_last_ended_lives() -> None:
    spec = RoomSpec("brief", scenario=ScriptedScenario([(0.0, lambda f: f.control(3))]), loop=True)
    async with Simulator([spec], builtin_rooms=False) as sim:
        ended = []
        for _ in range(8):
            room = sim.room("brief")
            room.start()
            await room.wait_ended()
            ended.append(room)
        assert len(sim.rooms) == 5  # the live one and the last four ended ones
        assert sim.room(ended[-1].room_id) is ended[-1]
        with pytest.raises(KeyError):
            sim.room(ended[0].room_id)
