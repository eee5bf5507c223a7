"""Fault knobs: what the simulator does wrong on purpose, and how often.

Two scopes:

* :class:`Faults` (``sim.faults``) — HTTP answers of any endpoint: an error
  status (429 with ``Retry-After``, 5xx…), a captcha or WAF page, a stalled,
  dropped, truncated, malformed or empty answer, a sign server that is down,
  users that "do not exist".
* :class:`RoomFaults` (``room.faults``) — one room's websocket: a refused
  handshake, a connection dropped (cleanly or in the middle of a frame),
  closed or stalled after N frames, garbage or truncated frames, a valid frame
  whose gzip payload is cut, a decode bomb (a small gzip frame of millions of
  empty messages), frames of an unknown payload type, heartbeats left
  unanswered.

Every fault fires ``times`` times (``None``: for ever) and counts how often it
fired (``fired``), so tests can wait for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Set

__all__ = ["HTTP_FAULT_KINDS", "WS_FAULT_KINDS", "Faults", "HTTPFault", "RoomFaults", "WSFault"]

#: What an HTTP fault does to a matching request.
HTTP_FAULT_KINDS = ("status", "captcha", "waf", "stall", "drop", "truncate", "malformed", "empty")
#: What a websocket fault does (``reject`` at the handshake, the others after ``after_frames`` frames).
WS_FAULT_KINDS = (
    "reject",
    "drop",
    "drop_mid_frame",
    "close",
    "stall",
    "malformed",
    "truncated",
    "truncated_gzip",
    "bomb",
    "unknown_frame",
)


@dataclass
class HTTPFault:
    """One HTTP fault: requests to ``endpoint`` (``"*"``: any) get ``kind`` instead of the real answer.

    ``status`` and ``retry_after`` apply to ``kind="status"``; ``seconds`` to
    ``kind="stall"`` (``None``: until the simulator closes, then the
    connection drops); ``username`` limits the fault to one user's pages.
    """

    endpoint: str
    kind: str = "status"
    status: int = 503
    times: Optional[int] = 1
    retry_after: Optional[float] = None
    seconds: Optional[float] = None
    username: Optional[str] = None
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in HTTP_FAULT_KINDS:
            raise ValueError(f"unknown HTTP fault kind {self.kind!r}; expected one of {HTTP_FAULT_KINDS}")

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, endpoint: str, username: Optional[str]) -> bool:
        if self.spent:
            return False
        if self.username is not None and self.username != username:
            return False
        if self.endpoint == "*" or self.endpoint == endpoint:
            return True
        return self.endpoint == "page" and endpoint in ("profile", "live_page")


@dataclass
class Faults:
    """The simulator-wide HTTP fault knobs (``sim.faults``)."""

    http: List[HTTPFault] = field(default_factory=list)
    #: The sign server drops every connection (clients see it as unreachable).
    signer_down: bool = False
    #: Usernames whose pages and api-live answer "user not found", as for unknown users.
    user_not_found: Set[str] = field(default_factory=set)

    def add(self, fault: HTTPFault) -> HTTPFault:
        self.http.append(fault)
        return fault

    def fail(
        self,
        endpoint: str,
        status: int = 503,
        *,
        times: Optional[int] = 1,
        retry_after: Optional[float] = None,
    ) -> HTTPFault:
        """Answer ``endpoint`` with ``status`` (429 carries ``Retry-After`` when ``retry_after`` is given)."""
        return self.add(HTTPFault(endpoint, "status", status=status, times=times, retry_after=retry_after))

    def not_served(self, endpoint: str) -> HTTPFault:
        """Answer every request to ``endpoint`` with 404, as a server that does not have it (for
        ``room/info_by_user``: clients then find rooms by the page route)."""
        return self.fail(endpoint, 404, times=None)

    def captcha(self, *, times: Optional[int] = 1, username: Optional[str] = None) -> HTTPFault:
        """Answer the user pages with a captcha ("verify") page."""
        return self.add(HTTPFault("page", "captcha", times=times, username=username))

    def waf(self, *, times: Optional[int] = 1, username: Optional[str] = None) -> HTTPFault:
        """Answer the user pages with a WAF "Please wait..." challenge page (a blocked IP)."""
        return self.add(HTTPFault("page", "waf", times=times, username=username))

    def stall(self, endpoint: str, *, seconds: Optional[float] = None, times: Optional[int] = 1) -> HTTPFault:
        """Hold requests to ``endpoint`` for ``seconds`` before answering (``None``: never answer)."""
        return self.add(HTTPFault(endpoint, "stall", seconds=seconds, times=times))

    def drop(self, endpoint: str, *, times: Optional[int] = 1) -> HTTPFault:
        """Close the connection without answering."""
        return self.add(HTTPFault(endpoint, "drop", times=times))

    def truncate(self, endpoint: str, *, times: Optional[int] = 1) -> HTTPFault:
        """Send half of the real answer, then close (``Content-Length`` announces all of it)."""
        return self.add(HTTPFault(endpoint, "truncate", times=times))

    def malformed(self, endpoint: str, *, times: Optional[int] = 1) -> HTTPFault:
        """Answer 200 with a body of garbage (neither JSON nor protobuf)."""
        return self.add(HTTPFault(endpoint, "malformed", times=times))

    def empty(self, endpoint: str, *, times: Optional[int] = 1) -> HTTPFault:
        """Answer 200 with an empty body (what TikTok does to requests it does not trust)."""
        return self.add(HTTPFault(endpoint, "empty", times=times))

    def take(self, endpoint: str, username: Optional[str] = None) -> Optional[HTTPFault]:
        """The first fault matching this request, counted as fired; None when there is none."""
        for fault in self.http:
            if fault.matches(endpoint, username):
                fault.fired += 1
                return fault
        return None

    def clear(self) -> None:
        self.http.clear()
        self.signer_down = False
        self.user_not_found.clear()


@dataclass
class WSFault:
    """One websocket fault of a room.

    ``after_frames``: how many ``msg`` frames a connection has sent before the
    fault strikes (``reject`` ignores it). ``seconds`` applies to ``stall``
    (``None``: until the client leaves), ``code`` to ``close``, ``status`` /
    ``message`` to ``reject`` (TikTok refuses with HTTP 200 and a
    ``Handshake-Status``/``Handshake-Msg`` pair), ``messages`` to ``bomb``.
    """

    kind: str
    after_frames: int = 0
    times: Optional[int] = 1
    seconds: Optional[float] = None
    code: int = 1011
    status: int = 200
    handshake_status: int = 417
    message: str = "illegal secret key"
    messages: int = 4_000_000
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in WS_FAULT_KINDS:
            raise ValueError(f"unknown websocket fault kind {self.kind!r}; expected one of {WS_FAULT_KINDS}")

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times


@dataclass
class RoomFaults:
    """The websocket fault knobs of one room (``room.faults``)."""

    ws: List[WSFault] = field(default_factory=list)
    #: Leave the client's heartbeats unanswered.
    ignore_heartbeats: bool = False

    def add(self, fault: WSFault) -> WSFault:
        self.ws.append(fault)
        return fault

    def reject(
        self,
        *,
        times: Optional[int] = 1,
        status: int = 200,
        handshake_status: int = 417,
        message: str = "illegal secret key",
    ) -> WSFault:
        """Refuse the websocket handshake the way TikTok does (HTTP 200 + ``Handshake-Status``)."""
        return self.add(
            WSFault("reject", times=times, status=status, handshake_status=handshake_status, message=message)
        )

    def drop_after(self, frames: int, *, mid_frame: bool = False, times: Optional[int] = 1) -> WSFault:
        """Drop the TCP connection after ``frames`` frames (with half a frame sent when ``mid_frame``)."""
        return self.add(WSFault("drop_mid_frame" if mid_frame else "drop", after_frames=frames, times=times))

    def close_after(self, frames: int, *, code: int = 1011, times: Optional[int] = 1) -> WSFault:
        """Close the websocket (a close frame with ``code``) after ``frames`` frames."""
        return self.add(WSFault("close", after_frames=frames, code=code, times=times))

    def stall_after(
        self, frames: int, *, seconds: Optional[float] = None, times: Optional[int] = 1
    ) -> WSFault:
        """Go silent after ``frames`` frames: no frames, no heartbeat answers."""
        return self.add(WSFault("stall", after_frames=frames, seconds=seconds, times=times))

    def malformed_after(self, frames: int, *, times: Optional[int] = 1) -> WSFault:
        """Send a binary message that is not a PushFrame after ``frames`` frames (events are not lost)."""
        return self.add(WSFault("malformed", after_frames=frames, times=times))

    def truncated_after(self, frames: int, *, times: Optional[int] = 1) -> WSFault:
        """Send a truncated copy of the next frame before it (events are not lost)."""
        return self.add(WSFault("truncated", after_frames=frames, times=times))

    def truncated_gzip_after(self, frames: int, *, times: Optional[int] = 1) -> WSFault:
        """Send the next frame carrying messages as a valid PushFrame whose gzip payload is cut in half.

        Unlike ``truncated_after``, those messages are not sent again on this connection: the
        client must notice, reconnect and resume from its last good cursor. The payload is
        gzipped whether or not the client asked for compression.
        """
        return self.add(WSFault("truncated_gzip", after_frames=frames, times=times))

    def bomb_after(self, frames: int, *, messages: int = 4_000_000, times: Optional[int] = 1) -> WSFault:
        """Send a decode bomb after ``frames`` frames: a gzip ``msg`` frame of ``messages`` empty
        messages (4 million fit in 8 KB). It carries no room messages, so nothing is lost; the
        client must refuse it (a decode limit), report it and resume from its last cursor."""
        return self.add(WSFault("bomb", after_frames=frames, messages=messages, times=times))

    def unknown_frame_after(self, frames: int, *, times: Optional[int] = 1) -> WSFault:
        """Send a PushFrame of a payload type clients do not know."""
        return self.add(WSFault("unknown_frame", after_frames=frames, times=times))

    def take_reject(self) -> Optional[WSFault]:
        for fault in self.ws:
            if fault.kind == "reject" and not fault.spent:
                fault.fired += 1
                return fault
        return None

    def take_due(self, frames_sent: int, fired_here: Set[int]) -> List[WSFault]:
        """Faults due on a connection that has sent ``frames_sent`` frames, counted as fired.

        ``fired_here`` holds the ids of the faults that already struck this
        connection: a fault strikes a connection at most once.
        """
        due = []
        for fault in self.ws:
            if (
                fault.kind != "reject"
                and not fault.spent
                and fault.after_frames <= frames_sent
                and id(fault) not in fired_here
            ):
                fault.fired += 1
                fired_here.add(id(fault))
                due.append(fault)
        return due
