"""What happens in a room, and when: timelines of messages.

A :class:`Scenario` turns a :class:`ScenarioContext` (the room's seeded
``random.Random`` and :class:`~pytiktoklive.simulator.factory.MessageFactory`)
into a timeline: ``(seconds since the LIVE started, message)`` pairs in time
order. The room plays it in real time (divided by its ``speed``); a control
message with action 3 or 4 ends the LIVE.

* :class:`LivelyScenario` — a busy room with every event type, ending with action 3;
* :class:`ReplayScenario` — every real captured message, then the end;
* :class:`ScriptedScenario` — exactly the messages you list.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from pytiktoklive.simulator.captures import find_captures, load_messages
from pytiktoklive.simulator.factory import Draft, MessageFactory, RawMessage

__all__ = [
    "ACTION_WEIGHTS",
    "LivelyScenario",
    "Outgoing",
    "ReplayScenario",
    "Scenario",
    "ScenarioContext",
    "ScriptedScenario",
    "Timed",
]

#: Something a room can emit.
Outgoing = Union[Draft, RawMessage]
#: One timeline entry: seconds after the LIVE started, and the message.
Timed = Tuple[float, Outgoing]
#: How often each kind of viewer action happens in a lively room (relative weights).
ACTION_WEIGHTS: Mapping[str, float] = {
    "chat": 30,
    "like": 22,
    "join": 16,
    "gift": 10,
    "follow": 5,
    "share": 3,
}
# Polls a lively host runs: (title, options).
_POLLS = (
    ("Next game?", ("Minecraft", "Fortnite", "Just chatting")),
    ("Pineapple on pizza?", ("Yes", "No")),
    ("Where are you watching from?", ("Europe", "Americas", "Asia", "Elsewhere")),
)
# Seconds between the messages of a gift streak.
_STREAK_STEP = 0.25
# Length of one cycle of an endless lively room, in seconds.
_CYCLE = 30.0

#: A scripted entry: a message, several, or a function of the room's factory making them.
ScriptItem = Union[
    Outgoing, Sequence[Outgoing], Callable[[MessageFactory], Union[Outgoing, Sequence[Outgoing]]]
]


@dataclass
class ScenarioContext:
    """What a scenario may use: the room's seeded randomness, factory, title and audience size."""

    rng: random.Random
    factory: MessageFactory
    title: str
    initial_viewers: int


class Scenario:
    """A room's timeline. Subclasses implement :meth:`timeline`."""

    def timeline(self, context: ScenarioContext) -> Iterator[Timed]:
        raise NotImplementedError


def _as_list(value: Union[Outgoing, Sequence[Outgoing]]) -> List[Outgoing]:
    return [value] if isinstance(value, (Draft, RawMessage)) else list(value)


@dataclass
class ScriptedScenario(Scenario):
    """Exactly the listed messages: ``[(seconds, item), …]``, where an item is a
    :class:`Draft`, a :class:`RawMessage`, a list of them, or a function of the
    room's :class:`MessageFactory` returning those (``lambda f: f.chat(text="hi")``)."""

    items: Sequence[Tuple[float, ScriptItem]]

    def timeline(self, context: ScenarioContext) -> Iterator[Timed]:
        for seconds, item in sorted(self.items, key=lambda entry: entry[0]):
            made = item(context.factory) if callable(item) else item
            for message in _as_list(made):
                yield seconds, message


@dataclass
class LivelyScenario(Scenario):
    """A busy LIVE: every event type the client knows, at about ``6 * rate`` messages a second.

    It opens with the system notice, the intro, a viewer count and an in-room
    banner; then chats, likes, joins, gift streaks (and single expensive
    gifts), follows, shares, questions and a viewer count every 2 s; a link-mic
    battle with army scores runs from 40 % to 75 % of the LIVE. With ``extras``
    (as ``demo_user`` has it) the rarer types come once or twice each at set moments: an emote,
    a treasure box (envelope), a subscription and its announcement (barrage), a
    poll (start, votes, end), the LIVE goal's progress, daily and weekly ranks,
    captions, a pinned chat, a not-logged-in viewer, a moderator's deletion, a
    bottom notice, and with the battle the co-host link and multi-guest layer.
    Each cycle then holds every event class of :data:`pytiktoklive.events.METHOD_EVENT_TYPES`. With ``end``
    the LIVE ends after ``duration`` seconds with a control message (action 3);
    ``duration=None`` runs for ever (cycles of 30 s). ``unknown_messages``
    mixes in messages of a type no client knows.

    ``mix`` sets the relative weights of the viewer actions (``chat``, ``like``,
    ``join``, ``gift``, ``follow``, ``share``; default :data:`ACTION_WEIGHTS`);
    actions left out never happen: ``mix={"gift": 1}`` with ``battle=False`` is a room
    of gifts only.
    """

    duration: Optional[float] = 18.0
    rate: float = 1.0
    battle: bool = True
    extras: bool = False
    unknown_messages: bool = False
    end: bool = True
    mix: Optional[Mapping[str, float]] = None

    def __post_init__(self) -> None:
        if self.mix is not None:
            unknown = set(self.mix) - set(ACTION_WEIGHTS)
            if unknown:
                raise ValueError(f"unknown actions in mix: {sorted(unknown)}; known: {list(ACTION_WEIGHTS)}")
            if not any(weight > 0 for weight in self.mix.values()):
                raise ValueError("mix needs at least one action with a positive weight")

    def timeline(self, context: ScenarioContext) -> Iterator[Timed]:
        state = _AudienceState(viewers=context.initial_viewers, total=context.initial_viewers)
        factory = context.factory
        yield 0.0, factory.system()
        yield 0.0, factory.intro(context.title)
        yield 0.0, factory.viewers(state.viewers, state.total)
        yield 0.05, factory.banner()
        if self.duration is not None:
            yield from self._cycle(context, state, 0.1, max(self.duration, 0.2), last=self.end)
            return
        for cycle in itertools.count(0):
            yield from self._cycle(context, state, max(cycle * _CYCLE, 0.1), (cycle + 1) * _CYCLE, last=False)

    def _cycle(
        self, context: ScenarioContext, state: _AudienceState, start: float, end: float, *, last: bool
    ) -> Iterator[Timed]:
        """The messages of ``[start, end)``, in time order (then the end of the LIVE when ``last``)."""
        rng, factory = context.rng, context.factory
        queue: List[Tuple[float, int, Any]] = []
        order = itertools.count()

        def at(seconds: float, make: Any) -> None:
            """Schedule a message (or a function making messages when their time comes)."""
            heapq.heappush(queue, (seconds, next(order), make))

        span = end - start
        for fraction in (0.3, 0.6):
            at(start + span * fraction, factory.question)
        if self.battle:
            self._battle(context, state, start, span, at)
        if self.extras:
            self._extras(context, start, span, at)
        seconds = start + 2.0
        while seconds < end:
            at(seconds, lambda: factory.viewers(state.viewers, state.total, state.top_viewers()))
            seconds += 2.0
        seconds = start
        mix = {kind: weight for kind, weight in (self.mix or ACTION_WEIGHTS).items() if weight > 0}
        kinds = list(mix)
        weights = list(mix.values())
        while True:
            seconds += rng.expovariate(6.0 * max(self.rate, 0.001))
            if seconds >= end - 0.2:
                break
            kind = rng.choices(kinds, weights)[0]
            if kind == "gift":
                self._gift(context, state, seconds, end, at)
            elif kind == "join":
                at(seconds, lambda: state.joined(factory))
            else:
                at(seconds, getattr(factory, kind))
            if self.unknown_messages and rng.random() < 0.03:
                at(seconds, factory.unknown)
        if last:
            at(end, lambda: factory.control(3))
        while queue:
            seconds, _, make = heapq.heappop(queue)
            for message in _as_list(make() if callable(make) else make):
                yield seconds, message

    @staticmethod
    def _gift(
        context: ScenarioContext,
        state: _AudienceState,
        seconds: float,
        end: float,
        at: Callable[[float, Any], None],
    ) -> None:
        rng, factory = context.rng, context.factory
        user = factory.viewer()
        streakable = rng.random() < 0.85
        gift = factory.gifts.pick(rng, streakable=streakable)
        drafts = factory.gift_streak(user, gift)
        if seconds + _STREAK_STEP * len(drafts) >= end:
            return  # a streak the end of the LIVE would cut short: real ones finish first
        state.coins[id(user)] = (
            user,
            state.coins.get(id(user), (user, 0))[1] + gift.diamond_count * len(drafts),
        )
        for index, draft in enumerate(drafts):
            at(seconds + _STREAK_STEP * index, draft)

    def _extras(
        self, context: ScenarioContext, start: float, span: float, at: Callable[[float, Any], None]
    ) -> None:
        """The rarer message types, at set fractions of the cycle (content drawn when due)."""
        rng, factory = context.rng, context.factory
        poll_id = rng.randrange(7_280_000_000_000_000_000, 7_320_000_000_000_000_000)
        goal_id = rng.randrange(7_280_000_000_000_000_000, 7_320_000_000_000_000_000)
        poll_title, poll_options = rng.choice(_POLLS)
        votes = [0] * len(poll_options)
        goal = {"progress": 0}

        def vote() -> Draft:
            for _ in range(rng.randrange(3, 12)):
                votes[rng.randrange(len(votes))] += 1
            return factory.poll(poll_id, 2, poll_title, list(zip(poll_options, votes)))

        def goal_step(contributed: bool) -> Draft:
            viewer = factory.viewer() if contributed else None
            points = rng.randrange(1, 10) if contributed else 0
            goal["progress"] += points
            return factory.goal_update(goal_id, "Road to 50 roses", goal["progress"], 50, viewer, points)

        def subscribed() -> List[Outgoing]:
            viewer = factory.viewer()
            return [factory.subscribe(viewer), factory.barrage(viewer)]

        timeline: List[Tuple[float, Any]] = [
            (0.06, factory.bottom),
            (0.08, lambda: factory.rank_update(0)),
            (0.10, lambda: goal_step(False)),
            (0.14, factory.emote_chat),
            (0.18, factory.caption),
            (0.20, lambda: factory.poll(poll_id, 0, poll_title, [(text, 0) for text in poll_options])),
            (0.24, factory.envelope),
            (0.27, vote),
            (0.29, lambda: goal_step(True)),
            (0.33, subscribed),
            (0.35, lambda: factory.poll(poll_id, 1, poll_title, list(zip(poll_options, votes)))),
            (0.37, factory.pin),
            (0.50, factory.unauthorized_join),
            (0.58, factory.caption),
            (0.66, lambda: factory.hourly_rank()),
            (0.70, factory.im_delete),
            (0.78, factory.emote_chat),
            (0.82, lambda: factory.rank_update(rng.randrange(1, 200))),
        ]
        if self.battle:
            link_id = rng.randrange(7_280_000_000_000_000_000, 7_320_000_000_000_000_000)
            timeline += [
                (0.39, lambda: factory.link(link_id, 2, 2)),
                (0.41, lambda: factory.link_layer(link_id + 1, 9, 4)),
                (0.76, lambda: factory.link(link_id, 19, 4)),
            ]
        for fraction, make in timeline:
            at(start + span * fraction, make)

    @staticmethod
    def _battle(
        context: ScenarioContext,
        state: _AudienceState,
        start: float,
        span: float,
        at: Callable[[float, Any], None],
    ) -> None:
        rng, factory = context.rng, context.factory
        battle_id = rng.randrange(7_300_000_000_000_000_000, 7_400_000_000_000_000_000)
        opponent = factory.opponent()
        host = factory.host_user()
        at(start + 0.40 * span, lambda: factory.battle(battle_id, opponent))
        host_score = opponent_score = 0
        supporters = [factory.viewer() for _ in range(3)]
        for fraction, ended in ((0.45, False), (0.55, False), (0.65, False), (0.75, True)):
            host_score += rng.randrange(5, 400)
            opponent_score += rng.randrange(5, 400)
            contributors = [(user, rng.randrange(1, 100)) for user in supporters[: rng.randrange(1, 4)]]
            scores = [(host, host_score, contributors), (opponent, opponent_score, [])]
            at(start + fraction * span, functools.partial(factory.armies, battle_id, scores, ended=ended))


@dataclass
class _AudienceState:
    """Viewer counts and gifters of a lively room, as its timeline unfolds."""

    viewers: int
    total: int
    coins: Dict[int, Tuple[Any, int]] = field(default_factory=dict)

    def joined(self, factory: MessageFactory) -> Draft:
        self.viewers += 1
        self.total += 1
        return factory.join(member_count=self.viewers)

    def top_viewers(self) -> List[Tuple[Any, int]]:
        ranked = sorted(self.coins.values(), key=lambda entry: -entry[1])
        return ranked[:3]


@dataclass
class ReplayScenario(Scenario):
    """Every real captured message (the full set, else the shipped sample), spread over ``duration`` seconds.

    Messages go out oldest first, byte for byte as captured (they keep their
    own room ids and timestamps). Captured control messages that end a LIVE
    come last, together; when none does and ``end`` is set, a control message
    with action 3 closes the replay.
    """

    captures_dir: Optional[Path] = None
    duration: float = 20.0
    end: bool = True

    def __post_init__(self) -> None:
        captures = find_captures(self.captures_dir)
        if captures is None:
            raise FileNotFoundError(f"no captures directory at {self.captures_dir}")
        self.messages: Tuple[RawMessage, ...] = load_messages(captures)
        if not self.messages:
            raise FileNotFoundError(f"no captured messages under {captures}")

    def timeline(self, context: ScenarioContext) -> Iterator[Timed]:
        ordinary = [message for message in self.messages if not message.ends_live]
        ending = [message for message in self.messages if message.ends_live]
        step = self.duration / max(len(ordinary), 1)
        for index, message in enumerate(ordinary):
            yield index * step, message
        for message in ending:
            yield self.duration, message
        if self.end and not ending:
            yield self.duration, context.factory.control(3)
