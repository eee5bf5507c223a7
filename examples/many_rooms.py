"""Follow many LIVEs at once: count each room's events, list the users that could not be tracked.

    python examples/many_rooms.py USER [USER ...] [--seconds 600]

Against the simulator (configuration only):

    pytiktoklive simulate --port 8080 --speed 2 &
    PYTIKTOKLIVE_ENDPOINT=http://127.0.0.1:8080 \
        python examples/many_rooms.py demo_user polling_user offline_user nobody_here
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import sys
from typing import Optional

from pytiktoklive import LiveGroup, TikTok


async def count_events(group: LiveGroup, counts: collections.Counter[str]) -> None:
    async for live, _event in group:  # every room's events, merged, as they arrive
        counts[live.username] += 1


async def follow(usernames: list[str], seconds: Optional[float]) -> int:
    async with TikTok() as tiktok:
        # Lookups run 8 at a time (TikTok rate-limits bursts). Each room buffers at most 256 events
        # and the merged stream 1000, so memory stays flat however many rooms there are: a slow
        # loop slows the reading down (and logs it) instead of growing or dropping events.
        group = await tiktok.track_many(
            usernames, concurrency=8, max_buffered_events=256, group_buffer=1000, fetch_gift_info=False
        )
        # Offline, unknown or blocked users land here instead of failing the whole call.
        for name, reason in group.failures.items():
            print(f"not tracked  @{name}: {type(reason).__name__}: {reason}")
        counts = collections.Counter({name: 0 for name in group.lives})
        async with group:  # closes every room however we leave
            # Real LIVEs run for hours: stop after --seconds, or when every room has ended.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(count_events(group, counts), seconds)
            for name, count in counts.most_common():
                state = "ended" if group.lives[name].ended else "still live"
                print(f"@{name:<24} {count:>8,} events  ({state})")
        print(f"{len(group.lives)} rooms tracked, {len(group.failures)} not tracked")
        return 0 if group.lives else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("users", nargs="+", help="usernames, @usernames or LIVE URLs")
    parser.add_argument("--seconds", type=float, help="stop after this long (default: when all end)")
    args = parser.parse_args()
    try:
        return asyncio.run(follow(args.users, args.seconds))
    except KeyboardInterrupt:  # Ctrl-C: every room was closed on the way out
        return 130


if __name__ == "__main__":
    sys.exit(main())
