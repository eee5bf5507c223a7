"""A real FLV and HLS stream of test video, made once with ffmpeg.

``testsrc`` video and a ``sine`` tone, a few seconds long, encoded to FLV and
to an HLS playlist with MPEG-TS segments. The files are made on first use
into a cache directory (shared by every simulator of the machine, rebuilt
only when missing) and then served from memory. Without ffmpeg there is no
stream, and :meth:`TestMedia.load` says why.

A LIVE's stream never ends by itself: :class:`FlvLoop` and :class:`HlsLoop` play the
few seconds of video over and over, each pass with its timestamps (and MPEG-TS
continuity counters) moved on, so the simulator can serve them at real-time pace for
as long as the LIVE lasts: FLV as one endless body, HLS as a sliding live playlist.
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

__all__ = ["FPS", "HEIGHT", "SECONDS", "WIDTH", "FlvLoop", "HlsLoop", "MediaFiles", "TestMedia"]

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
                yield (
                    moved,
                    tag[:4] + (moved & 0xFFFFFF).to_bytes(3, "big") + bytes([moved >> 24 & 0xFF]) + tag[8:],
                )


# MPEG-TS: 188-byte packets; timestamps (PTS, DTS, the PCR's base) count a 90 kHz clock
# in 33 bits.
_TS_PACKET = 188
_TS_CLOCK = 90_000
_TS_WRAP = 1 << 33


def _read_timestamp(data: Union[bytes, bytearray], at: int) -> int:
    """A PES header's 5-byte PTS or DTS."""
    return (
        (data[at] >> 1 & 0x07) << 30
        | data[at + 1] << 22
        | (data[at + 2] >> 1) << 15
        | data[at + 3] << 7
        | data[at + 4] >> 1
    )


def _write_timestamp(packet: bytearray, at: int, value: int) -> None:
    value %= _TS_WRAP
    packet[at] = (packet[at] & 0xF1) | (value >> 30 & 0x07) << 1
    packet[at + 1] = value >> 22 & 0xFF
    packet[at + 2] = (value >> 15 & 0x7F) << 1 | 1
    packet[at + 3] = value >> 7 & 0xFF
    packet[at + 4] = (value & 0x7F) << 1 | 1


def _ts_packets(segment: bytes) -> Iterator[Tuple[int, int, int, Optional[int], Optional[int]]]:
    """Per packet: ``(offset, pid, has payload, PCR offset or None, PES timestamps offset or None)``."""
    for offset in range(0, len(segment) - _TS_PACKET + 1, _TS_PACKET):
        packet = segment[offset : offset + _TS_PACKET]
        if packet[0] != 0x47:
            continue
        pid = (packet[1] & 0x1F) << 8 | packet[2]
        control = packet[3] >> 4 & 0x03
        payload = 4
        pcr = None
        if control & 0x02:
            length = packet[4]
            if length and packet[5] & 0x10 and length >= 7:
                pcr = 6
            payload = 5 + length
        pes = None
        if (
            control & 0x01
            and packet[1] & 0x40
            and packet[payload : payload + 3] == b"\x00\x00\x01"
            and packet[payload + 3] >= 0xBC
            and payload + 14 <= _TS_PACKET
        ):
            pes = payload
        yield offset, pid, control & 0x01, pcr, pes


@dataclass(frozen=True)
class HlsLoop:
    """The HLS segments as an endless live stream: segment ``k`` is segment ``k % n`` of the
    files, its timestamps and continuity counters moved on by ``k // n`` passes."""

    names: Tuple[str, ...]
    durations: Tuple[float, ...]
    segments: Tuple[bytes, ...]
    #: Length of one pass in 90 kHz ticks.
    period: int
    #: Packets with a payload per pass, by PID (their continuity counters go on from pass to pass).
    payload_packets: Dict[int, int]

    @classmethod
    def parse(cls, playlist: bytes, segments: Dict[str, bytes]) -> HlsLoop:
        names: List[str] = []
        durations: List[float] = []
        duration = 0.0
        for line in playlist.decode("utf-8", "replace").splitlines():
            if line.startswith("#EXTINF:"):
                duration = float(line[len("#EXTINF:") :].split(",")[0])
            elif line and not line.startswith("#") and line in segments:
                names.append(line)
                durations.append(duration)
        if not names:
            raise ValueError("the HLS playlist lists no segment")
        counts: Dict[int, int] = {}
        lowest, highest = None, 0
        for name in names:
            for offset, pid, payload, _, pes in _ts_packets(segments[name]):
                counts[pid] = counts.get(pid, 0) + (1 if payload else 0)
                if pes is not None and segments[name][offset + pes + 7] >> 6 & 0x02:
                    stamp = _read_timestamp(segments[name], offset + pes + 9)
                    lowest = stamp if lowest is None else min(lowest, stamp)
                    highest = max(highest, stamp)
        span = highest - (lowest or 0) + _TS_CLOCK // FPS
        period = max(round(sum(durations) * _TS_CLOCK), span)
        return cls(tuple(names), tuple(durations), tuple(segments[name] for name in names), period, counts)

    def start_of(self, index: int) -> float:
        """Seconds from the start of the stream to the start of segment ``index``."""
        laps, position = divmod(index, len(self.names))
        return laps * self.period / _TS_CLOCK + sum(self.durations[:position])

    def duration_of(self, index: int) -> float:
        return self.durations[index % len(self.names)]

    def segment(self, index: int) -> bytes:
        """Segment ``index`` of the endless stream."""
        laps, position = divmod(index, len(self.names))
        original = self.segments[position]
        if not laps:
            return original
        data = bytearray(original)
        shift = laps * self.period
        for offset, pid, payload, pcr, pes in _ts_packets(original):
            if payload:
                counter = (data[offset + 3] & 0x0F) + laps * self.payload_packets.get(pid, 0)
                data[offset + 3] = (data[offset + 3] & 0xF0) | counter % 16
            if pcr is not None:
                at = offset + pcr
                base = int.from_bytes(data[at : at + 5], "big") >> 7
                moved = (base + shift) % _TS_WRAP
                data[at : at + 5] = ((moved << 7) | (data[at + 4] & 0x7F)).to_bytes(5, "big")
            if pes is not None:
                flags = data[offset + pes + 7] >> 6
                if flags & 0x02:
                    at = offset + pes + 9
                    _write_timestamp(data, at, _read_timestamp(data, at) + shift)
                if flags == 0x03:
                    at = offset + pes + 14
                    _write_timestamp(data, at, _read_timestamp(data, at) + shift)
        return bytes(data)

    def playlist(self, elapsed: float, *, lead: float, window: int, ended: bool) -> bytes:
        """The live playlist ``elapsed`` seconds into the stream: the last ``window`` segments
        that are complete ``lead`` seconds ahead of real time (``#EXT-X-ENDLIST`` once ``ended``)."""
        last = 0  # the last segment that ends by elapsed + lead
        while self.start_of(last + 2) <= elapsed + lead:
            last += 1
        first = max(0, last - window + 1)
        target = max(1, int(-(-max(self.durations) // 1)))
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{target}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for index in range(first, last + 1):
            lines += [f"#EXTINF:{self.duration_of(index):.6f},", f"live{index}.ts"]
        if ended:
            lines.append("#EXT-X-ENDLIST")
        return ("\n".join(lines) + "\n").encode()


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
