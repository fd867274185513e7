//! The config file `cointrainer.toml` and its environment overrides.
//!
//! Found at `--config PATH`, else `$COINTRAINER_CONFIG`, else
//! `./cointrainer.toml`; a missing file (when not named explicitly) means
//! all defaults, so every command works with zero configuration. Unknown
//! keys are errors, and every error names the file, line, column and key.
//!
//! Environment overrides (applied after the file):
//! `COINTRAINER_STORE_DIR`, `COINTRAINER_REPORTS_DIR`, `COINTRAINER_DATA_DIR`,
//! `COINTRAINER_ADDR`, `COINTRAINER_TOKENS_FILE`; the server's bearer token
//! is read from the variable named by `server.token_env`
//! (`COINTRAINER_TOKEN` by default), an optional read-only token from
//! `server.read_token_env` (`COINTRAINER_READ_TOKEN`), never from the file.

use crate::error::TrainError;
use crate::jobs::DataSpec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const DEFAULT_FILE: &str = "cointrainer.toml";

/// The whole config file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub store: StoreConfig,
    pub data: DataConfig,
    pub schedule: ScheduleConfig,
    /// `[agents.<name>]`: parameters per agent (see `docs/cli.md`).
    pub agents: BTreeMap<String, toml::Table>,
    pub server: ServerSection,
    pub tokens: TokensConfig,
    /// `[sweep]`: the trainings and walk-forward folds `sweep plan` cuts
    /// into shards (see `docs/distributed.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<crate::sweep::SweepConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    #[default]
    Local,
    S3,
    Supabase,
}

/// `[store]`: where models and reports live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub kind: StoreKind,
    /// Local store root (and the cache directory of remote stores).
    pub dir: PathBuf,
    /// Training reports (metrics.json, plots, bootstrap files).
    pub reports_dir: PathBuf,
    /// Remote stores: bucket name.
    pub bucket: Option<String>,
    /// Remote stores: endpoint URL (S3-compatible servers, Supabase project URL).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Remote stores: key prefix inside the bucket.
    pub prefix: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            kind: StoreKind::Local,
            dir: PathBuf::from("cointrainer-data/models"),
            reports_dir: PathBuf::from("cointrainer-data/reports"),
            bucket: None,
            endpoint: None,
            region: None,
            prefix: None,
        }
    }
}

/// `[data]`: what `train` uses when no `--data` is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Candle CSVs; when empty, the CSVs of `candles_dir`; when that is
    /// not set either, the synthetic market.
    pub files: Vec<PathBuf>,
    /// Directory of candle CSVs (the token registry watches it).
    pub candles_dir: Option<PathBuf>,
    pub synthetic_seed: u64,
    pub synthetic_bars: usize,
    /// Symbol models of real data are published under when a job names
    /// none; by default the one symbol the candle files are of. Synthetic
    /// runs always publish under `store::SYNTHETIC_SYMBOL`.
    pub symbol: Option<String>,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            candles_dir: None,
            synthetic_seed: 42,
            synthetic_bars: 20_000,
            symbol: None,
        }
    }
}

impl DataConfig {
    /// The data of a job with no `--data`: `files`, else every CSV of
    /// `candles_dir` (none there is an error when the job loads them, not
    /// a silent switch to generated prices), else the synthetic market.
    pub fn spec(&self) -> DataSpec {
        if !self.files.is_empty() {
            return DataSpec::CsvFiles {
                paths: self.files.clone(),
            };
        }
        match &self.candles_dir {
            Some(dir) => DataSpec::CsvFiles {
                paths: crate::tokens::TokenSource::CandleDir(dir.clone()).candle_files(),
            },
            None => DataSpec::Synthetic {
                seed: self.synthetic_seed,
                bars: self.synthetic_bars,
            },
        }
    }
}

/// What to do with runs missed while the scheduler was not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissedPolicy {
    /// Drop them; wait for the next fire time.
    #[default]
    Skip,
    /// Run once at start-up however many were missed.
    RunOnce,
}

/// `[schedule]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    pub missed: MissedPolicy,
    /// Where the scheduler remembers each job's last fire time.
    pub state_file: Option<PathBuf>,
    pub jobs: Vec<ScheduledJob>,
}

/// `[[schedule.jobs]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledJob {
    pub name: String,
    /// Cron expression, UTC: `min hour day month weekday` (an optional
    /// leading seconds field), e.g. `0 3 * * *` = nightly at 03:00.
    pub cron: String,
    /// Agent names, or `["all"]` (the default).
    #[serde(default = "all_agents")]
    pub agents: Vec<String>,
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub force: bool,
    /// The promotion rule (`same-slice` when absent; see `train --promote`).
    #[serde(default)]
    pub promote: Option<crate::promotion::PromoteRule>,
    /// Where the job trains (`cpu` when absent; as `train --device`). Every
    /// agent of the job must be able to use it: checked when the config is
    /// read, so a GPU job of a CPU-only agent or of a build without the
    /// backend fails at startup, not at 03:00.
    #[serde(default)]
    pub device: crate::device::Device,
}

fn all_agents() -> Vec<String> {
    vec!["all".into()]
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    pub addr: String,
    pub max_concurrent: usize,
    pub max_queue: usize,
    pub body_limit_mb: usize,
    /// Environment variable holding the bearer token.
    pub token_env: String,
    /// Environment variable holding an optional read-only token (`GET`
    /// routes only, e.g. for dashboards).
    pub read_token_env: String,
    /// Seconds shutdown waits for running jobs before cancelling them.
    pub grace_s: u64,
    /// The service's private directory for uploaded CSVs (mode 0700); one
    /// service per directory.
    pub upload_dir: PathBuf,
    /// Most disk space, in MiB, that uploads of queued and running jobs
    /// may take together.
    pub upload_cap_mb: u64,
    /// The job table, kept across restarts (default
    /// `<store.reports_dir>/jobs.json`).
    pub jobs_file: Option<PathBuf>,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:5000".into(),
            max_concurrent: 1,
            max_queue: 16,
            body_limit_mb: 64,
            token_env: "COINTRAINER_TOKEN".into(),
            read_token_env: "COINTRAINER_READ_TOKEN".into(),
            grace_s: 300,
            upload_dir: PathBuf::from("cointrainer-data/uploads"),
            upload_cap_mb: 1024,
            jobs_file: None,
        }
    }
}

/// `[tokens]`: the token registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    /// Watch this directory of candle CSVs (default: `data.candles_dir`).
    pub watch_dir: Option<PathBuf>,
    /// Or a text file with one symbol per line.
    pub symbols_file: Option<PathBuf>,
    /// The persistent registry (JSON).
    pub registry_file: PathBuf,
    /// Seconds without further changes before retraining starts.
    pub debounce_s: f64,
    /// Seconds between polls.
    pub poll_s: f64,
    /// Agents retrained when tokens appear.
    pub agents: Vec<String>,
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            watch_dir: None,
            symbols_file: None,
            registry_file: PathBuf::from("cointrainer-data/tokens.json"),
            debounce_s: 30.0,
            poll_s: 10.0,
            agents: vec!["regime".into()],
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

impl Config {
    /// Parse config text; `name` is used in messages.
    pub fn parse(text: &str, name: &str) -> Result<Config, TrainError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().to_string();
            match e.span() {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    let src = text.lines().nth(line - 1).unwrap_or("").trim();
                    TrainError::Config(format!(
                        "{name}: line {line}, column {col}: {msg} (at `{src}`)"
                    ))
                }
                None => TrainError::Config(format!("{name}: {msg}")),
            }
        })?;
        cfg.validate(text, name)?;
        Ok(cfg)
    }

    /// Checks serde cannot do: agent names, cron expressions, positive sizes.
    fn validate(&self, text: &str, name: &str) -> Result<(), TrainError> {
        let find_line = |needle: &str| {
            text.find(needle)
                .map(|o| line_col(text, o).0)
                .map(|l| format!("line {l}, "))
                .unwrap_or_default()
        };
        let known = crate::agents::names();
        for agent in self.agents.keys() {
            if !known.contains(agent) {
                return Err(TrainError::Config(format!(
                    "{name}: {}[agents.{agent}]: unknown agent; known: {}",
                    find_line(&format!("agents.{agent}")),
                    known.join(", ")
                )));
            }
        }
        for job in &self.schedule.jobs {
            if let Err(e) = crate::schedule::parse_cron(&job.cron) {
                return Err(TrainError::Config(format!(
                    "{name}: {}schedule.jobs `{}`: key `cron`: {e}",
                    find_line(&job.cron),
                    job.name
                )));
            }
            for a in &job.agents {
                if a != "all" && !known.contains(a) {
                    return Err(TrainError::Config(format!(
                        "{name}: {}schedule.jobs `{}`: key `agents`: unknown agent `{a}`; known: {}",
                        find_line(&format!("\"{a}\"")),
                        job.name,
                        known.join(", ")
                    )));
                }
            }
            if !job.device.is_cpu() {
                let agents = if job.agents.iter().any(|a| a == "all") {
                    known.clone()
                } else {
                    job.agents.clone()
                };
                let params = self.agent_params();
                for a in &agents {
                    let p = params.get(a).cloned().unwrap_or_default();
                    crate::agents::get(a)?
                        .check_device(job.device, &p)
                        .map_err(|e| {
                            TrainError::Config(format!(
                                "{name}: {}schedule.jobs `{}`: key `device`: {e}",
                                find_line(&job.device.to_string()),
                                job.name
                            ))
                        })?;
                }
            }
        }
        for a in &self.tokens.agents {
            if !known.contains(a) {
                return Err(TrainError::Config(format!(
                    "{name}: {}tokens: key `agents`: unknown agent `{a}`",
                    find_line(&format!("\"{a}\""))
                )));
            }
        }
        if self.data.synthetic_bars < 500 {
            return Err(TrainError::Config(format!(
                "{name}: {}data: key `synthetic_bars` = {} must be at least 500",
                find_line("synthetic_bars"),
                self.data.synthetic_bars
            )));
        }
        Ok(())
    }

    /// Read the config: an explicit path must exist; the default path may
    /// be missing (defaults). Environment overrides are applied.
    pub fn load(explicit: Option<&Path>) -> Result<Config, TrainError> {
        let from_env = std::env::var_os("COINTRAINER_CONFIG").map(PathBuf::from);
        let (path, must_exist) = match (explicit, from_env) {
            (Some(p), _) => (p.to_path_buf(), true),
            (None, Some(p)) => (p, true),
            (None, None) => (PathBuf::from(DEFAULT_FILE), false),
        };
        let mut cfg = match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&text, &path.display().to_string())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => Config::default(),
            Err(e) => {
                return Err(TrainError::Config(format!(
                    "cannot read config {}: {e}",
                    path.display()
                )));
            }
        };
        cfg.apply_env(|k| std::env::var(k).ok());
        Ok(cfg)
    }

    /// Apply the `COINTRAINER_*` overrides from `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        if let Some(v) = get("COINTRAINER_STORE_DIR") {
            self.store.dir = PathBuf::from(v);
        }
        if let Some(v) = get("COINTRAINER_REPORTS_DIR") {
            self.store.reports_dir = PathBuf::from(v);
        }
        if let Some(v) = get("COINTRAINER_DATA_DIR") {
            self.data.candles_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("COINTRAINER_ADDR") {
            self.server.addr = v;
        }
        if let Some(v) = get("COINTRAINER_TOKENS_FILE") {
            self.tokens.registry_file = PathBuf::from(v);
        }
    }

    /// `[agents.<name>]` as JSON objects.
    pub fn agent_params(&self) -> BTreeMap<String, Map<String, Value>> {
        self.agents
            .iter()
            .map(|(k, t)| {
                let v = serde_json::to_value(t).unwrap_or(Value::Null);
                (k.clone(), v.as_object().cloned().unwrap_or_default())
            })
            .collect()
    }

    /// The configured model store. Remote kinds (`s3`, `supabase`) read
    /// their credentials from the environment only (see `docs/cli.md`) and
    /// are wrapped in a [`store::CachedStore`] whose cache is `store.dir`,
    /// so models keep loading while the remote is down; the cached store is
    /// returned too so long-running commands can start a recovery loop.
    pub fn build_store(
        &self,
    ) -> Result<(Arc<dyn store::ArtifactStore>, Option<store::CachedStore>), TrainError> {
        let s = &self.store;
        let remote: Arc<dyn store::ArtifactStore> = match s.kind {
            StoreKind::Local => return Ok((Arc::new(store::LocalStore::new(&s.dir)), None)),
            #[cfg(feature = "remote-stores")]
            StoreKind::S3 => {
                let mut c = store::S3Config::from_env();
                if let Some(b) = &s.bucket {
                    c.bucket = b.clone();
                }
                if let Some(e) = &s.endpoint {
                    c = c.with_endpoint(e.clone());
                }
                if let Some(r) = &s.region {
                    c.region = r.clone();
                }
                if let Some(p) = &s.prefix {
                    c = c.with_prefix(p.clone());
                }
                Arc::new(store::S3Store::new(c).map_err(|e| TrainError::Config(e.to_string()))?)
            }
            #[cfg(feature = "remote-stores")]
            StoreKind::Supabase => {
                let mut c = store::SupabaseConfig::from_env()
                    .map_err(|e| TrainError::Config(e.to_string()))?;
                if let Some(b) = &s.bucket {
                    c.bucket = b.clone();
                }
                if let Some(p) = &s.prefix {
                    c = c.with_prefix(p.clone());
                }
                Arc::new(
                    store::SupabaseStore::new(c).map_err(|e| TrainError::Config(e.to_string()))?,
                )
            }
            #[cfg(not(feature = "remote-stores"))]
            StoreKind::S3 | StoreKind::Supabase => {
                return Err(TrainError::Config(
                    "remote stores are not in this build (feature `remote-stores`); use kind = \"local\"".into(),
                ));
            }
        };
        let cached = store::CachedStore::new(
            remote,
            store::LocalStore::new(&s.dir),
            store::RetryPolicy::default(),
        );
        Ok((Arc::new(cached.clone()), Some(cached)))
    }

    /// The orchestrator this config describes.
    pub fn orchestrator_config(
        &self,
    ) -> Result<crate::orchestrator::OrchestratorConfig, TrainError> {
        Ok(crate::orchestrator::OrchestratorConfig {
            store: self.build_store()?.0,
            reports_dir: self.store.reports_dir.clone(),
            agent_params: self.agent_params(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_is_all_defaults() {
        assert_eq!(Config::parse("", "x.toml").unwrap(), Config::default());
    }

    #[test]
    fn local_store_by_default_and_remote_kinds_get_a_cache() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Config::default();
        c.store.dir = dir.path().join("m");
        let (s, cached) = c.build_store().unwrap();
        assert!(cached.is_none());
        assert!(s.describe().contains("local store"));
        #[cfg(feature = "remote-stores")]
        {
            // Connection is lazy: building needs no server.
            let text =
                "[store]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"http://127.0.0.1:9\"\n";
            let mut c = Config::parse(text, "c.toml").unwrap();
            c.store.dir = dir.path().join("cache");
            let (_, cached) = c.build_store().unwrap();
            assert!(cached.is_some());
        }
        let e = Config::parse("[store]\nkind = \"ftp\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn env_overrides_replace_file_values() {
        let mut c = Config::default();
        c.apply_env(|k| (k == "COINTRAINER_STORE_DIR").then(|| "/tmp/m".to_string()));
        assert_eq!(c.store.dir, PathBuf::from("/tmp/m"));
    }
}
