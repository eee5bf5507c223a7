"""TikTokLive 7.x's decoder on frames read from stdin, for ``e2e.py --tiktoklive``.

Runs in ``.venv-bench`` (``scripts/bench.sh`` creates it; TikTokLive pins a betterproto2 that
cannot share a process with ours). Input: frames, each prefixed by its length (4 bytes, big
endian). Each frame goes through TikTokLive's own path, as ``test_decode_tiktoklive.py``
describes (PushFrame, gunzip + FetchResult, the client's ``_parse_webcast_response``).
Prints one JSON object: events per CPU-second.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import time
import warnings
from typing import Any, Callable, List

with warnings.catch_warnings():  # websockets.legacy, used by TikTokLive, warns on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import TikTokLive
    from TikTokLive.client.ws.ws_utils import extract_webcast_response_message
    from TikTokLive.events.proto_events import EVENT_MAPPINGS
    from TikTokLive.proto import WebcastPushFrame

_PROTO_EVENT_TYPES = frozenset(EVENT_MAPPINGS.values())


def _drain(events: Any) -> List[Any]:
    """The items of an async generator that never suspends, without an event loop."""
    out = []
    while True:
        try:
            events.__anext__().send(None)
        except StopIteration as done:
            out.append(done.value)
        except StopAsyncIteration:
            return out


def frame_decoder(client: Any) -> Callable[[bytes], int]:
    """Decode one websocket message the way ``client`` (a ``TikTokLiveClient``) does; return how
    many proto events it made. Also used by ``test_decode_tiktoklive.py``."""
    parse_response = client._parse_webcast_response

    def decode(frame: bytes) -> int:
        push_frame = WebcastPushFrame().parse(frame)
        if push_frame.payload_type != "msg":
            return 0
        events = _drain(parse_response(extract_webcast_response_message(push_frame)))
        # One proto event per message (custom and WebsocketResponseEvent wrappers come on top).
        return sum(1 for event in events if type(event) in _PROTO_EVENT_TYPES)

    return decode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    arguments = parser.parse_args()
    data = sys.stdin.buffer.read()
    frames = []
    position = 0
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        frames.append(data[position + 4 : position + 4 + length])
        position += 4 + length
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = TikTokLive.TikTokLiveClient(unique_id="bench_user")
    decode = frame_decoder(client)
    events = 0
    began = time.process_time()
    while time.process_time() - began < arguments.seconds:
        for frame in frames:
            events += decode(frame)
    cpu = time.process_time() - began
    print(
        json.dumps(
            {
                "decode_events_per_cpu_second": round(events / cpu, 1),
                "version": importlib.metadata.version("TikTokLive"),
            }
        )
    )


if __name__ == "__main__":
    main()
