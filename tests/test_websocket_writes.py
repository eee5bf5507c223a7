"""How the websocket transport writes the client's frames (acks, heartbeats, enter-room).

An ack follows every frame read, so frames are written straight to the socket, all those
queued in one write, while the connection is open and its write buffer nearly empty.
Otherwise they go through ``websockets``' ``send()``, with its flow control and its handling
of a closing connection. Either way the server gets every frame, in order, once.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, AsyncIterator, Callable, List, Tuple, cast

import pytest
from pytiktoklive import _websocket
from pytiktoklive._protocol import WebcastProtocol
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

ROOM = 7_300_000_000_000_000_001
Linked = Tuple[ClientConnection, "asyncio.Queue[bytes]"]


@pytest.fixture
async def linked() -> AsyncIterator[Linked]:
    """A client connection to a server that queues every binary message it receives."""
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def handler(websocket: ServerConnection) -> None:
        async for message in websocket:
            assert isinstance(message, bytes)
            received.put_nowait(message)

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}") as connection:
            yield connection, received


def queued_heartbeats(count: int) -> Tuple[WebcastProtocol, List[bytes]]:
    """A protocol with ``count`` heartbeats queued, and their bytes."""
    protocol = WebcastProtocol(ROOM)
    for _ in range(count):
        protocol.heartbeat()
    frames = list(protocol._outgoing)
    return protocol, frames


async def take(received: asyncio.Queue[bytes], count: int) -> List[bytes]:
    return [await asyncio.wait_for(received.get(), 10) for _ in range(count)]


async def test_frames_are_written_at_once_in_order(
    linked: Linked,
) -> None:
    connection, received = linked
    protocol, frames = queued_heartbeats(3)
    assert _websocket._write_now(connection, protocol.data_to_send())
    assert await take(received, 3) == frames


async def test_a_full_write_buffer_goes_through_send(linked: Linked, monkeypatch: pytest.MonkeyPatch) -> None:
    connection, received = linked
    monkeypatch.setattr(_websocket, "_WRITE_NOW_LIMIT", -1)  # any buffer counts as full
    protocol, frames = queued_heartbeats(3)
    assert not _websocket._write_now(connection, frames)  # nothing written
    await _websocket._flush(connection, protocol)  # send() writes them
    assert await take(received, 3) == frames


async def test_a_closed_connection_is_an_error_not_a_silent_drop(
    linked: Linked,
) -> None:
    connection, _received = linked
    await connection.close()
    protocol, frames = queued_heartbeats(2)
    assert not _websocket._write_now(connection, frames)
    with pytest.raises(ConnectionClosed):
        await _websocket._flush(connection, protocol)


async def test_heartbeats_go_out_on_the_loops_clock_even_through_a_full_buffer(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's one heartbeat timer sends each connection's heartbeats at its interval; with the
    socket's buffer backed up they go through ``send()``; once the connection is closed, the
    connection's heartbeats stop by themselves."""
    connection, received = linked
    monkeypatch.setattr(_websocket, "_WRITE_NOW_LIMIT", -1)  # any buffer counts as full
    protocol = WebcastProtocol(ROOM)
    protocol.apply_handshake_options("ping-interval=0.05")
    _, expected = queued_heartbeats(3)
    beat = _websocket._shared().heartbeats.start(connection, protocol)
    assert await take(received, 3) == expected
    await connection.close()

    async def stopped() -> None:
        while not beat.stopped:  # the next heartbeat finds the connection closed
            await asyncio.sleep(0.05)

    await asyncio.wait_for(stopped(), 10)
    assert beat.connection is None and beat.protocol is None  # the clock's heap holds nothing of it


class RecordedBeat(_websocket._Heartbeat):
    """A heartbeat whose sending is recorded, not written: the clock's scheduling alone."""

    def __init__(self, name: str, seconds: float, sent: List[str]) -> None:
        super().__init__(cast(Any, None), cast(Any, None))
        self.name, self.seconds, self.sent = name, seconds, sent

    def interval(self) -> float:
        return self.seconds

    def send(self) -> None:
        self.sent.append(self.name)


async def test_the_heartbeat_clock_always_wakes_for_the_earliest_heartbeat() -> None:
    """Whatever order heartbeats fall due in, the clock's one timer is set for the earliest, after
    every tick: a heartbeat rescheduled later must not hold back another room's earlier one."""
    loop = asyncio.get_running_loop()
    clock = _websocket._HeartbeatClock(loop)
    sent: List[str] = []
    woken_for_the_earliest: List[bool] = []

    def check() -> None:
        earliest = clock._due[0][0] if clock._due else math.inf
        woken_for_the_earliest.append(clock._handle_at == earliest)
        if len(sent) < 12:
            loop.call_soon(check)

    beats = [clock.add(RecordedBeat("a", 0.1, sent))]
    await asyncio.sleep(0.05)  # b falls due between a's heartbeats
    beats += [clock.add(RecordedBeat("b", 0.1, sent)), clock.add(RecordedBeat("c", 0.25, sent))]
    loop.call_soon(check)
    try:
        await asyncio.wait_for(until(lambda: len(sent) >= 12), 10)
    finally:
        for beat in beats:
            beat.stop()
    assert {"a", "b", "c"} <= set(sent)
    assert woken_for_the_earliest and all(woken_for_the_earliest)


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_heartbeats_due_close_together_fall_due_at_once_and_never_early() -> None:
    """Due times are rounded up to a step (a tenth of the interval, at most a quarter second), so
    that many rooms' heartbeats go out in one wake-up of the clock: never before their interval."""
    loop = asyncio.get_running_loop()
    clock = _websocket._HeartbeatClock(loop)
    sent: List[str] = []
    added = {}
    for index in range(5):
        added[str(index)] = loop.time()
        clock.add(RecordedBeat(str(index), 1.0, sent))  # a step of 0.1 s
    due = {cast(RecordedBeat, beat).name: at for at, _, beat in clock._due}
    try:
        for name, began in added.items():
            assert began + 1.0 <= due[name] < began + 1.0 + 0.1 + 1e-9
        assert len(set(due.values())) <= 2  # added within a step: one due time (two across a boundary)
        assert clock._handle_at == min(due.values())
    finally:
        for _, _, beat in clock._due:
            beat.stop()
