"""Fixtures shared by the test modules. Keep it small: one section per topic."""

from __future__ import annotations

import importlib
import signal
from types import ModuleType
from typing import AsyncIterator

import pytest
import pytest_asyncio
from hostile import HostileServer

# --------------------------------------------------------------------------- Ctrl-C

# Tests press Ctrl-C (SIGINT) on the CLI and the simulator, in child processes. A shell that
# starts a command in the background without job control starts it with SIGINT ignored, and
# an ignored signal stays ignored across exec: Python would then install no KeyboardInterrupt
# handler in the children, and those tests would fail for how pytest was started. A handler
# (unlike "ignored") is reset to the default at exec, so the children get Python's own.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# --------------------------------------------------------------------------- decoders


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


#: The decoding backends: the Rust core and the pure-Python decoder. Both are modules with
#: the same four functions (``decode_frame(data, max_inflated_size)``,
#: ``decode_fetch_result(data, max_inflated_size)``, ``decode_message(method, payload, msg_id)``,
#: ``count_frame_messages(data, max_inflated_size)``); a backend that cannot be imported
#: here (Rust core not built, or no betterproto2) shows up as skipped tests.
DECODER_MODULES = {"rust": "pytiktoklive._core", "pure": "pytiktoklive._pure"}
AVAILABLE_DECODERS = {name: _importable(module) for name, module in DECODER_MODULES.items()}


@pytest.fixture(
    params=[
        pytest.param(name, marks=pytest.mark.skipif(not available, reason=f"{name} decoder unavailable"))
        for name, available in AVAILABLE_DECODERS.items()
    ]
)
def decoder(request: pytest.FixtureRequest) -> ModuleType:
    """Each available decoding backend in turn (test ids ``[rust]`` and ``[pure]``)."""
    return importlib.import_module(DECODER_MODULES[request.param])


# --------------------------------------------------------------------------- hostile servers


@pytest_asyncio.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    """A :class:`~hostile.HostileServer` on 127.0.0.1 (``tests/hostile``): garbage, bombs,
    slow bytes, redirects, nested JSON, pathological HTML; see its module docstring."""
    async with HostileServer() as server:
        yield server


@pytest_asyncio.fixture
async def elsewhere() -> AsyncIterator[HostileServer]:
    """A second hostile server: another origin (another port), to redirect to."""
    async with HostileServer() as server:
        yield server
