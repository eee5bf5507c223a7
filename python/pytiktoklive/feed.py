"""TikTok's feed of recommended LIVEs, page by page.

::

    feed = tiktok.new_feed()
    page = await feed.next()          # a list of LiveStream; NoMoreFeedItemsError at the end
    async for stream in feed:         # or every stream of every remaining page
        live = await stream.track()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator, List

from pytiktoklive.errors import NoMoreFeedItemsError
from pytiktoklive.models import LiveStream

if TYPE_CHECKING:
    from pytiktoklive._discovery import Discovery
    from pytiktoklive.client import TikTok

__all__ = ["Feed"]


class Feed:
    """Pages of ``webcast/feed``. ``streams`` keeps every stream seen so far."""

    def __init__(self, client: TikTok, discovery: Discovery) -> None:
        self._client = client
        self._discovery = discovery
        self._max_time = 0
        #: More pages are available.
        self.has_more = True
        #: Every stream returned so far, in order.
        self.streams: List[LiveStream] = []

    async def next(self) -> List[LiveStream]:
        """The next page of streams; :class:`~pytiktoklive.errors.NoMoreFeedItemsError` once exhausted."""
        if not self.has_more:
            raise NoMoreFeedItemsError("the feed has no more pages")
        items, has_more, max_time = await self._discovery.feed_page(self._max_time)
        # Without a new paging position the same page would come back forever.
        self.has_more = has_more and bool(max_time) and max_time != self._max_time
        self._max_time = max_time
        page = [LiveStream.from_raw(item, self._client) for item in items]
        self.streams.extend(page)
        return page

    def __aiter__(self) -> AsyncIterator[LiveStream]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[LiveStream]:
        while self.has_more:
            for stream in await self.next():
                yield stream
