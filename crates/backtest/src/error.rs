//! The one error type of the crate. Parameter errors name the field and the
//! value; file errors name the file, the 1-based line and the column.

use std::path::PathBuf;

/// Everything that can go wrong while configuring or running a backtest, or
/// reading and writing its outputs.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// A parameter of the simulator, a strategy or a window layout is out of range.
    #[error("invalid parameter `{name}` = {value}: {why}")]
    InvalidParam {
        name: &'static str,
        value: String,
        why: &'static str,
    },
    /// The input data cannot be used (too short, misaligned, malformed).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A CSV output of this crate could not be parsed back.
    #[error("{file} line {line}, column \"{column}\": {why}")]
    Csv {
        file: String,
        line: usize,
        column: String,
        why: String,
    },
    /// Reading a file failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An error from `agent-core` (atomic writes, ...).
    #[error(transparent)]
    Core(#[from] agent_core::CoreError),
    /// A trained agent plugged into a strategy refused its inputs (e.g. a
    /// model trained on other feature columns).
    #[error("agent `{agent}`: {why}")]
    Agent { agent: &'static str, why: String },
    /// An error from `market` (candle validation, resampling, ...).
    #[error(transparent)]
    Market(#[from] market::MarketError),
}

impl BacktestError {
    /// Shorthand for an invalid parameter.
    pub fn invalid_param(name: &'static str, value: impl ToString, why: &'static str) -> Self {
        BacktestError::InvalidParam {
            name,
            value: value.to_string(),
            why,
        }
    }

    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BacktestError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = BacktestError> = std::result::Result<T, E>;
