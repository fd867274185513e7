//! The crate's one error type.

use agent_core::CoreError;

/// Everything that can go wrong in `lstm`.
#[derive(Debug, thiserror::Error)]
pub enum LstmError {
    /// Invalid hyperparameter, shape, I/O or artifact problem from the core.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Input rows are fewer than the model's window.
    #[error("need at least {needed} rows for one window of {window} steps, got {got}")]
    TooShort {
        needed: usize,
        window: usize,
        got: usize,
    },
    /// A value that must be finite is not (row and column of the input).
    #[error("non-finite value: {0}")]
    NonFinite(String),
    /// A classification target is not a class index.
    #[error("target at row {row} is {value}, expected a class index in 0..{n_classes}")]
    BadClass {
        row: usize,
        value: f64,
        n_classes: usize,
    },
    /// A sequence handed to inference does not have the model's window length.
    #[error("the model was trained on windows of {expected} steps, got {got}")]
    WindowMismatch { expected: usize, got: usize },
    /// Weights from another framework could not be imported.
    #[error("cannot import weights: {0}")]
    Import(String),
    /// The burn path failed (device, record or tensor error).
    #[error("burn: {0}")]
    Burn(String),
    /// Training diverged (loss became NaN or infinite).
    #[error("training diverged at epoch {epoch}: loss is {loss}")]
    Diverged { epoch: usize, loss: f64 },
}

/// Result alias for the crate.
pub type Result<T, E = LstmError> = std::result::Result<T, E>;
