"""One room's reading task: pick a transport, reconnect, resume, finish.

:class:`RoomSession` runs in its own asyncio task (one per :class:`~pytiktoklive.live.Live`):

1. deliver the first fetch's events (``track_room`` has already returned, so
   a huge first batch cannot deadlock it: it just waits for the consumer);
2. read through the websocket when the server offers one, else poll;
3. when the connection drops or a poll fails, wait (exponential backoff with
   jitter, at least the server's ``Retry-After``) and resume from the last
   cursor; the protocol drops any event delivered before, so every event
   arrives exactly once, in order;
4. a refused websocket handshake, or repeated websocket failures, switch to
   polling; when reconnects keep failing, ``room/check_alive`` tells a live
   that ended without a control event from a network problem (polls then collect
   the "tail", what the live said while the room was disconnected, batch after
   batch until the end control event, an empty batch or a cursor that stops moving;
   a tail that cannot be read ends the room with
   :class:`~pytiktoklive.errors.EventsMissingError`, never silently);
5. finish: close the buffer (normally, or with the error that ended the room).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable, List, Mapping, Optional

from websockets.exceptions import ConnectionClosed

from pytiktoklive._buffer import EventBuffer
from pytiktoklive._log import Reporter
from pytiktoklive._polling import Poll, run_polling
from pytiktoklive._protocol import WebcastProtocol
from pytiktoklive._retry import DEFAULT_RECONNECT, ReconnectPolicy
from pytiktoklive._websocket import ConnectionDropped, WebsocketOptions, run_websocket
from pytiktoklive.errors import (
    ConnectionFailedError,
    DecodeError,
    EventsMissingError,
    RequestError,
    TLSVerificationError,
    WebsocketRejectedError,
)
from pytiktoklive.events import Event

__all__ = ["RoomSession", "SessionSettings"]

# Failures worth another attempt: network errors, dropped or stalled connections,
# failed polls (HTTP errors, rate limits), and undecodable poll bodies.
_RETRYABLE = (OSError, asyncio.TimeoutError, ConnectionDropped, ConnectionClosed, RequestError, DecodeError)
#: Attempts at each poll of the tail before the room ends with EventsMissingError.
TAIL_ATTEMPTS = 3
#: Polls of the tail at most (servers cap a batch at ~100 messages: 1000 polls cover the
#: longest disconnection a room survives); a tail still going on after them is reported.
MAX_TAIL_POLLS = 1000


@dataclass(frozen=True)
class SessionSettings:
    """Transport choices of a room."""

    websocket: bool = True
    polling: bool = True
    reconnect: ReconnectPolicy = DEFAULT_RECONNECT
    #: Consecutive websocket failures after which a room falls back to polling.
    websocket_failures_before_polling: int = 3


class RoomSession:
    """Reads one room into its buffer until the live ends, the room is closed, or reading fails for good."""

    def __init__(
        self,
        protocol: WebcastProtocol,
        buffer: EventBuffer,
        *,
        settings: SessionSettings,
        reporter: Reporter,
        label: str,
        poll: Poll,
        check_alive: Callable[[int], Awaitable[Optional[bool]]],
        websocket_url_params: Mapping[str, str],
        websocket_options: Callable[[str], WebsocketOptions],
    ) -> None:
        self.protocol = protocol
        self.buffer = buffer
        self.settings = settings
        self.reporter = reporter
        self.label = label
        self._poll = poll
        self._check_alive = check_alive
        self._websocket_url_params = websocket_url_params
        self._websocket_options = websocket_options
        #: "websocket" or "polling": the transport in use (or last used).
        self.transport = ""
        #: The live ended (by a control event, or check_alive said so after the connection was lost).
        self.ended = False
        self.reconnects = 0

    async def _deliver(self, events: List[Event]) -> None:
        for event in events:
            if not await self.buffer.put(event):
                return  # closed by its owner

    async def run(self, first_events: List[Event]) -> None:
        """The room task's body. Never raises except on cancellation: errors end the buffer."""
        try:
            await self._deliver(first_events)
            if not self.protocol.ended:
                await self._read_until_the_end()
            self.ended = True
            self.reporter.info("%s: the LIVE has ended", self.label)
            self.buffer.close()
        except asyncio.CancelledError:
            self.buffer.close()
            raise
        except Exception as exc:
            self.reporter.warn("%s: stopped reading: %s", self.label, exc)
            self.buffer.close(exc)

    async def _read_until_the_end(self) -> None:
        use_websocket = self.settings.websocket and self.protocol.websocket_offered
        if not use_websocket and not self.settings.polling:
            raise ConnectionFailedError(
                f"{self.label}: the server offered no websocket and polling is disabled"
            )
        failures = 0
        websocket_failures = 0
        while not self.protocol.ended:
            batches_before = self.protocol.batches_received
            try:
                if use_websocket:
                    self.transport = "websocket"
                    url = self.protocol.websocket_url(self._websocket_url_params)
                    await run_websocket(
                        self.protocol,
                        url,
                        self._websocket_options(url),
                        self._deliver,
                        self.reporter,
                        self.label,
                    )
                else:
                    # Right after the first fetch, wait one interval; after a failure or a
                    # refused websocket, the wait is over: poll at once.
                    poll_first = self.transport != ""
                    self.transport = "polling"
                    await run_polling(
                        self.protocol,
                        self._poll,
                        self._deliver,
                        self.reporter,
                        self.label,
                        poll_first=poll_first,
                    )
                return
            except WebsocketRejectedError as exc:
                if not self.settings.polling:
                    raise
                self.reporter.warn("%s: %s; falling back to HTTP polling", self.label, exc)
                use_websocket = False
                continue
            except TLSVerificationError:
                raise  # every attempt would fail the same way
            except _RETRYABLE as exc:
                if self.buffer.closed:
                    return
                if self.protocol.batches_received != batches_before:
                    failures = websocket_failures = 0  # that connection worked for a while
                failures += 1
                if use_websocket:
                    websocket_failures += 1
                if failures >= 2 and await self._has_ended():
                    return
                if self.settings.reconnect.gives_up(failures):
                    raise ConnectionFailedError(
                        f"{self.label}: gave up after {failures} failed attempts; last error: {exc}"
                    ) from exc
                lost = "connection lost" if use_websocket else "poll failed"  # before any switch below
                if (
                    use_websocket
                    and self.settings.polling
                    and websocket_failures >= self.settings.websocket_failures_before_polling
                ):
                    self.reporter.warn(
                        "%s: the websocket keeps failing; switching to HTTP polling", self.label
                    )
                    use_websocket = False
                delay = self.settings.reconnect.delay(failures, retry_after=getattr(exc, "retry_after", None))
                self.reporter.warn(
                    "%s: %s: %s; resuming in %.1fs (attempt %d)",
                    self.label,
                    lost,
                    str(exc) or type(exc).__name__,
                    delay,
                    failures,
                )
                self.reconnects += 1
                await asyncio.sleep(delay)

    async def _has_ended(self) -> bool:
        """Ask ``room/check_alive`` whether the live is over (a failed check says no)."""
        try:
            alive = await self._check_alive(self.protocol.room_id)
        except Exception as exc:
            self.reporter.debug("%s: check_alive failed: %s", self.label, exc)
            return False
        if alive is False:
            self.reporter.info("%s: room/check_alive says the LIVE is over", self.label)
            try:
                await self._fetch_the_tail()
            finally:
                self.protocol.ended = True
            return True
        return False

    async def _fetch_the_tail(self) -> None:
        """The LIVE ended while the room was disconnected: what it said since the last cursor
        (its last messages, often the control event) is still on the server. Poll it batch by
        batch until the end control event arrives, a batch is empty or the cursor stops moving.

        Raises :class:`EventsMissingError` (after delivering what was read) when the tail
        cannot be read: polling disabled, polls failing, or no end in sight."""
        protocol = self.protocol
        if protocol.ended:
            return
        if not self.settings.polling:
            raise self._missing("polling is disabled, so they cannot be fetched")
        failures = polls = 0
        while not protocol.ended:
            cursor = protocol.cursor
            seen_before = protocol.duplicates_dropped + protocol.skipped_messages
            try:
                protocol.receive_fetch_result(await self._poll(protocol.fetch_params()))
            except _RETRYABLE as exc:
                failures += 1
                if failures >= TAIL_ATTEMPTS or self.buffer.closed:
                    raise self._missing(f"{failures} polls failed; last error: {exc}") from exc
                await asyncio.sleep(
                    self.settings.reconnect.delay(failures, retry_after=getattr(exc, "retry_after", None))
                )
                continue
            failures = 0
            polls += 1
            events = protocol.events_received()
            messages = len(events) + protocol.duplicates_dropped + protocol.skipped_messages - seen_before
            self.reporter.debug("%s: tail batch %d: %d new events", self.label, polls, len(events))
            await self._deliver(events)
            if protocol.ended or messages == 0 or protocol.cursor == cursor:
                return
            if polls >= MAX_TAIL_POLLS:
                raise self._missing(f"the tail did not end within {polls} polls")

    def _missing(self, reason: str) -> EventsMissingError:
        return EventsMissingError(
            f"{self.label}: the LIVE ended while the room was disconnected and its last events "
            f"could not all be read ({reason}); some events may be missing"
        )
