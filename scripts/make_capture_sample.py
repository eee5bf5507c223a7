"""Rebuild the compact sample of real captures shipped in the package, from the full set.

    python scripts/make_capture_sample.py [FULL_CAPTURES_DIR]   # default ../shared/captures

The sample (``python/pytiktoklive/sample_captures``) keeps the full set's layout,
so every loader (simulator, tests, Rust tests) reads either directory the same way:

* every message type of the event-collector dumps, in one dump ``sample.json``: per type, the
  fewest unique messages that together show every decoded field that any message of the type
  fills, and for every field that some lack, one that lacks it (so the sample has the same
  field shapes as the full set: tests comparing the simulator with real shapes hold on it);
  then more, spread over their sizes, up to ``PER_METHOD``;
* the six single-message fixtures, the charset-corrupted PushFrame and its repaired copy;
* the newest ``webcast/gift/list/`` answer.

Deterministic: the same full set gives the same bytes. Its MANIFEST.md is written by hand.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Set

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "python" / "pytiktoklive" / "sample_captures" / "jwdeveloper_TikTokLiveJava"
COLLECTOR = "Tools-EventsCollector/src/main/resources"
RESOURCES = "Client/src/test/resources"
FIXTURES = (
    "LikeMessage.bin",
    "MessageWebcastChatMessage.bin",
    "MessageWebcastGiftMessage.bin",
    "MessageWebcastImDeleteMessage.bin",
    "MessageWebcastSocialMessage.bin",
    "WebcastMemberMessage.bin",
    "WebcastWebsocketMessage.bin",
)
REPAIRED = "_repaired/WebcastWebsocketMessage.repaired.bin"
GIFT_LIST = "Tools/src/main/resources/gifts/official/official_05_01_2024.json"
PER_METHOD = 4


def _paths(value: Any, prefix: str = "") -> Set[str]:
    """Dotted paths of the non-default leaves of an event's ``to_dict()``."""
    found: Set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            key = re.sub(r"^op_component-.*", "op_component-*", key)  # banner activity names vary
            found |= _paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= _paths(item, prefix + "[]")
    elif value not in (None, 0, "", False, b""):
        found.add(prefix)
    return found


def _covering(method: str, records: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Greedily, the fewest records showing every field path some record has, and the absence
    of every path some record lacks (smaller records first among equals)."""
    from pytiktoklive import decode_message

    shapes = [
        _paths(decode_message(method, base64.b64decode(record["eventData"])).to_dict()) for record in records
    ]
    union = set().union(*shapes)
    sometimes = union - set.intersection(*shapes)
    covers = [
        {("has", path) for path in shape} | {("lacks", path) for path in sometimes - shape}
        for shape in shapes
    ]
    wanted = {("has", path) for path in union} | {("lacks", path) for path in sometimes}
    chosen: List[int] = []
    while wanted:
        best = max(
            range(len(records)), key=lambda i: (len(covers[i] & wanted), -len(records[i]["eventData"]))
        )
        chosen.append(best)
        wanted -= covers[best]
    return [records[index] for index in sorted(chosen)]


def _spread(records: List[Dict[str, Any]], count: int) -> List[Dict[str, Any]]:
    """``count`` records spread evenly over the list (by size), first and last included."""
    if len(records) <= count:
        return records
    last = len(records) - 1
    return [records[round(index * last / (count - 1))] for index in range(count)]


def main(argv: List[str]) -> int:
    full = Path(argv[0]) if argv else REPO.parent / "shared" / "captures"
    root = full / "jwdeveloper_TikTokLiveJava"
    if not root.is_dir():
        print(f"no full captures at {full}", file=sys.stderr)
        return 1
    unique: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for dump in sorted(root.glob(f"**/{COLLECTOR}/*.json")):
        for method, records in json.loads(dump.read_text(encoding="utf-8")).items():
            for record in records:
                unique.setdefault(method, {}).setdefault(record["eventData"], record)
    sample = {}
    for method, by_data in sorted(unique.items()):
        records = sorted(by_data.values(), key=lambda record: (len(record["eventData"]), record["eventData"]))
        picked = _covering(method, records)
        for record in _spread(records, PER_METHOD):
            if len(picked) >= PER_METHOD:
                break
            if record not in picked:
                picked.append(record)
        sample[method] = sorted(picked, key=records.index)
    (SAMPLE / COLLECTOR).mkdir(parents=True, exist_ok=True)
    (SAMPLE / COLLECTOR / "sample.json").write_text(
        json.dumps(sample, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    for relative in (*(f"{RESOURCES}/{name}" for name in FIXTURES), REPAIRED, GIFT_LIST):
        (SAMPLE / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, SAMPLE / relative)
    messages = sum(len(records) for records in sample.values())
    size = sum(path.stat().st_size for path in SAMPLE.rglob("*") if path.is_file())
    print(f"{len(sample)} message types, {messages} collector messages, {size:,} bytes in {SAMPLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
