//! `ppo`: PPO strategy selector trained in the strategy environment built
//! from the backtest's per-window returns (SPEC T4 protocol), evaluated
//! greedily once through the held-out windows.

use super::*;
use agent_core::{ParamGuard, Persist};
use ppo::{
    Activation, Engine, NetArch, PpoModel, PpoParams, Schedule, StrategyData, StrategyEnvConfig,
    StrategyReport, ValueLoss,
};
use std::sync::Arc;

const AGENT: &str = "ppo";
const LOCAL: [&str; 1] = ["env"];

pub struct PpoAgent;

fn strategy_data(r: &backtest::StrategyReturns) -> Result<Arc<StrategyData>, TrainError> {
    let csv = returns_csv(r);
    StrategyData::parse_csv("strategy returns", &csv)
        .map(Arc::new)
        .map_err(|e| agent_err(AGENT, &e))
}

/// The update engine on a job's `device`: `None` on the CPU (the `engine`
/// parameter, native by default, decides); otherwise burn on the device's
/// backend, which an `engine` parameter contradicts.
fn burn_engine(device: Device, params: &Map<String, Value>) -> Result<Option<Engine>, TrainError> {
    let Some(backend) = device.ppo_backend(AGENT)? else {
        return Ok(None);
    };
    if params.contains_key("engine") {
        return Err(TrainError::Params {
            agent: AGENT.into(),
            why: format!(
                "`engine` and the job's device {device} both choose where the update runs; give one"
            ),
        });
    }
    Ok(Some(Engine::Burn { backend }))
}

fn env_config(local: &Map<String, Value>) -> Result<StrategyEnvConfig, TrainError> {
    match local.get("env") {
        None => Ok(StrategyEnvConfig::default()),
        Some(Value::Object(m)) => merge_serde(AGENT, &StrategyEnvConfig::default(), m, &[])
            .map_err(|e| match e {
                TrainError::Params { agent, why } => TrainError::Params {
                    agent,
                    why: format!("env: {why}"),
                },
                other => other,
            }),
        Some(other) => Err(TrainError::Params {
            agent: AGENT.into(),
            why: format!("`env` = {other} must be an object"),
        }),
    }
}

impl AgentTrainer for PpoAgent {
    fn name(&self) -> &'static str {
        AGENT
    }
    fn describe(&self) -> &'static str {
        "PPO policy choosing the strategy for the next window"
    }
    fn bootstrap(&self) -> Bootstrap {
        Bootstrap::StrategyReturns
    }
    fn promote_metric(&self) -> (&'static str, Direction) {
        ("test_mean_ret_greedy", Direction::Maximize)
    }
    fn param_keys(&self) -> Vec<&'static str> {
        vec![
            "learning_rate",
            "n_steps",
            "batch_size",
            "n_epochs",
            "gamma",
            "gae_lambda",
            "clip_range",
            "clip_range_vf",
            "value_loss",
            "normalize_advantage",
            "ent_coef",
            "vf_coef",
            "max_grad_norm",
            "target_kl",
            "total_timesteps",
            "n_envs",
            "parallel_envs",
            "normalize_obs",
            "clip_obs",
            "net_arch",
            "activation",
            "ortho_init",
            "log_std_init",
            "adam_eps",
            "seed",
            "engine",
            "n_threads",
            "stats_window",
            "env",
        ]
    }

    fn check_device(&self, device: Device, params: &Map<String, Value>) -> Result<(), TrainError> {
        burn_engine(device, params).map(|_| ())
    }

    fn train(&self, ctx: &TrainCtx<'_>) -> Result<Trained, TrainError> {
        let (local, rest) = take_local(ctx.params, &LOCAL);
        let config = env_config(&local)?;
        // SPEC T4's settings are the trading selector's defaults.
        let params = crate::apply_params!(AGENT, rest, PpoParams::t4(), [
            learning_rate: Schedule,
            n_steps: usize,
            batch_size: usize,
            n_epochs: usize,
            gamma: f64,
            gae_lambda: f64,
            clip_range: Schedule,
            clip_range_vf: Option<Schedule>,
            value_loss: ValueLoss,
            normalize_advantage: bool,
            ent_coef: f64,
            vf_coef: f64,
            max_grad_norm: Option<f64>,
            target_kl: Option<f64>,
            total_timesteps: u64,
            n_envs: usize,
            parallel_envs: bool,
            normalize_obs: bool,
            clip_obs: f64,
            net_arch: NetArch,
            activation: Activation,
            ortho_init: bool,
            log_std_init: f64,
            adam_eps: f64,
            seed: u64,
            engine: Engine,
            n_threads: usize,
            stats_window: usize,
        ]);
        let params = match burn_engine(ctx.device, ctx.params)? {
            Some(engine) => params.engine(engine),
            None => params,
        };
        let params = params.check().map_err(|e| agent_err(AGENT, &e))?;
        let data = strategy_data(ctx.returns()?)?;
        let mut config = config;
        let mut note = String::new();
        let user_set_len =
            matches!(local.get("env"), Some(Value::Object(m)) if m.contains_key("episode_len"));
        // Short data: an episode must fit in one series' training windows
        // (episodes never cross symbols). Shorten it (and say so) unless the
        // user chose the length.
        let run = ctx
            .returns()?
            .series_ranges()
            .into_iter()
            .filter(|r| r.end <= data.n_train)
            .map(|r| r.len())
            .max()
            .unwrap_or(data.n_train);
        if !user_set_len && run <= config.episode_len && run >= 3 {
            config.episode_len = run - 1;
            note = format!(
                " (episode_len shortened to {} for {run} training windows of one series)",
                config.episode_len
            );
        }
        let progress = ctx.core_progress();
        let mut model = params
            .fit_strategy(&data, &config, Some(&progress))
            .map_err(|e| agent_err(AGENT, &e))?;
        let dir = ctx.model_dir();
        model.set_provenance(Some(ctx.data.provenance.clone()));
        model.save(&dir).map_err(|e| agent_err(AGENT, &e))?;
        // The greedy run is scored on the test windows n_train.. (decided at
        // the end of the window before each).
        if let Some((a, b)) = window_span(ctx.returns()?, data.n_train..data.n_windows()) {
            record_test_span(&dir, a, b)?;
        }
        // The original bot's file, beside the artifact.
        model
            .save_zip(&ctx.out_dir.join(ppo::ZIP_FILE_NAME))
            .map_err(|e| agent_err(AGENT, &e))?;
        let log = model.training_log();
        let _ = log.write_csv(ctx.out_dir);
        let mut plots = Vec::new();
        if log.write_png(ctx.out_dir).is_ok() {
            plots.push(ctx.out_dir.join("reward.png"));
            plots.push(ctx.out_dir.join("diagnostics.png"));
        }
        let m = model.metrics();
        let g = |k: &str| m.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
        Ok(Trained {
            metrics: saved_metrics(&dir)?,
            model_dir: dir,
            plots,
            summary: format!(
                "held-out greedy {:+.5}/window vs best fixed {:+.5}, uniform {:+.5}{note}",
                g("test_mean_ret_greedy"),
                g("test_mean_ret_best_fixed_hindsight"),
                g("test_mean_ret_uniform")
            ),
        })
    }

    fn evaluate(
        &self,
        blob: &[u8],
        _: &MarketData,
        returns: Option<&backtest::StrategyReturns>,
        slice: Option<&EvalSlice>,
    ) -> Result<Evaluation, TrainError> {
        let model = PpoModel::from_bytes(blob).map_err(|e| agent_err(AGENT, &e))?;
        let r = returns.ok_or_else(|| TrainError::Data("ppo needs strategy returns".into()))?;
        let data = strategy_data(r)?;
        let config = StrategyEnvConfig::default();
        let Some(s) = slice else {
            let rep = StrategyReport::evaluate(&model, &data, &config)
                .map_err(|e| agent_err(AGENT, &e))?;
            let mut out = num_metrics([
                ("decisions".to_string(), rep.test_decisions as f64),
                ("mean_ret_greedy".to_string(), rep.test_mean_ret_greedy),
                (
                    "mean_ret_best_fixed_hindsight".to_string(),
                    rep.test_mean_ret_best_fixed_hindsight,
                ),
                ("mean_ret_uniform".to_string(), rep.test_mean_ret_uniform),
            ]);
            out.insert(
                "best_fixed_strategy".into(),
                Value::String(rep.best_fixed_strategy),
            );
            return Ok(Evaluation {
                metrics: out,
                paired: None,
            });
        };
        // Windows a..b are scored, each decided at the end of the window
        // before it, in one greedy run from the slice's start (the previous
        // action starting from none, as on the test windows in training).
        let idx = s.windows(&r.start_ts, &r.end_ts);
        let (a, b) = match (idx.first(), idx.last()) {
            // Window 0 has no decision before it.
            (Some(&a), Some(&last)) => (a.max(1), last + 1),
            _ => return Err(empty_slice(AGENT, s)),
        };
        if a >= b {
            return Err(empty_slice(AGENT, s));
        }
        if b - a != idx.iter().filter(|&&w| w >= 1).count() {
            return Err(TrainError::Data(format!(
                "{AGENT}: the windows between {} and {} are not consecutive rows of the returns \
                 table; give a slice of whole consecutive windows",
                s.from_ts, s.to_ts
            )));
        }
        let ev = data
            .evaluate(&config, a - 1, b - a, |obs| model.act_greedy(obs))
            .map_err(|e| agent_err(AGENT, &e))?;
        let means = data.mean_returns(a, b - 1);
        let (best_k, best) =
            means
                .iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |acc, (k, m)| if m > acc.1 { (k, m) } else { acc },
                );
        let mut out = num_metrics([
            ("decisions".to_string(), (b - a) as f64),
            ("mean_ret_greedy".to_string(), ev.mean_return),
            ("mean_ret_best_fixed_hindsight".to_string(), best),
            (
                "mean_ret_uniform".to_string(),
                means.iter().sum::<f64>() / means.len() as f64,
            ),
        ]);
        if let Some(name) = data.strategies.get(best_k) {
            out.insert("best_fixed_strategy".into(), Value::String(name.clone()));
        }
        Ok(Evaluation {
            metrics: with_promote_metric(out, self.promote_metric().0),
            paired: Some(PairedScores {
                name: "greedy_return".into(),
                ts: r.start_ts[a..b].to_vec(),
                values: ev.returns,
            }),
        })
    }
}
