//! Codec errors as Python exceptions: every [`codec::DecodeError`] becomes
//! `pytiktoklive.errors.DecodeError` (a `ValueError`), with the codec's message.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::codec;

static DECODE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The Python exception for `error`. `pytiktoklive.errors` imports nothing native, so it
/// can be imported lazily here; if even that fails, its import error is raised instead.
pub fn to_py(py: Python<'_>, error: &codec::DecodeError) -> PyErr {
    match DECODE_ERROR.import(py, "pytiktoklive.errors", "DecodeError") {
        Ok(class) => PyErr::from_type(class.clone(), error.to_string()),
        Err(import_error) => import_error,
    }
}
