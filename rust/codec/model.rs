//! The decoded values, in Rust: one struct per class of `pytiktoklive.events`.
//!
//! Field names and meanings mirror `python/pytiktoklive/events.py` (the decoding
//! contract) one to one, so the Python boundary only has to copy them into the
//! Python classes. Every rule of the contract (fallbacks, badge levels, the
//! follow/share decision, …) is applied when these values are made, in
//! [`super::convert`], and is tested here with plain `cargo test`.

use bytes::Bytes;

use super::methods::Method;

/// An integer the contract parses from a decimal string (`int(text)` when the text is all
/// ASCII digits). Python's `int` has no upper bound, so digit strings that do not fit in a
/// `u64` are kept as text and turned into a Python `int` by the boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecimalInt {
    Small(u64),
    Big(String),
}

impl Default for DecimalInt {
    fn default() -> Self {
        Self::Small(0)
    }
}

impl DecimalInt {
    /// `int(text)` when `text` is non-empty and all ASCII digits, else 0.
    pub fn parse(text: &str) -> Self {
        if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Self::Small(0);
        }
        text.parse::<u64>()
            .map_or_else(|_| Self::Big(text.to_owned()), Self::Small)
    }
}

/// A badge shown next to a user (`Badge` in events.py).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Badge {
    pub scene_type: i64,
    pub r#type: String,
    pub name: String,
    pub level: DecimalInt,
    pub image_url: String,
}

/// A user (`User` in events.py).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub nickname: String,
    pub sec_uid: String,
    pub profile_picture: Vec<String>,
    pub follow_role: i64,
    pub follower_count: i64,
    pub following_count: i64,
    pub badges: Vec<Badge>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Emote {
    pub id: String,
    pub image_url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopViewer {
    pub user: Option<User>,
    pub score: i64,
    pub rank: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BattleContributor {
    pub user: User,
    pub score: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BattleGroup {
    pub points: i64,
    pub contributors: Vec<BattleContributor>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Battle {
    pub host: i64,
    pub groups: Vec<BattleGroup>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RankUpdate {
    pub rank_type: i64,
    pub owner_rank: i64,
    pub key: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubGoal {
    pub r#type: i64,
    pub progress: i64,
    pub target: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollOption {
    pub index: i64,
    pub text: String,
    pub votes: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caption {
    pub language: String,
    pub text: String,
}

/// A room message that could not be decoded (`SkippedMessage` in events.py).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    pub method: String,
    pub msg_id: i64,
    pub payload: Bytes,
    pub reason: String,
}

/// The envelope's method name: a known [`Method`] or any other text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MethodName {
    Known(Method),
    Other(String),
}

impl MethodName {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Known(method) => method.wire_name(),
            Self::Other(name) => name,
        }
    }
}

/// One room event: the common header plus the fields of its class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The envelope's method name (`Message.method`).
    pub method: MethodName,
    /// `Common.msg_id`, else the envelope's `msg_id`.
    pub msg_id: i64,
    pub room_id: i64,
    /// Milliseconds since the epoch.
    pub create_time: i64,
    pub body: EventBody,
}

/// What `UserEvent.event` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserEventType {
    Join,
    Follow,
    Share,
    Other,
}

impl UserEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Follow => "follow",
            Self::Share => "share",
            Self::Other => "other",
        }
    }
}

/// The class-specific fields of an event; each variant is one class of events.py.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventBody {
    Chat(ChatEvent),
    EmoteChat(EmoteChatEvent),
    Gift(GiftEvent),
    Like(LikeEvent),
    User(UserEvent),
    Viewers(ViewersEvent),
    Question(QuestionEvent),
    Control(ControlEvent),
    MicBattle(MicBattleEvent),
    Battles(BattlesEvent),
    RoomBanner(RoomBannerEvent),
    Intro(IntroEvent),
    Room(RoomEvent),
    Envelope(EnvelopeEvent),
    Subscribe(SubscribeEvent),
    RankUpdate(RankUpdateEvent),
    HourlyRank(HourlyRankEvent),
    GoalUpdate(GoalUpdateEvent),
    Poll(PollEvent),
    Caption(CaptionEvent),
    Link(LinkEvent),
    LinkLayer(LinkLayerEvent),
    RoomPin(RoomPinEvent),
    Barrage(BarrageEvent),
    ImDelete(ImDeleteEvent),
    UnauthorizedMember(UnauthorizedMemberEvent),
    Unknown(UnknownEvent),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatEvent {
    pub comment: String,
    pub user: Option<User>,
    pub timestamp: i64,
    pub language: String,
    pub emotes: Vec<Emote>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmoteChatEvent {
    pub user: Option<User>,
    pub emotes: Vec<Emote>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GiftEvent {
    pub id: i64,
    pub name: String,
    pub describe: String,
    pub cost: i64,
    pub repeat_count: i64,
    pub repeat_end: bool,
    pub r#type: i64,
    pub to_user_id: i64,
    pub timestamp: i64,
    pub user: Option<User>,
    pub group_id: i64,
    pub image_url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LikeEvent {
    pub likes: i64,
    pub total_likes: i64,
    pub user: Option<User>,
    pub display_type: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEvent {
    pub event: UserEventType,
    pub user: Option<User>,
    pub display_type: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewersEvent {
    pub viewers: i64,
    pub total_viewers: i64,
    pub top_viewers: Vec<TopViewer>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuestionEvent {
    pub question: String,
    pub user: Option<User>,
    pub question_id: i64,
    pub timestamp: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ControlEvent {
    pub action: i64,
    pub tips: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MicBattleEvent {
    pub battle_id: i64,
    pub action: i64,
    pub users: Vec<User>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BattlesEvent {
    pub status: i64,
    pub battle_id: i64,
    pub battles: Vec<Battle>,
}

/// `data` (the parsed JSON) is made by the Python boundary with `json.loads`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomBannerEvent {
    pub json: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntroEvent {
    pub id: i64,
    pub title: String,
    pub user: Option<User>,
    pub language: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomEvent {
    pub r#type: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvelopeEvent {
    pub envelope_id: String,
    pub business_type: i64,
    pub sender_name: String,
    pub sender_id: DecimalInt,
    pub diamond_count: i64,
    pub people_count: i64,
    pub unpack_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubscribeEvent {
    pub user: Option<User>,
    pub sub_month: i64,
    pub subscribe_type: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RankUpdateEvent {
    pub updates: Vec<RankUpdate>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HourlyRankEvent {
    pub rank_type: i64,
    pub rank: i64,
    pub key: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoalUpdateEvent {
    pub goal_id: i64,
    pub description: String,
    pub sub_goals: Vec<SubGoal>,
    pub contributor: Option<User>,
    pub contribute_count: i64,
    pub contribute_score: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollEvent {
    pub poll_id: i64,
    pub status: i64,
    pub title: String,
    pub options: Vec<PollOption>,
    pub start_time: i64,
    pub end_time: i64,
    pub operator: Option<User>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptionEvent {
    pub timestamp: i64,
    pub duration: i64,
    pub captions: Vec<Caption>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkEvent {
    pub message_type: i64,
    pub linker_id: i64,
    pub scene: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkLayerEvent {
    pub message_type: i64,
    pub channel_id: i64,
    pub scene: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomPinEvent {
    pub pinned_method: String,
    pub pinned_msg_id: i64,
    pub text: String,
    pub user: Option<User>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BarrageEvent {
    pub msg_type: i64,
    pub key: String,
    pub label: String,
    pub user: Option<User>,
    pub duration: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImDeleteEvent {
    pub deleted_msg_ids: Vec<i64>,
    pub deleted_user_ids: Vec<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnauthorizedMemberEvent {
    pub action: i64,
    pub nickname: String,
    pub label: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnknownEvent {
    pub payload: Bytes,
}

/// A decoded frame or fetch result (`FetchResult` in decoding.py).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub payload_type: String,
    pub log_id: i64,
    pub seq_id: i64,
    pub events: Vec<Event>,
    pub skipped: Vec<Skipped>,
    pub cursor: String,
    pub internal_ext: String,
    pub need_ack: bool,
    pub fetch_interval: i64,
    pub now: i64,
    /// In key order (a protobuf map has no order of its own).
    pub route_params: Vec<(String, String)>,
    pub push_server: String,
    pub heartbeat_duration: i64,
    pub is_first: bool,
}
