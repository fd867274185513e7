//! Training jobs as the program sees them: what to train on which data, and
//! the outcome. The HTTP service, the menu and the scheduler all submit these.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where a job's candles come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSpec {
    /// The embedded synthetic market.
    Synthetic {
        #[serde(default = "default_seed")]
        seed: u64,
        #[serde(default = "default_bars")]
        bars: usize,
    },
    /// A candle CSV on the server's disk.
    Csv { path: PathBuf },
    /// Several candle CSVs (one symbol each, named by the file stem). Agents
    /// that learn from one price path use the first; `regime` and the
    /// backtest bootstrap use all of them.
    CsvFiles { paths: Vec<PathBuf> },
}

fn default_seed() -> u64 {
    42
}

fn default_bars() -> usize {
    20_000
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec::Synthetic {
            seed: default_seed(),
            bars: default_bars(),
        }
    }
}

/// One training job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Agent name, e.g. `linucb`, `signal`, `regime`.
    pub agent: String,
    #[serde(default)]
    pub data: DataSpec,
    /// Agent hyperparameters; validated by the agent before training.
    #[serde(default = "empty_object")]
    pub params: serde_json::Value,
    /// Symbol the model is published under.
    #[serde(default = "default_symbol")]
    pub symbol: String,
    /// Promote even when the new model scores worse than the current one.
    #[serde(default)]
    pub force: bool,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

fn default_symbol() -> String {
    "GLOBAL".to_string()
}

/// What a finished job produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOutcome {
    /// Out-of-sample metrics.
    pub metrics: serde_json::Value,
    /// Where the artifact was stored.
    pub artifact: Option<String>,
    /// Whether it became the current model.
    pub promoted: bool,
    pub message: String,
}

/// Runs jobs; implemented by the orchestrator.
pub trait JobRunner: Send + Sync + 'static {
    /// The agents this build can train.
    fn agents(&self) -> Vec<String>;
    /// Train synchronously, reporting progress in [0, 1].
    fn run(&self, spec: &JobSpec, progress: &(dyn Fn(f64) + Sync)) -> Result<JobOutcome, String>;
    /// Check a job before it is queued (agent, parameter names, data
    /// files), so clients learn about mistakes at once (422).
    fn validate(&self, _spec: &JobSpec) -> Result<(), String> {
        Ok(())
    }
    /// Current models as JSON (for `GET /models`).
    fn models(&self) -> serde_json::Value {
        serde_json::json!([])
    }
}
