//! The cointrainer program as a library: command implementations that the
//! `cointrainer` binary wires to its command line, and the benchmark suite.

pub mod bench;
pub mod cli;
pub mod market_cmd;
