//! The one error type of the regime agent: every variant says what was wrong
//! and with which value, file or source.

use agent_core::CoreError;
use lgbm::LgbError;
use market::MarketError;

/// Errors of the regime agent.
#[derive(Debug, thiserror::Error)]
pub enum RegimeError {
    /// Shared-core errors: bad hyperparameters, shapes, artifacts, metrics.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Candle or feature-table problems.
    #[error(transparent)]
    Market(#[from] MarketError),
    /// LightGBM refused the data or parameters.
    #[error(transparent)]
    LightGbm(#[from] LgbError),
    /// Not enough rows, pairs or bars for what was asked.
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    /// A model source failed or delivered an unusable model.
    #[error("model source `{source_name}`: {why}")]
    Source { source_name: String, why: String },
}

/// Result alias of the crate.
pub type Result<T, E = RegimeError> = std::result::Result<T, E>;
