"""The ``pytiktoklive`` pytest plugin: a running simulator as a fixture.

Registered through the ``pytest11`` entry point, so any project that installs
pytiktoklive can write::

    async def test_my_bot(tiktok_simulator):
        async with TikTok(tiktok_simulator.endpoints) as tiktok:
            live = await tiktok.track_user("demo_user")

``tiktok_simulator`` is function-scoped and async (it needs pytest-asyncio):
seed 0, ``speed=20`` (the 18 s demo LIVE plays in about a second), the
built-in rooms. Build your own ``Simulator(...)`` for anything else.
"""

from __future__ import annotations

from typing import AsyncIterator

import pytest

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixture needs pytest-asyncio
    HAVE_PYTEST_ASYNCIO = False
else:
    HAVE_PYTEST_ASYNCIO = True


if HAVE_PYTEST_ASYNCIO:

    @pytest_asyncio.fixture
    async def tiktok_simulator() -> AsyncIterator[object]:
        """A running :class:`pytiktoklive.simulator.Simulator` (seed 0, speed 20)."""
        from pytiktoklive.simulator import Simulator

        async with Simulator(seed=0, speed=20.0) as sim:
            yield sim

else:  # pragma: no cover

    @pytest.fixture
    def tiktok_simulator() -> None:
        pytest.skip("the tiktok_simulator fixture needs pytest-asyncio")
