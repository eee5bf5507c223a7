"""Helpers for the client's tests against the simulator (real sockets on loopback).

``Recorder`` is a :class:`TikTok` that keeps everything it reports; ``collect``
consumes a room with a guard that turns a hang into a clear failure; ``emitted``
is what the room really sent, to compare with what the client delivered.
"""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional, Tuple

import pytest
from pytiktoklive import TikTok
from pytiktoklive._retry import ReconnectPolicy
from pytiktoklive.errors import TikTokLiveError
from pytiktoklive.events import Event
from pytiktoklive.live import Live
from pytiktoklive.simulator import SimRoom, Simulator

#: Seconds after which a stuck test fails with a message instead of the 120 s pytest timeout.
HANG_GUARD = 30.0
#: Reconnect at once: tests wait for outcomes, never for clocks.
FAST = ReconnectPolicy(max_attempts=6, initial_delay=0.01, max_delay=0.05, jitter=0.0)


class Recorder:
    """A :class:`TikTok` for one test that records every message of its four report channels."""

    def __init__(self, sim: Simulator, **options: Any) -> None:
        options.setdefault("reconnect", FAST)
        self.tiktok = TikTok(sim.endpoints, **options)
        self.debug: List[str] = []
        self.info: List[str] = []
        self.warnings: List[str] = []
        self.errors: List[BaseException] = []
        self.tiktok.set_debug_handler(self.debug.append)
        self.tiktok.set_info_handler(self.info.append)
        self.tiktok.set_warn_handler(self.warnings.append)
        self.tiktok.set_error_handler(self.errors.append)

    def everything(self) -> str:
        """Every reported message, one per line (errors as their text)."""
        return "\n".join([*self.debug, *self.info, *self.warnings, *(str(error) for error in self.errors)])

    async def __aenter__(self) -> Recorder:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.tiktok.aclose()


async def guarded(awaitable: Any, what: str = "the operation") -> Any:
    try:
        return await asyncio.wait_for(awaitable, HANG_GUARD)
    except asyncio.TimeoutError:
        pytest.fail(f"{what} hung")


async def collect(live: Live) -> Tuple[List[Event], Optional[TikTokLiveError]]:
    """Every event until the stream ends, and the typed error that ended it (if any)."""

    async def run() -> Tuple[List[Event], Optional[TikTokLiveError]]:
        events: List[Event] = []
        try:
            async for event in live.events:
                events.append(event)
        except TikTokLiveError as exc:
            return events, exc
        return events, None

    result: Tuple[List[Event], Optional[TikTokLiveError]] = await guarded(run(), f"{live!r}'s stream")
    return result


def emitted(room: SimRoom) -> List[int]:
    """The msg_id of every message the room sent, in order."""
    return [message.msg_id for message in room.messages]


def ids_of(events: List[Event]) -> List[int]:
    return [event.msg_id for event in events]
