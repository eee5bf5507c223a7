"""Mirror of ``TikTokLive.client.errors``: the classes of :mod:`pytiktoklive.compat.errors`."""

from __future__ import annotations

from pytiktoklive.compat.errors import *  # noqa: F403
from pytiktoklive.compat.errors import __all__ as __all__
