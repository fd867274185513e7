//! Errors of the program's library: each names what went wrong and where.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("unknown agent `{name}`; this build trains: {known}")]
    UnknownAgent { name: String, known: String },
    #[error("{agent}: bad parameters: {why}")]
    Params { agent: String, why: String },
    #[error("data: {0}")]
    Data(String),
    #[error("{agent}: {why}")]
    Agent { agent: String, why: String },
    #[error("backtest: {0}")]
    Backtest(#[from] backtest::BacktestError),
    #[error("market data: {0}")]
    Market(#[from] market::MarketError),
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Core(#[from] agent_core::CoreError),
    #[error("config: {0}")]
    Config(String),
}

impl TrainError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.into(),
            source,
        }
    }
}
