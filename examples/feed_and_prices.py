"""List recommended LIVEs (TikTok's feed) and the coin price list.

    python examples/feed_and_prices.py [--limit 10]

Against the simulator (configuration only):

    pytiktoklive simulate --port 8080 &
    PYTIKTOKLIVE_ENDPOINT=http://127.0.0.1:8080 python examples/feed_and_prices.py
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pytiktoklive import LiveStream, TikTok, TikTokLiveError


async def show(limit: int) -> None:
    async with TikTok() as tiktok:
        feed = tiktok.new_feed()
        streams: list[LiveStream] = []
        # Page by page, only as far as needed (each page is one request); `async for stream in
        # feed` would walk every page.
        while feed.has_more and len(streams) < limit:
            streams += await feed.next()
        print(f"Recommended LIVEs ({len(streams[:limit])}):")
        for stream in streams[:limit]:
            info = stream.info
            host = f"@{info.owner.username}"
            print(f"  room {stream.room_id}  {host:<21} {info.viewers:>9,} viewers  {info.title}")
        # `await stream.track()` would follow one of them, like tiktok.track_room(stream.room_id).

        prices = await tiktok.get_price_list()  # TikTok picks the currency from the client's IP
        print(f"Coin prices ({prices.currency}):")
        for item in prices.items:
            # Prices are in cents: `price` in US dollars, `exchange_price` in the local currency.
            local = f"{item.exchange_price / 100:>9.2f} {item.currency}"
            print(f"  {item.diamond_count:>7,} coins  {item.price / 100:>9.2f} USD  {local}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10, help="how many LIVEs to list (default 10)")
    args = parser.parse_args()
    try:
        asyncio.run(show(args.limit))
    except TikTokLiveError as exc:  # rate limited, captcha, blocked IP, ...
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
