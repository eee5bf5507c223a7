"""The ``pytest11`` entry point: the ``tiktok_simulator`` fixture, wherever pytest runs.

pytest imports every installed entry-point plugin at start-up, in every project of the
environment, and an import error there aborts the whole run. The fixture itself lives in
:mod:`pytiktoklive.simulator.pytest_plugin`, inside the simulator package, which cannot be
imported where the package is broken (a source checkout without the built Rust core, an install
without dependencies). So this module, outside that package, registers the real fixture where the
simulator imports and a fixture that skips with the reason where it does not.
"""

from __future__ import annotations

import pytest

try:
    from pytiktoklive.simulator.pytest_plugin import tiktok_simulator
except ImportError as exc:  # no Rust core or a missing dependency: the simulator cannot run here
    _reason = f"the tiktok_simulator fixture needs the simulator: {exc}"

    @pytest.fixture
    def tiktok_simulator() -> None:
        pytest.skip(_reason)


__all__ = ["tiktok_simulator"]
