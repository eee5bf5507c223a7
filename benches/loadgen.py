"""A load generator that outruns one client: pre-encoded real frames for N rooms from K processes.

::

    python benches/loadgen.py --rooms 1000 --rate 0 --workers 2     # prints endpoints, then serves

The client under test runs unmodified, through the real handshake:

* discovery, ``room/info``, the signer and the first (signed) ``im/fetch`` are the
  simulator's (:class:`pytiktoklive.simulator.Simulator`, this process); each room's
  ``RoomSpec.push_server`` points its websocket at one of ``--workers`` push processes;
* each push process (its own port) accepts the websocket handshake (``101`` with
  ``Handshake-Options: ping-interval=10``), reads and counts the client's heartbeats and
  acks, and writes ``msg`` frames: gzip ``PushFrame``s whose ``FetchResult`` holds
  ``--per-frame`` real captured messages (``busy_room.py``'s mix) and asks for an ack.

The frames are encoded once. Every message must still carry a msg_id never sent before
(the client drops repeats), so the frame templates are deflated with the 9 bytes of each
msg_id varint in a *stored* deflate block of their own: a send copies the template, writes
fresh ids at fixed offsets and recomputes the gzip CRC (``zlib.crc32`` of the inflated
bytes), a few µs per frame. The captured payloads lose ``Common.msg_id`` so that the
envelope's id is the event's. An id is ``1 << 62 | send time in ms << 20 | counter``, so
the consumer reads the latency (send to consume) straight off ``event.msg_id``:
:func:`sent_ms`.

``--rate R`` is messages per second per room; ``--rate 0`` writes whenever the
connection's send buffer has room (the client is the limit: backpressure reaches the
server through TCP). Small kernel send buffers (``SO_SNDBUF``) keep frames from queueing
for seconds in the kernel.

Commands on stdin, one JSON line each on stdout: ``go`` (start sending: until then the push
processes accept connections but send nothing, so that connecting is measured alone),
``stats`` (frames/messages sent, acks and heartbeats received, open connections, CPU seconds
of every process), ``quit``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import hashlib
import json
import multiprocessing
import os
import random
import socket
import struct
import sys
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from busy_room import MIX, SEED, captured_messages

PREFIX = "load_user"
WARMUP = "warmup_user"
PER_FRAME = 25
TEMPLATES = 32
ID_BYTES = 9  # a varint of 2**56 <= id < 2**63
_ID_BASE = 1 << 62
_COUNTER_BITS = 20
_TIME_MASK = (1 << 41) - 1
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: The push server's answer to a heartbeat: a PushFrame of payload type "hb", no payload.
_HEARTBEAT_ANSWER = bytes((0x82, 10)) + b"\x32\x02pb\x3a\x02hb\x42\x00"


def sent_ms(msg_id: int) -> int:
    """The wall clock (ms since the epoch) at which the load generator sent ``msg_id``; 0 if
    the id is not one of its own."""
    if msg_id >> 62 != 1:
        return 0
    return (msg_id >> _COUNTER_BITS) & _TIME_MASK


# --------------------------------------------------------------------- protobuf bits


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(data: bytes, position: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def _fields(data: bytes) -> List[Tuple[int, int, bytes]]:
    """(number, wire type, raw bytes of the whole field) for each field of a message."""
    out = []
    position = 0
    while position < len(data):
        start = position
        key, position = _read_varint(data, position)
        wire = key & 7
        if wire == 0:
            _, position = _read_varint(data, position)
        elif wire == 1:
            position += 8
        elif wire == 2:
            length, position = _read_varint(data, position)
            position += length
        elif wire == 5:
            position += 4
        else:
            raise ValueError(f"wire type {wire}")
        out.append((key >> 3, wire, data[start:position]))
    return out


def _field(number: int, wire: int, body: bytes) -> bytes:
    key = _varint(number << 3 | wire)
    return key + _varint(len(body)) + body if wire == 2 else key + body


def without_common_msg_id(payload: bytes) -> bytes:
    """``payload`` with ``Common.msg_id`` (field 1, then 2) removed: the envelope's id counts."""
    out = bytearray()
    for number, wire, raw in _fields(payload):
        if number == 1 and wire == 2:
            _, start = _read_varint(raw, 0)
            _, start = _read_varint(raw, start)
            common = b"".join(r for n, _w, r in _fields(raw[start:]) if n != 2)
            out += _field(1, 2, common)
        else:
            out += raw
    return bytes(out)


# --------------------------------------------------------------------- frame templates


def _stored_block(data: bytes) -> bytes:
    """A non-final stored deflate block (the stream is byte-aligned after a full flush)."""
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


@dataclass
class FrameTemplate:
    """One pre-encoded websocket message (header + PushFrame) with holes for the msg_ids."""

    wire: bytes  # the websocket frame as sent
    id_offsets: Tuple[int, ...]  # where each message's 9-byte id varint sits in ``wire``
    inflated: bytes  # the FetchResult the gzip payload inflates to
    inflated_id_offsets: Tuple[int, ...]
    crc_offset: int  # the gzip trailer's CRC32 in ``wire``
    header_length: int  # websocket header bytes before the PushFrame

    @property
    def messages(self) -> int:
        return len(self.id_offsets)

    def render(self, first_id: int) -> bytes:
        """The websocket frame with ids ``first_id``, ``first_id + 1``, ... ."""
        wire = bytearray(self.wire)
        inflated = bytearray(self.inflated)
        for index, (at, inflated_at) in enumerate(zip(self.id_offsets, self.inflated_id_offsets)):
            encoded = _varint(first_id + index)
            wire[at : at + ID_BYTES] = encoded
            inflated[inflated_at : inflated_at + ID_BYTES] = encoded
        wire[self.crc_offset : self.crc_offset + 4] = struct.pack("<I", zlib.crc32(inflated))
        return bytes(wire)


def _websocket_header(length: int) -> bytes:
    if length < 126:
        return bytes((0x82, length))
    if length < 1 << 16:
        return bytes((0x82, 126)) + struct.pack(">H", length)
    return bytes((0x82, 127)) + struct.pack(">Q", length)


def build_templates(
    messages: Dict[str, List[bytes]], *, count: int = TEMPLATES, per_frame: int = PER_FRAME, seed: int = SEED
) -> List[FrameTemplate]:
    """``count`` frame templates of ``per_frame`` real messages each, drawn by ``busy_room.MIX``."""
    rng = random.Random(seed)
    methods = [method for method in MIX if messages.get(method)]
    weights = [MIX[method] for method in methods]
    pools = {method: [without_common_msg_id(payload) for payload in messages[method]] for method in methods}
    next_index = dict.fromkeys(methods, 0)
    placeholder = _varint(_ID_BASE)
    assert len(placeholder) == ID_BYTES
    templates = []
    for number in range(count):
        now_ms = 1_700_000_000_000 + 1000 * number
        cursor = f"{now_ms}_{7_267_603_020_139_989_890 + number}_1_1_0_0"
        trailer = (
            _field(2, 2, cursor.encode())
            + _field(3, 0, _varint(1000))
            + _field(4, 0, _varint(now_ms))
            + _field(5, 2, f"fetch_time:{now_ms}|seq:{number}|next_cursor:{cursor}".encode())
            + _field(8, 0, _varint(10000))
            + _field(9, 0, _varint(1))  # need_ack
        )
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        deflated = bytearray()
        inflated = bytearray()
        deflated_ids: List[int] = []
        inflated_ids: List[int] = []
        for method in rng.choices(methods, weights, k=per_frame):
            pool = pools[method]
            payload = pool[next_index[method] % len(pool)]
            next_index[method] += 1
            body = _field(1, 2, method.encode()) + _field(2, 2, payload) + _varint(3 << 3)
            envelope_head = _varint(1 << 3 | 2) + _varint(len(body) + ID_BYTES) + body
            inflated += envelope_head
            deflated += compressor.compress(envelope_head) + compressor.flush(zlib.Z_FULL_FLUSH)
            inflated_ids.append(len(inflated))
            inflated += placeholder
            deflated_ids.append(len(deflated) + 5)
            deflated += _stored_block(placeholder)
        inflated += trailer
        deflated += compressor.compress(trailer) + compressor.flush(zlib.Z_FINISH)
        gzip_head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
        gzip_tail = struct.pack("<II", zlib.crc32(inflated), len(inflated) & 0xFFFFFFFF)
        gzipped = gzip_head + bytes(deflated) + gzip_tail
        head = (
            _field(1, 0, _varint(number + 1))  # seq_id
            + _field(2, 0, _varint(7_100_000_000_000_000_000 + number))  # log_id
            + _field(3, 0, _varint(8888))
            + _field(4, 0, _varint(8))
            + _field(5, 2, _field(1, 2, b"compress_type") + _field(2, 2, b"gzip"))
            + _field(6, 2, b"pb")
            + _field(7, 2, b"msg")
            + _varint(8 << 3 | 2)
            + _varint(len(gzipped))
        )
        push_frame = head + gzipped
        ws_head = _websocket_header(len(push_frame))
        base = len(ws_head) + len(head) + len(gzip_head)
        template = FrameTemplate(
            wire=ws_head + push_frame,
            id_offsets=tuple(base + offset for offset in deflated_ids),
            inflated=bytes(inflated),
            inflated_id_offsets=tuple(inflated_ids),
            crc_offset=len(ws_head) + len(push_frame) - 8,
            header_length=len(ws_head),
        )
        # The stored ids must inflate to the placeholder: proves the splice is valid deflate.
        assert gzip.decompress(gzipped) == bytes(inflated)
        templates.append(template)
    return templates


class IdSource:
    """Fresh msg_ids: ``1 << 62 | now_ms << 20 | counter`` (unique within one process)."""

    def __init__(self) -> None:
        self._counter = 0

    def take(self, count: int) -> int:
        if self._counter + count >= 1 << _COUNTER_BITS:
            self._counter = 0  # a million messages within one millisecond never happen
        first = _ID_BASE | (int(time.time() * 1000) & _TIME_MASK) << _COUNTER_BITS | self._counter
        self._counter += count
        return first


def decode_frames(templates: Sequence[FrameTemplate], frames: int) -> List[bytes]:
    """``frames`` PushFrames (no websocket header) as the push processes send them, for
    measuring the decoder alone on the very same bytes."""
    ids = IdSource()
    out = []
    for index in range(frames):
        template = templates[index % len(templates)]
        out.append(template.render(ids.take(template.messages))[template.header_length :])
    return out


def load_templates(per_frame: int = PER_FRAME) -> List[FrameTemplate]:
    messages = captured_messages()
    if messages is None:
        raise SystemExit("no captures (../shared/captures or PYTIKTOKLIVE_CAPTURES): see busy_room.py")
    return build_templates(messages, per_frame=per_frame)


# --------------------------------------------------------------------- push process


@dataclass
class Counters:
    """Shared with the parent: what one push process did (multiprocessing RawArray of int64)."""

    FRAMES, MESSAGES, ACKS, HEARTBEATS, OPEN, CONNECTIONS, CPU_MS, GO = range(8)
    SIZE = 8


class _PushConnection(asyncio.Protocol):
    """One websocket: the handshake, then frames out and the client's frames counted."""

    def __init__(self, server: _PushServer) -> None:
        self.server = server
        self.transport: Optional[asyncio.Transport] = None
        self.open = False
        self.paused = False
        self.credit = 0.0
        self._inbound = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.open:
            self.open = False
            self.server.connections.discard(self)
            self.server.count(Counters.OPEN, -1)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.open and self.server.rate == 0:
            self.server.pump(self)

    def data_received(self, data: bytes) -> None:
        self._inbound += data
        if not self.open:
            self._handshake()
        else:
            self._read_frames()

    def _handshake(self) -> None:
        end = self._inbound.find(b"\r\n\r\n")
        if end < 0:
            if len(self._inbound) > 65536:
                self.transport.close()  # type: ignore[union-attr]
            return
        request = bytes(self._inbound[:end]).decode("latin-1")
        del self._inbound[: end + 4]
        lines = request.split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        target = lines[0].split(" ")[1] if " " in lines[0] else ""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        key = headers.get("sec-websocket-key", "")
        if not key or "room_id" not in query:
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")  # type: ignore[union-attr]
            self.transport.close()  # type: ignore[union-attr]
            return
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
        response = (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n"
            + (
                "Sec-WebSocket-Protocol: echo-protocol\r\n"
                if "echo-protocol" in headers.get("sec-websocket-protocol", "")
                else ""
            )
            + "Handshake-Options: ping-interval=10\r\n\r\n"
        )
        self.transport.write(response.encode())  # type: ignore[union-attr]
        self.open = True
        self.server.connections.add(self)
        self.server.count(Counters.OPEN, 1)
        self.server.count(Counters.CONNECTIONS, 1)
        if self._inbound:
            self._read_frames()
        if self.server.rate == 0:
            self.server.pump(self)

    def _read_frames(self) -> None:
        data = self._inbound
        position = 0
        while len(data) - position >= 2:
            opcode = data[position] & 0x0F
            length = data[position + 1] & 0x7F
            header = 2
            if length == 126:
                if len(data) - position < 4:
                    break
                length = struct.unpack_from(">H", data, position + 2)[0]
                header = 4
            elif length == 127:
                if len(data) - position < 10:
                    break
                length = struct.unpack_from(">Q", data, position + 2)[0]
                header = 10
            if data[position + 1] & 0x80:
                header += 4  # the client's masking key
            if len(data) - position < header + length:
                break
            if opcode == 0x8:  # close: answer and hang up
                self.transport.write(b"\x88\x02\x03\xe8")  # type: ignore[union-attr]
                self.transport.close()  # type: ignore[union-attr]
                return
            if opcode == 0x2:
                # Only the payload type matters for the counters: an ack is ~40 bytes with
                # "ack" in it, a heartbeat carries "hb"; unmasking a few bytes is enough.
                mask = data[position + header - 4 : position + header]
                payload = bytes(
                    b ^ mask[i % 4]
                    for i, b in enumerate(data[position + header : position + header + min(length, 64)])
                )
                if b"\x3a\x03ack" in payload:
                    self.server.count(Counters.ACKS, 1)
                elif b"\x3a\x02hb" in payload:
                    self.server.count(Counters.HEARTBEATS, 1)
                    self.transport.write(_HEARTBEAT_ANSWER)  # type: ignore[union-attr]  # as TikTok does
            position += header + length
        del data[:position]


class _PushServer:
    def __init__(self, templates: List[FrameTemplate], rate: float, counters: Any) -> None:
        self.templates = templates
        self.rate = rate
        self.counters = counters
        self.connections: Set[_PushConnection] = set()
        self.ids = IdSource()
        self._next_template = 0

    @property
    def held(self) -> bool:
        """Frames wait for the parent's ``go`` (connect time is then measured on its own)."""
        return not self.counters[Counters.GO]

    def count(self, which: int, amount: int) -> None:
        self.counters[which] += amount

    def send(self, connection: _PushConnection) -> None:
        template = self.templates[self._next_template]
        self._next_template = (self._next_template + 1) % len(self.templates)
        connection.transport.write(template.render(self.ids.take(template.messages)))  # type: ignore[union-attr]
        self.counters[Counters.FRAMES] += 1
        self.counters[Counters.MESSAGES] += template.messages

    def pump(self, connection: _PushConnection) -> None:
        """Saturation: write until the connection's send buffer is full."""
        if self.held:
            return
        for _ in range(16):
            if connection.paused or not connection.open:
                return
            self.send(connection)
        asyncio.get_running_loop().call_soon(self.pump, connection)

    async def tick(self) -> None:
        """Fixed rate: every 10 ms, each room sends the frames its rate has earned."""
        loop = asyncio.get_running_loop()
        per_frame = self.templates[0].messages
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            now = loop.time()
            earned = (now - last) * self.rate / per_frame
            last = now
            for connection in list(self.connections):
                connection.credit = min(connection.credit + earned, 4.0)
                while connection.credit >= 1.0 and not connection.paused:
                    connection.credit -= 1.0
                    self.send(connection)
            self.counters[Counters.CPU_MS] = int(time.process_time() * 1000)


def _push_process(sock: socket.socket, rate: float, per_frame: int, counters: Any) -> None:
    templates = load_templates(per_frame)

    async def serve() -> None:
        server = _PushServer(templates, rate, counters)

        def protocol() -> _PushConnection:
            return _PushConnection(server)

        listener = await asyncio.get_running_loop().create_server(protocol, sock=sock, backlog=4096)
        async with listener:
            while server.held:
                await asyncio.sleep(0.05)
                counters[Counters.CPU_MS] = int(time.process_time() * 1000)
            if rate == 0:
                for connection in list(server.connections):
                    server.pump(connection)
                while True:
                    await asyncio.sleep(0.1)
                    counters[Counters.CPU_MS] = int(time.process_time() * 1000)
            await server.tick()

    asyncio.run(serve())


# --------------------------------------------------------------------- the whole generator


def _listening_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Small kernel buffers: frames wait in the generator (not sent yet) rather than for
    # seconds in the kernel, so latencies stay about the client. Accepted sockets inherit it.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 128 * 1024)
    sock.bind((host, 0))
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


async def serve(rooms: int, rate: float, workers: int, per_frame: int, host: str = "127.0.0.1") -> None:
    from pytiktoklive.simulator import LivelyScenario, RoomSpec, ScriptedScenario, Simulator

    context = multiprocessing.get_context("fork")
    sockets = [_listening_socket(host) for _ in range(workers)]
    counters = [context.RawArray("q", Counters.SIZE) for _ in range(workers)]
    processes = [
        context.Process(target=_push_process, args=(sock, rate, per_frame, shared), daemon=True)
        for sock, shared in zip(sockets, counters)
    ]
    for process in processes:
        process.start()
    push_urls = [f"ws://{host}:{sock.getsockname()[1]}/webcast/im/push/" for sock in sockets]
    for sock in sockets:
        sock.close()
    silent = ScriptedScenario([])  # the push processes talk; the simulator's rooms say nothing
    try:
        async with Simulator(builtin_rooms=False, seed=SEED) as sim:
            for index in range(rooms):
                sim.add_room(
                    RoomSpec(
                        f"{PREFIX}{index}",
                        scenario=silent,
                        history_size=0,
                        heartbeat_duration=10000,
                        push_server=push_urls[index % workers],
                    )
                )
            sim.add_room(
                RoomSpec(WARMUP, scenario=LivelyScenario(duration=3.0, battle=False), history_size=0)
            )
            endpoints = sim.endpoints
            print(
                json.dumps({"www": endpoints.www, "webcast": endpoints.webcast, "signer": endpoints.signer})
            )
            sys.stdout.flush()
            while True:
                line: Optional[str] = await asyncio.to_thread(sys.stdin.readline)
                command = (line or "quit").strip()
                if command == "go":
                    for shared in counters:
                        shared[Counters.GO] = 1
                    print(json.dumps({"go": True}))
                    sys.stdout.flush()
                elif command == "stats":
                    print(json.dumps(_stats(counters)))
                    sys.stdout.flush()
                elif command == "quit":
                    return
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(5)


def _stats(counters: Sequence[Any]) -> Dict[str, Any]:
    def total(which: int) -> int:
        return sum(int(shared[which]) for shared in counters)

    return {
        "frames": total(Counters.FRAMES),
        "messages": total(Counters.MESSAGES),
        "acks": total(Counters.ACKS),
        "heartbeats": total(Counters.HEARTBEATS),
        "open_connections": total(Counters.OPEN),
        "connections": total(Counters.CONNECTIONS),
        "push_cpu_seconds": [int(shared[Counters.CPU_MS]) / 1000 for shared in counters],
        "cpu_seconds": time.process_time(),
        "wall": time.time(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s per room (0: as fast as read)")
    parser.add_argument("--workers", type=int, default=2, help="push processes (one port each)")
    parser.add_argument("--per-frame", type=int, default=PER_FRAME, help="messages per frame")
    arguments = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    asyncio.run(serve(arguments.rooms, arguments.rate, arguments.workers, arguments.per_frame))


if __name__ == "__main__":
    main()
