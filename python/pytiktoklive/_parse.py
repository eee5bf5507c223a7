"""Parsing a server's text within bounds: JSON depth, and big inputs off the event loop.

* :func:`load_json` never lets a server's nesting become a ``RecursionError`` (the
  ``json`` module recurses once per level, up to the interpreter's recursion limit):
  too deep is a ``ValueError`` like any other malformed JSON, for the caller to turn
  into its typed error.
* :func:`off_loop` runs a parser in a worker thread when its input is large, so one
  big page or gift list does not stall every other room on the event loop.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, TypeVar, Union

__all__ = ["load_json", "off_loop"]

T = TypeVar("T")


def load_json(data: Union[str, bytes]) -> Any:
    """``json.loads`` that raises ``ValueError`` for anything it cannot parse, nesting too deep
    for the interpreter included (never ``RecursionError``): the caller's typed error follows."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None


async def off_loop(parse: Callable[[], T], size: int, threshold: int) -> T:
    """``parse()``, in a worker thread when ``size`` (bytes or characters) exceeds ``threshold``."""
    if size <= threshold:
        return parse()
    return await asyncio.to_thread(parse)
