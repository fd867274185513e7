//! T4 of SPEC.md: the PPO strategy selector.
//!
//! The environment is SPEC T4's (`ppo::StrategyEnv` with its default
//! configuration: standardized context + one-hot previous action, reward
//! `100 * R[w+1, a]`, 64-step episodes starting uniformly in the training
//! windows), trained with `PpoParams::t4()`: stable-baselines3's PPO
//! semantics, 8 environments x 256 steps, 10 epochs of 8 minibatches,
//! clip range annealed 0.2 -> 0, 200,704 steps (98 rollouts), seed 0.
//!
//! `wall_s` is training only (environment creation, rollouts, updates); the
//! greedy evaluation through the 487 test windows is not timed.

use super::{BenchContext, BenchError, Measure, num};
use ppo::{ParamGuard, PpoParams, StrategyData, StrategyEnvConfig, StrategyReport};
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub fn run(ctx: &BenchContext) -> Result<Map<String, Value>, BenchError> {
    let path = ctx.dataset("strategy_returns_btc_1h.csv")?;
    let data = Arc::new(StrategyData::read_csv(&path).map_err(BenchError::failed)?);
    let threads = ctx.threads.clamp(1, 2);
    let mut params = PpoParams::t4().n_threads(threads).seed(ctx.seed);
    if let Some(backend) = ctx.device.ppo_backend("ppo").map_err(BenchError::failed)? {
        params = params.engine(ppo::Engine::Burn { backend });
    }
    let params = params.check().map_err(BenchError::failed)?;
    let config = StrategyEnvConfig::default();

    let timer = Measure::start();
    let mut venv = params
        .strategy_envs(&data, &config)
        .map_err(BenchError::failed)?;
    let model = params.learn(&mut venv, None).map_err(BenchError::failed)?;
    let measured = timer.stop();

    let report = StrategyReport::evaluate(&model, &data, &config).map_err(BenchError::failed)?;
    let log = model.training_log();
    let summary = model.summary();
    let rollout_s: f64 = log.updates.iter().map(|u| u.rollout_s).sum();
    let update_s: f64 = log.updates.iter().map(|u| u.update_s).sum();

    let mut m = Map::new();
    m.insert("impl".into(), json!("rust-cointrainer-ppo"));
    measured.record(&mut m);
    m.insert("env_steps".into(), json!(summary.timesteps));
    m.insert(
        "steps_per_s".into(),
        num(summary.timesteps as f64 / measured.wall_s),
    );
    m.insert("n_updates".into(), json!(summary.updates));
    m.insert("grad_steps".into(), json!(summary.grad_steps));
    m.insert(
        "test_mean_ret_greedy".into(),
        num(report.test_mean_ret_greedy),
    );
    m.insert(
        "test_mean_ret_best_fixed_hindsight".into(),
        num(report.test_mean_ret_best_fixed_hindsight),
    );
    m.insert(
        "test_mean_ret_uniform".into(),
        num(report.test_mean_ret_uniform),
    );
    m.insert(
        "train_ep_reward_last10pct".into(),
        num(report.train_ep_reward_last10pct),
    );
    m.insert(
        "best_fixed_strategy".into(),
        json!(report.best_fixed_strategy),
    );
    m.insert(
        "beats_best_fixed".into(),
        json!(report.test_mean_ret_greedy > report.test_mean_ret_best_fixed_hindsight),
    );
    m.insert("test_decisions".into(), json!(report.test_decisions));
    m.insert("n_episodes".into(), json!(log.episodes.len()));
    m.insert("engine".into(), json!(summary.engine));
    m.insert("rollout_s".into(), num(rollout_s));
    m.insert("update_s".into(), num(update_s));
    m.insert("seed".into(), json!(params.seed));
    m.insert("threads".into(), json!(threads));
    Ok(m)
}
