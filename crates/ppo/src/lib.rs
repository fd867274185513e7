#![doc = include_str!("../README.md")]
//!
//! ## Modules
//! - [`mod@env`]: the Gym-style [`Env`] trait, [`VecEnv`], the strategy-selection
//!   environment of SPEC T4 and two small test problems.
//! - [`hyperparams`]: [`PpoParams`] with stable-baselines3's defaults and
//!   options, checked into [`PpoValidParams`].
//! - [`train`]: the training loop ([`PpoValidParams::learn`]) and the
//!   strategy-selector fit with out-of-sample evaluation.
//! - [`policy`]: the actor-critic (flat weights, burn module, native
//!   forward/backward), [`loss`]: GAE and the PPO loss.
//! - [`model`] / [`persist`]: [`PpoModel`] and `rl_selector.zip`.
//! - [`log`]: per-update logs, CSV/PNG curves, a terminal progress bar.
//! - [`backend`]: burn backends for the burn update engine.

pub mod backend;
pub mod env;
pub mod error;
pub mod hyperparams;
pub mod linalg;
pub mod log;
pub mod loss;
pub mod model;
pub mod normalize;
pub mod persist;
pub mod policy;
pub mod train;

#[cfg(test)]
mod tests_sb3;

pub use backend::Backend;
pub use env::{
    Action, CartPole, ContextualBandit, Env, EpisodeStart, Info, Space, Step, StrategyData,
    StrategyEnv, StrategyEnvConfig, StrategyEnvRecord, VecActions, VecEnv,
};
pub use error::{PpoError, Result};
pub use hyperparams::{
    Activation, Engine, NetArch, PpoParams, PpoValidParams, Schedule, ValueLoss,
};
pub use log::{EpisodeLog, TerminalProgress, TrainingLog, UpdateLog};
pub use model::{OwnedAction, PpoModel, TrainingSummary};
pub use normalize::ObsNormalizer;
pub use persist::{ZIP_FILE_NAME, ZIP_FORMAT, ZIP_FORMAT_VERSION};
pub use train::StrategyReport;

// Re-exported so users need no direct dependency for the common calls.
pub use agent_core::{Fit, ParamGuard, Persist};
