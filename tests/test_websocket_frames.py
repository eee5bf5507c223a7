"""The push connection's own reading of server websocket frames (``_websocket_frames``).

:class:`FrameParser` cuts the socket's chunks into messages however the bytes are split; what
it does not handle itself (control frames, protocol errors) it hands to ``websockets`` as raw
bytes. The reference encoder here is ``websockets``' own (``Frame.serialize``), so both sides
of the test are not this module's code; hostile frames are written by hand.
"""

from __future__ import annotations

import asyncio
import random
import struct
from typing import AsyncIterator, Awaitable, Callable, List, Optional, Tuple

import pytest
from pytiktoklive import _websocket, _websocket_frames
from pytiktoklive._frames import ack_frame
from pytiktoklive._log import Reporter
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive._websocket import ConnectionDropped, WebsocketOptions, run_websocket
from pytiktoklive._websocket_frames import (
    INVALID_DATA,
    MESSAGE_TOO_BIG,
    PROTOCOL_ERROR,
    FrameParser,
    client_frames,
)
from pytiktoklive.events import Event
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.utils import accept_key

LIMIT = 100_000
OP_CONT, OP_TEXT, OP_BINARY = Opcode.CONT, Opcode.TEXT, Opcode.BINARY
OP_CLOSE, OP_PING, OP_PONG = Opcode.CLOSE, Opcode.PING, Opcode.PONG


def frame(opcode: Opcode, payload: bytes, *, fin: bool = True) -> bytes:
    """A server frame (unmasked), as websockets writes it."""
    return Frame(opcode, payload, fin=fin).serialize(mask=False, extensions=[])


def raw_frame(first: int, payload: bytes, *, masked: bool = False) -> bytes:
    """A frame written byte by byte (for frames websockets would refuse to write)."""
    length = len(payload)
    if length < 126:
        header = bytes([first, length | (0x80 if masked else 0)])
    elif length < 65536:
        header = bytes([first, 126 | (0x80 if masked else 0)]) + struct.pack("!H", length)
    else:
        header = bytes([first, 127 | (0x80 if masked else 0)]) + struct.pack("!Q", length)
    return header + (b"\0\0\0\0" if masked else b"") + payload


def parse(*chunks: bytes, limit: int = LIMIT) -> FrameParser:
    parser = FrameParser(limit)
    for chunk in chunks:
        parser.feed(chunk)
    return parser


#: Lengths on both sides of each header form: 7-bit, 16-bit and 64-bit lengths.
PAYLOADS = [bytes([n % 251]) * n for n in (0, 1, 125, 126, 127, 65535, 65536, 70_000)]
STREAM = b"".join(frame(OP_BINARY, payload) for payload in PAYLOADS)


def test_every_length_form_in_one_chunk() -> None:
    parser = parse(STREAM)
    assert list(parser.messages) == PAYLOADS
    assert not parser.stopped and parser.buffered == 0


@pytest.mark.parametrize("split", range(400))
def test_split_at_every_byte_of_small_frames(split: int) -> None:
    small = [b"", b"a", b"b" * 125, b"c" * 126, b"d" * 130]
    stream = b"".join(frame(OP_BINARY, payload) for payload in small)
    assert len(stream) < 400
    parser = parse(stream[:split], stream[split:])
    assert list(parser.messages) == small
    assert parser.buffered == 0


def test_one_byte_at_a_time() -> None:
    parser = FrameParser(LIMIT)
    for index in range(len(STREAM)):
        parser.feed(STREAM[index : index + 1])
    assert list(parser.messages) == PAYLOADS
    assert parser.buffered == 0


def test_a_split_frame_keeps_only_its_own_bytes() -> None:
    """A chunk of complete frames and the start of another: only the start is held."""
    whole, partial = frame(OP_BINARY, b"x" * 1000), frame(OP_BINARY, b"y" * 5000)
    parser = parse(whole + partial[:300])
    assert list(parser.messages) == [b"x" * 1000]
    assert parser.buffered == 300
    parser.feed(partial[300:2000])
    assert parser.buffered == 2000 and len(parser.messages) == 1
    parser.feed(partial[2000:])
    assert list(parser.messages) == [b"x" * 1000, b"y" * 5000]
    assert parser.buffered == 0


def random_stream(rng: random.Random) -> bytes:
    """Frames of every kind a server could send, in any order: big and small data frames,
    fragments in and out of place, pings, closes, invalid text, masked and reserved-bit frames."""
    frames = []
    for _ in range(rng.randint(1, 8)):
        payload = bytes([rng.randrange(256)]) * rng.choice([0, 1, 125, 126, 3000, 30_000, 70_000])
        kind = rng.randrange(10)
        if kind < 4:
            frames.append(frame(OP_BINARY, payload))
        elif kind == 4:
            frames.append(frame(OP_TEXT, payload if rng.random() < 0.8 else b"\xff"))
        elif kind == 5:
            frames.append(frame(rng.choice([OP_TEXT, OP_BINARY]), payload, fin=False))
        elif kind == 6:
            frames.append(raw_frame(rng.choice([0x00, 0x80]), payload))  # a continuation
        elif kind == 7:
            frames.append(frame(OP_PING, payload[:125]))
        elif kind == 8:
            frames.append(
                raw_frame(0x82, payload, masked=True) if rng.random() < 0.5 else raw_frame(0xC2, payload)
            )
        else:
            frames.append(frame(OP_CLOSE, struct.pack("!H", 1000)))
    return b"".join(frames)


@pytest.mark.parametrize("seed", range(8))
def test_how_the_stream_is_cut_changes_nothing(seed: int) -> None:
    """Whatever the chunks, the parser finds what it finds in the whole stream at once: the same
    messages and control frames, the same failure, and the same bytes for websockets (the rest,
    then every later chunk). Frames that span chunks are collected in parts and joined once."""
    rng = random.Random(seed)
    for _ in range(150):
        stream = random_stream(rng)
        limit = rng.choice([100, 5000, 40_000, LIMIT])
        whole = parse(stream, limit=limit)
        cuts = sorted(rng.sample(range(1, len(stream)), min(len(stream) - 1, rng.randint(1, 12))))
        chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
        parser = FrameParser(limit)
        to_websockets = b""
        for chunk in chunks:
            if parser.stopped:
                to_websockets += chunk
            else:
                parser.feed(chunk)
        assert list(parser.messages) == list(whole.messages)
        assert parser.control == whole.control
        assert parser.failure == whole.failure
        if whole.rest is not None:
            assert parser.rest is not None and parser.rest + to_websockets == whole.rest
        else:
            assert parser.rest is None and parser.buffered == whole.buffered


def test_fragments_with_control_frames_between() -> None:
    ping, pong = frame(OP_PING, b"are you there"), frame(OP_PONG, b"yes")
    stream = (
        frame(OP_BINARY, b"one ", fin=False)
        + ping
        + frame(OP_CONT, b"", fin=False)
        + frame(OP_CONT, b"two ", fin=False)
        + pong
        + frame(OP_CONT, b"three")
        + frame(OP_BINARY, b"next")
    )
    for split in range(len(stream) + 1):
        parser = parse(stream[:split], stream[split:])
        assert list(parser.messages) == [b"one two three", b"next"]
        assert parser.control == [ping, pong]  # raw, in order, for websockets to answer
        assert not parser.stopped and parser.buffered == 0


def test_text_messages_are_checked_utf8() -> None:
    snowman = "☃".encode()
    stream = frame(OP_TEXT, b"plain") + frame(OP_TEXT, snowman[:1], fin=False) + frame(OP_CONT, snowman[1:])
    assert list(parse(stream).messages) == [b"plain", snowman]
    parser = parse(frame(OP_BINARY, b"before") + frame(OP_TEXT, b"\xff\xfe") + frame(OP_BINARY, b"after"))
    assert list(parser.messages) == [b"before"]
    assert parser.failure is not None and parser.failure[0] == INVALID_DATA


def test_a_frame_over_the_limit_is_not_buffered() -> None:
    """The header alone says it is too big: websockets gets it (and fails the connection with
    1009, as it did when it read every frame); nothing of it is held here."""
    header = raw_frame(0x82, b"")[:1] + bytes([127]) + struct.pack("!Q", 1 << 40)
    parser = parse(frame(OP_BINARY, b"ok") + header + b"\0" * 100)
    assert list(parser.messages) == [b"ok"]
    assert parser.rest == header + b"\0" * 100
    assert parser.buffered == 0
    parser.feed(b"\0" * 10_000)  # later chunks are not the parser's business any more
    assert parser.buffered == 0 and len(parser.messages) == 1


def test_a_fragmented_message_over_the_limit_fails_with_1009() -> None:
    part = b"z" * 40
    parser = FrameParser(100)
    parser.feed(frame(OP_BINARY, part, fin=False) + frame(OP_CONT, part, fin=False))
    assert parser.buffered == 80 and not parser.stopped
    parser.feed(frame(OP_CONT, part))
    assert parser.failure is not None and parser.failure[0] == MESSAGE_TOO_BIG
    assert parser.buffered == 0 and not parser.messages


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(raw_frame(0x82, b"masked", masked=True), id="masked"),
        pytest.param(raw_frame(0xC2, b"rsv1"), id="reserved-bit"),
        pytest.param(raw_frame(0x83, b"opcode 3"), id="opcode-3"),
        pytest.param(raw_frame(0x8B, b"opcode 11"), id="opcode-11"),
        pytest.param(raw_frame(0x09, b"fragmented ping"), id="fragmented-control"),
        pytest.param(raw_frame(0x89, b"p" * 126), id="long-control"),
        pytest.param(raw_frame(0x80, b"continuation"), id="continuation-without-start"),
        pytest.param(frame(OP_CLOSE, struct.pack("!H", 1011) + b"bye"), id="close"),
    ],
)
def test_what_websockets_must_handle_is_handed_over_raw(bad: bytes) -> None:
    before, after = frame(OP_BINARY, b"before"), frame(OP_BINARY, b"after")
    stream = before + bad + after
    for split in range(len(stream) + 1):
        parser = parse(stream[:split], stream[split:])
        assert list(parser.messages) == [b"before"]
        assert parser.rest is not None and parser.rest.startswith(bad[:2])
        # Everything from the bad frame on reached the parser: it is all in `rest`, unless it
        # came in the chunk after the one that stopped it (the owner passes those on itself).
        if split <= len(before):
            assert parser.rest == bad + after


def test_a_new_message_inside_a_fragmented_one_fails_with_1002() -> None:
    parser = parse(frame(OP_BINARY, b"start", fin=False) + frame(OP_BINARY, b"another"))
    assert parser.failure is not None and parser.failure[0] == PROTOCOL_ERROR
    assert not parser.messages


# --------------------------------------------------------------------------- over a socket

ROOM = 7_300_000_000_000_000_002
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
#: Starts a push server: the bytes it writes right after its 101 (same write), then its script.
#: ``split``: write the response in two parts, cut this many bytes after the end of its headers
#: (negative: before), with a pause between them, so that the client reads two chunks.
Start = Callable[[bytes, Script, Optional[int]], Awaitable[str]]


async def read_client_frame(reader: asyncio.StreamReader) -> Tuple[int, bytes]:
    """One (masked) frame from the client: opcode, payload."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    mask = await reader.readexactly(4)
    payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(await reader.readexactly(length)))
    return first & 0x0F, payload


async def wait_for_close(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> List[Tuple[int, bytes]]:
    """Read the client's frames until its close frame; then close the TCP connection."""
    frames = []
    try:
        while True:
            opcode, payload = await read_client_frame(reader)
            frames.append((opcode, payload))
            if opcode == OP_CLOSE:
                break
    except asyncio.IncompleteReadError:
        pass
    writer.close()
    return frames


@pytest.fixture
async def server() -> AsyncIterator[Start]:
    """A push server answering the handshake with a 101 followed, in the same write, by the
    given bytes, then running a script; yields a function that starts one and returns its URL."""
    servers: List[asyncio.AbstractServer] = []

    async def start(after_101: bytes, script: Script, split: Optional[int] = None) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request = await reader.readuntil(b"\r\n\r\n")
            key = next(
                line.split(b":", 1)[1].strip()
                for line in request.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            headers = (
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept_key(key.decode()).encode() + b"\r\n"
                b"Sec-WebSocket-Protocol: echo-protocol\r\n\r\n"
            )
            response = headers + after_101
            cut = len(response) if split is None else len(headers) + split
            writer.write(response[:cut])
            if cut < len(response):
                await writer.drain()
                await asyncio.sleep(0.05)
                writer.write(response[cut:])
            await script(reader, writer)

        srv = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(srv)
        return f"ws://127.0.0.1:{srv.sockets[0].getsockname()[1]}/ws"

    yield start
    for srv in servers:
        srv.close()


async def run(url: str, *, max_frame_size: int = LIMIT) -> Tuple[Optional[BaseException], WebcastProtocol]:
    protocol = WebcastProtocol(ROOM)
    delivered: List[Event] = []

    async def deliver(events: List[Event]) -> None:
        delivered.extend(events)

    options = WebsocketOptions(
        user_agent="test", origin="https://www.tiktok.com", max_frame_size=max_frame_size
    )
    reporter = Reporter()
    try:
        await asyncio.wait_for(run_websocket(protocol, url, options, deliver, reporter, "room"), 10)
    except Exception as exc:
        return exc, protocol
    return None, protocol


async def next_message(connection: _websocket._PushConnection) -> bytes:
    """The connection's next message, as the room's reader takes it (``ConnectionClosed`` once
    the connection is closed and every message read before it was taken)."""
    while not connection.messages:
        await connection.messages_waiter()
    return connection.messages.popleft()


@pytest.mark.parametrize("split", [None, -3, -2, -1, 0, 1, 3, 20])
async def test_frames_in_the_101s_own_chunk_are_read(server: Start, split: Optional[int]) -> None:
    """The bytes after the response's headers reach the frame parser, none lost or doubled,
    however the response and the frames after it are cut into chunks."""
    closing: List[List[Tuple[int, bytes]]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        closing.append(await wait_for_close(reader, writer))

    messages = [b"first", b"second" * 1000]
    after_101 = b"".join(frame(OP_BINARY, message) for message in messages)
    url = await server(after_101 + frame(OP_CLOSE, struct.pack("!H", 1011) + b"shutting down"), script, split)
    options = WebsocketOptions(user_agent="test", origin="https://www.tiktok.com")
    connection = await _websocket._open(url, options)
    try:
        received = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                received.append(await asyncio.wait_for(next_message(connection), 10))
        assert received == messages
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
        assert closing and closing[0][-1][0] == OP_CLOSE  # the client answered the close
    finally:
        connection.transport.abort()


async def test_a_close_frame_is_reported_with_its_code(server: Start) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_client_frame(reader)  # the enter-room frame: the connection is in use
        writer.write(frame(OP_CLOSE, struct.pack("!H", 1011) + b"shutting down"))
        await wait_for_close(reader, writer)

    url = await server(b"", script, None)
    error, _protocol = await run(url)
    assert isinstance(error, ConnectionDropped), error
    assert "1011" in str(error) and "shutting down" in str(error)


async def test_a_ping_is_answered_with_its_pong(server: Start) -> None:
    seen: List[Tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            opcode, payload = await read_client_frame(reader)
            seen.append((opcode, payload))
            if opcode == OP_PONG:
                break
        writer.write(frame(OP_CLOSE, struct.pack("!H", 1000)))
        seen.extend(await wait_for_close(reader, writer))

    # The ping comes in the middle of a fragmented message, in the 101's own chunk.
    url = await server(frame(OP_BINARY, b"", fin=False) + frame(OP_PING, b"ping data"), script, None)
    error, _protocol = await run(url)
    assert (OP_PONG, b"ping data") in seen
    assert isinstance(error, ConnectionDropped) and "1000" in str(error)


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        pytest.param(raw_frame(0x82, b"masked", masked=True), "1002", id="masked"),
        pytest.param(raw_frame(0x84, b"opcode 4"), "1002", id="bad-opcode"),
        pytest.param(raw_frame(0x82, b"x" * 2000), "1009", id="oversized"),
        pytest.param(
            frame(OP_BINARY, b"x" * 600, fin=False) + frame(OP_CONT, b"x" * 600),
            "1009",
            id="oversized-fragments",
        ),
        pytest.param(
            frame(OP_BINARY, b"x", fin=False) + frame(OP_BINARY, b"y"), "1002", id="interleaved-messages"
        ),
    ],
)
async def test_a_protocol_error_closes_with_its_code(server: Start, bad: bytes, code: str) -> None:
    closing: List[List[Tuple[int, bytes]]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)  # the bad frame in a chunk of its own, after the handshake's
        writer.write(bad)
        closing.append(await wait_for_close(reader, writer))

    url = await server(b"", script, None)
    error, protocol = await run(url, max_frame_size=1000)
    assert isinstance(error, ConnectionDropped), error
    assert f"sent {code}" in str(error)
    assert protocol.frames_received == 0  # nothing of the bad frame was decoded
    close_frames = [payload for opcode, payload in closing[0] if opcode == OP_CLOSE]
    assert close_frames and struct.unpack("!H", close_frames[0][:2])[0] == int(code)


async def test_the_acks_of_one_chunk_go_out_in_one_write(
    server: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three frames asking for an ack, in one chunk: three acks, in order, in one write."""
    pytest.importorskip("betterproto2", reason="the simulator's encoder needs betterproto2")
    from pytiktoklive.simulator.fetch import encode_fetch_result, encode_push_frame

    def msg_frame(log_id: int) -> bytes:
        result = encode_fetch_result(
            [], cursor=f"c{log_id}", internal_ext="", now_ms=0, fetch_interval_ms=1000,
            heartbeat_duration=10_000, need_ack=True, fetch_type=0,
        )  # fmt: skip
        return encode_push_frame(result, log_id=log_id, seq_id=log_id)

    writes: List[int] = []
    write_now = _websocket._write_now

    def counting_write_now(connection: ClientConnection, frames: List[bytes]) -> bool:
        writes.append(len(frames))
        return write_now(connection, frames)

    monkeypatch.setattr(_websocket, "_write_now", counting_write_now)
    acks: List[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_client_frame(reader)  # enter-room
        await read_client_frame(reader)  # the first heartbeat
        writer.write(b"".join(frame(OP_BINARY, msg_frame(log_id)) for log_id in (11, 12, 13)))
        while len(acks) < 3:
            acks.append((await read_client_frame(reader))[1])
        writer.write(frame(OP_CLOSE, struct.pack("!H", 1000)))
        await wait_for_close(reader, writer)

    url = await server(b"", script, None)
    error, protocol = await run(url)
    assert isinstance(error, ConnectionDropped) and "1000" in str(error)
    assert protocol.frames_received == 3
    assert acks == [ack_frame(log_id, "") for log_id in (11, 12, 13)]
    assert writes[0] == 2 and writes[1:] == [3]  # enter-room + heartbeat, then the three acks


async def test_every_frame_before_the_end_is_acked_when_they_come_in_one_chunk(server: Start) -> None:
    """A LIVE's last frames and its end in one chunk: the room closes at the end, and every frame
    that asked for an ack has had it by then (the acks of a chunk wait for its last frame, and
    the end comes first)."""
    pytest.importorskip("betterproto2", reason="the simulator's encoder needs betterproto2")
    from pytiktoklive._proto import webcast as pb
    from pytiktoklive.simulator.fetch import encode_fetch_result, encode_push_frame
    from pytiktoklive.simulator.rooms import LoggedMessage

    def msg_frame(log_id: int, *, end: bool = False) -> bytes:
        entries = []
        if end:
            payload = bytes(pb.ControlMessage(action=3))
            envelope = bytes(pb.Message(method="WebcastControlMessage", payload=payload, msg_id=log_id))
            entries.append(LoggedMessage(0, "WebcastControlMessage", log_id, payload, envelope, True))
        result = encode_fetch_result(
            entries, cursor=f"c{log_id}", internal_ext="", now_ms=0, fetch_interval_ms=1000,
            heartbeat_duration=10_000, need_ack=True, fetch_type=0,
        )  # fmt: skip
        return encode_push_frame(result, log_id=log_id, seq_id=log_id)

    acks: List[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_client_frame(reader)  # enter-room
        await read_client_frame(reader)  # the first heartbeat
        frames = [msg_frame(21), msg_frame(22), msg_frame(23, end=True), msg_frame(24)]
        writer.write(b"".join(frame(OP_BINARY, data) for data in frames))
        try:
            while True:
                acks.append((await read_client_frame(reader))[1])
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client hung up
        writer.close()

    url = await server(b"", script, None)
    error, protocol = await run(url)
    assert error is None  # the LIVE ended
    assert protocol.ended
    assert acks == [ack_frame(log_id, "") for log_id in (21, 22, 23)]  # not the frame after the end


# ---------------------------------------------------------------- the client's frames


def server_reads(data: bytes) -> List[Frame]:
    """The frames a websocket server (``websockets``' own parser, expecting masked frames) reads
    from ``data``; fails unless every byte belongs to a frame."""
    from websockets.streams import StreamReader

    reader = StreamReader()
    reader.feed_data(data)
    frames: List[Frame] = []
    while reader.buffer:
        parsing = Frame.parse(reader.read_exact, mask=True)
        try:
            next(parsing)
        except StopIteration as done:
            frames.append(done.value)
        else:
            raise AssertionError("a frame is cut short")
    return frames


def test_client_frames_are_what_a_server_reads_back_masked_binary_and_whole() -> None:
    written = client_frames(PAYLOADS)
    frames = server_reads(written)
    assert [(f.opcode, f.fin, f.data) for f in frames] == [(OP_BINARY, True, p) for p in PAYLOADS]
    assert len(written) > sum(map(len, PAYLOADS)) + 4 * len(PAYLOADS)  # a key in every header


def test_masking_keys_come_from_the_os_1024_at_a_time_one_frame_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each frame takes the next unused 4 bytes of the last draw; a draw serves 1024 frames."""
    draws: List[int] = []

    def numbered_keys(size: int) -> bytes:  # os.urandom, with every key told apart
        draws.append(size)
        return b"".join(struct.pack("!I", len(draws) << 16 | n) for n in range(size // 4))

    monkeypatch.setattr(_websocket_frames.os, "urandom", numbered_keys)
    monkeypatch.setattr(_websocket_frames._mask_keys, "keys", b"")
    monkeypatch.setattr(_websocket_frames._mask_keys, "used", 0)
    keys = []
    for count in (1, 1000, 1, 1048):  # 2050 frames: three draws, the second used up exactly
        written = client_frames([b""] * count)
        assert len(written) == 6 * count
        assert written[:2] == b"\x82\x80"  # final binary frame, masked, empty
        keys += [written[at + 2 : at + 6] for at in range(0, len(written), 6)]
    assert keys == [struct.pack("!I", draw << 16 | n) for draw in (1, 2, 3) for n in range(1024)][:2050]
    assert draws == [4096, 4096, 4096]


class FakeTransport:
    max_size = 0


def test_reads_are_large_for_a_few_rooms_and_share_a_budget_for_many() -> None:
    """One read of every push connection of a loop holds at most _READ_BUDGET bytes, down to
    _READ_MIN each; with few rooms a read takes several busy frames (_READ_MAX)."""
    sizes = _websocket._ReadSizes()
    transports = [FakeTransport() for _ in range(1000)]
    kib = 1024
    expected = {1: 256 * kib, 16: 256 * kib, 17: 128 * kib, 100: 32 * kib, 129: 16 * kib, 1000: 16 * kib}
    for count, transport in enumerate(transports, start=1):
        sizes.add(transport)  # type: ignore[arg-type]
        if count in expected:
            assert {t.max_size for t in transports[:count]} == {expected[count]}, count
    assert _websocket._READ_MIN * 1000 > _websocket._READ_BUDGET  # (the floor wins at 1000)
    for transport in transports[1:]:
        sizes.discard(transport)  # type: ignore[arg-type]
    assert transports[0].max_size == 256 * 1024  # grown back for the room left
    sizes.discard(transports[1])  # type: ignore[arg-type]  # (twice: nothing changes)
    assert sizes.size == 256 * 1024


async def test_a_connection_reads_by_its_loops_read_size_until_it_ends(server: Start) -> None:
    seen: List[int] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_client_frame(reader)  # enter-room: the connection is registered by now
        registered = list(_websocket._shared().reads._transports)
        seen.extend(transport.max_size for transport in registered)  # type: ignore[attr-defined]
        writer.write(frame(OP_CLOSE, struct.pack("!H", 1000)))
        await wait_for_close(reader, writer)

    url = await server(b"", script, None)
    error, _protocol = await run(url)
    assert isinstance(error, ConnectionDropped), error
    assert seen == [_websocket._READ_MAX]
    assert not _websocket._shared().reads._transports  # forgotten once it ended
