"""The fleet's errors: part of the one tree under :class:`~pytiktoklive.errors.TikTokLiveError`.

::

    TikTokLiveError
    └── FleetError                     anything the fleet reports
        ├── RedisURLError (also ValueError)  the Redis URL cannot be used
        ├── RedisUnavailableError      Redis cannot be reached (or answered with an error)
        └── LeaseLostError             this worker no longer holds the room: it must not write
"""

from __future__ import annotations

from pytiktoklive.errors import TikTokLiveError

__all__ = ["FleetError", "LeaseLostError", "RedisURLError", "RedisUnavailableError"]


class FleetError(TikTokLiveError):
    """Base class of the fleet's errors."""


class RedisURLError(FleetError, ValueError):
    """The Redis URL is malformed or names an unsupported scheme."""


class RedisUnavailableError(FleetError):
    """Redis could not be reached, or failed a command."""


class LeaseLostError(FleetError):
    """The room's lease is held by someone else (or expired): this worker's writes were refused."""

    def __init__(self, message: str, *, room: str = "") -> None:
        super().__init__(message)
        self.room = room
