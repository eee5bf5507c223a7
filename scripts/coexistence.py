"""pytiktoklive and TikTokLive 7.0.1 in one environment (run by scripts/check-coexistence.sh).

    python scripts/coexistence.py [--capture FRAME.bin]

In a venv holding both (the pytiktoklive wheel, TikTokLive 7.0.1 from PyPI with its betterproto2
0.9), checks that:

* both import, in one process, each with its own protobuf code (TikTokLive's betterproto2 0.9
  classes; pytiktoklive's Rust core, betterproto2 untouched);
* both decode the same frame to the same messages: the real repaired PushFrame of
  shared/captures (``--capture``), else a frame encoded by the simulator;
* both clients follow the same simulated LIVE (``demo_user`` of a ``pytiktoklive simulate``
  process) over the websocket, at the same time: pytiktoklive by ``Endpoints``, TikTokLive by its
  own host configuration (``WebDefaults``: www, webcast and sign server URLs).

Standard library and the two packages only.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import re
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, List, Optional, Tuple

failures: List[str] = []


def check(condition: bool, what: str) -> None:
    print(("  ok    " if condition else "  FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)


with warnings.catch_warnings():  # TikTokLive imports websockets.legacy, which warns
    warnings.simplefilter("ignore", DeprecationWarning)
    import TikTokLive
    from TikTokLive.client.web.web_settings import WebDefaults
    from TikTokLive.client.ws.ws_utils import extract_webcast_response_message
    from TikTokLive.events import CommentEvent, ConnectEvent, LikeEvent
    from TikTokLive.proto import WebcastPushFrame

# After TikTokLive on purpose: the order a program migrating one module at a time would have.
import pytiktoklive  # noqa: E402
from pytiktoklive import ChatEvent, Endpoints, TikTok  # noqa: E402
from pytiktoklive import LikeEvent as NativeLikeEvent  # noqa: E402


def check_imports() -> None:
    versions = {
        name: importlib.metadata.version(name) for name in ("TikTokLive", "betterproto2", "pytiktoklive")
    }
    print(f"        {versions}")
    check(versions["TikTokLive"] == "7.0.1", "TikTokLive 7.0.1 imports")
    check(versions["betterproto2"].startswith("0.9."), "betterproto2 is TikTokLive's 0.9")
    check(pytiktoklive.backend() == "rust", "pytiktoklive imports and decodes with its Rust core")
    check(TikTokLive.TikTokLiveClient is not None, "TikTokLive's client class is there")


def simulated_frame() -> bytes:
    """A ``msg`` PushFrame holding one like message, encoded by the simulator (no capture here)."""
    from pytiktoklive.simulator.proto import pb

    like = pb.LikeMessage(common=pb.Common(method="WebcastLikeMessage", msg_id=42), count=15, total=14470)
    message = pb.Message(method="WebcastLikeMessage", payload=bytes(like), msg_id=42)
    result = pb.FetchResult(messages=[message], cursor="1_2_1_1_0_0", need_ack=True)
    return bytes(pb.PushFrame(log_id=7, payload_encoding="pb", payload_type="msg", payload=bytes(result)))


def check_same_frame(frame: bytes, source: str) -> None:
    ours = pytiktoklive.decode_frame(frame)
    theirs = extract_webcast_response_message(WebcastPushFrame().parse(frame))
    our_likes = [(event.method, event.likes, event.total_likes) for event in ours.events]
    their_likes = []
    for message in theirs.messages:
        event = LikeEvent().parse(message.payload)
        their_likes.append((message.method, event.count, event.total))
    print(f"        {source}: pytiktoklive {our_likes}; TikTokLive {their_likes}")
    check(bool(our_likes) and our_likes == their_likes, f"both decode {source} to the same like messages")
    check(ours.cursor == theirs.cursor, "and the same cursor")


def start_simulator() -> Tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytiktoklive", "simulate", "--port", "0", "--speed", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            return process, found.group(1)
    process.wait()
    raise SystemExit(f"the simulator did not start (exit {process.returncode})")


async def follow_with_pytiktoklive(base_url: str) -> Counter[str]:
    kinds: Counter[str] = Counter()
    async with TikTok(Endpoints.at(base_url)) as tiktok:
        live = await tiktok.track_user("demo_user")
        async with live:
            async for event in live.events:
                kinds[type(event).__name__] += 1
        kinds["transport:" + live.transport] += 1
        kinds["ended"] += live.ended
    return kinds


async def follow_with_tiktoklive(base_url: str) -> Counter[str]:
    WebDefaults.tiktok_app_url = base_url
    WebDefaults.tiktok_webcast_url = base_url + "/webcast"
    WebDefaults.tiktok_sign_url = base_url + "/signer"
    kinds: Counter[str] = Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client: Any = TikTokLive.TikTokLiveClient(unique_id="demo_user")

    @client.on(ConnectEvent)
    async def connected(_: ConnectEvent) -> None:
        kinds["ConnectEvent"] += 1

    @client.on(CommentEvent)
    async def comment(_: CommentEvent) -> None:
        kinds["CommentEvent"] += 1

    @client.on(LikeEvent)
    async def like(_: LikeEvent) -> None:
        kinds["LikeEvent"] += 1

    task = await client.start(fetch_room_info=True)
    try:
        await task  # ends when the simulated LIVE ends and the server closes the websocket
    finally:
        await client.disconnect()
    return kinds


async def follow_both(base_url: str) -> None:
    ours, theirs = await asyncio.wait_for(
        asyncio.gather(follow_with_pytiktoklive(base_url), follow_with_tiktoklive(base_url)), 90
    )
    print(f"        pytiktoklive: {dict(sorted(ours.items()))}")
    print(f"        TikTokLive:   {dict(sorted(theirs.items()))}")
    check(
        ours["transport:websocket"] == 1 and ours["ended"] == 1 and ours[ChatEvent.__name__] > 0,
        "pytiktoklive followed the simulated LIVE to its end over the websocket",
    )
    check(ours[NativeLikeEvent.__name__] > 0, "pytiktoklive saw likes")
    check(
        theirs["ConnectEvent"] == 1 and theirs["CommentEvent"] > 0 and theirs["LikeEvent"] > 0,
        "TikTokLive's client followed the same LIVE (connect, comments, likes)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", type=Path, help="the repaired real PushFrame (shared/captures/…)")
    arguments = parser.parse_args()
    print(f"Python {sys.version.split()[0]}")

    check_imports()
    capture: Optional[Path] = arguments.capture
    if capture is not None and capture.is_file():
        check_same_frame(capture.read_bytes(), "the real captured PushFrame")
    else:
        print("        no real capture given: a frame encoded by the simulator stands in")
        check_same_frame(simulated_frame(), "a simulator-encoded PushFrame")

    process, base_url = start_simulator()
    try:
        asyncio.run(follow_both(base_url))
    finally:
        process.terminate()
        process.wait(10)

    print(
        "coexistence:", f"FAILED {len(failures)}: " + "; ".join(failures) if failures else "all checks passed"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
