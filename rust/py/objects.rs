//! The second phase of a decode: the codec's Rust values into the Python classes of
//! `pytiktoklive.events` and `pytiktoklive.decoding`.
//!
//! Nothing is decided here: every rule of the contract was applied by the codec, so this
//! is a field-by-field copy. Lists become tuples (`dict` only for `route_params`), a
//! missing record becomes `None`, known method names and `UserEvent.event` values are
//! interned strings shared by every event.

use std::cell::RefCell;

use pyo3::exceptions::{PyRecursionError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyString, PyTuple};

use crate::codec::model::{
    Badge, Batch, DecimalInt, Emote, Event, EventBody, MethodName, PollOption, Skipped, User, UserEventType,
};

use super::classes::{acyclic, classes, untrack, Classes};
use super::vocabulary::Vocabulary;

/// How many users of one frame are kept for sharing: busy frames carry a few dozen, and
/// the search stays short whatever a frame holds.
const SHARED_USERS: usize = 64;

/// Builds Python objects with the cached classes, from codec values that live for `'a`.
pub struct Builder<'py, 'a> {
    py: Python<'py>,
    classes: &'static Classes,
    /// Shared strings for the texts that repeat across events ([`Builder::word`]).
    vocabulary: RefCell<Vocabulary>,
    /// The first [`SHARED_USERS`] `User`s built, with the values they were built from: an
    /// equal user later in the frame (a gift streak, a chat after a like) is the same object.
    users: RefCell<Vec<(&'a User, Bound<'py, PyAny>)>>,
    /// The last `room_id` and `create_time` built, with their objects: every event of a frame
    /// has the same room, and events often share a timestamp. A big `int` is an allocation
    /// (~32 bytes) of its own.
    room_id: RefCell<Option<(i64, Bound<'py, PyAny>)>>,
    create_time: RefCell<Option<(i64, Bound<'py, PyAny>)>>,
}

/// Builds an event of class `$class`: the four `Event` slots, then the class's own.
macro_rules! event {
    ($builder:expr, $event:expr, $class:ident, [$($value:expr),* $(,)?]) => {{
        let [method, msg_id, room_id, create_time] = $builder.event_head($event);
        $builder.classes.$class.build($builder.py, [method, msg_id, room_id, create_time, $($value),*])
    }};
}

impl<'py, 'a> Builder<'py, 'a> {
    /// A builder; the first call of a process imports and checks the classes.
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(Self {
            py,
            classes: classes(py)?,
            vocabulary: RefCell::new(Vocabulary::acquire()),
            users: RefCell::new(Vec::new()),
            room_id: RefCell::new(None),
            create_time: RefCell::new(None),
        })
    }

    // ------------------------------------------------------------- scalars

    fn int(&self, value: i64) -> Bound<'py, PyAny> {
        value
            .into_pyobject(self.py)
            .map_or_else(|never| match never {}, Bound::into_any)
    }

    /// `value` as an `int`: the object of the previous call with `last` if it had this value.
    fn repeated_int(&self, last: &RefCell<Option<(i64, Bound<'py, PyAny>)>>, value: i64) -> Bound<'py, PyAny> {
        let mut last = last.borrow_mut();
        if let Some((held, object)) = last.as_ref() {
            if *held == value {
                return object.clone();
            }
        }
        let object = self.int(value);
        *last = Some((value, object.clone()));
        object
    }

    fn str(&self, text: &str) -> Bound<'py, PyAny> {
        PyString::new(self.py, text).into_any()
    }

    /// A text of a small vocabulary (badge names, labels, languages, gift names, image
    /// URLs of badges, gifts and emotes): one string per distinct value, shared.
    fn word(&self, text: &str) -> Bound<'py, PyAny> {
        self.vocabulary.borrow_mut().word(self.py, text).into_any()
    }

    fn bool(&self, value: bool) -> Bound<'py, PyAny> {
        PyBool::new(self.py, value).to_owned().into_any()
    }

    fn bytes(&self, data: &[u8]) -> Bound<'py, PyAny> {
        PyBytes::new(self.py, data).into_any()
    }

    fn none(&self) -> Bound<'py, PyAny> {
        self.py.None().into_bound(self.py)
    }

    /// `int(text)` for digit strings too long for a `u64`; 0 when Python refuses the conversion
    /// (longer than `sys.get_int_max_str_digits()`), as the contract and the pure decoder say:
    /// one absurd field must not cost the whole frame.
    fn decimal(&self, value: &DecimalInt) -> Bound<'py, PyAny> {
        let number = match value {
            DecimalInt::Small(number) => *number,
            DecimalInt::Big(digits) => match self.py.get_type::<PyInt>().call1((digits.as_str(),)) {
                Ok(big) => return big,
                Err(_) => 0,
            },
        };
        number
            .into_pyobject(self.py)
            .map_or_else(|never| match never {}, Bound::into_any)
    }

    fn tuple<T>(
        &self,
        items: &'a [T],
        build: impl Fn(&'a T) -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if items.is_empty() {
            return Ok(PyTuple::empty(self.py).into_any());
        }
        let objects = items.iter().map(build).collect::<PyResult<Vec<_>>>()?;
        let acyclic = acyclic(&objects);
        let tuple = PyTuple::new(self.py, objects)?.into_any();
        if acyclic {
            untrack(&tuple);
        }
        Ok(tuple)
    }

    fn str_tuple(&self, items: &'a [String]) -> PyResult<Bound<'py, PyAny>> {
        self.tuple(items, |text| Ok(self.str(text)))
    }

    fn int_tuple(&self, items: &'a [i64]) -> PyResult<Bound<'py, PyAny>> {
        self.tuple(items, |&number| Ok(self.int(number)))
    }

    fn method(&self, method: &MethodName) -> Bound<'py, PyAny> {
        match method {
            MethodName::Known(known) => self.classes.methods[*known as usize].bind(self.py).clone().into_any(),
            MethodName::Other(name) => self.str(name),
        }
    }

    fn user_event_type(&self, kind: UserEventType) -> Bound<'py, PyAny> {
        let interned = match kind {
            UserEventType::Join => &self.classes.join,
            UserEventType::Follow => &self.classes.follow,
            UserEventType::Share => &self.classes.share,
            UserEventType::Other => &self.classes.other,
        };
        interned.bind(self.py).clone().into_any()
    }

    /// `json.loads(text)`, or `None` when the text is empty or not valid JSON.
    fn json(&self, text: &str) -> PyResult<Bound<'py, PyAny>> {
        if text.is_empty() {
            return Ok(self.none());
        }
        match self.classes.json_loads.bind(self.py).call1((text,)) {
            Ok(value) => Ok(value),
            // Invalid JSON, or JSON nested too deeply for the parser: both are "not valid".
            Err(error)
                if error.is_instance_of::<PyValueError>(self.py)
                    || error.is_instance_of::<PyRecursionError>(self.py) =>
            {
                Ok(self.none())
            }
            Err(error) => Err(error),
        }
    }

    // ------------------------------------------------------------- values

    fn badge(&self, badge: &'a Badge) -> PyResult<Bound<'py, PyAny>> {
        self.classes.badge.build(
            self.py,
            [
                self.int(badge.scene_type),
                self.word(&badge.r#type),
                self.word(&badge.name),
                self.decimal(&badge.level),
                self.word(&badge.image_url),
            ],
        )
    }

    /// A `User`; the same object as an earlier one of this frame with equal fields.
    fn user(&self, user: &'a User) -> PyResult<Bound<'py, PyAny>> {
        let mut users = self.users.borrow_mut();
        if let Some((_, object)) = users.iter().find(|(seen, _)| seen.id == user.id && *seen == user) {
            return Ok(object.clone());
        }
        let object = self.new_user(user)?;
        if users.len() < SHARED_USERS {
            users.push((user, object.clone()));
        }
        Ok(object)
    }

    fn new_user(&self, user: &'a User) -> PyResult<Bound<'py, PyAny>> {
        self.classes.user.build(
            self.py,
            [
                self.int(user.id),
                self.str(&user.username),
                self.str(&user.nickname),
                self.str(&user.sec_uid),
                self.str_tuple(&user.profile_picture)?,
                self.int(user.follow_role),
                self.int(user.follower_count),
                self.int(user.following_count),
                self.tuple(&user.badges, |badge| self.badge(badge))?,
            ],
        )
    }

    fn opt_user(&self, user: Option<&'a User>) -> PyResult<Bound<'py, PyAny>> {
        user.map_or_else(|| Ok(self.none()), |user| self.user(user))
    }

    fn emotes(&self, emotes: &'a [Emote]) -> PyResult<Bound<'py, PyAny>> {
        self.tuple(emotes, |emote| {
            self.classes
                .emote
                .build(self.py, [self.word(&emote.id), self.word(&emote.image_url)])
        })
    }

    fn poll_options(&self, options: &'a [PollOption]) -> PyResult<Bound<'py, PyAny>> {
        self.tuple(options, |option| {
            self.classes.poll_option.build(
                self.py,
                [self.int(option.index), self.str(&option.text), self.int(option.votes)],
            )
        })
    }

    fn skipped(&self, skipped: &'a Skipped) -> PyResult<Bound<'py, PyAny>> {
        self.classes.skipped.build(
            self.py,
            [
                self.str(&skipped.method),
                self.int(skipped.msg_id),
                self.bytes(&skipped.payload),
                self.str(&skipped.reason),
            ],
        )
    }

    // ------------------------------------------------------------- events

    fn event_head(&self, event: &Event) -> [Bound<'py, PyAny>; 4] {
        [
            self.method(&event.method),
            self.int(event.msg_id),
            self.repeated_int(&self.room_id, event.room_id),
            self.repeated_int(&self.create_time, event.create_time),
        ]
    }

    /// An `UnknownEvent` whose `payload` is the given object (the caller's own bytes).
    pub fn unknown_event(&self, event: &Event, payload: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        event!(self, event, unknown_event, [payload])
    }

    /// The event of the class its body names.
    #[allow(clippy::too_many_lines)] // one arm per event class, each a plain field copy
    pub fn event(&self, event: &'a Event) -> PyResult<Bound<'py, PyAny>> {
        match &event.body {
            EventBody::Chat(body) => event!(
                self,
                event,
                chat_event,
                [
                    self.str(&body.comment),
                    self.opt_user(body.user.as_ref())?,
                    self.int(body.timestamp),
                    self.word(&body.language),
                    self.emotes(&body.emotes)?,
                ]
            ),
            EventBody::EmoteChat(body) => {
                event!(
                    self,
                    event,
                    emote_chat_event,
                    [self.opt_user(body.user.as_ref())?, self.emotes(&body.emotes)?]
                )
            }
            EventBody::Gift(body) => event!(
                self,
                event,
                gift_event,
                [
                    self.int(body.id),
                    self.word(&body.name),
                    self.word(&body.describe),
                    self.int(body.cost),
                    self.int(body.repeat_count),
                    self.bool(body.repeat_end),
                    self.int(body.r#type),
                    self.int(body.to_user_id),
                    self.int(body.timestamp),
                    self.opt_user(body.user.as_ref())?,
                    self.int(body.group_id),
                    self.word(&body.image_url),
                ]
            ),
            EventBody::Like(body) => event!(
                self,
                event,
                like_event,
                [
                    self.int(body.likes),
                    self.int(body.total_likes),
                    self.opt_user(body.user.as_ref())?,
                    self.word(&body.display_type),
                    self.word(&body.label),
                ]
            ),
            EventBody::User(body) => event!(
                self,
                event,
                user_event,
                [
                    self.user_event_type(body.event),
                    self.opt_user(body.user.as_ref())?,
                    self.word(&body.display_type),
                    self.word(&body.label),
                ]
            ),
            EventBody::Viewers(body) => {
                let top_viewers = self.tuple(&body.top_viewers, |viewer| {
                    self.classes.top_viewer.build(
                        self.py,
                        [
                            self.opt_user(viewer.user.as_ref())?,
                            self.int(viewer.score),
                            self.int(viewer.rank),
                        ],
                    )
                })?;
                event!(
                    self,
                    event,
                    viewers_event,
                    [self.int(body.viewers), self.int(body.total_viewers), top_viewers]
                )
            }
            EventBody::Question(body) => event!(
                self,
                event,
                question_event,
                [
                    self.str(&body.question),
                    self.opt_user(body.user.as_ref())?,
                    self.int(body.question_id),
                    self.int(body.timestamp),
                ]
            ),
            EventBody::Control(body) => event!(
                self,
                event,
                control_event,
                [self.int(body.action), self.str(&body.tips)]
            ),
            EventBody::MicBattle(body) => event!(
                self,
                event,
                mic_battle_event,
                [
                    self.int(body.battle_id),
                    self.int(body.action),
                    self.tuple(&body.users, |user| self.user(user))?
                ]
            ),
            EventBody::Battles(body) => {
                let battles = self.tuple(&body.battles, |battle| {
                    let groups = self.tuple(&battle.groups, |group| {
                        let contributors = self.tuple(&group.contributors, |contributor| {
                            self.classes
                                .battle_contributor
                                .build(self.py, [self.user(&contributor.user)?, self.int(contributor.score)])
                        })?;
                        self.classes
                            .battle_group
                            .build(self.py, [self.int(group.points), contributors])
                    })?;
                    self.classes.battle.build(self.py, [self.int(battle.host), groups])
                })?;
                event!(
                    self,
                    event,
                    battles_event,
                    [self.int(body.status), self.int(body.battle_id), battles]
                )
            }
            EventBody::RoomBanner(body) => {
                event!(
                    self,
                    event,
                    room_banner_event,
                    [self.json(&body.json)?, self.str(&body.json)]
                )
            }
            EventBody::Intro(body) => event!(
                self,
                event,
                intro_event,
                [
                    self.int(body.id),
                    self.str(&body.title),
                    self.opt_user(body.user.as_ref())?,
                    self.word(&body.language),
                ]
            ),
            EventBody::Room(body) => event!(
                self,
                event,
                room_event,
                [self.str(&body.r#type), self.str(&body.message)]
            ),
            EventBody::Envelope(body) => event!(
                self,
                event,
                envelope_event,
                [
                    self.str(&body.envelope_id),
                    self.int(body.business_type),
                    self.str(&body.sender_name),
                    self.decimal(&body.sender_id),
                    self.int(body.diamond_count),
                    self.int(body.people_count),
                    self.int(body.unpack_at),
                ]
            ),
            EventBody::Subscribe(body) => event!(
                self,
                event,
                subscribe_event,
                [
                    self.opt_user(body.user.as_ref())?,
                    self.int(body.sub_month),
                    self.int(body.subscribe_type)
                ]
            ),
            EventBody::RankUpdate(body) => {
                let updates = self.tuple(&body.updates, |update| {
                    self.classes.rank_update.build(
                        self.py,
                        [
                            self.int(update.rank_type),
                            self.int(update.owner_rank),
                            self.word(&update.key),
                            self.word(&update.label),
                        ],
                    )
                })?;
                event!(self, event, rank_update_event, [updates])
            }
            EventBody::HourlyRank(body) => event!(
                self,
                event,
                hourly_rank_event,
                [
                    self.int(body.rank_type),
                    self.int(body.rank),
                    self.word(&body.key),
                    self.word(&body.label)
                ]
            ),
            EventBody::GoalUpdate(body) => {
                let sub_goals = self.tuple(&body.sub_goals, |sub_goal| {
                    self.classes.sub_goal.build(
                        self.py,
                        [
                            self.int(sub_goal.r#type),
                            self.int(sub_goal.progress),
                            self.int(sub_goal.target),
                        ],
                    )
                })?;
                event!(
                    self,
                    event,
                    goal_update_event,
                    [
                        self.int(body.goal_id),
                        self.str(&body.description),
                        sub_goals,
                        self.opt_user(body.contributor.as_ref())?,
                        self.int(body.contribute_count),
                        self.int(body.contribute_score),
                    ]
                )
            }
            EventBody::Poll(body) => event!(
                self,
                event,
                poll_event,
                [
                    self.int(body.poll_id),
                    self.int(body.status),
                    self.str(&body.title),
                    self.poll_options(&body.options)?,
                    self.int(body.start_time),
                    self.int(body.end_time),
                    self.opt_user(body.operator.as_ref())?,
                ]
            ),
            EventBody::Caption(body) => {
                let captions = self.tuple(&body.captions, |caption| {
                    self.classes
                        .caption
                        .build(self.py, [self.word(&caption.language), self.str(&caption.text)])
                })?;
                event!(
                    self,
                    event,
                    caption_event,
                    [self.int(body.timestamp), self.int(body.duration), captions]
                )
            }
            EventBody::Link(body) => event!(
                self,
                event,
                link_event,
                [
                    self.int(body.message_type),
                    self.int(body.linker_id),
                    self.int(body.scene)
                ]
            ),
            EventBody::LinkLayer(body) => event!(
                self,
                event,
                link_layer_event,
                [
                    self.int(body.message_type),
                    self.int(body.channel_id),
                    self.int(body.scene)
                ]
            ),
            EventBody::RoomPin(body) => event!(
                self,
                event,
                room_pin_event,
                [
                    self.str(&body.pinned_method),
                    self.int(body.pinned_msg_id),
                    self.str(&body.text),
                    self.opt_user(body.user.as_ref())?,
                ]
            ),
            EventBody::Barrage(body) => event!(
                self,
                event,
                barrage_event,
                [
                    self.int(body.msg_type),
                    self.word(&body.key),
                    self.word(&body.label),
                    self.opt_user(body.user.as_ref())?,
                    self.int(body.duration),
                ]
            ),
            EventBody::ImDelete(body) => event!(
                self,
                event,
                im_delete_event,
                [
                    self.int_tuple(&body.deleted_msg_ids)?,
                    self.int_tuple(&body.deleted_user_ids)?
                ]
            ),
            EventBody::UnauthorizedMember(body) => event!(
                self,
                event,
                unauthorized_member_event,
                [self.int(body.action), self.str(&body.nickname), self.word(&body.label)]
            ),
            EventBody::Unknown(body) => self.unknown_event(event, self.bytes(&body.payload)),
        }
    }

    // ------------------------------------------------------------- the batch

    /// A `pytiktoklive.decoding.FetchResult`.
    pub fn batch(&self, batch: &'a Batch) -> PyResult<Bound<'py, PyAny>> {
        let route_params = PyDict::new(self.py);
        for (key, value) in &batch.route_params {
            route_params.set_item(key, value)?;
        }
        self.classes.fetch_result.build(
            self.py,
            [
                self.str(&batch.payload_type),
                self.int(batch.log_id),
                self.int(batch.seq_id),
                self.tuple(&batch.events, |event| self.event(event))?,
                self.tuple(&batch.skipped, |skipped| self.skipped(skipped))?,
                self.str(&batch.cursor),
                self.str(&batch.internal_ext),
                self.bool(batch.need_ack),
                self.int(batch.fetch_interval),
                self.int(batch.now),
                route_params.into_any(),
                self.str(&batch.push_server),
                self.int(batch.heartbeat_duration),
                self.bool(batch.is_first),
            ],
        )
    }
}
