#![doc = include_str!("../README.md")]

pub mod error;
pub mod features;
pub mod hyperparams;
pub mod model;
pub mod persist;
pub mod train;

pub use error::{MetaSelectorError, Result};
pub use features::{
    CTX, META_FEATURES, MetaTable, RowMeta, StrategyReturns, TRADE_FEATURES, TRADE_LOG_COLUMNS,
    TRAILING_STATS, Trade, TradeWindows, TrailingStats, max_drawdown, parse_trade_log,
    read_trade_log,
};
pub use hyperparams::{GridParallelism, MetaSelectorParams, MetaSelectorValidParams};
pub use lgbm::{Device, LgbError, TreeParams};
pub use model::{
    GridPointReport, MetaSelector, Selection, SelectionReport, SplitSizes, TrainReport,
};
pub use persist::MODEL_FILE;
pub use train::{Split, selection_report, split};
