"""A real FLV and HLS stream of test video, made once with ffmpeg.

``testsrc`` video and a ``sine`` tone, a few seconds long, encoded to FLV and
to an HLS playlist with MPEG-TS segments. The files are made on first use
into a cache directory (shared by every simulator of the machine, rebuilt
only when missing) and then served from memory. Without ffmpeg there is no
stream, and :meth:`TestMedia.load` says why.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Union

__all__ = ["FPS", "HEIGHT", "SECONDS", "WIDTH", "MediaFiles", "TestMedia"]

WIDTH = 320
HEIGHT = 240
SECONDS = 4
FPS = 25
# Bump when the files change, so stale caches are not served.
_VERSION = "v1"
_FFMPEG_TIMEOUT = 60.0


@dataclass(frozen=True)
class MediaFiles:
    """The stream in memory: the FLV file, the HLS playlist and its segments by file name."""

    flv: bytes
    playlist: bytes
    segments: Dict[str, bytes]


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
