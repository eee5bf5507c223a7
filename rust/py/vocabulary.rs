//! Text that repeats across events, made into a Python string once per process.
//!
//! Badge names and images, display types and labels, gift names, languages: a busy room's
//! frames carry a few dozen distinct values of these in thousands of events (a badge's
//! three strings alone are a quarter of all the strings a frame builds). Looking each up
//! here costs less than building a `str` and freeing it later, and buffered events then
//! share one string per value instead of holding copies.
//!
//! Bounded: only texts up to [`MAX_LEN`] bytes are kept, at most [`MAX_WORDS`] of them;
//! when full the table is emptied and refilled with what comes next (a stream of ever new
//! labels costs a lookup each, never memory). One table per process behind a mutex that a
//! decode holds while it builds its objects; a decode that finds it held (another thread,
//! or a finalizer decoding while a decode builds) builds plain strings instead of waiting.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, TryLockError};

use pyo3::prelude::*;
use pyo3::types::PyString;

/// Longest text kept, in bytes.
pub const MAX_LEN: usize = 256;
/// Most texts kept.
pub const MAX_WORDS: usize = 4096;

type Words = HashMap<Box<str>, Py<PyString>>;

static VOCABULARY: Mutex<Option<Words>> = Mutex::new(None);

/// The process's table, held for the lifetime of one decode's object building.
pub struct Vocabulary {
    words: Option<MutexGuard<'static, Option<Words>>>,
}

impl Vocabulary {
    /// The table, or an empty stand-in when another decode holds it.
    pub fn acquire() -> Self {
        let words = match VOCABULARY.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        };
        Self { words }
    }

    /// `text` as a Python string, shared with every other event that holds the same text.
    pub fn word<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        let Some(guard) = self.words.as_mut() else {
            return PyString::new(py, text);
        };
        if text.is_empty() || text.len() > MAX_LEN {
            return PyString::new(py, text);
        }
        let words = guard.get_or_insert_with(HashMap::new);
        if let Some(word) = words.get(text) {
            return word.bind(py).clone();
        }
        if words.len() >= MAX_WORDS {
            words.clear();
        }
        let word = PyString::new(py, text);
        words.insert(Box::from(text), word.clone().unbind());
        word
    }
}
