"""The HTTP polling transport: ``im/fetch`` at the server's ``fetch_interval``.

Used when the server offers no websocket, or refuses the handshake. Each
poll resumes from the protocol's cursor and ``internal_ext``; polls are not
signed. Like the websocket transport, it awaits ``deliver`` before polling
again (that is the backpressure), returns when the live has ended and raises
on a failed poll, leaving retries to :mod:`pytiktoklive._session`. It runs in
the room's own task: ``track_room`` has long returned.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, List, Mapping

from pytiktoklive._log import Reporter
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive.events import Event

__all__ = ["run_polling"]

Deliver = Callable[[List[Event]], Awaitable[None]]
Poll = Callable[[Mapping[str, str]], Awaitable[bytes]]


async def run_polling(
    protocol: WebcastProtocol,
    poll: Poll,
    deliver: Deliver,
    reporter: Reporter,
    label: str,
    *,
    poll_first: bool = True,
) -> None:
    """Poll until the live ends (return) or a poll fails (raise: HTTP error or DecodeError).

    A malformed body raises too: the cursor did not move, so the retry asks for
    the same events again and none is lost.
    """
    reporter.info("%s: polling every %.1fs", label, protocol.fetch_interval)
    if not poll_first:
        await asyncio.sleep(protocol.fetch_interval)
    while True:
        body = await poll(protocol.fetch_params())
        protocol.receive_fetch_result(body)
        events = protocol.events_received()
        if events:
            reporter.debug("%s: polled %d events, cursor %s", label, len(events), protocol.cursor)
            await deliver(events)
        if protocol.ended:
            return
        await asyncio.sleep(protocol.fetch_interval)
