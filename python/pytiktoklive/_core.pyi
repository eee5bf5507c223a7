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

from pytiktoklive.decoding import FetchResult
from pytiktoklive.events import Event

__all__ = ["count_frame_messages", "decode_fetch_result", "decode_frame", "decode_message"]

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
