//! One module per agent: how the orchestrator turns candles (and, where an
//! agent needs them, simulated strategy returns) into a trained, evaluated
//! and saved model. Every module follows the same shape so the orchestrator
//! can treat agents alike: parse params (unknown keys are errors), build the
//! agent's data with a chronological split, train, score out of sample, save
//! the artifact and any plots into the job's report directory.

pub use crate::device::Device;
use crate::error::TrainError;
use agent_core::Direction;
use market::Candles;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub mod linucb_agent;
pub mod lstm_agent;
pub mod meta_agent;
pub mod ou_agent;
pub mod ppo_agent;
pub mod regime_agent;
pub mod signal_agent;

/// Candle series of one job, each with the symbol it belongs to.
#[derive(Debug, Clone)]
pub struct MarketData {
    pub series: Vec<(String, Candles)>,
    /// Where the candles came from, for reports.
    pub source: String,
    /// The same, as every model trained on them records it in its manifest.
    pub provenance: agent_core::Provenance,
}

impl MarketData {
    /// The first series (agents that learn from one price path use it).
    pub fn primary(&self) -> Result<(&str, &Candles), TrainError> {
        self.series
            .first()
            .map(|(s, c)| (s.as_str(), c))
            .ok_or_else(|| TrainError::Data("no candles were given".into()))
    }

    /// The same data cut to the bars before `until` (epoch ms) in every
    /// series: what was known then.
    pub fn before(&self, until: i64) -> MarketData {
        MarketData {
            series: self
                .series
                .iter()
                .map(|(s, c)| (s.clone(), c.slice(0..c.ts.partition_point(|&t| t < until))))
                .collect(),
            source: self.source.clone(),
            provenance: self.provenance.clone(),
        }
    }
}

/// What an agent needs before it can train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bootstrap {
    /// Candles (and the features computed from them) only.
    Candles,
    /// Per-window strategy returns from a backtest of the shipped strategies.
    StrategyReturns,
    /// The trade log of the whole-bot bootstrap (the simulated trades of
    /// every strategy over every series). The agent runs the bootstrap
    /// itself ([`crate::bootstrap::run`], through [`bootstrap_trades`]),
    /// since it needs the trades and the training cut, not the returns
    /// table, and writes its outputs into `out_dir/bootstrap`.
    Trades,
}

/// The whole-bot bootstrap of `data` (default options) for an agent that
/// learns from its trades, its outputs written into `out_dir/bootstrap`
/// when `out_dir` is given (training; re-scoring writes nothing).
pub fn bootstrap_trades(
    data: &MarketData,
    out_dir: Option<&Path>,
) -> Result<crate::bootstrap::BootstrapRun, TrainError> {
    let run = crate::bootstrap::run(data, &crate::bootstrap::BootstrapOptions::default())?;
    if let Some(dir) = out_dir {
        let dir = dir.join("bootstrap");
        std::fs::create_dir_all(&dir).map_err(|e| TrainError::io(&dir, e))?;
        run.write_dir(&dir)?;
    }
    Ok(run)
}

/// Everything a training run gets.
pub struct TrainCtx<'a> {
    pub data: &'a MarketData,
    /// Present when the agent's [`Bootstrap`] asks for it.
    pub returns: Option<&'a backtest::StrategyReturns>,
    /// Agent parameters (a JSON object; unknown keys are errors).
    pub params: &'a Map<String, Value>,
    /// The job's report directory: the model goes to `out_dir/model`.
    pub out_dir: &'a Path,
    /// Where to train; [`AgentTrainer::check_device`] accepted it.
    pub device: Device,
    /// Progress of the training stage in [0, 1].
    pub progress: &'a (dyn Fn(f64) + Sync),
}

impl TrainCtx<'_> {
    pub fn model_dir(&self) -> PathBuf {
        self.out_dir.join("model")
    }

    pub fn returns(&self) -> Result<&backtest::StrategyReturns, TrainError> {
        self.returns.ok_or_else(|| {
            TrainError::Data("this agent needs the backtest bootstrap (strategy returns)".into())
        })
    }

    /// An [`agent_core::Progress`] callback that maps done/total onto [0, 1].
    pub fn core_progress(&self) -> impl Fn(agent_core::ProgressEvent) + Sync + '_ {
        move |e: agent_core::ProgressEvent| {
            if e.total > 0 {
                (self.progress)((e.done as f64 / e.total as f64).clamp(0.0, 1.0));
            }
        }
    }
}

/// What a training run produced.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The saved artifact directory (manifest + files).
    pub model_dir: PathBuf,
    /// Out-of-sample metrics, as saved in the manifest.
    pub metrics: BTreeMap<String, Value>,
    /// PNG plots written into the report directory.
    pub plots: Vec<PathBuf>,
    /// One line for people.
    pub summary: String,
}

/// One trainable agent.
pub trait AgentTrainer: Send + Sync {
    /// The agent name (as in the manifest and the registry).
    fn name(&self) -> &'static str;
    /// One line for `--help`, the menu and `GET /healthz`.
    fn describe(&self) -> &'static str;
    fn bootstrap(&self) -> Bootstrap;
    /// What the agent needs when trained with `params` (an agent whose
    /// input a parameter chooses answers per params; bad values are
    /// errors). Models record their input, so re-scoring a saved model asks
    /// [`bootstrap`](Self::bootstrap), the default input.
    fn bootstrap_for(&self, params: &Map<String, Value>) -> Result<Bootstrap, TrainError> {
        let _ = params;
        Ok(self.bootstrap())
    }
    /// Whether the agent trains on `device` with `params` (asked before any
    /// data is loaded). By default agents run on the CPU only.
    fn check_device(&self, device: Device, params: &Map<String, Value>) -> Result<(), TrainError> {
        let _ = params;
        device.cpu_only(self.name())
    }
    /// The out-of-sample metric that decides promotion, and its direction.
    fn promote_metric(&self) -> (&'static str, Direction);
    /// Parameter keys accepted in `params` (for messages and docs).
    fn param_keys(&self) -> Vec<&'static str>;
    /// Train, evaluate out of sample and save into `ctx.model_dir()`, with
    /// `ctx.data.provenance` set on the model (the orchestrator refuses to
    /// publish an artifact whose manifest lacks it).
    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError>;
    /// Score a saved model (blob) on new data, without changing it. With a
    /// `slice`, only its rows are scored (and counted in `n`), the promote
    /// metric is among the returned metrics, and the per-row scores come
    /// back in [`Evaluation::paired`].
    fn evaluate(
        &self,
        blob: &[u8],
        data: &MarketData,
        returns: Option<&backtest::StrategyReturns>,
        slice: Option<&EvalSlice>,
    ) -> Result<Evaluation, TrainError>;
}

/// Rows (bars or windows) whose time lies in [from_ts, to_ts] are scored;
/// earlier bars serve only as context (features, warm-up, lookback).
/// A window lies in the slice when its whole span (start to end) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalSlice {
    pub from_ts: i64,
    pub to_ts: i64,
}

impl EvalSlice {
    /// The test span a model recorded in its metrics (`test_from_ts`,
    /// `test_to_ts`, epoch ms), when it recorded one.
    pub fn from_metrics(m: &BTreeMap<String, Value>) -> Option<Self> {
        let ts = |k: &str| {
            let v = m.get(k)?;
            v.as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        };
        Some(Self {
            from_ts: ts(TEST_FROM_TS)?,
            to_ts: ts(TEST_TO_TS)?,
        })
    }

    pub fn contains(&self, ts: i64) -> bool {
        self.from_ts <= ts && ts <= self.to_ts
    }

    /// The positions of `ts` (non-decreasing bar times) inside the slice.
    pub fn rows(&self, ts: &[i64]) -> std::ops::Range<usize> {
        let a = ts.partition_point(|&t| t < self.from_ts);
        let b = ts.partition_point(|&t| t <= self.to_ts).max(a);
        a..b
    }

    /// The indices of the windows that lie wholly inside the slice (window
    /// tables pooled from several series are not in time order overall).
    pub fn windows(&self, start_ts: &[i64], end_ts: &[i64]) -> Vec<usize> {
        start_ts
            .iter()
            .zip(end_ts)
            .enumerate()
            .filter(|(_, (a, b))| self.from_ts <= **a && **b <= self.to_ts)
            .map(|(i, _)| i)
            .collect()
    }
}

/// The span `(first start, last end)` of the windows `rows` of a window
/// table, for [`record_test_span`].
pub fn window_span(
    r: &backtest::StrategyReturns,
    rows: impl IntoIterator<Item = usize>,
) -> Option<(i64, i64)> {
    rows.into_iter()
        .filter_map(|w| Some((*r.start_ts.get(w)?, *r.end_ts.get(w)?)))
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
}

/// Per-row scores on which two models can be compared pairwise (higher is
/// better); same rows for every model of the agent given the same data and
/// slice.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PairedScores {
    pub name: String,
    pub ts: Vec<i64>,
    pub values: Vec<f64>,
}

/// What [`AgentTrainer::evaluate`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub metrics: BTreeMap<String, Value>,
    pub paired: Option<PairedScores>,
}

/// Metric keys of the test span every agent records (epoch ms of the first
/// and last bar or window its test metrics were computed on).
pub const TEST_FROM_TS: &str = "test_from_ts";
pub const TEST_TO_TS: &str = "test_to_ts";

/// Add the test span to the metrics of the artifact saved in `dir` (the
/// manifest is rewritten atomically; the files are unchanged).
pub fn record_test_span(dir: &Path, from_ts: i64, to_ts: i64) -> Result<(), TrainError> {
    let err = |e: agent_core::CoreError| agent_err("artifact", &e);
    let (mut m, files) = agent_core::persist::read_dir(dir).map_err(err)?;
    m.metrics
        .insert(TEST_FROM_TS.into(), serde_json::json!(from_ts));
    m.metrics
        .insert(TEST_TO_TS.into(), serde_json::json!(to_ts));
    agent_core::persist::write_dir(dir, &m, &files).map_err(err)
}

/// The error for a slice that holds no scorable row.
pub fn empty_slice(agent: &str, slice: &EvalSlice) -> TrainError {
    TrainError::Data(format!(
        "{agent}: no scorable rows between {} and {} (epoch ms)",
        slice.from_ts, slice.to_ts
    ))
}

/// A sliced evaluation's metrics: the plain metric names, plus the promote
/// metric (`test_<name>`) under its own name so callers can compare it.
pub fn with_promote_metric(
    mut metrics: BTreeMap<String, Value>,
    promote: &str,
) -> BTreeMap<String, Value> {
    if let Some(v) = promote
        .strip_prefix("test_")
        .and_then(|plain| metrics.get(plain))
        .cloned()
    {
        metrics.insert(promote.to_string(), v);
    }
    metrics
}

/// Every agent this build can train, in training order (`train all`):
/// regime first, since the others may be labelled by it later.
pub fn all() -> Vec<Box<dyn AgentTrainer>> {
    vec![
        Box::new(regime_agent::RegimeAgent),
        Box::new(signal_agent::SignalAgent),
        Box::new(ou_agent::OuMeanAgent),
        Box::new(linucb_agent::LinUcbAgent),
        Box::new(meta_agent::MetaSelectorAgent),
        Box::new(ppo_agent::PpoAgent),
        Box::new(lstm_agent::LstmAgent),
    ]
}

/// The agent called `name`, or an error listing the known ones.
pub fn get(name: &str) -> Result<Box<dyn AgentTrainer>, TrainError> {
    all()
        .into_iter()
        .find(|a| a.name() == name)
        .ok_or_else(|| TrainError::UnknownAgent {
            name: name.to_string(),
            known: names().join(", "),
        })
}

pub fn names() -> Vec<String> {
    all().iter().map(|a| a.name().to_string()).collect()
}

// ---------------------------------------------------------------------------
// Parameter helpers.

/// Deserialize one parameter value, naming agent and key on failure.
pub fn param_value<T: DeserializeOwned>(
    agent: &str,
    key: &str,
    v: &Value,
) -> Result<T, TrainError> {
    serde_json::from_value(v.clone()).map_err(|e| TrainError::Params {
        agent: agent.to_string(),
        why: format!("`{key}` = {v}: {e}"),
    })
}

pub fn unknown_param(agent: &str, key: &str, known: &[&str]) -> TrainError {
    TrainError::Params {
        agent: agent.to_string(),
        why: format!("unknown parameter `{key}`; accepted: {}", known.join(", ")),
    }
}

/// Split `params` into the trainer-level keys in `local` (returned) and the
/// rest (for the agent's own builder).
pub fn take_local(
    params: &Map<String, Value>,
    local: &[&str],
) -> (Map<String, Value>, Map<String, Value>) {
    let mut mine = Map::new();
    let mut rest = Map::new();
    for (k, v) in params {
        if local.contains(&k.as_str()) {
            mine.insert(k.clone(), v.clone());
        } else {
            rest.insert(k.clone(), v.clone());
        }
    }
    (mine, rest)
}

/// A trainer-level key with a default.
pub fn local_or<T: DeserializeOwned>(
    agent: &str,
    m: &Map<String, Value>,
    key: &str,
    default: T,
) -> Result<T, TrainError> {
    match m.get(key) {
        Some(v) => param_value(agent, key, v),
        None => Ok(default),
    }
}

/// Split the LightGBM tree parameters (`TreeParams::KEYS`) off `params`:
/// those keys over LightGBM's defaults, and the rest for the agent's builder.
pub fn take_tree_params(
    agent: &str,
    params: &Map<String, Value>,
) -> Result<(regime::TreeParams, Map<String, Value>), TrainError> {
    let (tree_keys, rest) = take_local(params, &regime::TreeParams::KEYS);
    let tree = merge_serde(agent, &regime::TreeParams::default(), &tree_keys, &[])?;
    Ok((tree, rest))
}

/// Overlay `user` on the serialized defaults and deserialize: unknown keys
/// (top level) are errors, nested objects are replaced as a whole, and a
/// value that does not deserialize is reported with its key.
pub fn merge_serde<T: serde::Serialize + DeserializeOwned>(
    agent: &str,
    defaults: &T,
    user: &Map<String, Value>,
    extra_known: &[&str],
) -> Result<T, TrainError> {
    let mut base = serde_json::to_value(defaults).map_err(|e| TrainError::Params {
        agent: agent.to_string(),
        why: e.to_string(),
    })?;
    let obj = base.as_object_mut().ok_or_else(|| TrainError::Params {
        agent: agent.to_string(),
        why: "defaults are not an object".into(),
    })?;
    let mut known: Vec<&str> = obj.keys().map(String::as_str).collect();
    known.extend_from_slice(extra_known);
    let known: Vec<String> = known.iter().map(|s| s.to_string()).collect();
    for (k, v) in user {
        if !obj.contains_key(k) {
            let names: Vec<&str> = known.iter().map(String::as_str).collect();
            return Err(unknown_param(agent, k, &names));
        }
        obj.insert(k.clone(), v.clone());
    }
    serde_json::from_value(base).map_err(|e| {
        // serde's message does not say which key; find the first user key
        // that fails on its own over the defaults (error path only).
        let bad_key = user.iter().find(|(k, v)| {
            let mut one = serde_json::to_value(defaults).unwrap_or(Value::Null);
            if let Some(o) = one.as_object_mut() {
                o.insert((*k).clone(), (*v).clone());
            }
            serde_json::from_value::<T>(one).is_err()
        });
        TrainError::Params {
            agent: agent.to_string(),
            why: match bad_key {
                Some((k, v)) => format!("`{k}` = {v}: {e}"),
                None => e.to_string(),
            },
        }
    })
}

/// Apply a JSON object to a fluent builder: each key names a setter taking
/// one value of the given type; any other key is an error listing the
/// accepted ones.
#[macro_export]
#[doc(hidden)]
macro_rules! apply_params {
    ($agent:expr, $obj:expr, $builder:expr, [$($key:ident : $ty:ty),* $(,)?]) => {{
        let mut b = $builder;
        for (k, v) in $obj.iter() {
            match k.as_str() {
                $(stringify!($key) => {
                    let x: $ty = $crate::agents::param_value($agent, k, v)?;
                    b = b.$key(x);
                })*
                _ => return Err($crate::agents::unknown_param($agent, k, &[$(stringify!($key)),*])),
            }
        }
        b
    }};
}

/// Read the saved artifact back: manifest metrics (out of sample).
pub fn saved_metrics(dir: &Path) -> Result<BTreeMap<String, Value>, TrainError> {
    let (m, _) = agent_core::persist::read_dir(dir).map_err(|e| TrainError::Agent {
        agent: "artifact".into(),
        why: e.to_string(),
    })?;
    Ok(m.metrics)
}

/// Map an agent error into a [`TrainError`].
pub fn agent_err(agent: &str, e: &dyn std::fmt::Display) -> TrainError {
    TrainError::Agent {
        agent: agent.to_string(),
        why: e.to_string(),
    }
}

/// Metric map from `f64`s, dropping non-finite values.
pub fn num_metrics(m: impl IntoIterator<Item = (String, f64)>) -> BTreeMap<String, Value> {
    m.into_iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| (k, serde_json::json!(v)))
        .collect()
}

/// Draw a PNG and record it; plots are a courtesy, so failure is a note.
pub fn plot(
    plots: &mut Vec<PathBuf>,
    path: PathBuf,
    title: &str,
    x: &str,
    y: &str,
    series: &[agent_core::plot::Series],
) {
    if agent_core::plot::line_chart(&path, title, x, y, series).is_ok() {
        plots.push(path);
    }
}

/// Cumulative sum, for equity-style plots.
pub fn cumsum(xs: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    xs.iter()
        .map(|x| {
            acc += x;
            acc
        })
        .collect()
}

/// The per-window returns table as its CSV text (the format every agent's
/// reader accepts).
pub fn returns_csv(r: &backtest::StrategyReturns) -> String {
    r.to_csv_string()
}

/// `{feature: gain}` of a trained LightGBM booster (regime, meta-selector),
/// largest first, for the training report.
pub(crate) fn importance_json(mut gains: Vec<(String, f64)>) -> Value {
    gains.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut m = Map::new();
    for (name, gain) in gains {
        m.insert(name, serde_json::json!(gain));
    }
    Value::Object(m)
}

/// LightGBM's tree learner for a job on `device` (`regime`,
/// `meta-selector`): `None` on the CPU, where the parameter `device` (if
/// any) decides as before; otherwise the learner of `device`, which a
/// `device` parameter naming another learner contradicts.
pub(crate) fn lightgbm_device(
    agent: &str,
    device: Device,
    params: &Map<String, Value>,
) -> Result<Option<regime::Device>, TrainError> {
    let learner = device.lightgbm(agent)?;
    if device.is_cpu() {
        return Ok(None);
    }
    if let Some(v) = params.get("device") {
        let asked: regime::Device = param_value(agent, "device", v)?;
        if asked != learner {
            return Err(TrainError::Params {
                agent: agent.to_string(),
                why: format!(
                    "the parameter `device` = {v} contradicts the job's device {device}; give one"
                ),
            });
        }
    }
    Ok(Some(learner))
}
