//! The cointrainer program as a library: the training orchestrator, the
//! command implementations that the `cointrainer` binary wires to its
//! command line, the console menu, the HTTP service, scheduling, the token
//! registry, and the benchmark suite.
//!
//! - [`orchestrator`]: [`orchestrator::Orchestrator`] runs a
//!   [`jobs::JobSpec`] end to end (data, backtest bootstrap, training,
//!   out-of-sample evaluation, artifact + report, publish and promote if not
//!   worse) and implements [`jobs::JobRunner`] for the HTTP service.
//! - [`agents`]: one module per agent behind [`agents::AgentTrainer`].
//! - [`config`]: `cointrainer.toml` with environment overrides.
//! - [`commands`], [`menu`], [`cli`]: the program's commands.
//! - [`schedule`]: cron scheduling with a missed-run policy and no overlap.
//! - [`tokens`]: the token registry and its debounced watcher.

pub mod agents;
pub mod bench;
pub mod bootstrap;
pub mod cli;
pub mod commands;
pub mod config;
pub mod device;
pub mod error;
pub mod jobs;
pub mod market_cmd;
pub mod menu;
pub mod orchestrator;
pub mod promotion;
pub mod schedule;
pub mod server;
pub mod sweep;
pub mod tokens;
pub mod walk_forward;
