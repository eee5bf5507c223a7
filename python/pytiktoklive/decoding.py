"""Turn WebCast bytes into events.

Three entry points, all sans-I/O (bytes in, events out):

* :func:`decode_frame` — one binary websocket message (a ``PushFrame``),
  gunzipped when its ``compress_type`` header says gzip or its payload starts
  with the gzip magic bytes;
* :func:`decode_fetch_result` — the body of ``webcast/im/fetch`` (HTTP polling);
* :func:`decode_message` — one room message, given its method name.

The work is done by the Rust core (``pytiktoklive._core``) when it is built,
and by the pure-Python decoder otherwise, or when the environment variable
``PYTIKTOKLIVE_PURE=1`` is set. Both produce equal results.

A frame or fetch result that cannot be parsed raises :class:`~pytiktoklive.errors.DecodeError`.
A single room message that cannot be decoded (or whose method name is not UTF-8) does not:
it is logged, listed in :attr:`FetchResult.skipped`, and the rest of the batch is delivered.

Limits bound the work of one frame, whatever its bytes say (a few kilobytes of gzip can
otherwise unfold into millions of objects). Each is a keyword argument of
:func:`decode_frame` and :func:`decode_fetch_result` (and of the client's protocol), and a
frame beyond any of them raises ``DecodeError`` ("decode limit exceeded: …") before its
objects are built. The defaults are far above real traffic (TikTok's busiest frames carry a
few hundred messages of 17 objects on average, 121 at most) and hold a hostile frame to
about 130 MB at most: the 64 MiB inflate cap plus about 0.6 KB per counted object:

* ``max_inflated_size`` (:data:`DEFAULT_MAX_INFLATED_SIZE`, 64 MiB): bytes a gzip payload
  may inflate to;
* ``max_messages`` (:data:`DEFAULT_MAX_MESSAGES`, 10,000): room messages in one batch;
* ``max_repeated`` (:data:`DEFAULT_MAX_REPEATED`, 10,000): entries of one repeated field of
  one record (the badges of a user, the headers of a frame, …);
* ``max_objects`` (:data:`DEFAULT_MAX_OBJECTS`, 100,000): protobuf messages at any depth plus
  repeated entries in the whole frame.

:func:`decode_message` applies the default limits.
"""

from __future__ import annotations

import base64
import logging
import os
from typing import Any, Dict, Tuple

from pytiktoklive._records import Record
from pytiktoklive.events import Event, SkippedMessage

__all__ = [
    "DEFAULT_MAX_INFLATED_SIZE",
    "DEFAULT_MAX_MESSAGES",
    "DEFAULT_MAX_OBJECTS",
    "DEFAULT_MAX_REPEATED",
    "FetchResult",
    "backend",
    "decode_fetch_result",
    "decode_frame",
    "decode_message",
]

logger = logging.getLogger("pytiktoklive.decoding")

#: Largest payload a gzip frame may inflate to; bigger frames raise DecodeError.
DEFAULT_MAX_INFLATED_SIZE = 64 * 1024 * 1024
#: Most room messages in one batch; more raise DecodeError.
DEFAULT_MAX_MESSAGES = 10_000
#: Most entries of one repeated field of one record (badges of a user, …); more raise DecodeError.
DEFAULT_MAX_REPEATED = 10_000
#: Most objects (protobuf messages at any depth plus repeated entries) in one frame.
DEFAULT_MAX_OBJECTS = 100_000


class FetchResult(Record):
    """A decoded frame or fetch result: the room's events plus the transport state.

    * ``payload_type`` ← ``PushFrame.payload_type`` (``"msg"`` for event batches,
      ``"hb"``, ``"ack"``, …); ``"msg"`` for :func:`decode_fetch_result`.
    * ``log_id`` / ``seq_id`` ← ``PushFrame.log_id`` / ``seq_id`` (echo ``log_id`` in the ack);
      0 for :func:`decode_fetch_result`.
    * ``events`` — one event per message, in wire order; ``skipped`` — messages
      that failed to decode.
    * ``cursor``, ``internal_ext``, ``need_ack``, ``fetch_interval`` (ms),
      ``now`` (ms), ``route_params`` (dict), ``push_server`` (websocket URL),
      ``heartbeat_duration`` (ms), ``is_first`` ← the ``FetchResult`` message.
      They keep their defaults when the frame carries no fetch result, except
      ``route_params``: the decoders always give a new ``dict`` (``{}`` when empty),
      never the record default ``None``.
    """

    __slots__ = (
        "payload_type",
        "log_id",
        "seq_id",
        "events",
        "skipped",
        "cursor",
        "internal_ext",
        "need_ack",
        "fetch_interval",
        "now",
        "route_params",
        "push_server",
        "heartbeat_duration",
        "is_first",
    )
    payload_type: str
    log_id: int
    seq_id: int
    events: Tuple[Event, ...]
    skipped: Tuple[SkippedMessage, ...]
    cursor: str
    internal_ext: str
    need_ack: bool
    fetch_interval: int
    now: int
    route_params: Dict[str, str]
    push_server: str
    heartbeat_duration: int
    is_first: bool

    __hash__ = None  # type: ignore[assignment]  # route_params is a dict


def _pure_requested() -> bool:
    return os.environ.get("PYTIKTOKLIVE_PURE", "").strip().lower() in ("1", "true", "yes", "on")


def _load_backend() -> Tuple[str, Any]:
    core_error = "PYTIKTOKLIVE_PURE is set"
    if not _pure_requested():
        try:
            from pytiktoklive import _core
        except ImportError as exc:  # a source checkout without the built extension
            logger.debug("Rust core unavailable (%s); using the pure-Python decoder", exc)
            core_error = f"the Rust core did not import: {exc}"
        else:
            return "rust", _core
    try:
        from pytiktoklive import _pure
    except ImportError as exc:  # no 'pure' extra (betterproto2), or Python 3.9: say what to do
        raise ImportError(
            f"pytiktoklive has no decoder: {core_error}, and the pure-Python decoder needs the "
            f"'pure' extra (pip install 'pytiktoklive[pure]', Python >= 3.10): {exc}"
        ) from exc

    return "pure", _pure


_BACKEND_NAME, _backend = _load_backend()


def backend() -> str:
    """The decoder in use: ``"rust"`` or ``"pure"``."""
    return _BACKEND_NAME


def _report_skips(result: FetchResult) -> FetchResult:
    for skip in result.skipped:
        logger.warning("skipped undecodable %s (msg_id=%d): %s", skip.method, skip.msg_id, skip.reason)
        logger.debug(
            "payload of %s %d (base64): %s",
            skip.method,
            skip.msg_id,
            base64.b64encode(skip.payload).decode("ascii"),
        )
    return result


def decode_frame(
    data: bytes,
    *,
    max_inflated_size: int = DEFAULT_MAX_INFLATED_SIZE,
    max_messages: int = DEFAULT_MAX_MESSAGES,
    max_repeated: int = DEFAULT_MAX_REPEATED,
    max_objects: int = DEFAULT_MAX_OBJECTS,
) -> FetchResult:
    """Decode one binary websocket message (a ``PushFrame``) into a :class:`FetchResult`.

    The ``max_*`` limits are described in the module's docstring.
    """
    result: FetchResult = _backend.decode_frame(
        bytes(data), max_inflated_size, max_messages, max_repeated, max_objects
    )
    return _report_skips(result) if result.skipped else result


def decode_fetch_result(
    data: bytes,
    *,
    max_inflated_size: int = DEFAULT_MAX_INFLATED_SIZE,
    max_messages: int = DEFAULT_MAX_MESSAGES,
    max_repeated: int = DEFAULT_MAX_REPEATED,
    max_objects: int = DEFAULT_MAX_OBJECTS,
) -> FetchResult:
    """Decode a ``webcast/im/fetch`` response body (possibly gzip) into a :class:`FetchResult`."""
    result: FetchResult = _backend.decode_fetch_result(
        bytes(data), max_inflated_size, max_messages, max_repeated, max_objects
    )
    return _report_skips(result) if result.skipped else result


def decode_message(method: str, payload: bytes, msg_id: int = 0) -> Event:
    """Decode one room message; ``method`` is its envelope method name (``"WebcastChatMessage"``).

    Unknown methods give an :class:`~pytiktoklive.events.UnknownEvent`; a payload that
    does not decode raises :class:`~pytiktoklive.errors.DecodeError`.
    """
    event: Event = _backend.decode_message(method, bytes(payload), msg_id)
    return event
