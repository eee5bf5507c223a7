"""Mirror of ``TikTokLive.client.logger``: :class:`LogLevel`.

``client.logger.setLevel(LogLevel.INFO.value)`` works as with TikTokLive.
"""

from __future__ import annotations

import enum
import logging

__all__ = ["LogLevel"]


class LogLevel(enum.Enum):
    """The ``logging`` levels by name."""

    CRITICAL = logging.CRITICAL
    ERROR = logging.ERROR
    WARNING = logging.WARNING
    INFO = logging.INFO
    DEBUG = logging.DEBUG
    NOTSET = logging.NOTSET
