//! The Python classes the core builds, looked up once and cached.
//!
//! The classes live in `pytiktoklive.events` and `pytiktoklive.decoding`, which import
//! this native module, so they are imported lazily on the first decode, never at module
//! init. Each class is checked against the field list the builder fills: if the Python
//! side adds, removes or reorders a field, the first decode raises a clear error
//! instead of building half-filled objects.

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyType};

use crate::codec::Method;

/// A frozen, slotted `Record` subclass filled field by field from Rust.
pub struct RecordClass<const N: usize> {
    class: Py<PyType>,
    /// The class's `tp_alloc` (what `object.__new__(cls)` calls for these classes).
    alloc: ffi::allocfunc,
    /// Interned slot names, in `cls._fields` order.
    names: [Py<PyString>; N],
    /// Where each slot lives in an instance, in pointers from its start, when [`slot_offsets`]
    /// found them: then a slot is filled by a pointer store (what the slot descriptor's
    /// `__set__` does) instead of a `setattr` by name.
    offsets: Option<[usize; N]>,
}

/// The offset of every slot of `class` in its instances (in pointers), found by filling a probe
/// instance through the descriptors with `N` distinct objects and looking for them in its
/// memory (`__basicsize__` bytes). `None` when a slot is not found exactly once: then
/// instances are filled by name.
fn slot_offsets<const N: usize>(
    class: &Bound<'_, PyType>,
    alloc: ffi::allocfunc,
    names: &[Py<PyString>; N],
) -> PyResult<Option<[usize; N]>> {
    let py = class.py();
    let basic_size: usize = class.getattr(pyo3::intern!(py, "__basicsize__"))?.extract()?;
    let word = std::mem::size_of::<*mut ffi::PyObject>();
    // SAFETY: `alloc` is the class's own allocator (a new, zero-filled instance or null).
    let probe = unsafe { Bound::from_owned_ptr_or_err(py, alloc(class.as_type_ptr(), 0))? };
    let markers: Vec<Bound<'_, PyAny>> = (0..N)
        .map(|_| py.get_type::<pyo3::types::PyAny>().call0())
        .collect::<PyResult<_>>()?;
    for (name, marker) in names.iter().zip(&markers) {
        // SAFETY: live pointers; the call stores a new reference to `marker` in the slot.
        if unsafe { ffi::PyObject_GenericSetAttr(probe.as_ptr(), name.as_ptr(), marker.as_ptr()) } != 0 {
            return Err(PyErr::fetch(py));
        }
    }
    let mut offsets = [0usize; N];
    for (offset_slot, marker) in offsets.iter_mut().zip(&markers) {
        let mut found = None;
        for index in 0..basic_size / word {
            // SAFETY: `index` pointers are within the instance's `__basicsize__` bytes.
            let stored = unsafe { *probe.as_ptr().cast::<*mut ffi::PyObject>().add(index) };
            if stored == marker.as_ptr() {
                if found.is_some() {
                    return Ok(None);
                }
                found = Some(index);
            }
        }
        match found {
            Some(offset) => *offset_slot = offset,
            None => return Ok(None),
        }
    }
    Ok(Some(offsets))
}

impl<const N: usize> RecordClass<N> {
    fn load(module: &Bound<'_, PyModule>, name: &str, fields: [&str; N]) -> PyResult<Self> {
        let py = module.py();
        let class = module.getattr(name)?.cast_into::<PyType>()?;
        let actual: Vec<String> = class.getattr(pyo3::intern!(py, "_fields"))?.extract()?;
        if actual != fields {
            return Err(PyRuntimeError::new_err(format!(
                "{}.{name} has fields {actual:?}, but the Rust core fills {fields:?}; rebuild the extension",
                module.name()?
            )));
        }
        // SAFETY: `class` is a live type object; `PyType_GetSlot` works on heap types
        // (every Python-defined class) in the stable ABI, and returns null on failure.
        let slot = unsafe { ffi::PyType_GetSlot(class.as_type_ptr(), ffi::Py_tp_alloc) };
        if slot.is_null() {
            return Err(
                PyErr::take(py).unwrap_or_else(|| PyRuntimeError::new_err(format!("{name} has no tp_alloc slot")))
            );
        }
        // SAFETY: the `Py_tp_alloc` slot holds an `allocfunc`.
        let alloc = unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(slot) };
        let names = fields.map(|field| PyString::intern(py, field).unbind());
        let offsets = slot_offsets(&class, alloc, &names)?;
        Ok(Self {
            class: class.unbind(),
            alloc,
            names,
            offsets,
        })
    }

    /// `object.__new__(cls)`, then every slot set with the generic setattr (which goes
    /// around the class's immutable `__setattr__`). `values` are in `_fields` order; the
    /// instance takes over their references.
    #[inline]
    pub fn build<'py>(&self, py: Python<'py>, values: [Bound<'py, PyAny>; N]) -> PyResult<Bound<'py, PyAny>> {
        // SAFETY: `alloc` is the class's own allocator; it returns a new reference to a
        // zero-filled instance (or null with an exception set).
        let object = unsafe { Bound::from_owned_ptr_or_err(py, (self.alloc)(self.class.as_ptr().cast(), 0))? };
        let acyclic = acyclic(&values);
        if let Some(offsets) = &self.offsets {
            for (&offset, value) in offsets.iter().zip(values) {
                // SAFETY: `offset` is a slot of this class's instances (found by
                // `slot_offsets`), still null in a fresh instance; it takes the reference,
                // exactly as the slot descriptor's `__set__` would store one.
                unsafe {
                    *object.as_ptr().cast::<*mut ffi::PyObject>().add(offset) = value.into_ptr();
                }
            }
        } else {
            for (name, value) in self.names.iter().zip(&values) {
                // SAFETY: all three pointers are live; the call borrows them and stores a new
                // reference to `value` in the slot.
                if unsafe { ffi::PyObject_GenericSetAttr(object.as_ptr(), name.as_ptr(), value.as_ptr()) } != 0 {
                    return Err(PyErr::fetch(py));
                }
            }
        }
        if acyclic {
            untrack(&object);
        }
        Ok(object)
    }
}

/// Whether a record or tuple the builder fills with `values` can be taken off the cyclic
/// garbage collector's list ([`untrack`]): when nothing it refers to can lead back to it.
///
/// Why it is safe: the collector exists only to free reference cycles, and an object can be
/// on a cycle only if something on the cycle came to refer to an object made after it, i.e.
/// was changed after it was made. Records and tuples are filled once, here, with objects
/// that already exist, and never change (`Record.__setattr__` raises). Atoms (`str`, `int`,
/// `bool`, `bytes`, `None`) refer to nothing, and the records and tuples made before this
/// one and untracked passed the same test. So the graph under an untracked object is
/// acyclic and reference counting alone frees it. A mutable container could close a cycle
/// later (user code putting the event into the dict of `RoomBannerEvent.data`), so a record
/// holding one stays tracked, and so does every record or tuple above it. Mutable
/// containers are tracked, except an exact `dict` holding only atoms (CPython untracks those
/// and tracks them again when a container is put in): hence the two tests. This is the
/// rule CPython applies to tuples when a collection finds them holding nothing trackable,
/// applied when the object is made instead of at each collection.
///
/// Why: a client holding thousands of buffered events otherwise has the collector walk all
/// of them (and their users, badges and tuples) at every full collection.
///
/// Python 3.9 to 3.13 (and later) behave alike: `PyObject_GC_IsTracked` is in the stable
/// ABI since 3.9 and is false for objects of types the collector does not handle;
/// `PyObject_GC_UnTrack` does nothing to an untracked object (so the dealloc of slotted
/// instances, which calls it, is unaffected). Copies made in Python (`pickle`, `replace`)
/// are ordinary tracked objects.
pub fn acyclic(values: &[Bound<'_, PyAny>]) -> bool {
    let dict = std::ptr::addr_of_mut!(ffi::PyDict_Type);
    let str = std::ptr::addr_of_mut!(ffi::PyUnicode_Type);
    let int = std::ptr::addr_of_mut!(ffi::PyLong_Type);
    values.iter().all(|value| {
        // SAFETY: a live object; the call only reads its GC bookkeeping, and the types are
        // static type objects. `str` and `int` (most values) need no call.
        unsafe {
            let kind = ffi::Py_TYPE(value.as_ptr());
            kind == str || kind == int || (kind != dict && ffi::PyObject_GC_IsTracked(value.as_ptr()) == 0)
        }
    })
}

/// Takes `object` off the cyclic collector's list (see [`acyclic`] for when that is safe).
pub fn untrack(object: &Bound<'_, PyAny>) {
    // SAFETY: a live object; untracking an untracked object does nothing.
    unsafe { ffi::PyObject_GC_UnTrack(object.as_ptr().cast()) };
}

/// The slots of `Event`, which every event class starts with.
macro_rules! event_fields {
    ($($field:literal),* $(,)?) => {
        ["method", "msg_id", "room_id", "create_time", $($field),*]
    };
}

/// Every class and constant the builder needs.
pub struct Classes {
    pub user: RecordClass<9>,
    pub badge: RecordClass<5>,
    pub emote: RecordClass<2>,
    pub top_viewer: RecordClass<3>,
    pub battle_contributor: RecordClass<2>,
    pub battle_group: RecordClass<2>,
    pub battle: RecordClass<2>,
    pub rank_update: RecordClass<4>,
    pub sub_goal: RecordClass<3>,
    pub poll_option: RecordClass<3>,
    pub caption: RecordClass<2>,
    pub skipped: RecordClass<4>,

    pub chat_event: RecordClass<9>,
    pub emote_chat_event: RecordClass<6>,
    pub gift_event: RecordClass<16>,
    pub like_event: RecordClass<9>,
    pub user_event: RecordClass<8>,
    pub viewers_event: RecordClass<7>,
    pub question_event: RecordClass<8>,
    pub control_event: RecordClass<6>,
    pub mic_battle_event: RecordClass<7>,
    pub battles_event: RecordClass<7>,
    pub room_banner_event: RecordClass<6>,
    pub intro_event: RecordClass<8>,
    pub room_event: RecordClass<6>,
    pub envelope_event: RecordClass<11>,
    pub subscribe_event: RecordClass<7>,
    pub rank_update_event: RecordClass<5>,
    pub hourly_rank_event: RecordClass<8>,
    pub goal_update_event: RecordClass<10>,
    pub poll_event: RecordClass<11>,
    pub caption_event: RecordClass<7>,
    pub link_event: RecordClass<7>,
    pub link_layer_event: RecordClass<7>,
    pub room_pin_event: RecordClass<8>,
    pub barrage_event: RecordClass<9>,
    pub im_delete_event: RecordClass<6>,
    pub unauthorized_member_event: RecordClass<7>,
    pub unknown_event: RecordClass<5>,

    pub fetch_result: RecordClass<14>,

    /// `json.loads`, for `RoomBannerEvent.data`.
    pub json_loads: Py<PyAny>,
    /// Interned wire names of the known methods, indexed by `Method as usize`.
    pub methods: Vec<Py<PyString>>,
    /// Interned `UserEvent.event` values: join, follow, share, other.
    pub join: Py<PyString>,
    pub follow: Py<PyString>,
    pub share: Py<PyString>,
    pub other: Py<PyString>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

/// The cached classes; the first call imports them.
pub fn classes(py: Python<'_>) -> PyResult<&'static Classes> {
    CLASSES.get_or_try_init(py, || load(py))
}

#[allow(clippy::too_many_lines)] // a table: one entry per class
fn load(py: Python<'_>) -> PyResult<Classes> {
    let events = PyModule::import(py, "pytiktoklive.events")?;
    let decoding = PyModule::import(py, "pytiktoklive.decoding")?;
    let m = &events;
    let intern = |text: &str| PyString::intern(py, text).unbind();
    Ok(Classes {
        user: RecordClass::load(
            m,
            "User",
            [
                "id",
                "username",
                "nickname",
                "sec_uid",
                "profile_picture",
                "follow_role",
                "follower_count",
                "following_count",
                "badges",
            ],
        )?,
        badge: RecordClass::load(m, "Badge", ["scene_type", "type", "name", "level", "image_url"])?,
        emote: RecordClass::load(m, "Emote", ["id", "image_url"])?,
        top_viewer: RecordClass::load(m, "TopViewer", ["user", "score", "rank"])?,
        battle_contributor: RecordClass::load(m, "BattleContributor", ["user", "score"])?,
        battle_group: RecordClass::load(m, "BattleGroup", ["points", "contributors"])?,
        battle: RecordClass::load(m, "Battle", ["host", "groups"])?,
        rank_update: RecordClass::load(m, "RankUpdate", ["rank_type", "owner_rank", "key", "label"])?,
        sub_goal: RecordClass::load(m, "SubGoal", ["type", "progress", "target"])?,
        poll_option: RecordClass::load(m, "PollOption", ["index", "text", "votes"])?,
        caption: RecordClass::load(m, "Caption", ["language", "text"])?,
        skipped: RecordClass::load(m, "SkippedMessage", ["method", "msg_id", "payload", "reason"])?,

        chat_event: RecordClass::load(
            m,
            "ChatEvent",
            event_fields!["comment", "user", "timestamp", "language", "emotes"],
        )?,
        emote_chat_event: RecordClass::load(m, "EmoteChatEvent", event_fields!["user", "emotes"])?,
        gift_event: RecordClass::load(
            m,
            "GiftEvent",
            event_fields![
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
            ],
        )?,
        like_event: RecordClass::load(
            m,
            "LikeEvent",
            event_fields!["likes", "total_likes", "user", "display_type", "label"],
        )?,
        user_event: RecordClass::load(m, "UserEvent", event_fields!["event", "user", "display_type", "label"])?,
        viewers_event: RecordClass::load(
            m,
            "ViewersEvent",
            event_fields!["viewers", "total_viewers", "top_viewers"],
        )?,
        question_event: RecordClass::load(
            m,
            "QuestionEvent",
            event_fields!["question", "user", "question_id", "timestamp"],
        )?,
        control_event: RecordClass::load(m, "ControlEvent", event_fields!["action", "tips"])?,
        mic_battle_event: RecordClass::load(m, "MicBattleEvent", event_fields!["battle_id", "action", "users"])?,
        battles_event: RecordClass::load(m, "BattlesEvent", event_fields!["status", "battle_id", "battles"])?,
        room_banner_event: RecordClass::load(m, "RoomBannerEvent", event_fields!["data", "json"])?,
        intro_event: RecordClass::load(m, "IntroEvent", event_fields!["id", "title", "user", "language"])?,
        room_event: RecordClass::load(m, "RoomEvent", event_fields!["type", "message"])?,
        envelope_event: RecordClass::load(
            m,
            "EnvelopeEvent",
            event_fields![
                "envelope_id",
                "business_type",
                "sender_name",
                "sender_id",
                "diamond_count",
                "people_count",
                "unpack_at",
            ],
        )?,
        subscribe_event: RecordClass::load(
            m,
            "SubscribeEvent",
            event_fields!["user", "sub_month", "subscribe_type"],
        )?,
        rank_update_event: RecordClass::load(m, "RankUpdateEvent", event_fields!["updates"])?,
        hourly_rank_event: RecordClass::load(m, "HourlyRankEvent", event_fields!["rank_type", "rank", "key", "label"])?,
        goal_update_event: RecordClass::load(
            m,
            "GoalUpdateEvent",
            event_fields![
                "goal_id",
                "description",
                "sub_goals",
                "contributor",
                "contribute_count",
                "contribute_score"
            ],
        )?,
        poll_event: RecordClass::load(
            m,
            "PollEvent",
            event_fields![
                "poll_id",
                "status",
                "title",
                "options",
                "start_time",
                "end_time",
                "operator"
            ],
        )?,
        caption_event: RecordClass::load(m, "CaptionEvent", event_fields!["timestamp", "duration", "captions"])?,
        link_event: RecordClass::load(m, "LinkEvent", event_fields!["message_type", "linker_id", "scene"])?,
        link_layer_event: RecordClass::load(
            m,
            "LinkLayerEvent",
            event_fields!["message_type", "channel_id", "scene"],
        )?,
        room_pin_event: RecordClass::load(
            m,
            "RoomPinEvent",
            event_fields!["pinned_method", "pinned_msg_id", "text", "user"],
        )?,
        barrage_event: RecordClass::load(
            m,
            "BarrageEvent",
            event_fields!["msg_type", "key", "label", "user", "duration"],
        )?,
        im_delete_event: RecordClass::load(m, "ImDeleteEvent", event_fields!["deleted_msg_ids", "deleted_user_ids"])?,
        unauthorized_member_event: RecordClass::load(
            m,
            "UnauthorizedMemberEvent",
            event_fields!["action", "nickname", "label"],
        )?,
        unknown_event: RecordClass::load(m, "UnknownEvent", event_fields!["payload"])?,

        fetch_result: RecordClass::load(
            &decoding,
            "FetchResult",
            [
                "payload_type",
                "log_id",
                "seq_id",
                "events",
                "skipped",
                "cursor",
                "internal_ext",
                "need_ack",
                "fetch_interval",
                "now",
                "route_params",
                "push_server",
                "heartbeat_duration",
                "is_first",
            ],
        )?,

        json_loads: PyModule::import(py, "json")?.getattr("loads")?.unbind(),
        methods: Method::ALL.iter().map(|method| intern(method.wire_name())).collect(),
        join: intern("join"),
        follow: intern("follow"),
        share: intern("share"),
        other: intern("other"),
    })
}
