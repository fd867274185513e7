//! The one error type of the meta-selector: every variant says what was
//! wrong and with which value or file.

use agent_core::CoreError;
use lgbm::LgbError;
use std::path::PathBuf;

/// Errors of the meta-selector agent.
#[derive(Debug, thiserror::Error)]
pub enum MetaSelectorError {
    /// Shared-core errors: bad hyperparameters, shapes, artifacts, metrics.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// LightGBM refused the data or parameters.
    #[error(transparent)]
    LightGbm(#[from] LgbError),
    /// A CSV input (strategy returns, meta table, trade log) is malformed.
    #[error("{path}:{line}: {why}")]
    Csv {
        path: PathBuf,
        /// 1-based line number (the header is line 1); 0 when unknown.
        line: usize,
        why: String,
    },
    /// Not enough rows, windows or trades for what was asked.
    #[error("not enough data: {0}")]
    NotEnoughData(String),
}

impl MetaSelectorError {
    pub(crate) fn csv(path: impl Into<PathBuf>, line: usize, why: impl Into<String>) -> Self {
        MetaSelectorError::Csv {
            path: path.into(),
            line,
            why: why.into(),
        }
    }
}

/// Result alias of the crate.
pub type Result<T, E = MetaSelectorError> = std::result::Result<T, E>;
