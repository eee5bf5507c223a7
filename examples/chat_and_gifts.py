"""Print a LIVE's chat and its finished gift streaks until the LIVE ends.

    python examples/chat_and_gifts.py USER

Every example here talks to TikTok unless the environment points it elsewhere; against the
local simulator (the code does not change, only the configuration):

    pytiktoklive simulate --port 8080 --speed 2 &
    PYTIKTOKLIVE_ENDPOINT=http://127.0.0.1:8080 python examples/chat_and_gifts.py demo_user
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pytiktoklive import ChatEvent, GiftStreak, TikTok, TikTokLiveError


async def watch(username: str) -> None:
    # TikTok() takes its endpoints from Endpoints.from_env(): PYTIKTOKLIVE_ENDPOINT, else TikTok.
    async with TikTok() as tiktok, await tiktok.track_user(username) as live:
        print(f"Watching @{live.username}: {live.info.title}")

        @live.on(ChatEvent)
        def on_chat(event: ChatEvent) -> None:
            sender = event.user.username if event.user else "?"
            print(f"chat  @{sender}: {event.comment}")

        # A streak of 5 roses arrives as 5 GiftEvents with a growing repeat_count; this runs once,
        # when the streak is over, with its final count (counting every event would give 15).
        @live.on_gift_streak_end
        def on_gift(streak: GiftStreak) -> None:
            sender = streak.user.username if streak.user else "?"
            print(f"gift  @{sender} sent {streak.count} x {streak.name} ({streak.total_cost} coins)")

        await live.run()  # runs the handlers on every event; returns when the LIVE ends
        print("The LIVE has ended.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("user", help="a username, @username or LIVE URL")
    args = parser.parse_args()
    try:
        asyncio.run(watch(args.user))
    except KeyboardInterrupt:  # Ctrl-C: the room was closed on the way out
        return 130
    except TikTokLiveError as exc:  # not live, unknown user, blocked, a room lost for good, ...
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
