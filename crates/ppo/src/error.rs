//! The one error type of the crate. Every variant says what was wrong and
//! with which value or where (file, line, column, zip entry), so a user can
//! fix the input without reading our code.

use agent_core::CoreError;

/// Errors raised by the PPO agent.
#[derive(Debug, thiserror::Error)]
pub enum PpoError {
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
    /// A CSV input is malformed; `line` is 1-based.
    #[error("{source_name}:{line}: {why}")]
    Parse {
        source_name: String,
        line: u64,
        why: String,
    },
    /// Input data that is empty, too short or otherwise unusable.
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// An observation or action does not fit its space.
    #[error("{what}: expected {expected}, got {got}")]
    Space {
        what: &'static str,
        expected: String,
        got: String,
    },
    /// An environment refused a call (e.g. `step` before `reset`).
    #[error("environment: {0}")]
    Env(String),
    /// Training diverged (a loss or a parameter became NaN or infinite).
    #[error("training diverged: {0}")]
    Diverged(String),
    /// `rl_selector.zip` (or another zip) could not be read as a PPO model.
    #[error("{origin}: {why}")]
    Zip { origin: String, why: String },
    /// The burn backend failed (tensor conversion, safetensors).
    #[error("burn: {0}")]
    Burn(String),
}

impl PpoError {
    pub(crate) fn invalid_param(
        name: &'static str,
        value: impl ToString,
        why: &'static str,
    ) -> Self {
        PpoError::InvalidParam {
            name,
            value: value.to_string(),
            why,
        }
    }

    pub(crate) fn zip(origin: &str, why: impl Into<String>) -> Self {
        PpoError::Zip {
            origin: origin.to_string(),
            why: why.into(),
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = PpoError> = std::result::Result<T, E>;
