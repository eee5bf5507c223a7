"""TikTokLive's event classes, as views over pytiktoklive's decoded events.

``from TikTokLive.events import CommentEvent, GiftEvent`` becomes
``from pytiktoklive.compat.events import CommentEvent, GiftEvent``. Each class
here wraps one pytiktoklive event (``event.native``) and exposes it under the
names TikTokLive 7.x users read (its v3 field names and legacy aliases):
nothing is decoded twice.

Only what pytiktoklive decodes is exposed. A TikTokLive field pytiktoklive does
not decode is absent (``AttributeError``) rather than made up; everything
pytiktoklive has is on ``event.native`` (see :mod:`pytiktoklive.events`).

Which TikTokLive events come from which pytiktoklive events:

============================  ==============================================
pytiktoklive                  compat (custom event first, as TikTokLive emits)
============================  ==============================================
ChatEvent                     CommentEvent
EmoteChatEvent                EmoteChatEvent
GiftEvent                     GiftEvent
LikeEvent                     LikeEvent
UserEvent (member)            JoinEvent
UserEvent (social)            FollowEvent / ShareEvent, then SocialEvent
ViewersEvent                  RoomUserSeqEvent
QuestionEvent                 QuestionNewEvent
ControlEvent                  LivePauseEvent / LiveUnpauseEvent / LiveEndEvent, then ControlEvent
MicBattleEvent                LinkMicBattleEvent
BattlesEvent                  LinkMicArmiesEvent
RoomBannerEvent               InRoomBannerEvent
IntroEvent                    LiveIntroEvent
RoomEvent                     RoomEvent / SystemEvent / BottomEvent (by method)
EnvelopeEvent                 SuperFanBoxEvent (business type 19), then EnvelopeEvent
SubscribeEvent                SubNotifyEvent
RankUpdateEvent, GoalUpdateEvent, PollEvent, CaptionEvent, LinkEvent, LinkLayerEvent,
RoomPinEvent, BarrageEvent, ImDeleteEvent, UnauthorizedMemberEvent: same names
HourlyRankEvent, UnknownEvent UnknownEvent (TikTokLive 7 maps no hourly-rank message)
============================  ==============================================

The client also emits :class:`ConnectEvent` first and :class:`DisconnectEvent` last.
"""

from __future__ import annotations

import base64
import builtins
import enum
import re
from typing import Any, Callable, Dict, Generic, List, Optional, Tuple, Type, TypeVar, Union

from pytiktoklive import events as native

__all__ = [
    "EVENT_MAPPINGS",
    "BarrageEvent",
    "BaseEvent",
    "BottomEvent",
    "CaptionEvent",
    "CommentEvent",
    "Common",
    "ConnectEvent",
    "ControlAction",
    "ControlEvent",
    "CustomEvent",
    "DisconnectEvent",
    "EmoteChatEvent",
    "EnvelopeEvent",
    "EnvelopeInfo",
    "Event",
    "ExtendedGift",
    "ExtendedUser",
    "FollowEvent",
    "FollowInfo",
    "GiftEvent",
    "GoalUpdateEvent",
    "ImDeleteEvent",
    "ImageModel",
    "InRoomBannerEvent",
    "JoinEvent",
    "LikeEvent",
    "LinkEvent",
    "LinkLayerEvent",
    "LinkMicArmiesEvent",
    "LinkMicBattleEvent",
    "LiveEndEvent",
    "LiveIntroEvent",
    "LivePauseEvent",
    "LiveUnpauseEvent",
    "PollEvent",
    "ProtoEvent",
    "QuestionDetails",
    "QuestionNewEvent",
    "RankUpdateEvent",
    "RoomEvent",
    "RoomPinEvent",
    "RoomUserSeqEvent",
    "RoomUserSeqRank",
    "ShareEvent",
    "SocialEvent",
    "SubNotifyEvent",
    "SuperFanBoxEvent",
    "SystemEvent",
    "Text",
    "UnauthorizedMemberEvent",
    "UnknownEvent",
    "WebsocketResponseEvent",
    "adapt",
]

N = TypeVar("N", bound=native.Event)


# --------------------------------------------------------------------------- values


class ImageModel:
    """An image: ``url_list`` (all URLs, best first) and ``uri``."""

    __slots__ = ("uri", "url_list")

    def __init__(self, url_list: List[str], uri: str = "") -> None:
        self.url_list = url_list
        self.uri = uri

    def __repr__(self) -> str:
        return f"ImageModel(url_list={self.url_list!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImageModel) and (self.url_list, self.uri) == (other.url_list, other.uri)

    __hash__ = None  # type: ignore[assignment]  # mutable, like TikTokLive's messages


class FollowInfo:
    """A user's follow counts and ``follow_status`` towards the host (0 none, 1 follows, 2 friends)."""

    __slots__ = ("follow_status", "follower_count", "following_count")

    def __init__(self, following_count: int, follower_count: int, follow_status: int) -> None:
        self.following_count = following_count
        self.follower_count = follower_count
        self.follow_status = follow_status

    def __repr__(self) -> str:
        return (
            f"FollowInfo(following_count={self.following_count}, follower_count={self.follower_count}, "
            f"follow_status={self.follow_status})"
        )


class ExtendedUser:
    """A user, under TikTokLive's names, over a :class:`pytiktoklive.events.User` (``native``).

    ``unique_id`` / ``username`` / ``display_id`` are the @handle (``unique_id`` is None
    when empty); ``id`` (alias ``user_id``) the numeric id; ``nickname`` (alias
    ``nick_name``) the display name. The badge helpers read pytiktoklive's decoded badges.
    """

    __slots__ = ("native",)

    def __init__(self, user: native.User) -> None:
        self.native = user

    @classmethod
    def of(cls, user: Optional[native.User]) -> Optional[ExtendedUser]:
        return None if user is None else cls(user)

    def __repr__(self) -> str:
        return f"ExtendedUser(id={self.id!r}, unique_id={self.unique_id!r}, nickname={self.nickname!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExtendedUser) and self.native == other.native

    def __hash__(self) -> int:
        return hash(self.native)

    @property
    def id(self) -> int:
        return self.native.id

    @property
    def user_id(self) -> int:
        return self.native.id

    @property
    def display_id(self) -> str:
        return self.native.username

    @property
    def unique_id(self) -> Optional[str]:
        return self.native.username or None

    @property
    def username(self) -> str:
        return self.native.username

    @property
    def nickname(self) -> str:
        return self.native.nickname

    @property
    def nick_name(self) -> str:
        return self.native.nickname

    @property
    def sec_uid(self) -> str:
        return self.native.sec_uid

    @property
    def avatar_thumb(self) -> ImageModel:
        return ImageModel(list(self.native.profile_picture))

    @property
    def follow_info(self) -> FollowInfo:
        user = self.native
        return FollowInfo(user.following_count, user.follower_count, user.follow_role)

    @property
    def follow_status(self) -> int:
        return self.native.follow_role

    @property
    def badge_list(self) -> Tuple[native.Badge, ...]:
        """The user's badges, as pytiktoklive decodes them (:class:`pytiktoklive.events.Badge`)."""
        return self.native.badges

    @property
    def badges(self) -> Tuple[native.Badge, ...]:
        return self.native.badges

    @property
    def is_friend(self) -> bool:
        return self.native.is_friend

    @property
    def is_moderator(self) -> bool:
        return self.native.is_moderator

    @property
    def is_subscriber(self) -> bool:
        return self.native.is_subscriber

    @property
    def is_top_gifter(self) -> bool:
        return self.native.top_gifter_rank > 0

    @property
    def gifter_level(self) -> Optional[int]:
        return self.native.gifter_level or None

    @property
    def member_level(self) -> Optional[int]:
        """The user's level in the host's fan club (None when not a member)."""
        return self.native.fans_level or None


class ExtendedGift:
    """The gift of a :class:`GiftEvent`, under TikTokLive's names."""

    __slots__ = ("describe", "diamond_count", "id", "image", "name", "type")

    def __init__(self, event: native.GiftEvent) -> None:
        self.id = event.id
        self.name = event.name
        self.describe = event.describe
        self.diamond_count = event.cost
        self.type = event.type
        self.image: Optional[ImageModel] = ImageModel([event.image_url]) if event.image_url else None

    def __repr__(self) -> str:
        return f"ExtendedGift(id={self.id!r}, name={self.name!r}, diamond_count={self.diamond_count!r})"

    @property
    def streakable(self) -> bool:
        """The gift can be sent as a streak (``type == 1``)."""
        return self.type == 1

    @property
    def combo(self) -> bool:
        return self.type == 1

    @property
    def gift_name(self) -> str:
        return self.name

    @property
    def gift_type(self) -> int:
        return self.type

    @property
    def gift_image(self) -> Optional[ImageModel]:
        return self.image


class Text:
    """A display text: ``key`` (e.g. ``"pm_mt_guidance_share"``) and ``default_pattern``."""

    __slots__ = ("default_pattern", "key")

    def __init__(self, key: str, default_pattern: str) -> None:
        self.key = key
        self.default_pattern = default_pattern

    def __repr__(self) -> str:
        return f"Text(key={self.key!r}, default_pattern={self.default_pattern!r})"


class Common:
    """The common header of a message: ``method``, ``msg_id``, ``room_id``, ``create_time``
    (milliseconds) and ``display_text`` (None when the message has none)."""

    __slots__ = ("create_time", "display_text", "method", "msg_id", "room_id")

    def __init__(self, event: native.Event) -> None:
        self.method = event.method
        self.msg_id = event.msg_id
        self.room_id = event.room_id
        self.create_time = event.create_time
        key = getattr(event, "display_type", "")
        label = getattr(event, "label", "")
        self.display_text = Text(key, label) if (key or label) else None

    def __repr__(self) -> str:
        return f"Common(method={self.method!r}, msg_id={self.msg_id!r}, room_id={self.room_id!r})"


class ControlAction(enum.IntEnum):
    """``ControlEvent.action`` under TikTokLive's member names."""

    FALLBACK_UNKNOWN = 0
    STREAM_PAUSED = 1
    STREAM_UNPAUSED = 2
    STREAM_ENDED = 3
    STREAM_SUSPENDED = 4


class QuestionDetails:
    """``QuestionNewEvent.data``: ``content``, ``user``, ``question_id``."""

    __slots__ = ("content", "question_id", "user")

    def __init__(self, event: native.QuestionEvent) -> None:
        self.content = event.question
        self.user = ExtendedUser.of(event.user)
        self.question_id = event.question_id


class RoomUserSeqRank:
    """One top viewer of :class:`RoomUserSeqEvent`: ``user``, ``score`` (coins), ``rank``."""

    __slots__ = ("rank", "score", "user")

    def __init__(self, viewer: native.TopViewer) -> None:
        self.user = ExtendedUser(viewer.user)
        self.score = viewer.score
        self.rank = viewer.rank

    def __repr__(self) -> str:
        return f"RoomUserSeqRank(rank={self.rank}, score={self.score}, user={self.user!r})"


class EnvelopeInfo:
    """``EnvelopeEvent.envelope_info`` (a treasure box)."""

    __slots__ = (
        "business_type",
        "diamond_count",
        "envelope_id",
        "people_count",
        "send_user_id",
        "send_user_name",
        "unpack_at",
    )

    def __init__(self, event: native.EnvelopeEvent) -> None:
        self.envelope_id = event.envelope_id
        self.business_type = event.business_type
        self.send_user_name = event.sender_name
        self.send_user_id = str(event.sender_id) if event.sender_id else ""
        self.diamond_count = event.diamond_count
        self.people_count = event.people_count
        self.unpack_at = event.unpack_at


# --------------------------------------------------------------------------- event bases


class BaseEvent:
    """Base class of every compat event. ``get_type()`` is the class name, the key listeners use."""

    @classmethod
    def get_type(cls) -> str:
        return cls.__name__

    @property
    def bytes(self) -> Optional[builtins.bytes]:
        """The raw message, when pytiktoklive kept it (:class:`UnknownEvent`); else None."""
        return None

    @property
    def as_base64(self) -> Optional[str]:
        raw = self.bytes
        return None if raw is None else base64.b64encode(raw).decode("ascii")

    @property
    def size(self) -> int:
        """Length of :attr:`bytes`, -1 when there are none."""
        raw = self.bytes
        return -1 if raw is None else len(raw)


class CustomEvent(BaseEvent):
    """Events made by the client rather than decoded from one message."""


class ConnectEvent(CustomEvent):
    """The client connected to ``room_id`` of ``unique_id``; emitted before any room event."""

    def __init__(self, unique_id: str, room_id: int) -> None:
        self.unique_id = unique_id
        self.room_id = room_id

    def __repr__(self) -> str:
        return f"ConnectEvent(unique_id={self.unique_id!r}, room_id={self.room_id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConnectEvent) and (self.unique_id, self.room_id) == (
            other.unique_id,
            other.room_id,
        )

    def __hash__(self) -> int:
        return hash((self.unique_id, self.room_id))


class DisconnectEvent(CustomEvent):
    """The connection ended normally (the LIVE ended, or ``disconnect()``); emitted last."""

    def __repr__(self) -> str:
        return "DisconnectEvent()"


class WebsocketResponseEvent(CustomEvent):
    """Emitted before every room event; ``native`` is the decoded pytiktoklive event.

    ``raw`` is always None. TikTokLive put the enclosing ``ProtoMessageFetchResult`` there
    (cursor, route params, every message of the batch); pytiktoklive turns each websocket
    frame or fetch result into events as it arrives and keeps neither the bytes nor the
    batch, so no event can point back to them. The bytes of a message pytiktoklive has no
    schema for are on :class:`UnknownEvent` (``payload`` / ``bytes``).
    """

    def __init__(self, native_event: Optional[native.Event] = None) -> None:
        self.raw: Any = None
        self.native = native_event

    def __repr__(self) -> str:
        return f"{type(self).__name__}(native={self.native!r})"


class UnknownEvent(WebsocketResponseEvent):
    """A message without a TikTokLive event class: ``method``, ``payload`` (when pytiktoklive has no
    schema for it), ``common`` and ``native``."""

    def __init__(self, native_event: native.Event) -> None:
        super().__init__(native_event)
        self.method = native_event.method
        self.common = Common(native_event)
        self.payload: builtins.bytes = getattr(native_event, "payload", b"")

    @property
    def bytes(self) -> Optional[builtins.bytes]:
        return self.payload or None


class ProtoEvent(BaseEvent, Generic[N]):
    """A TikTokLive event over one pytiktoklive event (``native``), with its ``common`` header."""

    def __init__(self, native_event: N) -> None:
        self.native: N = native_event

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.native!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.native == other.native

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.native))

    @property
    def common(self) -> Common:
        return Common(self.native)

    def to_dict(self) -> Dict[str, Any]:
        """pytiktoklive's JSON form of the event (pytiktoklive field names, not TikTokLive's)."""
        return self.native.to_dict()


Event = BaseEvent


# --------------------------------------------------------------------------- room events


class CommentEvent(ProtoEvent[native.ChatEvent]):
    """A chat comment: ``user``, ``comment`` (= ``content``), ``content_language``, ``emotes``."""

    @property
    def user(self) -> Optional[ExtendedUser]:
        return ExtendedUser.of(self.native.user)

    @property
    def content(self) -> str:
        return self.native.comment

    @property
    def comment(self) -> str:
        return self.native.comment

    @property
    def content_language(self) -> str:
        return self.native.language

    @property
    def emotes(self) -> Tuple[native.Emote, ...]:
        """Stickers in the comment (:class:`pytiktoklive.events.Emote`: ``id``, ``image_url``)."""
        return self.native.emotes

    @property
    def user_is_super_fan(self) -> bool:
        """From the user's subscriber badge (TikTokLive read a field pytiktoklive does not decode)."""
        return self.native.user is not None and self.native.user.is_subscriber


class EmoteChatEvent(ProtoEvent[native.EmoteChatEvent]):
    @property
    def user(self) -> Optional[ExtendedUser]:
        return ExtendedUser.of(self.native.user)

    @property
    def emote_list(self) -> Tuple[native.Emote, ...]:
        return self.native.emotes


class GiftEvent(ProtoEvent[native.GiftEvent]):
    """A gift. Streakable gifts (``gift.streakable``) arrive repeatedly with a growing
    ``repeat_count`` while ``streaking``; act on the event where ``streaking`` is False."""

    @property
    def gift_id(self) -> int:
        return self.native.id

    @property
    def gift(self) -> ExtendedGift:
        return ExtendedGift(self.native)

    @property
    def user(self) -> Optional[ExtendedUser]:
        return ExtendedUser.of(self.native.user)

    @property
    def to_user(self) -> Optional[ExtendedUser]:
        """The receiver; pytiktoklive decodes only its id (``monitor_info.to_anchor_id``)."""
        to_user_id = self.native.to_user_id
        return ExtendedUser(native.User(id=to_user_id)) if to_user_id else None

    @property
    def repeat_count(self) -> int:
        return self.native.repeat_count

    @property
    def repeat_end(self) -> int:
        """1 on the last event of a streak, else 0 (an int, as on the wire)."""
        return 1 if self.native.repeat_end else 0

    @property
    def group_id(self) -> int:
        return self.native.group_id

    @property
    def streaking(self) -> bool:
        return self.native.streaking

    @property
    def value(self) -> Optional[float]:
        """An estimate in US dollars (coins x 0.005), None while the streak goes on."""
        if self.streaking:
            return None
        return self.native.repeat_count * self.native.cost * 0.005

    @property
    def user_is_super_fan(self) -> bool:
        return self.native.user is not None and self.native.user.is_subscriber


class LikeEvent(ProtoEvent[native.LikeEvent]):
    """Likes: ``count`` in this event, ``total`` likes of the LIVE so far, ``user``."""

    @property
    def count(self) -> int:
        return self.native.likes

    @property
    def total(self) -> int:
        return self.native.total_likes

    @property
    def user(self) -> Optional[ExtendedUser]:
        return ExtendedUser.of(self.native.user)


class _UserEventView(ProtoEvent[native.UserEvent]):
    @property
    def user(self) -> Optional[ExtendedUser]:
        return ExtendedUser.of(self.native.user)


class JoinEvent(_UserEventView):
    """A viewer joined (``WebcastMemberMessage``)."""


class SocialEvent(_UserEventView):
    """A follow or a share (``WebcastSocialMessage``)."""


class FollowEvent(SocialEvent):
    """A viewer followed the host (emitted before its :class:`SocialEvent`)."""


class ShareEvent(SocialEvent):
    """A viewer shared the LIVE (emitted before its :class:`SocialEvent`)."""

    @property
    def users_joined(self) -> Optional[int]:
        """Viewers who joined through the share, when the display text says (else None)."""
        match = re.search(r"pm_mt_guidance_viewer_(\d+)_share", self.native.display_type)
        return int(match.group(1)) if match else None


class RoomUserSeqEvent(ProtoEvent[native.ViewersEvent]):
    """Viewer counts: ``total`` (now watching; alias ``m_total``), ``total_user`` (ever joined),
    ``ranks`` (top viewers)."""

    @property
    def total(self) -> int:
        return self.native.viewers

    @property
    def m_total(self) -> int:
        """TikTokLive 6's name of :attr:`total`."""
        return self.native.viewers

    @property
    def total_user(self) -> int:
        return self.native.total_viewers

    @property
    def ranks(self) -> List[RoomUserSeqRank]:
        return [RoomUserSeqRank(viewer) for viewer in self.native.top_viewers]


class ControlEvent(ProtoEvent[native.ControlEvent]):
    """The stream's state changed: ``action`` (:class:`ControlAction`), ``tips``."""

    @property
    def action(self) -> Union[ControlAction, int]:
        try:
            return ControlAction(self.native.action)
        except ValueError:
            return self.native.action

    @property
    def tips(self) -> str:
        return self.native.tips


class LiveEndEvent(ControlEvent):
    """The LIVE ended (action 3, or 4 by moderation); the connection ends after it."""


class LivePauseEvent(ControlEvent):
    """The host paused the LIVE (action 1)."""


class LiveUnpauseEvent(ControlEvent):
    """The host resumed the LIVE (action 2)."""


class QuestionNewEvent(ProtoEvent[native.QuestionEvent]):
    """A question for the host: ``data.content``, ``data.user``."""

    @property
    def data(self) -> QuestionDetails:
        return QuestionDetails(self.native)


class LiveIntroEvent(ProtoEvent[native.IntroEvent]):
    @property
    def id(self) -> int:
        return self.native.id

    @property
    def content(self) -> str:
        return self.native.title

    @property
    def user(self) -> Optional[ExtendedUser]:
        return ExtendedUser.of(self.native.user)

    @property
    def content_language(self) -> str:
        return self.native.language


class SubNotifyEvent(ProtoEvent[native.SubscribeEvent]):
    @property
    def user(self) -> Optional[ExtendedUser]:
        return ExtendedUser.of(self.native.user)

    @property
    def sub_month(self) -> int:
        return self.native.sub_month

    @property
    def subscribe_type(self) -> int:
        return self.native.subscribe_type


class LinkMicBattleEvent(ProtoEvent[native.MicBattleEvent]):
    """A battle was set up: ``battle_id``, ``action`` (hosts: ``native.users``)."""

    @property
    def battle_id(self) -> int:
        return self.native.battle_id

    @property
    def action(self) -> int:
        return self.native.action


class LinkMicArmiesEvent(ProtoEvent[native.BattlesEvent]):
    """Battle scores: ``battle_id``, ``trigger_reason`` (1 update, 2 end) (scores: ``native.battles``)."""

    @property
    def battle_id(self) -> int:
        return self.native.battle_id

    @property
    def trigger_reason(self) -> int:
        return self.native.status


class InRoomBannerEvent(ProtoEvent[native.RoomBannerEvent]):
    """An in-room banner (its JSON: ``native.json`` / ``native.data``)."""


class RoomEvent(ProtoEvent[native.RoomEvent]):
    """A room notice: ``content``."""

    @property
    def content(self) -> str:
        return self.native.message


class SystemEvent(RoomEvent):
    """A system notice (``WebcastSystemMessage``): ``content``."""


class BottomEvent(RoomEvent):
    """A notice at the bottom of the room (``WebcastBottomMessage``): ``content``."""


class EnvelopeEvent(ProtoEvent[native.EnvelopeEvent]):
    @property
    def envelope_info(self) -> EnvelopeInfo:
        return EnvelopeInfo(self.native)


class SuperFanBoxEvent(EnvelopeEvent):
    """A super-fan treasure box (envelope business type 19)."""


class RankUpdateEvent(ProtoEvent[native.RankUpdateEvent]):
    @property
    def updates(self) -> Tuple[native.RankUpdate, ...]:
        return self.native.updates


class GoalUpdateEvent(ProtoEvent[native.GoalUpdateEvent]):
    @property
    def contribute_count(self) -> int:
        return self.native.contribute_count

    @property
    def contribute_score(self) -> int:
        return self.native.contribute_score


class PollEvent(ProtoEvent[native.PollEvent]):
    @property
    def poll_id(self) -> int:
        return self.native.poll_id

    @property
    def message_type(self) -> int:
        return self.native.status


class CaptionEvent(ProtoEvent[native.CaptionEvent]):
    @property
    def timestamp_ms(self) -> int:
        return self.native.timestamp

    @property
    def duration_ms(self) -> int:
        return self.native.duration

    @property
    def content(self) -> Tuple[native.Caption, ...]:
        return self.native.captions


class LinkEvent(ProtoEvent[native.LinkEvent]):
    @property
    def message_type(self) -> int:
        return self.native.message_type

    @property
    def linker_id(self) -> int:
        return self.native.linker_id

    @property
    def scene(self) -> int:
        return self.native.scene


class LinkLayerEvent(ProtoEvent[native.LinkLayerEvent]):
    @property
    def message_type(self) -> int:
        return self.native.message_type

    @property
    def channel_id(self) -> int:
        return self.native.channel_id

    @property
    def scene(self) -> int:
        return self.native.scene


class RoomPinEvent(ProtoEvent[native.RoomPinEvent]):
    """A pinned message (its text and author: ``native.text``, ``native.user``)."""


class BarrageEvent(ProtoEvent[native.BarrageEvent]):
    @property
    def msg_type(self) -> int:
        return self.native.msg_type

    @property
    def user(self) -> Optional[ExtendedUser]:
        return ExtendedUser.of(self.native.user)

    @property
    def duration(self) -> int:
        return self.native.duration


class ImDeleteEvent(ProtoEvent[native.ImDeleteEvent]):
    @property
    def delete_msg_ids(self) -> List[int]:
        return list(self.native.deleted_msg_ids)

    @property
    def delete_user_ids(self) -> List[int]:
        return list(self.native.deleted_user_ids)


class UnauthorizedMemberEvent(ProtoEvent[native.UnauthorizedMemberEvent]):
    @property
    def action(self) -> int:
        return self.native.action

    @property
    def nick_name(self) -> str:
        return self.native.nickname


# --------------------------------------------------------------------------- adapting

_CONTROL_EVENTS: Dict[int, Type[ControlEvent]] = {
    ControlAction.STREAM_PAUSED: LivePauseEvent,
    ControlAction.STREAM_UNPAUSED: LiveUnpauseEvent,
    ControlAction.STREAM_ENDED: LiveEndEvent,
    ControlAction.STREAM_SUSPENDED: LiveEndEvent,
}
_ROOM_EVENTS: Dict[str, Type[RoomEvent]] = {
    "WebcastSystemMessage": SystemEvent,
    "SystemMessage": SystemEvent,
    "WebcastBottomMessage": BottomEvent,
}
# An envelope of this business type is a super-fan box.
_SUPER_FAN_BOX = 19


def _user_events(event: native.UserEvent) -> List[BaseEvent]:
    if event.method == "WebcastMemberMessage":
        return [JoinEvent(event)]
    if event.event == native.UserEventType.FOLLOW:
        return [FollowEvent(event), SocialEvent(event)]
    if event.event == native.UserEventType.SHARE:
        return [ShareEvent(event), SocialEvent(event)]
    return [SocialEvent(event)]


def _control_events(event: native.ControlEvent) -> List[BaseEvent]:
    custom = _CONTROL_EVENTS.get(event.action)
    return [custom(event), ControlEvent(event)] if custom else [ControlEvent(event)]


def _envelope_events(event: native.EnvelopeEvent) -> List[BaseEvent]:
    if event.business_type == _SUPER_FAN_BOX:
        return [SuperFanBoxEvent(event), EnvelopeEvent(event)]
    return [EnvelopeEvent(event)]


def _room_events(event: native.RoomEvent) -> List[BaseEvent]:
    return [_ROOM_EVENTS.get(event.method, RoomEvent)(event)]


def _single(cls: Callable[[Any], BaseEvent]) -> Callable[[Any], List[BaseEvent]]:
    return lambda event: [cls(event)]


_ADAPTERS: Dict[Type[native.Event], Callable[[Any], List[BaseEvent]]] = {
    native.ChatEvent: _single(CommentEvent),
    native.EmoteChatEvent: _single(EmoteChatEvent),
    native.GiftEvent: _single(GiftEvent),
    native.LikeEvent: _single(LikeEvent),
    native.UserEvent: _user_events,
    native.ViewersEvent: _single(RoomUserSeqEvent),
    native.QuestionEvent: _single(QuestionNewEvent),
    native.ControlEvent: _control_events,
    native.MicBattleEvent: _single(LinkMicBattleEvent),
    native.BattlesEvent: _single(LinkMicArmiesEvent),
    native.RoomBannerEvent: _single(InRoomBannerEvent),
    native.IntroEvent: _single(LiveIntroEvent),
    native.RoomEvent: _room_events,
    native.EnvelopeEvent: _envelope_events,
    native.SubscribeEvent: _single(SubNotifyEvent),
    native.RankUpdateEvent: _single(RankUpdateEvent),
    native.GoalUpdateEvent: _single(GoalUpdateEvent),
    native.PollEvent: _single(PollEvent),
    native.CaptionEvent: _single(CaptionEvent),
    native.LinkEvent: _single(LinkEvent),
    native.LinkLayerEvent: _single(LinkLayerEvent),
    native.RoomPinEvent: _single(RoomPinEvent),
    native.BarrageEvent: _single(BarrageEvent),
    native.ImDeleteEvent: _single(ImDeleteEvent),
    native.UnauthorizedMemberEvent: _single(UnauthorizedMemberEvent),
}


def adapt(event: native.Event) -> List[BaseEvent]:
    """The compat events for one pytiktoklive event, in the order TikTokLive emits them
    (a derived event such as :class:`FollowEvent` before the message's own event)."""
    for cls in type(event).__mro__:  # subclasses of pytiktoklive's events adapt like their base
        adapter = _ADAPTERS.get(cls)
        if adapter is not None:
            return adapter(event)
    return [UnknownEvent(event)]


#: TikTokLive's ``EVENT_MAPPINGS``: envelope method name -> the event class emitted for it.
EVENT_MAPPINGS: Dict[str, Type[BaseEvent]] = {
    "WebcastChatMessage": CommentEvent,
    "WebcastEmoteChatMessage": EmoteChatEvent,
    "WebcastGiftMessage": GiftEvent,
    "WebcastLikeMessage": LikeEvent,
    "WebcastMemberMessage": JoinEvent,
    "WebcastSocialMessage": SocialEvent,
    "WebcastRoomUserSeqMessage": RoomUserSeqEvent,
    "WebcastQuestionNewMessage": QuestionNewEvent,
    "WebcastControlMessage": ControlEvent,
    "WebcastLinkMicBattle": LinkMicBattleEvent,
    "WebcastLinkMicArmies": LinkMicArmiesEvent,
    "WebcastInRoomBannerMessage": InRoomBannerEvent,
    "WebcastLiveIntroMessage": LiveIntroEvent,
    "WebcastRoomMessage": RoomEvent,
    "WebcastSystemMessage": SystemEvent,
    "WebcastBottomMessage": BottomEvent,
    "WebcastEnvelopeMessage": EnvelopeEvent,
    "WebcastSubNotifyMessage": SubNotifyEvent,
    "WebcastRankUpdateMessage": RankUpdateEvent,
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
