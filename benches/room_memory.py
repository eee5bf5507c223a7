"""Memory a room's protocol state holds once its duplicate filter is full (not a timed test).

    .venv/bin/python benches/room_memory.py [rooms] [ids_per_room]

Feeds each room's :class:`~pytiktoklive._protocol.RecentIds` more ids than its window holds
(a long-running room) and reports what tracemalloc sees per room: the protocol object and its
filter. The rest of a room (buffer, session, websocket) is measured end to end by ``e2e.py``.
"""

from __future__ import annotations

import random
import sys
import tracemalloc

from pytiktoklive._protocol import WebcastProtocol


def main(rooms: int = 200, ids_per_room: int = 20_000) -> None:
    rng = random.Random(1)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    protocols = [WebcastProtocol(7_300_000_000_000_000_000 + room) for room in range(rooms)]
    for protocol in protocols:
        for _ in range(ids_per_room):
            protocol._seen.add(7_300_000_000_000_000_000 + rng.getrandbits(56))
    per_room = (tracemalloc.get_traced_memory()[0] - before) / rooms
    tracemalloc.stop()
    window = len(protocols[0]._seen)
    print(f"{rooms} rooms, {ids_per_room} ids each (window {window}): {per_room / 1024:.1f} KiB per room")


if __name__ == "__main__":
    main(*(int(argument) for argument in sys.argv[1:3]))
