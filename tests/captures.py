"""Real TikTok LIVE data captured from public streams, for tests.

The full set lives outside the repository (``../shared/captures``, see its ``MANIFEST.md``;
``PYTIKTOKLIVE_CAPTURES`` names another copy). Without it, the compact sample shipped in the
package (``python/pytiktoklive/sample_captures``: every message type, a few of each, the real
frame and a gift list) is used, so these tests run on a plain clone. :data:`FULL` says which.

* :func:`messages` — every captured room message as a :class:`Capture` (method, payload):
  the event-collector dumps (JSON, ``eventData`` is base64 of the raw message; each unique
  payload once) and the single-message ``.bin`` files (base64 text).
* :data:`REPAIRED_FRAME` / :data:`CORRUPTED_FRAME` — a real ``PushFrame`` (reconstructed) and
  the charset-mangled original it was rebuilt from, which must not decode.
* :func:`gift_lists` — real ``webcast/gift/list/`` JSON responses.

Two quirks of the data are handled here: the collector key ``RoomMessage`` holds messages
whose ``Common.method`` is ``SystemMessage`` (both names are room notices), and
``LikeMessage.bin`` is really a ``WebcastMemberMessage``.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Tuple

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "python" / "pytiktoklive" / "sample_captures"
_FULL_SET = Path(os.environ.get("PYTIKTOKLIVE_CAPTURES") or REPO.parent / "shared" / "captures")
#: The full capture set is there (else the shipped sample stands in).
FULL = (_FULL_SET / "jwdeveloper_TikTokLiveJava").is_dir()
CAPTURES = _FULL_SET if FULL else SAMPLE
JW = CAPTURES / "jwdeveloper_TikTokLiveJava"
_RESOURCES = JW / "Client" / "src" / "test" / "resources"

REPAIRED_FRAME = JW / "_repaired" / "WebcastWebsocketMessage.repaired.bin"
CORRUPTED_FRAME = _RESOURCES / "WebcastWebsocketMessage.bin"

#: The single-message files and the method of the message each really holds.
SINGLE_MESSAGES = {
    "LikeMessage.bin": "WebcastMemberMessage",  # misnamed: a member join
    "MessageWebcastChatMessage.bin": "WebcastChatMessage",
    "MessageWebcastGiftMessage.bin": "WebcastGiftMessage",
    "MessageWebcastImDeleteMessage.bin": "WebcastImDeleteMessage",
    "MessageWebcastSocialMessage.bin": "WebcastSocialMessage",
    "WebcastMemberMessage.bin": "WebcastMemberMessage",
}

#: What the loaders find: in the full set of MANIFEST.md, 2,303 unique collector messages of
#: 77 methods plus the six single messages; in the sample, 289 of the same 77 methods plus the
#: same six. Tests assert these so a loader regression fails.
MESSAGE_COUNT = 2_309 if FULL else 295
METHOD_COUNT = 77


@dataclass(frozen=True)
class Capture:
    """One captured room message: its envelope ``method`` and raw ``payload``."""

    source: str  # file (and position) it came from, for failure messages
    method: str
    payload: bytes

    def __repr__(self) -> str:  # pytest ids and failure output: no 6 KB byte dumps
        return f"<{self.method} from {self.source}>"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"no capture at {path} (see ../shared/captures/MANIFEST.md)")
    return path


def read(path: Path) -> bytes:
    """The bytes of a capture file; skips the test when it is absent."""
    return _require(path).read_bytes()


@functools.cache
def _load_messages() -> Tuple[Capture, ...]:
    found: List[Capture] = []
    seen = set()
    for file in sorted(JW.glob("**/Tools-EventsCollector/src/main/resources/*.json")):
        source = str(file.relative_to(JW))
        for method, records in json.loads(file.read_text(encoding="utf-8")).items():
            for index, record in enumerate(records):
                payload = base64.b64decode(record["eventData"], validate=True)
                if (method, payload) not in seen:
                    seen.add((method, payload))
                    found.append(Capture(f"{source}:{method}[{index}]", method, payload))
    for name, method in SINGLE_MESSAGES.items():
        payload = base64.b64decode((_RESOURCES / name).read_bytes(), validate=True)
        found.append(Capture(f"Client/src/test/resources/{name}", method, payload))
    return tuple(found)


def messages() -> Tuple[Capture, ...]:
    """Every captured room message, each unique payload once, in file order."""
    _require(JW)
    return _load_messages()


def gift_lists() -> List[Tuple[Path, Any]]:
    """Every captured ``webcast/gift/list/`` response, parsed: ``[(path, json), ...]``."""
    files = [_RESOURCES / "gifts.json", *sorted(JW.glob("Tools/src/main/resources/gifts/official/*.json"))]
    found = [(file, json.loads(file.read_bytes())) for file in files if file.is_file()]
    if not found:
        pytest.skip(f"no captured gift list under {JW}")
    return found
