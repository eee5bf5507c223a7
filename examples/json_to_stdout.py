"""Print a LIVE's events as JSON lines, for jq, a log shipper or any other program.

    python examples/json_to_stdout.py USER | jq -r 'select(.type == "ChatEvent") | .data.comment'

Each line is {"type", "username", "room_id", "data": event.to_dict()}, the shape of
`pytiktoklive watch --json`. Against the simulator (configuration only):

    pytiktoklive simulate --port 8080 --speed 2 &
    PYTIKTOKLIVE_ENDPOINT=http://127.0.0.1:8080 python examples/json_to_stdout.py demo_user
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from pytiktoklive import TikTok, TikTokLiveError


async def stream(username: str) -> None:
    async with TikTok() as tiktok, await tiktok.track_user(username) as live:
        async for event in live.events:  # ends when the LIVE ends
            record = {
                "type": type(event).__name__,  # the class says what the event is; data has its fields
                "username": live.username,
                "room_id": live.room_id,
                "data": event.to_dict(),  # JSON-ready: bytes are already base64 text
            }
            # One object per line, flushed at once, so the reader sees each event as it happens
            # rather than in 8 KiB blocks. Only JSON goes to stdout; logging writes to stderr.
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("user", help="a username, @username or LIVE URL")
    args = parser.parse_args()
    try:
        asyncio.run(stream(args.user))
    except KeyboardInterrupt:  # Ctrl-C: the room was closed on the way out
        return 130
    except BrokenPipeError:
        # The reader went away (`| head -n 5`): a normal end for a pipeline. Point stdout at
        # devnull so the interpreter's own flush at exit does not fail again (Python's docs on SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except TikTokLiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
