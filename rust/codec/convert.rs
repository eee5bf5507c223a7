//! The decoding contract: typed WebCast messages (prost) into events (see `events.py`).
//!
//! Each function here implements the docstring lines of one class of
//! `python/pytiktoklive/events.py`. Strings and lists are moved out of the prost
//! values, never copied. "A, else B" in the contract means: A when it is not empty
//! (`""`, `0`), else B, the way Python's `A or B` reads.

use bytes::Bytes;
use prost::Message as _;

use super::budget::{schema, Budget, Fill, Stop};
use super::methods::Method;
use super::model::{
    Badge, BarrageEvent, Battle, BattleContributor, BattleGroup, BattlesEvent, Caption, CaptionEvent, ChatEvent,
    ControlEvent, DecimalInt, Emote, EmoteChatEvent, EnvelopeEvent, Event, EventBody, GiftEvent, GoalUpdateEvent,
    HourlyRankEvent, ImDeleteEvent, IntroEvent, LikeEvent, LinkEvent, LinkLayerEvent, MethodName, MicBattleEvent,
    PollEvent, PollOption, QuestionEvent, RankUpdate, RankUpdateEvent, RoomBannerEvent, RoomEvent, RoomPinEvent,
    SubGoal, SubscribeEvent, TopViewer, UnauthorizedMemberEvent, UnknownEvent, User, UserEvent, UserEventType,
    ViewersEvent,
};
// The read view: the types of `proto/` with only the fields read here (`rust/tests/codegen.rs`).
use crate::webcast_read as pb;

/// The pinned method when a pinned chat message has no method of its own.
const CHAT_METHOD: &str = "WebcastChatMessage";

/// An `Unknown` event that keeps the raw payload. Its common header is decoded when
/// `with_header` (the budget's walk found the payload well-formed) and prost reads it,
/// else left at its defaults.
pub fn decode_unknown(method: &str, payload: Bytes, envelope_msg_id: i64, with_header: bool) -> Event {
    let common = if with_header {
        pb::UnknownMessage::decode(payload.as_ref())
            .ok()
            .and_then(|message| message.common)
    } else {
        None
    };
    let body = EventBody::Unknown(UnknownEvent { payload });
    event(
        MethodName::Other(method.to_owned()),
        common.as_ref(),
        envelope_msg_id,
        body,
    )
}

/// The schema (an index of [`schema::MESSAGES`]) a method's payload is read with:
/// the type [`decode_known`] decodes, `UnknownMessage` for unknown methods.
pub fn schema_of(method: Option<Method>) -> usize {
    let Some(known) = method else {
        return schema::UNKNOWN_MESSAGE;
    };
    match known {
        Method::Chat => schema::CHAT_MESSAGE,
        Method::EmoteChat => schema::EMOTE_CHAT_MESSAGE,
        Method::Gift => schema::GIFT_MESSAGE,
        Method::Like => schema::LIKE_MESSAGE,
        Method::Member => schema::MEMBER_MESSAGE,
        Method::Social => schema::SOCIAL_MESSAGE,
        Method::RoomUserSeq => schema::ROOM_USER_SEQ_MESSAGE,
        Method::QuestionNew => schema::QUESTION_NEW_MESSAGE,
        Method::Control => schema::CONTROL_MESSAGE,
        Method::LinkMicBattle => schema::LINK_MIC_BATTLE_MESSAGE,
        Method::LinkMicArmies => schema::LINK_MIC_ARMIES_MESSAGE,
        Method::InRoomBanner => schema::IN_ROOM_BANNER_MESSAGE,
        Method::LiveIntro => schema::LIVE_INTRO_MESSAGE,
        Method::WebcastRoom | Method::Room | Method::WebcastSystem | Method::System => schema::ROOM_MESSAGE,
        Method::Bottom => schema::BOTTOM_MESSAGE,
        Method::Envelope => schema::ENVELOPE_MESSAGE,
        Method::SubNotify => schema::SUB_NOTIFY_MESSAGE,
        Method::RankUpdate => schema::RANK_UPDATE_MESSAGE,
        Method::HourlyRank => schema::HOURLY_RANK_MESSAGE,
        Method::GoalUpdate => schema::GOAL_UPDATE_MESSAGE,
        Method::Poll => schema::POLL_MESSAGE,
        Method::Caption => schema::CAPTION_MESSAGE,
        Method::Link => schema::LINK_MESSAGE,
        Method::LinkLayer => schema::LINK_LAYER_MESSAGE,
        Method::RoomPin => schema::ROOM_PIN_MESSAGE,
        Method::Barrage => schema::BARRAGE_MESSAGE,
        Method::ImDelete => schema::IM_DELETE_MESSAGE,
        Method::UnauthorizedMember => schema::UNAUTHORIZED_MEMBER_MESSAGE,
    }
}

/// Decodes a message of a known method in the budget's walk ([`Budget::read_message`]):
/// counted, checked and decoded in one pass. It only reads `data`.
pub fn decode_known(known: Method, data: &[u8], envelope_msg_id: i64, budget: &mut Budget) -> Result<Event, Stop> {
    let method = known.wire_name();
    let schema = schema_of(Some(known));
    let mut read = |message: &mut dyn Fill| budget.read_message(schema, data, message);
    let (common, body) = match known {
        Method::Chat => chat(fill::<pb::ChatMessage>(&mut read)?),
        Method::EmoteChat => emote_chat(fill::<pb::EmoteChatMessage>(&mut read)?),
        Method::Gift => gift(fill::<pb::GiftMessage>(&mut read)?),
        Method::Like => like(fill::<pb::LikeMessage>(&mut read)?),
        Method::Member => member(fill::<pb::MemberMessage>(&mut read)?),
        Method::Social => social(fill::<pb::SocialMessage>(&mut read)?),
        Method::RoomUserSeq => viewers(fill::<pb::RoomUserSeqMessage>(&mut read)?),
        Method::QuestionNew => question(fill::<pb::QuestionNewMessage>(&mut read)?),
        Method::Control => control(fill::<pb::ControlMessage>(&mut read)?),
        Method::LinkMicBattle => mic_battle(fill::<pb::LinkMicBattleMessage>(&mut read)?),
        Method::LinkMicArmies => battles(fill::<pb::LinkMicArmiesMessage>(&mut read)?),
        Method::InRoomBanner => room_banner(fill::<pb::InRoomBannerMessage>(&mut read)?),
        Method::LiveIntro => intro(fill::<pb::LiveIntroMessage>(&mut read)?),
        Method::WebcastRoom | Method::Room | Method::WebcastSystem | Method::System => {
            let message = fill::<pb::RoomMessage>(&mut read)?;
            room(message.common, message.content, method)
        }
        Method::Bottom => {
            let message = fill::<pb::BottomMessage>(&mut read)?;
            room(message.common, message.content, method)
        }
        Method::Envelope => envelope(fill::<pb::EnvelopeMessage>(&mut read)?),
        Method::SubNotify => subscribe(fill::<pb::SubNotifyMessage>(&mut read)?),
        Method::RankUpdate => rank_update(fill::<pb::RankUpdateMessage>(&mut read)?),
        Method::HourlyRank => hourly_rank(fill::<pb::HourlyRankMessage>(&mut read)?),
        Method::GoalUpdate => goal_update(fill::<pb::GoalUpdateMessage>(&mut read)?),
        Method::Poll => poll(fill::<pb::PollMessage>(&mut read)?),
        Method::Caption => caption(fill::<pb::CaptionMessage>(&mut read)?),
        Method::Link => link(fill::<pb::LinkMessage>(&mut read)?),
        Method::LinkLayer => link_layer(fill::<pb::LinkLayerMessage>(&mut read)?),
        Method::RoomPin => room_pin(fill::<pb::RoomPinMessage>(&mut read)?),
        Method::Barrage => barrage(fill::<pb::BarrageMessage>(&mut read)?),
        Method::ImDelete => im_delete(fill::<pb::ImDeleteMessage>(&mut read)?),
        Method::UnauthorizedMember => unauthorized_member(fill::<pb::UnauthorizedMemberMessage>(&mut read)?),
    };
    Ok(event(MethodName::Known(known), common.as_ref(), envelope_msg_id, body))
}

/// A `M` filled by `read` (a walk of its bytes).
fn fill<M: Fill + Default>(read: &mut impl FnMut(&mut dyn Fill) -> Result<(), Stop>) -> Result<M, Stop> {
    let mut message = M::default();
    read(&mut message)?;
    Ok(message)
}

/// The common header of an event: `msg_id` is `Common.msg_id`, else the envelope's.
fn event(method: MethodName, common: Option<&pb::Common>, envelope_msg_id: i64, body: EventBody) -> Event {
    let (msg_id, room_id, create_time) = common.map_or((0, 0, 0), |c| (c.msg_id, c.room_id, c.create_time));
    Event {
        method,
        msg_id: or_else(msg_id, envelope_msg_id),
        room_id,
        create_time,
        body,
    }
}

type Decoded = (Option<pb::Common>, EventBody);

// ------------------------------------------------------------------ small rules

fn or_else(value: i64, fallback: i64) -> i64 {
    if value == 0 {
        fallback
    } else {
        value
    }
}

/// The first non-empty string, else `""`.
fn first_non_empty<const N: usize>(candidates: [String; N]) -> String {
    candidates.into_iter().find(|text| !text.is_empty()).unwrap_or_default()
}

/// The first URL of an image, `""` when there is no image or no URL.
fn first_url(image: Option<pb::Image>) -> String {
    image
        .and_then(|image| image.url_list.into_iter().next())
        .unwrap_or_default()
}

/// Every URL of an image, in order.
fn urls(image: Option<pb::Image>) -> Vec<String> {
    image.map(|image| image.url_list).unwrap_or_default()
}

/// `(key, default_pattern)` of a text, `("", "")` when there is none.
fn text_parts(text: Option<pb::Text>) -> (String, String) {
    text.map(|text| (text.key, text.default_pattern)).unwrap_or_default()
}

/// `Common.display_text` as `(key, default_pattern)`, and the header itself.
fn display_text(common: Option<pb::Common>) -> (Option<pb::Common>, String, String) {
    match common {
        Some(mut common) => {
            let (key, label) = common
                .display_text
                .take()
                .map(|text| (text.key, text.default_pattern))
                .unwrap_or_default();
            (Some(common), key, label)
        }
        None => (None, String::new(), String::new()),
    }
}

/// The follow/share decision of `UserEvent` for a `WebcastSocialMessage`.
pub fn social_event_type(display_type: &str, action: i64) -> UserEventType {
    if display_type.contains("follow") {
        UserEventType::Follow
    } else if display_type.contains("share") {
        UserEventType::Share
    } else {
        match action {
            1 => UserEventType::Follow,
            3 => UserEventType::Share,
            _ => UserEventType::Other,
        }
    }
}

// ------------------------------------------------------------------ values

fn badge(badge: pb::Badge) -> Badge {
    let (text_key, text_pattern) = badge
        .text
        .map(|text| (text.key, text.default_pattern))
        .unwrap_or_default();
    let combine = badge.combine.unwrap_or_default();
    let (combine_key, combine_pattern) = combine
        .text
        .map(|text| (text.key, text.default_pattern))
        .unwrap_or_default();
    let level = badge
        .privilege_log_extra
        .map_or_else(DecimalInt::default, |extra| DecimalInt::parse(&extra.level));
    Badge {
        scene_type: badge.scene_type.into(),
        r#type: first_non_empty([text_key, combine_key]),
        name: first_non_empty([text_pattern, combine.str, combine_pattern]),
        level,
        image_url: first_non_empty([
            first_url(badge.image.and_then(|image| image.image)),
            first_url(combine.icon),
        ]),
    }
}

pub(crate) fn user(user: pb::User) -> User {
    let follow = user.follow_info.unwrap_or_default();
    User {
        id: user.id,
        username: user.display_id,
        nickname: user.nickname,
        sec_uid: user.sec_uid,
        profile_picture: urls(user.avatar_thumb),
        follow_role: follow.follow_status,
        follower_count: follow.follower_count,
        following_count: follow.following_count,
        badges: user.badge_list.into_iter().map(badge).collect(),
    }
}

fn opt_user(value: Option<pb::User>) -> Option<User> {
    value.map(user)
}

/// The short user form of link-mic messages.
fn link_user(value: pb::LinkUser) -> User {
    User {
        id: value.id,
        nickname: value.nickname,
        username: value.display_id,
        profile_picture: urls(value.avatar),
        ..User::default()
    }
}

fn emote(value: pb::Emote) -> Emote {
    Emote {
        id: value.emote_id,
        image_url: first_url(value.image),
    }
}

fn poll_option(value: pb::PollOption) -> PollOption {
    PollOption {
        index: value.option_index.into(),
        text: value.display_content,
        votes: value.votes.into(),
    }
}

// ------------------------------------------------------------------ events

fn chat(message: pb::ChatMessage) -> Decoded {
    let body = ChatEvent {
        comment: message.content,
        user: opt_user(message.user),
        timestamp: message.common.as_ref().map_or(0, |common| common.create_time),
        language: message.content_language,
        // An entry without an emote has nothing to show and is left out.
        emotes: message
            .emotes
            .into_iter()
            .filter_map(|entry| entry.emote)
            .map(emote)
            .collect(),
    };
    (message.common, EventBody::Chat(body))
}

fn emote_chat(message: pb::EmoteChatMessage) -> Decoded {
    let body = EmoteChatEvent {
        user: opt_user(message.user),
        emotes: message.emote_list.into_iter().map(emote).collect(),
    };
    (message.common, EventBody::EmoteChat(body))
}

fn gift(message: pb::GiftMessage) -> Decoded {
    let gift = message.gift.unwrap_or_default();
    let monitor = message.monitor_info.unwrap_or_default();
    let body = GiftEvent {
        id: message.gift_id,
        name: gift.name,
        describe: gift.describe,
        cost: gift.diamond_count.into(),
        repeat_count: message.repeat_count.into(),
        repeat_end: message.repeat_end == 1,
        r#type: gift.r#type.into(),
        to_user_id: monitor.to_anchor_id,
        timestamp: monitor.send_time,
        user: opt_user(message.user),
        group_id: message.group_id,
        image_url: first_url(gift.image),
    };
    (message.common, EventBody::Gift(body))
}

fn like(message: pb::LikeMessage) -> Decoded {
    let (common, display_type, label) = display_text(message.common);
    let body = LikeEvent {
        likes: message.count.into(),
        total_likes: message.total,
        user: opt_user(message.user),
        display_type,
        label,
    };
    (common, EventBody::Like(body))
}

fn member(message: pb::MemberMessage) -> Decoded {
    let (common, display_type, label) = display_text(message.common);
    let body = UserEvent {
        event: UserEventType::Join,
        user: opt_user(message.user),
        display_type,
        label,
    };
    (common, EventBody::User(body))
}

fn social(message: pb::SocialMessage) -> Decoded {
    let (common, display_type, label) = display_text(message.common);
    let body = UserEvent {
        event: social_event_type(&display_type, message.action),
        user: opt_user(message.user),
        display_type,
        label,
    };
    (common, EventBody::User(body))
}

fn viewers(message: pb::RoomUserSeqMessage) -> Decoded {
    let top_viewers = message
        .ranks
        .into_iter()
        .map(|rank| TopViewer {
            user: opt_user(rank.user),
            score: rank.score,
            rank: rank.rank,
        })
        .collect();
    let body = ViewersEvent {
        viewers: message.total,
        total_viewers: message.total_user,
        top_viewers,
    };
    (message.common, EventBody::Viewers(body))
}

fn question(message: pb::QuestionNewMessage) -> Decoded {
    let details = message.details.unwrap_or_default();
    let body = QuestionEvent {
        question: details.content,
        user: opt_user(details.user),
        question_id: details.question_id,
        timestamp: message.common.as_ref().map_or(0, |common| common.create_time),
    };
    (message.common, EventBody::Question(body))
}

fn control(message: pb::ControlMessage) -> Decoded {
    let body = ControlEvent {
        action: message.action.into(),
        tips: message.tips,
    };
    (message.common, EventBody::Control(body))
}

fn mic_battle(message: pb::LinkMicBattleMessage) -> Decoded {
    let users = message
        .anchors
        .into_iter()
        // An anchor without a user has nothing to show and is left out.
        .filter_map(|anchor| anchor.info.and_then(|info| info.user))
        .map(link_user)
        .collect();
    let body = MicBattleEvent {
        battle_id: message.battle_id,
        action: message.action.into(),
        users,
    };
    (message.common, EventBody::MicBattle(body))
}

fn battle_group(army: pb::BattleArmy) -> BattleGroup {
    let contributors = army
        .contributors
        .into_iter()
        .map(|contributor| BattleContributor {
            user: User {
                id: contributor.user_id,
                nickname: contributor.nickname,
                profile_picture: urls(contributor.avatar),
                ..User::default()
            },
            score: contributor.score,
        })
        .collect();
    BattleGroup {
        points: army.host_score.into(),
        contributors,
    }
}

fn battles(message: pb::LinkMicArmiesMessage) -> Decoded {
    let battles = message
        .armies
        .into_iter()
        .map(|entry| Battle {
            host: entry.host_user_id,
            groups: entry.army.into_iter().map(battle_group).collect(),
        })
        .collect();
    let body = BattlesEvent {
        status: message.trigger_reason.into(),
        battle_id: message.battle_id,
        battles,
    };
    (message.common, EventBody::Battles(body))
}

fn room_banner(message: pb::InRoomBannerMessage) -> Decoded {
    (
        message.common,
        EventBody::RoomBanner(RoomBannerEvent { json: message.json }),
    )
}

fn intro(message: pb::LiveIntroMessage) -> Decoded {
    let body = IntroEvent {
        id: message.room_id,
        title: message.content,
        user: opt_user(message.host),
        language: message.language,
    };
    (message.common, EventBody::Intro(body))
}

fn room(common: Option<pb::Common>, content: String, envelope_method: &str) -> Decoded {
    let mut common = common;
    let own_method = common
        .as_mut()
        .map(|common| std::mem::take(&mut common.method))
        .unwrap_or_default();
    let body = RoomEvent {
        r#type: first_non_empty([own_method, envelope_method.to_owned()]),
        message: content,
    };
    (common, EventBody::Room(body))
}

fn envelope(message: pb::EnvelopeMessage) -> Decoded {
    let info = message.envelope_info.unwrap_or_default();
    let body = EnvelopeEvent {
        envelope_id: info.envelope_id,
        business_type: info.business_type.into(),
        sender_name: info.send_user_name,
        sender_id: DecimalInt::parse(&info.send_user_id),
        diamond_count: info.diamond_count.into(),
        people_count: info.people_count.into(),
        unpack_at: info.unpack_at.into(),
    };
    (message.common, EventBody::Envelope(body))
}

fn subscribe(message: pb::SubNotifyMessage) -> Decoded {
    let body = SubscribeEvent {
        user: opt_user(message.user),
        sub_month: message.sub_month,
        subscribe_type: message.subscribe_type.into(),
    };
    (message.common, EventBody::Subscribe(body))
}

fn rank_update(message: pb::RankUpdateMessage) -> Decoded {
    let updates = message
        .updates
        .into_iter()
        .map(|update| {
            let (key, label) = text_parts(update.default_content);
            RankUpdate {
                rank_type: update.rank_type,
                owner_rank: update.owner_rank,
                key,
                label,
            }
        })
        .collect();
    (message.common, EventBody::RankUpdate(RankUpdateEvent { updates }))
}

fn hourly_rank(message: pb::HourlyRankMessage) -> Decoded {
    let data = message.data.unwrap_or_default();
    let (key, label) = text_parts(data.content);
    let body = HourlyRankEvent {
        rank_type: data.r#type,
        rank: data.rank,
        key,
        label,
    };
    (message.common, EventBody::HourlyRank(body))
}

fn goal_update(message: pb::GoalUpdateMessage) -> Decoded {
    let goal = message.goal.unwrap_or_default();
    let contributor = (message.contributor_id != 0).then(|| User {
        id: message.contributor_id,
        username: message.contributor_display_id,
        profile_picture: urls(message.contributor_avatar),
        ..User::default()
    });
    let sub_goals = goal
        .sub_goals
        .into_iter()
        .map(|sub| SubGoal {
            r#type: sub.r#type.into(),
            progress: sub.progress,
            target: sub.target,
        })
        .collect();
    let body = GoalUpdateEvent {
        goal_id: goal.id,
        description: goal.description,
        sub_goals,
        contributor,
        contribute_count: message.contribute_count,
        contribute_score: message.contribute_score,
    };
    (message.common, EventBody::GoalUpdate(body))
}

fn poll(message: pb::PollMessage) -> Decoded {
    let present = message.start_content.is_some();
    let mut start = message.start_content.unwrap_or_default();
    let options = if present {
        std::mem::take(&mut start.options)
    } else if let Some(end) = message.end_content {
        end.options
    } else {
        message.update_content.map(|update| update.options).unwrap_or_default()
    };
    let body = PollEvent {
        poll_id: message.poll_id,
        status: message.message_type.into(),
        title: start.title,
        options: options.into_iter().map(poll_option).collect(),
        start_time: start.start_time,
        end_time: start.end_time,
        operator: opt_user(start.operator),
    };
    (message.common, EventBody::Poll(body))
}

fn caption(message: pb::CaptionMessage) -> Decoded {
    let captions = message
        .content
        .into_iter()
        .map(|line| Caption {
            language: line.language,
            text: line.text,
        })
        .collect();
    let body = CaptionEvent {
        timestamp: message.timestamp_ms,
        duration: message.duration_ms,
        captions,
    };
    (message.common, EventBody::Caption(body))
}

fn link(message: pb::LinkMessage) -> Decoded {
    let body = LinkEvent {
        message_type: message.message_type.into(),
        linker_id: message.linker_id,
        scene: message.scene.into(),
    };
    (message.common, EventBody::Link(body))
}

fn link_layer(message: pb::LinkLayerMessage) -> Decoded {
    let body = LinkLayerEvent {
        message_type: message.message_type.into(),
        channel_id: message.channel_id,
        scene: message.scene.into(),
    };
    (message.common, EventBody::LinkLayer(body))
}

fn room_pin(message: pb::RoomPinMessage) -> Decoded {
    let body = if let Some(chat) = message.chat_message {
        let pinned = chat.common.unwrap_or_default();
        RoomPinEvent {
            pinned_method: first_non_empty([pinned.method, CHAT_METHOD.to_owned()]),
            pinned_msg_id: pinned.msg_id,
            text: chat.content,
            user: opt_user(chat.user),
        }
    } else {
        let pinned = message
            .pinned_message
            .and_then(|pinned| pinned.common)
            .unwrap_or_default();
        RoomPinEvent {
            pinned_method: pinned.method,
            pinned_msg_id: pinned.msg_id,
            text: pinned.describe,
            user: None,
        }
    };
    (message.common, EventBody::RoomPin(body))
}

fn barrage(message: pb::BarrageMessage) -> Decoded {
    let (key, label, piece_user) = match message.content {
        Some(content) => {
            let piece_user = content
                .pieces
                .into_iter()
                .find_map(|piece| piece.user_value.and_then(|value| value.user));
            (content.key, content.default_pattern, piece_user)
        }
        None => (String::new(), String::new(), None),
    };
    let user = piece_user
        .or_else(|| message.user_grade_param.and_then(|param| param.user))
        .or_else(|| message.fans_level_param.and_then(|param| param.user));
    let body = BarrageEvent {
        msg_type: message.msg_type.into(),
        key,
        label,
        user: opt_user(user),
        duration: message.duration.into(),
    };
    (message.common, EventBody::Barrage(body))
}

fn im_delete(message: pb::ImDeleteMessage) -> Decoded {
    let body = ImDeleteEvent {
        deleted_msg_ids: message.delete_msg_ids,
        deleted_user_ids: message.delete_user_ids,
    };
    (message.common, EventBody::ImDelete(body))
}

fn unauthorized_member(message: pb::UnauthorizedMemberMessage) -> Decoded {
    let (_, label) = text_parts(message.enter_text);
    let body = UnauthorizedMemberEvent {
        action: message.action.into(),
        nickname: message.nick_name,
        label,
    };
    (message.common, EventBody::UnauthorizedMember(body))
}
