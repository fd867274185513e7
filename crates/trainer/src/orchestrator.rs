//! The orchestrator: runs training jobs end to end.
//!
//! A job ([`JobSpec`]) names an agent, a data source, parameters and
//! optionally a symbol ([`job_symbol`]: by default the one the data is of;
//! synthetic data always publishes under [`store::SYNTHETIC_SYMBOL`]). Steps: load candles; run the backtest bootstrap when the agent
//! learns from strategy returns; train with a chronological split; score out
//! of sample; save the artifact (manifest with metrics, checksums and the
//! data's provenance: synthetic seed and parameters, or each candle file's
//! sha256, symbol, timeframe and span) and a
//! report directory (`metrics.json`, plots, bootstrap files); publish the
//! artifact to the model registry and make it current only when it is not
//! worse than the current model on the agent's metric (or when forced).
//! A failed job publishes nothing, so a good model is never replaced by a
//! broken one.
//!
//! Training runs inside the caller's [`agent_core::cancel`] scope: a
//! cancelled job stops at the next check (between stages, and inside the
//! agents' loops) and publishes nothing. Publishing starts with
//! [`agent_core::cancel::CancelToken::commit`], so cancellation and
//! publication exclude each other atomically.

use crate::agents::{self, AgentTrainer, Bootstrap, EvalSlice, MarketData, TrainCtx};
use crate::device::Device;
use crate::error::TrainError;
use crate::jobs::{DataSpec, JobOutcome, JobRunner, JobSpec, PublishedModel};
use crate::promotion::{self, Contest, PromoteRule};
use agent_core::Direction;
use agent_core::persist::{CandleFile, Provenance, read_dir, to_blob};
use backtest::StrategyReturns;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use store::{ArtifactStore, LatestPointer, ModelRegistry, SYNTHETIC_SYMBOL};

/// Where the orchestrator keeps things and the per-agent defaults.
#[derive(Clone)]
pub struct OrchestratorConfig {
    /// The model store (local directory, S3, Supabase, ...).
    pub store: Arc<dyn ArtifactStore>,
    /// Training reports go to `<reports_dir>/<agent>/<symbol>/<stamp>/`.
    pub reports_dir: PathBuf,
    /// Parameters per agent from the config file; a job's own params
    /// override them key by key.
    pub agent_params: BTreeMap<String, Map<String, Value>>,
}

impl std::fmt::Debug for OrchestratorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrchestratorConfig")
            .field("store", &self.store.describe())
            .field("reports_dir", &self.reports_dir)
            .field("agent_params", &self.agent_params)
            .finish()
    }
}

impl OrchestratorConfig {
    /// A local store under `dir/models` and reports under `dir/reports`.
    pub fn local(dir: &Path) -> Self {
        Self {
            store: Arc::new(store::LocalStore::new(dir.join("models"))),
            reports_dir: dir.join("reports"),
            agent_params: BTreeMap::new(),
        }
    }
}

/// The result of one training job.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainOutcome {
    pub agent: String,
    /// The symbol the model was published under.
    pub symbol: String,
    /// Where the training data came from (as in the manifest).
    pub provenance: Provenance,
    /// Out-of-sample metrics (as in the manifest).
    pub metrics: BTreeMap<String, Value>,
    pub promote_metric: String,
    /// The rule that decided promotion.
    pub promote_rule: PromoteRule,
    /// Registry key of the stored artifact.
    pub key: String,
    pub promoted: bool,
    /// Why it was not promoted.
    pub reason: Option<String>,
    /// How it was promoted (the comparison and its numbers), when it was.
    pub promotion: Option<store::PromotionRecord>,
    pub report_dir: PathBuf,
    pub model_dir: PathBuf,
    pub plots: Vec<PathBuf>,
    pub summary: String,
}

/// What [`Orchestrator::offer`] did with a model for one symbol.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Offered {
    pub symbol: String,
    /// Registry key of the stored artifact.
    pub key: String,
    pub promoted: bool,
    /// Why it was not promoted.
    pub reason: Option<String>,
    /// How it was promoted (the comparison and its numbers), when it was.
    pub promotion: Option<store::PromotionRecord>,
}

/// Where `evaluate` takes the model from.
#[derive(Debug, Clone)]
pub enum ModelRef {
    /// The current model of a symbol in the registry.
    Current { symbol: String },
    /// An artifact directory (e.g. a report's `model/`).
    Dir(PathBuf),
}

/// Runs jobs; cheap to share behind an `Arc`.
pub struct Orchestrator {
    config: OrchestratorConfig,
    registry: ModelRegistry<Arc<dyn ArtifactStore>>,
    /// (agent, symbol) pairs training now: the same job never runs twice at once.
    in_flight: Mutex<BTreeSet<(String, String)>>,
    seq: AtomicU64,
}

/// Releases the in-flight slot even when training fails or panics.
struct FlightGuard<'a> {
    set: &'a Mutex<BTreeSet<(String, String)>>,
    key: (String, String),
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

/// Progress stages of a job, as fractions of the whole.
const LOAD_END: f64 = 0.05;
const BOOT_END: f64 = 0.15;
pub const TRAIN_END: f64 = 0.9;

impl Orchestrator {
    pub fn new(config: OrchestratorConfig) -> Self {
        let registry = ModelRegistry::new(config.store.clone());
        Self {
            config,
            registry,
            in_flight: Mutex::new(BTreeSet::new()),
            seq: AtomicU64::new(0),
        }
    }

    pub fn config(&self) -> &OrchestratorConfig {
        &self.config
    }

    pub fn registry(&self) -> &ModelRegistry<Arc<dyn ArtifactStore>> {
        &self.registry
    }

    /// The agents this build trains.
    pub fn agent_names(&self) -> Vec<String> {
        agents::names()
    }

    /// The parameters a job of `agent` trains with: `[agents.<agent>]` of
    /// the config with the job's own `params` over them, key by key.
    pub fn params_for(&self, agent: &str, job: &Value) -> Result<Map<String, Value>, TrainError> {
        let mut p = self
            .config
            .agent_params
            .get(agent)
            .cloned()
            .unwrap_or_default();
        match job {
            Value::Object(m) => {
                for (k, v) in m {
                    p.insert(k.clone(), v.clone());
                }
            }
            Value::Null => {}
            other => {
                return Err(TrainError::Params {
                    agent: agent.to_string(),
                    why: format!("params must be a JSON object, got {other}"),
                });
            }
        }
        Ok(p)
    }

    /// Check a job without running it: the agent exists, every parameter
    /// name is one the agent accepts, the data files exist.
    pub fn check(&self, spec: &JobSpec) -> Result<(), TrainError> {
        let agent = agents::get(&spec.agent)?;
        job_symbols(spec)?;
        let params = self.params_for(agent.name(), &spec.params)?;
        check_param_names(agent.as_ref(), &params)?;
        agent.check_device(spec.device, &params)?;
        let paths: &[PathBuf] = match &spec.data {
            DataSpec::Synthetic { .. } | DataSpec::Upload { .. } => &[],
            DataSpec::Csv { path } => std::slice::from_ref(path),
            DataSpec::CsvFiles { paths } => paths,
        };
        for p in paths {
            if !p.is_file() {
                return Err(TrainError::Data(format!(
                    "candle file {} does not exist",
                    p.display()
                )));
            }
        }
        Ok(())
    }

    /// Train one job end to end (see the module docs). Returns one outcome
    /// per symbol published under: one for a job of one symbol; for candle
    /// files of several symbols and no symbol named, one per symbol (agents
    /// that learn from one price path train once per symbol; the
    /// strategy-return agents train once on the pooled data of all symbols,
    /// and that model is offered to every symbol, unless `per_symbol`).
    pub fn train(
        &self,
        spec: &JobSpec,
        progress: &(dyn Fn(f64) + Sync),
    ) -> Result<Vec<TrainOutcome>, TrainError> {
        let agent = agents::get(&spec.agent)?;
        let symbols = job_symbols(spec)?;
        let params = self.params_for(agent.name(), &spec.params)?;
        check_param_names(agent.as_ref(), &params)?;
        agent.check_device(spec.device, &params)?;
        let _guards = symbols
            .iter()
            .map(|s| self.claim(agent.name(), s))
            .collect::<Result<Vec<_>, _>>()?;
        progress(0.0);
        let data = match symbols.as_slice() {
            [one] => load_data_as(&spec.data, Some(one))?,
            _ => load_data(&spec.data)?,
        };
        agent_core::cancel::check()?;
        progress(LOAD_END);
        // (symbols published under, the data they train on)
        let needs = agent.bootstrap_for(&params)?;
        let units: Vec<(Vec<String>, MarketData)> =
            if symbols.len() == 1 || (needs != Bootstrap::Candles && !spec.per_symbol) {
                vec![(symbols, data)]
            } else {
                symbols
                    .iter()
                    .map(|s| (vec![s.clone()], data_of_symbol(&data, s)))
                    .collect()
            };
        let n_units = units.len() as f64;
        let mut outcomes = Vec::new();
        for (u, (publish_as, data)) in units.into_iter().enumerate() {
            let unit_progress =
                |p: f64| progress(LOAD_END + (1.0 - LOAD_END) * (u as f64 + p) / n_units);
            outcomes.extend(self.train_unit(
                agent.as_ref(),
                spec,
                &params,
                &publish_as,
                &data,
                &unit_progress,
            )?);
        }
        progress(1.0);
        Ok(outcomes)
    }

    /// [`Orchestrator::train`] for a job that publishes under one symbol
    /// (synthetic data, a named symbol, or files of one symbol): its one
    /// outcome. A job over files of several symbols is refused before
    /// anything trains.
    pub fn train_one(
        &self,
        spec: &JobSpec,
        progress: &(dyn Fn(f64) + Sync),
    ) -> Result<TrainOutcome, TrainError> {
        job_symbol(spec)?;
        let mut out = self.train(spec, progress)?;
        match out.len() {
            1 => Ok(out.remove(0)),
            n => Err(TrainError::Data(format!(
                "the job published {n} models, not one"
            ))),
        }
    }

    /// Mark (agent, symbol) as training, so the same job never runs twice
    /// at once.
    fn claim(&self, agent: &str, symbol: &str) -> Result<FlightGuard<'_>, TrainError> {
        let key = (agent.to_string(), symbol.to_string());
        let mut set = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if !set.insert(key.clone()) {
            return Err(TrainError::Data(format!(
                "a {} job for symbol {} is already running",
                key.0, key.1
            )));
        }
        Ok(FlightGuard {
            set: &self.in_flight,
            key,
        })
    }

    /// Train one model on `data` and offer it to every symbol of
    /// `publish_as`, each through its own champion/challenger decision.
    fn train_unit(
        &self,
        agent: &dyn AgentTrainer,
        spec: &JobSpec,
        params: &Map<String, Value>,
        publish_as: &[String],
        data: &MarketData,
        progress: &(dyn Fn(f64) + Sync),
    ) -> Result<Vec<TrainOutcome>, TrainError> {
        let report_name = match publish_as {
            [one] => one.clone(),
            many => many.join("+"),
        };
        let report_dir = self.new_report_dir(agent.name(), &report_name)?;
        let TrainedBlob {
            trained,
            blob,
            returns,
        } = train_model_on(agent, data, params, spec.device, &report_dir, progress)?;
        let rule = match (spec.force, spec.promote) {
            (true, _) => PromoteRule::Always,
            (false, rule) => rule.unwrap_or_default(),
        };
        let offers = self.offer(
            agent,
            rule,
            &blob,
            &trained.metrics,
            data,
            returns.as_ref(),
            publish_as,
        )?;
        let (metric, direction) = agent.promote_metric();
        let mut outcomes = Vec::new();
        let mut published_json = Vec::new();
        for o in offers {
            published_json.push(json!({
                "symbol": o.symbol,
                "key": o.key,
                "promoted": o.promoted,
                "reason": o.reason,
                "promotion": o.promotion,
            }));
            outcomes.push(TrainOutcome {
                agent: agent.name().to_string(),
                symbol: o.symbol,
                provenance: data.provenance.clone(),
                metrics: trained.metrics.clone(),
                promote_metric: metric.to_string(),
                promote_rule: rule,
                key: o.key,
                promoted: o.promoted,
                reason: o.reason,
                promotion: o.promotion,
                report_dir: report_dir.clone(),
                model_dir: trained.model_dir.clone(),
                plots: trained.plots.clone(),
                summary: trained.summary.clone(),
            });
        }
        let report = json!({
            "agent": agent.name(),
            "symbols": publish_as,
            "data": data.source,
            "provenance": data.provenance,
            "params": Value::Object(params.clone()),
            "metrics": trained.metrics,
            "promote_metric": metric,
            "promote_direction": match direction { Direction::Maximize => "maximize", Direction::Minimize => "minimize" },
            "promote_rule": rule,
            "published": published_json,
            "plots": trained.plots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "summary": trained.summary,
            "finished_at": agent_core::persist::now_rfc3339(),
        });
        let text = serde_json::to_vec_pretty(&report).unwrap_or_default();
        agent_core::write_atomic(&report_dir.join("metrics.json"), &text)?;
        progress(1.0);
        Ok(outcomes)
    }

    /// Offer a trained model (`blob`, with its out-of-sample `metrics`) to
    /// every symbol of `publish_as`, each through its own champion/challenger
    /// decision under `rule` on `data` (and the strategy `returns` it was
    /// trained on, for the agents that learn from them). Every decision is
    /// made before anything is published: the comparison only reads, so a
    /// job cancelled during it publishes nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn offer(
        &self,
        agent: &dyn AgentTrainer,
        rule: PromoteRule,
        blob: &[u8],
        metrics: &BTreeMap<String, Value>,
        data: &MarketData,
        returns: Option<&StrategyReturns>,
        publish_as: &[String],
    ) -> Result<Vec<Offered>, TrainError> {
        let mut decisions = Vec::new();
        for symbol in publish_as {
            let champion = self.registry.latest(agent.name(), symbol)?;
            let champion = champion.map(|p| {
                let blob = self
                    .registry
                    .fetch(&p.key, Some(&p.hash))
                    .map_err(|e| e.to_string());
                (p, blob)
            });
            let sym_data;
            let sym_returns;
            let (cmp_data, cmp_returns) = if publish_as.len() > 1 {
                sym_data = data_of_symbol(data, symbol);
                sym_returns = returns.map(|r| returns_of_symbol(r, symbol));
                (&sym_data, sym_returns.as_ref())
            } else {
                (data, returns)
            };
            let contest = Contest {
                agent,
                candidate: blob,
                candidate_metrics: metrics,
                data: cmp_data,
                returns: cmp_returns,
            };
            let policy = promotion::policy(rule, &contest, champion.as_ref().map(|(p, b)| (p, b)));
            decisions.push((symbol.clone(), policy));
            agent_core::cancel::check()?;
        }
        // The point of no return: a job cancelled before it never publishes,
        // and one past it is not cancelled half-way through publishing.
        agent_core::cancel::current().commit()?;
        let mut offered = Vec::new();
        for (symbol, policy) in decisions {
            let published = self.registry.publish_blob(blob, &symbol, policy)?;
            offered.push(Offered {
                symbol,
                key: published.key,
                promoted: published.promoted,
                reason: published.reason,
                promotion: published.pointer.promotion,
            });
        }
        Ok(offered)
    }

    fn new_report_dir(&self, agent: &str, symbol: &str) -> Result<PathBuf, TrainError> {
        let stamp: String = agent_core::persist::now_rfc3339()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        let dir = self
            .config
            .reports_dir
            .join(agent)
            .join(symbol)
            .join(format!("{stamp}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| TrainError::io(&dir, e))?;
        Ok(dir)
    }

    /// Score a saved model on data without changing anything.
    pub fn evaluate(
        &self,
        agent: &str,
        model: &ModelRef,
        data: &DataSpec,
    ) -> Result<BTreeMap<String, Value>, TrainError> {
        let a = agents::get(agent)?;
        let blob = match model {
            ModelRef::Current { symbol } => self.registry.fetch_latest(a.name(), symbol)?.1,
            ModelRef::Dir(dir) => {
                let (m, f) = read_dir(dir)?;
                to_blob(&m, &f)?
            }
        };
        let data = load_data(data)?;
        let returns = match a.bootstrap() {
            // The table the selection models train on (the whole bot over
            // every series of the data).
            Bootstrap::StrategyReturns => Some(
                crate::bootstrap::strategy_returns(
                    &data,
                    &crate::bootstrap::BootstrapOptions::default(),
                )?
                .0,
            ),
            Bootstrap::Candles | Bootstrap::Trades => None,
        };
        let mut metrics = a.evaluate(&blob, &data, returns.as_ref(), None)?.metrics;
        let (manifest, _) = agent_core::persist::from_blob(&blob)?;
        let (bars, inside) = bars_inside_training_data(manifest.provenance.as_ref(), &data);
        metrics.insert("eval_bars".into(), json!(bars));
        // Known only when the model recorded its data; then a count of the
        // evaluation bars that lie in the span of the data it trained on.
        if let Some(inside) = inside {
            metrics.insert("eval_bars_in_training_data".into(), json!(inside));
        }
        // Scored separately: the rows the model learnt from (its training
        // data before its recorded test span) and the rest.
        let split = EvalSlice::from_metrics(&manifest.metrics)
            .map(|s| s.from_ts)
            .zip(training_start(manifest.provenance.as_ref(), &data));
        let span = data
            .series
            .iter()
            .filter_map(|(_, c)| c.span())
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
        if let (Some((test_from, train_from)), Some((first, last))) = (split, span) {
            let mut part = |name: &str, from_ts: i64, to_ts: i64| {
                if from_ts > to_ts {
                    return;
                }
                let slice = EvalSlice { from_ts, to_ts };
                let v = match a.evaluate(&blob, &data, returns.as_ref(), Some(&slice)) {
                    Ok(e) => json!({"from_ts": from_ts, "to_ts": to_ts, "metrics": e.metrics}),
                    Err(e) => {
                        json!({"from_ts": from_ts, "to_ts": to_ts, "error": client_message(&e)})
                    }
                };
                metrics.insert(name.into(), v);
            };
            part("in_sample", first.max(train_from), last.min(test_from - 1));
            part("out_of_sample", first.max(test_from), last);
        }
        Ok(metrics)
    }

    /// The artifact blob of the current model of `agent` for `symbol`,
    /// checked against its pointer's hash.
    pub fn current_blob(&self, agent: &str, symbol: &str) -> Result<Vec<u8>, TrainError> {
        let a = agents::get(agent)?;
        Ok(self.registry.fetch_latest(a.name(), symbol)?.1)
    }

    /// Every current model that can be read, and one entry per pointer that
    /// cannot (so one damaged pointer does not hide the others): the
    /// registry's [`ModelRegistry::list_current`] with each problem's agent
    /// and symbol. Fails only when the store cannot be listed.
    pub fn current_models(&self) -> Result<ModelsReport, TrainError> {
        let listing = self.registry.list_current()?;
        let errors = listing
            .problems
            .into_iter()
            .map(|p| {
                // `<prefix>/<agent>/<symbol>/LATEST.json`
                let mut parts = p.key.rsplit('/').skip(1);
                let symbol = parts.next().unwrap_or_default().to_string();
                let agent = parts.next().unwrap_or_default().to_string();
                ModelError {
                    agent,
                    symbol,
                    key: p.key,
                    error: p.error,
                }
            })
            .collect();
        Ok(ModelsReport {
            models: listing.models,
            errors,
        })
    }

    /// Pointer, history and stored versions of one agent and symbol.
    pub fn show(&self, agent: &str, symbol: &str) -> Result<Value, TrainError> {
        Ok(json!({
            "agent": agent,
            "symbol": symbol,
            "current": self.registry.latest(agent, symbol)?,
            "history": self.registry.history(agent, symbol)?,
            "versions": self.registry.versions(agent, symbol)?,
        }))
    }

    /// Make a stored version current (verified first).
    pub fn promote(&self, key: &str, symbol: &str) -> Result<LatestPointer, TrainError> {
        Ok(self.registry.promote(key, symbol)?)
    }

    /// Make the previous current model current again.
    pub fn rollback(&self, agent: &str, symbol: &str) -> Result<LatestPointer, TrainError> {
        Ok(self.registry.rollback(agent, symbol)?)
    }

    /// The agent trainer called `name`.
    pub fn agent(&self, name: &str) -> Result<Box<dyn AgentTrainer>, TrainError> {
        agents::get(name)
    }
}

impl JobRunner for Orchestrator {
    fn agents(&self) -> Vec<String> {
        self.agent_names()
    }

    fn validate(&self, spec: &JobSpec) -> Result<(), String> {
        self.check(spec).map_err(|e| client_message(&e))
    }

    fn run(&self, spec: &JobSpec, progress: &(dyn Fn(f64) + Sync)) -> Result<JobOutcome, String> {
        let outcomes = self.train(spec, progress).map_err(|e| client_message(&e))?;
        let line = |o: &TrainOutcome| match (&o.promoted, &o.reason) {
            (true, _) => format!("{} {}: {} (promoted)", o.agent, o.symbol, o.summary),
            (false, Some(r)) => format!(
                "{} {}: {} (kept the current model: {r})",
                o.agent, o.symbol, o.summary
            ),
            (false, None) => format!("{} {}: {} (not promoted)", o.agent, o.symbol, o.summary),
        };
        let first = outcomes
            .first()
            .ok_or_else(|| "the job trained no model".to_string())?;
        Ok(JobOutcome {
            metrics: serde_json::to_value(&first.metrics).unwrap_or(Value::Null),
            artifact: Some(first.key.clone()),
            promoted: outcomes.iter().all(|o| o.promoted),
            message: outcomes.iter().map(line).collect::<Vec<_>>().join("; "),
            published: outcomes
                .iter()
                .map(|o| PublishedModel {
                    symbol: o.symbol.clone(),
                    key: o.key.clone(),
                    promoted: o.promoted,
                    reason: o.reason.clone(),
                    metrics: serde_json::to_value(&o.metrics).unwrap_or(Value::Null),
                })
                .collect(),
        })
    }

    fn models(&self) -> Result<Value, String> {
        let report = self.current_models().map_err(|e| client_message(&e))?;
        serde_json::to_value(report).map_err(|e| format!("cannot encode the model list: {e}"))
    }
}

/// Current models, as `GET /models` answers.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ModelsReport {
    /// The current model of every agent and symbol whose pointer reads.
    pub models: Vec<LatestPointer>,
    /// Agents and symbols whose pointer cannot be read.
    pub errors: Vec<ModelError>,
}

/// A current-model pointer that cannot be read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelError {
    pub agent: String,
    pub symbol: String,
    /// Store key of the pointer.
    pub key: String,
    pub error: String,
}

/// What a remote client is told about a failed job: the error's text,
/// except that a candle file that does not parse is named with its line
/// and column but its content is never quoted. A client may have pointed
/// the job at a file that is not candle data at all, and the service must
/// not read it back to them.
pub fn client_message(e: &TrainError) -> String {
    match e {
        TrainError::Market(m) | TrainError::Backtest(backtest::BacktestError::Market(m)) => {
            format!("market data: {}", market_message(m))
        }
        other => other.to_string(),
    }
}

fn market_message(e: &market::MarketError) -> String {
    use market::MarketError as M;
    const HEADER: &str = "`timestamp,open,high,low,close,volume`";
    match e {
        M::Header { file, line, .. } => {
            format!("{file} line {line}: the first line is not the candle header {HEADER}")
        }
        M::Parse {
            file,
            line,
            column,
            why,
            ..
        } => format!("{file} line {line}, column \"{column}\": the value {why}"),
        M::NonFinite {
            file, line, column, ..
        } => format!("{file} line {line}, column \"{column}\": the value is not a finite number"),
        // The other variants carry numbers, names and fixed text only.
        other => other.to_string(),
    }
}

/// Every key of `params` must be one the agent accepts; the error lists
/// them all (the agent's own keys and the trainer-level ones).
pub fn check_param_names(
    agent: &dyn AgentTrainer,
    params: &Map<String, Value>,
) -> Result<(), TrainError> {
    let known = agent.param_keys();
    for k in params.keys() {
        if !known.contains(&k.as_str()) {
            return Err(agents::unknown_param(agent.name(), k, &known));
        }
    }
    Ok(())
}

/// The symbols a job publishes under. Synthetic data: always
/// [`SYNTHETIC_SYMBOL`] (naming another is an error). Candle files: the
/// job's own symbol when it names one (never a reserved one; one model of
/// all the files, e.g. `GLOBAL`), else every symbol the files' names stand
/// for ([`symbol_of`]), in first-seen order. An upload needs the job to
/// name one.
pub fn job_symbols(spec: &JobSpec) -> Result<Vec<String>, TrainError> {
    let bad = |why: String| TrainError::Data(why);
    let symbols = match (&spec.data, spec.symbol.as_deref()) {
        (DataSpec::Synthetic { .. }, None) => return Ok(vec![SYNTHETIC_SYMBOL.to_string()]),
        (DataSpec::Synthetic { .. }, Some(s)) if s == SYNTHETIC_SYMBOL => {
            return Ok(vec![SYNTHETIC_SYMBOL.to_string()]);
        }
        (DataSpec::Synthetic { .. }, Some(s)) => {
            return Err(bad(format!(
                "models of the synthetic market are published under `{SYNTHETIC_SYMBOL}`, \
                 never under a market's symbol such as `{}`; train on candle files to \
                 publish under a market's symbol",
                s.chars().take(64).collect::<String>()
            )));
        }
        (_, Some(s)) => vec![s.to_string()],
        (DataSpec::Csv { path }, None) => vec![symbol_of(path)],
        (DataSpec::CsvFiles { paths }, None) => {
            let mut seen = Vec::new();
            for p in paths {
                let s = symbol_of(p);
                if !seen.contains(&s) {
                    seen.push(s);
                }
            }
            if seen.is_empty() {
                return Err(bad("no candle files given".into()));
            }
            seen
        }
        (DataSpec::Upload { .. }, None) => {
            return Err(bad(
                "name the symbol of the uploaded candles (form field `symbol`, or a file name \
                 such as BTCUSDT-1h.csv)"
                    .into(),
            ));
        }
    };
    for s in &symbols {
        store::check_symbol(s, false).map_err(|e| bad(e.to_string()))?;
    }
    Ok(symbols)
}

/// The one symbol a job is about, where one is needed (the model to
/// evaluate or to backtest with): [`job_symbols`], which must give exactly
/// one.
pub fn job_symbol(spec: &JobSpec) -> Result<String, TrainError> {
    let mut symbols = job_symbols(spec)?;
    match symbols.len() {
        1 => Ok(symbols.remove(0)),
        n => {
            let shown: Vec<String> = symbols.into_iter().take(10).collect();
            Err(TrainError::Data(format!(
                "the candle files are of {n} symbols ({}{}); name the symbol \
                 (--symbol, or `symbol` in the job)",
                shown.join(", "),
                if n > 10 { ", ..." } else { "" }
            )))
        }
    }
}

/// The part of `data` that is of `symbol`: its series and the provenance of
/// its files.
pub fn data_of_symbol(data: &MarketData, symbol: &str) -> MarketData {
    let provenance = match &data.provenance {
        Provenance::CandleFiles { files } => Provenance::CandleFiles {
            files: files
                .iter()
                .filter(|f| f.symbol == symbol)
                .cloned()
                .collect(),
        },
        other => other.clone(),
    };
    MarketData {
        series: data
            .series
            .iter()
            .filter(|(s, _)| s == symbol)
            .cloned()
            .collect(),
        source: format!("{} ({symbol})", data.source),
        provenance,
    }
}

/// The rows of pooled strategy returns that are of `symbol`, in their
/// order, with `n_train` counted again.
pub fn returns_of_symbol(r: &StrategyReturns, symbol: &str) -> StrategyReturns {
    let keep: Vec<usize> = (0..r.len())
        .filter(|&w| r.symbol.get(w).is_some_and(|s| s == symbol))
        .collect();
    let n_train = keep.iter().filter(|&&w| w < r.n_train).count();
    r.rows(&keep, n_train)
}

/// Load the candles a job asks for.
pub fn load_data(spec: &DataSpec) -> Result<MarketData, TrainError> {
    load_data_as(spec, None)
}

/// [`load_data`], with the symbol of a single candle file given rather
/// than taken from its name (the job's symbol).
pub fn load_data_as(spec: &DataSpec, symbol: Option<&str>) -> Result<MarketData, TrainError> {
    match spec {
        DataSpec::Synthetic { seed, bars } => {
            let run = market::SyntheticMarket::new()
                .seed(*seed)
                .bars(*bars)
                .generate()?;
            let c = &run.candles;
            let provenance = Provenance::Synthetic {
                // The market crate shares the workspace's version.
                generator: format!(
                    "cointrainer-market SyntheticMarket {}",
                    env!("CARGO_PKG_VERSION")
                ),
                seed: *seed,
                params: json!({
                    "bars": bars,
                    "interval_ms": c.interval_ms(),
                    "start_ts": c.ts.first(),
                    "start_price": c.open.first(),
                }),
            };
            Ok(MarketData {
                series: vec![(SYNTHETIC_SYMBOL.to_string(), run.candles)],
                source: format!("synthetic market (seed {seed}, {bars} bars)"),
                provenance,
            })
        }
        DataSpec::Csv { path } => load_files(std::slice::from_ref(path), symbol),
        DataSpec::CsvFiles { paths } => load_files(paths, symbol.filter(|_| paths.len() == 1)),
        DataSpec::Upload { .. } => Err(TrainError::Data(
            "an uploaded candle file is read only by the HTTP job it was sent with".into(),
        )),
    }
}

/// Read every file once: the candles, and the sha256 of exactly the bytes
/// parsed, for the provenance.
fn load_files(paths: &[PathBuf], symbol: Option<&str>) -> Result<MarketData, TrainError> {
    use agent_core::persist::{Symlinks, read_bounded, sha256_hex};
    if paths.is_empty() {
        return Err(TrainError::Data("no candle files given".into()));
    }
    let mut series = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        let bytes = read_bounded(p, market::io::MAX_FILE_BYTES, Symlinks::Follow)
            .map_err(market::MarketError::from)?;
        let c = market::parse_candles(&bytes, &p.display().to_string())?;
        let sym = symbol.map_or_else(|| symbol_of(p), str::to_string);
        let (first_ts, last_ts) = c.span().unwrap_or_default();
        files.push(CandleFile {
            name: p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: sha256_hex(&bytes),
            bytes: bytes.len() as u64,
            symbol: sym.clone(),
            timeframe: c.interval_ms().map(market::format_interval),
            first_ts,
            last_ts,
            bars: c.len() as u64,
        });
        series.push((sym, c));
    }
    Ok(MarketData {
        series,
        source: paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        provenance: Provenance::CandleFiles { files },
    })
}

/// How many bars `data` holds, and how many of them lie inside the data a
/// model with `trained_on` provenance learnt from: bars of the same symbol
/// within a training file's span, or every bar when both are the synthetic
/// market of the same seed. `None` when the model did not record its data.
fn bars_inside_training_data(
    trained_on: Option<&Provenance>,
    data: &MarketData,
) -> (usize, Option<usize>) {
    let bars: usize = data.series.iter().map(|(_, c)| c.ts.len()).sum();
    let inside = match (trained_on, &data.provenance) {
        (None, _) => None,
        // The same seed replays the same price path (a longer run extends
        // it): count it all as seen.
        (Some(Provenance::Synthetic { seed, .. }), eval) => Some(match eval {
            Provenance::Synthetic { seed: s, .. } if s == seed => bars,
            _ => 0,
        }),
        (Some(Provenance::CandleFiles { files }), _) => Some(
            data.series
                .iter()
                .map(|(symbol, c)| {
                    let spans: Vec<(i64, i64)> = files
                        .iter()
                        .filter(|f| f.symbol == *symbol)
                        .map(|f| (f.first_ts, f.last_ts))
                        .collect();
                    c.ts.iter()
                        .filter(|&&t| spans.iter().any(|&(a, b)| a <= t && t <= b))
                        .count()
                })
                .sum(),
        ),
    };
    (bars, inside)
}

/// Where the data a model with `trained_on` provenance learnt from starts,
/// for the symbols of `data`: the earliest first bar of its training files
/// of those symbols, or the start of `data` when both are the synthetic
/// market of the same seed. `None` when `data` holds none of it.
fn training_start(trained_on: Option<&Provenance>, data: &MarketData) -> Option<i64> {
    match (trained_on?, &data.provenance) {
        (Provenance::Synthetic { seed, .. }, Provenance::Synthetic { seed: s, .. })
            if s == seed =>
        {
            data.series
                .iter()
                .filter_map(|(_, c)| c.ts.first().copied())
                .min()
        }
        (Provenance::CandleFiles { files }, _) => files
            .iter()
            .filter(|f| data.series.iter().any(|(s, _)| *s == f.symbol))
            .map(|f| f.first_ts)
            .min(),
        _ => None,
    }
}

/// A trained model as it is published: the artifact as one blob, and the
/// strategy returns it learned from (for the agents that learn from them).
pub struct TrainedBlob {
    pub trained: agents::Trained,
    pub blob: Vec<u8>,
    pub returns: Option<StrategyReturns>,
}

/// Train `agent` on `data` into `out_dir` exactly as `train` does: the
/// backtest bootstrap first when the agent learns from strategy returns (an
/// agent that learns from the bootstrap's trades runs it itself), then the
/// agent's own chronological split, purge and out-of-sample scoring. The
/// saved artifact must record the provenance of `data`. `progress` goes
/// from 0 to [`TRAIN_END`]; cancellation is checked between stages.
pub fn train_model(
    agent: &dyn AgentTrainer,
    data: &MarketData,
    params: &Map<String, Value>,
    out_dir: &Path,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<TrainedBlob, TrainError> {
    train_model_on(agent, data, params, Device::Cpu, out_dir, progress)
}

/// [`train_model`] on `device` (which the agent's
/// [`AgentTrainer::check_device`] must accept).
pub fn train_model_on(
    agent: &dyn AgentTrainer,
    data: &MarketData,
    params: &Map<String, Value>,
    device: Device,
    out_dir: &Path,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<TrainedBlob, TrainError> {
    agent.check_device(device, params)?;
    let returns = match agent.bootstrap_for(params)? {
        Bootstrap::StrategyReturns => Some(bootstrap(data, &out_dir.join("bootstrap"))?),
        Bootstrap::Candles | Bootstrap::Trades => None,
    };
    agent_core::cancel::check()?;
    progress(BOOT_END);
    let stage = |p: f64| progress(BOOT_END + (TRAIN_END - BOOT_END) * p.clamp(0.0, 1.0));
    let ctx = TrainCtx {
        data,
        returns: returns.as_ref(),
        params,
        out_dir,
        progress: &stage,
        device,
    };
    let trained = device.guard(agent.name(), || agent.train(&ctx))?;
    agent_core::cancel::check()?;
    progress(TRAIN_END);
    let (manifest, files) = read_dir(&trained.model_dir)?;
    if manifest.provenance.as_ref() != Some(&data.provenance) {
        return Err(TrainError::Agent {
            agent: agent.name().to_string(),
            why: "the saved artifact does not record the provenance of its training data".into(),
        });
    }
    let blob = to_blob(&manifest, &files)?;
    Ok(TrainedBlob {
        trained,
        blob,
        returns,
    })
}

/// The symbol a candle file stands for (see [`market::symbol_of`]).
pub use market::symbol_of;

/// The backtest bootstrap with its default options: the rule and agent
/// strategies over every series of `data`, pooled (see
/// [`crate::bootstrap`]), all written to `dir` so the agent's inputs can be
/// inspected.
pub fn bootstrap(data: &MarketData, dir: &Path) -> Result<StrategyReturns, TrainError> {
    crate::bootstrap::bootstrap(data, &crate::bootstrap::BootstrapOptions::default(), dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_name_file_and_line_but_never_quote_content() {
        let header = TrainError::Market(market::MarketError::Header {
            file: "data/env.csv".into(),
            line: 1,
            why: "the first line \"AWS_SECRET_ACCESS_KEY=hunter2\" looks like data".into(),
        });
        let m = client_message(&header);
        assert!(m.contains("data/env.csv line 1"), "{m}");
        assert!(!m.contains("hunter2"), "{m}");
        let nonfinite = TrainError::Backtest(backtest::BacktestError::Market(
            market::MarketError::NonFinite {
                file: "x.csv".into(),
                line: 7,
                column: "close",
                value: "hunter3".into(),
            },
        ));
        let m = client_message(&nonfinite);
        assert!(m.contains("x.csv line 7") && m.contains("close"), "{m}");
        assert!(!m.contains("hunter3"), "{m}");
        let other = TrainError::Data("no candle files given".into());
        assert_eq!(client_message(&other), other.to_string());
    }
}
