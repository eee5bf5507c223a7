"""The simulated LIVE's video: a real FLV and HLS stream made with ffmpeg, so that
downloads and recordings can be tested for real. Skips when ffmpeg is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Dict

import httpx
import pytest

pytest.importorskip("betterproto2", reason="the simulator needs betterproto2 (Python >= 3.10)")

from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator
from pytiktoklive.simulator.media import HEIGHT, WIDTH

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


@needs_ffmpeg
async def test_every_flv_quality_downloads_a_playable_video(sim: Simulator, tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=120.0) as http:
        stream = await stream_url(sim, http)
        bodies = {}
        for quality, url in stream["flv_pull_url"].items():
            answer = await http.get(url)
            assert answer.status_code == 200 and answer.headers["Content-Type"] == "video/x-flv"
            bodies[quality] = answer.content
        rtmp = await http.get(stream["rtmp_pull_url"])
    for body in [*bodies.values(), rtmp.content]:
        assert body[:3] == b"FLV"
    if shutil.which("ffprobe"):
        file = tmp_path / "live.flv"
        file.write_bytes(bodies["HD1"])
        kinds = {stream["codec_type"]: stream for stream in probe(file)["streams"]}
        assert set(kinds) == {"video", "audio"}
        assert (kinds["video"]["width"], kinds["video"]["height"]) == (WIDTH, HEIGHT)


@needs_ffmpeg
async def test_hls_playlist_and_segments(sim: Simulator) -> None:
    async with httpx.AsyncClient(timeout=120.0) as http:
        stream = await stream_url(sim, http)
        playlist = await http.get(stream["hls_pull_url"])
        assert playlist.headers["Content-Type"] == "application/vnd.apple.mpegurl"
        lines = playlist.text.splitlines()
        assert lines[0] == "#EXTM3U" and "#EXT-X-ENDLIST" in lines
        segments = [line for line in lines if line and not line.startswith("#")]
        assert len(segments) >= 2
        base = stream["hls_pull_url"].rsplit("/", 1)[0]
        for name in segments:
            segment = await http.get(f"{base}/{name}")
            assert segment.headers["Content-Type"] == "video/mp2t"
            assert segment.content[0] == 0x47  # the MPEG-TS sync byte
        missing = await http.get(f"{base}/no_such_segment.ts")
        assert missing.status_code == 404


@needs_ffmpeg
async def test_the_stream_is_gone_once_the_live_ends(sim: Simulator) -> None:
    async with httpx.AsyncClient(timeout=120.0) as http:
        stream = await stream_url(sim, http)
        sim.room("streamer").start()
        sim.room("streamer").end()
        answer = await http.get(stream["flv_pull_url"]["SD1"])
    assert answer.status_code == 404 and b"ended" in answer.content


@needs_ffmpeg
async def test_a_stream_that_ends_early(sim: Simulator) -> None:
    """``truncate("stream")``: the download stops halfway though the headers promised more."""
    async with httpx.AsyncClient(timeout=120.0) as http:
        stream = await stream_url(sim, http)
        full = await http.get(stream["flv_pull_url"]["SD2"])
        sim.faults.truncate("stream")
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError):
            async with http.stream("GET", stream["flv_pull_url"]["SD2"]) as answer:
                async for chunk in answer.aiter_raw():
                    received.extend(chunk)
    assert received == full.content[: len(full.content) // 2]


async def test_without_ffmpeg_the_stream_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing to run there
    spec = RoomSpec("streamer", scenario=LivelyScenario(duration=None))
    simulator = Simulator([spec], builtin_rooms=False, media_dir=tmp_path / "media")
    async with simulator as sim, httpx.AsyncClient() as http:
        stream = await stream_url(sim, http)
        answer = await http.get(stream["hls_pull_url"])
    assert answer.status_code == 404
    assert b"ffmpeg is not on PATH" in answer.content
