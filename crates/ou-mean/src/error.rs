//! The one error type of the crate: every variant names what was wrong and
//! with which value.

use agent_core::CoreError;

/// Errors of the mean-reversion agent.
#[derive(Debug, thiserror::Error)]
pub enum OuMeanError {
    /// Shared-core failures: artifacts, I/O, manifests, grid search.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A hyperparameter or option failed validation.
    #[error("invalid parameter `{name}` = {value}: {why}")]
    InvalidParam {
        name: &'static str,
        value: String,
        why: String,
    },
    /// A series too short for the requested computation.
    #[error("{what} needs at least {needed} observations, got {got}")]
    TooShort {
        what: &'static str,
        needed: usize,
        got: usize,
    },
    /// Input that cannot be used (non-finite, non-positive prices, constant series...).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A regression whose design matrix is rank deficient.
    #[error("singular design in {what}: column {column} is collinear with the ones before it")]
    Singular { what: &'static str, column: usize },
}

impl OuMeanError {
    pub(crate) fn param(name: &'static str, value: impl ToString, why: impl Into<String>) -> Self {
        OuMeanError::InvalidParam {
            name,
            value: value.to_string(),
            why: why.into(),
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = OuMeanError> = std::result::Result<T, E>;

/// Reject NaN and infinities with the index of the first offender.
pub(crate) fn check_finite(what: &str, x: &[f64]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(OuMeanError::InvalidData(format!(
            "{what} has a non-finite value {} at index {i}",
            x[i]
        ))),
    }
}
