//! The one error type of the crate. Every variant says what was wrong, with
//! the value or the place (file, line, column), so a user can fix the input
//! without reading our code.

use agent_core::CoreError;

/// Errors raised by the LinUCB agent.
#[derive(Debug, thiserror::Error)]
pub enum LinUcbError {
    /// Errors of the shared core (I/O, artifacts, shapes).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A hyperparameter failed validation.
    #[error("invalid hyperparameter `{name}` = {value}: {why}")]
    InvalidParam {
        name: &'static str,
        value: String,
        why: &'static str,
    },
    /// A context vector has the wrong length.
    #[error("context has {got} values, the model expects {expected} ({what})")]
    ContextLength {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A context value is NaN or infinite.
    #[error("context value {index} is {value}: contexts must be finite")]
    NonFiniteContext { index: usize, value: f64 },
    /// A reward (or pseudo-observation weight) is NaN or infinite.
    #[error("{what} {value} is not a finite number")]
    NonFinite { what: &'static str, value: f64 },
    /// An arm index is outside `0..n_arms`.
    #[error("arm {arm} is out of range: the model has {n_arms} arms")]
    ArmOutOfRange { arm: usize, n_arms: usize },
    /// A regime index is outside `0..n_regimes`.
    #[error("regime {regime} is out of range: the model has {n_regimes} regimes")]
    RegimeOutOfRange { regime: usize, n_regimes: usize },
    /// A strategy (arm) name the model does not know.
    #[error("unknown strategy `{name}`; the model knows {known:?}")]
    UnknownArm { name: String, known: Vec<String> },
    /// A regime name the model does not know.
    #[error("unknown regime `{name}`; the model knows {known:?}")]
    UnknownRegime { name: String, known: Vec<String> },
    /// A CSV input is malformed; `line` and `column` are 1-based.
    #[error("{source_name}:{line}{}: {why}", column_suffix(.column, .column_name))]
    Parse {
        source_name: String,
        line: u64,
        column: Option<usize>,
        column_name: Option<String>,
        why: String,
    },
    /// Input that is empty or otherwise unusable for the operation.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A matrix that must be positive definite is not (corrupted state or input).
    #[error("numerical failure: {0}")]
    Numerical(String),
}

fn column_suffix(column: &Option<usize>, name: &Option<String>) -> String {
    match (column, name) {
        (Some(c), Some(n)) => format!(":{c} (column `{n}`)"),
        (Some(c), None) => format!(":{c}"),
        (None, Some(n)) => format!(" (column `{n}`)"),
        (None, None) => String::new(),
    }
}

impl LinUcbError {
    pub(crate) fn invalid_param(
        name: &'static str,
        value: impl ToString,
        why: &'static str,
    ) -> Self {
        LinUcbError::InvalidParam {
            name,
            value: value.to_string(),
            why,
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = LinUcbError> = std::result::Result<T, E>;
