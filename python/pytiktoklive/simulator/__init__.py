"""A local TikTok LIVE on loopback that speaks the real WebCast protocol.

No machine here reaches TikTok, so tests, demos and benchmarks run against
this simulator. It serves the real paths, query parameters, cookies, JSON
shapes and protobuf frames on one port of 127.0.0.1, so a client points at it
with configuration only. ``docs/simulator-facts.md`` lists, per endpoint, each
fact it reproduces and where the fact comes from (``../shared/research``, the
real captures, or the simulator's own choice)::

    from pytiktoklive import TikTok
    from pytiktoklive.simulator import Simulator

    async with Simulator(seed=1, speed=1.0) as sim:
        async with TikTok(sim.endpoints) as tiktok:
            live = await tiktok.track_user("demo_user")

API (stable; helpers for tests, the CLI and benchmarks code against it)
-----------------------------------------------------------------------

``Simulator(rooms=(), *, builtin_rooms=True, host="127.0.0.1", port=0, seed=0,
speed=1.0, captures_dir=None, media_dir=None, feed_page_size=6, http_gzip=True,
tls=False, on_sent=None, loop=False)``
    ``async with`` it (or ``await sim.start()`` / ``await sim.close()``).
    ``captures_dir``: real captures to serve (default ``$PYTIKTOKLIVE_CAPTURES``, else
    ``../shared/captures``, else the sample shipped in ``pytiktoklive/sample_captures``);
    a directory that does not exist means none (generated gift list, no ``replay_user``).
    ``loop``: the built-in live rooms go live again (in a new room) when their LIVE ends,
    as ``pytiktoklive simulate`` has them. ``http_gzip``: gzip HTTP answers for clients
    sending ``Accept-Encoding: gzip``. ``tls``: serve HTTPS and WSS with a
    certificate signed by a throw-away CA made at start (needs the ``openssl``
    command; :class:`~pytiktoklive.simulator.tls.TLSUnavailableError` without it).
    ``on_sent(room, via, entries)``: told of every batch of messages sent to a client
    (``via``: ``"im/fetch"``, ``"sign"`` or ``"push"``).

    * ``sim.endpoints`` — an :class:`~pytiktoklive.config.Endpoints`:
      ``www = http://host:port``, ``webcast = http://host:port/webcast``,
      ``signer = http://host:port/signer``.
    * ``sim.url`` — ``http://host:port``; ``sim.push_url`` — the websocket base.
      With ``tls``: ``https://`` and ``wss://``, and ``sim.ca_file`` is the CA's PEM
      file (trust it with ``TikTok(sim.endpoints, verify=sim.ca_file)``).
    * ``sim.room("demo_user")`` (by username or room id) → :class:`SimRoom`;
      ``sim.rooms``; ``sim.add_room(RoomSpec(...))``;
      ``sim.add_rooms(n, prefix="load_user", **spec_fields)`` for load tests.
    * ``sim.faults`` → :class:`Faults` (HTTP-level, any endpoint);
      ``sim.requests`` → every HTTP request seen (:class:`RequestRecord`).
    * ``sim.login(username="sim_viewer", nickname="", tt_target_idc="useast1a")`` → a
      ``sessionid`` value: with it (``TikTok(session_id=…)``) age-restricted rooms answer
      ``room/info`` and ``room/chat`` accepts comments, echoed into the room as chat from
      that user; any other session id reads as expired (``status_code`` 20003).
    * ``await sim.wait_until(predicate, timeout=None)`` — wakes whenever the
      simulator's state changes (requests, frames, heartbeats, acks…).
    * ``speed`` divides every scenario delay: ``speed=20`` plays the 18 s demo in ~1 s.

Built-in rooms (``builtin_rooms=True``)
    * ``demo_user`` — a lively ~18 s LIVE with every event type the decoder knows
      (chat, gift streaks, likes, joins, follows, shares, questions, viewer counts, a
      link-mic battle with armies, an in-room banner, the intro, and once or twice
      each the rarer ones: emotes, envelopes, subscriptions, barrages, polls, goals,
      ranks, captions, pins, co-host links, not-logged-in joins, deletions, bottom
      notices), ending with a control message (action 3).
    * ``replay_user`` — replays every real captured message (the full set, else the
      shipped sample: every type, a few of each; ends with the captured control
      messages, then action 3).
    * ``offline_user`` — exists, last LIVE ended (``status`` 4).
    * ``sigi_user`` — live, with the 2022 profile page (``SIGI_STATE``).
    * ``polling_user`` — live, but ``im/fetch`` offers no push server.

:class:`RoomSpec` (custom rooms)
    ``RoomSpec(username, *, room_id=0, nickname="", title="", live=True,
    scenario=None, websocket=True, gzip=True, need_ack=True,
    page_style="universal"|"sigi", fetch_interval_ms=1000,
    heartbeat_duration=15, ping_interval=10.0, history_size=20, log_limit=5000, seed=None,
    speed=None, require_signature=False, age_restricted=False,
    heartbeat_timeout=40.0, close_on_missing_acks=None, end_grace=10.0, viewers=0,
    in_feed=True, loop=False)``
    (each field is explained on :class:`RoomSpec`).
    Scenarios: :class:`LivelyScenario` (``duration`` — None: endless, ``rate``,
    ``mix`` — weights of ``chat``/``like``/``join``/``gift``/``follow``/``share``,
    ``battle``, ``extras`` — the rarer types, ``unknown_messages``, ``end``), :class:`ScriptedScenario`
    (``[(seconds, draft or lambda factory: …), …]``, built with
    :class:`MessageFactory`), :class:`ReplayScenario` (the real captures, byte for byte).
    The same seed always makes the same room (only clock fields differ).

:class:`SimRoom`
    ``username``, ``room_id``, ``status`` (2/4), ``live``, ``started``,
    ``ended``, ``messages`` (every envelope emitted, in order), ``faults``
    (:class:`RoomFaults`, websocket-level), ``stats`` (:class:`RoomStats`:
    handshakes, heartbeats, enter-room frames, acks, frames sent, polls),
    ``factory`` (a :class:`MessageFactory` for this room), ``start()``,
    ``emit(draft)``, ``end(control=True)``, ``await wait_ended()``,
    ``await wait_for_messages(n)``, ``cursor_at(position)``.

Faults
    HTTP (``sim.faults``): ``fail(endpoint, status=503, times=1, retry_after=None)``,
    ``not_served(endpoint)`` (404 for ever), ``captcha(times=1)``, ``waf(times=1)``,
    ``stall(endpoint, seconds=None)``, ``drop(endpoint)``, ``truncate(endpoint)``,
    ``malformed(endpoint)``, ``empty(endpoint)``, ``signer_down`` (bool),
    ``user_not_found`` (set of usernames). Endpoint names: ``home``, ``profile``,
    ``live_page``, ``page`` (both pages), ``api-live``, ``room/info``,
    ``room/info_by_user``, ``room/check_alive``, ``gift/list``, ``diamond``, ``feed``,
    ``im/fetch``, ``sign``, ``push``
    (the websocket handshake), ``stream`` (FLV/HLS), ``*`` (any).
    Websocket (``room.faults``): ``reject(times=1)``, ``drop_after(frames,
    mid_frame=False)``, ``close_after(frames, code=1011)``,
    ``stall_after(frames, seconds=None)``, ``malformed_after(frames)``,
    ``truncated_after(frames)`` (a cut copy, then the real frame),
    ``truncated_gzip_after(frames)`` (the next frame with messages is a valid
    PushFrame whose gzip payload is cut in half: those messages are not re-sent on
    that connection), ``bomb_after(frames, messages=4_000_000)`` (a gzip frame of
    millions of empty messages, 8 KB on the wire), ``unknown_frame_after(frames)``,
    ``ignore_heartbeats`` (bool). ``room.emit(room.factory.unknown())`` adds a
    message of an unknown type; ``room.end(control=False)`` ends a LIVE
    without a control message (the client must notice via ``check_alive``).
    A video stream that ends early: ``sim.faults.truncate("stream")`` (half the
    bytes, then the connection closes); after ``room.end()`` the stream is 404.

Media
    ``room/info`` ``stream_url`` points at a real FLV and HLS stream of test
    video (ffmpeg ``testsrc`` + ``sine``, made once into a cache directory), served
    live: the FLV as one body at real-time pace (1 s ahead) until the LIVE ends, HLS as
    a sliding playlist of ``live{n}.ts`` segments; both loop the few seconds of video
    with timestamps moving on. Without ffmpeg the stream URLs answer 404 with the reason.

Running it
    ``run(host="127.0.0.1", port=8080, seed=0, speed=1.0, *, captures_dir=None,
    media_dir=None, load_rooms=0, tls=False, loop=True, print_function=print,
    sent_log=None)`` prints the endpoints and rooms, then serves until Ctrl-C (blocking;
    returns on Ctrl-C; ``port=0`` picks a free port; ``load_rooms`` adds endless rooms
    ``load_user0…``; ``loop``: the built-in rooms go live again when their LIVE ends;
    ``sent_log`` appends every message sent to a client to a file as JSON lines: room, via,
    msg_id, method, payload digest). The CLI's ``pytiktoklive simulate [--sent-log FILE]``
    calls it. ``await run_simulator(…, ready=None)`` is the same as a coroutine (``ready(sim)``
    runs once it listens).
    ``python -m pytiktoklive.simulator [--host H] [--port P] [--seed S] [--speed X]
    [--captures DIR] [--load-rooms N] [--tls] [--no-loop]``.

Raw protocol (:mod:`pytiktoklive.simulator.testing`)
    ``fetch``, ``connect_push``, ``heartbeat_frame``, ``ack_frame``,
    ``enter_room_frame``, ``page_data``: talk to the simulator the way TikTok's web
    client does, without the pytiktoklive client (see ``tests/test_simulator*.py``).

Pytest
    The ``pytiktoklive`` pytest plugin (entry point) provides the async,
    function-scoped fixture ``tiktok_simulator`` yielding a running
    :class:`Simulator` (``seed=0``, ``speed=20``).

It runs wherever the wheel installs (Python >= 3.9): the Rust core encodes its frames.
"""

from __future__ import annotations

from pytiktoklive.simulator.factory import Draft, MessageFactory, RawMessage
from pytiktoklive.simulator.faults import Faults, HTTPFault, RoomFaults, WSFault
from pytiktoklive.simulator.rooms import RoomSpec, RoomStats, SimRoom
from pytiktoklive.simulator.runner import run, run_simulator
from pytiktoklive.simulator.scenarios import (
    LivelyScenario,
    ReplayScenario,
    Scenario,
    ScenarioContext,
    ScriptedScenario,
)
from pytiktoklive.simulator.server import RequestRecord, Simulator

__all__ = [
    "Draft",
    "Faults",
    "HTTPFault",
    "LivelyScenario",
    "MessageFactory",
    "RawMessage",
    "ReplayScenario",
    "RequestRecord",
    "RoomFaults",
    "RoomSpec",
    "RoomStats",
    "Scenario",
    "ScenarioContext",
    "ScriptedScenario",
    "SimRoom",
    "Simulator",
    "WSFault",
    "run",
    "run_simulator",
]
