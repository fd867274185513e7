#![doc = include_str!("../README.md")]
//! The facade: one Cargo feature per agent, so a trading bot pulls in only
//! the agents it uses.

pub use agent_core as core;
pub use market;
pub use store;

pub mod live;
pub use live::{CandleBuffer, LiveError, LiveModel, ModelSlot, Origin};

#[cfg(feature = "signal")]
pub use signal;

#[cfg(feature = "meta-selector")]
pub use meta_selector;

#[cfg(feature = "regime")]
pub use regime;

#[cfg(feature = "ppo")]
pub use ppo;

#[cfg(feature = "linucb")]
pub use linucb;

#[cfg(feature = "lstm")]
pub use lstm;

#[cfg(feature = "ou-mean")]
pub use ou_mean;
