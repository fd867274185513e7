#![doc = include_str!("../README.md")]
//!
//! # Modules
//! - [`candles`]: the [`Candles`] struct of arrays, interval and gap facts.
//! - [`io`]: fast, strict candle CSV reading and atomic writing.
//! - [`resample`](mod@resample): aggregation to coarser intervals.
//! - [`features`]: the T0 feature set of `shared/bench/SPEC.md` and its
//!   rolling building blocks.
//! - [`synthetic`]: a seeded regime-switching market for tests and demos.
//! - [`error`]: [`MarketError`], which names file, line and column.
//!
//! This crate owns market data and features only; it knows nothing about
//! models, agents or trading decisions.

pub mod candles;
pub mod error;
pub mod features;
pub mod io;
pub mod resample;
pub mod synthetic;

pub use candles::{Candles, Gap, format_interval, format_ts_utc};
pub use error::{MarketError, Result};
pub use features::{FEATURES, FeatureStream, FeatureTable, Target, feature_matrix, t0_features};
pub use io::{parse_candles, read_candles, read_candles_from, symbol_of, write_candles};
pub use resample::{resample, resample_with_counts};
pub use synthetic::{Regime, SyntheticMarket, SyntheticRun, SyntheticSummary};
