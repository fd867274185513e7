//! Sweeps: trainings and walk-forward folds as shards any engine can run.
//!
//! A sweep (`[sweep]` of the config file, [`SweepConfig`]) is cut into
//! shards, each a pure function of (data fingerprint, parameters, seed):
//!
//! - a **training** shard trains one agent at one point of its grid on one
//!   candle series (a symbol and timeframe; the synthetic market is one), as
//!   `train` would, and trains it again on the bars before its test span
//!   (less an embargo) to score that grid point on data its test span never
//!   saw (see [`train`]);
//! - a **fold** shard runs one fold of a walk-forward evaluation.
//!
//! [`plan`] writes one JSON line per shard: a stable id, the task, and the
//! data (the spec and the provenance it must have: every candle file's
//! sha256, or the synthetic market's seed). [`run_shard`] runs exactly one
//! shard and puts its result in the store under `sweeps/<plan id>/<shard
//! id>.json`, a training shard's model beside it under a key holding its
//! hash; every store's `put` is atomic, so no half-written result is ever
//! visible, and a shard run twice, or by two workers at once after a retry,
//! leaves one complete result. [`merge`] reads every result back: the folds
//! assemble into the same run as a single-process `walk-forward`, and the
//! trainings into, per agent and symbol, the grid point with the best
//! validation score, which [`train::publish`] offers to the registry through
//! the same champion/challenger rule as `train`.

pub mod train;

use crate::agents::MarketData;
use crate::error::TrainError;
use crate::jobs::DataSpec;
use crate::orchestrator::load_data;
use crate::promotion::PromoteRule;
use crate::walk_forward::{self as wf, Fold, FoldResult, WalkForward, WalkForwardConfig};
use agent_core::Provenance;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use store::ArtifactStore;
pub use train::{TrainResult, TrainTask};

/// A plan file may hold at most this many bytes (a plan of thousands of
/// shards is far smaller).
const MAX_PLAN_BYTES: u64 = 64 * 1024 * 1024;

/// A shard's result may hold at most this many bytes when read back.
const MAX_RESULT_BYTES: usize = 64 * 1024 * 1024;

/// `[sweep]` of the config file: what a sweep trains and evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SweepConfig {
    /// Agents to train, each on every candle series of the data (`[data]`
    /// or `--data`: one series per file, a symbol and timeframe; the
    /// synthetic market is one) at every point of its grid.
    pub agents: Vec<String>,
    /// `[sweep.grid.<agent>]`: a list of values per parameter (a single
    /// value is a list of one); the agent's grid is their product, each
    /// point over the agent's `[agents.<agent>]` parameters.
    pub grid: BTreeMap<String, toml::Table>,
    /// Bars left out between the data a grid point is validated on and its
    /// model's test span; at least the longest label horizon (default 48).
    pub embargo_bars: usize,
    /// How `merge` promotes each agent and symbol's chosen model (default
    /// `same-slice`, as `train`).
    pub promote: PromoteRule,
    /// Where the training shards train (`cpu`, `cuda[:N]`, `rocm[:N]`,
    /// `wgpu`; as `train --device`): every agent of `agents` must be able
    /// to. Give the shards GPUs with `sweep ray --gpus-per-shard`.
    pub device: crate::device::Device,
    /// `[sweep.walk_forward]`: a walk-forward evaluation whose folds are
    /// shards too.
    pub walk_forward: Option<WalkForwardConfig>,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            agents: Vec::new(),
            grid: BTreeMap::new(),
            embargo_bars: 48,
            promote: PromoteRule::default(),
            device: crate::device::Device::default(),
            walk_forward: None,
        }
    }
}

/// What a shard does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Task {
    /// Train one agent at one grid point on one series.
    Train(TrainTask),
    /// One fold of a walk-forward evaluation: over every series of the
    /// data, or with `per_symbol`, over one symbol's.
    Fold {
        fold: Fold,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        symbol: Option<String>,
        options: wf::WalkForwardOptions,
    },
}

/// One shard of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shard {
    /// `sha256` of the plan id, the task and the data (hex, 16 chars).
    pub id: String,
    /// The id shared by every shard of the plan.
    pub plan: String,
    pub index: usize,
    pub data: DataSpec,
    /// What the data must be when the shard runs.
    pub provenance: Provenance,
    #[serde(flatten)]
    pub task: Task,
}

impl Shard {
    /// Where its result lives in the store.
    pub fn key(&self) -> String {
        format!("sweeps/{}/{}.json", self.plan, self.id)
    }
}

fn hash16(v: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    agent_core::persist::sha256_hex(&bytes)[..16].to_string()
}

/// `spec` with its candle file paths made absolute, so a worker in another
/// directory finds them.
fn absolute_spec(spec: &DataSpec) -> Result<DataSpec, TrainError> {
    let absolute =
        |p: &std::path::PathBuf| std::fs::canonicalize(p).map_err(|e| TrainError::io(p, e));
    Ok(match spec {
        DataSpec::Csv { path } => DataSpec::Csv {
            path: absolute(path)?,
        },
        DataSpec::CsvFiles { paths } => DataSpec::CsvFiles {
            paths: paths.iter().map(absolute).collect::<Result<_, _>>()?,
        },
        other => other.clone(),
    })
}

/// The part of `spec` that is of `symbol`: its candle files (the synthetic
/// market is one symbol).
fn spec_of_symbol(spec: &DataSpec, symbol: &str) -> DataSpec {
    match spec {
        DataSpec::CsvFiles { paths } => DataSpec::CsvFiles {
            paths: paths
                .iter()
                .filter(|p| crate::orchestrator::symbol_of(p) == symbol)
                .cloned()
                .collect(),
        },
        other => other.clone(),
    }
}

/// The shards of a sweep over `spec`'s data: the trainings first (agent by
/// agent, series by series, grid point by grid point), then the folds.
/// `agent_params` are the config's `[agents.<name>]` tables.
pub fn plan(
    spec: &DataSpec,
    sweep: &SweepConfig,
    agent_params: &BTreeMap<String, Map<String, Value>>,
) -> Result<Vec<Shard>, TrainError> {
    let spec = absolute_spec(spec)?;
    // (data, provenance, task) of every shard, in plan order.
    let mut work = train::tasks(&spec, sweep, agent_params)?;
    if let Some(wfc) = &sweep.walk_forward {
        let opts = wfc.options(agent_params)?;
        let data = load_data(&spec)?;
        let units = wf::units(&data, &opts);
        for fold in wf::plan(&data, &opts)? {
            for unit in &units {
                let (unit_spec, provenance) = match unit {
                    None => (spec.clone(), data.provenance.clone()),
                    Some(symbol) => (
                        spec_of_symbol(&spec, symbol),
                        crate::orchestrator::data_of_symbol(&data, symbol).provenance,
                    ),
                };
                work.push((
                    unit_spec,
                    provenance,
                    Task::Fold {
                        fold,
                        symbol: unit.clone(),
                        options: opts.clone(),
                    },
                ));
            }
        }
    }
    if work.is_empty() {
        return Err(TrainError::Data(
            "the sweep has nothing to run: list agents in [sweep] agents, or add a \
             [sweep.walk_forward] section"
                .into(),
        ));
    }
    // The same data and tasks give the same ids on any machine (the
    // provenance, not the paths), and another version of the program plans
    // anew.
    let entries: Vec<(&Provenance, &Task)> = work.iter().map(|(_, p, t)| (p, t)).collect();
    let plan_id = hash16(&(env!("CARGO_PKG_VERSION"), &entries));
    Ok(work
        .into_iter()
        .enumerate()
        .map(|(index, (data, provenance, task))| Shard {
            id: hash16(&(&plan_id, &provenance, &task)),
            plan: plan_id.clone(),
            index,
            data,
            provenance,
            task,
        })
        .collect())
}

/// Write a plan as JSON lines (atomically).
pub fn write_plan(shards: &[Shard], path: &Path) -> Result<(), TrainError> {
    let mut text = String::new();
    for s in shards {
        text.push_str(&serde_json::to_string(s).map_err(|e| TrainError::Data(e.to_string()))?);
        text.push('\n');
    }
    agent_core::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Read a plan file; a line that is not a shard is named by its number.
pub fn read_plan(path: &Path) -> Result<Vec<Shard>, TrainError> {
    use agent_core::persist::{Symlinks, read_bounded};
    let bytes = read_bounded(path, MAX_PLAN_BYTES, Symlinks::Follow)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| TrainError::Data(format!("{} is not UTF-8 text", path.display())))?;
    let mut shards = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let s: Shard = serde_json::from_str(line).map_err(|e| {
            TrainError::Data(format!(
                "{} line {}: not a shard ({})",
                path.display(),
                i + 1,
                store::describe_json_error(&e)
            ))
        })?;
        shards.push(s);
    }
    if shards.is_empty() {
        return Err(TrainError::Data(format!(
            "{} holds no shards",
            path.display()
        )));
    }
    if let Some(s) = shards.iter().find(|s| s.plan != shards[0].plan) {
        return Err(TrainError::Data(format!(
            "{}: shard {} belongs to another plan",
            path.display(),
            s.index
        )));
    }
    Ok(shards)
}

/// The data of a shard, refused when it is not what the plan was made on.
pub fn shard_data(shard: &Shard) -> Result<MarketData, TrainError> {
    let data = load_data(&shard.data)?;
    if data.provenance != shard.provenance {
        return Err(TrainError::Data(format!(
            "shard {}: the data is not what the plan was made on ({})",
            shard.index, shard.provenance
        )));
    }
    Ok(data)
}

/// Run one shard and put its result in `store`; returns the result's key.
/// Its models are trained under `work_dir` (removed when the shard
/// succeeds); a training shard's chosen artifact goes to the store.
pub fn run_shard(
    shard: &Shard,
    store: &dyn ArtifactStore,
    work_dir: &Path,
) -> Result<String, TrainError> {
    let data = shard_data(shard)?;
    // A directory of this run alone: a retried shard may still be running
    // in an orphaned process beside it.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = work_dir.join(format!("run-{}-{nanos}", std::process::id()));
    let bytes = match &shard.task {
        Task::Fold { fold, options, .. } => {
            let result = wf::run_fold(&data, fold, options, &dir)?;
            serde_json::to_vec(&result).map_err(|e| TrainError::Data(e.to_string()))?
        }
        Task::Train(task) => train::run(shard, task, &data, store, &dir)?,
    };
    let key = shard.key();
    store.put(&key, &bytes)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(key)
}

/// The single-machine engine: run every shard of a plan in order into
/// `store`, going on past a failing shard. Returns the failures (shard
/// index, error).
pub fn run_all(
    shards: &[Shard],
    store: &dyn ArtifactStore,
    work_dir: &Path,
    progress: &dyn Fn(usize),
) -> Vec<(usize, TrainError)> {
    let mut failed = Vec::new();
    for (done, s) in shards.iter().enumerate() {
        if let Err(e) = run_shard(s, store, &work_dir.join(&s.id)) {
            failed.push((s.index, e));
        }
        progress(done + 1);
    }
    failed
}

/// Every shard's result, read back and checked against its shard.
#[derive(Debug)]
pub struct Merged {
    /// The training shards' results, in plan order.
    pub trainings: Vec<TrainResult>,
    /// The walk-forward run the fold shards make, when the plan has folds.
    pub walk_forward: Option<WalkForward>,
}

/// Read every shard's result back (in plan order). Missing results are
/// listed by shard index; a fold that could not trade (`null`) is left out
/// as in a single-process run.
pub fn merge(shards: &[Shard], store: &dyn ArtifactStore) -> Result<Merged, TrainError> {
    // (fold index, result) in plan order: a fold's units are adjacent.
    let mut folds: Vec<(usize, FoldResult)> = Vec::new();
    let mut trainings = Vec::new();
    let mut n_folds = 0;
    let mut missing = Vec::new();
    for s in shards {
        let Some(bytes) = store.get(&s.key())? else {
            missing.push(s.index.to_string());
            continue;
        };
        if bytes.len() > MAX_RESULT_BYTES {
            return Err(TrainError::Data(format!(
                "the result of shard {} ({}) is {} bytes, over the limit of {MAX_RESULT_BYTES}",
                s.index,
                s.key(),
                bytes.len()
            )));
        }
        let unreadable = |e: serde_json::Error| {
            TrainError::Data(format!(
                "the result of shard {} ({}) does not read: {}",
                s.index,
                s.key(),
                store::describe_json_error(&e)
            ))
        };
        let other = || TrainError::Data(format!("the result at {} is of another shard", s.key()));
        match &s.task {
            Task::Fold { fold, .. } => {
                n_folds += 1;
                let r: Option<FoldResult> = serde_json::from_slice(&bytes).map_err(unreadable)?;
                if let Some(r) = r {
                    if &r.fold != fold {
                        return Err(other());
                    }
                    folds.push((fold.index, r));
                }
            }
            Task::Train(task) => {
                let r: TrainResult = serde_json::from_slice(&bytes).map_err(unreadable)?;
                if r.shard != s.id || &r.task != task {
                    return Err(other());
                }
                trainings.push(r);
            }
        }
    }
    if !missing.is_empty() {
        return Err(TrainError::Data(format!(
            "{} of {} shards have no result yet: {}",
            missing.len(),
            shards.len(),
            missing.join(", ")
        )));
    }
    let walk_forward = match (n_folds, folds.is_empty()) {
        (0, _) => None,
        (_, true) => return Err(TrainError::Data("no shard's fold could trade".into())),
        (_, false) => {
            let options = shards
                .iter()
                .find_map(|s| match &s.task {
                    Task::Fold { options, .. } => Some(options.clone()),
                    Task::Train(_) => None,
                })
                .unwrap_or_default();
            let mut joined = Vec::new();
            let mut folds = folds.into_iter().peekable();
            while let Some((index, first)) = folds.next() {
                let mut parts = vec![first];
                while let Some((_, r)) = folds.next_if(|(i, _)| *i == index) {
                    parts.push(r);
                }
                joined.extend(wf::join_units(parts));
            }
            Some(WalkForward {
                options,
                folds: joined,
            })
        }
    };
    Ok(Merged {
        trainings,
        walk_forward,
    })
}

/// What `sweep merge` made of a plan's results.
pub struct SweepReport {
    pub plan: String,
    pub shards: usize,
    pub choices: Vec<train::Choice>,
    /// What publishing did, by the chosen shard's id (empty with
    /// `publish` off).
    pub published: BTreeMap<String, train::PublishOutcome>,
    pub walk_forward: Option<(wf::report::Report, WalkForward)>,
    /// The files written.
    pub files: Vec<std::path::PathBuf>,
}

/// Merge every shard's result ([`merge`]), choose per agent and symbol
/// ([`train::choose`]), offer the chosen models to the registry when
/// `publish` ([`train::publish`]), and write `trainings.csv` and the
/// walk-forward report into `out`.
pub fn merge_report(
    orch: &crate::orchestrator::Orchestrator,
    shards: &[Shard],
    out: &Path,
    publish: bool,
) -> Result<SweepReport, TrainError> {
    let store = orch.config().store.clone();
    let merged = merge(shards, store.as_ref())?;
    let choices = train::choose(&merged.trainings)?;
    let mut published = BTreeMap::new();
    if publish {
        let work = orch
            .config()
            .reports_dir
            .join("sweeps")
            .join(format!("merge-{}", std::process::id()));
        // Each agent and symbol is its own registry entry: their
        // comparisons (the bootstrap and the re-scoring) run in parallel.
        use rayon::prelude::*;
        let outcomes: Vec<_> = choices
            .par_iter()
            .map(|c| train::publish(orch, shards, &merged.trainings, c, &work))
            .collect::<Result<_, _>>()?;
        for (c, o) in choices.iter().zip(outcomes) {
            if let (Some(id), Some(o)) = (&c.chosen, o) {
                published.insert(id.clone(), o);
            }
        }
        let _ = std::fs::remove_dir_all(&work);
    }
    std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    let mut files = Vec::new();
    if !merged.trainings.is_empty() {
        let path = out.join("trainings.csv");
        let csv = train::trainings_csv(&merged.trainings, &choices, &published);
        agent_core::write_atomic(&path, csv.as_bytes())?;
        files.push(path);
    }
    let walk_forward = match merged.walk_forward {
        Some(run) => {
            let report = wf::report::report(&run)?;
            files.extend(wf::report::write(&report, &run, out)?);
            Some((report, run))
        }
        None => None,
    };
    Ok(SweepReport {
        plan: shards.first().map(|s| s.plan.clone()).unwrap_or_default(),
        shards: shards.len(),
        choices,
        published,
        walk_forward,
        files,
    })
}

impl SweepReport {
    fn outcome(&self, c: &train::Choice) -> (String, Option<bool>, Option<String>) {
        match c.chosen.as_ref().and_then(|id| self.published.get(id)) {
            Some(train::PublishOutcome::Offered(o)) => {
                (o.key.clone(), Some(o.promoted), o.reason.clone())
            }
            Some(train::PublishOutcome::AlreadyCurrent { key }) => (
                key.clone(),
                Some(true),
                Some("already the current model".into()),
            ),
            None => (String::new(), None, c.why.clone()),
        }
    }

    /// One JSON object: the choices and what publishing did, and the
    /// walk-forward summary.
    pub fn json(&self) -> Value {
        let trainings: Vec<Value> = self
            .choices
            .iter()
            .map(|c| {
                let (key, promoted, reason) = self.outcome(c);
                serde_json::json!({
                    "agent": c.agent,
                    "symbol": c.symbol,
                    "grid_points": c.candidates,
                    "chosen_shard": c.chosen,
                    "published_key": (!key.is_empty()).then_some(key),
                    "promoted": promoted,
                    "reason": reason,
                })
            })
            .collect();
        serde_json::json!({
            "plan": self.plan,
            "shards": self.shards,
            "trainings": trainings,
            "walk_forward": self
                .walk_forward
                .as_ref()
                .map(|(r, run)| wf::report::summary_json(r, run)),
        })
    }

    /// The report for people.
    pub fn table(&self) -> String {
        let mut out = format!("plan {}: {} shards\n", self.plan, self.shards);
        if !self.choices.is_empty() {
            out.push_str(&format!(
                "{:<14} {:<16} {:>5}  {:<16}  {}\n",
                "agent", "symbol", "grid", "chosen shard", "published"
            ));
            for c in &self.choices {
                let (key, promoted, reason) = self.outcome(c);
                let what = match (promoted, reason) {
                    (Some(true), None) => format!("promoted {key}"),
                    (Some(true), Some(r)) => format!("{r} ({key})"),
                    (Some(false), r) => {
                        format!("kept the current model: {}", r.unwrap_or_default())
                    }
                    (None, Some(r)) => r,
                    (None, None) => "not published (--no-publish)".into(),
                };
                out.push_str(&format!(
                    "{:<14} {:<16} {:>5}  {:<16}  {what}\n",
                    c.agent,
                    c.symbol,
                    c.candidates,
                    c.chosen.as_deref().unwrap_or("-"),
                ));
            }
        }
        if let Some((report, _)) = &self.walk_forward {
            out.push_str(&wf::report::table(report));
        }
        out
    }
}

/// The Ray driver `sweep ray` runs (shipped inside the binary).
pub const RAY_DRIVER: &str = include_str!("ray_driver.py");

/// How `sweep ray` runs a plan.
#[derive(Debug, Clone)]
pub struct RayRun {
    /// The cluster (`ray start --head` prints it), e.g. `127.0.0.1:6379`.
    pub address: String,
    pub plan: std::path::PathBuf,
    /// The config file the workers' `run-shard` reads (its store must be
    /// one every worker reaches).
    pub config: Option<std::path::PathBuf>,
    pub cpus_per_shard: f64,
    pub gpus_per_shard: f64,
    /// Retries of a shard whose worker died.
    pub max_retries: u32,
    /// Seconds for the whole sweep (0: no limit).
    pub timeout_s: f64,
    /// The Python with `ray` installed.
    pub python: std::path::PathBuf,
}

/// Submit every shard of a plan to a Ray cluster through the driver and
/// wait; `on_line` gets the driver's JSON lines. Fails naming the shards
/// that failed (their results are missing; the others are in the store).
pub fn run_on_ray(
    run: &RayRun,
    work_dir: &Path,
    on_line: &mut dyn FnMut(&str),
) -> Result<(), TrainError> {
    use std::io::BufRead;
    let shards = read_plan(&run.plan)?;
    std::fs::create_dir_all(work_dir).map_err(|e| TrainError::io(work_dir, e))?;
    let driver = work_dir.join("ray_driver.py");
    agent_core::write_atomic(&driver, RAY_DRIVER.as_bytes())?;
    let absolute = |p: &Path| std::fs::canonicalize(p).map_err(|e| TrainError::io(p, e));
    let binary = std::env::current_exe().map_err(|e| TrainError::io("current executable", e))?;
    let mut cmd = std::process::Command::new(&run.python);
    cmd.arg(&driver)
        .arg("--address")
        .arg(&run.address)
        .arg("--plan")
        .arg(absolute(&run.plan)?)
        .arg("--binary")
        .arg(binary)
        .arg("--cpus-per-shard")
        .arg(run.cpus_per_shard.to_string())
        .arg("--gpus-per-shard")
        .arg(run.gpus_per_shard.to_string())
        .arg("--max-retries")
        .arg(run.max_retries.to_string())
        .arg("--timeout")
        .arg(run.timeout_s.to_string())
        .stdout(std::process::Stdio::piped());
    if let Some(c) = &run.config {
        cmd.arg("--config").arg(absolute(c)?);
    }
    if let Ok(cwd) = std::env::current_dir() {
        cmd.arg("--cwd").arg(cwd);
    }
    let mut child = cmd.spawn().map_err(|e| TrainError::io(&run.python, e))?;
    let mut failed: Vec<u64> = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.map_err(|e| TrainError::io("the Ray driver's output", e))?;
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && let Some(list) = v.get("failed").and_then(|f| f.as_array())
            {
                failed = list.iter().filter_map(|x| x.as_u64()).collect();
            }
            on_line(&line);
        }
    }
    let status = child.wait().map_err(|e| TrainError::io(&run.python, e))?;
    if status.success() {
        return Ok(());
    }
    Err(TrainError::Data(if failed.is_empty() {
        format!(
            "the Ray driver ({}) stopped with {status} before every shard of {} finished",
            run.python.display(),
            shards.len()
        )
    } else {
        format!(
            "{} of {} shards failed on Ray: {} (their errors are in the lines above)",
            failed.len(),
            shards.len(),
            failed
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }))
}
