//! The error type shared by the core: every variant names what was wrong and
//! with which value, so a user can fix the input without reading our code.

use std::path::PathBuf;

/// Errors raised by `agent-core`. Agent crates wrap it in their own enum.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A hyperparameter failed validation.
    #[error("invalid hyperparameter `{name}` = {value}: {why}")]
    InvalidParam {
        name: &'static str,
        value: String,
        why: &'static str,
    },
    /// Arrays whose lengths or shapes must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    Shape {
        what: &'static str,
        expected: String,
        got: String,
    },
    /// Input that is empty, degenerate or otherwise unusable for the operation.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A metric is undefined on this input (e.g. ROC-AUC with one class).
    #[error("metric {metric} is undefined: {why}")]
    UndefinedMetric { metric: &'static str, why: String },
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A JSON document (manifest, export) could not be read or written.
    #[error("JSON error in {what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// An artifact was written by a different format version than this build reads.
    #[error(
        "artifact {path} has format version {found} for agent `{agent}`, this build reads version {expected}"
    )]
    FormatVersion {
        path: PathBuf,
        agent: String,
        found: u32,
        expected: u32,
    },
    /// An artifact belongs to another agent.
    #[error("artifact {path} holds agent `{found}`, expected `{expected}`")]
    WrongAgent {
        path: PathBuf,
        found: String,
        expected: String,
    },
    /// A file of an artifact does not match the checksum its manifest records.
    #[error("checksum mismatch for {file}: manifest says sha256 {expected}, file has {actual}")]
    Checksum {
        file: PathBuf,
        expected: String,
        actual: String,
    },
    /// An artifact lacks a file the agent needs, or the manifest does not list it.
    #[error("artifact {path} is missing file `{file}`")]
    MissingFile { path: PathBuf, file: String },
    /// An artifact's content is malformed.
    #[error("malformed artifact {path}: {why}")]
    Malformed { path: PathBuf, why: String },
    /// A model was trained on other features than the ones offered now.
    #[error("feature mismatch: model expects {expected:?}, input has {got:?}")]
    FeatureMismatch {
        expected: Vec<String>,
        got: Vec<String>,
    },
    /// The work was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
}

impl CoreError {
    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for an invalid hyperparameter.
    pub fn invalid_param(name: &'static str, value: impl ToString, why: &'static str) -> Self {
        CoreError::InvalidParam {
            name,
            value: value.to_string(),
            why,
        }
    }
}

/// Result alias for the core.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
