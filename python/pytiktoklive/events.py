"""Typed events decoded from a TikTok LIVE room, and the values they carry.

Every event carries the common header of its message (``method``, ``msg_id``,
``room_id``, ``create_time``) plus its own fields. Events are immutable,
compare by value, have a readable ``repr`` and a JSON-serialisable
``to_dict()``.

This module is also the decoding contract: each field's docstring line names
the wire field it comes from, as ``Message.field`` of ``proto/webcast/*.proto``.
The Rust core and the pure-Python decoder must both follow it exactly; the
differential test in ``tests/`` holds them to it. Rules that apply everywhere:

* A missing sub-message gives the field's default (``0``, ``""``, ``()``,
  ``False`` or ``None`` for an optional record).
* ``Event.method`` is the envelope's method name (``Message.method``), the key
  that chose the event type. ``Event.msg_id`` is ``Common.msg_id``, or the
  envelope's ``msg_id`` when the common header has none. ``room_id`` and
  ``create_time`` (milliseconds) come from ``Common``.
* A ``User`` is built by the rules on :class:`User`; shorter user forms
  (``LinkUser``, ``ArmyContributor``, ``PollVoter``, ``GoalContributor``) fill
  the fields they have and leave the rest at their defaults.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Optional, Tuple

from pytiktoklive._records import Record

__all__ = [
    "Badge",
    "BadgeScene",
    "Battle",
    "BattleContributor",
    "BattleGroup",
    "BattlesEvent",
    "BarrageEvent",
    "Caption",
    "CaptionEvent",
    "ChatEvent",
    "ControlAction",
    "ControlEvent",
    "Emote",
    "EmoteChatEvent",
    "EnvelopeEvent",
    "Event",
    "EVENT_TYPES",
    "GiftEvent",
    "GoalUpdateEvent",
    "HourlyRankEvent",
    "ImDeleteEvent",
    "IntroEvent",
    "LikeEvent",
    "LinkEvent",
    "LinkLayerEvent",
    "MicBattleEvent",
    "PollEvent",
    "PollOption",
    "QuestionEvent",
    "RankUpdate",
    "RankUpdateEvent",
    "RoomBannerEvent",
    "RoomEvent",
    "RoomPinEvent",
    "SkippedMessage",
    "SubGoal",
    "SubscribeEvent",
    "TopViewer",
    "UnauthorizedMemberEvent",
    "UnknownEvent",
    "User",
    "UserEvent",
    "UserEventType",
    "ViewersEvent",
    "METHOD_EVENT_TYPES",
]


class BadgeScene(enum.IntEnum):
    """``Badge.scene_type`` values seen on the wire."""

    ADMIN = 1
    NEW_GIFTER = 2
    FRIENDS = 3
    SUBSCRIBER = 4
    ACTIVITY = 5
    RANK_LIST = 6
    NEW_SUBSCRIBER = 7
    USER_GRADE = 8
    FANS = 10


class ControlAction(enum.IntEnum):
    """``ControlEvent.action`` values."""

    UNKNOWN = 0
    STREAM_PAUSED = 1
    STREAM_UNPAUSED = 2
    STREAM_ENDED = 3
    STREAM_SUSPENDED = 4  # ended by moderation


class UserEventType(str, enum.Enum):
    """What a :class:`UserEvent` reports. Members compare equal to their string value."""

    JOIN = "join"
    FOLLOW = "follow"
    SHARE = "share"
    OTHER = "other"


# --------------------------------------------------------------------------- values


class Badge(Record):
    """A badge shown next to a user (``User.badge_list`` entry, proto ``Badge``).

    * ``scene_type`` ← ``Badge.scene_type`` (see :class:`BadgeScene`)
    * ``type`` ← ``Badge.text.key``, else ``Badge.combine.text.key``
    * ``name`` ← ``Badge.text.default_pattern``, else ``Badge.combine.str``,
      else ``Badge.combine.text.default_pattern``
    * ``level`` ← ``int(Badge.privilege_log_extra.level)`` when it is all
      ASCII digits, else 0
    * ``image_url`` ← first of ``Badge.image.image.url_list``, else first of
      ``Badge.combine.icon.url_list``, else ``""``
    """

    __slots__ = ("scene_type", "type", "name", "level", "image_url")
    scene_type: int
    type: str
    name: str
    level: int
    image_url: str


class User(Record):
    """A TikTok user as it appears in room messages (proto ``User``).

    * ``id`` ← ``User.id``
    * ``username`` ← ``User.display_id`` (the @handle)
    * ``nickname`` ← ``User.nickname``
    * ``sec_uid`` ← ``User.sec_uid``
    * ``profile_picture`` ← ``User.avatar_thumb.url_list`` (all URLs, in order)
    * ``follow_role`` ← ``User.follow_info.follow_status`` (0 none, 1 follows
      the host, 2 friends)
    * ``follower_count`` / ``following_count`` ← ``User.follow_info``
    * ``badges`` ← ``User.badge_list``, each by the rules on :class:`Badge`
    """

    __slots__ = (
        "id",
        "username",
        "nickname",
        "sec_uid",
        "profile_picture",
        "follow_role",
        "follower_count",
        "following_count",
        "badges",
    )
    id: int
    username: str
    nickname: str
    sec_uid: str
    profile_picture: Tuple[str, ...]
    follow_role: int
    follower_count: int
    following_count: int
    badges: Tuple[Badge, ...]

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, nickname={self.nickname!r})"

    def _badge(self, *scenes: int) -> Optional[Badge]:
        return next((badge for badge in self.badges if badge.scene_type in scenes), None)

    @property
    def is_moderator(self) -> bool:
        """The user moderates this room (an admin badge, or a badge whose type names a moderator)."""
        return self._badge(BadgeScene.ADMIN) is not None or any(
            "moderator" in badge.type.lower() for badge in self.badges
        )

    @property
    def is_subscriber(self) -> bool:
        """The user subscribes to the host."""
        return self._badge(BadgeScene.SUBSCRIBER, BadgeScene.NEW_SUBSCRIBER) is not None

    @property
    def is_new_gifter(self) -> bool:
        return self._badge(BadgeScene.NEW_GIFTER) is not None

    @property
    def is_friend(self) -> bool:
        """The user and the host follow each other."""
        return self.follow_role >= 2

    @property
    def gifter_level(self) -> int:
        """The user's gifter (grade) level, 0 when unknown."""
        badge = self._badge(BadgeScene.USER_GRADE)
        return badge.level if badge else 0

    @property
    def fans_level(self) -> int:
        """The user's level in the host's fan club, 0 when not a member."""
        badge = self._badge(BadgeScene.FANS)
        return badge.level if badge else 0

    @property
    def top_gifter_rank(self) -> int:
        """The user's place among the room's top gifters ("No. 1" → 1), 0 when not ranked."""
        badge = self._badge(BadgeScene.RANK_LIST)
        match = re.search(r"\d+", badge.name) if badge else None
        return int(match.group()) if match else 0


class Emote(Record):
    """A sticker/emote in a chat (proto ``Emote``): ``id`` ← ``emote_id``,
    ``image_url`` ← first of ``image.url_list``."""

    __slots__ = ("id", "image_url")
    id: str
    image_url: str


class TopViewer(Record):
    """A ranked viewer (proto ``Contributor``): ``user``, ``score`` (coins), ``rank``."""

    __slots__ = ("user", "score", "rank")
    user: User
    score: int
    rank: int


class BattleContributor(Record):
    """A viewer who added points to a host in a battle (proto ``ArmyContributor``).

    ``user`` ← ``User(id=user_id, nickname=nickname, profile_picture=avatar.url_list)``;
    ``score`` ← ``score``.
    """

    __slots__ = ("user", "score")
    user: User
    score: int


class BattleGroup(Record):
    """One host's side of a battle (proto ``BattleArmy``): ``points`` ← ``host_score``,
    ``contributors`` ← ``contributors``."""

    __slots__ = ("points", "contributors")
    points: int
    contributors: Tuple[BattleContributor, ...]

    @property
    def users(self) -> Tuple[User, ...]:
        """The contributing users, in wire order."""
        return tuple(contributor.user for contributor in self.contributors)


class Battle(Record):
    """One host in a battle (proto ``ArmyEntry``): ``host`` ← ``host_user_id``,
    ``groups`` ← ``(army,)`` (empty when ``army`` is missing)."""

    __slots__ = ("host", "groups")
    host: int
    groups: Tuple[BattleGroup, ...]


class RankUpdate(Record):
    """One rank change (proto ``RankUpdate``): ``rank_type``, ``owner_rank``,
    ``key`` ← ``default_content.key``, ``label`` ← ``default_content.default_pattern``."""

    __slots__ = ("rank_type", "owner_rank", "key", "label")
    rank_type: int
    owner_rank: int
    key: str
    label: str


class SubGoal(Record):
    """Progress towards one part of a LIVE goal (proto ``SubGoal``): ``type``,
    ``progress``, ``target``."""

    __slots__ = ("type", "progress", "target")
    type: int
    progress: int
    target: int


class PollOption(Record):
    """A poll choice (proto ``PollOption``): ``index`` ← ``option_index``,
    ``text`` ← ``display_content``, ``votes``."""

    __slots__ = ("index", "text", "votes")
    index: int
    text: str
    votes: int


class Caption(Record):
    """One caption line (proto ``CaptionContent``): ``language``, ``text``."""

    __slots__ = ("language", "text")
    language: str
    text: str


class SkippedMessage(Record):
    """A room message that could not be decoded; the rest of its batch was delivered.

    ``method`` and ``msg_id`` come from the envelope, ``payload`` is the raw
    message, ``reason`` says what was wrong.
    """

    __slots__ = ("method", "msg_id", "payload", "reason")
    method: str
    msg_id: int
    payload: bytes
    reason: str


# --------------------------------------------------------------------------- events


class Event(Record):
    """Base class of every room event.

    * ``method`` ← ``Message.method`` (the envelope's method name)
    * ``msg_id`` ← ``Common.msg_id``, else the envelope's ``msg_id``
    * ``room_id`` ← ``Common.room_id``
    * ``create_time`` ← ``Common.create_time`` (milliseconds since the epoch)
    """

    __slots__ = ("method", "msg_id", "room_id", "create_time")
    method: str
    msg_id: int
    room_id: int
    create_time: int

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.method, self.msg_id, self.create_time))


class ChatEvent(Event):
    """A chat comment (``WebcastChatMessage``, proto ``ChatMessage``).

    * ``comment`` ← ``content``; ``user`` ← ``user``; ``timestamp`` ← ``Common.create_time``
    * ``language`` ← ``content_language``
    * ``emotes`` ← ``emotes[].emote`` as :class:`Emote`
    """

    __slots__ = ("comment", "user", "timestamp", "language", "emotes")
    comment: str
    user: Optional[User]
    timestamp: int
    language: str
    emotes: Tuple[Emote, ...]


class EmoteChatEvent(Event):
    """Stickers sent as a chat (``WebcastEmoteChatMessage``): ``user``,
    ``emotes`` ← ``emote_list``."""

    __slots__ = ("user", "emotes")
    user: Optional[User]
    emotes: Tuple[Emote, ...]


class GiftEvent(Event):
    """A gift (``WebcastGiftMessage``, proto ``GiftMessage``).

    * ``id`` ← ``gift_id``; ``name`` ← ``gift.name``; ``describe`` ← ``gift.describe``
    * ``cost`` ← ``gift.diamond_count`` (coins per gift)
    * ``repeat_count`` ← ``repeat_count``; ``repeat_end`` ← ``repeat_end == 1``
    * ``type`` ← ``gift.type`` (1 = streakable)
    * ``to_user_id`` ← ``monitor_info.to_anchor_id``; ``timestamp`` ← ``monitor_info.send_time``
    * ``user`` ← ``user``; ``group_id`` ← ``group_id``
    * ``image_url`` ← first of ``gift.image.url_list``

    Streakable gifts (``type == 1``) arrive several times while the sender
    repeats them, with a growing ``repeat_count``; act on the one with
    ``repeat_end`` (``not event.streaking``). Other gifts arrive once.
    """

    __slots__ = (
        "id",
        "name",
        "describe",
        "cost",
        "repeat_count",
        "repeat_end",
        "type",
        "to_user_id",
        "timestamp",
        "user",
        "group_id",
        "image_url",
    )
    id: int
    name: str
    describe: str
    cost: int
    repeat_count: int
    repeat_end: bool
    type: int
    to_user_id: int
    timestamp: int
    user: Optional[User]
    group_id: int
    image_url: str

    @property
    def streakable(self) -> bool:
        """The gift can be sent as a streak (``type == 1``)."""
        return self.type == 1

    @property
    def streaking(self) -> bool:
        """More events of this streak will follow; wait for the last one."""
        return self.streakable and not self.repeat_end

    @property
    def total_cost(self) -> int:
        """Coins of this event: ``cost * repeat_count`` (the streak's total on its last event)."""
        return self.cost * max(self.repeat_count, 1)


class LikeEvent(Event):
    """Likes (``WebcastLikeMessage``): ``likes`` ← ``count``, ``total_likes`` ← ``total``,
    ``user``, ``display_type`` ← ``Common.display_text.key``,
    ``label`` ← ``Common.display_text.default_pattern``."""

    __slots__ = ("likes", "total_likes", "user", "display_type", "label")
    likes: int
    total_likes: int
    user: Optional[User]
    display_type: str
    label: str


class UserEvent(Event):
    """A viewer joined, followed or shared.

    From ``WebcastMemberMessage`` (proto ``MemberMessage``): ``event`` is ``"join"``.
    From ``WebcastSocialMessage`` (proto ``SocialMessage``): ``"follow"`` if
    ``display_type`` contains "follow", else ``"share"`` if it contains
    "share", else ``"follow"`` if ``action == 1``, ``"share"`` if
    ``action == 3``, else ``"other"``.

    ``event`` is a plain ``str`` equal to a :class:`UserEventType`;
    ``user`` ← ``user``; ``display_type`` / ``label`` ← ``Common.display_text``
    ``key`` / ``default_pattern``.
    """

    __slots__ = ("event", "user", "display_type", "label")
    event: str
    user: Optional[User]
    display_type: str
    label: str


class ViewersEvent(Event):
    """Viewer count (``WebcastRoomUserSeqMessage``): ``viewers`` ← ``total``,
    ``total_viewers`` ← ``total_user`` (cumulative), ``top_viewers`` ← ``ranks``."""

    __slots__ = ("viewers", "total_viewers", "top_viewers")
    viewers: int
    total_viewers: int
    top_viewers: Tuple[TopViewer, ...]


class QuestionEvent(Event):
    """A question for the host (``WebcastQuestionNewMessage``): ``question`` ←
    ``details.content``, ``user`` ← ``details.user``, ``question_id`` ←
    ``details.question_id``, ``timestamp`` ← ``Common.create_time``."""

    __slots__ = ("question", "user", "question_id", "timestamp")
    question: str
    user: Optional[User]
    question_id: int
    timestamp: int


class ControlEvent(Event):
    """Stream state (``WebcastControlMessage``): ``action`` (see :class:`ControlAction`),
    ``tips``."""

    __slots__ = ("action", "tips")
    action: int
    tips: str

    @property
    def ended(self) -> bool:
        """The LIVE has ended (by the host or by moderation)."""
        return self.action in (ControlAction.STREAM_ENDED, ControlAction.STREAM_SUSPENDED)


class MicBattleEvent(Event):
    """A battle between hosts was set up (``WebcastLinkMicBattle``): ``battle_id``,
    ``action``, ``users`` ← ``anchors[].info.user`` (``LinkUser``: ``id``,
    ``nickname``, ``display_id`` → ``username``, ``avatar.url_list`` →
    ``profile_picture``)."""

    __slots__ = ("battle_id", "action", "users")
    battle_id: int
    action: int
    users: Tuple[User, ...]


class BattlesEvent(Event):
    """Battle scores (``WebcastLinkMicArmies``): ``status`` ← ``trigger_reason``
    (1 score update, 2 battle end), ``battle_id``, ``battles`` ← ``armies``."""

    __slots__ = ("status", "battle_id", "battles")
    status: int
    battle_id: int
    battles: Tuple[Battle, ...]


class RoomBannerEvent(Event):
    """An in-room banner (``WebcastInRoomBannerMessage``): ``json`` ← ``json``,
    ``data`` ← ``json.loads(json)``, or ``None`` when it is empty or not valid JSON."""

    __slots__ = ("data", "json")
    data: Any
    json: str

    def __hash__(self) -> int:
        return Event.__hash__(self)


class IntroEvent(Event):
    """The host's intro (``WebcastLiveIntroMessage``): ``id`` ← ``room_id``,
    ``title`` ← ``content``, ``user`` ← ``host``, ``language``."""

    __slots__ = ("id", "title", "user", "language")
    id: int
    title: str
    user: Optional[User]
    language: str


class RoomEvent(Event):
    """A notice (``WebcastRoomMessage``, ``RoomMessage``, ``WebcastSystemMessage``,
    ``SystemMessage``, ``WebcastBottomMessage``): ``type`` ← ``Common.method``,
    else the envelope method; ``message`` ← ``content``."""

    __slots__ = ("type", "message")
    type: str
    message: str


class EnvelopeEvent(Event):
    """A treasure box (``WebcastEnvelopeMessage``), from ``envelope_info``:
    ``envelope_id``, ``business_type``, ``sender_name`` ← ``send_user_name``,
    ``sender_id`` ← ``int(send_user_id)`` (0 unless all digits),
    ``diamond_count``, ``people_count``, ``unpack_at`` (epoch seconds)."""

    __slots__ = (
        "envelope_id",
        "business_type",
        "sender_name",
        "sender_id",
        "diamond_count",
        "people_count",
        "unpack_at",
    )
    envelope_id: str
    business_type: int
    sender_name: str
    sender_id: int
    diamond_count: int
    people_count: int
    unpack_at: int


class SubscribeEvent(Event):
    """A subscription (``WebcastSubNotifyMessage``): ``user``, ``sub_month``,
    ``subscribe_type``."""

    __slots__ = ("user", "sub_month", "subscribe_type")
    user: Optional[User]
    sub_month: int
    subscribe_type: int


class RankUpdateEvent(Event):
    """Ranking changes (``WebcastRankUpdateMessage``): ``updates``."""

    __slots__ = ("updates",)
    updates: Tuple[RankUpdate, ...]


class HourlyRankEvent(Event):
    """Hourly/weekly ranking (``WebcastHourlyRankMessage``), from ``data``:
    ``rank_type`` ← ``type``, ``rank``, ``key`` / ``label`` ← ``content``
    ``key`` / ``default_pattern``."""

    __slots__ = ("rank_type", "rank", "key", "label")
    rank_type: int
    rank: int
    key: str
    label: str


class GoalUpdateEvent(Event):
    """LIVE goal progress (``WebcastGoalUpdateMessage``): ``goal_id`` ← ``goal.id``,
    ``description`` ← ``goal.description``, ``sub_goals`` ← ``goal.sub_goals``,
    ``contributor`` ← ``User(id=contributor_id, username=contributor_display_id,
    profile_picture=contributor_avatar.url_list)`` or ``None`` when
    ``contributor_id`` is 0, ``contribute_count``, ``contribute_score``."""

    __slots__ = (
        "goal_id",
        "description",
        "sub_goals",
        "contributor",
        "contribute_count",
        "contribute_score",
    )
    goal_id: int
    description: str
    sub_goals: Tuple[SubGoal, ...]
    contributor: Optional[User]
    contribute_count: int
    contribute_score: int


class PollEvent(Event):
    """A poll (``WebcastPollMessage``): ``poll_id``, ``status`` ← ``message_type``
    (0 started, 1 ended, 2 votes updated), ``title`` ← ``start_content.title``,
    ``options`` ← the first present of ``start_content``, ``end_content``,
    ``update_content`` (its ``options``), ``start_time`` / ``end_time`` ←
    ``start_content``, ``operator`` ← ``start_content.operator``."""

    __slots__ = ("poll_id", "status", "title", "options", "start_time", "end_time", "operator")
    poll_id: int
    status: int
    title: str
    options: Tuple[PollOption, ...]
    start_time: int
    end_time: int
    operator: Optional[User]


class CaptionEvent(Event):
    """Live captions (``WebcastCaptionMessage``): ``timestamp`` ← ``timestamp_ms``,
    ``duration`` ← ``duration_ms``, ``captions`` ← ``content``."""

    __slots__ = ("timestamp", "duration", "captions")
    timestamp: int
    duration: int
    captions: Tuple[Caption, ...]


class LinkEvent(Event):
    """Co-host link state (``WebcastLinkMessage``): ``message_type``, ``linker_id``, ``scene``."""

    __slots__ = ("message_type", "linker_id", "scene")
    message_type: int
    linker_id: int
    scene: int


class LinkLayerEvent(Event):
    """Multi-guest layer state (``WebcastLinkLayerMessage``): ``message_type``,
    ``channel_id``, ``scene``."""

    __slots__ = ("message_type", "channel_id", "scene")
    message_type: int
    channel_id: int
    scene: int


class RoomPinEvent(Event):
    """A pinned message (``WebcastRoomPinMessage``).

    With ``chat_message``: ``pinned_method`` ← its ``Common.method`` (else
    ``"WebcastChatMessage"``), ``pinned_msg_id`` ← its ``Common.msg_id``,
    ``text`` ← its ``content``, ``user`` ← its ``user``.
    Otherwise, from ``pinned_message.common``: ``pinned_method`` ← ``method``,
    ``pinned_msg_id`` ← ``msg_id``, ``text`` ← ``describe``, ``user`` ← ``None``.
    """

    __slots__ = ("pinned_method", "pinned_msg_id", "text", "user")
    pinned_method: str
    pinned_msg_id: int
    text: str
    user: Optional[User]


class BarrageEvent(Event):
    """A full-width announcement (``WebcastBarrageMessage``): ``msg_type``,
    ``key`` / ``label`` ← ``content`` ``key`` / ``default_pattern``,
    ``user`` ← the first ``content.pieces[].user_value.user``, else
    ``user_grade_param.user``, else ``fans_level_param.user``, else ``None``;
    ``duration``."""

    __slots__ = ("msg_type", "key", "label", "user", "duration")
    msg_type: int
    key: str
    label: str
    user: Optional[User]
    duration: int


class ImDeleteEvent(Event):
    """Messages removed by moderation (``WebcastImDeleteMessage``):
    ``deleted_msg_ids`` ← ``delete_msg_ids``, ``deleted_user_ids`` ← ``delete_user_ids``."""

    __slots__ = ("deleted_msg_ids", "deleted_user_ids")
    deleted_msg_ids: Tuple[int, ...]
    deleted_user_ids: Tuple[int, ...]


class UnauthorizedMemberEvent(Event):
    """A viewer who is not logged in joined (``WebcastUnauthorizedMemberMessage``):
    ``action``, ``nickname`` ← ``nick_name``, ``label`` ← ``enter_text.default_pattern``."""

    __slots__ = ("action", "nickname", "label")
    action: int
    nickname: str
    label: str


class UnknownEvent(Event):
    """A message type pytiktoklive has no schema for. ``payload`` is the raw message
    (file it with an issue); the common header is still decoded when present."""

    __slots__ = ("payload",)
    payload: bytes


#: Envelope method name -> event class. Methods not listed give :class:`UnknownEvent`.
METHOD_EVENT_TYPES: dict[str, type[Event]] = {
    "WebcastChatMessage": ChatEvent,
    "WebcastEmoteChatMessage": EmoteChatEvent,
    "WebcastGiftMessage": GiftEvent,
    "WebcastLikeMessage": LikeEvent,
    "WebcastMemberMessage": UserEvent,
    "WebcastSocialMessage": UserEvent,
    "WebcastRoomUserSeqMessage": ViewersEvent,
    "WebcastQuestionNewMessage": QuestionEvent,
    "WebcastControlMessage": ControlEvent,
    "WebcastLinkMicBattle": MicBattleEvent,
    "WebcastLinkMicArmies": BattlesEvent,
    "WebcastInRoomBannerMessage": RoomBannerEvent,
    "WebcastLiveIntroMessage": IntroEvent,
    "WebcastRoomMessage": RoomEvent,
    "RoomMessage": RoomEvent,
    "WebcastSystemMessage": RoomEvent,
    "SystemMessage": RoomEvent,
    "WebcastBottomMessage": RoomEvent,
    "WebcastEnvelopeMessage": EnvelopeEvent,
    "WebcastSubNotifyMessage": SubscribeEvent,
    "WebcastRankUpdateMessage": RankUpdateEvent,
    "WebcastHourlyRankMessage": HourlyRankEvent,
    "WebcastGoalUpdateMessage": GoalUpdateEvent,
    "WebcastPollMessage": PollEvent,
    "WebcastCaptionMessage": CaptionEvent,
    "WebcastLinkMessage": LinkEvent,
    "WebcastLinkLayerMessage": LinkLayerEvent,
    "WebcastRoomPinMessage": RoomPinEvent,
    "WebcastBarrageMessage": BarrageEvent,
    "WebcastImDeleteMessage": ImDeleteEvent,
    "WebcastUnauthorizedMemberMessage": UnauthorizedMemberEvent,
}

#: Every event class, for ``isinstance`` checks and registration.
EVENT_TYPES: Tuple[type[Event], ...] = tuple(dict.fromkeys([*METHOD_EVENT_TYPES.values(), UnknownEvent]))
