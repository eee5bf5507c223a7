"""Recording a LIVE's video with ffmpeg.

::

    async with await tiktok.track_user("someone") as live:
        recording = await live.download_stream()       # until the LIVE ends
        print(recording.path, recording.size, recording.duration)

    await live.download_stream("clip.flv", quality="hd", duration=60, on_progress=print)

ffmpeg copies the stream as it comes (``-c copy``: no re-encoding, little CPU).
The pull URL is picked from the room info (:class:`~pytiktoklive.models.StreamURLs`):
FLV by default, or HLS (``format="hls"``, saved as MPEG-TS). Both containers stay
playable when a recording is cut short, so whatever was recorded is kept.

A recording ends when the stream ends, after ``duration`` seconds, when the LIVE
ends (a control event, or ``live.ended``), when the :class:`~pytiktoklive.live.Live`
is closed, when the ``stop`` event is set, or when the task is cancelled. ffmpeg is
stopped politely (``q`` on its standard input, which finishes the file), then with
SIGTERM, then killed.

Errors: :class:`~pytiktoklive.errors.FFmpegNotFoundError` (no ffmpeg on PATH),
:class:`~pytiktoklive.errors.StreamURLNotFoundError` (no URL for that format and
quality), :class:`~pytiktoklive.errors.DownloadError` (ffmpeg failed: ``stderr_tail``
holds its last lines; ``path`` names the partial file, which is kept).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import inspect
import os
import re
import shutil
import time
import urllib.parse
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Deque,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from pytiktoklive._proxy import ProxySettings, resolve_proxies, websocket_proxy_for
from pytiktoklive._redact import redact
from pytiktoklive.errors import (
    DownloadError,
    FFmpegNotFoundError,
    LiveEndedError,
    StreamURLNotFoundError,
    UnsafeStreamURLError,
)
from pytiktoklive.models import StreamURLs

if TYPE_CHECKING:
    from pytiktoklive.live import Live

__all__ = [
    "FORMATS",
    "LEVELS",
    "QUALITIES",
    "ProgressCallback",
    "Recording",
    "RecordingProgress",
    "download_stream",
    "check_stream_url",
    "find_ffmpeg",
    "output_path",
    "pick_stream_url",
    "quality_level",
    "record_stream",
]

#: Stream formats and the extension of their recordings.
FORMATS: Mapping[str, str] = {"flv": ".flv", "hls": ".ts"}
# The muxer ffmpeg writes for each format when pytiktoklive names the file.
_MUXERS = {"flv": "flv", "hls": "mpegts"}

#: Quality names understood besides the room's own keys ("best" and "worst" pick by rank).
QUALITIES = ("best", "worst", "origin", "uhd", "hd", "sd", "ld")
# Rank of every quality name TikTok uses, lowest first: the SDK keys of
# live_core_sdk_data and the flv_pull_url names (SD1≈ld < SD2≈sd < HD1≈hd < FULL_HD1≈uhd < ORIGION≈origin).
_RANKS = {
    "ld": 1,
    "sd1": 1,
    "sd": 2,
    "sd2": 2,
    "hd": 3,
    "hd1": 3,
    "uhd": 4,
    "full_hd1": 4,
    "origin": 5,
    "origion": 5,
}

#: The one vocabulary of quality levels pytiktoklive shows, lowest first: TikTok's SDK keys.
#: TikTok's other names map onto them (SD1 → ld, SD2 → sd, HD1 → hd, FULL_HD1 → uhd, ORIGION → origin).
LEVELS = ("ld", "sd", "hd", "uhd", "origin")

#: A file or directory name.
StrPath = Union[str, "os.PathLike[str]"]

# ffmpeg gets this long to finish the file after "q", then as long again after SIGTERM.
_QUIT_GRACE = 5.0
_TERMINATE_GRACE = 5.0
# A stream that sends nothing for this long has failed (ffmpeg's -rw_timeout).
_READ_TIMEOUT = 20.0
# How often a recording checks whether its LIVE has ended.
_LIVE_CHECK_INTERVAL = 0.5
# A recording no larger than this with no time recorded holds container headers only (an FLV
# header with its metadata is ~420 bytes; a single video frame is larger).
_HEADERS_ONLY_SIZE = 4096
# Seconds an interrupted recording waits for ffmpeg's last progress report.
_LAST_PROGRESS_WAIT = 1.0
# Lines of ffmpeg's standard error kept for error messages.
_STDERR_LINES = 20


@dataclasses.dataclass(frozen=True)
class RecordingProgress:
    """How far a recording is: ``size`` bytes written, ``duration`` seconds of video recorded."""

    path: Path
    size: int = 0
    duration: float = 0.0


#: Receives each :class:`RecordingProgress` (about twice a second); may be async.
ProgressCallback = Callable[[RecordingProgress], Any]


@dataclasses.dataclass(frozen=True)
class Recording:
    """A finished recording.

    ``reason`` says what ended it: ``"finished"`` (the stream ended, or ``duration``
    was reached), ``"live ended"``, or ``"stopped"`` (the ``stop`` event, or the Live closed).
    """

    path: Path
    url: str
    size: int
    duration: float
    reason: str
    quality: str = ""


def find_ffmpeg(executable: Optional[str] = None) -> str:
    """The ffmpeg to run: ``executable`` if given, else ``ffmpeg`` on PATH.

    Raises :class:`FFmpegNotFoundError` with a hint on installing it.
    """
    found = shutil.which(executable or "ffmpeg")
    if found is None:
        where = f"{executable!r} is not an executable" if executable else "ffmpeg is not on PATH"
        raise FFmpegNotFoundError(
            f"{where}: recording needs ffmpeg (https://ffmpeg.org; e.g. `apt install ffmpeg`, "
            "`brew install ffmpeg`, `winget install ffmpeg`)"
        )
    return found


# --------------------------------------------------------------------------- stream URL


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")


def _rank(name: str) -> int:
    return _RANKS.get(name.lower(), 0)


def quality_level(name: str) -> str:
    """The level (one of :data:`LEVELS`) of a quality name of either vocabulary (``"HD1"`` → ``"hd"``);
    a name of neither is returned as it is."""
    rank = _rank(name)
    return LEVELS[rank - 1] if rank else name


def pick_stream_url(urls: StreamURLs, quality: str = "best", format: str = "flv") -> Tuple[str, str]:
    """``(quality name, URL)`` of the room's stream in ``format`` (``"flv"`` or ``"hls"``).

    ``quality`` is ``"best"``, ``"worst"``, a level (``"origin"``, ``"uhd"``, ``"hd"``,
    ``"sd"``, ``"ld"``) or one of the room's own names (``urls.qualities``, e.g. ``"HD1"``).
    A level matches TikTok's other name for it (``"hd"`` finds ``HD1``).
    Raises :class:`StreamURLNotFoundError` when the room offers nothing that fits.
    """
    _check_format(format)
    candidates: Dict[str, str] = dict(urls.flv if format == "flv" else urls.hls)
    default = urls.flv_url if format == "flv" else urls.hls_url
    # The top-level pull URL (rtmp_pull_url / hls_pull_url) is the original quality.
    if default and default not in candidates.values():
        candidates.setdefault("ORIGION", default)
    if not candidates:
        raise StreamURLNotFoundError(f"the room offers no {format.upper()} stream URL (is it live?)")
    wanted = quality.strip()
    if wanted.lower() in ("best", "worst"):
        pick = max if wanted.lower() == "best" else min
        name = pick(candidates, key=_rank)
        return name, candidates[name]
    for name, url in candidates.items():
        if name.lower() == wanted.lower():
            return name, url
    if _rank(wanted):
        for name, url in candidates.items():
            if _rank(name) == _rank(wanted):
                return name, url
    offered = ", ".join(dict.fromkeys(quality_level(name) for name in sorted(candidates, key=_rank)))
    raise StreamURLNotFoundError(
        f"the room offers no {format.upper()} stream in quality {quality!r} (offered: {offered})"
    )


# --------------------------------------------------------------------------- file names

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
# Characters of the name part of a generated file name: a 300-character "username" from a
# server must not make a name the file system refuses (255 bytes on most).
_MAX_NAME = 64
# URL schemes a stream may have, and the protocols ffmpeg may then open (TLS, HLS
# encryption and CONNECT proxies included): never file:, concat:, pipe: or the like.
_STREAM_SCHEMES = ("http", "https")
_PROTOCOLS = "http,https,tcp,tls,crypto,httpproxy"


def check_stream_url(url: str) -> None:
    """Raise :class:`UnsafeStreamURLError` unless ``url`` is an ``http``/``https`` URL with a host."""
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:
        split = None
    if split is None or split.scheme.lower() not in _STREAM_SCHEMES or not split.netloc:
        shown = redact(url[:100]) + ("…" if len(url) > 100 else "")
        raise UnsafeStreamURLError(
            f"refusing to record {shown!r}: only http(s) stream URLs are handed to ffmpeg"
        )


def _reserve(path: Path) -> bool:
    """Create ``path`` empty if it does not exist (atomically: two recorders never share a name)."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def output_path(
    path: Optional[StrPath],
    user: str,
    extension: str,
    *,
    overwrite: bool = False,
    now: Optional[float] = None,
) -> Path:
    """Where a recording goes, reserved on disk (an empty file is created).

    ``path`` None or a directory: ``{user}-{YYYYmmdd-HHMMSS}{extension}`` there (``user``
    made safe and cut to 64 characters), with ``-1``, ``-2``… added rather than overwriting a
    file. ``path`` a file name: that file; if it exists, :class:`FileExistsError` unless
    ``overwrite``. A file that cannot be created raises :class:`DownloadError`.
    """
    try:
        return _output_path(path, user, extension, overwrite=overwrite, now=now)
    except FileExistsError:
        raise
    except OSError as exc:  # a name too long, a read-only directory, a full disk…
        raise DownloadError(
            f"cannot create the recording file{f' in {path}' if path is not None else ''}: "
            f"{exc.strerror or exc}"
        ) from exc


def _output_path(
    path: Optional[StrPath], user: str, extension: str, *, overwrite: bool, now: Optional[float]
) -> Path:
    target = Path(path) if path is not None else Path.cwd()
    if path is not None and not target.is_dir() and not str(path).endswith(("/", os.sep)):
        target.parent.mkdir(parents=True, exist_ok=True)
        if overwrite:
            target.touch()
        elif not _reserve(target):
            raise FileExistsError(f"{target} already exists (pass overwrite=True to replace it)")
        return target
    target.mkdir(parents=True, exist_ok=True)
    safe_user = _UNSAFE.sub("_", user)[:_MAX_NAME].strip("._") or "live"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for attempt in range(10_000):
        suffix = f"-{attempt}" if attempt else ""
        candidate = target / f"{safe_user}-{stamp}{suffix}{extension}"
        if _reserve(candidate):
            return candidate
    raise FileExistsError(f"no free file name for {safe_user}-{stamp}{extension} in {target}")


# --------------------------------------------------------------------------- proxy


def ffmpeg_proxy(proxies: ProxySettings, url: str) -> Optional[str]:
    """The proxy ffmpeg should use for ``url`` under the client's proxy rules (None: direct).

    ffmpeg speaks only HTTP proxies; a SOCKS proxy raises :class:`DownloadError` rather than
    letting the recording go around it.
    """
    # The video is HTTP traffic: the HTTP proxy, with NO_PROXY for environment proxies.
    proxy = websocket_proxy_for(dataclasses.replace(proxies, websocket=proxies.http), url)
    if proxy is None:
        return None
    scheme = urllib.parse.urlsplit(proxy).scheme.lower()
    if scheme not in ("http", "https"):
        raise DownloadError(
            f"ffmpeg cannot record through a {scheme} proxy (only http:// proxies); "
            "use an HTTP proxy for recording"
        )
    return proxy


# --------------------------------------------------------------------------- running ffmpeg


def _ffmpeg_arguments(
    executable: str,
    url: str,
    path: Path,
    *,
    muxer: Optional[str],
    proxy: Optional[str],
    duration: Optional[float],
) -> List[str]:
    arguments = [
        executable,
        "-hide_banner",
        "-loglevel", "warning",
        "-nostats",
        "-progress", "pipe:1",  # key=value blocks on stdout, read by _follow_progress
        "-rw_timeout", str(int(_READ_TIMEOUT * 1_000_000)),
    ]  # fmt: skip
    if proxy:
        arguments += ["-http_proxy", proxy]
    # What the input (an HLS playlist included) may open: the web, never local files or pipes.
    arguments += ["-protocol_whitelist", _PROTOCOLS]
    arguments += ["-i", url, "-c", "copy"]
    if duration is not None:
        arguments += ["-t", f"{duration:g}"]
    if muxer:
        arguments += ["-f", muxer]
    # -y: the file exists already, reserved empty by output_path.
    arguments += ["-y", str(path)]
    return arguments


def _number(value: str) -> Optional[float]:
    try:
        return float(value)
    except ValueError:  # "N/A" before the first packet
        return None


class _State:
    """What ffmpeg reported last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self.duration = 0.0


async def _follow_progress(
    stream: asyncio.StreamReader, state: _State, on_progress: Optional[ProgressCallback]
) -> None:
    """Read ffmpeg's ``-progress`` blocks (``key=value`` lines ending with ``progress=…``)."""
    while True:
        line = await stream.readline()
        if not line:
            return
        key, _, value = line.decode("utf-8", "replace").strip().partition("=")
        if key == "total_size":
            size = _number(value)
            if size is not None and size >= 0:
                state.size = int(size)
        elif key == "out_time_us":
            microseconds = _number(value)
            if microseconds is not None and microseconds >= 0:
                state.duration = microseconds / 1_000_000
        elif key == "progress" and on_progress is not None:
            result = on_progress(RecordingProgress(state.path, state.size, state.duration))
            if inspect.isawaitable(result):
                await result


async def _collect_lines(stream: asyncio.StreamReader, tail: Deque[str]) -> None:
    while True:
        line = await stream.readline()
        if not line:
            return
        text = line.decode("utf-8", "replace").rstrip()
        if text:
            tail.append(text)


async def _exited_within(exited: Awaitable[int], seconds: float) -> bool:
    try:
        await asyncio.wait_for(asyncio.shield(exited), seconds)
    except asyncio.TimeoutError:
        return False
    return True


async def _stop_process(process: asyncio.subprocess.Process, exited: Awaitable[int]) -> None:
    """``q`` (ffmpeg finishes the file), then SIGTERM, then SIGKILL, each after a grace period."""
    stdin = process.stdin
    if stdin is not None and process.returncode is None:
        # BrokenPipe/ConnectionReset: it is exiting already.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            stdin.write(b"q")
            await stdin.drain()
            stdin.close()
    if await _exited_within(exited, _QUIT_GRACE):
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    if await _exited_within(exited, _TERMINATE_GRACE):
        return
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await exited


async def _event_set(event: asyncio.Event) -> str:
    await event.wait()
    return "stopped"


async def _live_over(live: Live) -> str:
    # Polled: the LIVE's end is known to the room's protocol as soon as the control
    # event is decoded, whether or not anyone has consumed the events yet.
    while not (live.ended or live.closed):
        await asyncio.sleep(_LIVE_CHECK_INTERVAL)
    return "live ended" if live.ended else "stopped"


async def _record(
    executable: str,
    url: str,
    path: Path,
    *,
    muxer: Optional[str],
    proxy: Optional[str],
    duration: Optional[float],
    on_progress: Optional[ProgressCallback],
    stop_when: Sequence[Awaitable[str]],
    quality: str = "",
) -> Recording:
    arguments = _ffmpeg_arguments(executable, url, path, muxer=muxer, proxy=proxy, duration=duration)
    try:
        process = await asyncio.create_subprocess_exec(
            *arguments,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        _discard_if_empty(path)
        raise DownloadError(f"could not start ffmpeg ({executable}): {exc}") from exc
    assert process.stdout is not None and process.stderr is not None
    state = _State(path)
    tail: Deque[str] = collections.deque(maxlen=_STDERR_LINES)
    exited = asyncio.ensure_future(process.wait())
    progress = asyncio.ensure_future(_follow_progress(process.stdout, state, on_progress))
    errors = asyncio.ensure_future(_collect_lines(process.stderr, tail))
    stoppers = [asyncio.ensure_future(stopper) for stopper in stop_when]
    reason = "finished"
    try:
        done, _ = await asyncio.wait({exited, progress, *stoppers}, return_when=asyncio.FIRST_COMPLETED)
        if progress in done and progress.exception() is not None:
            await _stop_process(process, exited)
            progress.result()  # the progress callback's exception
        for stopper in stoppers:
            if stopper in done:
                reason = stopper.result()
                break
        if not exited.done():
            if reason == "finished":  # ffmpeg closed its output early: wait for it to exit
                await exited
            else:
                await _stop_process(process, exited)
        # The pipes close when ffmpeg exits: the last progress block and error lines are in.
        await asyncio.gather(progress, errors)
    except BaseException:
        if process.returncode is None:
            stopping = asyncio.ensure_future(_stop_process(process, exited))
            try:
                await asyncio.shield(stopping)
            except asyncio.CancelledError:  # cancelled again: no more patience
                process.kill()
                raise
        # Interrupted (Ctrl-C) before any video came: leave no file of headers only behind.
        with contextlib.suppress(BaseException):  # ffmpeg has exited: its last progress block is due
            await asyncio.wait_for(asyncio.shield(progress), _LAST_PROGRESS_WAIT)
        _discard_without_media(path, state)
        raise
    finally:
        for task in (*stoppers, progress, errors):
            task.cancel()
        await asyncio.gather(*stoppers, progress, errors, return_exceptions=True)

    size = path.stat().st_size if path.exists() else 0
    returncode = exited.result()
    stderr_tail = "\n".join(tail)
    if returncode != 0 and reason == "finished":
        kept = not _discard_if_empty(path)
        last = tail[-1] if tail else f"exit status {returncode}"
        raise DownloadError(
            f"ffmpeg failed (exit status {returncode}): {last}"
            + (f"; the partial recording is kept in {path}" if kept else ""),
            stderr_tail=stderr_tail,
            path=str(path) if kept else "",
        )
    if size == 0:
        _discard_if_empty(path)
        raise DownloadError(
            "ffmpeg recorded nothing" + (f": {tail[-1]}" if tail else ""), stderr_tail=stderr_tail
        )
    if _discard_without_media(path, state):
        raise DownloadError(
            f"no video was recorded ({reason} before the stream sent any); the empty {path.name} was removed",
            stderr_tail=stderr_tail,
        )
    return Recording(path, url, size, state.duration, reason, quality)


def _discard_without_media(path: Path, state: _State) -> bool:
    """Remove a recording that holds container headers only (no video, no audio: ffmpeg
    reported no time recorded and the file is header-sized); True if removed."""
    try:
        if state.duration <= 0 and path.stat().st_size <= _HEADERS_ONLY_SIZE:
            path.unlink()
            return True
    except FileNotFoundError:
        pass
    return False


def _discard_if_empty(path: Path) -> bool:
    """Remove the reserved file if nothing was written into it; True if removed (or absent)."""
    try:
        if path.stat().st_size == 0:
            path.unlink()
        else:
            return False
    except FileNotFoundError:
        pass
    return True


def _check_duration(duration: Optional[float]) -> None:
    if duration is not None and not duration > 0:
        raise ValueError(f"duration must be a positive number of seconds, not {duration!r}")


async def record_stream(
    url: str,
    path: StrPath,
    *,
    format: Optional[str] = None,
    duration: Optional[float] = None,
    on_progress: Optional[ProgressCallback] = None,
    stop: Optional[asyncio.Event] = None,
    proxy: Optional[str] = None,
    overwrite: bool = False,
    ffmpeg: Optional[str] = None,
) -> Recording:
    """Record the stream at ``url`` into the file ``path`` (any stream URL ffmpeg reads).

    ``format`` (``"flv"``/``"hls"``) forces the output container of that format; by default
    ffmpeg picks it from the file's extension. Other arguments as in :func:`download_stream`.
    """
    _check_duration(duration)
    if format is not None:
        _check_format(format)
    check_stream_url(url)
    executable = find_ffmpeg(ffmpeg)
    target = output_path(path, "recording", FORMATS[format] if format else "", overwrite=overwrite)
    return await _record(
        executable,
        url,
        target,
        muxer=_MUXERS[format] if format else None,
        proxy=proxy,
        duration=duration,
        on_progress=on_progress,
        stop_when=[_event_set(stop)] if stop is not None else [],
    )


async def download_stream(
    live: Live,
    path: Optional[StrPath] = None,
    *,
    quality: str = "best",
    format: str = "flv",
    duration: Optional[float] = None,
    on_progress: Optional[ProgressCallback] = None,
    stop: Optional[asyncio.Event] = None,
    proxy: Optional[str] = None,
    client_proxies: Optional[ProxySettings] = None,
    overwrite: bool = False,
    ffmpeg: Optional[str] = None,
) -> Recording:
    """Record ``live``'s video until it ends (see the module docstring); returns the :class:`Recording`.

    Arguments:
        path: a file, or a directory for ``{user}-{timestamp}.flv`` (``.ts`` for HLS);
            the current directory by default. Files are never overwritten unless ``overwrite``.
        quality: ``"best"`` (default), ``"worst"``, ``"origin"``/``"uhd"``/``"hd"``/``"sd"``/``"ld"``,
            or a name of ``live.info.stream_urls.qualities``.
        format: ``"flv"`` or ``"hls"``.
        duration: stop after this many seconds of video.
        on_progress: called with a :class:`RecordingProgress` about twice a second (sync or async).
        stop: set this event to stop the recording (the file is finished properly).
        proxy: an HTTP proxy URL for ffmpeg; by default the client's proxy settings apply.
        ffmpeg: the ffmpeg executable (default: ``ffmpeg`` on PATH).

    Keep consuming the room's events meanwhile (or leave them buffered): the end of the
    LIVE is noticed when its control event arrives. If the room's buffer fills up, the
    recording still ends when the stream itself does.
    """
    _check_duration(duration)
    _check_format(format)
    executable = find_ffmpeg(ffmpeg)
    if live.ended:
        raise LiveEndedError(f"the LIVE of room {live.room_id} has ended: there is nothing to record")
    chosen, url = pick_stream_url(live.info.stream_urls, quality, format)
    check_stream_url(url)  # room/info comes from a server: file:, concat: & co. never reach ffmpeg
    if proxy is None:
        proxy = ffmpeg_proxy(client_proxies or resolve_proxies(), url)
    else:
        proxy = ffmpeg_proxy(resolve_proxies(proxy), url)
    user = live.username or live.info.owner.username or f"room{live.room_id}"
    target = output_path(path, user, FORMATS[format], overwrite=overwrite)
    stop_when: List[Awaitable[str]] = [_live_over(live)]
    if stop is not None:
        stop_when.append(_event_set(stop))
    # A file name with another extension (.mkv, .mp4…) lets ffmpeg pick the container by it.
    own_extension = target.suffix.lower() in ("", FORMATS[format])
    return await _record(
        executable,
        url,
        target,
        muxer=_MUXERS[format] if own_extension else None,
        proxy=proxy,
        duration=duration,
        on_progress=on_progress,
        stop_when=stop_when,
        quality=chosen,
    )
