//! The cointrainer program as a library: command implementations that the
//! `cointrainer` binary wires to its command line, the HTTP service, and the
//! benchmark suite.

pub mod bench;
pub mod cli;
pub mod jobs;
pub mod market_cmd;
pub mod server;
