"""Mirror of ``TikTokLive.client``: its ``client``, ``errors``, ``logger`` and ``web`` modules."""

from __future__ import annotations

from pytiktoklive.compat.client.client import TikTokLiveClient

__all__ = ["TikTokLiveClient"]
