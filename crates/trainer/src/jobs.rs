//! Training jobs as the program sees them: what to train on which data, and
//! the outcome. The HTTP service, the menu and the scheduler all submit these.

use serde::{Deserialize, Serialize};
use std::path::{Component, Path, PathBuf};

/// Where a job's candles come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
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
    /// A candle CSV sent with the request (the HTTP service's multipart
    /// form): how a job record shows it. The service keeps the file
    /// privately for the job; a JSON request cannot name one.
    Upload { bytes: u64 },
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

/// One training job. Unknown keys are errors (a misspelt `force` must not
/// be ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Agent name, e.g. `linucb`, `signal`, `regime`.
    pub agent: String,
    #[serde(default)]
    pub data: DataSpec,
    /// Agent hyperparameters; validated by the agent before training.
    #[serde(default = "empty_object")]
    pub params: serde_json::Value,
    /// Symbol the model is published under; by default the one the data
    /// is of (see `orchestrator::job_symbol`). Synthetic data always
    /// publishes under `store::SYNTHETIC_SYMBOL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// Promote even when the new model scores worse than the current one
    /// (the same as `promote: "always"`).
    #[serde(default)]
    pub force: bool,
    /// The promotion rule (see `promotion::PromoteRule`); default
    /// `same-slice`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promote: Option<crate::promotion::PromoteRule>,
    /// With candle files of several symbols and no `symbol`: train the
    /// strategy-return agents (linucb, meta-selector, ppo) once per symbol
    /// instead of once on the pooled data of all symbols. Agents that learn
    /// from one price path always train once per symbol.
    #[serde(default)]
    pub per_symbol: bool,
    /// Where the agent trains: `cpu` (default), `cuda[:N]`, `rocm[:N]` or
    /// `wgpu` (see [`crate::device::Device`]); only written when not `cpu`.
    #[serde(default, skip_serializing_if = "crate::device::Device::is_cpu")]
    pub device: crate::device::Device,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
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
    /// Every model the job published, one per symbol (a job over candle
    /// files of several symbols publishes one per symbol).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub published: Vec<PublishedModel>,
}

/// One model a job published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedModel {
    pub symbol: String,
    /// Store key of the artifact.
    pub key: String,
    pub promoted: bool,
    /// Why it was not promoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its out-of-sample metrics.
    pub metrics: serde_json::Value,
}

/// Runs jobs; implemented by the orchestrator. Error texts go to remote
/// clients as they are: they may name files, lines and columns but must
/// never quote a data file's content.
pub trait JobRunner: Send + Sync + 'static {
    /// The agents this build can train.
    fn agents(&self) -> Vec<String>;
    /// Train synchronously, reporting progress in [0, 1]. Runs inside the
    /// job's [`agent_core::cancel`] scope: a cancelled job should stop soon
    /// and must not publish anything.
    fn run(&self, spec: &JobSpec, progress: &(dyn Fn(f64) + Sync)) -> Result<JobOutcome, String>;
    /// Check a job before it is queued (agent, parameter names, data
    /// files), so clients learn about mistakes at once (422).
    fn validate(&self, _spec: &JobSpec) -> Result<(), String> {
        Ok(())
    }
    /// Current models for `GET /models`: `{"models": [...], "errors": [...]}`
    /// (pointers that cannot be read are listed under `errors`); `Err` when
    /// the model store cannot be listed at all.
    fn models(&self) -> Result<serde_json::Value, String> {
        Ok(serde_json::json!({ "models": [], "errors": [] }))
    }
}

/// Most candle files one job may name.
pub const MAX_CSV_FILES: usize = 256;

/// The directories a remote client's job may read candle files from.
///
/// A path is accepted only when, after resolving symlinks and `.`, it is a
/// regular file inside one of the roots; `..` is refused outright. Relative
/// paths are relative to each root in turn. Every refusal reads the same,
/// whether the file is missing, outside the roots or not a regular file, so
/// the answers say nothing about the rest of the server's disk.
#[derive(Debug, Clone, Default)]
pub struct DataRoots {
    dirs: Vec<PathBuf>,
}

impl DataRoots {
    /// Roots are resolved at each lookup, so a directory created after
    /// start-up works.
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        Self { dirs }
    }

    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The real path of `given` inside a root, or `None`.
    pub fn resolve(&self, given: &Path) -> Option<PathBuf> {
        if given.as_os_str().is_empty()
            || given
                .components()
                .any(|c| matches!(c, Component::ParentDir))
        {
            return None;
        }
        self.dirs.iter().find_map(|dir| {
            let root = dir.canonicalize().ok()?;
            let real = root.join(given).canonicalize().ok()?;
            (real.starts_with(&root) && real.is_file()).then_some(real)
        })
    }

    /// `spec` with every candle path replaced by its real path inside a
    /// root; the error names the first path refused.
    pub fn resolve_spec(&self, spec: &DataSpec) -> Result<DataSpec, String> {
        let one = |p: &PathBuf| self.resolve(p).ok_or_else(|| self.refusal(p));
        match spec {
            DataSpec::Synthetic { .. } => Ok(spec.clone()),
            DataSpec::Csv { path } => Ok(DataSpec::Csv { path: one(path)? }),
            DataSpec::CsvFiles { paths } => {
                if paths.len() > MAX_CSV_FILES {
                    return Err(format!(
                        "data.csv_files names {} files; at most {MAX_CSV_FILES} are allowed",
                        paths.len()
                    ));
                }
                Ok(DataSpec::CsvFiles {
                    paths: paths.iter().map(one).collect::<Result<_, _>>()?,
                })
            }
            DataSpec::Upload { .. } => Err(
                "data.upload is how a job record shows a file sent as multipart/form-data; \
                 a JSON request names files with data.csv or data.csv_files"
                    .into(),
            ),
        }
    }

    fn refusal(&self, given: &Path) -> String {
        let shown = given.display().to_string();
        let shown = if shown.chars().count() > 200 {
            format!("{}...", shown.chars().take(200).collect::<String>())
        } else {
            shown
        };
        if self.dirs.is_empty() {
            return format!(
                "candle file `{shown}` is not available: this service reads no candle files \
                 (no data directory is configured); upload the CSV as multipart/form-data instead"
            );
        }
        format!(
            "candle file `{shown}` is not available: name a file inside the service's data \
             directory (relative to it; `..` is not allowed)"
        )
    }
}
