//! Walk-forward folds as shards any engine can run.
//!
//! A walk-forward fold is a pure function of (data, options, fold), so a run
//! can be cut into one shard per fold:
//!
//! - [`plan`] writes one JSON line per shard: a stable id, the fold, the
//!   options and the data (the job's data spec and the provenance it must
//!   have: every candle file's sha256, or the synthetic market's seed);
//! - [`run_shard`] runs exactly one shard and puts its result in the store
//!   under `sweeps/<plan id>/<shard id>.json`. The bytes depend only on the
//!   shard, and every store's `put` is atomic, so a shard run twice, or by
//!   two workers at once after a retry, writes the same bytes to the same key
//!   and no half-written result is ever visible;
//! - [`merge`] reads every shard's result back and assembles the run, the
//!   same as a single-process `walk-forward` of the same plan.

use crate::agents::MarketData;
use crate::error::TrainError;
use crate::jobs::DataSpec;
use crate::orchestrator::load_data;
use crate::walk_forward::{self as wf, Fold, FoldResult, WalkForward, WalkForwardOptions};
use agent_core::Provenance;
use serde::{Deserialize, Serialize};
use std::path::Path;
use store::ArtifactStore;

/// A plan file may hold at most this many bytes (a plan of thousands of
/// folds is far smaller).
const MAX_PLAN_BYTES: u64 = 64 * 1024 * 1024;

/// One shard: one walk-forward fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shard {
    /// `sha256` of the plan's data, options and this fold (hex, 16 chars).
    pub id: String,
    /// The id shared by every shard of the plan.
    pub plan: String,
    pub index: usize,
    pub fold: Fold,
    pub options: WalkForwardOptions,
    pub data: DataSpec,
    /// What the data must be when the shard runs.
    pub provenance: Provenance,
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

/// The shards of a walk-forward run of `opts` over `spec`'s data. Candle
/// file paths are made absolute, so a worker in another directory finds
/// them.
pub fn plan(spec: &DataSpec, opts: &WalkForwardOptions) -> Result<Vec<Shard>, TrainError> {
    let absolute =
        |p: &std::path::PathBuf| std::fs::canonicalize(p).map_err(|e| TrainError::io(p, e));
    let spec = &match spec {
        DataSpec::Csv { path } => DataSpec::Csv {
            path: absolute(path)?,
        },
        DataSpec::CsvFiles { paths } => DataSpec::CsvFiles {
            paths: paths.iter().map(absolute).collect::<Result<_, _>>()?,
        },
        other => other.clone(),
    };
    let data = load_data(spec)?;
    let folds = wf::plan(&data, opts)?;
    let plan_id = hash16(&(&data.provenance, opts));
    Ok(folds
        .into_iter()
        .enumerate()
        .map(|(index, fold)| Shard {
            id: hash16(&(&plan_id, &fold)),
            plan: plan_id.clone(),
            index,
            fold,
            options: opts.clone(),
            data: spec.clone(),
            provenance: data.provenance.clone(),
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
fn shard_data(shard: &Shard) -> Result<MarketData, TrainError> {
    let data = load_data(&shard.data)?;
    if data.provenance != shard.provenance {
        return Err(TrainError::Data(format!(
            "shard {}: the data is not what the plan was made on ({})",
            shard.index, shard.provenance
        )));
    }
    Ok(data)
}

/// Run one shard and put its result in `store`; returns the key. The
/// fold's models are trained under `work_dir` and not kept in the store.
pub fn run_shard(
    shard: &Shard,
    store: &dyn ArtifactStore,
    work_dir: &Path,
) -> Result<String, TrainError> {
    let data = shard_data(shard)?;
    let result = wf::run_fold(&data, &shard.fold, &shard.options, work_dir)?;
    let bytes = serde_json::to_vec(&result).map_err(|e| TrainError::Data(e.to_string()))?;
    let key = shard.key();
    store.put(&key, &bytes)?;
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

/// Read every shard's result back (in plan order) and assemble the run.
/// Missing results are listed by shard index; a shard whose fold could not
/// trade (`null`) is left out as in a single-process run.
pub fn merge(shards: &[Shard], store: &dyn ArtifactStore) -> Result<WalkForward, TrainError> {
    let mut folds = Vec::new();
    let mut missing = Vec::new();
    for s in shards {
        match store.get(&s.key())? {
            None => missing.push(s.index.to_string()),
            Some(bytes) => {
                let r: Option<FoldResult> = serde_json::from_slice(&bytes).map_err(|e| {
                    TrainError::Data(format!(
                        "the result of shard {} ({}) does not read: {}",
                        s.index,
                        s.key(),
                        store::describe_json_error(&e)
                    ))
                })?;
                if let Some(r) = r {
                    if r.fold != s.fold {
                        return Err(TrainError::Data(format!(
                            "the result at {} is of another fold",
                            s.key()
                        )));
                    }
                    folds.push(r);
                }
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
    if folds.is_empty() {
        return Err(TrainError::Data("no shard's fold could trade".into()));
    }
    Ok(WalkForward {
        options: shards[0].options.clone(),
        folds,
    })
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
