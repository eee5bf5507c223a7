"""Smoke-check an installed pytiktoklive wheel (run by scripts/check-wheel.sh, in a fresh venv).

    python scripts/smoke_wheel.py [--capture FRAME.bin]

Checks, on every Python the wheel supports (>= 3.9), with a plain install (no extras):

* the package comes from site-packages (not a source checkout) and decodes with the Rust core;
* nothing imported betterproto2, and the wheel's metadata requires it only for the ``pure`` extra;
* a PushFrame built here by hand (gzip payload, like message) and its fetch result decode;
* ``--capture``: the real repaired PushFrame of shared/captures decodes to LikeEvent 15 / 14470;
* the client's outbound frames (encoded by the Rust core) decode back;
* a whole simulated LIVE (``demo_user``, speed 20) is followed over the websocket;
* the pure-Python decoder: without the ``pure`` extra, importing it and ``PYTIKTOKLIVE_PURE=1``
  fail with an ImportError naming the extra; with it (Python >= 3.10), it agrees with the Rust core.

It uses only the standard library and the installed package, so it runs from any directory.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib
import importlib.metadata
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, List, Optional, Tuple

import pytiktoklive
from pytiktoklive import TikTok

failures: List[str] = []


def check(condition: bool, what: str) -> None:
    print(("  ok    " if condition else "  FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)


# A minimal protobuf encoder, so the frame below needs neither the captures nor betterproto2.
def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def field_bytes(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value


def handmade_frame() -> tuple[bytes, bytes]:
    """A gzip ``msg`` PushFrame (proto/webcast/frame.proto) holding one LikeMessage; and its FetchResult."""
    like = field_varint(2, 7) + field_varint(3, 99)  # LikeMessage.count, .total
    message = field_bytes(1, b"WebcastLikeMessage") + field_bytes(2, like) + field_varint(3, 42)
    fetch_result = field_bytes(1, message) + field_bytes(2, b"cursor-1") + field_varint(9, 1)
    header = field_bytes(1, b"compress_type") + field_bytes(2, b"gzip")
    frame = (
        field_varint(1, 5)  # seq_id
        + field_varint(2, 1234)  # log_id
        + field_bytes(5, header)
        + field_bytes(6, b"pb")
        + field_bytes(7, b"msg")
        + field_bytes(8, gzip.compress(fetch_result))
    )
    return frame, fetch_result


def check_installation() -> None:
    package_dir = Path(pytiktoklive.__file__).parent
    check("site-packages" in str(package_dir), f"imported from an installed wheel ({package_dir})")
    check(pytiktoklive.backend() == "rust", f"backend() == 'rust' (got {pytiktoklive.backend()!r})")
    check(
        pytiktoklive.__version__ != "0.0.0+pure",
        f"__version__ from the Rust core ({pytiktoklive.__version__})",
    )
    for name in ("py.typed", "_core.pyi", "_proto/__init__.py"):
        check((package_dir / name).is_file(), f"the wheel ships {name}")


def like_counts(events: Iterable[object]) -> List[Tuple[str, object, object]]:
    return [(type(e).__name__, getattr(e, "likes", None), getattr(e, "total_likes", None)) for e in events]


def check_decoding(capture: Optional[Path]) -> bytes:
    frame, fetch_result = handmade_frame()
    result = pytiktoklive.decode_frame(frame)
    likes = like_counts(result.events)
    check(likes == [("LikeEvent", 7, 99)], f"hand-made gzip frame → one LikeEvent 7/99 (got {likes})")
    check(
        (result.payload_type, result.log_id, result.seq_id, result.cursor, result.need_ack)
        == ("msg", 1234, 5, "cursor-1", True),
        "hand-made frame: payload_type, log_id, seq_id, cursor, need_ack",
    )
    again = pytiktoklive.decode_fetch_result(fetch_result)
    check(list(again.events) == list(result.events), "decode_fetch_result gives the same event")
    if capture is None:
        print("  skip  real capture (none given)")
        return frame
    real = pytiktoklive.decode_frame(capture.read_bytes())
    events = like_counts(real.events)
    check(events == [("LikeEvent", 15, 14470)], f"real PushFrame → one LikeEvent 15/14470 (got {events})")
    return capture.read_bytes()


async def follow(tiktok: TikTok, username: str, **options: Any) -> tuple[str, Counter[str], bool]:
    live = await tiktok.track_user(username, **options)
    async with live:
        kinds: Counter[str] = Counter()
        async for event in live.events:
            kinds[type(event).__name__] += 1
        return live.transport, kinds, live.ended


def check_follow(transport: str, kinds: Counter[str], ended: bool, expected_transport: str) -> None:
    total = sum(kinds.values())
    print(f"        {total} events over {transport}: {dict(sorted(kinds.items()))}")
    check(transport == expected_transport, f"transport is {expected_transport} (got {transport})")
    check(total >= 20 and kinds["LikeEvent"] > 0 and kinds["ChatEvent"] > 0, "chats, likes and more arrived")
    check(ended, "the LIVE ended and the event stream closed")


async def simulated_live() -> None:
    from pytiktoklive.simulator import Simulator

    async with Simulator(speed=20) as sim, TikTok(sim.endpoints) as tiktok:
        check_follow(*await asyncio.wait_for(follow(tiktok, "demo_user"), 60), expected_transport="websocket")


def check_outbound_frames() -> None:
    from pytiktoklive import _frames

    ack = pytiktoklive.decode_frame(_frames.ack_frame(77, "fetch_time:1|seq:2"))
    check((ack.payload_type, ack.log_id) == ("ack", 77), "an ack frame encoded by the Rust core decodes back")
    beat = pytiktoklive.decode_frame(_frames.heartbeat_frame(5, 1))
    check(beat.payload_type == "hb", "a heartbeat frame encoded by the Rust core decodes back")


def check_dependencies() -> None:
    check("betterproto2" not in sys.modules, "nothing imported betterproto2")
    requirements = importlib.metadata.requires("pytiktoklive") or []
    betterproto = [r for r in requirements if re.split(r"[\s;<>=!~\[]", r, maxsplit=1)[0] == "betterproto2"]
    check(
        bool(betterproto) and all("extra ==" in r and "pure" in r for r in betterproto),
        f"betterproto2 is required only by the 'pure' extra ({betterproto})",
    )


def check_pure_decoder(frame: bytes) -> None:
    try:
        import betterproto2  # noqa: F401
    except ImportError:
        have_extra = False
    else:
        have_extra = sys.version_info >= (3, 10)
    if have_extra:
        from pytiktoklive import _pure

        rust = pytiktoklive.decode_frame(frame)
        pure = _pure.decode_frame(frame, pytiktoklive.decoding.DEFAULT_MAX_INFLATED_SIZE)
        check(list(pure.events) == list(rust.events), "the pure-Python decoder agrees with the Rust core")
        return
    try:
        importlib.import_module("pytiktoklive._pure")
    except ImportError as exc:
        check("Python >= 3.10" in str(exc) or "betterproto2" in str(exc), f"_pure without the extra: {exc}")
    else:
        check(False, "_pure without the extra: expected ImportError")
    forced = subprocess.run(
        [sys.executable, "-c", "import pytiktoklive"],
        env={**os.environ, "PYTIKTOKLIVE_PURE": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    last_line = (forced.stderr.strip().splitlines() or [""])[-1]
    check(
        forced.returncode != 0 and "pytiktoklive[pure]" in last_line,
        f"PYTIKTOKLIVE_PURE=1 without the extra: a clear ImportError ({last_line})",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", type=Path, help="the repaired real PushFrame (shared/captures/…)")
    arguments = parser.parse_args()
    print(f"pytiktoklive {pytiktoklive.__version__} on Python {sys.version.split()[0]}")

    check_installation()
    frame = check_decoding(arguments.capture)
    check_outbound_frames()
    asyncio.run(simulated_live())
    check_dependencies()
    check_pure_decoder(frame)

    print("smoke:", f"FAILED {len(failures)}: " + "; ".join(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
