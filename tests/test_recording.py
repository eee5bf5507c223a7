"""Recording with ffmpeg (pytiktoklive.recording), against the simulator's real FLV/HLS streams."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional

import pytest
from proxies import HttpProxy
from pytiktoklive import TikTok
from pytiktoklive._proxy import resolve_proxies
from pytiktoklive.errors import (
    DownloadError,
    FFmpegNotFoundError,
    LiveEndedError,
    StreamURLNotFoundError,
)
from pytiktoklive.live import Live
from pytiktoklive.models import StreamURLs
from pytiktoklive.recording import (
    RecordingProgress,
    ffmpeg_proxy,
    output_path,
    pick_stream_url,
    record_stream,
)

HAVE_FFMPEG = shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
requires_ffmpeg = pytest.mark.skipif(not HAVE_FFMPEG, reason="needs ffmpeg and ffprobe on PATH")


def probe(path: Path) -> Dict[str, Any]:
    """ffprobe's view of a file: its format name and duration."""
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=format_name,duration", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    fmt = json.loads(output)["format"]
    return {"format": fmt["format_name"], "duration": float(fmt["duration"])}


# --------------------------------------------------------------------------- picking the URL

FLV = {
    "FULL_HD1": "http://cdn/uhd.flv",
    "HD1": "http://cdn/hd.flv",
    "SD2": "http://cdn/sd.flv",
    "SD1": "http://cdn/ld.flv",
}


def test_pick_best_and_worst_use_tiktoks_quality_order() -> None:
    urls = StreamURLs(
        flv_url="http://cdn/or4.flv",
        flv={**FLV, "origin": "http://cdn/or4.flv", "ld": "http://cdn/ld.flv"},
        hls={"hd": "http://cdn/hd.m3u8", "sd": "http://cdn/sd.m3u8"},
        hls_url="http://cdn/or4.m3u8",
    )
    assert pick_stream_url(urls) == ("origin", "http://cdn/or4.flv")
    assert pick_stream_url(urls, "worst")[1] == "http://cdn/ld.flv"
    # hls_pull_url is the original quality even when stream_data lists only lower ones
    assert pick_stream_url(urls, "best", "hls") == ("ORIGION", "http://cdn/or4.m3u8")
    assert pick_stream_url(urls, "worst", "hls") == ("sd", "http://cdn/sd.m3u8")


def test_pick_by_name_or_by_level() -> None:
    urls = StreamURLs(flv=FLV)
    assert pick_stream_url(urls, "HD1") == ("HD1", "http://cdn/hd.flv")
    assert pick_stream_url(urls, "hd1") == ("HD1", "http://cdn/hd.flv")
    # a level finds TikTok's other name for it
    assert pick_stream_url(urls, "uhd") == ("FULL_HD1", "http://cdn/uhd.flv")
    assert pick_stream_url(urls, "ld") == ("SD1", "http://cdn/ld.flv")
    assert pick_stream_url(urls, "sd") == ("SD2", "http://cdn/sd.flv")


def test_pick_reports_what_is_offered() -> None:
    with pytest.raises(StreamURLNotFoundError, match=r"'origin'.*offered: ld, sd, hd, uhd\)"):
        pick_stream_url(StreamURLs(flv=FLV), "origin")
    with pytest.raises(StreamURLNotFoundError, match="no HLS stream URL"):
        pick_stream_url(StreamURLs(flv=FLV), "best", "hls")
    with pytest.raises(ValueError, match="format must be one of flv, hls"):
        pick_stream_url(StreamURLs(flv=FLV), "best", "mp4")


# --------------------------------------------------------------------------- file names


def test_generated_names_never_overwrite(tmp_path: Path) -> None:
    now = 1_700_000_000.0
    first = output_path(tmp_path, "demo_user", ".flv", now=now)
    second = output_path(tmp_path, "demo_user", ".flv", now=now)
    third = output_path(str(tmp_path) + "/", "demo_user", ".flv", now=now)
    assert first.parent == tmp_path and first.name.startswith("demo_user-") and first.suffix == ".flv"
    assert second.name == first.stem + "-1.flv"
    assert third.name == first.stem + "-2.flv"
    assert first.exists() and second.exists() and third.exists()  # reserved on disk


def test_odd_usernames_make_safe_names(tmp_path: Path) -> None:
    path = output_path(tmp_path, "../we!rd user", ".ts", now=0)
    assert path.parent == tmp_path
    assert path.name.startswith("we_rd_user-") and path.suffix == ".ts"


def test_an_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "mine.flv"
    existing.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match=r"mine\.flv already exists"):
        output_path(existing, "demo_user", ".flv")
    assert existing.read_bytes() == b"precious"
    assert output_path(existing, "demo_user", ".flv", overwrite=True) == existing
    nested = output_path(tmp_path / "a" / "b.flv", "demo_user", ".flv")
    assert nested == tmp_path / "a" / "b.flv" and nested.exists()


# --------------------------------------------------------------------------- proxies


def test_ffmpeg_gets_the_clients_http_proxy() -> None:
    url = "https://pull-flv.tiktokcdn.com/stage/stream-1_or4.flv"
    assert ffmpeg_proxy(resolve_proxies("http://127.0.0.1:3128"), url) == "http://127.0.0.1:3128"
    assert ffmpeg_proxy(resolve_proxies(environ={}), url) is None
    environment = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "tiktokcdn.com"}
    assert ffmpeg_proxy(resolve_proxies(environ=environment), url) is None
    # ALL_PROXY is the websocket's only, never HTTP's
    assert ffmpeg_proxy(resolve_proxies(environ={"ALL_PROXY": "http://proxy:1"}), url) is None


def test_a_socks_proxy_is_refused_rather_than_bypassed() -> None:
    with pytest.raises(DownloadError, match="cannot record through a socks5 proxy"):
        ffmpeg_proxy(resolve_proxies("socks5://127.0.0.1:1080"), "https://cdn/stream.flv")


# --------------------------------------------------------------------------- recording for real


@pytest.fixture
async def sim_live() -> AsyncIterator[Live]:
    """demo_user on the simulator, at speed 1 (18 s: it stays live while a test records)."""
    from pytiktoklive.simulator import Simulator

    async with Simulator(seed=0, speed=1.0) as sim, TikTok(sim.endpoints) as tiktok:
        live = await tiktok.track_user("demo_user")
        async with live:
            yield live


@pytest.mark.ffmpeg
@requires_ffmpeg
@pytest.mark.parametrize(("fmt", "container"), [("flv", "flv"), ("hls", "mpegts")])
async def test_records_the_simulators_stream(
    sim_live: Live, tmp_path: Path, fmt: str, container: str
) -> None:
    progress: List[RecordingProgress] = []
    recording = await sim_live.download_stream(
        tmp_path, format=fmt, quality="hd", duration=2, on_progress=progress.append
    )
    assert recording.path.parent == tmp_path
    assert recording.path.name.startswith("demo_user-")
    assert recording.path.suffix == (".flv" if fmt == "flv" else ".ts")
    assert recording.quality == "hd" and "_hd" in recording.url
    assert recording.reason == "finished"
    probed = probe(recording.path)
    assert container in probed["format"].split(",")
    assert probed["duration"] == pytest.approx(2.0, abs=0.5)
    assert recording.size == recording.path.stat().st_size > 10_000
    assert recording.duration == pytest.approx(2.0, abs=0.5)
    assert progress and progress[-1].size > 0 and progress[-1].path == recording.path
    assert [p.size for p in progress] == sorted(p.size for p in progress)


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_a_named_file_with_another_extension_picks_its_container(
    sim_live: Live, tmp_path: Path
) -> None:
    async def on_progress(progress: RecordingProgress) -> None:  # async callbacks are awaited
        seen.append(progress.duration)

    seen: List[float] = []
    recording = await sim_live.download_stream(
        tmp_path / "clip.mkv", duration=1, quality="worst", on_progress=on_progress
    )
    assert recording.path == tmp_path / "clip.mkv"
    assert "matroska" in probe(recording.path)["format"]
    assert seen
    with pytest.raises(FileExistsError):
        await sim_live.download_stream(tmp_path / "clip.mkv", duration=1)


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_records_through_the_clients_proxy(tmp_path: Path) -> None:
    from pytiktoklive.simulator import Simulator

    proxy = HttpProxy()
    # At speed 1 demo_user stays live for 18 s: ffmpeg starts long before, however loaded the machine.
    async with proxy, Simulator(seed=0, speed=1.0) as sim, TikTok(sim.endpoints, proxy=proxy.url) as tiktok:
        live = await tiktok.track_user("demo_user")
        recording = await live.download_stream(tmp_path, duration=1)
    assert recording.size > 0
    stream_path = recording.url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    assert any(request.endswith(stream_path) for request in proxy.requests), proxy.requests


# --------------------------------------------------------------------------- stopping


class TrickleServer:
    """An HTTP server sending a FLV slowly and then holding the connection open, like a LIVE
    that goes on: only stopping ffmpeg ends such a recording."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._server: Optional[asyncio.AbstractServer] = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nConnection: close\r\n\r\n")
            step = len(self.data) // 40
            for start in range(0, len(self.data), step):
                writer.write(self.data[start : start + step])
                await writer.drain()
                await asyncio.sleep(0.05)
            await asyncio.Event().wait()  # the LIVE goes on
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def __aenter__(self) -> TrickleServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/stage/stream-1_or4.flv"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()


@pytest.fixture
async def endless_stream() -> AsyncIterator[TrickleServer]:
    from pytiktoklive.simulator.media import TestMedia

    media = await TestMedia().load()
    if isinstance(media, str):
        pytest.skip(media)
    async with TrickleServer(media.flv) as server:
        yield server


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_the_stop_event_finishes_the_file(endless_stream: TrickleServer, tmp_path: Path) -> None:
    stop = asyncio.Event()

    def on_progress(progress: RecordingProgress) -> None:
        if progress.duration > 0.5:
            stop.set()

    recording = await record_stream(
        endless_stream.url, tmp_path / "live.flv", stop=stop, on_progress=on_progress
    )
    assert recording.reason == "stopped"
    # "q" lets ffmpeg finish the container: ffprobe reads it back
    assert probe(recording.path)["duration"] >= 0.5


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_recording_ends_by_itself_when_the_live_ends(
    endless_stream: TrickleServer, tmp_path: Path
) -> None:
    from pytiktoklive.simulator import LivelyScenario, RoomSpec, Simulator

    spec = RoomSpec("endless_user", scenario=LivelyScenario(duration=None, end=False, rate=0.2))
    async with Simulator(builtin_rooms=False, rooms=[spec]) as sim, TikTok(sim.endpoints) as tiktok:
        room = sim.room("endless_user")
        async with await tiktok.track_user("endless_user") as live:
            # The simulator's own stream is a short file; this one goes on like a real LIVE's.
            live.info = dataclasses.replace(
                live.info, stream_urls=StreamURLs(flv={"origin": endless_stream.url})
            )

            def on_progress(progress: RecordingProgress) -> None:
                if progress.size > 0 and not room.ended:
                    room.end()  # the host ends the LIVE: a control event arrives

            recording = await live.download_stream(tmp_path, on_progress=on_progress)
            assert live.ended
    assert recording.reason == "live ended"
    assert probe(recording.path)["duration"] > 0
    with pytest.raises(LiveEndedError):
        await live.download_stream(tmp_path)


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_cancelling_stops_ffmpeg_cleanly(endless_stream: TrickleServer, tmp_path: Path) -> None:
    started = asyncio.Event()

    def on_progress(progress: RecordingProgress) -> None:
        if progress.duration > 0.5:
            started.set()

    task = asyncio.ensure_future(
        record_stream(endless_stream.url, tmp_path / "live.flv", on_progress=on_progress)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert probe(tmp_path / "live.flv")["duration"] >= 0.5


@pytest.fixture
async def headers_only_stream() -> AsyncIterator[TrickleServer]:
    """A LIVE whose stream sends the FLV header and metadata, then nothing (no video yet)."""
    from pytiktoklive.simulator.media import FlvLoop, TestMedia

    media = await TestMedia().load()
    if isinstance(media, str):
        pytest.skip(media)
    async with TrickleServer(FlvLoop.parse(media.flv).head) as server:
        yield server


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_a_recording_stopped_before_any_video_leaves_no_file(
    headers_only_stream: TrickleServer, tmp_path: Path
) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(3.0, stop.set)
    with pytest.raises(DownloadError, match=r"recorded nothing|no video was recorded"):
        await record_stream(headers_only_stream.url, tmp_path / "live.flv", stop=stop)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_an_interrupted_recording_without_video_leaves_no_file(
    headers_only_stream: TrickleServer, tmp_path: Path
) -> None:
    task = asyncio.ensure_future(record_stream(headers_only_stream.url, tmp_path / "live.flv"))
    await asyncio.sleep(3.0)  # ffmpeg runs, has read the header, has no video to write
    task.cancel()  # Ctrl-C
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- failures


async def test_no_ffmpeg_on_path(sim_live: Live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FFmpegNotFoundError, match=r"ffmpeg is not on PATH.*apt install ffmpeg"):
        await sim_live.download_stream(tmp_path)
    assert list(tmp_path.iterdir()) == []  # no empty file left behind
    with pytest.raises(FFmpegNotFoundError, match="'/nowhere/ffmpeg' is not an executable"):
        await sim_live.download_stream(tmp_path, ffmpeg="/nowhere/ffmpeg")


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_unknown_quality_fails_before_ffmpeg_starts(sim_live: Live, tmp_path: Path) -> None:
    with pytest.raises(StreamURLNotFoundError, match=r"quality '8k' \(offered: ld, sd, hd, uhd, origin\)"):
        await sim_live.download_stream(tmp_path, quality="8k")
    with pytest.raises(ValueError, match="duration must be a positive"):
        await sim_live.download_stream(tmp_path, duration=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.ffmpeg
@requires_ffmpeg
async def test_ffmpeg_failing_carries_its_stderr(sim_live: Live, tmp_path: Path) -> None:
    url = sim_live.info.stream_urls.flv_url.replace("stream-", "stream-9")  # no such stream: 404
    with pytest.raises(DownloadError) as caught:
        await record_stream(url, tmp_path / "missing.flv")
    assert "404" in caught.value.stderr_tail
    assert "404" in str(caught.value)
    assert caught.value.path == ""  # nothing recorded, nothing kept
    assert not (tmp_path / "missing.flv").exists()


async def test_ffmpeg_failing_midway_keeps_the_partial_file(tmp_path: Path) -> None:
    # An ffmpeg that writes part of the file and dies, as one does when the network breaks.
    fake = tmp_path / "fake-ffmpeg"
    fake.write_text(
        "#!/bin/sh\n"
        'for argument; do output="$argument"; done\n'
        'printf "FLV-partial-data" > "$output"\n'
        "echo 'Opening the stream' >&2\n"
        "echo 'tcp: Connection reset by peer' >&2\n"
        "exit 1\n"
    )
    fake.chmod(0o755)
    target = tmp_path / "out" / "partial.flv"
    with pytest.raises(DownloadError, match=r"exit status 1\): tcp: Connection reset by peer") as caught:
        await record_stream("http://127.0.0.1:9/none.flv", target, ffmpeg=str(fake))
    assert caught.value.stderr_tail == "Opening the stream\ntcp: Connection reset by peer"
    assert caught.value.path == str(target)
    assert target.read_bytes() == b"FLV-partial-data"
    assert "partial recording is kept" in str(caught.value)
