//! Training shards: one agent at one grid point on one candle series.
//!
//! A shard trains the model exactly as `train` would
//! ([`crate::orchestrator::train_model`]: the agent's own chronological
//! split, purge and out-of-sample test metrics). Choosing among grid points
//! by those test metrics would pick the point that was luckiest on the test
//! span and then report that luck as its test score. So each shard also
//! trains the same grid point on the bars before its model's test span, less
//! `embargo_bars`: that model's own out-of-sample score (on bars the final
//! model trains on, but the test span never sees) is the grid point's
//! **validation** score. [`choose`] picks, per agent and symbol, the best
//! validation score; [`publish`] offers that model to the registry through
//! the same champion/challenger rule as `train`, on the model's own test
//! slice.

use super::{Shard, SweepConfig, hash16};
use crate::agents::{self, MarketData, TEST_FROM_TS};
use crate::device::Device;
use crate::error::TrainError;
use crate::jobs::DataSpec;
use crate::orchestrator::{
    Offered, Orchestrator, TrainedBlob, bootstrap, check_param_names, load_data, symbol_of,
    train_model_on,
};
use crate::promotion::PromoteRule;
use agent_core::{Direction, Provenance};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use store::{ArtifactStore, SYNTHETIC_SYMBOL};

/// At most this many grid points per agent (a grid is a product: a few
/// lists multiply fast).
const MAX_GRID_POINTS: usize = 10_000;

/// A training shard's task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainTask {
    pub agent: String,
    /// The symbol the model is offered to: the series' symbol, or
    /// `SYMBOL-<timeframe>` when the sweep holds several timeframes of one
    /// symbol (the registry keeps one current model per agent and symbol).
    pub symbol: String,
    pub timeframe: String,
    /// Which point of the agent's grid (0-based).
    pub grid_point: usize,
    /// Every parameter: `[agents.<agent>]` with the grid point over it.
    pub params: Map<String, Value>,
    pub embargo_bars: usize,
    pub promote: PromoteRule,
    /// Where it trains (omitted: `cpu`).
    #[serde(default, skip_serializing_if = "Device::is_cpu")]
    pub device: Device,
}

/// The grid point's score on data before its model's test span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// The agent's promote metric (e.g. `test_logloss`).
    pub metric: String,
    /// Its value; `None` when the validation model has none (e.g. no
    /// scorable rows).
    pub value: Option<f64>,
    /// The validation model saw only bars before this (epoch ms).
    pub until_ts: i64,
    /// Every out-of-sample metric of the validation model.
    pub metrics: BTreeMap<String, Value>,
}

/// Where a training shard's model is in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredModel {
    pub key: String,
    pub sha256: String,
    pub bytes: u64,
}

/// What a training shard leaves in the store (beside its model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainResult {
    /// The shard's id.
    pub shard: String,
    pub task: TrainTask,
    /// The model's out-of-sample metrics (as in its manifest).
    pub metrics: BTreeMap<String, Value>,
    pub validation: Validation,
    pub model: StoredModel,
}

/// The points of one agent's grid: the product of its lists, in key order.
fn grid_points(grid: Option<&toml::Table>) -> Result<Vec<Map<String, Value>>, TrainError> {
    let mut points = vec![Map::new()];
    for (key, values) in grid.into_iter().flatten() {
        let values: Vec<Value> = match values {
            toml::Value::Array(list) => list.iter().map(toml_to_json).collect(),
            one => vec![toml_to_json(one)],
        };
        if values.is_empty() {
            return Err(TrainError::Data(format!(
                "[sweep.grid] {key}: the list of values is empty"
            )));
        }
        if points.len().saturating_mul(values.len()) > MAX_GRID_POINTS {
            return Err(TrainError::Data(format!(
                "[sweep.grid]: more than {MAX_GRID_POINTS} grid points for one agent"
            )));
        }
        points = points
            .iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut p = p.clone();
                    p.insert(key.clone(), v.clone());
                    p
                })
            })
            .collect();
    }
    Ok(points)
}

fn toml_to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// One candle series of the sweep's data: (data spec, provenance, symbol,
/// timeframe).
type Series = (DataSpec, Provenance, String, String);

/// The series of `spec`: one per candle file, or the synthetic market.
fn series(spec: &DataSpec) -> Result<Vec<Series>, TrainError> {
    let paths = match spec {
        DataSpec::Synthetic { .. } => {
            let data = load_data(spec)?;
            return Ok(vec![(
                spec.clone(),
                data.provenance,
                SYNTHETIC_SYMBOL.to_string(),
                "1h".to_string(),
            )]);
        }
        DataSpec::Csv { path } => vec![path.clone()],
        DataSpec::CsvFiles { paths } => paths.clone(),
        DataSpec::Upload { .. } => {
            return Err(TrainError::Data(
                "a sweep reads candle files or the synthetic market, not an upload".into(),
            ));
        }
    };
    let mut out: Vec<Series> = Vec::new();
    for path in paths {
        let one = DataSpec::Csv { path: path.clone() };
        let data = load_data(&one)?;
        let timeframe = match &data.provenance {
            Provenance::CandleFiles { files } => files.first().and_then(|f| f.timeframe.clone()),
            _ => None,
        }
        .unwrap_or_default();
        out.push((one, data.provenance, symbol_of(&path), timeframe));
    }
    // Several timeframes of one symbol: each publishes under its own name.
    let names: Vec<String> = out
        .iter()
        .map(|(_, _, sym, tf)| {
            let timeframes = out.iter().filter(|(_, _, s, _)| s == sym).count();
            if timeframes > 1 {
                format!("{sym}-{tf}")
            } else {
                sym.clone()
            }
        })
        .collect();
    for (s, name) in out.iter_mut().zip(names) {
        s.2 = name;
    }
    let mut seen = std::collections::BTreeSet::new();
    for (_, _, name, _) in &out {
        if !seen.insert(name.clone()) {
            return Err(TrainError::Data(format!(
                "two candle files are of {name}: give each symbol and timeframe once"
            )));
        }
        store::check_symbol(name, false).map_err(|e| TrainError::Data(e.to_string()))?;
    }
    Ok(out)
}

/// The training shards of `sweep` over `spec` (paths already absolute):
/// (data, provenance, task), agent by agent, series by series, grid point
/// by grid point.
pub(super) fn tasks(
    spec: &DataSpec,
    sweep: &SweepConfig,
    agent_params: &BTreeMap<String, Map<String, Value>>,
) -> Result<Vec<(DataSpec, Provenance, super::Task)>, TrainError> {
    for name in sweep.grid.keys() {
        if !sweep.agents.contains(name) {
            return Err(TrainError::Data(format!(
                "[sweep.grid.{name}]: {name} is not in [sweep] agents"
            )));
        }
    }
    if sweep.agents.is_empty() {
        return Ok(Vec::new());
    }
    let series = series(spec)?;
    let mut out = Vec::new();
    for name in &sweep.agents {
        let agent = agents::get(name)?;
        let points = grid_points(sweep.grid.get(name))?;
        for (data, provenance, symbol, timeframe) in &series {
            for (i, point) in points.iter().enumerate() {
                let mut params = agent_params.get(agent.name()).cloned().unwrap_or_default();
                params.extend(point.clone());
                check_param_names(agent.as_ref(), &params)?;
                agent.check_device(sweep.device, &params)?;
                out.push((
                    data.clone(),
                    provenance.clone(),
                    super::Task::Train(TrainTask {
                        agent: agent.name().to_string(),
                        symbol: symbol.clone(),
                        timeframe: timeframe.clone(),
                        grid_point: i,
                        params,
                        embargo_bars: sweep.embargo_bars,
                        promote: sweep.promote,
                        device: sweep.device,
                    }),
                ));
            }
        }
    }
    Ok(out)
}

/// Where the model of a training shard goes: beside its result, named by
/// its hash (a retried shard's model, whose manifest has another creation
/// time, never replaces the one a visible result names).
fn model_key(shard: &Shard, sha256: &str) -> String {
    format!("sweeps/{}/{}-{}.ctart", shard.plan, shard.id, &sha256[..16])
}

/// The first bar the validation model may not see: `embargo` bars before
/// the first bar of the test span of the series.
fn validation_until(data: &MarketData, test_from: i64, embargo: usize) -> Result<i64, TrainError> {
    let (_, candles) = data.primary()?;
    let first_test = candles.ts.partition_point(|&t| t < test_from);
    first_test
        .checked_sub(embargo)
        .and_then(|i| candles.ts.get(i).copied())
        .ok_or_else(|| {
            TrainError::Data(format!(
                "only {first_test} bars come before the test span: too few for an embargo of \
                 {embargo} bars and a validation training"
            ))
        })
}

/// Run a training shard: the model, then the validation training; the
/// model goes to the store, and the result's bytes come back.
pub(super) fn run(
    shard: &Shard,
    task: &TrainTask,
    data: &MarketData,
    store: &dyn ArtifactStore,
    dir: &Path,
) -> Result<Vec<u8>, TrainError> {
    let agent = agents::get(&task.agent)?;
    check_param_names(agent.as_ref(), &task.params)?;
    let (metric, _) = agent.promote_metric();
    let quiet = |_: f64| {};
    let model = train_model_on(
        agent.as_ref(),
        data,
        &task.params,
        task.device,
        &dir.join("model"),
        &quiet,
    )?;
    let test_from = model
        .trained
        .metrics
        .get(TEST_FROM_TS)
        .and_then(Value::as_i64)
        .ok_or_else(|| TrainError::Agent {
            agent: task.agent.clone(),
            why: format!("the model does not record `{TEST_FROM_TS}`"),
        })?;
    let until = validation_until(data, test_from, task.embargo_bars)?;
    let val_data = data.before(until);
    let val = train_model_on(
        agent.as_ref(),
        &val_data,
        &task.params,
        task.device,
        &dir.join("validation"),
        &quiet,
    )
    .map_err(|e| TrainError::Agent {
        agent: task.agent.clone(),
        why: format!("the validation training on the bars before {until} (epoch ms) failed: {e}"),
    })?;
    let TrainedBlob { trained, blob, .. } = model;
    let sha256 = agent_core::persist::sha256_hex(&blob);
    let key = model_key(shard, &sha256);
    store.put(&key, &blob)?;
    let result = TrainResult {
        shard: shard.id.clone(),
        task: task.clone(),
        metrics: trained.metrics,
        validation: Validation {
            metric: metric.to_string(),
            value: val
                .trained
                .metrics
                .get(metric)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite()),
            until_ts: until,
            metrics: val.trained.metrics,
        },
        model: StoredModel {
            key,
            sha256,
            bytes: blob.len() as u64,
        },
    };
    serde_json::to_vec(&result).map_err(|e| TrainError::Data(e.to_string()))
}

/// The grid point chosen for one agent and symbol.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub agent: String,
    pub symbol: String,
    /// Grid points trained.
    pub candidates: usize,
    /// The chosen one's shard id; `None` when no grid point has a
    /// validation score.
    pub chosen: Option<String>,
    /// Why none was chosen.
    pub why: Option<String>,
}

/// Per agent and symbol (in plan order), the grid point with the best
/// validation score (the agent's promote metric, in its direction); ties go
/// to the earlier grid point. The test metrics play no part.
pub fn choose(results: &[TrainResult]) -> Result<Vec<Choice>, TrainError> {
    let mut groups: Vec<((String, String), Vec<&TrainResult>)> = Vec::new();
    for r in results {
        let k = (r.task.agent.clone(), r.task.symbol.clone());
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(r),
            None => groups.push((k, vec![r])),
        }
    }
    let mut out = Vec::new();
    for ((agent, symbol), rs) in groups {
        let (_, direction) = agents::get(&agent)?.promote_metric();
        let better = |a: f64, b: f64| match direction {
            Direction::Maximize => a > b,
            Direction::Minimize => a < b,
        };
        let mut best: Option<(&TrainResult, f64)> = None;
        for r in &rs {
            if let Some(v) = r.validation.value
                && best.is_none_or(|(_, b)| better(v, b))
            {
                best = Some((r, v));
            }
        }
        out.push(Choice {
            agent,
            symbol,
            candidates: rs.len(),
            chosen: best.map(|(r, _)| r.shard.clone()),
            why: best.is_none().then(|| {
                format!(
                    "no grid point has a validation {}",
                    rs.first()
                        .map(|r| r.validation.metric.as_str())
                        .unwrap_or("")
                )
            }),
        });
    }
    Ok(out)
}

/// What `merge` did with a chosen model.
#[derive(Debug, Clone, Serialize)]
pub enum PublishOutcome {
    /// Offered to the registry (promoted or not).
    Offered(Offered),
    /// It is the current model already (a merge run again).
    AlreadyCurrent { key: String },
}

/// Offer the chosen model of `choice` to the registry through the
/// champion/challenger rule of its task, on its shard's data (checked
/// against the plan's provenance) and, for the agents that learn from
/// strategy returns, the bootstrap of that data (written under `work`).
pub fn publish(
    orch: &Orchestrator,
    shards: &[Shard],
    results: &[TrainResult],
    choice: &Choice,
    work: &Path,
) -> Result<Option<PublishOutcome>, TrainError> {
    let Some(id) = &choice.chosen else {
        return Ok(None);
    };
    let (Some(shard), Some(result)) = (
        shards.iter().find(|s| &s.id == id),
        results.iter().find(|r| &r.shard == id),
    ) else {
        return Err(TrainError::Data(format!("shard {id} is not in the plan")));
    };
    let store = orch.config().store.clone();
    let blob = store.get(&result.model.key)?.ok_or_else(|| {
        TrainError::Data(format!(
            "the model of shard {} ({}) is missing from the store",
            shard.index, result.model.key
        ))
    })?;
    if agent_core::persist::sha256_hex(&blob) != result.model.sha256 {
        return Err(TrainError::Data(format!(
            "the model of shard {} ({}) does not match the hash its result names",
            shard.index, result.model.key
        )));
    }
    let task = &result.task;
    let current = orch.registry().latest(&task.agent, &task.symbol)?;
    if let Some(current) = &current
        && current.hash == format!("sha256:{}", result.model.sha256)
    {
        return Ok(Some(PublishOutcome::AlreadyCurrent {
            key: current.key.clone(),
        }));
    }
    let agent = agents::get(&task.agent)?;
    let data = super::shard_data(shard)?;
    // Only a same-slice contest with a current model re-scores on the
    // strategy returns.
    let contested = current.is_some() && task.promote == PromoteRule::SameSlice;
    let returns = match agent.bootstrap_for(&task.params)? {
        agents::Bootstrap::StrategyReturns if contested => {
            Some(bootstrap(&data, &work.join(hash16(&(id, "bootstrap"))))?)
        }
        _ => None,
    };
    let mut offered = orch.offer(
        agent.as_ref(),
        task.promote,
        &blob,
        &result.metrics,
        &data,
        returns.as_ref(),
        std::slice::from_ref(&task.symbol),
    )?;
    Ok(offered.pop().map(PublishOutcome::Offered))
}

/// `trainings.csv`: one row per training shard, with its validation and
/// test scores, whether it was chosen, and what publishing it did.
pub fn trainings_csv(
    results: &[TrainResult],
    choices: &[Choice],
    published: &BTreeMap<String, PublishOutcome>,
) -> String {
    let mut out = String::from(
        "shard,agent,symbol,timeframe,grid_point,params,metric,validation,test,chosen,\
         published_key,promoted,reason\n",
    );
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in results {
        let chosen = choices
            .iter()
            .any(|c| c.chosen.as_deref() == Some(r.shard.as_str()));
        let (key, promoted, reason) = match published.get(&r.shard) {
            Some(PublishOutcome::Offered(o)) => (
                o.key.clone(),
                o.promoted.to_string(),
                o.reason.clone().unwrap_or_default(),
            ),
            Some(PublishOutcome::AlreadyCurrent { key }) => (
                key.clone(),
                "true".into(),
                "already the current model".into(),
            ),
            None => Default::default(),
        };
        let t = &r.task;
        let fields = [
            r.shard.clone(),
            t.agent.clone(),
            t.symbol.clone(),
            t.timeframe.clone(),
            t.grid_point.to_string(),
            Value::Object(t.params.clone()).to_string(),
            r.validation.metric.clone(),
            num(r.validation.value),
            num(r.metrics.get(&r.validation.metric).and_then(Value::as_f64)),
            chosen.to_string(),
            key,
            promoted,
            reason,
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            backtest::io::push_text(&mut out, f);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(shard: &str, grid_point: usize, validation: Option<f64>, test: f64) -> TrainResult {
        TrainResult {
            shard: shard.into(),
            task: TrainTask {
                agent: "regime".into(),
                symbol: "BTCUSDT".into(),
                timeframe: "1h".into(),
                grid_point,
                params: Map::new(),
                embargo_bars: 48,
                promote: PromoteRule::SameSlice,
                device: Device::Cpu,
            },
            metrics: [("test_logloss".to_string(), serde_json::json!(test))].into(),
            validation: Validation {
                metric: "test_logloss".into(),
                value: validation,
                until_ts: 0,
                metrics: BTreeMap::new(),
            },
            model: StoredModel {
                key: String::new(),
                sha256: String::new(),
                bytes: 0,
            },
        }
    }

    #[test]
    fn the_choice_follows_validation_never_the_test_score() {
        // Grid point 0 is best on test, 2 on validation (logloss: lower is
        // better), 1 has no validation score; a tie goes to the earlier point.
        let rs = [
            result("a", 0, Some(0.70), 0.50),
            result("b", 1, None, 0.40),
            result("c", 2, Some(0.60), 0.69),
            result("d", 3, Some(0.60), 0.30),
        ];
        let c = choose(&rs).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].chosen.as_deref(), Some("c"));
        assert_eq!(c[0].candidates, 4);
        let none = choose(&[result("b", 0, None, 0.4)]).unwrap();
        assert_eq!(none[0].chosen, None);
        assert!(none[0].why.as_deref().unwrap().contains("test_logloss"));
    }

    #[test]
    fn a_grid_is_the_product_of_its_lists() {
        let t: toml::Table = "a = [1, 2]\nb = [\"x\", \"y\", \"z\"]\nc = 0.5"
            .parse()
            .unwrap();
        let points = grid_points(Some(&t)).unwrap();
        assert_eq!(points.len(), 6);
        assert_eq!(points[1]["a"], serde_json::json!(1));
        assert_eq!(points[1]["b"], serde_json::json!("y"));
        assert!(points.iter().all(|p| p["c"] == serde_json::json!(0.5)));
        assert_eq!(grid_points(None).unwrap().len(), 1);
        let empty: toml::Table = "a = []".parse().unwrap();
        assert!(grid_points(Some(&empty)).is_err());
    }
}
