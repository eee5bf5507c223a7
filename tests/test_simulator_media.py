"""The simulated LIVE's video: a real FLV and HLS stream made with ffmpeg, so that
downloads and recordings can be tested for real. Skips when ffmpeg is missing."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List

import httpx
import pytest

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator
from pytiktoklive.simulator.media import HEIGHT, SECONDS, WIDTH, FlvLoop, HlsLoop

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="the simulator needs Python >= 3.10")
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    # The default media cache (in the temp directory) is shared: ffmpeg runs once per machine.
    spec = RoomSpec("streamer", scenario=LivelyScenario(duration=None))
    async with Simulator([spec], builtin_rooms=False) as simulator:
        yield simulator


async def stream_url(sim: Simulator, http: httpx.AsyncClient) -> Dict[str, Any]:
    room = sim.room("streamer")
    answer = await http.get(sim.endpoints.webcast + "/room/info/", params={"room_id": room.room_id})
    stream: Dict[str, Any] = answer.json()["data"]["stream_url"]
    return stream


def probe_format(path: Path) -> Dict[str, Any]:
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    result: Dict[str, Any] = json.loads(output)["format"]
    return result


def probe(path: Path) -> Dict[str, Any]:
    """What ffprobe sees in a file: its streams."""
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    result: Dict[str, Any] = json.loads(output)
    return result


async def first_seconds(http: httpx.AsyncClient, url: str, seconds: float) -> bytes:
    """The first ``seconds`` of a live FLV stream (it goes on while the LIVE does)."""
    loop = asyncio.get_running_loop()
    body = bytearray()
    async with http.stream("GET", url) as answer:
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "video/x-flv"
        started = loop.time()
        async for chunk in answer.aiter_raw():
            body += chunk
            if loop.time() - started >= seconds:
                break
    return bytes(body)


@needs_ffmpeg
async def test_every_flv_quality_downloads_a_playable_video(sim: Simulator, tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=120.0) as http:
        stream = await stream_url(sim, http)
        bodies = {}
        for quality, url in stream["flv_pull_url"].items():
            bodies[quality] = await first_seconds(http, url, 0.2)
        rtmp = await first_seconds(http, stream["rtmp_pull_url"], 0.2)
    for body in [*bodies.values(), rtmp]:
        assert body[:3] == b"FLV"
    if shutil.which("ffprobe"):
        file = tmp_path / "live.flv"
        file.write_bytes(bodies["HD1"])
        kinds = {stream["codec_type"]: stream for stream in probe(file)["streams"]}
        assert set(kinds) == {"video", "audio"}
        assert (kinds["video"]["width"], kinds["video"]["height"]) == (WIDTH, HEIGHT)


@needs_ffmpeg
async def test_hls_is_a_live_playlist_of_segments(sim: Simulator) -> None:
    async with httpx.AsyncClient(timeout=120.0) as http:
        stream = await stream_url(sim, http)
        playlist = await http.get(stream["hls_pull_url"])
        assert playlist.headers["Content-Type"] == "application/vnd.apple.mpegurl"
        lines = playlist.text.splitlines()
        # Live: no end, a media sequence; a segment is listed once it is complete (1 s ahead).
        assert lines[0] == "#EXTM3U" and "#EXT-X-ENDLIST" not in lines
        assert "#EXT-X-MEDIA-SEQUENCE:0" in lines
        segments = [line for line in lines if line and not line.startswith("#")]
        assert segments == ["live0.ts"]
        base = stream["hls_pull_url"].rsplit("/", 1)[0]
        for name in segments:
            segment = await http.get(f"{base}/{name}")
            assert segment.headers["Content-Type"] == "video/mp2t"
            assert segment.content[0] == 0x47  # the MPEG-TS sync byte
        for missing in ("no_such_segment.ts", "live5.ts"):  # live5: not yet
            assert (await http.get(f"{base}/{missing}")).status_code == 404


def pes_timestamps(segment: bytes) -> List[int]:
    """The PTS of every PES packet start of an MPEG-TS segment."""
    stamps = []
    for offset in range(0, len(segment), 188):
        packet = segment[offset : offset + 188]
        control = packet[3] >> 4 & 3
        start = 4 + (1 + packet[4] if control & 2 else 0)
        pes_start = packet[1] & 0x40 and control & 1 and packet[start : start + 3] == b"\x00\x00\x01"
        if pes_start and packet[start + 7] & 0x80 and packet[start + 3] >= 0xBC:
            at = start + 9
            stamps.append(
                (packet[at] >> 1 & 7) << 30 | packet[at + 1] << 22 | (packet[at + 2] >> 1) << 15
                | packet[at + 3] << 7 | packet[at + 4] >> 1
            )  # fmt: skip
    return stamps


@needs_ffmpeg
async def test_the_hls_loop_moves_timestamps_on_pass_after_pass(sim: Simulator) -> None:
    media = await sim.media.load()
    assert not isinstance(media, str)
    hls = HlsLoop.parse(media.playlist, media.segments)
    passes = len(hls.names)
    assert hls.segment(0) == media.segments[hls.names[0]]
    first, third_pass = pes_timestamps(hls.segment(1)), pes_timestamps(hls.segment(2 * passes + 1))
    assert first and [stamp - 2 * hls.period for stamp in third_pass] == first
    assert hls.start_of(passes) == pytest.approx(hls.period / 90_000)
    assert hls.period >= SECONDS * 90_000
    late = hls.playlist(3 * hls.period / 90_000 + 0.5, lead=1.0, window=4, ended=False).decode()
    assert f"live{3 * passes}.ts" in late and "live0.ts" not in late
    assert "#EXT-X-ENDLIST" in hls.playlist(0, lead=1.0, window=4, ended=True).decode()


@needs_ffmpeg
async def test_the_stream_is_gone_once_the_live_ends(sim: Simulator) -> None:
    async with httpx.AsyncClient(timeout=120.0) as http:
        stream = await stream_url(sim, http)
        sim.room("streamer").start()
        sim.room("streamer").end()
        answer = await http.get(stream["flv_pull_url"]["SD1"])
    assert answer.status_code == 404 and b"ended" in answer.content


@needs_ffmpeg
async def test_the_flv_stream_is_live_for_as_long_as_the_live_lasts(tmp_path: Path) -> None:
    """Real-time pace, timestamps rising pass after pass of the looping video, and the end
    of the body when the LIVE ends."""
    spec = RoomSpec("streamer", scenario=LivelyScenario(duration=None))
    async with Simulator([spec], builtin_rooms=False) as sim, httpx.AsyncClient(timeout=60.0) as http:
        room = sim.room("streamer")
        room.start()
        url = (await stream_url(sim, http))["flv_pull_url"]["HD1"]
        loop = asyncio.get_running_loop()
        asyncio.get_running_loop().call_later(SECONDS + 2.5, room.end)
        started = loop.time()
        body = bytearray()
        async with http.stream("GET", url) as answer:
            async for chunk in answer.aiter_raw():
                body += chunk
        took = loop.time() - started
    assert took >= SECONDS + 2  # not sent at once: paced, until the LIVE ended
    flv = FlvLoop.parse(bytes(body))
    stamps = [timestamp for timestamp, _ in flv.media]
    assert max(stamps) > SECONDS * 1000  # into the second pass of the 4 s video
    assert stamps == sorted(stamps) or all(b >= a - 50 for a, b in zip(stamps, stamps[1:]))
    file = tmp_path / "live.flv"
    file.write_bytes(body)
    if shutil.which("ffprobe"):
        assert float(probe_format(file)["duration"]) > SECONDS


@needs_ffmpeg
async def test_a_stream_that_ends_early(sim: Simulator) -> None:
    """``truncate("stream")``: the download stops halfway though the headers promised more."""
    async with httpx.AsyncClient(timeout=120.0) as http:
        stream = await stream_url(sim, http)
        media = await sim.media.load()
        assert not isinstance(media, str)
        sim.faults.truncate("stream")
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError):
            async with http.stream("GET", stream["flv_pull_url"]["SD2"]) as answer:
                async for chunk in answer.aiter_raw():
                    received.extend(chunk)
    assert received == media.flv[: len(media.flv) // 2]  # half of one pass of the video file


async def test_without_ffmpeg_the_stream_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to run there
    spec = RoomSpec("streamer", scenario=LivelyScenario(duration=None))
    simulator = Simulator([spec], builtin_rooms=False, media_dir=tmp_path / "media")
    async with simulator as sim, httpx.AsyncClient() as http:
        stream = await stream_url(sim, http)
        answer = await http.get(stream["hls_pull_url"])
    assert answer.status_code == 404
    assert b"ffmpeg is not on PATH" in answer.content
