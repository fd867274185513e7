//! T6 of SPEC.md: its agent has not landed yet; reports itself as skipped.

use super::{BenchContext, BenchError};
use serde_json::{Map, Value};

pub fn run(_ctx: &BenchContext) -> Result<Map<String, Value>, BenchError> {
    super::skipped("T6", "the agent for this task has not landed yet")
}
