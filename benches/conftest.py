"""Fixtures of the benchmarks (``bash scripts/bench.sh`` runs them; see its header).

Standard library and pytest only: this file is loaded both in the project's venv (our
decoders) and in ``.venv-bench`` (TikTokLive, whose pinned betterproto2 conflicts with ours).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from busy_room import CAPTURES, FrameSet, build_frames, captured_messages


@pytest.fixture(scope="session")
def busy_frames() -> FrameSet:
    """The busy room's frames (:mod:`busy_room`); skips when the captures are absent."""
    messages = captured_messages()
    if messages is None:
        pytest.skip(f"no captures at {CAPTURES} (see ../shared/captures/MANIFEST.md)")
    return build_frames(messages)


@pytest.fixture
def measure_frames(benchmark: Any, busy_frames: FrameSet) -> Callable[[Callable[[bytes], int]], None]:
    """Benchmarks ``decode(frame) -> events produced`` over all busy frames per round.

    One warm-up pass first (class set-up, caches), which must produce one event per
    message; the sizes go to ``extra_info`` so the report can turn times into rates.
    """

    def run(decode: Callable[[bytes], int]) -> None:
        frames = busy_frames.frames
        produced = sum(decode(frame) for frame in frames)
        assert produced == busy_frames.messages, f"{produced} events from {busy_frames.messages} messages"

        def round_() -> int:
            return sum(decode(frame) for frame in frames)

        info: Dict[str, Any] = benchmark.extra_info
        info.update(
            frames=len(frames),
            messages=busy_frames.messages,
            wire_bytes=busy_frames.wire_bytes,
            inflated_bytes=busy_frames.inflated_bytes,
            frames_digest=busy_frames.digest,
            methods=busy_frames.methods,
        )
        benchmark(round_)

    return run
