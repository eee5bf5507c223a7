"""The ``pytiktoklive`` command line, run as a real subprocess against its in-process simulator."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx
import pytest
from pytiktoklive.cli import describe_event
from pytiktoklive.events import ChatEvent, ControlEvent, GiftEvent, User

HAVE_FFMPEG = shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None
requires_ffmpeg = pytest.mark.skipif(not HAVE_FFMPEG, reason="needs ffmpeg and ffprobe on PATH")
COMMAND = [sys.executable, "-m", "pytiktoklive"]


def run(*arguments: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*COMMAND, *arguments],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, **(env or {})},
    )
    # Whatever happens, the user never sees a traceback (only --debug shows them).
    assert "Traceback" not in result.stderr, result.stderr
    return result


def json_lines(text: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --------------------------------------------------------------------------- watch


def test_watch_json_prints_every_event_until_the_live_ends() -> None:
    result = run("watch", "--sim", "--speed", "20", "--json", "demo_user")
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    types = {record["type"] for record in records}
    assert {
        "ChatEvent",
        "GiftEvent",
        "LikeEvent",
        "UserEvent",
        "ViewersEvent",
        "QuestionEvent",
        "MicBattleEvent",
        "BattlesEvent",
        "RoomBannerEvent",
        "IntroEvent",
        "ControlEvent",
    } <= types
    assert all(record["username"] == "demo_user" for record in records)
    last = records[-1]
    assert last["type"] == "ControlEvent" and last["data"]["action"] == 3
    chat = next(record for record in records if record["type"] == "ChatEvent")
    assert chat["data"]["comment"] and chat["data"]["user"]["username"]
    # stdout is nothing but JSON; the human messages go to stderr
    assert "Watching @demo_user" in result.stderr
    assert "The LIVE of @demo_user has ended." in result.stderr


def test_watch_displays_readable_lines() -> None:
    # the common options may come before the command too
    result = run("--sim", "--speed", "20", "watch", "@demo_user")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Watching @demo_user — Simulated LIVE")
    kinds = {line.split()[1] for line in lines[1:] if len(line.split()) > 1 and line[:2].isdigit()}
    assert {"chat", "gift", "like", "join", "viewers", "question", "battle", "control"} <= kinds
    assert "the LIVE has ended" in result.stdout
    assert lines[-1] == "The LIVE of @demo_user has ended."


def test_watch_several_users_goes_on_without_the_unknown_one() -> None:
    result = run("watch", "--sim", "--speed", "20", "--json", "demo_user", "nobody_here")
    assert result.returncode == 1  # one user failed
    assert "@nobody_here: TikTok user @nobody_here does not exist" in result.stderr
    records = json_lines(result.stdout)
    assert records[-1]["type"] == "ControlEvent"
    assert {record["username"] for record in records} == {"demo_user"}


def test_watch_duration_stops_early() -> None:
    result = run("watch", "--sim", "--json", "--duration", "1", "demo_user")  # an 18 s LIVE
    assert result.returncode == 0, result.stderr
    assert "Stopped after 1 s." in result.stderr
    types = [record["type"] for record in json_lines(result.stdout)]
    assert types and "ControlEvent" not in types


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["watch", "bad user!!"], "'bad user!!' is not a valid TikTok username"),
        (["watch", "nobody_here"], "TikTok user @nobody_here does not exist"),
        (["watch", "offline_user"], "@offline_user is not live"),
        (["info", "nobody_here"], "TikTok user @nobody_here does not exist"),
        (["gifts", "offline_user"], "@offline_user is not live"),
    ],
)
def test_errors_are_one_line_and_a_failure_status(arguments: List[str], message: str) -> None:
    result = run(*arguments, "--sim")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"pytiktoklive: error: {message}")
    assert result.stdout == ""


def test_bad_arguments_are_usage_errors() -> None:
    assert run().returncode == 2
    result = run("watch", "--sim", "--speed", "0", "demo_user")
    assert result.returncode == 2 and "must be more than 0" in result.stderr


def test_ctrl_c_exits_cleanly() -> None:
    process = subprocess.Popen(
        [*COMMAND, "watch", "--sim", "--json", "demo_user"],  # 18 s at speed 1
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())  # events are flowing
        assert first["username"] == "demo_user"
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert "Traceback" not in errors
    assert errors.strip().endswith("Interrupted.")


# --------------------------------------------------------------------------- lookups


def test_info_json() -> None:
    result = run("info", "--sim", "--json", "demo_user")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["user"]["username"] == "demo_user"
    assert "raw" not in document["user"]
    room = document["room"]
    assert room["status"] == 2 and room["title"] == "Simulated LIVE: every event type"
    assert room["owner"]["username"] == "demo_user"
    assert room["stream_urls"]["flv_url"].endswith(".flv")


def test_info_of_a_user_who_is_not_live() -> None:
    result = run("info", "--sim", "offline_user")
    assert result.returncode == 0, result.stderr
    assert "@offline_user" in result.stdout and "not live now" in result.stdout
    assert json.loads(run("info", "--sim", "--json", "offline_user").stdout)["room"] is None


def test_gifts_prices_and_feed() -> None:
    gifts = json.loads(run("gifts", "--sim", "--json", "demo_user").stdout)
    # the real captured gift list (116 gifts: the full set's newest, also in the shipped sample)
    assert len(gifts) >= 5
    assert [gift["diamond_count"] for gift in gifts] == sorted(gift["diamond_count"] for gift in gifts)
    assert "Rose" in {gift["name"] for gift in gifts}

    prices = json.loads(run("prices", "--sim", "--json").stdout)
    assert prices["currency"] == "EUR"
    assert prices["items"][0]["diamond_count"] > 0 and prices["items"][0]["price"] > 0

    feed = json.loads(run("feed", "--sim", "--json", "--limit", "2").stdout)
    assert len(feed) == 2
    assert all(stream["room_id"] and stream["info"]["owner"]["username"] for stream in feed)

    table = run("prices", "--sim")
    assert table.returncode == 0 and "Coin prices (USD and EUR)" in table.stdout and "17,500" in table.stdout


# --------------------------------------------------------------------------- record


@pytest.mark.ffmpeg
@requires_ffmpeg
def test_record_saves_a_playable_file(tmp_path: Path) -> None:
    result = run("record", "--sim", "demo_user", "--duration", "2", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    (path,) = tmp_path.iterdir()
    assert path.name.startswith("demo_user-") and path.suffix == ".flv"
    assert f"Saved {path}" in result.stdout
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert float(probed.stdout) == pytest.approx(2.0, abs=0.5)


def probe_duration(path: Path) -> float:
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return float(probed.stdout)


@requires_ffmpeg
def test_record_honours_a_duration_longer_than_the_test_video(tmp_path: Path) -> None:
    # The simulated stream loops its 4 s of video at real-time pace for as long as the LIVE lasts.
    result = run("record", "--sim", "demo_user", "--duration", "7", "-o", str(tmp_path), "--format", "hls")
    assert result.returncode == 0, result.stderr
    (path,) = tmp_path.iterdir()
    assert probe_duration(path) == pytest.approx(7.0, abs=0.6)
    assert "7 s recorded" in result.stdout and "origin quality" in result.stdout
    assert "Recording @demo_user (HLS, origin)" in result.stderr  # levels, not ORIGION / FULL_HD1


@requires_ffmpeg
def test_ctrl_c_stops_a_recording_and_keeps_the_video(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*COMMAND, "record", "--sim", "demo_user", "-o", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # "Recording @demo_user (FLV, origin); Ctrl-C stops."
        assert "Recording @demo_user (FLV, origin)" in line, line
        deadline = 60
        while deadline and not [path for path in tmp_path.iterdir() if path.stat().st_size > 50_000]:
            subprocess.run(["sleep", "0.5"], check=True)
            deadline -= 1
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "Stopped;" in stderr and "Traceback" not in stderr
    (path,) = tmp_path.iterdir()
    assert probe_duration(path) > 0.5


@requires_ffmpeg
def test_record_to_an_existing_file_names_the_flag(tmp_path: Path) -> None:
    target = tmp_path / "clip.flv"
    target.write_bytes(b"mine")
    result = run("record", "--sim", "demo_user", "-o", str(target))
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"pytiktoklive: error: {target} already exists (add --overwrite to replace it)"
    )
    assert target.read_bytes() == b"mine"


def test_a_failing_proxy_is_named_without_its_password() -> None:
    result = run("info", "--sim", "demo_user", "--proxy", "http://user:secret@127.0.0.1:9")
    assert result.returncode == 1
    assert "through the proxy http://127.0.0.1:9" in result.stderr and "secret" not in result.stderr


def test_info_piped_keeps_whole_urls_and_one_quality_vocabulary() -> None:
    result = run("info", "--sim", "demo_user")  # stdout is a pipe here
    assert result.returncode == 0, result.stderr
    rows = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert rows["HLS"].strip().startswith("http://127.0.0.1:") and rows["HLS"].strip().endswith("/index.m3u8")
    assert rows["Qualities"].strip() == "ld, sd, hd, uhd, origin"


def test_capture_saves_real_frames_that_decode(tmp_path: Path) -> None:
    from pytiktoklive import decode_frame

    all_frames = ["--frames", str(tmp_path / "all"), "--count", "5000"]
    result = run("capture", "--sim", "--speed", "20", "demo_user", *all_frames)
    assert result.returncode == 0, result.stderr
    files = sorted((tmp_path / "all").iterdir())
    assert len(files) > 5 and all(path.name.endswith("-push_frame.bin") for path in files)
    events = [event for path in files for event in decode_frame(path.read_bytes()).events]
    assert any(isinstance(event, ChatEvent) for event in events)
    assert any(isinstance(event, ControlEvent) and event.ended for event in events)  # to the LIVE's end
    assert f"Saved {len(files)} frames" in result.stdout and "the LIVE ended" in result.stdout
    assert "pytiktoklive.decode_frame(open(" in result.stdout

    few = run("capture", "--sim", "demo_user", "--frames", str(tmp_path / "few"), "--count", "3")
    assert few.returncode == 0, few.stderr
    assert len(list((tmp_path / "few").iterdir())) == 3 and "(--count 3 reached)" in few.stdout


def test_record_without_ffmpeg(tmp_path: Path) -> None:
    result = run("record", "--sim", "demo_user", "-o", str(tmp_path), env={"PATH": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.startswith("pytiktoklive: error: ffmpeg is not on PATH")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- simulate


def test_simulate_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [*COMMAND, "simulate", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("pytiktoklive simulator listening on http://127.0.0.1:")
        url = banner.split()[-1]
        answer = httpx.get(f"{url}/webcast/diamond/", timeout=10)
        assert answer.status_code == 200 and answer.json()["data"]
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Traceback" not in errors


def test_other_commands_reach_a_standalone_simulator_by_endpoint() -> None:
    # `pytiktoklive simulate` in one process, the client in others: configuration only,
    # by option or by environment.
    process = subprocess.Popen(
        [*COMMAND, "simulate", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        by_option = run("info", "--json", "--endpoint", url, "demo_user")
        by_environment = run("info", "--json", "demo_user", env={"PYTIKTOKLIVE_ENDPOINT": url})
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for result in (by_option, by_environment):
        assert result.returncode == 0, result.stderr
        info = json.loads(result.stdout)
        assert info["room"]["owner"]["username"] == "demo_user"


def test_a_tls_simulator_is_refused_until_its_ca_is_trusted() -> None:
    process = subprocess.Popen(
        [*COMMAND, "simulate", "--port", "0", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(6)]
        url = banner[0].split()[-1]
        ca_file = next(line.split()[2] for line in banner if line.strip().startswith("CA file"))
        refused = run("info", "--json", "--endpoint", url, "demo_user")
        trusted = run("info", "--json", "--endpoint", url, "--ca-file", ca_file, "demo_user")
        insecure = run("info", "--json", "--endpoint", url, "--insecure", "demo_user")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert url.startswith("https://127.0.0.1:")
    assert refused.returncode == 1
    assert "certificate verification failed" in refused.stderr and refused.stdout == ""
    for result in (trusted, insecure):
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["room"]["owner"]["username"] == "demo_user"


def test_a_bad_endpoint_is_a_usage_error() -> None:
    result = run("info", "--endpoint", "ftp://example", "demo_user")
    assert result.returncode == 2
    assert "must be an http(s) URL" in result.stderr


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "pytiktoklive"
    if not script.exists():
        pytest.skip("pytiktoklive is not installed in this environment")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("pytiktoklive ")


# --------------------------------------------------------------------------- display


def test_describe_event() -> None:
    user = User(username="ana", nickname="Ana")
    line = describe_event(ChatEvent(comment="hello [bold]x[/bold]", user=user))
    assert line is not None and line.plain == "chat     Ana @ana: hello [bold]x[/bold]"  # no markup injection
    streak = GiftEvent(name="Rose", cost=1, repeat_count=3, repeat_end=False, type=1, user=user)
    assert describe_event(streak) is None  # its last event tells the whole streak
    done = describe_event(GiftEvent(name="Rose", cost=1, repeat_count=3, repeat_end=True, type=1, user=user))
    assert done is not None and done.plain == "gift     Ana @ana sent Rose x3 (3 coins)"
    ended = describe_event(ControlEvent(action=3))
    assert ended is not None and ended.plain.endswith("the LIVE has ended")


def test_an_event_without_a_time_shows_its_rooms_last_time() -> None:
    import io
    import time
    from types import SimpleNamespace

    from pytiktoklive.cli import _Display
    from pytiktoklive.events import IntroEvent
    from rich.console import Console

    screen = io.StringIO()
    display = _Display(Console(file=screen, width=200, no_color=True), show_room=False)
    live: Any = SimpleNamespace(room_id=7, username="host")
    earlier = (time.time() - 3 * 3600) * 1000  # three hours ago: far from the wall clock
    display(live, ChatEvent(comment="first", create_time=int(earlier)))
    display(live, IntroEvent(title="my LIVE"))  # real intro messages carry no create_time
    display(live, ChatEvent(comment="then", create_time=int(earlier) + 60_000))
    clocks = [line[:8] for line in screen.getvalue().splitlines()]
    assert clocks[1] == clocks[0] and clocks == sorted(clocks), screen.getvalue()


def test_json_lines_give_every_event_its_room() -> None:
    records = json_lines(run("watch", "--sim", "--speed", "20", "--json", "demo_user").stdout)
    intro = next(record for record in records if record["type"] == "IntroEvent")
    assert intro["data"]["room_id"] == intro["room_id"] != 0
    assert all(record["data"]["room_id"] == record["room_id"] for record in records)


def test_the_rarer_events_have_readable_lines() -> None:
    from pytiktoklive.events import (
        BarrageEvent,
        GoalUpdateEvent,
        PollEvent,
        PollOption,
        RoomPinEvent,
        SubGoal,
        SubscribeEvent,
        UnauthorizedMemberEvent,
    )

    ana = User(username="ana", nickname="Ana")
    lines = {
        "sub      Ana @ana subscribed (month 3)": SubscribeEvent(user=ana, sub_month=3),
        "announce Ana @ana subscribed for the first time": BarrageEvent(
            label="{0:user} subscribed for the first time", user=ana
        ),
        "goal     Roses: 7/50 (+Ana @ana)": GoalUpdateEvent(
            description="Roses", sub_goals=(SubGoal(type=1, progress=7, target=50),), contributor=ana
        ),
        "poll     Next? [votes] A 2, B 1": PollEvent(
            title="Next?",
            status=2,
            options=(PollOption(index=0, text="A", votes=2), PollOption(index=1, text="B", votes=1)),
        ),
        "pinned   Ana @ana: hi": RoomPinEvent(user=ana, text="hi"),
        "join     123456 joined": UnauthorizedMemberEvent(nickname="123456", label="{0:user} joined"),
    }
    for expected, event in lines.items():
        line = describe_event(event)
        assert line is not None and line.plain == expected
