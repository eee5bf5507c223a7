//! `_core.RecentIds`: a room's duplicate filter ([`crate::dedup`]) for the Python protocol.
//!
//! The protocol asks once per batch ([`PyRecentIds::admit`]), not once per event: the
//! pure-Python filter took ~2.4 µs an id, a tenth of a busy room's whole cost per event.

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyList};

use crate::dedup::{RecentIds, MAX_CAPACITY};

/// `msg_id & (2**64 - 1)`, as the pure-Python filter keys ids (negative ids wrap around).
fn key(msg_id: &Bound<'_, PyAny>) -> PyResult<u64> {
    if let Ok(signed) = msg_id.extract::<i64>() {
        return Ok(signed as u64);
    }
    if let Ok(unsigned) = msg_id.extract::<u64>() {
        return Ok(unsigned);
    }
    // Beyond 64 bits either way: keep the low 64 bits, as `& (2**64 - 1)` does.
    let mask = PyInt::new(msg_id.py(), u64::MAX);
    msg_id
        .call_method1(intern!(msg_id.py(), "__and__"), (mask,))?
        .extract::<u64>()
}

/// The last ``capacity`` message ids seen (0, "no id", is never remembered).
#[pyclass(module = "pytiktoklive._core", name = "RecentIds")]
pub struct PyRecentIds {
    ids: RecentIds,
}

#[pymethods]
impl PyRecentIds {
    #[new]
    #[pyo3(signature = (capacity, /))]
    fn new(capacity: i64) -> PyResult<Self> {
        let capacity = usize::try_from(capacity)
            .ok()
            .filter(|&capacity| capacity >= 1)
            .ok_or_else(|| PyValueError::new_err("capacity must be at least 1"))?;
        if capacity > MAX_CAPACITY {
            return Err(PyValueError::new_err(format!(
                "capacity must be at most {MAX_CAPACITY}"
            )));
        }
        Ok(Self {
            ids: RecentIds::new(capacity),
        })
    }

    /// Remember ``msg_id``; False if it was already remembered.
    fn add(&mut self, msg_id: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.ids.add(key(msg_id)?))
    }

    /// The events of ``events`` whose ``msg_id`` is 0 or not yet remembered, in order; their
    /// ids are remembered.
    fn admit<'py>(&mut self, events: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = events.py();
        let name = intern!(py, "msg_id");
        let fresh = PyList::empty(py);
        for event in events.try_iter()? {
            let event = event?;
            if self.ids.add(key(&event.getattr(name)?)?) {
                fresh.append(event)?;
            }
        }
        Ok(fresh)
    }

    fn __contains__(&self, msg_id: &Bound<'_, PyAny>) -> bool {
        msg_id.is_instance_of::<PyInt>() && key(msg_id).is_ok_and(|id| self.ids.contains(id))
    }

    fn __len__(&self) -> usize {
        self.ids.len()
    }

    /// The object and the heap it holds, in bytes (``sys.getsizeof``).
    fn __sizeof__(&self) -> usize {
        std::mem::size_of::<Self>() + self.ids.heap_bytes()
    }

    #[getter]
    fn capacity(&self) -> usize {
        self.ids.capacity()
    }
}
