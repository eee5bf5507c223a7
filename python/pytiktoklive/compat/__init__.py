"""A drop-in replacement for the ``TikTokLive`` package (7.x API), on pytiktoklive.

Change only the imports::

    from pytiktoklive.compat import TikTokLiveClient            # was: from TikTokLive import …
    from pytiktoklive.compat.events import CommentEvent, GiftEvent, ConnectEvent
    from pytiktoklive.compat.errors import UserOfflineError     # or .client.errors, as in TikTokLive

    client = TikTokLiveClient(unique_id="@someone")

    @client.on(CommentEvent)
    async def on_comment(event: CommentEvent) -> None:
        print(event.user.nickname, event.comment)

    client.run()

Events are views over pytiktoklive's decoded events (``event.native``); the
connection is a :class:`pytiktoklive.TikTok` (``client.tiktok``), so reconnects,
polling fallback and the Rust decoder come for free. ``endpoints=`` points the
client elsewhere, e.g. at the simulator: ``TikTokLiveClient("demo_user",
endpoints=sim.endpoints)``. Differences from TikTokLive are listed in
``pytiktoklive.compat.events`` and ``pytiktoklive.compat.client.client``.
"""

from __future__ import annotations

from pytiktoklive.compat import errors, events
from pytiktoklive.compat.client.client import TikTokLiveClient
from pytiktoklive.compat.client.logger import LogLevel

__all__ = ["LogLevel", "TikTokLiveClient", "errors", "events"]
