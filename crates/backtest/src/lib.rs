#![doc = include_str!("../README.md")]
//!
//! # Modules
//! - [`strategy`]: the [`Strategy`] trait, [`Position`] / [`Side`], and
//!   [`target_positions`] (a strategy without the simulator).
//! - [`view`]: [`BarView`], the only window a strategy has on the data.
//! - [`strategies`]: the shipped strategies and the agent hooks.
//! - [`engine`]: the simulator ([`Backtest`]) and its report.
//! - [`regime`]: regime-at-entry labelling ([`RegimeLabeler`]).
//! - [`returns`]: per-window strategy returns in the SPEC T2 layout.
//! - [`walk_forward`](mod@walk_forward): rolling train/test evaluation.
//! - [`agents`]: trained `ou-mean` / `lstm` / `regime` / `signal` models as
//!   strategy hooks (features of the same names).
//! - [`io`]: the CSV outputs (trade log, `strategy_pnl.csv`, equity curves).
//!
//! This crate owns simulated trading only: it reads candles from `market`
//! and, without its `ou-mean` / `lstm` / `regime` / `signal` features, knows no agent; agents plug in through [`MeanReversionScorer`],
//! [`SequencePredictor`] and [`RegimeLabeler`].

pub mod agents;
pub mod engine;
pub mod error;
pub mod hyperparams;
pub mod indicators;
pub mod io;
pub mod regime;
pub mod report;
pub mod returns;
pub mod strategies;
pub mod strategy;
pub mod view;
pub mod walk_forward;

pub use engine::{Backtest, BacktestReport, Instrument};
pub use error::{BacktestError, Result};
pub use hyperparams::{Allocation, BacktestParams, BacktestValidParams};
pub use io::{
    SERIES_STRATEGY_PNL_COLUMNS, STRATEGY_PNL_COLUMNS, TRADE_COLUMNS, read_strategy_pnl,
    read_trades, write_equity, write_strategy_pnl, write_strategy_pnl_by_series, write_trades,
};
pub use regime::{FittedRegime, RegimeLabeler, VolTercileLabeler, VolTerciles};
pub use report::{EquityCurve, ExitReason, StrategyPnl, StrategySummary, Trade, strategy_pnl};
pub use returns::{
    CTX, StrategyReturns, WindowSpec, bar_returns, pooled_cut_ts, spec_t2_strategy_returns,
};
pub use strategies::{
    BuyHold, DonchianBreakout, LSTM_FEATURES, LstmStrategy, MaKind, MeanReversionScorer, Momentum,
    OuMeanReversion, RsiReversal, SequencePredictor, SmaCross, ZScoreReversion, spec_t2_strategies,
};
pub use strategy::{Position, Side, Strategy, target_positions, target_positions_mtf};
pub use view::BarView;
pub use walk_forward::{StrategyGrid, WalkForwardReport, WalkWindow, WindowResult, walk_forward};
