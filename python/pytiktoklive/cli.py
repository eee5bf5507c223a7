"""The ``pytiktoklive`` command line.

::

    pytiktoklive watch --sim demo_user        # the simulator's demo LIVE, events as they arrive
    pytiktoklive watch USER [USER...] --json  # one JSON object per line and event
    pytiktoklive record USER [-o PATH] [--quality hd] [--format hls] [--duration 60]
    pytiktoklive capture USER --frames DIR     # the raw frames, one file each (bug reports)
    pytiktoklive info USER | gifts USER | feed | prices
    pytiktoklive simulate [--port 8080]       # serve the simulator for other programs
    pytiktoklive fleet worker|add|remove|list|status|tail   # many workers on Redis (pytiktoklive.fleet)

Every command takes ``--sim`` (talk to a simulator started in this process instead of
TikTok; ``--speed`` plays it faster), ``--proxy URL`` and ``--debug``. Errors print one
line and exit with status 1; Ctrl-C exits with status 130.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Sequence, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pytiktoklive import events as ev
from pytiktoklive.client import TikTok
from pytiktoklive.config import Endpoints
from pytiktoklive.errors import NoMoreFeedItemsError, TikTokLiveError, UserOfflineError
from pytiktoklive.live import Live
from pytiktoklive.models import LiveStream, RoomInfo
from pytiktoklive.recording import (
    FORMATS,
    QUALITIES,
    RecordingProgress,
    find_ffmpeg,
    pick_stream_url,
    quality_level,
)

__all__ = ["build_parser", "describe_event", "main"]

PROG = "pytiktoklive"


class CommandError(Exception):
    """A failure to report as one line (exit status 1)."""


# --------------------------------------------------------------------------- output


def _consoles(*, color: Optional[bool] = None) -> tuple[Console, Console]:
    # https://no-color.org: NO_COLOR set to anything but the empty string turns colours off.
    no_color = color is False or bool(os.environ.get("NO_COLOR"))
    out = Console(highlight=False, soft_wrap=True, no_color=no_color)
    err = Console(stderr=True, highlight=False, soft_wrap=True, no_color=no_color)
    return out, err


# Styles go on spans (``Text().append(…, style=…)``), never on a Text's base style: a base
# style covers everything appended or added to it later (a dim timestamp would dim the line).


def _who(user: Optional[ev.User]) -> Text:
    if user is None:
        return Text().append("someone", style="dim")
    text = Text().append(user.nickname or user.username or str(user.id), style="bold")
    if user.username and user.nickname and user.username != user.nickname:
        text.append(f" @{user.username}", style="dim")
    return text


def _line(label: str, style: str, *parts: Any) -> Text:
    text = Text().append(f"{label:<9}", style=style)
    for part in parts:
        text.append(part if isinstance(part, Text) else Text(str(part)))
    return text


def _label(pattern: str, user: Optional[ev.User]) -> Text:
    """A display text's pattern with its ``{0:user}`` filled in."""
    before, found, after = pattern.partition("{0:user}")
    if not found:
        return Text(pattern)
    return Text(before) + _who(user) + Text(after)


def describe_event(event: ev.Event) -> Optional[Text]:
    """One line for an event, or None for events not worth a line (streaks in progress)."""
    if isinstance(event, ev.ChatEvent):
        return _line("chat", "cyan", _who(event.user), ": ", event.comment)
    if isinstance(event, ev.EmoteChatEvent):
        return _line("emote", "cyan", _who(event.user), f" sent {len(event.emotes)} emote(s)")
    if isinstance(event, ev.GiftEvent):
        if event.streaking:
            return None  # its last event carries the whole streak
        count = f" x{event.repeat_count}" if event.repeat_count > 1 else ""
        coins = f" ({event.total_cost} coin{'s' if event.total_cost != 1 else ''})" if event.cost else ""
        return _line("gift", "magenta", _who(event.user), f" sent {event.name or event.id}{count}{coins}")
    if isinstance(event, ev.LikeEvent):
        return _line("like", "red", _who(event.user), f" liked x{event.likes} (total {event.total_likes})")
    if isinstance(event, ev.UserEvent):
        verbs = {"join": "joined", "follow": "followed the host", "share": "shared the LIVE"}
        return _line(event.event, "green", _who(event.user), " ", verbs.get(event.event, event.label))
    if isinstance(event, ev.ViewersEvent):
        return _line("viewers", "blue", f"{event.viewers} watching, {event.total_viewers} in total")
    if isinstance(event, ev.QuestionEvent):
        return _line("question", "yellow", _who(event.user), " asks: ", event.question)
    if isinstance(event, ev.ControlEvent):
        if event.ended:
            return _line("control", "bold red", "the LIVE has ended")
        try:
            name = ev.ControlAction(event.action).name.lower()
        except ValueError:
            name = f"action {event.action}"
        return _line("control", "red", f"stream {name}")
    if isinstance(event, ev.MicBattleEvent):
        hosts = ", ".join(f"@{user.username}" for user in event.users)
        return _line("battle", "bold yellow", f"battle {event.battle_id} between {hosts}")
    if isinstance(event, ev.BattlesEvent):
        scores = ", ".join(str(group.points) for battle in event.battles for group in battle.groups)
        state = "ended" if event.status == 2 else "scores"
        return _line("battle", "yellow", f"battle {event.battle_id} {state}: {scores}")
    if isinstance(event, ev.IntroEvent):
        return _line("intro", "dim", event.title)
    if isinstance(event, ev.RoomEvent):
        return _line("notice", "dim", event.message) if event.message.strip() else None
    if isinstance(event, ev.RoomBannerEvent):
        return _line("banner", "dim", "in-room banner")
    if isinstance(event, ev.EnvelopeEvent):
        sender = f" from {event.sender_name}" if event.sender_name else ""
        coins = f" ({event.diamond_count} coins)" if event.diamond_count else ""
        return _line("box", "magenta", f"treasure box{sender}{coins}")
    if isinstance(event, ev.SubscribeEvent):
        months = f" (month {event.sub_month})" if event.sub_month > 1 else ""
        return _line("sub", "bold magenta", _who(event.user), f" subscribed{months}")
    if isinstance(event, ev.BarrageEvent):
        return _line("announce", "magenta", _label(event.label, event.user))
    if isinstance(event, ev.GoalUpdateEvent):
        progress = ", ".join(f"{goal.progress}/{goal.target}" for goal in event.sub_goals)
        by = Text(" (+") + _who(event.contributor) + Text(")") if event.contributor else ""
        return _line("goal", "yellow", f"{event.description or 'LIVE goal'}: {progress}", by)
    if isinstance(event, ev.PollEvent):
        state = {0: "started", 1: "ended", 2: "votes"}.get(event.status, f"status {event.status}")
        options = ", ".join(f"{option.text} {option.votes}" for option in event.options)
        title = f"{event.title} " if event.title else ""
        return _line("poll", "yellow", f"{title}[{state}] {options}")
    if isinstance(event, ev.CaptionEvent):
        return _line("caption", "dim", " / ".join(caption.text for caption in event.captions))
    if isinstance(event, ev.RoomPinEvent):
        who = _who(event.user) + Text(": ") if event.user else ""
        return _line("pinned", "cyan", who, event.text)
    if isinstance(event, ev.RankUpdateEvent):
        ranks = ", ".join(
            f"{update.label.replace('{0:string}', str(update.owner_rank))}"
            + (f" #{update.owner_rank}" if update.owner_rank and "{0:string}" not in update.label else "")
            for update in event.updates
        )
        return _line("rank", "blue", ranks)
    if isinstance(event, ev.HourlyRankEvent):
        return _line("rank", "blue", f"{event.label or 'ranking'} #{event.rank}")
    if isinstance(event, ev.UnauthorizedMemberEvent):
        return _line("join", "green", event.label.replace("{0:user}", event.nickname or "a guest"))
    if isinstance(event, ev.ImDeleteEvent):
        removed = len(event.deleted_msg_ids) or len(event.deleted_user_ids)
        what = "message(s)" if event.deleted_msg_ids else "user(s)' messages"
        return _line("deleted", "dim", f"a moderator removed {removed} {what}")
    if isinstance(event, (ev.LinkEvent, ev.LinkLayerEvent)):
        kind = "co-host link" if isinstance(event, ev.LinkEvent) else "multi-guest"
        return _line("link", "dim", f"{kind} update (type {event.message_type}, scene {event.scene})")
    if isinstance(event, ev.UnknownEvent):
        return _line("unknown", "dim", f"{event.method} ({len(event.payload)} bytes)")
    summary = repr(event)
    return _line(type(event).__name__.replace("Event", "").lower()[:8], "dim", summary[:200])


class _Clock:
    """The time shown in front of an event: its ``create_time``; for events that carry none
    (a LIVE's intro has only a ``msg_id``), the time of the room's previous event, so lines
    stay in order; the wall clock only before any timed event."""

    def __init__(self) -> None:
        self._last: Dict[int, int] = {}

    def __call__(self, room_id: int, event: ev.Event) -> str:
        stamp_ms = event.create_time or self._last.get(room_id) or int(time.time() * 1000)
        self._last[room_id] = stamp_ms
        return datetime.datetime.fromtimestamp(stamp_ms / 1000).strftime("%H:%M:%S")


class _JSONLines:
    """Events as JSON lines on stdout: ``{"type", "room", "username", "data": event.to_dict()}``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def __call__(self, live: Live, event: ev.Event) -> None:
        data = event.to_dict()
        if not data.get("room_id"):  # messages without a room id in their header (intro) are the room's too
            data["room_id"] = live.room_id
        record = {
            "type": type(event).__name__,
            "username": live.username,
            "room_id": live.room_id,
            "data": data,
        }
        self._stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._stream.flush()


class _Display:
    """Events as readable lines (rich); the room's name in front when watching several."""

    def __init__(self, console: Console, *, show_room: bool) -> None:
        self._console = console
        self._show_room = show_room
        self._clock = _Clock()

    def __call__(self, live: Live, event: ev.Event) -> None:
        clock = self._clock(live.room_id, event)
        line = describe_event(event)
        if line is None:
            return
        prefix = Text().append(clock + " ", style="dim")
        if self._show_room:
            prefix.append(f"@{live.username:<16} ", style="bold blue")
        self._console.print(prefix + line)


def _plain(value: Any) -> Any:
    """A model as JSON-ready data, without its ``raw`` payloads."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.name != "raw" and not field.name.startswith("_")
        }
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(_plain(document), ensure_ascii=False, indent=2) + "\n")


def _size(count: float) -> str:
    if count < 1000:
        return f"{count:.0f} B"
    for unit in ("kB", "MB"):
        count /= 1000
        if count < 1000:
            return f"{count:.1f} {unit}"
    return f"{count / 1000:.1f} GB"


def _seconds(value: float) -> str:
    minutes, seconds = divmod(int(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


# --------------------------------------------------------------------------- the client


@contextlib.asynccontextmanager
async def _tiktok(args: argparse.Namespace) -> AsyncIterator[TikTok]:
    """The client: for TikTok, or for a simulator running in this process (``--sim``)."""
    options: Dict[str, Any] = {"debug": args.debug, "proxy": args.proxy}
    if args.insecure:
        options["insecure"] = True
    if args.ca_file:
        options["verify"] = str(args.ca_file)
    if not args.sim:
        endpoints = Endpoints.at(args.endpoint) if args.endpoint else Endpoints.from_env()
        async with TikTok(endpoints, **options) as tiktok:
            yield tiktok
        return
    try:
        from pytiktoklive.simulator import Simulator
    except ImportError as exc:
        raise CommandError(f"--sim: the simulator did not import ({exc})") from exc
    if not args.proxy:
        # Loopback traffic must not go to a proxy of the environment (HTTP(S)_PROXY…).
        no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
        extended = ",".join(filter(None, [no_proxy, "127.0.0.1", "localhost"]))
        os.environ["NO_PROXY"] = os.environ["no_proxy"] = extended
    async with Simulator(seed=args.seed, speed=args.speed) as sim, TikTok(sim.endpoints, **options) as tiktok:
        yield tiktok


async def _until(duration: Optional[float], work: Callable[[], Awaitable[Any]]) -> bool:
    """Run ``work()`` (a coroutine function) for at most ``duration`` seconds; False if cut short."""
    task = asyncio.ensure_future(work())
    try:
        done, _ = await asyncio.wait({task}, timeout=duration)
    except BaseException:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise
    if task in done:
        task.result()
        return True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False


def _room_line(live: Live) -> Text:
    info = live.info
    text = Text().append("Watching ", style="bold")
    text.append(f"@{live.username}", style="bold blue")
    if info.title:
        text.append(f" — {info.title}")
    text.append(f"  (room {live.room_id}, {info.viewers} viewers)", style="dim")
    return text


# --------------------------------------------------------------------------- commands


async def _watch(args: argparse.Namespace, tiktok: TikTok, out: Console, err: Console) -> int:
    group = await tiktok.track_many(args.users)
    if len(args.users) == 1 and group.failures:
        raise next(iter(group.failures.values()))
    for name, failure in group.failures.items():
        err.print(f"{PROG}: @{name}: {failure}", style="red")
    if not group.lives:
        raise CommandError("none of the users could be watched")
    show = _JSONLines(sys.stdout) if args.json else _Display(out, show_room=len(group.lives) > 1)
    status = err if args.json else out
    for live in group.lives.values():
        status.print(_room_line(live))

    async def consume() -> None:
        async for live, event in group:
            show(live, event)

    async with group:
        finished = await _until(args.duration, consume)
        lost = [live for live in group.lives.values() if not live.ended]
        if not finished:
            status.print(f"Stopped after {args.duration:g} s.", style="dim")
        else:
            for live in group.lives.values():
                if live.ended:
                    status.print(f"The LIVE of @{live.username} has ended.", style="bold")
            for live in lost:
                err.print(
                    f"{PROG}: @{live.username}: the connection was lost (see the log above)", style="red"
                )
    return 1 if group.failures or (finished and lost) else 0


async def _record(args: argparse.Namespace, tiktok: TikTok, out: Console, err: Console) -> int:
    find_ffmpeg()  # before anything else, the most likely thing to be missing
    taken = f"{args.output} already exists (add --overwrite to replace it)"
    if args.output and not args.overwrite and Path(args.output).is_file():
        raise CommandError(taken)  # said before the room is joined and "Recording…" shown
    live = await tiktok.track_user(args.user)
    async with live:
        quality, _ = pick_stream_url(live.info.stream_urls, args.quality, args.format)

        async def drain() -> None:
            # Consuming the events lets the room's reading go on, so the LIVE's end is seen.
            async for _event in live:
                pass

        reader = asyncio.ensure_future(drain())
        columns = [
            SpinnerColumn(),
            TextColumn("[bold]@{task.fields[user]}"),
            BarColumn() if args.duration else TextColumn(""),
            TextColumn("{task.fields[recorded]}  {task.fields[size]}"),
            TimeElapsedColumn(),
        ]
        progress = Progress(*columns, console=err, transient=False)
        task: TaskID = progress.add_task(
            "record", total=args.duration, user=live.username, recorded="00:00", size="0 B"
        )

        saved: List[RecordingProgress] = []

        def update(state: RecordingProgress) -> None:
            saved[:] = [state]
            progress.update(
                task,
                completed=min(state.duration, args.duration) if args.duration else state.duration,
                recorded=_seconds(state.duration),
                size=_size(state.size),
            )

        try:
            with progress:
                shown = f"{args.format.upper()}, {quality_level(quality)}"
                err.print(f"Recording @{live.username} ({shown}); Ctrl-C stops.")
                try:
                    recording = await live.download_stream(
                        args.output,
                        quality=args.quality,
                        format=args.format,
                        duration=args.duration,
                        on_progress=update,
                        overwrite=args.overwrite,
                    )
                except FileExistsError:  # made meanwhile
                    raise CommandError(taken) from None
        except asyncio.CancelledError:  # Ctrl-C: ffmpeg has finished the file (or removed an empty one)
            if saved and saved[0].path.exists():
                err.print(f"Stopped; {_size(saved[0].path.stat().st_size)} recorded in {saved[0].path}")
            else:
                err.print("Stopped before any video arrived: nothing was saved.")
            raise
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    reasons = {"finished": "the stream ended", "live ended": "the LIVE ended", "stopped": "stopped"}
    if args.duration and recording.duration >= args.duration - 0.5:
        reasons["finished"] = f"{args.duration:g} s recorded"
    out.print(
        f"Saved {recording.path} ({_size(recording.size)}, {_seconds(recording.duration)} of video, "
        f"{quality_level(recording.quality)} quality; {reasons.get(recording.reason, recording.reason)})"
    )
    return 0


async def _capture(args: argparse.Namespace, tiktok: TikTok, out: Console, err: Console) -> int:
    directory: Path = args.frames
    directory.mkdir(parents=True, exist_ok=True)
    live = await tiktok.track_user(args.user)
    saved: List[Path] = []
    full = asyncio.Event()

    def save(kind: str, data: bytes) -> None:
        if len(saved) >= args.count:
            return
        path = directory / f"{live.room_id}-{len(saved) + 1:05d}-{kind}.bin"
        path.write_bytes(data)
        saved.append(path)
        if len(saved) >= args.count:
            full.set()

    async def read() -> None:
        async for _event in live:  # consuming the events keeps the frames coming
            pass

    async def until_full() -> None:
        reader = asyncio.ensure_future(read())
        waiter = asyncio.ensure_future(full.wait())
        try:
            await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, waiter):
                task.cancel()
            await asyncio.gather(reader, waiter, return_exceptions=True)

    async with live:
        live.on_frame(save)
        err.print(_room_line(live))
        err.print(f"Saving up to {args.count} frames in {directory}; Ctrl-C stops.", style="dim")
        finished = await _until(args.duration, until_full)
    size = sum(path.stat().st_size for path in saved)
    why = "the LIVE ended" if live.ended else f"--count {args.count} reached" if full.is_set() else "stopped"
    out.print(
        f"Saved {len(saved)} frames ({_size(size)}) in {directory} ({why if finished else 'time is up'})"
    )
    if saved:
        out.print(
            f"Decode one: pytiktoklive.decode_frame(open({str(saved[0])!r}, 'rb').read())"
            if saved[0].name.endswith("push_frame.bin")
            else f"Decode one: pytiktoklive.decode_fetch_result(open({str(saved[0])!r}, 'rb').read())",
            highlight=False,
        )
    return 0


async def _info(args: argparse.Namespace, tiktok: TikTok, out: Console, err: Console) -> int:
    user = await tiktok.get_user_info(args.user)
    room: Optional[RoomInfo]
    try:
        room = await tiktok.get_room_info(user.username or args.user)
    except UserOfflineError:
        room = None
    if args.json:
        _print_json({"user": user, "room": room})
        return 0
    rows: List[tuple[str, Any]] = [
        ("User", f"@{user.username} ({user.nickname})"),
        ("ID", user.id),
        ("Followers", f"{user.follower_count:,}"),
        ("Following", f"{user.following_count:,}"),
        ("Likes", f"{user.heart_count:,}"),
        ("Videos", user.video_count),
        ("Verified", "yes" if user.verified else "no"),
        ("Bio", user.signature),
    ]
    if room is None:
        rows.append(("LIVE", "not live now"))
    else:
        started = datetime.datetime.fromtimestamp(room.create_time) if room.create_time else None
        rows += [
            ("LIVE", "live now" if room.is_live else "ended" if room.ended else f"status {room.status}"),
            ("Room", room.id),
            ("Title", room.title),
            ("Viewers", f"{room.viewers:,} now, {room.total_viewers:,} in total"),
            ("Started", started.strftime("%Y-%m-%d %H:%M:%S") if started else ""),
            ("Qualities", ", ".join(dict.fromkeys(map(quality_level, room.stream_urls.qualities)))),
            ("FLV", room.stream_urls.flv_url),
            ("HLS", room.stream_urls.hls_url),
        ]
    if not out.is_terminal:
        # Piped or redirected: whole lines, nothing wrapped or cut (the stream URLs are long).
        sys.stdout.write("".join(f"{name + ':':<11}{value}\n" for name, value in rows))
        return 0
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # a URL wider than the terminal folds, it is not cut
    for name, value in rows:
        table.add_row(name, Text(str(value)))
    out.print(table)
    return 0


async def _gifts(args: argparse.Namespace, tiktok: TikTok, out: Console, err: Console) -> int:
    room = await tiktok.get_room_info(args.user)
    gifts = sorted(
        (await tiktok.get_gift_info(room.id)).gifts.values(), key=lambda g: (g.diamond_count, g.id)
    )
    if args.json:
        _print_json(gifts)
        return 0
    table = Table(title=f"Gifts of @{args.user.lstrip('@')}'s room ({len(gifts)})")
    table.add_column("ID", justify="right")
    table.add_column("Name")
    table.add_column("Coins", justify="right")
    table.add_column("Streak")
    for gift in gifts:
        table.add_row(
            str(gift.id), Text(gift.name), str(gift.diamond_count), "yes" if gift.streakable else ""
        )
    out.print(table)
    return 0


async def _feed(args: argparse.Namespace, tiktok: TikTok, out: Console, err: Console) -> int:
    feed = tiktok.new_feed()
    streams: List[LiveStream] = []
    while len(streams) < args.limit:
        try:
            streams.extend(await feed.next())
        except NoMoreFeedItemsError:
            break
    streams = streams[: args.limit]
    if args.json:
        _print_json(streams)
        return 0
    table = Table(title=f"Recommended LIVEs ({len(streams)})")
    table.add_column("Room", justify="right")
    table.add_column("Host")
    table.add_column("Title")
    table.add_column("Viewers", justify="right")
    for stream in streams:
        owner = stream.info.owner
        table.add_row(
            str(stream.room_id),
            Text(f"@{owner.username}"),
            Text(stream.info.title),
            f"{stream.info.viewers:,}",
        )
    out.print(table)
    return 0


async def _prices(args: argparse.Namespace, tiktok: TikTok, out: Console, err: Console) -> int:
    prices = await tiktok.get_price_list()
    if args.json:
        _print_json(prices)
        return 0
    local = prices.currency.upper() if prices.currency and prices.currency.upper() != "USD" else ""
    table = Table(title="Coin prices" + (f" (USD and {local})" if local else " (USD)"))
    table.add_column("Coins", justify="right")
    table.add_column("USD", justify="right")
    if local:
        table.add_column(local, justify="right")
    for item in prices.items:
        local_price = [f"{item.exchange_price / 100:.2f}"] if local else []
        table.add_row(f"{item.diamond_count:,}", f"{item.price / 100:.2f}", *local_price)
    out.print(table)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    try:
        from pytiktoklive.simulator import run_simulator
    except ImportError as exc:
        raise CommandError(f"the simulator did not import ({exc})") from exc

    def say(text: str) -> None:
        print(text, flush=True)  # a pipe (a supervisor, a test) must see the URLs at once

    def serve() -> Awaitable[None]:
        return run_simulator(
            host=args.host,
            port=args.port,
            seed=args.seed,
            speed=args.speed,
            captures_dir=args.captures,
            load_rooms=args.load_rooms,
            tls=args.tls,
            loop=args.loop,
            print_function=say,
            sent_log=args.sent_log,
        )

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a simulator is stopped
        asyncio.run(_until(args.duration, serve))
    return 0


_COMMANDS = {
    "watch": _watch,
    "record": _record,
    "capture": _capture,
    "info": _info,
    "gifts": _gifts,
    "feed": _feed,
    "prices": _prices,
}


# --------------------------------------------------------------------------- arguments


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1: {text!r}")
    return int(text)


def _endpoint(text: str) -> str:
    try:
        Endpoints.at(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _common_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    group = parser.add_argument_group("common options")
    group.add_argument(
        "--sim", action="store_true", help="use a simulator started in this process, not TikTok"
    )
    group.add_argument(
        "--speed",
        type=_positive,
        help="with --sim: play the simulated LIVEs this many times faster (default 1)",
    )
    group.add_argument("--seed", type=int, help="with --sim: seed of the simulated content (default 0)")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        type=_endpoint,
        help="talk to this host instead of TikTok, e.g. a `pytiktoklive simulate` "
        "(default: $PYTIKTOKLIVE_ENDPOINT, else TikTok)",
    )
    group.add_argument("--proxy", metavar="URL", help="send all traffic through this http(s)/socks5 proxy")
    tls = group.add_mutually_exclusive_group()
    tls.add_argument(
        "--ca-file", type=Path, metavar="PEM", help="trust this CA for TLS (instead of the system's)"
    )
    tls.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (only for hosts you trust)"
    )
    group.add_argument("--debug", action="store_true", help="log debug messages; show tracebacks of errors")
    group.add_argument(
        "--no-color",
        action="store_true",
        help="print without colours (as does NO_COLOR=1 in the environment)",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pytiktoklive`` command."""
    # The common options go before or after the command (`pytiktoklive --sim watch x` and
    # `pytiktoklive watch --sim x`): the command's copy sets only what is given, so it never
    # hides a value given before the command.
    common = _common_options(argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS))
    json_option = argparse.ArgumentParser(add_help=False)
    json_option.add_argument("--json", action="store_true", help="print JSON instead of tables")

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="TikTok LIVE events in real time, recordings, gifts and prices; "
        "--sim runs everything against a local simulator.",
        epilog="Start with: pytiktoklive watch --sim demo_user",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _common_options(parser).set_defaults(speed=1.0, seed=0, no_color=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    watch = commands.add_parser(
        "watch", parents=[common], help="print a LIVE's events as they arrive", description="Print the "
        "events of one or more LIVEs until they end (or --duration runs out)."
    )  # fmt: skip
    watch.add_argument("users", nargs="+", metavar="USER", help="username, @username or profile URL")
    watch.add_argument("--json", action="store_true", help="one JSON object per line and event")
    watch.add_argument("--duration", type=_positive, metavar="SECONDS", help="stop after this long")

    record = commands.add_parser(
        "record", parents=[common], help="record a LIVE's video with ffmpeg",
        description="Record a LIVE's video (ffmpeg, no re-encoding) until it ends or --duration runs out.",
    )  # fmt: skip
    record.add_argument("user", metavar="USER")
    record.add_argument(
        "-o", "--output", metavar="PATH", help="file or directory (default: ./USER-TIMESTAMP.flv)"
    )
    record.add_argument(
        "--quality",
        default="best",
        help=f"{', '.join(QUALITIES)} (TikTok's SD1, SD2, HD1, FULL_HD1 work too; default: best)",
    )
    record.add_argument(
        "--format", choices=list(FORMATS), default="flv", help="stream to record (default: flv)"
    )
    record.add_argument("--duration", type=_positive, metavar="SECONDS", help="seconds of video to record")
    record.add_argument("--overwrite", action="store_true", help="replace an existing --output file")

    capture = commands.add_parser(
        "capture", parents=[common], help="save a LIVE's raw frames (for tests and bug reports)",
        description="Save the raw bytes of a LIVE's frames as they arrive, one file each: websocket "
        "PushFrames (*-push_frame.bin, for pytiktoklive.decode_frame) and polled im/fetch bodies "
        "(*-fetch_result.bin, for decode_fetch_result). Stops when the LIVE ends, after --count "
        "frames or --duration.",
    )  # fmt: skip
    capture.add_argument("user", metavar="USER")
    capture.add_argument("--frames", type=Path, required=True, metavar="DIR", help="directory for the files")
    capture.add_argument(
        "--count", type=_count, default=100, help="save at most this many frames (default 100)"
    )
    capture.add_argument("--duration", type=_positive, metavar="SECONDS", help="stop after this long")

    info = commands.add_parser("info", parents=[common, json_option], help="a user's profile and LIVE room")
    info.add_argument("user", metavar="USER")
    gifts = commands.add_parser(
        "gifts", parents=[common, json_option], help="the gifts of a user's LIVE room"
    )
    gifts.add_argument("user", metavar="USER")
    feed = commands.add_parser("feed", parents=[common, json_option], help="recommended LIVEs")
    feed.add_argument("--limit", type=_count, default=20, help="how many (default 20)")
    commands.add_parser("prices", parents=[common, json_option], help="the coin price list")

    simulate = commands.add_parser(
        "simulate", parents=[common], help="serve the simulator for other programs (Ctrl-C stops)",
        description="Serve a local TikTok LIVE simulator and print its URLs; point TikTok(Endpoints(...)) "
        "or other tools at them.",
    )  # fmt: skip
    simulate.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    simulate.add_argument("--port", type=int, default=8080, help="port (0: any free one; default 8080)")
    simulate.add_argument("--duration", type=_positive, metavar="SECONDS", help="stop after this long")
    simulate.add_argument("--captures", type=Path, metavar="DIR", help="directory of real captures to replay")
    simulate.add_argument(
        "--load-rooms",
        type=int,
        default=0,
        metavar="N",
        help="for load tests: add N endless lively rooms (load_user0, load_user1, …)",
    )
    simulate.add_argument(
        "--loop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a built-in room whose LIVE ends goes live again at once, in a new room "
        "(default: on; --no-loop: each built-in LIVE plays once)",
    )
    simulate.add_argument(
        "--tls", action="store_true", help="serve HTTPS and WSS with a throw-away CA (its file is printed)"
    )
    simulate.add_argument(
        "--sent-log", type=Path, metavar="FILE",
        help="append every message sent to a client to FILE (JSON lines: room, via, msg_id, method, digest)",
    )  # fmt: skip
    from pytiktoklive.fleet.cli import add_fleet_command  # the fleet's own module (needs redis only to run)

    add_fleet_command(commands, common)
    return parser


def _version() -> str:
    from pytiktoklive import __version__

    return __version__


# --------------------------------------------------------------------------- main


def _setup_logging(debug: bool) -> None:
    # Only pytiktoklive's own messages are worth --debug; other libraries' stay at warnings
    # (websockets would dump every frame).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("pytiktoklive").setLevel(logging.DEBUG if debug else logging.WARNING)


async def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    async with _tiktok(args) as tiktok:
        return await _COMMANDS[args.command](args, tiktok, out, err)


def _silence_stdout() -> None:
    # stdout's reader went away (`| head`): stop writing, and keep Python's exit flush quiet.
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    out, err = _consoles(color=False if args.no_color else None)
    _setup_logging(args.debug)
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "fleet":
            from pytiktoklive.fleet.cli import run_fleet

            return run_fleet(args)
        return asyncio.run(_run(args, out, err))
    except KeyboardInterrupt:
        err.print("Interrupted.", style="dim")
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except (TikTokLiveError, CommandError, OSError, ValueError) as exc:
        if args.debug:
            err.print_exception()
        message = str(exc) or type(exc).__name__
        err.print(Text(f"{PROG}: error: {message}"), style="red")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
