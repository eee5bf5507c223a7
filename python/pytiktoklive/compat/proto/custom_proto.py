"""Mirror of ``TikTokLive.proto.custom_proto``: ``ExtendedUser``, ``ExtendedGift``, ``ControlAction``."""

from __future__ import annotations

from pytiktoklive.compat.events import ControlAction, ExtendedGift, ExtendedUser

__all__ = ["ControlAction", "ExtendedGift", "ExtendedUser"]
