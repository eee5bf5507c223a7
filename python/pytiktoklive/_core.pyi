"""The Rust decoding core (native module ``pytiktoklive._core``).

Sans-I/O: bytes in, events out. The byte work (PushFrame parse, gzip inflate,
fetch-result parse, message decode) runs with the GIL released; the Python
objects (classes from ``pytiktoklive.events`` and ``pytiktoklive.decoding``)
are built afterwards. Use the wrappers in :mod:`pytiktoklive.decoding`, which
also log skipped messages.

Every function raises ``pytiktoklive.errors.DecodeError`` for bytes that do not
decode, ``TypeError`` for arguments of the wrong type and ``OverflowError`` for a
negative limit or a ``msg_id`` outside the int64 range. The limits after
``max_inflated_size`` bound the objects one frame may build (see
:mod:`pytiktoklive.decoding`); their defaults are those of ``decoding``.
"""

from typing import Any, Callable, Iterable, TypeVar, final

from pytiktoklive.decoding import FetchResult
from pytiktoklive.events import Event

__all__ = [
    "RecentIds",
    "count_frame_messages",
    "decode_fetch_result",
    "decode_frame",
    "decode_message",
    "decode_message_fields",
    "encode_ack_frame",
    "encode_enter_room_frame",
    "encode_heartbeat_frame",
    "encode_message",
    "message_defaults",
    "message_names",
]

_T = TypeVar("_T")

__version__: str

def decode_frame(
    data: bytes,
    max_inflated_size: int,
    max_messages: int = ...,
    max_repeated: int = ...,
    max_objects: int = ...,
    /,
) -> FetchResult:
    """Decode one binary websocket message (a ``PushFrame``).

    Raises ``pytiktoklive.errors.DecodeError`` when the frame, its gzip payload
    or its fetch result is malformed, the payload inflates beyond
    ``max_inflated_size`` bytes, or decoding would pass ``max_messages``,
    ``max_repeated`` or ``max_objects``.
    """

def decode_fetch_result(
    data: bytes,
    max_inflated_size: int,
    max_messages: int = ...,
    max_repeated: int = ...,
    max_objects: int = ...,
    /,
) -> FetchResult:
    """Decode a ``webcast/im/fetch`` body (gunzipped first if it starts with the gzip magic)."""

def decode_message(method: str, payload: bytes, msg_id: int, /) -> Event:
    """Decode one room message by its envelope method name; raises DecodeError if it is malformed.

    Unknown methods give an ``UnknownEvent`` whose ``payload`` is ``payload`` itself.
    """

def count_frame_messages(
    data: bytes,
    max_inflated_size: int,
    max_messages: int = ...,
    max_repeated: int = ...,
    max_objects: int = ...,
    /,
) -> int:
    """Decode a frame entirely in Rust, build no Python objects, and return how many messages
    decoded. For benchmarks: the cost of decoding without the cost of Python objects."""

# ---------------------------------------------------------------------------------------------- encoding
# The client's outbound frames (prost), and any schema message from plain values (the simulator's
# ``pb.X(...)``, ``pytiktoklive.simulator.proto``). Encoders raise ``TypeError`` for a value of the wrong
# type or an unknown field, ``OverflowError`` for an int out of its field's range, ``ValueError`` for
# an unknown message name; messages are named ``Message.field.field: why``.

def encode_heartbeat_frame(room_id: int, seq: int, /) -> bytes:
    """A ``hb`` PushFrame: ``HeartbeatMessage{room_id, send_packet_seq_id=seq}``."""

def encode_ack_frame(log_id: int, internal_ext: str, /) -> bytes:
    """An ``ack`` PushFrame for the ``msg`` frame ``log_id``; payload ``internal_ext`` (``"-"`` if empty)."""

def encode_enter_room_frame(room_id: int, live_id: int, /) -> bytes:
    """An ``im_enter_room`` PushFrame: join ``room_id`` as an anonymous audience member."""

def encode_message(name: str, fields: object, /) -> bytes:
    """Encode schema message ``name`` (``"ChatMessage"``) from its field values: a ``dict``, or an
    object whose ``__dict__`` holds them (``pb.ChatMessage(...)``).

    A nested message is a dict of its fields or an object whose ``__dict__`` is one; lists for
    repeated fields, dicts for maps, ints for enums. ``None`` and absent fields are not written,
    nor are default scalars; fields are written in declaration order.
    """

def decode_message_fields(name: str, data: bytes, build: Callable[[str, dict[str, Any]], _T], /) -> _T:
    """Decode ``data`` as schema message ``name``; ``build(name, fields)`` makes each message
    (nested ones first) from the fields present on the wire. Raises ``DecodeError``."""

def message_defaults(name: str, /) -> dict[str, Any]:
    """Every field of schema message ``name`` with its default (``[]``, ``{}``, ``None`` for messages)."""

def message_names() -> tuple[str, ...]:
    """The names of the schema's messages (without the ``webcast.`` package)."""

@final
class RecentIds:
    """The last ``capacity`` message ids seen, for a room's duplicate filter (0 is never
    remembered). ``sys.getsizeof`` counts the arrays it holds: 32 KiB at most for 2048 ids."""

    def __new__(cls, capacity: int, /) -> RecentIds: ...
    @property
    def capacity(self) -> int: ...
    def add(self, msg_id: int) -> bool:
        """Remember ``msg_id``; False if it was already remembered."""

    def admit(self, events: Iterable[Event]) -> list[Event]:
        """The events whose ``msg_id`` is 0 or not yet remembered, in order; remembers their ids."""

    def __contains__(self, key: object, /) -> bool: ...
    def __len__(self) -> int: ...
