//! PPO hyperparameters: [`PpoParams`] (unchecked builder with the
//! stable-baselines3 defaults) validates into [`PpoValidParams`] once, before
//! any training; every error names the field and the value.

use crate::backend::Backend;
use crate::error::{PpoError, Result};
use agent_core::ParamGuard;
use serde::{Deserialize, Serialize};

/// A value that may change over training, as a function of
/// `progress_remaining = 1 - timesteps / total_timesteps` evaluated after
/// each rollout, before its update (stable-baselines3 semantics).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    Constant {
        value: f64,
    },
    /// `end + (start - end) * progress_remaining`: `start` at the beginning,
    /// `end` once all timesteps are done.
    Linear {
        start: f64,
        end: f64,
    },
}

impl Schedule {
    pub fn constant(value: f64) -> Self {
        Schedule::Constant { value }
    }

    pub fn linear(start: f64, end: f64) -> Self {
        Schedule::Linear { start, end }
    }

    /// The value at `progress_remaining` (1 -> 0).
    pub fn value(&self, progress_remaining: f64) -> f64 {
        match *self {
            Schedule::Constant { value } => value,
            Schedule::Linear { start, end } => end + (start - end) * progress_remaining,
        }
    }

    fn check(&self, name: &'static str, min: f64, strict: bool) -> Result<()> {
        let vals: &[f64] = match self {
            Schedule::Constant { value } => &[*value],
            Schedule::Linear { start, end } => &[*start, *end],
        };
        for &v in vals {
            let ok = v.is_finite() && if strict { v > min } else { v >= min };
            if !ok {
                return Err(PpoError::invalid_param(
                    name,
                    format!("{self:?}"),
                    if strict {
                        "every value of the schedule must be finite and > 0"
                    } else {
                        "every value of the schedule must be finite and >= 0"
                    },
                ));
            }
        }
        Ok(())
    }
}

/// Hidden-layer activation of both MLPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// stable-baselines3's default for PPO.
    #[default]
    Tanh,
    Relu,
}

/// Hidden sizes of the separate actor (`pi`) and critic (`vf`) MLPs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetArch {
    pub pi: Vec<usize>,
    pub vf: Vec<usize>,
}

impl Default for NetArch {
    /// `dict(pi=[64, 64], vf=[64, 64])`.
    fn default() -> Self {
        Self {
            pi: vec![64, 64],
            vf: vec![64, 64],
        }
    }
}

/// How the value loss is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueLoss {
    /// stable-baselines3: `mse(returns, V_clipped)` where `V_clipped` uses
    /// `clip_range_vf` when set.
    #[default]
    Sb3,
    /// CleanRL: `0.5 * mean(max((V - R)^2, (V_clipped - R)^2))`, or
    /// `0.5 * mean((V - R)^2)` without `clip_range_vf`.
    CleanRl,
}

/// Where the PPO update (forward, backward, Adam) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Engine {
    /// Hand-written f32 forward/backward of the MLPs on the CPU (gemm
    /// kernels, actor and critic on two threads). Checked against burn's
    /// autodiff gradients in the tests; the fastest choice for small nets.
    #[default]
    Native,
    /// burn autodiff and burn's Adam on a burn backend (any device).
    Burn { backend: Backend },
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Engine::Native => write!(f, "native-f32"),
            Engine::Burn { backend } => write!(f, "burn-{backend}"),
        }
    }
}

/// Checked PPO hyperparameters (see [`PpoParams`] for the meaning and
/// defaults of each field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PpoValidParams {
    pub learning_rate: Schedule,
    pub n_steps: usize,
    pub batch_size: usize,
    pub n_epochs: usize,
    pub gamma: f64,
    pub gae_lambda: f64,
    pub clip_range: Schedule,
    pub clip_range_vf: Option<Schedule>,
    pub value_loss: ValueLoss,
    pub normalize_advantage: bool,
    pub ent_coef: f64,
    pub vf_coef: f64,
    pub max_grad_norm: Option<f64>,
    pub target_kl: Option<f64>,
    pub total_timesteps: u64,
    pub n_envs: usize,
    pub parallel_envs: bool,
    pub normalize_obs: bool,
    pub clip_obs: f64,
    pub net_arch: NetArch,
    pub activation: Activation,
    pub ortho_init: bool,
    pub log_std_init: f64,
    pub adam_eps: f64,
    pub seed: u64,
    pub engine: Engine,
    pub n_threads: usize,
    pub stats_window: usize,
}

impl PpoValidParams {
    /// Number of rollouts (= updates) `learn` runs: `total_timesteps`
    /// rounded up to whole rollouts of `n_steps * n_envs`, as SB3 does.
    pub fn n_rollouts(&self, n_envs: usize) -> u64 {
        let per = (self.n_steps * n_envs) as u64;
        self.total_timesteps.div_ceil(per)
    }
}

/// PPO hyperparameters with the defaults of stable-baselines3's `PPO`
/// (`MlpPolicy`): lr 3e-4, n_steps 2048, batch 64, 10 epochs, gamma 0.99,
/// GAE lambda 0.95, clip 0.2, no value clipping, advantage normalisation,
/// ent_coef 0, vf_coef 0.5, max_grad_norm 0.5, no target KL, Tanh MLPs
/// [64, 64] for actor and critic with orthogonal init, Adam eps 1e-5. Also:
/// 100k timesteps, 8 environments, seed 0, the native engine.
#[derive(Debug, Clone, PartialEq)]
pub struct PpoParams(PpoValidParams);

impl Default for PpoParams {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, v: $ty) -> Self {
            self.0.$name = v;
            self
        }
    };
}

impl PpoParams {
    /// stable-baselines3 defaults.
    pub fn new() -> Self {
        Self(PpoValidParams {
            learning_rate: Schedule::constant(3e-4),
            n_steps: 2048,
            batch_size: 64,
            n_epochs: 10,
            gamma: 0.99,
            gae_lambda: 0.95,
            clip_range: Schedule::constant(0.2),
            clip_range_vf: None,
            value_loss: ValueLoss::Sb3,
            normalize_advantage: true,
            ent_coef: 0.0,
            vf_coef: 0.5,
            max_grad_norm: Some(0.5),
            target_kl: None,
            total_timesteps: 100_000,
            n_envs: 8,
            parallel_envs: false,
            normalize_obs: false,
            clip_obs: 10.0,
            net_arch: NetArch::default(),
            activation: Activation::Tanh,
            ortho_init: true,
            log_std_init: 0.0,
            adam_eps: 1e-5,
            seed: 0,
            engine: Engine::Native,
            n_threads: 0,
            stats_window: 100,
        })
    }

    /// SPEC T4: 8 envs x 256 steps, minibatches of 256 (8 per epoch),
    /// 10 epochs, ent_coef 0.01, clip range annealed 0.2 -> 0
    /// (the original suite's intent; its `lambda f: 0.2 * (1 - f)` ran the
    /// anneal backwards), 200,704 timesteps (98 rollouts), seed 0.
    pub fn t4() -> Self {
        Self::new()
            .n_steps(256)
            .batch_size(256)
            .ent_coef(0.01)
            .clip_range(Schedule::linear(0.2, 0.0))
            .total_timesteps(200_704)
            .n_envs(8)
    }

    /// CleanRL's `ppo.py` defaults: 4 envs x 128 steps, 4 minibatches,
    /// 4 epochs, lr 2.5e-4 annealed to 0, ent_coef 0.01, value clipping with
    /// the policy clip range and CleanRL's value loss. (CleanRL anneals the
    /// rate before each rollout; here, as in SB3, after it.)
    pub fn cleanrl() -> Self {
        Self::new()
            .n_envs(4)
            .n_steps(128)
            .batch_size(128)
            .n_epochs(4)
            .learning_rate(Schedule::linear(2.5e-4, 0.0))
            .ent_coef(0.01)
            .clip_range_vf(Some(Schedule::constant(0.2)))
            .value_loss(ValueLoss::CleanRl)
    }

    setter!(/// Adam step size (3e-4), constant or annealed.
        learning_rate: Schedule);
    setter!(/// Steps per environment per rollout (2048).
        n_steps: usize);
    setter!(/// Minibatch size (64); the last minibatch of an epoch may be smaller.
        batch_size: usize);
    setter!(/// Passes over each rollout (10).
        n_epochs: usize);
    setter!(/// Discount (0.99).
        gamma: f64);
    setter!(/// GAE lambda (0.95).
        gae_lambda: f64);
    setter!(/// Policy clip range (0.2), constant or annealed.
        clip_range: Schedule);
    setter!(/// Value clip range around the rollout's values (off).
        clip_range_vf: Option<Schedule>);
    setter!(/// Value-loss form (stable-baselines3).
        value_loss: ValueLoss);
    setter!(/// Normalise advantages per minibatch (on).
        normalize_advantage: bool);
    setter!(/// Entropy bonus coefficient (0.0; T4 uses 0.01).
        ent_coef: f64);
    setter!(/// Value-loss coefficient (0.5).
        vf_coef: f64);
    setter!(/// Global gradient-norm clip (0.5); `None` disables it.
        max_grad_norm: Option<f64>);
    setter!(/// Stop an update's epochs once approx KL > 1.5 x this (off).
        target_kl: Option<f64>);
    setter!(/// Environment steps to train for, over all envs (100,000).
        total_timesteps: u64);
    setter!(/// Environment copies when the trainer builds them (8).
        n_envs: usize);
    setter!(/// Step the environment copies on threads (off).
        parallel_envs: bool);
    setter!(/// Running mean/std observation normalisation, saved with the model (off).
        normalize_obs: bool);
    setter!(/// Clip normalised observations to +-this (10).
        clip_obs: f64);
    setter!(/// Hidden sizes of actor and critic ([64, 64] each).
        net_arch: NetArch);
    setter!(/// Hidden activation (tanh).
        activation: Activation);
    setter!(/// Orthogonal init with SB3's gains (on).
        ortho_init: bool);
    setter!(/// Initial log std of Gaussian policies (0).
        log_std_init: f64);
    setter!(/// Adam epsilon (1e-5, as SB3).
        adam_eps: f64);
    setter!(/// Seed of init, sampling, shuffling and environments (0).
        seed: u64);
    setter!(/// Where the update runs (native).
        engine: Engine);
    setter!(/// Compute threads (0 = the current rayon pool; SPEC runs use 2).
        n_threads: usize);
    setter!(/// Episodes in the running `ep_rew_mean` (100, as SB3).
        stats_window: usize);
}

fn positive(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(PpoError::invalid_param(name, v, "must be finite and > 0"))
    }
}

fn unit(name: &'static str, v: f64) -> Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(PpoError::invalid_param(name, v, "must be in [0, 1]"))
    }
}

fn at_least_one(name: &'static str, v: usize) -> Result<()> {
    if v >= 1 {
        Ok(())
    } else {
        Err(PpoError::invalid_param(name, v, "must be >= 1"))
    }
}

impl ParamGuard for PpoParams {
    type Checked = PpoValidParams;
    type Error = PpoError;

    fn check_ref(&self) -> Result<&PpoValidParams> {
        let p = &self.0;
        p.learning_rate.check("learning_rate", 0.0, false)?;
        if p.learning_rate.value(1.0) <= 0.0 {
            return Err(PpoError::invalid_param(
                "learning_rate",
                format!("{:?}", p.learning_rate),
                "the initial learning rate must be > 0",
            ));
        }
        at_least_one("n_steps", p.n_steps)?;
        at_least_one("batch_size", p.batch_size)?;
        if p.normalize_advantage && p.batch_size == 1 {
            return Err(PpoError::invalid_param(
                "batch_size",
                1,
                "must be > 1 when normalize_advantage is on (the std of one value is undefined)",
            ));
        }
        at_least_one("n_epochs", p.n_epochs)?;
        unit("gamma", p.gamma)?;
        unit("gae_lambda", p.gae_lambda)?;
        p.clip_range.check("clip_range", 0.0, false)?;
        if let Some(c) = &p.clip_range_vf {
            c.check("clip_range_vf", 0.0, false)?;
        }
        if !p.ent_coef.is_finite() {
            return Err(PpoError::invalid_param(
                "ent_coef",
                p.ent_coef,
                "must be finite",
            ));
        }
        if !(p.vf_coef.is_finite() && p.vf_coef >= 0.0) {
            return Err(PpoError::invalid_param(
                "vf_coef",
                p.vf_coef,
                "must be finite and >= 0",
            ));
        }
        if let Some(g) = p.max_grad_norm {
            positive("max_grad_norm", g)?;
        }
        if let Some(k) = p.target_kl {
            positive("target_kl", k)?;
        }
        if p.total_timesteps == 0 {
            return Err(PpoError::invalid_param(
                "total_timesteps",
                0,
                "must be >= 1",
            ));
        }
        at_least_one("n_envs", p.n_envs)?;
        positive("clip_obs", p.clip_obs)?;
        if p.net_arch.pi.iter().chain(&p.net_arch.vf).any(|&h| h == 0) {
            return Err(PpoError::invalid_param(
                "net_arch",
                format!("{:?}", p.net_arch),
                "hidden sizes must be >= 1",
            ));
        }
        if !p.log_std_init.is_finite() {
            return Err(PpoError::invalid_param(
                "log_std_init",
                p.log_std_init,
                "must be finite",
            ));
        }
        positive("adam_eps", p.adam_eps)?;
        if p.n_threads > 1024 {
            return Err(PpoError::invalid_param(
                "n_threads",
                p.n_threads,
                "must be <= 1024",
            ));
        }
        at_least_one("stats_window", p.stats_window)?;
        Ok(p)
    }

    fn check(self) -> Result<PpoValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_stable_baselines3_and_valid() {
        let p = PpoParams::new().check().unwrap();
        assert_eq!((p.n_steps, p.batch_size, p.n_epochs), (2048, 64, 10));
        assert_eq!(p.learning_rate.value(0.3), 3e-4);
        assert_eq!(p.max_grad_norm, Some(0.5));
        let t4 = PpoParams::t4().check().unwrap();
        assert_eq!(t4.n_rollouts(8), 98);
        assert_eq!(
            t4.clip_range.value(1.0 - 2048.0 / 200_704.0),
            0.2 * 97.0 / 98.0
        );
        assert_eq!(t4.clip_range.value(0.0), 0.0);
    }

    #[test]
    fn invalid_values_name_the_field() {
        let cases: Vec<(PpoParams, &str)> = vec![
            (PpoParams::new().gamma(1.5), "gamma"),
            (PpoParams::new().n_steps(0), "n_steps"),
            (PpoParams::new().batch_size(1), "batch_size"),
            (
                PpoParams::new().learning_rate(Schedule::constant(f64::NAN)),
                "learning_rate",
            ),
            (
                PpoParams::new().clip_range(Schedule::linear(0.2, -0.1)),
                "clip_range",
            ),
            (PpoParams::new().max_grad_norm(Some(0.0)), "max_grad_norm"),
            (PpoParams::new().target_kl(Some(-1.0)), "target_kl"),
            (
                PpoParams::new().net_arch(NetArch {
                    pi: vec![0],
                    vf: vec![4],
                }),
                "net_arch",
            ),
            (PpoParams::new().total_timesteps(0), "total_timesteps"),
        ];
        for (p, field) in cases {
            let e = p.check().unwrap_err().to_string();
            assert!(e.contains(field), "{e}");
        }
    }

    #[test]
    fn schedule_is_linear_in_progress_remaining() {
        let s = Schedule::linear(0.2, 0.0);
        assert_eq!(s.value(1.0), 0.2);
        assert!((s.value(0.5) - 0.1).abs() < 1e-15);
        assert_eq!(s.value(0.0), 0.0);
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Schedule>(&j).unwrap(), s);
    }
}
