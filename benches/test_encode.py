"""Encoding cost, before and after the Rust core took it over (issue #12 §1), in one run.

::

    python -m pytest benches/test_encode.py --benchmark-enable --benchmark-columns=mean,ops

* ``test_client_frame[...]``: one outbound frame of the client (``ack``, ``hb``), encoded by
  the Rust core (``rust``, what ``pytiktoklive._frames`` does) and by the generated
  betterproto2 classes (``betterproto2``, the code it replaced, kept here to compare).
* ``test_simulator_load[...]``: the simulator as a load generator on one core. Each round
  builds ``EVENTS`` room messages with a room's :class:`MessageFactory` (chats, likes, joins,
  gifts, follows, shares, viewer counts: a lively room's mix), emits them into the room's log
  (common header stamped, payload and envelope encoded) and serves them as gzip ``msg``
  PushFrames of ``BATCH`` messages (fetch result + gzip + frame), the push server's work per
  client. ``rust`` is the simulator as shipped (``pb.X(...)`` field holders encoded by the
  Rust core); ``betterproto2`` puts the generated classes back in the simulator's modules
  (the same API), which is what it ran before. ``extra_info["events_per_second"]`` is the rate.

Both need betterproto2 (the ``pure`` extra) for the "before" side; nothing asserts a time.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Dict, List

import pytest

pytest.importorskip("pytiktoklive", reason="pytiktoklive is not installed in this venv")
betterproto_schema = pytest.importorskip(
    "pytiktoklive._proto.webcast", reason="the 'before' side needs betterproto2 (pytiktoklive[pure])"
)

from pytiktoklive import _frames, decode_frame  # noqa: E402  (after the importorskip above)
from pytiktoklive.simulator import factory, fetch, rooms  # noqa: E402
from pytiktoklive.simulator.fetch import encode_fetch_result, encode_push_frame  # noqa: E402
from pytiktoklive.simulator.gifts import GiftCatalogue, generated_gift_list  # noqa: E402
from pytiktoklive.simulator.proto import pb as rust_schema  # noqa: E402
from pytiktoklive.simulator.rooms import RoomSpec, Signal, SimRoom, World, epoch_ms  # noqa: E402

#: Messages per round of the simulator benchmark, and per served frame.
EVENTS = 2_000
BATCH = 10

INTERNAL_EXT = "fetch_time:1700000000000|start_time:0|ack_ids:,|flag:0|seq:12|next_cursor:1700000000000_7260000000000000012_1_1_0_0|wss_info:0-1700000000000-0-0"  # noqa: E501


def betterproto_frame(kind: str) -> Callable[[], bytes]:
    """The client's frames as ``_frames`` encoded them before (betterproto2 classes)."""
    pb = betterproto_schema
    if kind == "ack":
        return lambda: bytes(
            pb.PushFrame(
                log_id=7_312_345_678_901_234_567,
                payload_encoding="pb",
                payload_type="ack",
                payload=INTERNAL_EXT.encode("utf-8"),
            )
        )

    def heartbeat() -> bytes:
        payload = bytes(pb.HeartbeatMessage(room_id=7_300_000_000_000_000_123, send_packet_seq_id=42))
        return bytes(pb.PushFrame(payload_encoding="pb", payload_type="hb", payload=payload))

    return heartbeat


def rust_frame(kind: str) -> Callable[[], bytes]:
    if kind == "ack":
        return lambda: _frames.ack_frame(7_312_345_678_901_234_567, INTERNAL_EXT)
    return lambda: _frames.heartbeat_frame(7_300_000_000_000_000_123, 42)


@pytest.mark.parametrize("encoder", ["betterproto2", "rust"])
@pytest.mark.parametrize("kind", ["ack", "hb"])
def test_client_frame(benchmark: Any, kind: str, encoder: str) -> None:
    encode = rust_frame(kind) if encoder == "rust" else betterproto_frame(kind)
    assert encode() == betterproto_frame(kind)()  # the same bytes either way
    benchmark(encode)


def make_room(schema: Any, monkeypatch: pytest.MonkeyPatch) -> SimRoom:
    """A room whose factory, stamping and serving encode with ``schema``."""
    for module in (factory, rooms, fetch):
        monkeypatch.setattr(module, "pb", schema)
    world = World(
        seed=7,
        speed=1.0,
        base_url="http://127.0.0.1:1",
        gifts=GiftCatalogue(generated_gift_list("http://127.0.0.1:1", epoch_ms())),
        changed=Signal(),
    )
    return SimRoom(RoomSpec("bench_room", need_ack=True), world)


def lively_drafts(room: SimRoom, count: int) -> List[factory.Draft]:
    """``count`` drafts in a lively room's proportions (seeded, so both sides build the same)."""
    make = room.factory
    rng = random.Random(11)
    kinds: List[Callable[[], List[factory.Draft]]] = [
        lambda: [make.chat()],
        lambda: [make.like()],
        lambda: [make.join(member_count=rng.randrange(100, 5_000))],
        lambda: make.gift_streak(),
        lambda: [make.follow()],
        lambda: [make.share()],
        lambda: [
            make.viewers(1_234, 5_678, [(make.viewer(), 300), (make.viewer(), 120), (make.viewer(), 9)])
        ],
    ]
    weights = [30, 25, 20, 10, 5, 3, 7]
    drafts: List[factory.Draft] = []
    while len(drafts) < count:
        drafts.extend(rng.choices(kinds, weights)[0]())
    return drafts[:count]


def serve(room: SimRoom) -> List[bytes]:
    """The log as gzip ``msg`` frames of ``BATCH`` messages, as the push server sends them."""
    frames = []
    for start in range(0, len(room.log), BATCH):
        end = min(start + BATCH, len(room.log))
        now_ms = epoch_ms()
        cursor = room.cursor_at(end, now_ms)
        result = encode_fetch_result(
            room.log[start:end],
            cursor=cursor,
            internal_ext=room.internal_ext(cursor, end, now_ms),
            now_ms=now_ms,
            fetch_interval_ms=1_000,
            heartbeat_duration=10_000,
            need_ack=True,
            fetch_type=0,
        )
        frames.append(encode_push_frame(result, log_id=end, seq_id=end, compress=True, cursor=cursor))
    return frames


@pytest.mark.parametrize("encoder", ["betterproto2", "rust"])
def test_simulator_load(benchmark: Any, encoder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = rust_schema if encoder == "rust" else betterproto_schema

    def one_round() -> List[bytes]:
        room = make_room(schema, monkeypatch)
        for draft in lively_drafts(room, EVENTS):
            room.emit(draft)
        return serve(room)

    frames = one_round()
    decoded = sum(len(decode_frame(frame).events) for frame in frames)
    assert decoded == EVENTS, f"{decoded} events decoded from {EVENTS} emitted"
    benchmark.pedantic(one_round, rounds=5, iterations=1, warmup_rounds=1)
    info: Dict[str, Any] = benchmark.extra_info
    info.update(
        events=EVENTS,
        batch=BATCH,
        frames=len(frames),
        events_per_second=round(EVENTS / benchmark.stats.stats.mean),
    )
