//! [`PpoModel`]: a trained policy with everything needed to act on new
//! observations the way it was trained (spaces, observation normalisation,
//! names of features and actions, hyperparameters, out-of-sample metrics).

use crate::env::{Action, Space, StrategyEnvRecord};
use crate::error::{PpoError, Result};
use crate::hyperparams::PpoValidParams;
use crate::log::TrainingLog;
use crate::loss::log_softmax;
use crate::normalize::ObsNormalizer;
use crate::policy::burn_net::ActorCritic;
use crate::policy::native::{Workspace, forward};
use crate::policy::{ActionDist, Layout, PolicySpec};
use agent_core::SplitMix64;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An action owned by the caller (what [`PpoModel::act`] returns).
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedAction {
    Discrete(usize),
    Continuous(Vec<f32>),
}

impl OwnedAction {
    /// Borrow as an [`Action`] to step an environment.
    pub fn as_action(&self) -> Action<'_> {
        match self {
            OwnedAction::Discrete(a) => Action::Discrete(*a),
            OwnedAction::Continuous(v) => Action::Continuous(v),
        }
    }
}

/// Facts about the training run kept with the model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    pub timesteps: u64,
    pub updates: u64,
    pub grad_steps: u64,
    pub n_envs: usize,
    pub wall_s: f64,
    /// `native-f32` or `burn-<backend>`.
    pub engine: String,
    /// Running mean episode reward at the end of training.
    pub final_ep_rew_mean: Option<f64>,
}

/// A trained PPO policy.
#[derive(Debug, Clone)]
pub struct PpoModel {
    pub(crate) spec: PolicySpec,
    pub(crate) layout: Layout,
    pub(crate) params: Vec<f32>,
    pub(crate) obs_norm: Option<ObsNormalizer>,
    pub(crate) observation_space: Space,
    pub(crate) action_space: Space,
    pub(crate) hyperparams: PpoValidParams,
    pub(crate) feature_names: Vec<String>,
    pub(crate) action_names: Vec<String>,
    pub(crate) metrics: BTreeMap<String, serde_json::Value>,
    pub(crate) data_fingerprint: Option<String>,
    /// Where the training data came from (see `agent_core::provenance`).
    pub(crate) provenance: Option<agent_core::Provenance>,
    /// The strategy environment it was trained on, when it was.
    pub(crate) strategy_env: Option<StrategyEnvRecord>,
    pub(crate) summary: TrainingSummary,
    pub(crate) log: TrainingLog,
}

/// JSON values equal up to the last bit of their numbers (JSON parsers
/// may round the last bit of a float differently).
fn json_close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs()),
        _ => a == b,
    }
}

fn f64_close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

impl PartialEq for PpoModel {
    /// Same policy, spaces, statistics, names, hyperparameters, metrics and
    /// training summary (the in-memory training log is not part of the model).
    fn eq(&self, o: &Self) -> bool {
        let s = (&self.summary, &o.summary);
        self.spec == o.spec
            && self.params == o.params
            && self.obs_norm == o.obs_norm
            && self.observation_space == o.observation_space
            && self.action_space == o.action_space
            && self.hyperparams == o.hyperparams
            && self.feature_names == o.feature_names
            && self.action_names == o.action_names
            && self.metrics.len() == o.metrics.len()
            && self
                .metrics
                .iter()
                .zip(&o.metrics)
                .all(|((k1, v1), (k2, v2))| k1 == k2 && json_close(v1, v2))
            && self.data_fingerprint == o.data_fingerprint
            && self.provenance == o.provenance
            && self.strategy_env == o.strategy_env
            && (
                s.0.timesteps,
                s.0.updates,
                s.0.grad_steps,
                s.0.n_envs,
                &s.0.engine,
            ) == (
                s.1.timesteps,
                s.1.updates,
                s.1.grad_steps,
                s.1.n_envs,
                &s.1.engine,
            )
            && f64_close(s.0.wall_s, s.1.wall_s)
            && match (s.0.final_ep_rew_mean, s.1.final_ep_rew_mean) {
                (Some(a), Some(b)) => f64_close(a, b),
                (a, b) => a == b,
            }
    }
}

fn default_names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

impl PpoModel {
    /// Assemble a model; checks that the parameters fit the spec and the
    /// spaces.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        spec: PolicySpec,
        params: Vec<f32>,
        obs_norm: Option<ObsNormalizer>,
        observation_space: Space,
        action_space: Space,
        hyperparams: PpoValidParams,
        summary: TrainingSummary,
        log: TrainingLog,
    ) -> Result<Self> {
        observation_space.validate()?;
        action_space.validate()?;
        let layout = Layout::new(&spec);
        if params.len() != layout.total {
            return Err(PpoError::InvalidData(format!(
                "{} parameters, the policy needs {}",
                params.len(),
                layout.total
            )));
        }
        if observation_space.dim() != spec.obs_dim {
            return Err(PpoError::Space {
                what: "observation space",
                expected: format!("{} values (policy input)", spec.obs_dim),
                got: observation_space.to_string(),
            });
        }
        let ok_action = match (&spec.dist, &action_space) {
            (ActionDist::Categorical { n }, Space::Discrete { n: m }) => n == m,
            (ActionDist::Gaussian { dim }, Space::Box { low, .. }) => *dim == low.len(),
            _ => false,
        };
        if !ok_action {
            return Err(PpoError::Space {
                what: "action space",
                expected: format!("one matching the policy head {:?}", spec.dist),
                got: action_space.to_string(),
            });
        }
        if let Some(n) = &obs_norm
            && n.dim() != spec.obs_dim
        {
            return Err(PpoError::InvalidData(format!(
                "observation statistics have {} dimensions, the policy {}",
                n.dim(),
                spec.obs_dim
            )));
        }
        if let Some(i) = params.iter().position(|x| !x.is_finite()) {
            return Err(PpoError::Diverged(format!(
                "parameter {i} is {}",
                params[i]
            )));
        }
        let feature_names = default_names("obs_", spec.obs_dim);
        let action_names = default_names("action_", spec.dist.width());
        Ok(Self {
            spec,
            layout,
            params,
            obs_norm,
            observation_space,
            action_space,
            hyperparams,
            feature_names,
            action_names,
            metrics: BTreeMap::new(),
            data_fingerprint: None,
            provenance: None,
            strategy_env: None,
            summary,
            log,
        })
    }

    /// Name the observation features (length = observation dimension).
    pub fn with_feature_names(mut self, names: Vec<String>) -> Result<Self> {
        if names.len() != self.spec.obs_dim {
            return Err(PpoError::Space {
                what: "feature names",
                expected: format!("{} names", self.spec.obs_dim),
                got: format!("{} names", names.len()),
            });
        }
        self.feature_names = names;
        Ok(self)
    }

    /// Name the actions (categorical: one per action; Gaussian: per dimension).
    pub fn with_action_names(mut self, names: Vec<String>) -> Result<Self> {
        if names.len() != self.spec.dist.width() {
            return Err(PpoError::Space {
                what: "action names",
                expected: format!("{} names", self.spec.dist.width()),
                got: format!("{} names", names.len()),
            });
        }
        self.action_names = names;
        Ok(self)
    }

    /// Record an out-of-sample metric (saved in the zip and the manifest).
    pub fn set_metric(&mut self, name: &str, value: serde_json::Value) {
        self.metrics.insert(name.to_string(), value);
    }

    /// Record the fingerprint of the training data.
    pub fn set_data_fingerprint(&mut self, fp: Option<String>) {
        self.data_fingerprint = fp;
    }

    /// Record the strategy environment the model was trained on (checked
    /// against the observation width and the actions).
    pub fn set_strategy_env(&mut self, record: StrategyEnvRecord) -> Result<()> {
        record.validate()?;
        let n_actions = match self.action_space {
            Space::Discrete { n } => n,
            _ => 0,
        };
        if record.strategies.len() != n_actions {
            return Err(PpoError::InvalidData(format!(
                "the environment record names {} strategies, the policy has {n_actions} discrete actions",
                record.strategies.len()
            )));
        }
        if record.context_names.len() > self.spec.obs_dim {
            return Err(PpoError::InvalidData(format!(
                "the environment record has {} context values, the observation only {}",
                record.context_names.len(),
                self.spec.obs_dim
            )));
        }
        self.strategy_env = Some(record);
        Ok(())
    }

    pub fn spec(&self) -> &PolicySpec {
        &self.spec
    }
    pub fn observation_space(&self) -> &Space {
        &self.observation_space
    }
    pub fn action_space(&self) -> &Space {
        &self.action_space
    }
    pub fn hyperparameters(&self) -> &PpoValidParams {
        &self.hyperparams
    }
    pub fn metrics(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.metrics
    }
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    pub fn action_names(&self) -> &[String] {
        &self.action_names
    }
    pub fn data_fingerprint(&self) -> Option<&str> {
        self.data_fingerprint.as_deref()
    }
    /// The strategy environment (configuration, context scaler, strategy
    /// names) the model was trained on; `None` for other environments.
    pub fn strategy_env(&self) -> Option<&StrategyEnvRecord> {
        self.strategy_env.as_ref()
    }
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }
    /// The training log (empty for a model loaded from disk).
    pub fn training_log(&self) -> &TrainingLog {
        &self.log
    }
    pub fn obs_normalizer(&self) -> Option<&ObsNormalizer> {
        self.obs_norm.as_ref()
    }
    /// The flat parameters (layout of [`crate::policy::Layout`]).
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// The policy as a burn module on `device` (e.g. for batched inference
    /// on a GPU).
    pub fn to_burn(&self, device: &Device) -> Result<ActorCritic> {
        ActorCritic::from_flat(&self.spec, &self.params, device)
    }

    /// Validate and normalise a batch of observations (`n x obs_dim`).
    fn prepare(&self, obs: &[f32], n: usize) -> Result<Vec<f32>> {
        let d = self.spec.obs_dim;
        if obs.len() != n * d || n == 0 {
            return Err(PpoError::Space {
                what: "observation",
                expected: format!("{n} x {d} values"),
                got: format!("{} values", obs.len()),
            });
        }
        if let Some(i) = obs.iter().position(|x| !x.is_finite()) {
            return Err(PpoError::Space {
                what: "observation",
                expected: "finite values".into(),
                got: format!("value {} (`{}`) = {}", i, self.feature_names[i % d], obs[i]),
            });
        }
        let mut x = obs.to_vec();
        if let Some(nm) = &self.obs_norm {
            nm.normalize(&mut x);
        }
        Ok(x)
    }

    fn run(&self, obs: &[f32], n: usize) -> Result<Workspace> {
        let x = self.prepare(obs, n)?;
        let mut ws = Workspace::default();
        forward(&self.spec, &self.layout, &self.params, &x, n, &mut ws);
        Ok(ws)
    }

    fn clip_action(&self, v: &mut [f32]) {
        if let Space::Box { low, high } = &self.action_space {
            for ((x, lo), hi) in v.iter_mut().zip(low).zip(high) {
                *x = x.clamp(*lo, *hi);
            }
        }
    }

    /// The greedy action: argmax of the logits (lowest index on ties), or
    /// the Gaussian mean clipped into the action box.
    pub fn act(&self, obs: &[f32]) -> Result<OwnedAction> {
        let ws = self.run(obs, 1)?;
        Ok(match self.spec.dist {
            ActionDist::Categorical { .. } => OwnedAction::Discrete(argmax(&ws.pi.out)),
            ActionDist::Gaussian { dim } => {
                let mut v = ws.pi.out[..dim].to_vec();
                self.clip_action(&mut v);
                OwnedAction::Continuous(v)
            }
        })
    }

    /// The greedy action of a categorical policy.
    pub fn act_greedy(&self, obs: &[f32]) -> Result<usize> {
        match self.act(obs)? {
            OwnedAction::Discrete(a) => Ok(a),
            OwnedAction::Continuous(_) => Err(PpoError::Space {
                what: "act_greedy",
                expected: "a Discrete action space".into(),
                got: self.action_space.to_string(),
            }),
        }
    }

    /// Greedy actions of a categorical policy for `n` observations at once.
    pub fn act_greedy_batch(&self, obs: &[f32], n: usize) -> Result<Vec<usize>> {
        let w = match self.spec.dist {
            ActionDist::Categorical { n } => n,
            ActionDist::Gaussian { .. } => {
                return Err(PpoError::Space {
                    what: "act_greedy_batch",
                    expected: "a Discrete action space".into(),
                    got: self.action_space.to_string(),
                });
            }
        };
        let ws = self.run(obs, n)?;
        Ok(ws.pi.out[..n * w].chunks_exact(w).map(argmax).collect())
    }

    /// A sampled action (categorical draw, or mean + std * N(0, 1) clipped).
    pub fn act_stochastic(&self, obs: &[f32], rng: &mut SplitMix64) -> Result<OwnedAction> {
        let ws = self.run(obs, 1)?;
        Ok(match self.spec.dist {
            ActionDist::Categorical { n } => {
                let mut lp = vec![0.0; n];
                log_softmax(&ws.pi.out[..n], &mut lp);
                OwnedAction::Discrete(sample_categorical(&lp, rng.next_f64()))
            }
            ActionDist::Gaussian { dim } => {
                let o = self.layout.log_std.expect("Gaussian layout has log_std");
                let mut v: Vec<f32> = (0..dim)
                    .map(|d| ws.pi.out[d] + self.params[o + d].exp() * rng.next_normal() as f32)
                    .collect();
                self.clip_action(&mut v);
                OwnedAction::Continuous(v)
            }
        })
    }

    /// Action probabilities of a categorical policy.
    pub fn action_probabilities(&self, obs: &[f32]) -> Result<Vec<f64>> {
        let ActionDist::Categorical { n } = self.spec.dist else {
            return Err(PpoError::Space {
                what: "action_probabilities",
                expected: "a Discrete action space".into(),
                got: self.action_space.to_string(),
            });
        };
        let ws = self.run(obs, 1)?;
        let mut lp = vec![0.0; n];
        log_softmax(&ws.pi.out[..n], &mut lp);
        Ok(lp.iter().map(|l| l.exp()).collect())
    }

    /// The critic's value of an observation.
    pub fn value(&self, obs: &[f32]) -> Result<f64> {
        let ws = self.run(obs, 1)?;
        Ok(ws.vf.out[0] as f64)
    }

    /// The name of action `a` (e.g. the strategy a selector picked).
    pub fn action_name(&self, a: usize) -> Option<&str> {
        self.action_names.get(a).map(String::as_str)
    }
}

/// Index of the largest value (lowest index on ties).
pub(crate) fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Inverse-CDF draw from log-probabilities with a uniform `u` in [0, 1).
pub(crate) fn sample_categorical(logp: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, &l) in logp.iter().enumerate() {
        acc += l.exp();
        if u < acc {
            return i;
        }
    }
    logp.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_lowest_index_on_ties_and_sampling_follows_cdf() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        let lp = [0.25f64.ln(), 0.75f64.ln()];
        assert_eq!(sample_categorical(&lp, 0.2), 0);
        assert_eq!(sample_categorical(&lp, 0.3), 1);
        assert_eq!(sample_categorical(&lp, 0.999_999_9), 1);
    }
}
