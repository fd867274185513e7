//! The one error type of the signal agent. Every variant says what was wrong
//! and where (field, row, line, column), so a user can fix the input without
//! reading this crate.

use agent_core::CoreError;

/// Errors of the signal agent.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    /// Shared-core failures: shapes, I/O, artifacts, feature mismatches, ...
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A hyperparameter failed validation.
    #[error("invalid hyperparameter `{name}` = {value}: {why}")]
    InvalidParam {
        name: &'static str,
        value: String,
        why: &'static str,
    },
    /// Training or prediction data that cannot be used as given.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// The training rows hold a single class: a logistic regression (and its
    /// ROC-AUC) needs both.
    #[error("{what} contains only class {class}: a classifier needs both classes")]
    SingleClass { what: String, class: u8 },
    /// A CSV input (trade log, feature table) is malformed; `line` is 1-based
    /// and counts the header.
    #[error("{source_name}: line {line}, column `{column}`: {why}")]
    Csv {
        source_name: String,
        line: u64,
        column: String,
        why: String,
    },
}

impl SignalError {
    pub(crate) fn invalid_param(
        name: &'static str,
        value: impl ToString,
        why: &'static str,
    ) -> Self {
        SignalError::InvalidParam {
            name,
            value: value.to_string(),
            why,
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = SignalError> = std::result::Result<T, E>;
