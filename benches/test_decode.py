"""Decoding speed of our two decoders over the busy room's frames (see :mod:`busy_room`).

* ``rust`` — :func:`pytiktoklive.decode_frame` with the Rust core: frame to event objects;
* ``rust-no-objects`` — ``_core.count_frame_messages``: the same decoding in Rust, no Python
  objects built (what the byte work alone costs);
* ``pure`` — the pure-Python fallback, ``pytiktoklive._pure.decode_frame``.

TikTokLive's numbers come from ``test_decode_tiktoklive.py`` in its own venv; ``report.py``
puts them side by side.
"""

from __future__ import annotations

from typing import Callable

import pytest

pytiktoklive = pytest.importorskip("pytiktoklive", reason="pytiktoklive is not installed in this venv")

from pytiktoklive.decoding import DEFAULT_MAX_INFLATED_SIZE  # noqa: E402

Measure = Callable[[Callable[[bytes], int]], None]


def test_rust(measure_frames: Measure) -> None:
    if pytiktoklive.decoding.backend() != "rust":
        pytest.skip("the Rust core is not built (or PYTIKTOKLIVE_PURE is set)")
    decode_frame = pytiktoklive.decode_frame
    measure_frames(lambda frame: len(decode_frame(frame).events))


def test_rust_no_objects(measure_frames: Measure) -> None:
    core = pytest.importorskip("pytiktoklive._core", reason="the Rust core is not built")
    count = core.count_frame_messages
    measure_frames(lambda frame: count(frame, DEFAULT_MAX_INFLATED_SIZE))


def test_pure(measure_frames: Measure) -> None:
    pure = pytest.importorskip("pytiktoklive._pure", reason="the pure-Python decoder needs betterproto2")
    decode_frame = pure.decode_frame
    measure_frames(lambda frame: len(decode_frame(frame, DEFAULT_MAX_INFLATED_SIZE).events))
