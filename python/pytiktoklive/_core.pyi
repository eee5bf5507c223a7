"""The Rust decoding core (native module ``pytiktoklive._core``).

Sans-I/O: bytes in, events out. The byte work (PushFrame parse, gzip inflate,
fetch-result parse, message decode) runs with the GIL released; the Python
objects (classes from ``pytiktoklive.events`` and ``pytiktoklive.decoding``)
are built afterwards. Use the wrappers in :mod:`pytiktoklive.decoding`, which
also log skipped messages.

Every function raises ``pytiktoklive.errors.DecodeError`` for bytes that do not
decode, ``TypeError`` for arguments of the wrong type and ``OverflowError`` for a
negative ``max_inflated_size`` or a ``msg_id`` outside the int64 range.
"""

from pytiktoklive.decoding import FetchResult
from pytiktoklive.events import Event

__all__ = ["count_frame_messages", "decode_fetch_result", "decode_frame", "decode_message"]

__version__: str

def decode_frame(data: bytes, max_inflated_size: int, /) -> FetchResult:
    """Decode one binary websocket message (a ``PushFrame``).

    Raises ``pytiktoklive.errors.DecodeError`` when the frame, its gzip payload
    or its fetch result is malformed, or the payload inflates beyond
    ``max_inflated_size`` bytes.
    """

def decode_fetch_result(data: bytes, max_inflated_size: int, /) -> FetchResult:
    """Decode a ``webcast/im/fetch`` body (gunzipped first if it starts with the gzip magic)."""

def decode_message(method: str, payload: bytes, msg_id: int, /) -> Event:
    """Decode one room message by its envelope method name; raises DecodeError if it is malformed.

    Unknown methods give an ``UnknownEvent`` whose ``payload`` is ``payload`` itself.
    """

def count_frame_messages(data: bytes, max_inflated_size: int, /) -> int:
    """Decode a frame entirely in Rust, build no Python objects, and return how many messages
    decoded. For benchmarks: the cost of decoding without the cost of Python objects."""
