//! The PPO training loop with stable-baselines3's semantics: rollouts of
//! `n_steps` per environment copy (all copies in one forward pass per step),
//! time-limit bootstrapping, GAE, schedules evaluated after each rollout,
//! shuffled minibatch epochs with per-minibatch advantage normalisation,
//! target-KL early stop, global gradient clipping and Adam.

use crate::env::{
    Env, StrategyData, StrategyEnv, StrategyEnvConfig, StrategyEnvRecord, VecActions, VecEnv,
};
use crate::error::{PpoError, Result};
use crate::hyperparams::{Engine, PpoValidParams};
use crate::log::{EpisodeLog, TrainingLog, UpdateLog};
use crate::loss::{
    compute_gae, explained_variance, gaussian_logp, log_softmax, normalize_advantages,
};
use crate::model::{PpoModel, TrainingSummary, sample_categorical};
use crate::normalize::ObsNormalizer;
use crate::policy::burn_net::BurnEngine;
use crate::policy::init::init_params;
use crate::policy::native::{
    Adam, LossHp, Minibatch, MinibatchStats, Workspace, clip_grad_norm, forward, loss_and_grad,
};
use crate::policy::{ActionDist, Layout, PolicySpec};
use agent_core::cancel::CancelToken;
use agent_core::{Fit, Progress, ProgressEvent, SplitMix64};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

// Distinct generator streams for init, action sampling and shuffling, so
// changing one consumer does not shift the others.
const INIT_STREAM: u64 = 0x0001_0000_0000_0001;
const SAMPLE_STREAM: u64 = 0x0002_0000_0000_0002;
const SHUFFLE_STREAM: u64 = 0x0003_0000_0000_0003;

struct NativeEngine {
    adam: Adam,
    ws: Workspace,
    grad: Vec<f32>,
}

enum UpdateEngine {
    Native(Box<NativeEngine>),
    Burn(Box<BurnEngine>),
}

/// The rollout buffer, `[n_steps][n_envs]` (SB3's `RolloutBuffer`).
struct Rollout {
    obs: Vec<f32>,
    actions_d: Vec<usize>,
    actions_c: Vec<f32>,
    rewards: Vec<f32>,
    starts: Vec<f32>,
    values: Vec<f32>,
    logp: Vec<f32>,
    advantages: Vec<f32>,
    returns: Vec<f32>,
}

/// Minibatch gather buffers.
#[derive(Default)]
struct Gathered {
    obs: Vec<f32>,
    actions_d: Vec<usize>,
    actions_c: Vec<f32>,
    logp: Vec<f32>,
    adv_raw: Vec<f32>,
    adv: Vec<f32>,
    returns: Vec<f32>,
    values: Vec<f32>,
}

impl PpoValidParams {
    /// Train on `venv` for `total_timesteps` (rounded up to whole rollouts)
    /// and return the policy. `progress` receives one event per update.
    /// Stops with `Cancelled` when the caller's [`agent_core::cancel`]
    /// token is cancelled (checked before each rollout and each epoch).
    pub fn learn<E: Env>(
        &self,
        venv: &mut VecEnv<E>,
        progress: Option<Progress<'_>>,
    ) -> Result<PpoModel> {
        // Taken here: the loop may run on a pool thread outside the scope.
        let cancel = agent_core::cancel::current();
        if self.n_threads > 0 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(self.n_threads)
                .build()
                .map_err(|e| {
                    PpoError::InvalidData(format!("cannot start {} threads: {e}", self.n_threads))
                })?;
            pool.install(|| learn_impl(self, venv, progress, &cancel))
        } else {
            learn_impl(self, venv, progress, &cancel)
        }
    }

    /// `n_envs` copies of the strategy-selection environment over `data`.
    pub fn strategy_envs(
        &self,
        data: &Arc<StrategyData>,
        config: &StrategyEnvConfig,
    ) -> Result<VecEnv<StrategyEnv>> {
        let envs = (0..self.n_envs)
            .map(|_| StrategyEnv::new(data.clone(), config.clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(VecEnv::new(envs)?.with_parallel(self.parallel_envs))
    }

    /// Train the strategy selector on `data`'s training windows and evaluate
    /// it greedily once through the test windows (SPEC T4's protocol). The
    /// model carries the out-of-sample metrics: `test_mean_ret_greedy`,
    /// `test_mean_ret_best_fixed_hindsight` (and its strategy),
    /// `test_mean_ret_uniform`, `test_decisions`, and the training
    /// statistic `train_ep_reward_last10pct`.
    pub fn fit_strategy(
        &self,
        data: &Arc<StrategyData>,
        config: &StrategyEnvConfig,
        progress: Option<Progress<'_>>,
    ) -> Result<PpoModel> {
        if data.n_windows() < data.n_train + 1 {
            return Err(PpoError::InvalidData(
                "the data has no test windows: mark the last windows is_train = 0".into(),
            ));
        }
        let mut venv = self.strategy_envs(data, config)?;
        let names = crate::env::StrategyEnv::new(data.clone(), config.clone())?.feature_names();
        let model = self.learn(&mut venv, progress)?;
        let mut model = model
            .with_feature_names(names)?
            .with_action_names(data.strategies.clone())?;
        model.set_data_fingerprint(Some(data.fingerprint()));
        model.set_strategy_env(StrategyEnvRecord::new(data, config))?;
        let report = StrategyReport::evaluate(&model, data, config)?;
        report.record(&mut model);
        Ok(model)
    }
}

/// Out-of-sample evaluation of a strategy selector (SPEC T4).
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyReport {
    pub test_decisions: usize,
    pub test_mean_ret_greedy: f64,
    pub test_mean_ret_best_fixed_hindsight: f64,
    pub best_fixed_strategy: String,
    pub test_mean_ret_uniform: f64,
    pub train_ep_reward_last10pct: f64,
    /// Greedy choice per test decision.
    pub actions: Vec<usize>,
}

impl StrategyReport {
    /// Run `model` greedily through `data`'s test windows and compare with
    /// the fixed strategies.
    pub fn evaluate(
        model: &PpoModel,
        data: &Arc<StrategyData>,
        config: &StrategyEnvConfig,
    ) -> Result<Self> {
        // One greedy walk per series through its test windows (one series:
        // `test_decisions`), the previous choice reset at each series.
        let mut actions = Vec::new();
        let mut rets = Vec::new();
        let mut reward_windows = Vec::new();
        for (first, n) in data.test_runs() {
            let ev = data.evaluate(config, first, n, |obs| model.act_greedy(obs))?;
            actions.extend(ev.actions);
            rets.extend(ev.returns);
            reward_windows.extend((1..=n).filter_map(|i| data.walk(first, i)));
        }
        let n = rets.len();
        if n == 0 {
            return Err(PpoError::InvalidData(
                "no test window follows a window of its series".into(),
            ));
        }
        let greedy = rets.iter().sum::<f64>() / n as f64;
        let means: Vec<f64> = (0..data.n_strategies())
            .map(|k| reward_windows.iter().map(|&w| data.ret(w, k)).sum::<f64>() / n as f64)
            .collect();
        let (best_k, best) =
            means
                .iter()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |acc, (k, &m)| if m > acc.1 { (k, m) } else { acc },
                );
        Ok(Self {
            test_decisions: n,
            test_mean_ret_greedy: greedy,
            test_mean_ret_best_fixed_hindsight: best,
            best_fixed_strategy: data.strategies[best_k].clone(),
            test_mean_ret_uniform: means.iter().sum::<f64>() / means.len() as f64,
            train_ep_reward_last10pct: model.training_log().mean_reward_last(0.1),
            actions,
        })
    }

    /// Store the metrics in the model (zip and manifest).
    pub fn record(&self, model: &mut PpoModel) {
        use serde_json::json;
        let num = |x: f64| {
            if x.is_finite() {
                json!(x)
            } else {
                serde_json::Value::Null
            }
        };
        model.set_metric("test_decisions", json!(self.test_decisions));
        model.set_metric("test_mean_ret_greedy", num(self.test_mean_ret_greedy));
        model.set_metric(
            "test_mean_ret_best_fixed_hindsight",
            num(self.test_mean_ret_best_fixed_hindsight),
        );
        model.set_metric("test_best_fixed_strategy", json!(self.best_fixed_strategy));
        model.set_metric("test_mean_ret_uniform", num(self.test_mean_ret_uniform));
        model.set_metric(
            "train_ep_reward_last10pct",
            num(self.train_ep_reward_last10pct),
        );
    }
}

/// SPEC T4 as a one-liner: `PpoParams::t4().check()?.fit(&data)`.
impl Fit<StrategyData> for PpoValidParams {
    type Model = PpoModel;
    type Error = PpoError;

    fn fit(&self, data: &StrategyData) -> Result<PpoModel> {
        self.fit_strategy(&Arc::new(data.clone()), &StrategyEnvConfig::default(), None)
    }
}

fn learn_impl<E: Env>(
    p: &PpoValidParams,
    venv: &mut VecEnv<E>,
    progress: Option<Progress<'_>>,
    cancel: &CancelToken,
) -> Result<PpoModel> {
    let t_start = Instant::now();
    let n_envs = venv.num_envs();
    let spec = PolicySpec::new(
        venv.observation_space(),
        venv.action_space(),
        &p.net_arch,
        p.activation,
    )?;
    let layout = Layout::new(&spec);
    let obs_space = venv.observation_space().clone();
    let act_space = venv.action_space().clone();
    let d = spec.obs_dim;
    let (gaussian_dim, n_actions) = match spec.dist {
        ActionDist::Categorical { n } => (0, n),
        ActionDist::Gaussian { dim } => (dim, 0),
    };
    let (act_low, act_high) = match &act_space {
        crate::env::Space::Box { low, high } => (low.clone(), high.clone()),
        crate::env::Space::Discrete { .. } => (Vec::new(), Vec::new()),
    };

    let mut params = init_params(
        &spec,
        p.ortho_init,
        p.log_std_init,
        &mut SplitMix64::new(p.seed ^ INIT_STREAM),
    );
    let mut engine = match p.engine {
        Engine::Native => UpdateEngine::Native(Box::new(NativeEngine {
            adam: Adam::new(layout.total, p.adam_eps),
            ws: Workspace::default(),
            grad: vec![0.0; layout.total],
        })),
        Engine::Burn { backend } => UpdateEngine::Burn(Box::new(BurnEngine::new(
            &spec,
            &params,
            backend.device(),
            p.adam_eps,
        )?)),
    };
    let parallel = rayon::current_num_threads() > 1;
    let mut sample_rng = SplitMix64::new(p.seed ^ SAMPLE_STREAM);
    let mut shuffle_rng = SplitMix64::new(p.seed ^ SHUFFLE_STREAM);
    let mut norm = p.normalize_obs.then(|| ObsNormalizer::new(d, p.clip_obs));

    let n_rollouts = p.n_rollouts(n_envs);
    let buf_n = p.n_steps * n_envs;
    let mut buf = Rollout {
        obs: vec![0.0; buf_n * d],
        actions_d: vec![0; if n_actions > 0 { buf_n } else { 0 }],
        actions_c: vec![0.0; buf_n * gaussian_dim],
        rewards: vec![0.0; buf_n],
        starts: vec![0.0; buf_n],
        values: vec![0.0; buf_n],
        logp: vec![0.0; buf_n],
        advantages: vec![0.0; buf_n],
        returns: vec![0.0; buf_n],
    };

    let mut last_obs = venv.reset(Some(p.seed))?.to_vec();
    if let Some(i) = last_obs.iter().position(|x| !x.is_finite()) {
        return Err(PpoError::Env(format!(
            "reset returned observation value {} = {} in copy {}",
            i % d,
            last_obs[i],
            i / d
        )));
    }
    if let Some(nm) = norm.as_mut() {
        nm.update(&last_obs);
        nm.normalize(&mut last_obs);
    }
    let mut last_starts = vec![1.0f32; n_envs];
    let mut new_obs = vec![0.0f32; n_envs * d];
    let mut term = vec![0.0f32; d];
    let mut rws = Workspace::default();
    let mut tws = Workspace::default();
    let mut lp = vec![0.0f64; n_actions.max(1)];
    let mut step_actions_d = vec![0usize; n_envs];
    let mut step_actions_c = vec![0.0f32; n_envs * gaussian_dim];
    let mut clipped_c = vec![0.0f32; n_envs * gaussian_dim];
    let mut perm: Vec<usize> = (0..buf_n).collect();
    let mut g = Gathered::default();

    let mut log = TrainingLog::default();
    let mut recent: VecDeque<(f64, usize)> = VecDeque::with_capacity(p.stats_window);
    let mut timesteps = 0u64;
    let mut grad_steps = 0u64;

    for update in 1..=n_rollouts {
        cancel.check()?;
        // ---------------- rollout ----------------
        let t_roll = Instant::now();
        for step in 0..p.n_steps {
            forward(&spec, &layout, &params, &last_obs, n_envs, &mut rws);
            let base = step * n_envs;
            for e in 0..n_envs {
                let i = base + e;
                buf.values[i] = rws.vf.out[e];
                match spec.dist {
                    ActionDist::Categorical { n } => {
                        log_softmax(&rws.pi.out[e * n..(e + 1) * n], &mut lp);
                        let a = sample_categorical(&lp, sample_rng.next_f64());
                        step_actions_d[e] = a;
                        buf.actions_d[i] = a;
                        buf.logp[i] = lp[a] as f32;
                    }
                    ActionDist::Gaussian { dim } => {
                        let o = layout.log_std.expect("Gaussian layout has log_std");
                        let mean = &rws.pi.out[e * dim..(e + 1) * dim];
                        let ls = &params[o..o + dim];
                        let a = &mut step_actions_c[e * dim..(e + 1) * dim];
                        for k in 0..dim {
                            a[k] = mean[k] + ls[k].exp() * sample_rng.next_normal() as f32;
                        }
                        buf.logp[i] = gaussian_logp(mean, ls, a) as f32;
                        buf.actions_c[i * dim..(i + 1) * dim].copy_from_slice(a);
                        // SB3 clips into the box for the environment only.
                        for k in 0..dim {
                            clipped_c[e * dim + k] = a[k].clamp(act_low[k], act_high[k]);
                        }
                    }
                }
            }
            buf.obs[base * d..(base + n_envs) * d].copy_from_slice(&last_obs);
            buf.starts[base..base + n_envs].copy_from_slice(&last_starts);
            let actions = if gaussian_dim > 0 {
                VecActions::Continuous(&clipped_c)
            } else {
                VecActions::Discrete(&step_actions_d)
            };
            venv.step(actions)?;
            timesteps += n_envs as u64;
            for ep in venv.drain_episodes() {
                if recent.len() == p.stats_window {
                    recent.pop_front();
                }
                recent.push_back((ep.reward, ep.length));
                log.episodes.push(EpisodeLog {
                    timesteps,
                    env: ep.env,
                    reward: ep.reward,
                    length: ep.length,
                });
            }
            new_obs.copy_from_slice(venv.obs());
            if let Some(i) = new_obs.iter().position(|x| !x.is_finite()) {
                return Err(PpoError::Env(format!(
                    "environment copy {} returned observation value {} = {} at timestep {timesteps}",
                    i / d,
                    i % d,
                    new_obs[i]
                )));
            }
            if let Some(e) = venv.rewards().iter().position(|r| !r.is_finite()) {
                return Err(PpoError::Env(format!(
                    "environment copy {e} returned reward {} at timestep {timesteps}",
                    venv.rewards()[e]
                )));
            }
            if let Some(nm) = norm.as_mut() {
                nm.update(&new_obs);
                nm.normalize(&mut new_obs);
            }
            for (e, start) in last_starts.iter_mut().enumerate() {
                let i = base + e;
                let mut r = venv.rewards()[e] as f32;
                if venv.truncated()[e] {
                    // Time limit: bootstrap with the value of the last observation.
                    term.copy_from_slice(venv.terminal_obs(e));
                    if let Some(nm) = norm.as_ref() {
                        nm.normalize(&mut term);
                    }
                    forward(&spec, &layout, &params, &term, 1, &mut tws);
                    r += p.gamma as f32 * tws.vf.out[0];
                }
                buf.rewards[i] = r;
                *start = if venv.done(e) { 1.0 } else { 0.0 };
            }
            std::mem::swap(&mut last_obs, &mut new_obs);
        }
        forward(&spec, &layout, &params, &last_obs, n_envs, &mut rws);
        let last_values: Vec<f32> = rws.vf.out[..n_envs].to_vec();
        compute_gae(
            p.n_steps,
            n_envs,
            &buf.rewards,
            &buf.values,
            &buf.starts,
            &last_values,
            &last_starts,
            p.gamma as f32,
            p.gae_lambda as f32,
            &mut buf.advantages,
            &mut buf.returns,
        );
        let rollout_s = t_roll.elapsed().as_secs_f64();

        // ---------------- update ----------------
        let t_upd = Instant::now();
        let progress_remaining =
            (1.0 - timesteps as f64 / p.total_timesteps as f64).clamp(0.0, 1.0);
        let lr = p.learning_rate.value(progress_remaining);
        let hp = LossHp {
            clip: p.clip_range.value(progress_remaining),
            clip_vf: p.clip_range_vf.map(|s| s.value(progress_remaining)),
            ent_coef: p.ent_coef,
            vf_coef: p.vf_coef,
            value_loss: p.value_loss,
        };
        let mut acc = MinibatchStats::default();
        let mut n_mb = 0usize;
        let mut epochs = 0u64;
        let mut last_loss = f64::NAN;
        // SB3 logs approx KL of the last epoch only.
        let mut kl_epoch = (0.0f64, 0usize);
        'epochs: for _ in 0..p.n_epochs {
            cancel.check()?;
            epochs += 1;
            kl_epoch = (0.0, 0);
            perm.iter_mut().enumerate().for_each(|(i, x)| *x = i);
            shuffle_rng.shuffle(&mut perm);
            for chunk in perm.chunks(p.batch_size) {
                gather(&buf, chunk, d, gaussian_dim, p.normalize_advantage, &mut g);
                let mb = Minibatch {
                    b: chunk.len(),
                    obs: &g.obs,
                    actions_d: &g.actions_d,
                    actions_c: &g.actions_c,
                    old_logp: &g.logp,
                    adv: &g.adv,
                    returns: &g.returns,
                    old_values: &g.values,
                };
                let kl_stop =
                    |s: &MinibatchStats| p.target_kl.is_some_and(|k| s.policy.approx_kl > 1.5 * k);
                let stats = match &mut engine {
                    UpdateEngine::Native(n) => {
                        let NativeEngine { adam, ws, grad } = &mut **n;
                        let s =
                            loss_and_grad(&spec, &layout, &params, &mb, &hp, ws, grad, parallel);
                        if !kl_stop(&s) {
                            if let Some(m) = p.max_grad_norm {
                                clip_grad_norm(grad, m);
                            }
                            adam.step(&mut params, grad, lr);
                        }
                        s
                    }
                    UpdateEngine::Burn(b) => {
                        b.minibatch(&mb, &hp, lr, p.max_grad_norm, |s| !kl_stop(s))?
                    }
                };
                acc.policy.policy_loss += stats.policy.policy_loss;
                acc.policy.entropy += stats.policy.entropy;
                kl_epoch.0 += stats.policy.approx_kl;
                kl_epoch.1 += 1;
                acc.policy.clip_fraction += stats.policy.clip_fraction;
                acc.value_loss += stats.value_loss;
                n_mb += 1;
                if kl_stop(&stats) {
                    break 'epochs;
                }
                last_loss = stats.loss;
                grad_steps += 1;
            }
        }
        if let UpdateEngine::Burn(b) = &engine {
            params = b.params()?;
        }
        if let Some(i) = params.iter().position(|x| !x.is_finite()) {
            return Err(PpoError::Diverged(format!(
                "parameter {i} is {} after update {update} (try a smaller learning rate)",
                params[i]
            )));
        }
        let update_s = t_upd.elapsed().as_secs_f64();
        let m = n_mb.max(1) as f64;
        let (ep_rew_mean, ep_len_mean) = if recent.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            let k = recent.len() as f64;
            (
                recent.iter().map(|r| r.0).sum::<f64>() / k,
                recent.iter().map(|r| r.1 as f64).sum::<f64>() / k,
            )
        };
        let std = layout.log_std.map_or(f64::NAN, |o| {
            params[o..o + gaussian_dim]
                .iter()
                .map(|x| x.exp() as f64)
                .sum::<f64>()
                / gaussian_dim as f64
        });
        let u = UpdateLog {
            update,
            timesteps,
            learning_rate: lr,
            clip_range: hp.clip,
            ep_rew_mean,
            ep_len_mean,
            entropy: acc.policy.entropy / m,
            policy_loss: acc.policy.policy_loss / m,
            value_loss: acc.value_loss / m,
            approx_kl: kl_epoch.0 / kl_epoch.1.max(1) as f64,
            clip_fraction: acc.policy.clip_fraction / m,
            explained_variance: explained_variance(&buf.values, &buf.returns),
            loss: last_loss,
            epochs,
            grad_steps,
            std,
            rollout_s,
            update_s,
        };
        log.updates.push(u);
        if let Some(cb) = progress {
            let fps = timesteps as f64 / t_start.elapsed().as_secs_f64().max(1e-9);
            cb(ProgressEvent::new("ppo", update, n_rollouts)
                .with_message(format!("ep_rew_mean {ep_rew_mean:.3} fps {fps:.0}")));
        }
    }
    log.wall_s = t_start.elapsed().as_secs_f64();
    let summary = TrainingSummary {
        timesteps,
        updates: n_rollouts,
        grad_steps,
        n_envs,
        wall_s: log.wall_s,
        engine: p.engine.to_string(),
        final_ep_rew_mean: log
            .updates
            .last()
            .map(|u| u.ep_rew_mean)
            .filter(|x| x.is_finite()),
    };
    PpoModel::from_parts(
        spec,
        params,
        norm,
        obs_space,
        act_space,
        p.clone(),
        summary,
        log,
    )
}

/// Copy the rows `idx` of the rollout into contiguous minibatch buffers.
fn gather(buf: &Rollout, idx: &[usize], d: usize, gdim: usize, normalize: bool, g: &mut Gathered) {
    let b = idx.len();
    g.obs.resize(b * d, 0.0);
    g.logp.resize(b, 0.0);
    g.adv_raw.resize(b, 0.0);
    g.adv.resize(b, 0.0);
    g.returns.resize(b, 0.0);
    g.values.resize(b, 0.0);
    if gdim == 0 {
        g.actions_d.resize(b, 0);
    } else {
        g.actions_c.resize(b * gdim, 0.0);
    }
    for (k, &i) in idx.iter().enumerate() {
        g.obs[k * d..(k + 1) * d].copy_from_slice(&buf.obs[i * d..(i + 1) * d]);
        g.logp[k] = buf.logp[i];
        g.adv_raw[k] = buf.advantages[i];
        g.returns[k] = buf.returns[i];
        g.values[k] = buf.values[i];
        if gdim == 0 {
            g.actions_d[k] = buf.actions_d[i];
        } else {
            g.actions_c[k * gdim..(k + 1) * gdim]
                .copy_from_slice(&buf.actions_c[i * gdim..(i + 1) * gdim]);
        }
    }
    if normalize {
        normalize_advantages(&g.adv_raw, &mut g.adv);
    } else {
        g.adv.copy_from_slice(&g.adv_raw);
    }
}
