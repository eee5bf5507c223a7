"""Gift streaks: one result per streak, with its final count.

TikTok sends a streakable gift (``GiftEvent.type == 1``) several times while
the viewer keeps tapping, each time with the running ``repeat_count``; the last
one has ``repeat_end``. Other gifts arrive once. Counting every event would
count a streak of 5 roses as 1 + 2 + 3 + 4 + 5. :class:`GiftStreaks` follows
the streaks and yields each one once, when it is over::

    streaks = GiftStreaks()
    async for event in live:
        streak = streaks.feed(event)
        if streak:
            print(f"{streak.user.nickname} sent {streak.count} x {streak.name} ({streak.total_cost} coins)")

or simply ``live.on_gift_streak_end(handler)``.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Optional, OrderedDict, Tuple

from pytiktoklive.events import Event, GiftEvent, User

__all__ = ["GiftStreak", "GiftStreaks"]

_StreakKey = Tuple[int, int, int]


@dataclass(frozen=True)
class GiftStreak:
    """A finished gift streak (or a single non-streakable gift)."""

    first: GiftEvent
    last: GiftEvent

    @property
    def user(self) -> Optional[User]:
        return self.last.user

    @property
    def gift_id(self) -> int:
        return self.last.id

    @property
    def name(self) -> str:
        return self.last.name or self.first.name

    @property
    def count(self) -> int:
        """How many gifts the streak added up to (``repeat_count`` of its last event, at least 1)."""
        return max(self.last.repeat_count, 1)

    @property
    def cost(self) -> int:
        """Coins per gift."""
        return self.last.cost or self.first.cost

    @property
    def total_cost(self) -> int:
        """Coins of the whole streak: ``cost * count``."""
        return self.cost * self.count


def _key(event: GiftEvent) -> _StreakKey:
    return (event.user.id if event.user else 0, event.id, event.group_id)


class GiftStreaks:
    """Feed it events; it returns a :class:`GiftStreak` when one is over.

    At most ``max_open`` streaks are followed at once; when TikTok never sends
    the end of a streak, the oldest open one is forgotten (``abandoned`` counts them).
    """

    def __init__(self, max_open: int = 10_000) -> None:
        self.max_open = max_open
        self._open: OrderedDict[_StreakKey, GiftEvent] = collections.OrderedDict()
        self.abandoned = 0

    def __len__(self) -> int:
        """Streaks in progress."""
        return len(self._open)

    def feed(self, event: Event) -> Optional[GiftStreak]:
        """Take any event; return the streak it finishes, if any."""
        if not isinstance(event, GiftEvent):
            return None
        if not event.streakable:
            return GiftStreak(event, event)
        key = _key(event)
        if event.repeat_end:
            first = self._open.pop(key, event)
            return GiftStreak(first, event)
        if key not in self._open:
            self._open[key] = event
            if len(self._open) > self.max_open:
                self._open.popitem(last=False)
                self.abandoned += 1
        return None
