//! `cointrainer bench --compare PYTHON`: the Rust side and the Python peer of
//! each task run interleaved (Rust, peer, Rust, peer, ...), each run in its
//! own process, and the per-pair speed ratios are summarised (SPEC 0.1:
//! medians of interleaved runs with min and max, on a quiet machine, with the
//! CPU named).
//!
//! The speed ratio is oriented so that > 1 means the Rust side is faster:
//! peer/rust for time measures, rust/peer for throughput measures.

use super::{BenchError, TASKS, system_busy_s};
use serde_json::{Map, Value, json};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Whether a larger or a smaller value of a measure is faster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Seconds: smaller is faster.
    Time,
    /// Work per second: larger is faster.
    Throughput,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Time => "time",
            Direction::Throughput => "throughput",
        }
    }
}

/// The key of a task's result line that measures its speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeedMeasure {
    pub key: &'static str,
    pub direction: Direction,
}

impl SpeedMeasure {
    /// The speed ratio of one pair (> 1: Rust faster); `None` unless both
    /// values are finite and positive.
    pub fn ratio(&self, rust: f64, peer: f64) -> Option<f64> {
        if !(rust.is_finite() && peer.is_finite() && rust > 0.0 && peer > 0.0) {
            return None;
        }
        let r = match self.direction {
            Direction::Time => peer / rust,
            Direction::Throughput => rust / peer,
        };
        r.is_finite().then_some(r)
    }

    /// How [`SpeedMeasure::ratio`] is formed, for the output.
    pub fn ratio_formula(&self) -> &'static str {
        match self.direction {
            Direction::Time => "peer/rust",
            Direction::Throughput => "rust/peer",
        }
    }
}

/// The speed measure of each task, as its SPEC section defines the headline:
/// `wall_s` for the timed tasks, T4's `steps_per_s` and T5's
/// `a_sm_decisions_per_s` (its Sherman-Morrison variant).
pub fn speed_measure(task: &str) -> Option<SpeedMeasure> {
    let (key, direction) = match task {
        "T0" | "T1" | "T2" | "T3" | "T6" | "T7" => ("wall_s", Direction::Time),
        "T4" => ("steps_per_s", Direction::Throughput),
        "T5" => ("a_sm_decisions_per_s", Direction::Throughput),
        _ => return None,
    };
    Some(SpeedMeasure { key, direction })
}

/// The peer script of a task, a file of the peer directory.
pub fn peer_script(task: &str) -> Option<&'static str> {
    Some(match task {
        "T0" => "t0_pandas.py",
        "T1" => "t1_sklearn.py",
        "T2" => "t2_lightgbm.py",
        "T3" => "t3_lightgbm.py",
        "T4" => "t4_sb3.py",
        "T5" => "t5_numpy.py",
        "T6" => "t6_torch.py",
        "T7" => "t7_scipy_statsmodels.py",
        _ => return None,
    })
}

/// The third-party modules each peer script imports, checked before a
/// task's first run so that a peer that cannot run costs no Rust runs.
pub fn peer_modules(task: &str) -> &'static [&'static str] {
    match task {
        "T0" | "T5" => &["numpy", "pandas"],
        "T1" => &["numpy", "pandas", "scipy", "sklearn", "joblib"],
        "T2" => &["numpy", "pandas", "lightgbm"],
        "T3" => &["numpy", "pandas", "lightgbm", "sklearn"],
        "T4" => &["numpy", "pandas", "torch", "gymnasium", "stable_baselines3"],
        "T6" => &["numpy", "pandas", "torch"],
        "T7" => &["numpy", "scipy", "statsmodels"],
        _ => &[],
    }
}

/// The modules of `modules` that `python` cannot find (without importing
/// them), or why it could not be asked.
pub fn missing_modules(python: &Path, modules: &[&str]) -> Result<Vec<String>, String> {
    const PROBE: &str = "import importlib.util, sys\n\
        for m in sys.argv[1:]:\n    \
        if importlib.util.find_spec(m) is None: print(m)\n";
    let out = Command::new(python)
        .arg("-c")
        .arg(PROBE)
        .args(modules)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(stderr_reason(&out.stderr).1);
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect())
}

/// Task ids from `--task` values (repeated and/or comma separated, any
/// case), in the order given without repeats; all tasks when none is given.
pub fn parse_tasks(values: &[String]) -> Result<Vec<&'static str>, BenchError> {
    let mut out: Vec<&'static str> = Vec::new();
    for v in values.iter().flat_map(|v| v.split(',')) {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let id = TASKS
            .iter()
            .find(|t| t.eq_ignore_ascii_case(v))
            .ok_or_else(|| BenchError::UnknownTask(v.to_string()))?;
        if !out.contains(id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        out = TASKS.to_vec();
    }
    Ok(out)
}

/// Median of the values (the mean of the two middle ones for an even
/// count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(0.5 * (v[n / 2 - 1] + v[n / 2])),
    }
}

/// One interleaved pair: the speed measure of each side, and whether both
/// runs were quiet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub rust: f64,
    pub peer: f64,
    pub quiet: bool,
}

/// The summary of a task's pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct PairStats {
    pub ratio_median: f64,
    pub ratio_min: f64,
    pub ratio_max: f64,
    pub rust_median: f64,
    pub peer_median: f64,
    pub pairs: usize,
    pub quiet_pairs: usize,
}

/// Median, min and max of the per-pair ratios and each side's median;
/// `None` when no pair has a valid ratio (pairs without one are left out).
pub fn pair_stats(measure: SpeedMeasure, pairs: &[Pair]) -> Option<PairStats> {
    let valid: Vec<(&Pair, f64)> = pairs
        .iter()
        .filter_map(|p| measure.ratio(p.rust, p.peer).map(|r| (p, r)))
        .collect();
    let ratios: Vec<f64> = valid.iter().map(|(_, r)| *r).collect();
    let rust: Vec<f64> = valid.iter().map(|(p, _)| p.rust).collect();
    let peer: Vec<f64> = valid.iter().map(|(p, _)| p.peer).collect();
    Some(PairStats {
        ratio_median: median(&ratios)?,
        ratio_min: ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratio_max: ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        rust_median: median(&rust)?,
        peer_median: median(&peer)?,
        pairs: valid.len(),
        quiet_pairs: valid.iter().filter(|(p, _)| p.quiet).count(),
    })
}

/// The CPU model and the instruction-set flags the SPEC's ratios depend on;
/// `None` where the system does not say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CpuInfo {
    pub model: Option<String>,
    pub avx2: Option<bool>,
    pub fma: Option<bool>,
    pub avx512f: Option<bool>,
}

impl CpuInfo {
    /// Parse the text of Linux's `/proc/cpuinfo` (the first processor's
    /// entries). A flags list without a flag means the flag is absent; no
    /// flags list at all leaves the flags unknown.
    pub fn parse(text: &str) -> CpuInfo {
        let mut model = None;
        let mut flags: Option<Vec<&str>> = None;
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if model.is_none()
                && matches!(key, "model name" | "cpu model" | "Processor" | "Hardware")
                && !value.is_empty()
            {
                model = Some(value.to_string());
            }
            if flags.is_none() && matches!(key, "flags" | "Features") {
                flags = Some(value.split_whitespace().collect());
            }
        }
        let has = |f: &str| flags.as_ref().map(|fl| fl.contains(&f));
        CpuInfo {
            model,
            avx2: has("avx2"),
            fma: has("fma"),
            avx512f: has("avx512f"),
        }
    }

    /// This machine's CPU (`/proc/cpuinfo`; unknown where it is absent).
    pub fn read() -> CpuInfo {
        std::fs::read_to_string("/proc/cpuinfo")
            .map(|t| CpuInfo::parse(&t))
            .unwrap_or_default()
    }

    fn insert_into(&self, m: &mut Map<String, Value>) {
        m.insert(
            "cpu".into(),
            json!(self.model.as_deref().unwrap_or("unknown")),
        );
        m.insert("avx2".into(), json!(self.avx2));
        m.insert("fma".into(), json!(self.fma));
        m.insert("avx512f".into(), json!(self.avx512f));
    }

    fn describe(&self) -> String {
        let flag = |name: &str, v: Option<bool>| {
            let v = match v {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            };
            format!("{name} {v}")
        };
        format!(
            "{} ({}, {}, {})",
            self.model.as_deref().unwrap_or("unknown CPU"),
            flag("avx2", self.avx2),
            flag("fma", self.fma),
            flag("avx512f", self.avx512f)
        )
    }
}

/// What `--compare` runs and where it writes.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The interpreter that has the peer libraries.
    pub python: PathBuf,
    /// The `cointrainer` executable the Rust runs are started from.
    pub exe: PathBuf,
    /// Where the peer scripts are (`benches/peer`).
    pub peer_dir: PathBuf,
    pub data_dir: PathBuf,
    pub raw_dir: PathBuf,
    pub threads: usize,
    pub seed: u64,
    /// Where T4 and T6 train, on both sides (PyTorch's `cuda:N` for the
    /// peers, also for a ROCm GPU).
    pub device: crate::device::Device,
    pub tasks: Vec<&'static str>,
    /// Interleaved pairs per task (at least 1).
    pub pairs: usize,
    /// Re-runs of a run whose line says `quiet: false`, after waiting for
    /// an idle machine; a run still not quiet then counts as not quiet.
    pub reruns: usize,
    /// How long to wait for an idle machine before a re-run.
    pub idle_wait: Duration,
    /// One JSON line per task and a summary line instead of the table.
    pub json: bool,
    /// Every run's result line, as JSON lines.
    pub out: Option<PathBuf>,
}

/// The outcome of comparing one task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    Compared(PairStats),
    /// A side cannot run here (a peer library is not installed, or the Rust
    /// side reports the task skipped).
    Skipped(String),
    Failed(String),
}

/// One task's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskComparison {
    pub task: &'static str,
    pub measure: SpeedMeasure,
    pub outcome: TaskOutcome,
    pub rust_impl: Option<String>,
    pub peer_impl: Option<String>,
    /// Runs repeated because their line said `quiet: false`.
    pub reruns: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Rust,
    Peer,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Rust => "rust",
            Side::Peer => "peer",
        }
    }
}

/// Why a run gave no result line.
enum RunError {
    Skipped(String),
    Failed(String),
}

/// The native thread-pool variables the peers pin (`spec_timing.py`).
const THREAD_VARS: [&str; 6] = [
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
];

/// The longest error text kept from a child's stderr.
const REASON_MAX_CHARS: usize = 300;

fn rust_command(task: &str, o: &CompareOptions) -> Command {
    let mut c = Command::new(&o.exe);
    c.arg("bench")
        .arg("--task")
        .arg(task)
        .arg("--data-dir")
        .arg(&o.data_dir)
        .arg("--raw-dir")
        .arg(&o.raw_dir)
        .arg("--threads")
        .arg(o.threads.to_string())
        .arg("--seed")
        .arg(o.seed.to_string())
        .arg("--device")
        .arg(o.device.to_string());
    c
}

/// The arguments each peer script takes: its inputs from the same folders
/// as the Rust side, one try per process (the comparison does the re-runs),
/// and the seed and threads where the script takes them.
fn peer_args(task: &str, o: &CompareOptions) -> Vec<OsString> {
    let d = |name: &str| o.data_dir.join(name).into_os_string();
    let raw = o.raw_dir.join("BTCUSDT-1h.csv").into_os_string();
    let s = |x: &str| OsString::from(x);
    let mut args = peer_task_args(task, o, d, raw, s);
    if matches!(task, "T4" | "T6") {
        args.push(s("--device"));
        args.push(s(&o.device.torch_name()));
    }
    args
}

fn peer_task_args(
    task: &str,
    o: &CompareOptions,
    d: impl Fn(&str) -> OsString,
    raw: OsString,
    s: impl Fn(&str) -> OsString,
) -> Vec<OsString> {
    match task {
        "T0" => vec![s("--raw"), raw, s("--reference"), d("features_btc_1h.csv")],
        "T1" => vec![
            s("--data"),
            d("features_btc_1h.csv"),
            s("--attempts"),
            s("1"),
        ],
        "T2" => vec![s("--data"), d("meta_btc_1h.csv"), s("--max-tries"), s("1")],
        "T3" => vec![
            s("--data"),
            d("features_btc_1h.csv"),
            s("--max-tries"),
            s("1"),
        ],
        "T4" => vec![
            s("--data"),
            d("strategy_returns_btc_1h.csv"),
            s("--seed"),
            s(&o.seed.to_string()),
            s("--max-tries"),
            s("1"),
        ],
        "T5" => vec![s("--data-dir"), o.data_dir.clone().into_os_string()],
        "T6" => vec![
            s("--data"),
            d("features_btc_1h.csv"),
            s("--attempts"),
            s("1"),
            s("--threads"),
            s(&o.threads.to_string()),
        ],
        "T7" => vec![
            s("--raw"),
            raw,
            s("--reference"),
            d("ou_reference_btc_1h.csv"),
            s("--max-tries"),
            s("1"),
        ],
        _ => Vec::new(),
    }
}

fn peer_command(task: &str, script: &Path, o: &CompareOptions) -> Command {
    let mut c = Command::new(&o.python);
    c.arg(script).args(peer_args(task, o));
    for var in THREAD_VARS {
        c.env(var, o.threads.to_string());
    }
    // Keep the peer directory free of bytecode caches.
    c.env("PYTHONDONTWRITEBYTECODE", "1");
    c
}

/// The last non-empty stderr line, or the line naming a missing module.
fn stderr_reason(stderr: &[u8]) -> (bool, String) {
    let text = String::from_utf8_lossy(stderr);
    let missing = text
        .lines()
        .rev()
        .find(|l| l.contains("ModuleNotFoundError") || l.contains("ImportError"));
    let line = missing
        .or_else(|| text.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("no error output")
        .trim();
    (
        missing.is_some(),
        line.chars().take(REASON_MAX_CHARS).collect(),
    )
}

/// Run one child and return its result line for `task`.
fn run_once(task: &str, side: Side, mut cmd: Command) -> Result<Value, RunError> {
    let out = cmd.output().map_err(|e| {
        RunError::Failed(format!(
            "cannot start the {} side ({}): {e}",
            side.name(),
            cmd.get_program().to_string_lossy()
        ))
    })?;
    if !out.status.success() {
        let (missing, reason) = stderr_reason(&out.stderr);
        return Err(if missing && side == Side::Peer {
            RunError::Skipped(format!("peer not installed: {reason}"))
        } else {
            RunError::Failed(format!("{} side {}: {reason}", side.name(), out.status))
        });
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find(|v| v.get("task").and_then(Value::as_str) == Some(task))
        .ok_or_else(|| {
            RunError::Failed(format!(
                "{} side printed no result line for {task}",
                side.name()
            ))
        })?;
    if line.get("skipped").and_then(Value::as_bool) == Some(true) {
        let why = line.get("reason").and_then(Value::as_str).unwrap_or("");
        return Err(RunError::Skipped(format!(
            "{} side skipped: {why}",
            side.name()
        )));
    }
    Ok(line)
}

/// Wait until the machine is idle (< 5% busy over 3 s, SPEC 0.1), at most
/// `max`. False when it never was.
fn wait_idle(max: Duration) -> bool {
    let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let deadline = Instant::now() + max;
    while Instant::now() < deadline {
        let Some(b0) = system_busy_s() else {
            return false;
        };
        std::thread::sleep(Duration::from_secs(3));
        let Some(b1) = system_busy_s() else {
            return false;
        };
        if (b1 - b0) / (3.0 * ncpu) < 0.05 {
            return true;
        }
    }
    false
}

fn speed_of(line: &Value, measure: SpeedMeasure, side: Side) -> Result<f64, RunError> {
    line.get(measure.key)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| {
            RunError::Failed(format!(
                "{} side's line has no positive `{}`",
                side.name(),
                measure.key
            ))
        })
}

/// A raw run line for `--out`.
fn raw_record(
    task: &str,
    side: Side,
    pair: usize,
    attempt: usize,
    r: &Result<Value, RunError>,
) -> Value {
    let mut m = Map::new();
    m.insert("task".into(), json!(task));
    m.insert("side".into(), json!(side.name()));
    m.insert("pair".into(), json!(pair));
    m.insert("attempt".into(), json!(attempt));
    match r {
        Ok(line) => m.insert("result".into(), line.clone()),
        Err(RunError::Skipped(why)) => m.insert("skipped".into(), json!(why)),
        Err(RunError::Failed(why)) => m.insert("error".into(), json!(why)),
    };
    Value::Object(m)
}

/// Runs one side until its line says quiet, at most `1 + reruns` times.
struct SideRunner<'a> {
    opts: &'a CompareOptions,
    raw: &'a mut Vec<Value>,
    reruns: usize,
}

impl SideRunner<'_> {
    fn run(
        &mut self,
        task: &str,
        side: Side,
        pair: usize,
        make: &dyn Fn() -> Command,
    ) -> Result<Value, RunError> {
        let mut attempt = 1;
        loop {
            let r = run_once(task, side, make());
            self.raw.push(raw_record(task, side, pair, attempt, &r));
            let line = r?;
            let quiet = line.get("quiet").and_then(Value::as_bool) == Some(true);
            // Progress on stderr: a comparison takes minutes to hours.
            eprintln!(
                "# {task} pair {pair} {} run {attempt}: foreign_cpu_s {} quiet {quiet}",
                side.name(),
                line.get("foreign_cpu_s").unwrap_or(&Value::Null)
            );
            if quiet || attempt > self.opts.reruns {
                return Ok(line);
            }
            self.reruns += 1;
            attempt += 1;
            if !wait_idle(self.opts.idle_wait) {
                eprintln!(
                    "# machine not idle after {} s; re-running anyway",
                    self.opts.idle_wait.as_secs()
                );
            }
        }
    }
}

fn impl_name(line: &Value) -> Option<String> {
    line.get("impl").and_then(Value::as_str).map(str::to_string)
}

/// Compare one task: `opts.pairs` interleaved pairs.
fn compare_task(
    task: &'static str,
    measure: SpeedMeasure,
    opts: &CompareOptions,
    raw: &mut Vec<Value>,
) -> TaskComparison {
    let mut cmp = TaskComparison {
        task,
        measure,
        outcome: TaskOutcome::Failed(String::new()),
        rust_impl: None,
        peer_impl: None,
        reruns: 0,
    };
    let script = opts.peer_dir.join(peer_script(task).unwrap_or_default());
    if !script.is_file() {
        cmp.outcome = TaskOutcome::Failed(format!("peer script {} not found", script.display()));
        return cmp;
    }
    match missing_modules(&opts.python, peer_modules(task)) {
        Ok(missing) if !missing.is_empty() => {
            cmp.outcome = TaskOutcome::Skipped(format!(
                "peer not installed: no module {}",
                missing.join(", ")
            ));
            return cmp;
        }
        Ok(_) => {}
        Err(why) => {
            cmp.outcome = TaskOutcome::Failed(why);
            return cmp;
        }
    }
    let mut runner = SideRunner {
        opts,
        raw,
        reruns: 0,
    };
    let mut pairs = Vec::with_capacity(opts.pairs);
    let result = (|| -> Result<(), RunError> {
        for pair in 1..=opts.pairs {
            let rust = runner.run(task, Side::Rust, pair, &|| rust_command(task, opts))?;
            let peer = runner.run(task, Side::Peer, pair, &|| {
                peer_command(task, &script, opts)
            })?;
            cmp.rust_impl = impl_name(&rust);
            cmp.peer_impl = impl_name(&peer);
            let quiet = [&rust, &peer]
                .iter()
                .all(|l| l.get("quiet").and_then(Value::as_bool) == Some(true));
            pairs.push(Pair {
                rust: speed_of(&rust, measure, Side::Rust)?,
                peer: speed_of(&peer, measure, Side::Peer)?,
                quiet,
            });
        }
        Ok(())
    })();
    cmp.reruns = runner.reruns;
    cmp.outcome = match result {
        Err(RunError::Skipped(why)) => TaskOutcome::Skipped(why),
        Err(RunError::Failed(why)) => TaskOutcome::Failed(why),
        Ok(()) => match pair_stats(measure, &pairs) {
            Some(s) => TaskOutcome::Compared(s),
            None => TaskOutcome::Failed("no pair gave a valid ratio".into()),
        },
    };
    cmp
}

/// The JSON line of one task.
pub fn task_json(c: &TaskComparison, cpu: &CpuInfo, threads: usize) -> Value {
    let mut m = Map::new();
    m.insert("task".into(), json!(c.task));
    m.insert("speed_measure".into(), json!(c.measure.key));
    m.insert("direction".into(), json!(c.measure.direction.name()));
    m.insert("ratio".into(), json!(c.measure.ratio_formula()));
    match &c.outcome {
        TaskOutcome::Compared(s) => {
            m.insert("status".into(), json!("ok"));
            m.insert("ratio_median".into(), json!(s.ratio_median));
            m.insert("ratio_min".into(), json!(s.ratio_min));
            m.insert("ratio_max".into(), json!(s.ratio_max));
            m.insert("rust_median".into(), json!(s.rust_median));
            m.insert("peer_median".into(), json!(s.peer_median));
            m.insert("pairs".into(), json!(s.pairs));
            m.insert("quiet_pairs".into(), json!(s.quiet_pairs));
            m.insert("quiet".into(), json!(s.quiet_pairs == s.pairs));
        }
        TaskOutcome::Skipped(why) => {
            m.insert("status".into(), json!("skipped"));
            m.insert("reason".into(), json!(why));
        }
        TaskOutcome::Failed(why) => {
            m.insert("status".into(), json!("failed"));
            m.insert("reason".into(), json!(why));
        }
    }
    m.insert("reruns".into(), json!(c.reruns));
    m.insert("rust_impl".into(), json!(c.rust_impl));
    m.insert("peer_impl".into(), json!(c.peer_impl));
    m.insert("threads".into(), json!(threads));
    cpu.insert_into(&mut m);
    Value::Object(m)
}

/// The summary line after the task lines.
pub fn summary_json(results: &[TaskComparison], cpu: &CpuInfo, opts: &CompareOptions) -> Value {
    let ids = |f: &dyn Fn(&TaskOutcome) -> bool| -> Vec<&str> {
        results
            .iter()
            .filter(|c| f(&c.outcome))
            .map(|c| c.task)
            .collect()
    };
    let compared = ids(&|o| matches!(o, TaskOutcome::Compared(_)));
    let all_quiet = results.iter().all(|c| match &c.outcome {
        TaskOutcome::Compared(s) => s.quiet_pairs == s.pairs,
        _ => true,
    });
    let mut m = Map::new();
    m.insert("summary".into(), json!(true));
    m.insert("tasks".into(), json!(results.len()));
    m.insert("compared".into(), json!(compared));
    m.insert(
        "skipped".into(),
        json!(ids(&|o| matches!(o, TaskOutcome::Skipped(_)))),
    );
    m.insert(
        "failed".into(),
        json!(ids(&|o| matches!(o, TaskOutcome::Failed(_)))),
    );
    m.insert("pairs".into(), json!(opts.pairs));
    m.insert("all_quiet".into(), json!(all_quiet));
    m.insert("python".into(), json!(opts.python.to_string_lossy()));
    m.insert("threads".into(), json!(opts.threads));
    cpu.insert_into(&mut m);
    Value::Object(m)
}

/// A value with about 4 significant digits.
fn sig(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
    format!("{x:.digits$}")
}

/// The readable table.
pub fn table(results: &[TaskComparison], cpu: &CpuInfo, opts: &CompareOptions) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "CPU: {}; {} threads per side; {} interleaved pairs per task",
        cpu.describe(),
        opts.threads,
        opts.pairs
    );
    let _ = writeln!(
        s,
        "{:<5} {:<22} {:>12} {:>12} {:>8} {:>19} {:>6}",
        "task", "speed measure", "rust median", "peer median", "speedup", "min..max", "quiet"
    );
    for c in results {
        let measure = format!(
            "{} ({})",
            c.measure.key,
            match c.measure.direction {
                Direction::Time => "s",
                Direction::Throughput => "/s",
            }
        );
        match &c.outcome {
            TaskOutcome::Compared(st) => {
                let _ = writeln!(
                    s,
                    "{:<5} {:<22} {:>12} {:>12} {:>7}x {:>19} {:>6}{}",
                    c.task,
                    measure,
                    sig(st.rust_median),
                    sig(st.peer_median),
                    sig(st.ratio_median),
                    format!("{}x..{}x", sig(st.ratio_min), sig(st.ratio_max)),
                    format!("{}/{}", st.quiet_pairs, st.pairs),
                    if st.quiet_pairs < st.pairs {
                        "  NOT QUIET"
                    } else {
                        ""
                    }
                );
            }
            TaskOutcome::Skipped(why) => {
                let _ = writeln!(s, "{:<5} skipped: {why}", c.task);
            }
            TaskOutcome::Failed(why) => {
                let _ = writeln!(s, "{:<5} FAILED: {why}", c.task);
            }
        }
    }
    let _ = writeln!(
        s,
        "speedup = median over pairs of peer/rust (seconds) or rust/peer (per second); > 1: Rust faster."
    );
    let _ = writeln!(
        s,
        "A pair is quiet when both runs were (SPEC 0.1: foreign CPU <= max(1 s, 3% of 2 x wall)); \
         ratios of pairs that were not quiet are not valid timings."
    );
    s
}

fn write_raw(path: &Path, raw: &[Value]) -> Result<(), BenchError> {
    let mut bytes = Vec::new();
    for v in raw {
        bytes.extend_from_slice(v.to_string().as_bytes());
        bytes.push(b'\n');
    }
    agent_core::write_atomic(path, &bytes).map_err(BenchError::failed)
}

/// Run the comparison and print its result to `out` (the table, or with
/// `opts.json` one line per task and a summary line). The raw run lines go
/// to `opts.out`, rewritten after each task so an interrupted comparison
/// keeps what it ran.
pub fn run(opts: &CompareOptions, out: &mut dyn Write) -> Result<Vec<TaskComparison>, BenchError> {
    if opts.pairs == 0 {
        return Err(BenchError::Failed("--pairs must be at least 1".into()));
    }
    // Fail before any run when the interpreter cannot start at all.
    Command::new(&opts.python)
        .arg("--version")
        .output()
        .map_err(|e| BenchError::Failed(format!("cannot run {}: {e}", opts.python.display())))?;
    let cpu = CpuInfo::read();
    let mut raw = Vec::new();
    let mut results = Vec::with_capacity(opts.tasks.len());
    for &task in &opts.tasks {
        let measure = speed_measure(task).ok_or_else(|| BenchError::UnknownTask(task.into()))?;
        let c = compare_task(task, measure, opts, &mut raw);
        if opts.json {
            writeln!(out, "{}", task_json(&c, &cpu, opts.threads)).map_err(BenchError::failed)?;
        }
        if let Some(p) = &opts.out {
            write_raw(p, &raw)?;
        }
        results.push(c);
    }
    if opts.json {
        writeln!(out, "{}", summary_json(&results, &cpu, opts)).map_err(BenchError::failed)?;
    } else {
        write!(out, "{}", table(&results, &cpu, opts)).map_err(BenchError::failed)?;
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIME: SpeedMeasure = SpeedMeasure {
        key: "wall_s",
        direction: Direction::Time,
    };
    const THROUGHPUT: SpeedMeasure = SpeedMeasure {
        key: "steps_per_s",
        direction: Direction::Throughput,
    };

    fn pair(rust: f64, peer: f64, quiet: bool) -> Pair {
        Pair { rust, peer, quiet }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[4.0]), Some(4.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[10.0, 1.0]), Some(5.5));
    }

    #[test]
    fn time_ratio_is_peer_over_rust_and_throughput_ratio_rust_over_peer() {
        // Rust twice as fast on both kinds of measure: ratio 2 either way.
        assert_eq!(TIME.ratio(1.0, 2.0), Some(2.0));
        assert_eq!(THROUGHPUT.ratio(2000.0, 1000.0), Some(2.0));
        // Rust slower: < 1.
        assert_eq!(TIME.ratio(4.0, 1.0), Some(0.25));
        assert_eq!(THROUGHPUT.ratio(250.0, 1000.0), Some(0.25));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(TIME.ratio(bad, 1.0), None);
            assert_eq!(THROUGHPUT.ratio(1.0, bad), None);
        }
    }

    #[test]
    fn stats_are_the_median_of_per_pair_ratios_not_the_ratio_of_medians() {
        // Ratios 2, 1, 4: median 2. The ratio of the side medians would be
        // 3/1.5 = 2 here too, so check a case where they differ below.
        let p = [
            pair(1.0, 2.0, true),
            pair(3.0, 3.0, false),
            pair(0.5, 2.0, true),
        ];
        let s = pair_stats(TIME, &p).unwrap();
        assert_eq!(s.ratio_median, 2.0);
        assert_eq!(s.ratio_min, 1.0);
        assert_eq!(s.ratio_max, 4.0);
        assert_eq!(s.rust_median, 1.0);
        assert_eq!(s.peer_median, 2.0);
        assert_eq!((s.pairs, s.quiet_pairs), (3, 2));

        // Ratios 10, 1, 1 (median 1) but side medians 1 and 10 (ratio 10).
        let p = [
            pair(1.0, 10.0, true),
            pair(10.0, 10.0, true),
            pair(20.0, 20.0, true),
        ];
        let s = pair_stats(TIME, &p).unwrap();
        assert_eq!(s.ratio_median, 1.0);
        assert_eq!((s.rust_median, s.peer_median), (10.0, 10.0));
        assert_eq!((s.ratio_min, s.ratio_max), (1.0, 10.0));
    }

    #[test]
    fn even_pair_count_takes_the_mean_of_the_middle_ratios() {
        let p = [
            pair(1.0, 1.0, true),
            pair(1.0, 4.0, true),
            pair(1.0, 2.0, true),
            pair(1.0, 3.0, true),
        ];
        let s = pair_stats(TIME, &p).unwrap();
        assert_eq!(s.ratio_median, 2.5);
        assert_eq!((s.ratio_min, s.ratio_max), (1.0, 4.0));
        assert_eq!(s.peer_median, 2.5);
    }

    #[test]
    fn throughput_stats_point_the_same_way_as_time_stats() {
        // Rust 1.5M decisions/s against the peer's 0.5M, 1M, 3M.
        let p = [
            pair(1.5e6, 0.5e6, true),
            pair(1.5e6, 1.0e6, true),
            pair(1.5e6, 3.0e6, false),
        ];
        let s = pair_stats(THROUGHPUT, &p).unwrap();
        assert_eq!(s.ratio_median, 1.5);
        assert_eq!((s.ratio_min, s.ratio_max), (0.5, 3.0));
        assert_eq!(s.quiet_pairs, 2);
        // The same runs as seconds per 1M decisions give the same ratios.
        let t: Vec<Pair> = p
            .iter()
            .map(|q| pair(1e6 / q.rust, 1e6 / q.peer, q.quiet))
            .collect();
        let st = pair_stats(TIME, &t).unwrap();
        assert!((st.ratio_median - s.ratio_median).abs() < 1e-12);
        assert!((st.ratio_min - s.ratio_min).abs() < 1e-12);
        assert!((st.ratio_max - s.ratio_max).abs() < 1e-12);
    }

    #[test]
    fn pairs_without_a_valid_ratio_are_left_out() {
        let p = [pair(1.0, 2.0, true), pair(0.0, 2.0, true)];
        let s = pair_stats(TIME, &p).unwrap();
        assert_eq!((s.pairs, s.ratio_median), (1, 2.0));
        assert_eq!(pair_stats(TIME, &[pair(f64::NAN, 1.0, true)]), None);
        assert_eq!(pair_stats(TIME, &[]), None);
    }

    #[test]
    fn every_task_has_a_speed_measure_and_a_peer() {
        for t in TASKS {
            assert!(speed_measure(t).is_some(), "{t}");
            assert!(peer_script(t).is_some(), "{t}");
        }
        assert_eq!(
            speed_measure("T4").unwrap().direction,
            Direction::Throughput
        );
        assert_eq!(speed_measure("T5").unwrap().key, "a_sm_decisions_per_s");
        assert_eq!(speed_measure("T7").unwrap().direction, Direction::Time);
        assert_eq!(speed_measure("T8"), None);
    }

    #[test]
    fn tasks_parse_from_repeats_and_comma_lists() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_tasks(&v(&["T0,t7"])).unwrap(), vec!["T0", "T7"]);
        assert_eq!(
            parse_tasks(&v(&["T3", "T1, T3"])).unwrap(),
            vec!["T3", "T1"]
        );
        assert_eq!(parse_tasks(&[]).unwrap(), TASKS.to_vec());
        assert!(matches!(
            parse_tasks(&v(&["T0,T9"])),
            Err(BenchError::UnknownTask(t)) if t == "T9"
        ));
    }

    const X86: &str = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\
        flags\t\t: fpu vme sse2 avx fma avx2 bmi2 avx512f avx512dq\n\n\
        processor\t: 1\nmodel name\t: other\nflags\t\t: fpu\n";

    #[test]
    fn cpuinfo_model_and_flags_of_the_first_processor() {
        let c = CpuInfo::parse(X86);
        assert_eq!(c.model.as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(
            (c.avx2, c.fma, c.avx512f),
            (Some(true), Some(true), Some(true))
        );
    }

    #[test]
    fn cpuinfo_flag_names_match_whole_words_only() {
        // avx512dq alone is not avx512f; avx alone is not avx2.
        let c = CpuInfo::parse("model name : Intel Xeon\nflags : avx avx512dq fma4\n");
        assert_eq!(
            (c.avx2, c.fma, c.avx512f),
            (Some(false), Some(false), Some(false))
        );
    }

    #[test]
    fn cpuinfo_of_other_architectures_and_of_none() {
        let arm = "processor\t: 0\nFeatures\t: fp asimd sve\nCPU part\t: 0xd0c\n";
        // A flags list without the x86 flags: they are absent, not unknown.
        let c = CpuInfo::parse(arm);
        assert_eq!(c.model, None);
        assert_eq!(
            (c.avx2, c.fma, c.avx512f),
            (Some(false), Some(false), Some(false))
        );
        let c = CpuInfo::parse("");
        assert_eq!(c, CpuInfo::default());
        assert_eq!(c.avx2, None);
    }

    #[test]
    fn a_missing_module_is_recognised_in_stderr() {
        let err = b"Traceback (most recent call last):\n  File \"t6_torch.py\", line 38\n\
            ModuleNotFoundError: No module named 'torch'\n";
        let (missing, reason) = stderr_reason(err);
        assert!(missing);
        assert_eq!(reason, "ModuleNotFoundError: No module named 'torch'");
        let (missing, reason) = stderr_reason(b"Traceback\nAssertionError: lr_1\n\n");
        assert!(!missing);
        assert_eq!(reason, "AssertionError: lr_1");
    }

    /// A peer script in a temp folder and a maker of commands that run it
    /// with a real Python.
    fn peer_script_maker(body: &str) -> (tempfile::TempDir, impl Fn() -> Command) {
        let python = test_support::python_with(&[]).unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("peer.py");
        std::fs::write(&script, body).unwrap();
        let make = move || {
            let mut c = Command::new(&python);
            c.arg(&script);
            c
        };
        (dir, make)
    }

    fn peer(body: &str) -> (tempfile::TempDir, Command) {
        let (dir, make) = peer_script_maker(body);
        (dir, make())
    }

    fn options(reruns: usize) -> CompareOptions {
        CompareOptions {
            python: PathBuf::from("python3"),
            exe: PathBuf::from("cointrainer"),
            peer_dir: PathBuf::from("benches/peer"),
            data_dir: PathBuf::from("d"),
            raw_dir: PathBuf::from("r"),
            threads: 2,
            seed: 0,
            device: Default::default(),
            tasks: vec!["T0"],
            pairs: 1,
            reruns,
            idle_wait: Duration::ZERO,
            json: false,
            out: None,
        }
    }

    #[test]
    fn the_device_reaches_both_sides_of_t4_and_t6_only() {
        let mut o = options(0);
        o.device = crate::device::Device::Rocm(1);
        let text = |args: Vec<OsString>| -> Vec<String> {
            args.into_iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        for task in ["T4", "T6"] {
            let peer = text(peer_args(task, &o));
            // PyTorch names a ROCm GPU `cuda` too.
            assert!(
                peer.ends_with(&["--device".into(), "cuda:1".into()]),
                "{peer:?}"
            );
        }
        assert!(!text(peer_args("T3", &o)).contains(&"--device".to_string()));
        let rust: Vec<String> = rust_command("T6", &o)
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(
            rust.ends_with(&["--device".into(), "rocm:1".into()]),
            "{rust:?}"
        );
    }

    #[test]
    fn a_peer_without_its_library_is_skipped_with_the_module_named() {
        let (_d, cmd) = peer("import cointrainer_no_such_module\n");
        match run_once("T0", Side::Peer, cmd) {
            Err(RunError::Skipped(why)) => {
                assert!(
                    why.contains("No module named 'cointrainer_no_such_module'"),
                    "{why}"
                )
            }
            Err(RunError::Failed(why)) => panic!("failed instead of skipped: {why}"),
            Ok(v) => panic!("ran: {v}"),
        }
        // Any other crash is a failure, with its last error line.
        let (_d, cmd) = peer("assert 1 == 2, 'lr_1 differs'\n");
        match run_once("T0", Side::Peer, cmd) {
            Err(RunError::Failed(why)) => {
                assert!(why.contains("AssertionError: lr_1 differs"), "{why}")
            }
            _ => panic!("an assertion error must fail the task"),
        }
    }

    #[test]
    fn missing_modules_are_found_without_importing_them() {
        let python = test_support::python_with(&[]).unwrap_or_else(|e| panic!("{e}"));
        let missing =
            missing_modules(&python, &["json", "cointrainer_no_such_module", "os"]).unwrap();
        assert_eq!(missing, vec!["cointrainer_no_such_module"]);
        assert_eq!(missing_modules(&python, &[]).unwrap(), Vec::<String>::new());
        for t in TASKS {
            assert!(!peer_modules(t).is_empty(), "{t}");
        }
        assert!(missing_modules(Path::new("/nonexistent/python3"), &["json"]).is_err());
    }

    #[test]
    fn the_result_line_of_the_task_is_found_among_other_output() {
        let (_d, cmd) = peer(
            "print('# warming up')\n\
             print('{\"task\": \"T1\", \"wall_s\": 9}')\n\
             print('{\"task\": \"T0\", \"wall_s\": 0.5, \"quiet\": true}')\n\
             print('done')\n",
        );
        let line = run_once("T0", Side::Peer, cmd).unwrap_or_else(|_| panic!("no line"));
        assert_eq!(speed_of(&line, TIME, Side::Peer).ok(), Some(0.5));
        let (_d, cmd) = peer("print('{\"task\": \"T1\", \"wall_s\": 9}')\n");
        assert!(matches!(
            run_once("T0", Side::Peer, cmd),
            Err(RunError::Failed(_))
        ));
    }

    #[test]
    fn a_run_that_is_not_quiet_is_re_run_a_bounded_number_of_times() {
        let (_d, make) =
            peer_script_maker("print('{\"task\": \"T0\", \"wall_s\": 1.0, \"quiet\": false}')\n");
        for reruns in [0, 2] {
            let opts = options(reruns);
            let mut raw = Vec::new();
            let mut runner = SideRunner {
                opts: &opts,
                raw: &mut raw,
                reruns: 0,
            };
            let line = runner
                .run("T0", Side::Peer, 1, &make)
                .unwrap_or_else(|_| panic!("no line"));
            assert_eq!(line["quiet"], json!(false));
            assert_eq!(runner.reruns, reruns);
            assert_eq!(raw.len(), reruns + 1);
            assert_eq!(raw.last().unwrap()["attempt"], json!(reruns + 1));
        }
        // A quiet run is not repeated.
        let (_q, make) =
            peer_script_maker("print('{\"task\": \"T0\", \"wall_s\": 1.0, \"quiet\": true}')\n");
        let opts = options(2);
        let mut raw = Vec::new();
        let mut runner = SideRunner {
            opts: &opts,
            raw: &mut raw,
            reruns: 0,
        };
        runner
            .run("T0", Side::Peer, 1, &make)
            .unwrap_or_else(|_| panic!("no line"));
        assert_eq!((runner.reruns, raw.len()), (0, 1));
    }
}
