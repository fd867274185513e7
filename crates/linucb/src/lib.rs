#![doc = include_str!("../README.md")]
//!
//! ## Modules
//! - [`disjoint`] / [`hybrid`]: the two LinUCB algorithms of Li et al. (2010)
//!   over raw context vectors, allocation-free per decision.
//! - [`model`]: [`LinUcb`], the strategy selector with named strategies,
//!   regimes and features (one bandit per regime or the regime as context).
//! - [`data`] / [`io`]: training data and the CSV layouts.
//! - [`replay`]: offline evaluation by replay.
//! - [`persist`]: `.npy` artifacts with a checked manifest, and base64 blobs.
//! - [`linalg`]: the small dense kernels.

pub mod data;
pub mod disjoint;
pub mod error;
pub mod hybrid;
pub mod hyperparams;
pub mod io;
pub mod linalg;
pub mod model;
pub mod persist;
pub mod replay;
mod simd;

pub use data::{AggregateRow, AggregateTable, BanditData, Feedback};
pub use disjoint::{DisjointLinUcb, DisjointParts};
pub use error::{LinUcbError, Result};
pub use hybrid::{HybridLinUcb, HybridParts};
pub use hyperparams::{FullFeedbackFit, LinUcbParams, LinUcbValidParams, RegimeMode, Variant};
pub use io::{
    TrainingFile, read_strategy_pnl, read_strategy_returns, read_trade_log, read_training_file,
};
pub use model::{Learn, LinUcb};
pub use replay::{RegimeReplay, ReplayReport};

// Re-exported so users need no direct dependency for the common calls.
pub use agent_core::{Fit, ParamGuard, Persist};
