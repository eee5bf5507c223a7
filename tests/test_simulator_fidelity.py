"""The simulator against real TikTok traffic (``../shared/captures``): same shapes, same schema.

* every message type a lively room emits exists in the captures, and decodes
  with the same fields populated as the real messages of that type (no field
  real traffic never fills; every field real traffic always fills);
* its frames decode the same with both decoders (the Rust core and the pure one);
* its ``msg`` frames carry the same PushFrame and FetchResult fields as the real frame;
* its ``gift/list`` is the real captured answer, byte for byte in content.

Every test skips when the captures are absent.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import sys
from collections import defaultdict
from types import ModuleType
from typing import Any, Dict, List, Set, Tuple

import httpx
import pytest

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

import captures
from pytiktoklive.decoding import decode_frame, decode_message
from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator
from pytiktoklive.simulator.rooms import LoggedMessage
from pytiktoklive.simulator.testing import connect_push, fetch
from pytiktoklive.simulator.wire import fields

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="the simulator needs Python >= 3.10")

#: Methods the simulator makes up on purpose: no capture can hold them.
SIMULATOR_ONLY = {"WebcastSimulatorUnknownMessage"}


def populated(value: Any, prefix: str = "") -> Set[str]:
    """Dotted paths of the non-default leaves of an event's ``to_dict()``
    (``user.nickname``, ``top_viewers[].score``…)."""
    found: Set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            # Banner documents key their activity by a generated name: compare the shape.
            key = re.sub(r"^op_component-.*", "op_component-*", key)
            found |= populated(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= populated(item, prefix + "[]")
    elif value not in (None, 0, "", False, b""):
        found.add(prefix)
    return found


@functools.lru_cache(maxsize=1)
def simulated_log() -> Tuple[LoggedMessage, ...]:
    """Everything a 40 s lively room (with battle, the rarer types and unknown messages) emits, seed 3."""

    async def play() -> Tuple[LoggedMessage, ...]:
        scenario = LivelyScenario(duration=40.0, unknown_messages=True, extras=True)
        async with Simulator(
            [RoomSpec("fidelity", scenario=scenario)], builtin_rooms=False, seed=3, speed=400
        ) as sim:
            room = sim.room("fidelity")
            room.start()
            await room.wait_ended()
            return tuple(room.log)

    return asyncio.run(play())


def real_paths() -> Dict[str, List[Set[str]]]:
    by_method: Dict[str, List[Set[str]]] = defaultdict(list)
    for capture in captures.messages():
        by_method[capture.method].append(populated(decode_message(capture.method, capture.payload).to_dict()))
    return by_method


def test_every_simulated_message_type_is_a_real_one_with_real_fields() -> None:
    real = real_paths()
    simulated: Dict[str, List[Set[str]]] = defaultdict(list)
    for entry in simulated_log():
        event = decode_message(entry.method, entry.payload, entry.msg_id)
        simulated[entry.method].append(populated(event.to_dict()))
    assert len(simulated) >= 14  # chat, gift, like, member, social, battle, armies, control, …

    problems = []
    for method, samples in sorted(simulated.items()):
        if method in SIMULATOR_ONLY:
            continue
        if method not in real:
            problems.append(f"{method}: no real message of this type")
            continue
        sim_union = set().union(*samples)
        real_union = set().union(*real[method])
        never_real = sim_union - real_union
        if never_real:
            problems.append(f"{method}: fills fields no real one does: {sorted(never_real)}")
        always_real = set.intersection(*real[method])
        missing = always_real - set.intersection(*samples)
        if missing:
            problems.append(f"{method}: leaves out fields every real one has: {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_simulated_messages_decode_the_same_with_both_decoders(decoder: ModuleType) -> None:
    for entry in simulated_log():
        mine = decoder.decode_message(entry.method, entry.payload, entry.msg_id)
        assert mine == decode_message(entry.method, entry.payload, entry.msg_id), entry.method


def field_numbers(data: bytes) -> Set[int]:
    return {number for number, _ in fields(data)}


async def test_push_frames_carry_the_fields_of_the_real_frame() -> None:
    real_frame = dict(fields(captures.read(captures.REPAIRED_FRAME)))
    real_result = dict(fields(real_frame[8]))
    async with Simulator(
        [RoomSpec("framed", scenario=LivelyScenario(duration=4.0))], builtin_rooms=False, speed=20
    ) as sim:
        room = sim.room("framed")
        async with httpx.AsyncClient() as http:
            first = await fetch(http, sim, room)
        async with connect_push(first, room, compress=False) as ws:  # the real frame is not gzipped
            data = await ws.recv()
    assert isinstance(data, bytes)
    frame = dict(fields(data))
    assert frame.keys() == real_frame.keys() == set(range(1, 9))
    assert (frame[3], frame[4], frame[6], frame[7]) == (real_frame[3], real_frame[4], b"pb", b"msg")
    headers = [value for number, value in fields(data) if number == 5]  # repeated PushHeader
    assert real_frame[5] == b"\n\rcompress_type\x12\x04none" in headers
    result = dict(fields(frame[8]))
    assert result.keys() == real_result.keys()  # messages, cursor, fetch_interval, now, internal_ext, hb, ack
    # The cursor has the real shape: a millisecond time, a 19-digit id, four flags.
    cursor_shape = re.compile(r"^\d{13}_\d{19}_\d_\d_\d_\d$")
    assert cursor_shape.match(real_result[2].decode()) and cursor_shape.match(result[2].decode())
    # The envelope of each message: method, payload, msg_id, as in the real frame.
    assert field_numbers(result[1]) == field_numbers(real_result[1]) == {1, 2, 3}
    # internal_ext in the shape research §5.9 quotes from a 2023 session.
    assert re.match(
        r"^fetch_time:\d+\|start_time:0\|ack_ids:,\|flag:0\|seq:\d+\|next_cursor:[0-9_]+\|wss_info:0-\d+-0-0$",
        result[5].decode(),
    )
    assert decode_frame(data).events  # and our decoder reads it


def test_messages_from_the_capture_replay_room_are_sent_unchanged() -> None:
    from pytiktoklive.simulator.captures import find_captures, load_messages

    directory = find_captures()
    if directory is None:
        pytest.skip("no captures (../shared/captures)")
    replayed = load_messages(directory)
    real = captures.messages()
    # Each replayed message is a real one, byte for byte, and every real message id is replayed
    # (a few captured ids come with two different payloads; a server sends an id once).
    in_frame = dict(fields(dict(fields(captures.read(captures.REPAIRED_FRAME)))[8]))[1]
    real_payloads = {capture.payload for capture in real} | {dict(fields(in_frame))[2]}
    assert {message.payload for message in replayed} <= real_payloads
    replayed_ids = {message.msg_id for message in replayed}
    for capture in real:
        assert decode_message(capture.method, capture.payload).msg_id in replayed_ids, capture


async def test_gift_list_is_the_newest_real_capture() -> None:
    lists = captures.gift_lists()
    newest = max((body for _, body in lists), key=lambda body: body["extra"]["now"])
    async with Simulator(builtin_rooms=False) as sim, httpx.AsyncClient() as http:
        answer = await http.get(sim.endpoints.webcast + "/gift/list/", params={"aid": "1988"})
        room = sim.add_room(RoomSpec("gifter", scenario=LivelyScenario(duration=None)))
        gift_drafts = [room.factory.gift_streak(length=1)[0] for _ in range(20)]
    assert answer.json() == newest
    # The gifts of the rooms come from that very list: same id, name and price.
    real_gifts = {gift["id"]: gift for gift in newest["data"]["gifts"]}
    for draft in gift_drafts:
        event = decode_message(draft.method, bytes(draft.message))
        gift = real_gifts[event.id]
        assert (event.name, event.cost, event.type) == (gift["name"], gift["diamond_count"], gift["type"])


def test_room_info_shape_matches_the_research_notes() -> None:
    """The keys research §5.3 lists for ``room/info`` are served (checked in detail in
    ``test_simulator.py``); here: the JSON is an object tree of the documented types."""
    from pytiktoklive.simulator import webcast_api

    async def info() -> Dict[str, Any]:
        async with Simulator() as sim:
            return webcast_api.room_info_answer(sim.room("demo_user"), 0)

    answer = json.loads(json.dumps(asyncio.run(info())))
    data = answer["data"]
    assert isinstance(data["id"], int) and data["id_str"] == str(data["id"])  # int64 and its string twin
    assert isinstance(data["create_time"], int) and data["create_time"] < 10**11  # epoch seconds
    assert isinstance(data["stream_url"]["live_core_sdk_data"]["pull_data"]["stream_data"], str)
    assert data["share_url"].endswith(f"/share/live/{data['id']}/?language=en")
    assert data["live_id"] == 12
