"""Room messages shaped like TikTok's: the builders scenarios use.

A :class:`MessageFactory` belongs to one room. It makes :class:`Draft`
messages — a method name plus a schema message (``proto/webcast``) whose
``common`` header the room stamps (``msg_id``, ``room_id``, ``create_time``)
when it emits it. Texts, display-text keys and shapes follow the real traffic
(``live_room_enter_toast``, ``pm_mt_msg_viewer``, gift streaks with a growing
``repeat_count`` and a closing ``repeat_end``…); users and their content come
from the room's seeded ``random.Random``, so a seed always gives the same room.

:class:`RawMessage` is a message already encoded (a real capture): it is sent
byte for byte.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from pytiktoklive.simulator.gifts import CatalogueGift, GiftCatalogue
from pytiktoklive.simulator.proto import pb

__all__ = ["ENDING_ACTIONS", "Draft", "HostProfile", "MessageFactory", "RawMessage"]


@dataclass
class Draft:
    """A message to emit: its envelope ``method`` and the schema ``message`` (with a ``common`` field).

    ``trailer`` is appended to the encoded message: fields the schema does not declare.
    ``stamp_room_and_time``: the room writes ``room_id`` and ``create_time`` into the
    common header (real intro messages carry neither, only a ``msg_id``).
    """

    method: str
    message: Any
    trailer: bytes = b""
    stamp_room_and_time: bool = True


@dataclass(frozen=True)
class RawMessage:
    """An encoded message, sent as is: ``method``, ``payload`` bytes, envelope ``msg_id``.

    ``ends_live`` marks a control message that ends the LIVE (action 3 or 4).
    """

    method: str
    payload: bytes
    msg_id: int = 0
    create_time: int = 0
    ends_live: bool = False


@dataclass(frozen=True)
class HostProfile:
    """The host of a room, as the factory needs it."""

    user_id: int
    username: str
    nickname: str
    sec_uid: str
    avatar_url: str


_ADJECTIVES = (
    "sunny", "quiet", "lucky", "brave", "cosmic", "velvet", "rapid", "misty", "golden", "tiny",
    "neon", "happy", "wild", "calm", "pixel", "lunar", "spicy", "frosty", "urban", "retro",
)  # fmt: skip
_NOUNS = (
    "otter", "falcon", "maple", "comet", "panda", "river", "tiger", "cloud", "koala", "ember",
    "pilot", "mango", "fox", "echo", "raven", "cactus", "wave", "bison", "lotus", "orbit",
)  # fmt: skip
_CHAT_LINES = (
    "hello from the simulator!", "first time here", "love this stream", "what song is this?",
    "greetings from Lisbon", "haha", "so cool", "can you say hi to me?", "how long have you been live?",
    "this is my favourite live", "👋👋👋", "good vibes only", "let's gooo", "🔥🔥", "nice setup",
    "where are you from?", "gg", "that was amazing", "I just followed!", "can't stop watching",
)  # fmt: skip
_QUESTIONS = (
    "What camera do you use?",
    "When is the next live?",
    "How did you get started?",
    "What's your favourite game?",
    "Can you play my song request?",
)
_WELCOME = (
    "Welcome to TikTok LIVE! This room is served by the pytiktoklive simulator: "
    "every viewer, comment and gift in it is synthetic."
)

_CAPTIONS = (
    "hello everyone and welcome back",
    "thank you so much for the gifts",
    "let me know in the chat where you are from",
    "we are going to start the next round now",
)
# Display texts of the real traffic: key -> English pattern ({0:user} is the first piece).
JOIN_TEXT = ("live_room_enter_toast", "{0:user} joined")
LIKE_TEXT = ("pm_mt_msg_viewer", "{0:user} liked the LIVE")
FOLLOW_TEXT = ("pm_main_follow_message_viewer_2", "{0:user} followed the host")
SHARE_TEXT = ("pm_mt_guidance_share", "{0:user} shared the LIVE")
GIFT_TEXT = ("webcast_aweme_gift_send_message", "{0:user} sent {1:gift} {2:string}")
SUBSCRIBE_BARRAGE_TEXT = ("pm_mt_subscribe_first_barrage", "{0:user} subscribed for the first time")
DAILY_RANK_TEXT = ("pm_mt_daily_entrance", "Daily Ranking")
WEEKLY_RANK_TEXT = ("pm_mt_Live_WR", "Weekly Ranking")
# TextPiece.type of a user placeholder in real messages.
_USER_PIECE_TYPE = 11
# SocialMessage.action of a follow and of a share.
FOLLOW_ACTION = 1
SHARE_ACTION = 3
#: ControlMessage actions that end a LIVE (3 ended, 4 ended by moderation).
ENDING_ACTIONS = (3, 4)


class MessageFactory:
    """Builds one room's messages from a seeded ``random.Random``."""

    def __init__(
        self,
        rng: random.Random,
        *,
        room_id: int,
        host: HostProfile,
        gifts: GiftCatalogue,
        image_base: str,
        viewer_pool: int = 48,
    ) -> None:
        self.rng = rng
        self.room_id = room_id
        self.host = host
        self.gifts = gifts
        self.image_base = image_base.rstrip("/")
        self._viewers = [self._make_viewer(index) for index in range(viewer_pool)]
        self._group_ids = itertools.count(rng.randrange(1_700_000_000_000, 1_800_000_000_000))
        self._question_ids = itertools.count(
            rng.randrange(7_200_000_000_000_000_000, 7_210_000_000_000_000_000)
        )
        self.follow_count = rng.randrange(1_000, 90_000)
        self.total_likes = rng.randrange(100, 5_000)

    # ------------------------------------------------------------------ users

    def _avatar(self, key: str) -> Any:
        url = f"{self.image_base}/img/avatar/{key}.webp"
        return pb.Image(url_list=[url], uri=f"tos-maliva-avt-0068/{key}", width=100, height=100)

    def _make_viewer(self, index: int) -> Any:
        rng = self.rng
        handle = f"{rng.choice(_ADJECTIVES)}_{rng.choice(_NOUNS)}{rng.randrange(10, 9999)}"
        user_id = rng.randrange(6_700_000_000_000_000_000, 7_300_000_000_000_000_000)
        badges = []
        if index % 7 == 0:  # a gifter level badge, as many real viewers have
            level = rng.randrange(1, 40)
            badges.append(
                pb.Badge(
                    display_type=1,
                    scene_type=8,
                    privilege_log_extra=pb.PrivilegeLogExtra(
                        level=str(level), privilege_id=str(7_000 + level)
                    ),
                    image=pb.ImageBadge(display_type=1, image=self._avatar(f"grade_{level}")),
                )
            )
        if index % 11 == 0:
            badges.append(
                pb.Badge(
                    display_type=2,
                    scene_type=1,
                    text=pb.TextBadge(key="pm_mt_moderator_im", default_pattern="Moderator"),
                )
            )
        return pb.User(
            id=user_id,
            nickname=handle.replace("_", " ").title(),
            display_id=handle,
            sec_uid="MS4wLjABAAAA"
            + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_-") for _ in range(40)),
            avatar_thumb=self._avatar(str(user_id)),
            follow_info=pb.FollowInfo(
                following_count=rng.randrange(1, 800),  # real users always have some
                follower_count=rng.randrange(0, 20_000),
                follow_status=rng.choice((0, 0, 0, 1, 2)),
            ),
            badge_list=badges,
        )

    def viewer(self) -> Any:
        """A random viewer of this room (from a fixed, seeded pool)."""
        return self.rng.choice(self._viewers)

    @staticmethod
    def _ranked_user(user: Any) -> Any:
        """A user as ranking lists carry it: identity and avatar only (no counts, no badges)."""
        return pb.User(
            id=user.id,
            nickname=user.nickname,
            display_id=user.display_id,
            sec_uid=user.sec_uid,
            avatar_thumb=user.avatar_thumb,
        )

    @staticmethod
    def _asking_user(user: Any) -> Any:
        """A user as questions carry it: counts and badges, but no follow status."""
        counts = user.follow_info
        return pb.User(
            id=user.id,
            nickname=user.nickname,
            display_id=user.display_id,
            sec_uid=user.sec_uid,
            avatar_thumb=user.avatar_thumb,
            follow_info=pb.FollowInfo(
                following_count=counts.following_count, follower_count=counts.follower_count
            ),
            badge_list=list(user.badge_list),
        )

    def host_user(self) -> Any:
        return pb.User(
            id=self.host.user_id,
            nickname=self.host.nickname,
            display_id=self.host.username,
            sec_uid=self.host.sec_uid,
            avatar_thumb=pb.Image(url_list=[self.host.avatar_url]),
            follow_info=pb.FollowInfo(follower_count=self.follow_count),
        )

    @staticmethod
    def _user_text(key_pattern: tuple[str, str], user: Any) -> Any:
        key, pattern = key_pattern
        return pb.Text(
            key=key,
            default_pattern=pattern,
            default_format=pb.TextFormat(color="#ffffffff", weight=400),
            pieces=[pb.TextPiece(type=_USER_PIECE_TYPE, user_value=pb.TextPieceUser(user=user))],
        )

    @staticmethod
    def _common(method: str, display_text: Any = None) -> Any:
        return pb.Common(method=method, is_show_msg=True, display_text=display_text)

    # ------------------------------------------------------------------ messages

    def system(self, text: str = _WELCOME) -> Draft:
        """The notice every room opens with (envelope ``RoomMessage``, common method ``SystemMessage``)."""
        return Draft(
            "RoomMessage", pb.RoomMessage(common=self._common("SystemMessage"), content=text, source=1)
        )

    def intro(self, title: str) -> Draft:
        """The host's intro text (its common header has a ``msg_id`` only, as in real traffic)."""
        return Draft(
            "WebcastLiveIntroMessage",
            pb.LiveIntroMessage(
                common=self._common("WebcastLiveIntroMessage"),
                room_id=self.room_id,
                audit_status=1,
                content=title,
                host=self.host_user(),
                language="en",
            ),
            stamp_room_and_time=False,
        )

    def banner(self, data: Optional[Dict[str, Any]] = None) -> Draft:
        """An in-room banner: a JSON document in ``json``.

        The default document has the shape of the real ones (an activity ranking
        keyed ``op_component-…`` plus the host's id in ``user``); its content is synthetic.
        """
        host_id = str(self.host.user_id)
        activity = (
            f"op_component-open-2-{self.rng.randrange(7_280_000_000_000_000_000, 7_290_000_000_000_000_000)}"
        )
        now = time.time()
        document = data or {
            "debug": False,
            activity: {
                "_just_anchor": True,
                "activity_time": {
                    "start_time": int(now) - 86_400,
                    "end_time": int(now) + 86_400,
                    "show_time": int(now) + 2 * 86_400,
                },
                "banner_data": {
                    "activity_name": activity,
                    "create_at": int(now),
                    "now_millis": int(now * 1000),
                    "time_zone": 3600,
                    "tz_location_name": "Europe/Paris",
                    "anchor_crowd_result": ["simCrowd"],
                    "rank_lists": [
                        {
                            "nickname": self.host.nickname,
                            "rank": self.rng.randrange(1, 300),
                            "delta_score": self.rng.randrange(0, 50_000),
                            "as_anchor": True,
                            "role_type": 1,
                        }
                    ],
                    "tasks": [],
                },
                "banner_switch_ranklist": "v1",
                "debug": False,
                "user": host_id,
            },
            "user": host_id,
        }
        return Draft(
            "WebcastInRoomBannerMessage",
            pb.InRoomBannerMessage(
                common=self._common("WebcastInRoomBannerMessage"), json=json.dumps(document)
            ),
        )

    def chat(self, user: Any = None, text: Optional[str] = None) -> Draft:
        user = user or self.viewer()
        return Draft(
            "WebcastChatMessage",
            pb.ChatMessage(
                common=self._common("WebcastChatMessage"),
                user=user,
                content=text if text is not None else self.rng.choice(_CHAT_LINES),
                content_language="en",
                user_identity=pb.UserIdentity(is_follower_of_anchor=user.follow_info.follow_status > 0),
            ),
        )

    def like(self, user: Any = None, count: Optional[int] = None) -> Draft:
        user = user or self.viewer()
        likes = count if count is not None else self.rng.randrange(1, 16)
        self.total_likes += likes
        return Draft(
            "WebcastLikeMessage",
            pb.LikeMessage(
                common=self._common("WebcastLikeMessage", self._user_text(LIKE_TEXT, user)),
                count=likes,
                total=self.total_likes,
                user=user,
            ),
        )

    def join(self, user: Any = None, member_count: int = 0) -> Draft:
        user = user or self.viewer()
        return Draft(
            "WebcastMemberMessage",
            pb.MemberMessage(
                common=self._common("WebcastMemberMessage", self._user_text(JOIN_TEXT, user)),
                user=user,
                member_count=member_count,
                action=1,
                client_enter_source="live_merge-live_cover",
            ),
        )

    def follow(self, user: Any = None) -> Draft:
        user = user or self.viewer()
        self.follow_count += 1
        return Draft(
            "WebcastSocialMessage",
            pb.SocialMessage(
                common=self._common("WebcastSocialMessage", self._user_text(FOLLOW_TEXT, user)),
                user=user,
                action=FOLLOW_ACTION,
                follow_count=self.follow_count,
            ),
        )

    def share(self, user: Any = None) -> Draft:
        user = user or self.viewer()
        return Draft(
            "WebcastSocialMessage",
            pb.SocialMessage(
                common=self._common("WebcastSocialMessage", self._user_text(SHARE_TEXT, user)),
                user=user,
                share_type=1,
                action=SHARE_ACTION,
                share_target=str(self.rng.randrange(10**17, 10**18)),
                share_count=1,
            ),
        )

    def question(self, user: Any = None, text: Optional[str] = None) -> Draft:
        user = user or self.viewer()
        return Draft(
            "WebcastQuestionNewMessage",
            pb.QuestionNewMessage(
                common=self._common("WebcastQuestionNewMessage"),
                details=pb.Question(
                    question_id=next(self._question_ids),
                    content=text or self.rng.choice(_QUESTIONS),
                    user=self._asking_user(user),
                ),
            ),
        )

    def viewers(self, total: int, total_user: int, top: Sequence[tuple[Any, int]] = ()) -> Draft:
        """Viewer count (``WebcastRoomUserSeqMessage``) with the top viewers and their coins."""
        ranks = [
            pb.Contributor(score=score, user=self._ranked_user(user), rank=rank)
            for rank, (user, score) in enumerate(top, 1)
        ]
        return Draft(
            "WebcastRoomUserSeqMessage",
            pb.RoomUserSeqMessage(
                common=self._common("WebcastRoomUserSeqMessage"),
                ranks=ranks,
                total=total,
                pop_str=f"{total / 1000:.1f}K" if total >= 1000 else str(total),
                total_user=total_user,
            ),
        )

    def gift_streak(
        self, user: Any = None, gift: Optional[CatalogueGift] = None, length: int = 0
    ) -> List[Draft]:
        """One gift sent ``length`` times in a row.

        A streakable gift (``type`` 1) gives ``length`` messages with
        ``repeat_count`` 1…length and ``repeat_end`` 0, then a last one with
        ``repeat_count`` = length and ``repeat_end`` 1. Any other gift gives
        one message (``repeat_count`` 1, ``repeat_end`` 0), as TikTok sends them.
        """
        user = user or self.viewer()
        gift = gift or self.gifts.pick(self.rng, streakable=True)
        group_id = next(self._group_ids)
        if gift.type != 1:
            return [self._gift(user, gift, 1, False, group_id)]
        length = length or self.rng.randrange(1, 6)
        drafts = [self._gift(user, gift, count, False, group_id) for count in range(1, length + 1)]
        drafts.append(self._gift(user, gift, length, True, group_id))
        return drafts

    def _gift(
        self, user: Any, gift: CatalogueGift, repeat_count: int, repeat_end: bool, group_id: int
    ) -> Draft:
        image = pb.Image(url_list=list(gift.image_urls), uri=gift.image_uri)
        return Draft(
            "WebcastGiftMessage",
            pb.GiftMessage(
                common=self._common("WebcastGiftMessage", self._user_text(GIFT_TEXT, user)),
                gift_id=gift.id,
                fan_ticket_count=gift.diamond_count * repeat_count,
                group_count=1,
                repeat_count=repeat_count,
                combo_count=repeat_count,
                user=user,
                to_user=self.host_user(),
                repeat_end=1 if repeat_end else 0,
                group_id=group_id,
                gift=pb.GiftStruct(
                    image=image,
                    describe=gift.describe,
                    duration=gift.duration,
                    id=gift.id,
                    combo=gift.type == 1,
                    type=gift.type,
                    diamond_count=gift.diamond_count,
                    is_displayed_on_panel=True,
                    name=gift.name,
                    icon=image,
                ),
                log_id=f"{self.rng.getrandbits(64):016X}",
                monitor_info=pb.GiftMonitorInfo(anchor_id=self.host.user_id, to_anchor_id=self.host.user_id),
            ),
        )

    def battle(self, battle_id: int, opponent: Any, *, duration: int = 300, action: int = 1) -> Draft:
        """A link-mic battle between the host and ``opponent`` was set up (``action`` 1)."""
        anchors = []
        for user in (self.host_user(), opponent):
            link_user = pb.LinkUser(
                id=user.id, nickname=user.nickname, avatar=user.avatar_thumb, display_id=user.display_id
            )
            anchors.append(pb.BattleAnchor(user_id=user.id, info=pb.BattleAnchorInfo(user=link_user)))
        return Draft(
            "WebcastLinkMicBattle",
            pb.LinkMicBattleMessage(
                common=self._common("WebcastLinkMicBattle"),
                battle_id=battle_id,
                battle_setting=pb.BattleSetting(battle_id=battle_id, duration=duration, status=1),
                action=action,
                anchors=anchors,
            ),
        )

    def armies(
        self, battle_id: int, scores: Sequence[tuple[Any, int, Sequence[tuple[Any, int]]]], *, ended: bool
    ) -> Draft:
        """Battle scores: per host ``(host user, score, [(contributor, points)…])``;
        ``trigger_reason`` 1 while running, 2 when the battle ends."""
        armies = []
        for host, score, contributors in scores:
            army = pb.BattleArmy(
                host_score=score,
                contributors=[
                    pb.ArmyContributor(
                        user_id=user.id, score=points, nickname=user.nickname, avatar=user.avatar_thumb
                    )
                    for user, points in contributors
                ],
            )
            armies.append(pb.ArmyEntry(host_user_id=host.id, army=army))
        return Draft(
            "WebcastLinkMicArmies",
            pb.LinkMicArmiesMessage(
                common=self._common("WebcastLinkMicArmies"),
                battle_id=battle_id,
                armies=armies,
                trigger_reason=2 if ended else 1,
            ),
        )

    def opponent(self) -> Any:
        """Another host for a battle (a user that is not one of this room's viewers)."""
        user = self._make_viewer(1)
        user.follow_info = pb.FollowInfo(follower_count=self.rng.randrange(10_000, 500_000))
        return user

    def control(self, action: int = 3, tips: str = "") -> Draft:
        """Stream state: 1 paused, 2 unpaused, 3 ended, 4 ended by moderation.

        Real control messages carry no ``tips``; pass some to show a reason."""
        return Draft(
            "WebcastControlMessage",
            pb.ControlMessage(common=self._common("WebcastControlMessage"), action=action, tips=tips),
        )

    # ------------------------------------------------------------------ the rarer types
    # Shapes, display-text keys and values as in the real captures (sample_captures/).

    def _subscriber(self, user: Any) -> Any:
        """``user`` as a subscriber: a subscriber badge and a gifter-level badge, as real
        senders of subscriber emotes have."""
        level = self.rng.randrange(1, 40)
        icon = pb.Image(url_list=[f"{self.image_base}/img/badge/grade_{level}.png"])
        badges = [
            pb.Badge(
                display_type=1,
                scene_type=4,
                image=pb.ImageBadge(
                    display_type=1,
                    image=pb.Image(url_list=[f"{self.image_base}/img/badge/subs_badge_Lv1.png"]),
                ),
            ),
            pb.Badge(
                display_type=4,
                scene_type=8,
                privilege_log_extra=pb.PrivilegeLogExtra(level=str(level), privilege_id=str(7_000 + level)),
                combine=pb.CombineBadge(display_type=1, icon=icon, str=str(level)),
            ),
        ]
        return pb.User(
            id=user.id,
            nickname=user.nickname,
            display_id=user.display_id,
            sec_uid=user.sec_uid,
            avatar_thumb=user.avatar_thumb,
            follow_info=pb.FollowInfo(
                following_count=user.follow_info.following_count,
                follower_count=user.follow_info.follower_count,
                follow_status=1,  # subscribers follow the host
            ),
            badge_list=badges,
        )

    @staticmethod
    def _plain_user(user: Any) -> Any:
        """A user without badges (as pinned messages carry them)."""
        return pb.User(
            id=user.id,
            nickname=user.nickname,
            display_id=user.display_id,
            sec_uid=user.sec_uid,
            avatar_thumb=user.avatar_thumb,
            follow_info=user.follow_info,
        )

    def emote_chat(self, user: Any = None) -> Draft:
        """A subscriber emote sent in the chat."""
        user = self._subscriber(user or self.viewer())
        emote_id = str(self.rng.randrange(7_000_000_000_000_000_000, 7_300_000_000_000_000_000))
        image = pb.Image(
            url_list=[f"{self.image_base}/img/emote/{emote_id}.webp"], uri=f"webcast-va/{emote_id}"
        )
        return Draft(
            "WebcastEmoteChatMessage",
            pb.EmoteChatMessage(
                common=self._common("WebcastEmoteChatMessage"),
                user=user,
                emote_list=[pb.Emote(emote_id=emote_id, image=image)],
                user_identity=pb.UserIdentity(is_follower_of_anchor=user.follow_info.follow_status > 0),
            ),
        )

    def envelope(self, user: Any = None, *, diamonds: int = 0) -> Draft:
        """A treasure box (envelope) dropped in the room; opens a minute later."""
        user = user or self.viewer()
        info = pb.EnvelopeInfo(
            envelope_id=str(self.rng.randrange(7_280_000_000_000_000_000, 7_320_000_000_000_000_000)),
            business_type=1,
            envelope_idc="maliva",
            send_user_name=user.nickname,
            diamond_count=diamonds or self.rng.choice((100, 300, 500, 1000)),
            people_count=self.rng.randrange(5, 50),
            unpack_at=int(time.time()) + 60,
            send_user_id=str(user.id),
            send_user_avatar=user.avatar_thumb,
            room_id=str(self.room_id),
        )
        return Draft(
            "WebcastEnvelopeMessage",
            pb.EnvelopeMessage(common=self._common("WebcastEnvelopeMessage"), envelope_info=info, display=1),
        )

    def subscribe(self, user: Any = None, months: int = 1) -> Draft:
        """A viewer subscribed to the host (``sub_month`` months so far)."""
        user = user or self.viewer()
        return Draft(
            "WebcastSubNotifyMessage",
            pb.SubNotifyMessage(
                common=self._common("WebcastSubNotifyMessage"),
                user=user,
                exhibition_type=1,
                sub_month=months,
                subscribe_type=0,
                message_type=1,
                subscribing_status=1,
            ),
        )

    def barrage(self, user: Any = None, text: tuple[str, str] = SUBSCRIBE_BARRAGE_TEXT) -> Draft:
        """A full-width announcement about a viewer (by default: a first subscription)."""
        user = user or self.viewer()
        return Draft(
            "WebcastBarrageMessage",
            pb.BarrageMessage(
                common=self._common("WebcastBarrageMessage"),
                msg_type=4,
                content=self._user_text(text, user),
                duration=3000,
                sub_type=1,
            ),
        )

    def rank_update(self, rank: int = 0) -> Draft:
        """The host's place in the daily ranking changed (0: not ranked yet)."""
        key, pattern = DAILY_RANK_TEXT
        return Draft(
            "WebcastRankUpdateMessage",
            pb.RankUpdateMessage(
                common=self._common("WebcastRankUpdateMessage"),
                updates=[
                    pb.RankUpdate(
                        rank_type=8,
                        owner_rank=rank,
                        default_content=pb.Text(key=key, default_pattern=pattern),
                    )
                ],
                group_type=1,
            ),
        )

    def hourly_rank(self, rank: int = 0) -> Draft:
        """The host's place in the weekly ranking."""
        key, pattern = WEEKLY_RANK_TEXT
        return Draft(
            "WebcastHourlyRankMessage",
            pb.HourlyRankMessage(
                common=self._common("WebcastHourlyRankMessage"),
                data=pb.HourlyRankData(
                    type=1,
                    content=pb.Text(key=key, default_pattern=pattern),
                    rank=rank or self.rng.randrange(1, 100),
                ),
            ),
        )

    def goal_update(
        self,
        goal_id: int,
        description: str,
        progress: int,
        target: int,
        contributor: Any = None,
        points: int = 0,
    ) -> Draft:
        """Progress of the host's LIVE goal (``points`` added by ``contributor``, when given)."""
        fields: Dict[str, Any] = {}
        if contributor is not None:
            fields = {
                "contributor_id": contributor.id,
                "contributor_avatar": contributor.avatar_thumb,
                "contributor_display_id": contributor.display_id,
                "contribute_count": 1,
                "contribute_score": points,
                "contributor_id_str": str(contributor.id),
            }
        return Draft(
            "WebcastGoalUpdateMessage",
            pb.GoalUpdateMessage(
                common=self._common("WebcastGoalUpdateMessage"),
                indicator=pb.GoalIndicator(key="pm_mt_goal_indicator", op=1),
                goal=pb.Goal(
                    id=goal_id,
                    type=1,
                    status=1,
                    sub_goals=[pb.SubGoal(type=1, progress=progress, target=target, id_str=str(goal_id + 1))],
                    id_str=str(goal_id),
                    description=description,
                ),
                **fields,
            ),
        )

    def poll(self, poll_id: int, status: int, title: str, options: Sequence[tuple[str, int]]) -> Draft:
        """A poll: ``status`` 0 started (by the host), 2 votes updated, 1 ended; ``options`` are
        ``(text, votes)``."""
        choices = [
            pb.PollOption(votes=votes, display_content=text, option_index=index)
            for index, (text, votes) in enumerate(options)
        ]
        content: Dict[str, Any] = {}
        if status == 0:
            now_ms = int(time.time() * 1000)
            host = pb.User(id=self.host.user_id, nickname=self.host.nickname, display_id=self.host.username)
            content["start_content"] = pb.PollStartContent(
                start_time=now_ms, end_time=now_ms + 60_000, options=choices, title=title, operator=host
            )
        elif status == 1:
            content["end_content"] = pb.PollEndContent(options=choices)
        else:
            content["update_content"] = pb.PollUpdateContent(options=choices)
        return Draft(
            "WebcastPollMessage",
            pb.PollMessage(
                common=self._common("WebcastPollMessage"),
                message_type=status,
                poll_id=poll_id,
                poll_kind=1,
                **content,
            ),
        )

    def caption(self, text: Optional[str] = None) -> Draft:
        """Live captions of what the host says (real ones carry a room id but no create_time)."""
        common = self._common("WebcastCaptionMessage")
        common.room_id = self.room_id
        return Draft(
            "WebcastCaptionMessage",
            pb.CaptionMessage(
                common=common,
                timestamp_ms=int(time.time() * 1000),
                duration_ms=self.rng.randrange(400, 3000),
                content=[pb.CaptionContent(language="en", text=text or self.rng.choice(_CAPTIONS))],
            ),
            stamp_room_and_time=False,
        )

    def pin(self, user: Any = None, text: Optional[str] = None) -> Draft:
        """The host pinned a viewer's chat message."""
        user = self._plain_user(user or self.viewer())
        pinned = pb.ChatMessage(
            common=pb.Common(
                method="WebcastChatMessage",
                msg_id=self.rng.randrange(7_300_000_000_000_000_000, 7_310_000_000_000_000_000),
                room_id=self.room_id,
                create_time=int(time.time() * 1000),
            ),
            user=user,
            content=text or self.rng.choice(_CHAT_LINES),
            content_language="en",
        )
        return Draft(
            "WebcastRoomPinMessage",
            pb.RoomPinMessage(common=self._common("WebcastRoomPinMessage"), chat_message=pinned),
        )

    def link(self, linker_id: int, message_type: int = 2, scene: int = 2) -> Draft:
        """Co-host (link-mic) state of the host's link ``linker_id``."""
        return Draft(
            "WebcastLinkMessage",
            pb.LinkMessage(
                common=self._common("WebcastLinkMessage"),
                message_type=message_type,
                linker_id=linker_id,
                scene=scene,
            ),
        )

    def link_layer(self, channel_id: int, message_type: int = 9, scene: int = 4) -> Draft:
        """Multi-guest layer state of channel ``channel_id``."""
        return Draft(
            "WebcastLinkLayerMessage",
            pb.LinkLayerMessage(
                common=self._common("WebcastLinkLayerMessage"),
                message_type=message_type,
                channel_id=channel_id,
                scene=scene,
            ),
        )

    def im_delete(self, user: Any = None) -> Draft:
        """A moderator removed a viewer's messages (real ones name the user, not the messages)."""
        user = user or self.viewer()
        return Draft(
            "WebcastImDeleteMessage",
            pb.ImDeleteMessage(common=self._common("WebcastImDeleteMessage"), delete_user_ids=[user.id]),
        )

    def unauthorized_join(self) -> Draft:
        """A viewer who is not logged in joined (named by a number, as TikTok does)."""
        key, pattern = JOIN_TEXT
        return Draft(
            "WebcastUnauthorizedMemberMessage",
            pb.UnauthorizedMemberMessage(
                common=self._common("WebcastUnauthorizedMemberMessage"),
                action=1,
                nick_name=str(self.rng.randrange(100_000, 999_999)),
                enter_text=pb.Text(key=key, default_pattern=pattern),
            ),
        )

    def bottom(self) -> Draft:
        """A notice at the bottom of the chat (real ones carry no text of their own)."""
        return Draft(
            "WebcastBottomMessage",
            pb.BottomMessage(common=self._common("WebcastBottomMessage"), duration=5),
        )

    def unknown(self, method: str = "WebcastSimulatorUnknownMessage") -> Draft:
        """A message of a type no client knows: a common header and fields nobody declared."""
        message = pb.UnknownMessage(common=self._common(method))
        # Field 2 (a string) and field 9 (a varint): content a decoder can only skip.
        trailer = b"\x12\x0bsimulated!!" + b"\x48\x2a"
        return Draft(method, message, trailer)
