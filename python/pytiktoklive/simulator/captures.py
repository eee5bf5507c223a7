"""Real TikTok traffic captured from public repositories: the full set when present, else the
sample shipped in the package (:data:`pytiktoklive.samples.SAMPLE_CAPTURES`).

The captures are read in place (see their ``MANIFEST.md``):

* ``webcast/gift/list/`` JSON answers — the simulator serves the newest one;
* event-collector dumps (``{"<method>": [{"eventData": base64, …}]}``), the
  single base64 ``.bin`` messages and the repaired PushFrame — every message
  they hold, for the replay room.

Where they live: ``$PYTIKTOKLIVE_CAPTURES``, else ``shared/captures`` next to
the repository (the full set: 2,303 unique messages), else :data:`SAMPLE_CAPTURES`
(every message type, a few of each, and the real frame and gift list; about 1 MB).
Both have the same layout, so one loader reads either.

Message metadata (``msg_id``, ``create_time``, a control message's action)
is read with a minimal protobuf wire reader, independent of the decoders the
simulator is used to test.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from pytiktoklive.samples import SAMPLE_CAPTURES
from pytiktoklive.simulator.factory import ENDING_ACTIONS, RawMessage
from pytiktoklive.simulator.proto import pb
from pytiktoklive.simulator.wire import fields as _fields

__all__ = ["SAMPLE_CAPTURES", "find_captures", "load_gift_list", "load_messages"]

_ENV = "PYTIKTOKLIVE_CAPTURES"
_REPO_CAPTURES = Path(__file__).resolve().parents[3].parent / "shared" / "captures"


def _holds_files(directory: Path) -> bool:
    return directory.is_dir() and any(directory.iterdir())


def find_captures(explicit: Optional[Path] = None) -> Optional[Path]:
    """The captures directory: ``explicit``, else ``$PYTIKTOKLIVE_CAPTURES`` when set (else the
    repository's neighbour), else the shipped sample (:data:`SAMPLE_CAPTURES`): a missing or
    empty directory is passed over, so ``PYTIKTOKLIVE_CAPTURES=/empty`` means "the sample", as
    on a plain clone. An explicit directory that is missing means "no captures" (None): that
    is how tests run the simulator on generated data only."""
    if explicit is not None:
        return Path(explicit) if Path(explicit).is_dir() else None
    configured = os.environ.get(_ENV)
    for candidate in (Path(configured) if configured else _REPO_CAPTURES, SAMPLE_CAPTURES):
        if _holds_files(candidate):
            return candidate
    return None


def _common_of(payload: bytes) -> Dict[int, Any]:
    for number, value in _fields(payload):
        if number == 1 and isinstance(value, bytes):
            return dict(_fields(value))
    return {}


def _raw_message(method: str, payload: bytes) -> RawMessage:
    common = _common_of(payload)
    ends = False
    if method == "WebcastControlMessage":
        action = dict(_fields(payload)).get(2)
        ends = action in ENDING_ACTIONS
    msg_id = common.get(2, 0)
    create_time = common.get(4, 0)
    return RawMessage(
        method=method,
        payload=payload,
        msg_id=msg_id if isinstance(msg_id, int) else 0,
        create_time=create_time if isinstance(create_time, int) else 0,
        ends_live=ends,
    )


def _method_of(payload: bytes) -> str:
    method = _common_of(payload).get(1, b"")
    return method.decode("utf-8", "replace") if isinstance(method, bytes) else ""


# --------------------------------------------------------------------------- loaders


def _is_collector_dump(path: Path) -> bool:
    return any("EventsCollector" in part for part in path.parts)


def _collector_messages(path: Path) -> Iterator[RawMessage]:
    try:
        dump = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(dump, dict):
        return
    for method, records in dump.items():
        for record in records if isinstance(records, list) else ():
            data = record.get("eventData") if isinstance(record, dict) else None
            if not isinstance(data, str):
                continue
            try:
                yield _raw_message(str(method), base64.b64decode(data, validate=True))
            except (ValueError, binascii.Error):
                continue


def _single_message(path: Path) -> Optional[RawMessage]:
    try:
        payload = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
        method = _method_of(payload)
        return _raw_message(method, payload) if method else None
    except (OSError, ValueError, binascii.Error):
        return None


def _frame_messages(path: Path) -> Iterator[RawMessage]:
    try:
        frame = pb.PushFrame.parse(path.read_bytes())
        result = pb.FetchResult.parse(frame.payload)
    except Exception:  # a capture that does not parse is simply not replayed
        return
    for message in result.messages:
        yield _raw_message(message.method, bytes(message.payload))


@functools.lru_cache(maxsize=4)
def load_messages(captures: Path) -> Tuple[RawMessage, ...]:
    """Every captured message, once each (by ``msg_id``), oldest first; ending control messages last.

    The collector's ``RoomMessage`` key is kept as the envelope method (its
    messages' common method is ``SystemMessage``); single ``.bin`` messages
    take their common method (``LikeMessage.bin`` is really a member message).
    """
    found: List[RawMessage] = []
    for path in sorted(captures.rglob("*.json")):
        if _is_collector_dump(path):
            found.extend(_collector_messages(path))
    for path in sorted(captures.rglob("*.bin")):
        if "repaired" in path.name:
            found.extend(_frame_messages(path))
        elif path.name != "WebcastWebsocketMessage.bin":  # the charset-corrupted original
            message = _single_message(path)
            if message is not None:
                found.append(message)
    unique: Dict[Any, RawMessage] = {}
    for message in found:
        key: Any = message.msg_id or message.payload
        unique.setdefault(key, message)
    # Oldest first; a LIVE-ending control message would end the replay early, so those go last.
    return tuple(sorted(unique.values(), key=lambda message: (message.ends_live, message.create_time)))


def _gift_list_files(captures: Path) -> Iterator[Path]:
    for path in sorted(captures.rglob("*.json")):
        if not _is_collector_dump(path) and ("gift" in path.name.lower() or "gifts" in path.parts):
            yield path


@functools.lru_cache(maxsize=4)
def load_gift_list(captures: Path) -> Optional[Dict[str, Any]]:
    """The newest captured ``gift/list`` answer (by ``extra.now``), or None."""
    newest: Optional[Dict[str, Any]] = None
    newest_time = -1
    for path in _gift_list_files(captures):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        gifts = body.get("data", {}).get("gifts") if isinstance(body, dict) else None
        if not isinstance(gifts, list):
            continue
        now = body.get("extra", {}).get("now", 0)
        if isinstance(now, int) and now > newest_time:
            newest, newest_time = body, now
    return newest
