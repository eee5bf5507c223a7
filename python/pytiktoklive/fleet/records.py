"""One event as the fleet stores and delivers it: :class:`FleetEvent`; and :class:`StreamGap`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Union

from pytiktoklive.events import Event

__all__ = ["FleetEvent", "Sink", "StreamGap"]


@dataclass(frozen=True)
class FleetEvent:
    """An event of a tracked room, with where it belongs.

    ``seq`` numbers a room's events 1, 2, 3… across all its LIVEs and all the workers that
    tracked it: consumers can check per-room order and spot gaps with it, and a custom sink can
    use ``(room, seq)`` as an idempotency key. ``data`` is ``event.to_dict()``. ``event`` is the
    event object itself in a worker's sink (None when read back from a stream); ``stream`` and
    ``entry_id`` say where it was read from (empty in a sink).
    """

    room: str
    room_id: int
    seq: int
    msg_id: int
    type: str
    method: str
    create_time: int
    data: Dict[str, Any] = field(repr=False)
    event: Optional[Event] = field(default=None, repr=False, compare=False)
    stream: str = ""
    entry_id: str = ""
    #: The entry's number in its stream (1, 2, 3…; 0 in a sink): consecutive unless entries were trimmed.
    position: int = 0

    @classmethod
    def of(cls, room: str, room_id: int, seq: int, event: Event) -> FleetEvent:
        """``room_id`` is the LIVE's (some messages carry none of their own)."""
        return cls(
            room=room,
            room_id=room_id,
            seq=seq,
            msg_id=event.msg_id,
            type=type(event).__name__,
            method=event.method,
            create_time=event.create_time,
            data=event.to_dict(),
            event=event,
        )

    def fields(self) -> List[str]:
        """The stream entry's fields and values (``XADD``)."""
        return [
            "room", self.room,
            "room_id", str(self.room_id),
            "seq", str(self.seq),
            "msg_id", str(self.msg_id),
            "type", self.type,
            "method", self.method,
            "time", str(self.create_time),
            "data", json.dumps(self.data, separators=(",", ":"), ensure_ascii=False),
        ]  # fmt: skip

    @classmethod
    def from_entry(cls, stream: str, entry_id: str, fields: Mapping[str, str]) -> FleetEvent:
        """Read a stream entry back (raises ValueError/KeyError for an entry the fleet did not write)."""
        return cls(
            room=fields["room"],
            room_id=int(fields["room_id"]),
            seq=int(fields["seq"]),
            msg_id=int(fields["msg_id"]),
            type=fields["type"],
            method=fields["method"],
            create_time=int(fields.get("time") or 0),
            data=json.loads(fields["data"]),
            stream=stream,
            entry_id=entry_id,
            position=int(fields.get("n") or 0),
        )

    def to_json(self) -> Dict[str, Any]:
        """A JSON-ready dict (what ``fleet tail`` prints)."""
        return {
            "room": self.room,
            "room_id": self.room_id,
            "seq": self.seq,
            "msg_id": self.msg_id,
            "type": self.type,
            "method": self.method,
            "create_time": self.create_time,
            "stream": self.stream,
            "id": self.entry_id,
            "data": self.data,
        }


@dataclass(frozen=True)
class StreamGap:
    """Entries a consumer group never read were trimmed away (``MAXLEN``) before it got to them.

    Yielded by :meth:`Fleet.events` in place of the lost entries, so the loss is never silent:
    the entries of ``stream`` after ``after_id`` and before ``up_to_id`` are gone (``reason`` says
    how many).
    """

    stream: str
    after_id: str
    up_to_id: str
    reason: str = "trimmed (MAXLEN) before this consumer group read it"

    def to_json(self) -> Dict[str, Any]:
        return {
            "gap": {
                "stream": self.stream,
                "after": self.after_id,
                "up_to": self.up_to_id,
                "reason": self.reason,
            }
        }


#: A custom sink: called by a worker with each batch (sync or async). It must raise to refuse a
#: batch (the worker then retries it); a batch is delivered at least once, in per-room order.
Sink = Callable[[List[FleetEvent]], Union[Awaitable[None], None]]
