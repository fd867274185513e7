//! The inference side for trading bots: load trained agents (from an
//! artifact directory or a registry's `LATEST.json`), check them against
//! the live feature code, hot-swap newly promoted models, and answer per bar
//! from a rolling candle buffer.
//!
//! - [`CandleBuffer`]: the last N candles and the T0 feature row of the
//!   newest, computed by `market::feature_matrix` (training's code path).
//! - [`LiveModel`], [`load_dir`], [`load_latest`]: verified loading
//!   (checksums, agent, format version by `agent_core::Persist`; where the
//!   training data came from: synthetic models are refused unless a
//!   [`Loader`] allows them; feature names and order, label order here).
//! - [`ModelSlot`]: the serving model, swapped atomically by
//!   [`ModelSlot::refresh`] or a background [`Refresher`]; a model that fails
//!   validation is refused and the old one keeps serving.
//! - One wrapper per agent, each behind its facade feature: [`LiveRegime`]
//!   (with the embedded fallback), [`LiveSignal`], [`LiveLinUcb`],
//!   [`LiveMetaSelector`], [`LivePpo`], [`LiveLstm`], [`LiveOu`].
//!
//! See `docs/inference.md` for a walk-through and measured latencies.

pub mod error;
pub mod features;
pub mod load;
pub mod slot;

#[cfg(feature = "linucb")]
pub mod linucb;
#[cfg(feature = "lstm")]
pub mod lstm;
#[cfg(feature = "meta-selector")]
pub mod meta;
#[cfg(feature = "ou-mean")]
pub mod ou;
#[cfg(feature = "ppo")]
pub mod ppo;
#[cfg(feature = "regime")]
pub mod regime;
#[cfg(feature = "signal")]
pub mod signal;

pub use error::LiveError;
pub use features::{
    Bar, CandleBuffer, DEFAULT_CAPACITY, LIVE_FEATURES, MIN_CAPACITY, check_t0_order, t0_columns,
};
pub use load::{LiveModel, Loader, check_pointer, load_bytes, load_dir, load_latest, load_pointer};
pub use slot::{ModelSlot, Origin, RefreshOutcome, Refresher, Served};
pub use store::{
    ArtifactStore, LatestPointer, LocalStore, ModelRegistry, PromotePolicy, SYNTHETIC_SYMBOL,
};

#[cfg(feature = "linucb")]
pub use self::linucb::{ArmChoice, LiveLinUcb};
#[cfg(feature = "lstm")]
pub use self::lstm::{LiveLstm, LstmMode};
#[cfg(feature = "meta-selector")]
pub use self::meta::{LiveMetaSelector, Ranked};
#[cfg(feature = "ou-mean")]
pub use self::ou::LiveOu;
#[cfg(feature = "ppo")]
pub use self::ppo::{LivePpo, ObsLayout, PpoChoice};
#[cfg(feature = "regime")]
pub use self::regime::{LiveRegime, RegimeCall};
#[cfg(feature = "signal")]
pub use self::signal::{LiveSignal, SignalCall};
