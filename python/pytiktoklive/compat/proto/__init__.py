"""Mirror of ``TikTokLive.proto`` for the classes user code names: see :mod:`.custom_proto`.

TikTokLive re-exports its generated protobuf classes here; pytiktoklive has its own
decoded events instead (:mod:`pytiktoklive.events`), so only the extended types exist.
"""

from __future__ import annotations

from pytiktoklive.compat.proto.custom_proto import ControlAction, ExtendedGift, ExtendedUser

__all__ = ["ControlAction", "ExtendedGift", "ExtendedUser"]
