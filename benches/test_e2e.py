"""The end-to-end benchmark (:mod:`e2e`) as pytest-benchmark cases: 1 busy room, 100 rooms.

::

    python -m pytest benches/test_e2e.py --benchmark-enable [--benchmark-json=FILE]

Skipped without ``--benchmark-enable`` (pyproject's ``addopts`` disable benchmarks): each
case runs a simulator process and measures for a while. Each case is one round
(``benchmark.pedantic``) of :func:`e2e.run`; its timing covers setup, warm-up and the
measurement window, so read the numbers in ``extra_info`` instead: ``events_per_second``,
``cpu_ms_per_10k_events``, ``kib_per_room``, ``latency_ms_p50`` / ``latency_ms_p99`` and
everything else ``e2e.run`` reports. ``E2E_WARMUP`` and ``E2E_SECONDS`` (seconds) override the
warm-up and the window (shorter than ``e2e.py``'s defaults, to fit a test run).

Nothing here asserts a duration: only that every room was tracked and events flowed.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Dict

import pytest

pytest.importorskip("pytiktoklive", reason="pytiktoklive is not installed in this venv")

WARMUP = float(os.environ.get("E2E_WARMUP", "5"))
SECONDS = float(os.environ.get("E2E_SECONDS", "10"))
#: What scripts/bench.sh sends unless told (see its header): the client heartbeats every 10 s.
HEARTBEAT_DURATION = 10_000
CONCURRENCY = 16


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    ("rooms", "rate"),
    [pytest.param(1, 100.0, id="1-room-rate-100"), pytest.param(100, 1.0, id="100-rooms-rate-1")],
)
def test_end_to_end(benchmark: Any, rooms: int, rate: float) -> None:
    if benchmark.disabled:
        pytest.skip("end-to-end runs take a minute each: pass --benchmark-enable")
    # Imported here: e2e instruments WebcastProtocol.receive_frame when imported, which only a
    # benchmark run should do.
    import e2e

    def one_run() -> Dict[str, Any]:
        return asyncio.run(e2e.run(rooms, rate, WARMUP, SECONDS, CONCURRENCY, HEARTBEAT_DURATION))

    result: Dict[str, Any] = benchmark.pedantic(one_run, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(result)
    assert result["tracked"] == rooms, result["failure_sample"]
    assert result["events"] > 0, "no event reached the consumer in the measurement window"
