"""A real FLV and HLS stream of test video, made once with ffmpeg.

``testsrc`` video and a ``sine`` tone, a few seconds long, encoded to FLV and
to an HLS playlist with MPEG-TS segments. The files are made on first use
into a cache directory (shared by every simulator of the machine, rebuilt
only when missing) and then served from memory. Without ffmpeg there is no
stream, and :meth:`TestMedia.load` says why.

A LIVE's FLV stream never ends by itself: :class:`FlvLoop` plays the few seconds
of video over and over, each pass with its timestamps moved on, so the simulator
can serve it at real-time pace for as long as the LIVE lasts.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

__all__ = ["FPS", "HEIGHT", "SECONDS", "WIDTH", "FlvLoop", "MediaFiles", "TestMedia"]

WIDTH = 320
HEIGHT = 240
SECONDS = 4
FPS = 25
# Bump when the files change, so stale caches are not served.
_VERSION = "v2"
_FFMPEG_TIMEOUT = 60.0


@dataclass(frozen=True)
class MediaFiles:
    """The stream in memory: the FLV file, the HLS playlist and its segments by file name."""

    flv: bytes
    playlist: bytes
    segments: Dict[str, bytes]


# FLV: a 9-byte header and a 4-byte PreviousTagSize0, then tags of an 11-byte header
# (type, 3-byte size, 3-byte timestamp + 1 extended byte, 3-byte stream id), the data and
# a 4-byte PreviousTagSize.
_FLV_START = 13
_TAG_HEADER = 11
_AUDIO, _VIDEO, _SCRIPT = 8, 9, 18


def _is_sequence_header(kind: int, data: bytes) -> bool:
    """An AVC or AAC decoder configuration (sent once, before any frame)."""
    if kind == _VIDEO:
        return len(data) > 1 and data[0] & 0x0F == 7 and data[1] == 0
    if kind == _AUDIO:
        return len(data) > 1 and data[0] >> 4 == 10 and data[1] == 0
    return kind == _SCRIPT


@dataclass(frozen=True)
class FlvLoop:
    """An FLV file as an endless live stream: :attr:`head` once (file header, metadata,
    decoder configurations), then the media tags of :meth:`tags` for ever."""

    head: bytes
    #: ``(timestamp in ms, tag with its PreviousTagSize)`` of every media tag of one pass.
    media: Tuple[Tuple[int, bytes], ...]
    #: Length of one pass in ms: the next pass's timestamps are this much later.
    period_ms: int

    @classmethod
    def parse(cls, flv: bytes) -> FlvLoop:
        if flv[:3] != b"FLV" or len(flv) < _FLV_START:
            raise ValueError("not an FLV file")
        head = bytearray(flv[:_FLV_START])
        media: List[Tuple[int, bytes]] = []
        position = _FLV_START
        while position + _TAG_HEADER <= len(flv):
            kind = flv[position] & 0x1F
            size = int.from_bytes(flv[position + 1 : position + 4], "big")
            end = position + _TAG_HEADER + size + 4
            if end > len(flv):
                break
            tag = flv[position:end]
            timestamp = int.from_bytes(tag[4:7], "big") | tag[7] << 24
            if _is_sequence_header(kind, tag[_TAG_HEADER : _TAG_HEADER + 2]):
                head += tag
            else:
                media.append((timestamp, tag))
            position = end
        if not media:
            raise ValueError("the FLV file holds no media")
        last = max(timestamp for timestamp, _ in media)
        return cls(bytes(head), tuple(media), max(SECONDS * 1000, last + 1000 // FPS))

    def tags(self) -> Iterator[Tuple[int, bytes]]:
        """``(timestamp in ms, tag)`` of every media tag, pass after pass, timestamps rising."""
        for lap in itertools.count():
            shift = lap * self.period_ms
            for timestamp, tag in self.media:
                moved = timestamp + shift
                yield moved, tag[:4] + (moved & 0xFFFFFF).to_bytes(3, "big") + bytes([moved >> 24 & 0xFF]) + tag[8:]


def _default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"pytiktoklive-simulator-media-{_VERSION}"


async def _ffmpeg_supports(ffmpeg: str, encoder: str) -> bool:
    process = await asyncio.create_subprocess_exec(
        ffmpeg, "-hide_banner", "-encoders", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    output, _ = await process.communicate()
    return any(line.split()[1:2] == [encoder] for line in output.decode(errors="replace").splitlines())


async def _run(arguments: List[str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *arguments,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, errors = await asyncio.wait_for(process.communicate(), _FFMPEG_TIMEOUT)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"ffmpeg took longer than {_FFMPEG_TIMEOUT:g}s") from None
    if process.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({process.returncode}): {errors.decode(errors='replace')[-500:]}")


def _sources() -> List[str]:
    return [
        "-f", "lavfi", "-i", f"testsrc=size={WIDTH}x{HEIGHT}:rate={FPS}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        "-t", str(SECONDS),
    ]  # fmt: skip


async def _generate(ffmpeg: str, directory: Path) -> None:
    h264 = await _ffmpeg_supports(ffmpeg, "libx264")
    video = (
        [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-pix_fmt",
            "yuv420p",
            "-g",
            str(FPS),
        ]
        if h264
        else None
    )
    audio = ["-c:a", "aac", "-b:a", "64k", "-ar", "44100"]
    common = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    await _run(
        [
            *common,
            *_sources(),
            *(video or ["-c:v", "flv1"]),
            *audio,
            # A LIVE's FLV announces no duration (it would say 4 s while the loop plays on).
            "-flvflags",
            "no_duration_filesize",
            "-f",
            "flv",
            str(directory / "stream.flv"),
        ]
    )
    hls = directory / "hls"
    hls.mkdir()
    await _run(
        [
            *common, *_sources(), *(video or ["-c:v", "mpeg2video"]), *audio,
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_playlist_type", "vod",
            "-hls_segment_filename", str(hls / "seg%03d.ts"), str(hls / "index.m3u8"),
        ]
    )  # fmt: skip


def _complete(directory: Path) -> bool:
    return (directory / "hls" / "index.m3u8").is_file() and (directory / "stream.flv").is_file()


def _read(directory: Path) -> MediaFiles:
    hls = directory / "hls"
    segments = {path.name: path.read_bytes() for path in sorted(hls.glob("*.ts"))}
    return MediaFiles((directory / "stream.flv").read_bytes(), (hls / "index.m3u8").read_bytes(), segments)


class TestMedia:
    """The test stream, made on first use; :meth:`load` returns it, or the reason there is none."""

    __test__ = False  # not a pytest test class

    def __init__(self, cache_dir: Optional[Path] = None) -> None:
        self.cache_dir = cache_dir or _default_cache_dir()
        self._lock = asyncio.Lock()
        self._loaded: Union[MediaFiles, str, None] = None

    async def load(self) -> Union[MediaFiles, str]:
        """The stream files, or a sentence saying why there are none."""
        async with self._lock:
            if self._loaded is None:
                self._loaded = await self._load()
            return self._loaded

    async def _load(self) -> Union[MediaFiles, str]:
        if _complete(self.cache_dir):
            return _read(self.cache_dir)
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            return "ffmpeg is not on PATH, so the simulator has no test stream to serve (install ffmpeg)"
        self.cache_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=self.cache_dir.name + "-", dir=self.cache_dir.parent))
        try:
            await _generate(ffmpeg, staging)
            try:
                os.replace(staging, self.cache_dir)
            except OSError:  # another process got there first, or left a broken cache behind
                if not _complete(self.cache_dir):
                    return _read(staging)
        except RuntimeError as exc:
            return f"ffmpeg could not make the test stream: {exc}"
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return _read(self.cache_dir)
