"""Run the simulator as a service: :func:`run` (blocking, for the CLI's ``simulate`` and
``python -m pytiktoklive.simulator``), :func:`run_simulator` (the same as a coroutine) and
the banner they print (:func:`describe`)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from pathlib import Path
from typing import IO, Callable, Iterator, Optional, Sequence

from pytiktoklive.simulator.push import SentListener
from pytiktoklive.simulator.rooms import LoggedMessage, SimRoom
from pytiktoklive.simulator.server import Simulator

__all__ = ["describe", "run", "run_simulator", "sent_log_writer"]


def sent_log_writer(stream: IO[str]) -> SentListener:
    """A listener writing one JSON line per message sent to a client: ``room``, ``room_id``,
    ``via`` (``im/fetch``, ``sign`` or ``push``), ``msg_id``, ``method`` and ``digest`` (the
    first 16 hex digits of the SHA-256 of the message payload), so another program can check
    that it received every message the simulator sent."""

    def write(room: SimRoom, via: str, entries: Sequence[LoggedMessage]) -> None:
        for entry in entries:
            record = {
                "room": room.username,
                "room_id": room.room_id,
                "via": via,
                "msg_id": entry.msg_id,
                "method": entry.method,
                "digest": hashlib.sha256(entry.payload).hexdigest()[:16],
            }
            stream.write(json.dumps(record) + "\n")
        stream.flush()

    return write


@contextlib.contextmanager
def _sent_listener(path: Optional[Path]) -> Iterator[Optional[SentListener]]:
    if path is None:
        yield None
        return
    with open(path, "a", encoding="utf-8") as stream:
        yield sent_log_writer(stream)


def describe(sim: Simulator) -> str:
    """A few lines saying where the simulator is and what it serves."""
    endpoints = sim.endpoints
    lines = [
        f"pytiktoklive simulator listening on {sim.url}",
        f"  www      {endpoints.www}",
        f"  webcast  {endpoints.webcast}",
        f"  signer   {endpoints.signer}",
        f"  push     {sim.push_url}",
    ]
    if sim.ca_file is not None:
        lines.append(f"  CA file  {sim.ca_file}  (clients trust it with --ca-file / TikTok(verify=...))")
    lines.append("  rooms:")
    shown = sim.rooms[:12]
    for room in shown:
        state = "live" if room.live else "ended"
        transport = "websocket" if room.spec.websocket else "polling only"
        again = ", live again when it ends" if room.spec.loop else ""
        lines.append(f"    @{room.username:<14} room {room.room_id}  {state}, {transport}{again}")
    if len(sim.rooms) > len(shown):
        lines.append(f"    … and {len(sim.rooms) - len(shown)} more")
    lines.append(f"  e.g. {endpoints.www}/@demo_user/live")
    lines.append("  Ctrl-C stops it.")
    return "\n".join(lines)


async def run_simulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    speed: float = 1.0,
    captures_dir: Optional[Path] = None,
    media_dir: Optional[Path] = None,
    load_rooms: int = 0,
    tls: bool = False,
    loop: bool = True,
    print_function: Callable[[str], None] = print,
    ready: Optional[Callable[[Simulator], None]] = None,
    sent_log: Optional[Path] = None,
) -> None:
    """Serve a simulator with the built-in rooms until cancelled.

    ``loop`` (default on): a built-in room whose LIVE ends goes live again at once, in a new
    room, so program after program finds it live. ``load_rooms`` adds that many endless
    lively rooms (``load_user0``, …) for load tests; ``tls`` serves HTTPS and WSS with a
    throw-away CA. Prints where it listens;
    ``ready`` is called with the running simulator (the CLI uses it to start watching a room
    in the same process). ``sent_log``: append every message sent to a client to this file,
    as JSON lines (see :func:`sent_log_writer`).
    """
    with _sent_listener(sent_log) as on_sent:
        async with Simulator(
            host=host,
            port=port,
            seed=seed,
            speed=speed,
            captures_dir=captures_dir,
            media_dir=media_dir,
            tls=tls,
            loop=loop,
            on_sent=on_sent,
        ) as sim:
            await _serve(sim, load_rooms, print_function, ready)


async def _serve(
    sim: Simulator,
    load_rooms: int,
    print_function: Callable[[str], None],
    ready: Optional[Callable[[Simulator], None]],
) -> None:
    if load_rooms:
        from pytiktoklive.simulator.scenarios import LivelyScenario

        sim.add_rooms(load_rooms, scenario=LivelyScenario(duration=None))
    print_function(describe(sim))
    if ready is not None:
        ready(sim)
    await asyncio.Event().wait()


def run(
    host: str = "127.0.0.1",
    port: int = 8080,
    seed: int = 0,
    speed: float = 1.0,
    *,
    captures_dir: Optional[Path] = None,
    media_dir: Optional[Path] = None,
    load_rooms: int = 0,
    tls: bool = False,
    loop: bool = True,
    print_function: Callable[[str], None] = print,
    sent_log: Optional[Path] = None,
) -> None:
    """Serve the simulator on ``host:port`` until Ctrl-C, printing its URLs first (blocking).

    ``port=0`` picks a free port (the banner says which). Returns when
    interrupted; an address already in use raises :class:`OSError`.
    """
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_simulator(
                host=host,
                port=port,
                seed=seed,
                speed=speed,
                captures_dir=captures_dir,
                media_dir=media_dir,
                load_rooms=load_rooms,
                tls=tls,
                loop=loop,
                print_function=print_function,
                sent_log=sent_log,
            )
        )
