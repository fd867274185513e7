//! The side-by-side benchmark suite of `shared/bench/SPEC.md`: tasks T0-T7,
//! one JSON line each, timed exactly as the SPEC says (wall clock after input
//! parsing, foreign CPU time recorded so a busy machine is flagged).

use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::time::Instant;

pub mod compare;
pub mod t0;
pub mod t1;
pub mod t2;
pub mod t3;
pub mod t4;
pub mod t5;
pub mod t6;
pub mod t7;

/// All task ids in order.
pub const TASKS: [&str; 8] = ["T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7"];

/// Errors of the benchmark runner.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("unknown task `{0}` (expected one of T0..T7)")]
    UnknownTask(String),
    #[error("benchmark input missing: {0} (pass --data-dir / --raw-data)")]
    MissingInput(PathBuf),
    #[error("{0}")]
    Failed(String),
}

impl BenchError {
    pub fn failed(e: impl std::fmt::Display) -> Self {
        BenchError::Failed(e.to_string())
    }
}

/// Where the inputs are and how many threads a task may use.
#[derive(Debug, Clone)]
pub struct BenchContext {
    /// `shared/bench/datasets`.
    pub data_dir: PathBuf,
    /// `shared/data` (raw candles).
    pub raw_dir: PathBuf,
    /// Compute threads (SPEC: at most 2).
    pub threads: usize,
    /// Seed of the randomised tasks (T4, T6); the SPEC's runs use 0.
    pub seed: u64,
    /// Where T4 and T6 train (the SPEC's runs use the CPU); the other tasks
    /// run on the CPU only.
    pub device: crate::device::Device,
}

impl BenchContext {
    /// A dataset file, or a clear error when it is absent.
    pub fn dataset(&self, name: &str) -> Result<PathBuf, BenchError> {
        let p = self.data_dir.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(BenchError::MissingInput(p))
        }
    }

    /// A raw candle file, or a clear error when it is absent.
    pub fn raw(&self, name: &str) -> Result<PathBuf, BenchError> {
        let p = self.raw_dir.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(BenchError::MissingInput(p))
        }
    }
}

/// System-wide busy CPU seconds from the first line of `/proc/stat`.
fn system_busy_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    if v.len() < 8 {
        return None;
    }
    let busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(busy / if hz > 0.0 { hz } else { 100.0 })
}

/// CPU seconds used by this process and its waited-for children.
fn own_cpu_s() -> f64 {
    let get = |who| {
        // SAFETY: getrusage writes into the zeroed struct we own.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut ru) };
        ru.ru_utime.tv_sec as f64
            + ru.ru_utime.tv_usec as f64 * 1e-6
            + ru.ru_stime.tv_sec as f64
            + ru.ru_stime.tv_usec as f64 * 1e-6
    };
    get(libc::RUSAGE_SELF) + get(libc::RUSAGE_CHILDREN)
}

/// A timed region: wall clock plus the CPU time others used meanwhile.
pub struct Measure {
    start: Instant,
    busy0: Option<f64>,
    own0: f64,
}

/// What a [`Measure`] saw.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall_s: f64,
    pub foreign_cpu_s: f64,
    /// SPEC 0.1: foreign CPU <= max(1 s, 3% of 2 x elapsed).
    pub quiet: bool,
}

impl Measure {
    pub fn start() -> Self {
        Self {
            busy0: system_busy_s(),
            own0: own_cpu_s(),
            start: Instant::now(),
        }
    }

    pub fn stop(self) -> Measured {
        let wall_s = self.start.elapsed().as_secs_f64();
        let foreign = match (self.busy0, system_busy_s()) {
            (Some(a), Some(b)) => ((b - a) - (own_cpu_s() - self.own0)).max(0.0),
            _ => 0.0,
        };
        Measured {
            wall_s,
            foreign_cpu_s: foreign,
            quiet: foreign <= (1.0f64).max(0.03 * 2.0 * wall_s),
        }
    }
}

impl Measured {
    /// Add several measured regions (e.g. T5's three timed runs).
    pub fn sum(parts: &[Measured]) -> Measured {
        let wall_s = parts.iter().map(|m| m.wall_s).sum::<f64>();
        let foreign_cpu_s = parts.iter().map(|m| m.foreign_cpu_s).sum::<f64>();
        Measured {
            wall_s,
            foreign_cpu_s,
            quiet: foreign_cpu_s <= (1.0f64).max(0.03 * 2.0 * wall_s),
        }
    }

    /// Insert `wall_s`, `foreign_cpu_s` and `quiet` into a result object.
    pub fn record(&self, m: &mut Map<String, Value>) {
        m.insert("wall_s".into(), json!(self.wall_s));
        m.insert("foreign_cpu_s".into(), json!(self.foreign_cpu_s));
        m.insert("quiet".into(), json!(self.quiet));
    }
}

/// A float as JSON, `null` for NaN/inf (SPEC 0.3).
pub fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn cpu_model() -> String {
    compare::CpuInfo::read()
        .model
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// Run one task and return its result line (a JSON object).
pub fn run_task(task: &str, ctx: &BenchContext) -> Result<Value, BenchError> {
    if !ctx.device.is_cpu() && !matches!(task, "T4" | "T6") {
        return Err(BenchError::Failed(format!(
            "{task} runs on the CPU only; --device {} applies to T4 and T6",
            ctx.device
        )));
    }
    let mut m = match task {
        "T0" => t0::run(ctx)?,
        "T1" => t1::run(ctx)?,
        "T2" => t2::run(ctx)?,
        "T3" => t3::run(ctx)?,
        "T4" => t4::run(ctx)?,
        "T5" => t5::run(ctx)?,
        "T6" => t6::run(ctx)?,
        "T7" => t7::run(ctx)?,
        other => return Err(BenchError::UnknownTask(other.to_string())),
    };
    let mut out = Map::new();
    out.insert("task".into(), json!(task));
    out.append(&mut m);
    out.entry("threads").or_insert(json!(ctx.threads));
    out.insert("device".into(), json!(ctx.device.to_string()));
    out.insert(
        "versions".into(),
        json!({ "cointrainer": env!("CARGO_PKG_VERSION"), "rustc": "1.95.0" }),
    );
    out.insert("cpu".into(), json!(cpu_model()));
    Ok(Value::Object(out))
}

/// The result line of a task whose agent has not landed yet.
pub fn skipped(task: &str, why: &str) -> Result<Map<String, Value>, BenchError> {
    let mut m = Map::new();
    m.insert("impl".into(), json!("rust-cointrainer"));
    m.insert("skipped".into(), json!(true));
    m.insert("reason".into(), json!(why));
    let _ = task;
    Ok(m)
}
