"""The push server: one websocket session per client connection.

Handshake (``GET /webcast/im/push/?…``): the query must name a known room
(``room_id``) and carry the room's route parameters (``imprp``) from
``im/fetch``; ``cursor``/``internal_ext`` say where to resume and
``compress=gzip`` asks for gzip payloads. A refusal looks like TikTok's:
HTTP 200 with ``Handshake-Status`` and ``Handshake-Msg`` headers. An
accepted handshake carries ``Handshake-Options: ping-interval=<seconds>``.

Session: ``msg`` frames carry every message after the resume point, in
order, as they are emitted; each asks for an ack when the room says so. The
client's ``hb`` frames are answered with an ``hb`` frame, ``im_enter_room``
with ``im_enter_room_resp``, and acks are matched to the frames they name.
A client that sends no heartbeat for ``heartbeat_timeout`` seconds is
disconnected. When the LIVE has ended and everything was sent, the server
waits a moment for the client to leave, then closes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Dict, Optional, Set

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response

from pytiktoklive.simulator import bombs
from pytiktoklive.simulator.faults import WSFault
from pytiktoklive.simulator.fetch import encode_fetch_result, encode_push_frame
from pytiktoklive.simulator.http import HTTPRequest, response
from pytiktoklive.simulator.proto import pb
from pytiktoklive.simulator.rooms import HandshakeRecord, SimRoom, epoch_ms
from pytiktoklive.simulator.wire import check_wire_types

__all__ = ["PushServer", "PushSession", "route_params_of"]

#: Most messages per frame.
MAX_BATCH = 100
# How long (scenario seconds) the server waits for a client to leave after the LIVE ended.
_END_GRACE = 2.0
# A binary message that is not a PushFrame: field 1, length-delimited, with an impossible length.
MALFORMED_FRAME = b"\x0a\xff\xff\xff\xff\x0f\x01\x02"
_log_ids = itertools.count(7_100_000_000_000_000_000)
# PushFrame fields 1-4 are varints, 5-8 length-delimited (headers, encoding, type, payload).
_PUSH_FRAME_WIRE_TYPES = {1: 0, 2: 0, 3: 0, 4: 0, 5: 2, 6: 2, 7: 2, 8: 2}


def route_params_of(room: SimRoom) -> Dict[str, str]:
    """The route parameters ``im/fetch`` hands out and the handshake must carry back."""
    return {"imprp": room.route_token, "wrss": f"sim-{room.room_id % 100_000}"}


def _rejection(status: int, handshake_status: int, message: str) -> Response:
    headers = [("Handshake-Status", str(handshake_status)), ("Handshake-Msg", message)]
    return response(status, message.encode(), headers=headers)


@dataclass
class PushSession:
    """State of one accepted websocket connection."""

    room: SimRoom
    position: int
    compress: bool
    seq_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    frames_sent: int = 0
    pending_acks: Dict[int, float] = field(default_factory=dict)
    faults_fired: Set[int] = field(default_factory=set)
    stalled: bool = False
    last_heartbeat: float = field(default_factory=time.monotonic)

    def batch_end(self) -> int:
        """Where the next ``msg`` frame stops: at most :data:`MAX_BATCH` messages after ``position``."""
        return min(len(self.room.log), self.position + MAX_BATCH)


class PushServer:
    """Handshakes and sessions of the push server, for all rooms."""

    def __init__(self) -> None:
        self._sessions: Dict[ServerConnection, PushSession] = {}

    # ------------------------------------------------------------------ handshake

    def handshake(
        self, connection: ServerConnection, request: HTTPRequest, room: Optional[SimRoom]
    ) -> Optional[Response]:
        """Accept (None) or refuse (a response) a websocket handshake for ``room`` (None: unknown)."""
        if room is None:
            return _rejection(200, 404, "room not found")
        refusal = self._refusal(room, request)
        room.stats.handshakes.append(
            HandshakeRecord(
                path=request.path,
                query=dict(request.query),
                headers={name: value for name, value in request.headers.raw_items()},
                cookies=dict(request.cookies),
                accepted=refusal is None,
            )
        )
        room.changed()
        if refusal is not None:
            return refusal
        position = room.resume_position(
            request.query.get("cursor", ""), request.query.get("internal_ext", "")
        )
        compress = request.query.get("compress") == "gzip" and room.spec.gzip
        self._sessions[connection] = PushSession(
            room, len(room.log) if position is None else position, compress
        )
        room.start()
        return None

    @staticmethod
    def _refusal(room: SimRoom, request: HTTPRequest) -> Optional[Response]:
        fault = room.faults.take_reject()
        if fault is not None:
            return _rejection(fault.status, fault.handshake_status, fault.message)
        if not room.spec.websocket:
            return _rejection(200, 403, "websocket not offered for this room")
        if request.query.get("imprp") != room.route_token:
            return _rejection(200, 417, "illegal imprp: route params missing or wrong")
        return None

    def handshake_options(self, connection: ServerConnection) -> Optional[str]:
        session = self._sessions.get(connection)
        if session is None:
            return None
        return f"ping-interval={session.room.spec.ping_interval:g}"

    # ------------------------------------------------------------------ session

    async def serve(self, connection: ServerConnection) -> None:
        """The connection handler: run the session the handshake set up."""
        session = self._sessions.pop(connection, None)
        if session is None:  # not a push handshake (cannot happen: other paths never upgrade)
            await connection.close(1008, "not a push server path")
            return
        room = session.room
        room.stats.connections += 1
        room.stats.open_connections += 1
        room.changed()
        reader = asyncio.ensure_future(self._read(connection, session))
        try:
            await self._write(connection, session)
        except ConnectionClosed:
            pass
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            room.stats.open_connections -= 1
            room.changed()

    @staticmethod
    def _frame(
        session: PushSession, end: int, *, expect_ack: bool = True, truncate_gzip: bool = False
    ) -> bytes:
        """A ``msg`` frame with the log from the session's position to ``end``."""
        room = session.room
        entries = room.log[session.position : end]
        now_ms = epoch_ms()
        cursor = room.cursor_at(end, now_ms)
        result = encode_fetch_result(
            entries,
            cursor=cursor,
            internal_ext=room.internal_ext(cursor, end, now_ms),
            now_ms=now_ms,
            fetch_interval_ms=room.spec.fetch_interval_ms,
            heartbeat_duration=room.spec.heartbeat_duration,
            need_ack=room.spec.need_ack,
            fetch_type=0,
        )
        log_id = next(_log_ids)
        if room.spec.need_ack and expect_ack:
            session.pending_acks[log_id] = time.monotonic()
        return encode_push_frame(
            result,
            log_id=log_id,
            seq_id=next(session.seq_ids),
            compress=session.compress,
            cursor=cursor,
            truncate_gzip=truncate_gzip,
        )

    async def _write(self, connection: ServerConnection, session: PushSession) -> None:
        room = session.room
        while True:
            for fault in room.faults.take_due(session.frames_sent, session.faults_fired):
                if await self._apply(connection, session, fault):
                    return
            if len(room.log) > session.position:
                await self._send_next(connection, session)
                missing = room.spec.close_on_missing_acks
                if missing is not None and len(session.pending_acks) > missing:
                    await connection.close(1008, "acks missing")
                    return
                continue
            if room.ended:
                await self._finish(connection, room)
                return
            if await self._wait(connection, room.wait_beyond(session.position)):
                return

    async def _send_next(
        self, connection: ServerConnection, session: PushSession, *, truncate_gzip: bool = False
    ) -> None:
        """Send the messages after the session's position (up to a batch) as one ``msg`` frame."""
        room = session.room
        end = session.batch_end()
        # A cut frame asks for no ack: the client cannot read its log id.
        frame = self._frame(session, end, expect_ack=not truncate_gzip, truncate_gzip=truncate_gzip)
        await connection.send(frame)
        room.stats.messages_sent += end - session.position
        session.position = end
        session.frames_sent += 1
        room.stats.frames_sent += 1
        room.changed()

    @staticmethod
    async def _wait(connection: ServerConnection, waiting: Awaitable[Any]) -> bool:
        """Wait for ``waiting`` or for the connection to close; True if it closed."""
        task = asyncio.ensure_future(waiting)
        closed = asyncio.ensure_future(connection.wait_closed())
        done, _ = await asyncio.wait({task, closed}, return_when=asyncio.FIRST_COMPLETED)
        for pending in (task, closed):
            if pending not in done:
                pending.cancel()
        await asyncio.gather(task, closed, return_exceptions=True)
        return closed in done

    async def _finish(self, connection: ServerConnection, room: SimRoom) -> None:
        ended_by_control = any(entry.ends_live for entry in room.log[-MAX_BATCH:])
        if ended_by_control:  # the client knows: give it a moment to leave on its own
            try:
                await asyncio.wait_for(connection.wait_closed(), _END_GRACE / room.speed)
                return
            except asyncio.TimeoutError:
                pass
            await connection.close(1000, "the LIVE has ended")
        else:  # the host vanished: the server just goes away
            await connection.close(1001, "going away")

    async def _apply(self, connection: ServerConnection, session: PushSession, fault: WSFault) -> bool:
        """Apply a websocket fault; True when the connection is over."""
        room = session.room
        if fault.kind == "drop":
            connection.transport.abort()
            return True
        if fault.kind == "drop_mid_frame":
            await self._drop_mid_frame(connection, session)
            return True
        if fault.kind == "close":
            await connection.close(fault.code, "simulated failure")
            return True
        if fault.kind == "stall":
            session.stalled = True
            if fault.seconds is None:
                await connection.wait_closed()
                return True
            closed = await self._wait(connection, asyncio.sleep(fault.seconds / room.speed))
            session.stalled = False
            return closed
        if fault.kind == "malformed":
            await connection.send(MALFORMED_FRAME)
        elif fault.kind == "bomb":
            # Compressing millions of entries takes a while: off the event loop.
            body = await asyncio.to_thread(bombs.gzip_stream, bombs.empty_messages(fault.messages))
            await connection.send(
                bombs.gzip_push_frame(body, seq_id=next(session.seq_ids), log_id=next(_log_ids))
            )
        elif fault.kind == "truncated":
            frame = self._frame(session, session.batch_end(), expect_ack=False)
            await connection.send(frame[: len(frame) // 2])
        elif fault.kind == "truncated_gzip":
            # The fault is about messages lost with the frame: wait for some to be there.
            waiting = len(room.log) <= session.position and not room.ended
            if waiting and await self._wait(connection, room.wait_beyond(session.position)):
                return True
            await self._send_next(connection, session, truncate_gzip=True)
        elif fault.kind == "unknown_frame":
            await connection.send(
                bytes(
                    pb.PushFrame(
                        seq_id=next(session.seq_ids), payload_encoding="pb", payload_type="sim_unknown"
                    )
                )
            )
        room.changed()
        return False

    async def _drop_mid_frame(self, connection: ServerConnection, session: PushSession) -> None:
        """Write the first half of a websocket frame, then cut the TCP connection."""
        payload = self._frame(session, session.batch_end(), expect_ack=False)
        if len(payload) < 126:
            header = bytes([0x82, len(payload)])
        elif len(payload) < 65536:
            header = bytes([0x82, 126]) + len(payload).to_bytes(2, "big")
        else:
            header = bytes([0x82, 127]) + len(payload).to_bytes(8, "big")
        raw = header + payload
        transport = connection.transport
        if transport.is_closing():  # the client left first: nothing to cut
            return
        try:
            transport.write(raw[: len(header) + len(payload) // 2])
        except RuntimeError:  # the client half-closed meanwhile (write after write_eof)
            transport.abort()
            return
        # Let the half frame reach the socket before the connection is cut.
        while transport.get_write_buffer_size() and not transport.is_closing():
            await asyncio.sleep(0.01)
        transport.abort()

    async def _read(self, connection: ServerConnection, session: PushSession) -> None:
        room = session.room
        timeout = room.spec.heartbeat_timeout
        try:
            while True:
                remaining = None if timeout is None else session.last_heartbeat + timeout - time.monotonic()
                try:
                    data = await asyncio.wait_for(connection.recv(), remaining)
                except asyncio.TimeoutError:
                    await connection.close(1001, "no heartbeat")
                    return
                await self._receive(connection, session, data.encode() if isinstance(data, str) else data)
        except ConnectionClosed:
            return

    async def _receive(self, connection: ServerConnection, session: PushSession, data: bytes) -> None:
        room, stats = session.room, session.room.stats
        try:
            check_wire_types(data, _PUSH_FRAME_WIRE_TYPES)  # the schema classes accept garbage
            frame = pb.PushFrame.parse(data)
        except Exception:  # betterproto raises several kinds of errors for bad bytes
            stats.client_frames_undecodable += 1
            room.changed()
            return
        kind = frame.payload_type
        if kind == "hb":
            session.last_heartbeat = time.monotonic()
            try:
                seq = pb.HeartbeatMessage.parse(frame.payload).send_packet_seq_id
            except Exception:
                seq = -1
            stats.heartbeats.append(seq)
            if not (room.faults.ignore_heartbeats or session.stalled):
                await connection.send(
                    bytes(pb.PushFrame(payload_encoding="pb", payload_type="hb", payload=frame.payload))
                )
                stats.heartbeats_answered += 1
        elif kind == "ack":
            if session.pending_acks.pop(frame.log_id, None) is None:
                stats.bad_acks += 1
            stats.acks.append((frame.log_id, bytes(frame.payload)))
        elif kind == "im_enter_room":
            try:
                stats.enter_room.append(pb.ImEnterRoomMessage.parse(frame.payload))
            except Exception:
                stats.client_frames_undecodable += 1
            await connection.send(
                bytes(pb.PushFrame(payload_encoding="pb", payload_type="im_enter_room_resp"))
            )
        else:
            stats.client_frames_unknown += 1
        room.changed()
