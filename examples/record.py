"""Record a LIVE's video with ffmpeg for some seconds (or until it ends), showing progress.

    python examples/record.py USER [--seconds 30] [--out DIR]

Needs ffmpeg on PATH. Against the simulator (configuration only; its video is made with ffmpeg):

    pytiktoklive simulate --port 8080 --speed 2 &
    PYTIKTOKLIVE_ENDPOINT=http://127.0.0.1:8080 python examples/record.py demo_user --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pytiktoklive import Recording, RecordingProgress, TikTok, TikTokLiveError


def show(progress: RecordingProgress) -> None:
    # Called about twice a second inside the event loop: keep it quick (an async function works too).
    print(f"recording {progress.path.name}: {progress.duration:5.1f} s, {progress.size:,} bytes", flush=True)


async def record(username: str, seconds: float, out: Path) -> Recording:
    async with TikTok() as tiktok, await tiktok.track_user(username) as live:
        # The end of a LIVE arrives as an event: keep reading them (here only to drop them) so the
        # recording stops as soon as the LIVE ends, and the room's buffer never fills up.
        reader = asyncio.ensure_future(live.run())
        try:
            # `out` is a directory: the file is {user}-{timestamp}.flv, never overwriting another.
            return await live.download_stream(out, quality="best", duration=seconds, on_progress=show)
        finally:
            await live.close()  # ends live.run()
            await asyncio.gather(reader, return_exceptions=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("user", help="a username, @username or LIVE URL")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of video (default 30)")
    parser.add_argument("--out", type=Path, default=Path("."), help="directory for the file (default .)")
    args = parser.parse_args()
    try:
        recording = asyncio.run(record(args.user, args.seconds, args.out))
    except KeyboardInterrupt:  # Ctrl-C: the room was closed on the way out
        return 130
    except TikTokLiveError as exc:  # FFmpegNotFoundError, UserOfflineError, ffmpeg failing, ...
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # reason: "finished" (duration reached or stream over), "live ended" or "stopped".
    print(
        f"Saved {recording.path}: {recording.duration:.1f} s, {recording.size:,} bytes ({recording.reason})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
