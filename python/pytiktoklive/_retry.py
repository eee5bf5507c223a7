"""When to try again: reconnect backoff and ``Retry-After``.

Pure functions of their inputs (the random source is a parameter), so the
policy is tested without clocks.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional

__all__ = ["DEFAULT_RECONNECT", "ReconnectPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a room reconnects after its connection drops or a poll fails.

    The n-th consecutive failure waits ``min(max_delay, initial_delay * multiplier**(n-1))``
    seconds, minus up to ``jitter`` of it at random (so hundreds of rooms dropped
    at once do not reconnect in lockstep), and never less than a server's
    ``Retry-After``. After ``max_attempts`` consecutive failures (None: never)
    the room gives up with :class:`~pytiktoklive.errors.ConnectionFailedError`.
    A connection that received frames resets the count.
    """

    max_attempts: Optional[int] = 10
    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ValueError("max_attempts must be >= 0 or None")
        if self.initial_delay < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise ValueError("delays must be >= 0 and multiplier >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def gives_up(self, failures: int) -> bool:
        """True when ``failures`` consecutive failures exhaust the policy."""
        return self.max_attempts is not None and failures > self.max_attempts

    def delay(
        self,
        failures: int,
        *,
        retry_after: Optional[float] = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before the attempt that follows ``failures`` consecutive failures."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** max(failures - 1, 0))
        jittered = base * (1.0 - self.jitter * rand())
        return max(jittered, retry_after or 0.0)


#: The policy rooms use unless told otherwise.
DEFAULT_RECONNECT = ReconnectPolicy()


def parse_retry_after(value: Optional[str], *, now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)
