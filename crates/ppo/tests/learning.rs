//! Learning tests: PPO must solve small problems with known optima within a
//! fixed budget and seed (release build: each runs in about a second).

use ppo::{
    Action, CartPole, ContextualBandit, Engine, Env, Info, NetArch, ParamGuard, PpoParams,
    Schedule, Space, Step, VecEnv,
};

fn bandit_envs(n: usize) -> VecEnv<ContextualBandit> {
    VecEnv::new(
        (0..n)
            .map(|_| ContextualBandit::new(4, 4, 8).unwrap())
            .collect(),
    )
    .unwrap()
}

fn bandit_params() -> PpoParams {
    PpoParams::new()
        .n_steps(32)
        .batch_size(64)
        .n_epochs(4)
        .learning_rate(Schedule::constant(3e-3))
        .ent_coef(0.0)
        .net_arch(NetArch {
            pi: vec![32],
            vf: vec![32],
        })
        .total_timesteps(12_288)
        .seed(1)
}

#[test]
fn ppo_finds_the_best_action_of_every_bandit_context() {
    let mut venv = bandit_envs(4);
    let model = bandit_params()
        .check()
        .unwrap()
        .learn(&mut venv, None)
        .unwrap();
    let probe = ContextualBandit::new(4, 4, 8).unwrap();
    for c in 0..4 {
        let mut obs = vec![0.0f32; 4];
        obs[c] = 1.0;
        assert_eq!(
            model.act_greedy(&obs).unwrap(),
            probe.best_action(c),
            "context {c}"
        );
        let p = model.action_probabilities(&obs).unwrap();
        assert!(
            p[probe.best_action(c)] > 0.8,
            "context {c}: probabilities {p:?}"
        );
    }
    let last = model.training_log().mean_reward_last(0.1);
    assert!(
        last > 0.85 * probe.optimal_return(),
        "late episode reward {last}"
    );
    let log = &model.training_log().updates;
    assert_eq!(log.len(), 96, "12,288 steps / (32 x 4) rollouts");
    assert!(
        log.iter()
            .all(|u| u.approx_kl.is_finite() && u.clip_fraction >= 0.0)
    );
}

#[test]
fn burn_engine_learns_the_bandit_too() {
    let mut venv = bandit_envs(4);
    let model = bandit_params()
        .total_timesteps(6_144)
        .engine(Engine::Burn {
            backend: ppo::Backend::Flex,
        })
        .check()
        .unwrap()
        .learn(&mut venv, None)
        .unwrap();
    let probe = ContextualBandit::new(4, 4, 8).unwrap();
    let correct = (0..4)
        .filter(|&c| {
            let mut obs = vec![0.0f32; 4];
            obs[c] = 1.0;
            model.act_greedy(&obs).unwrap() == probe.best_action(c)
        })
        .count();
    assert_eq!(correct, 4);
    assert_eq!(model.summary().engine, "burn-flex");
}

#[test]
fn ppo_balances_cartpole_within_budget() {
    // rl-baselines3-zoo's CartPole-v1 settings, 8 envs.
    let mut venv = VecEnv::new((0..8).map(|_| CartPole::new()).collect()).unwrap();
    let model = PpoParams::new()
        .n_steps(32)
        .batch_size(256)
        .n_epochs(20)
        .gamma(0.98)
        .gae_lambda(0.8)
        .learning_rate(Schedule::linear(1e-3, 0.0))
        .clip_range(Schedule::linear(0.2, 0.0))
        .ent_coef(0.0)
        .total_timesteps(60_000)
        .seed(0)
        .check()
        .unwrap()
        .learn(&mut venv, None)
        .unwrap();
    // Greedy evaluation on fresh seeds.
    let mut total = 0.0;
    for seed in 100..105 {
        let mut env = CartPole::new();
        let (mut obs, _) = env.reset_vec(Some(seed)).unwrap();
        loop {
            let a = model.act_greedy(&obs).unwrap();
            let s = env.step(Action::Discrete(a), &mut obs).unwrap();
            total += s.reward;
            if s.terminated || s.truncated {
                break;
            }
        }
    }
    let mean = total / 5.0;
    eprintln!("greedy CartPole return {mean}");
    assert!(
        mean >= 195.0,
        "greedy CartPole return {mean} (solved is 195)"
    );
}

/// One-dimensional continuous bandit: context c in [-1, 1], reward
/// `-(a - c)^2`, so the optimal action is the context itself.
struct Tracking {
    obs_space: Space,
    act_space: Space,
    c: f32,
    t: usize,
    rng: agent_core::SplitMix64,
}

impl Tracking {
    fn new() -> Self {
        Self {
            obs_space: Space::unbounded(1),
            act_space: Space::bounded(vec![-2.0], vec![2.0]).unwrap(),
            c: 0.0,
            t: 0,
            rng: agent_core::SplitMix64::new(0),
        }
    }
}

impl Env for Tracking {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }
    fn action_space(&self) -> &Space {
        &self.act_space
    }
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> ppo::Result<Info> {
        if let Some(s) = seed {
            self.rng = agent_core::SplitMix64::new(s);
        }
        self.t = 0;
        self.c = (2.0 * self.rng.next_f64() - 1.0) as f32;
        obs[0] = self.c;
        Ok(Info::default())
    }
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> ppo::Result<Step> {
        let Action::Continuous(a) = action else {
            panic!("continuous env got {action:?}");
        };
        let reward = -((a[0] - self.c) as f64).powi(2);
        self.t += 1;
        self.c = (2.0 * self.rng.next_f64() - 1.0) as f32;
        obs[0] = self.c;
        Ok(Step {
            reward,
            terminated: self.t == 8,
            ..Default::default()
        })
    }
}

#[test]
fn gaussian_policy_learns_to_track_a_continuous_target() {
    let mut venv = VecEnv::new((0..4).map(|_| Tracking::new()).collect()).unwrap();
    let model = PpoParams::new()
        .n_steps(64)
        .batch_size(64)
        .n_epochs(10)
        .gamma(0.0)
        .learning_rate(Schedule::constant(3e-3))
        .net_arch(NetArch {
            pi: vec![32],
            vf: vec![32],
        })
        .total_timesteps(30_000)
        .seed(2)
        .check()
        .unwrap()
        .learn(&mut venv, None)
        .unwrap();
    for c in [-0.6f32, 0.0, 0.7] {
        let a = match model.act(&[c]).unwrap() {
            ppo::OwnedAction::Continuous(v) => v[0],
            other => panic!("{other:?}"),
        };
        assert!((a - c).abs() < 0.2, "target {c}, greedy action {a}");
    }
    let std = model.training_log().updates.last().unwrap().std;
    assert!(std < 0.7, "exploration std should shrink from 1, got {std}");
}

#[test]
fn observation_normalisation_is_learned_and_kept() {
    let mut venv = bandit_envs(2);
    let model = bandit_params()
        .total_timesteps(2_048)
        .normalize_obs(true)
        .check()
        .unwrap()
        .learn(&mut venv, None)
        .unwrap();
    let n = model
        .obs_normalizer()
        .expect("statistics saved with the model");
    // one-hot of 4 uniform contexts: mean ~ 0.25 per column
    for m in &n.mean {
        assert!((m - 0.25).abs() < 0.05, "{m}");
    }
    assert!(n.count > 2_000.0);
}

/// An environment that misbehaves after a few steps.
struct Broken {
    obs_space: Space,
    act_space: Space,
    t: usize,
    nan_reward: bool,
}

impl Env for Broken {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }
    fn action_space(&self) -> &Space {
        &self.act_space
    }
    fn reset(&mut self, _seed: Option<u64>, obs: &mut [f32]) -> ppo::Result<Info> {
        self.t = 0;
        obs[0] = 0.0;
        Ok(Info::default())
    }
    fn step(&mut self, _action: Action<'_>, obs: &mut [f32]) -> ppo::Result<Step> {
        self.t += 1;
        let bad = self.t == 5;
        obs[0] = if bad && !self.nan_reward {
            f32::INFINITY
        } else {
            0.0
        };
        Ok(Step {
            reward: if bad && self.nan_reward {
                f64::NAN
            } else {
                0.0
            },
            ..Default::default()
        })
    }
}

#[test]
fn non_finite_rewards_or_observations_stop_training_with_a_clear_error() {
    for nan_reward in [true, false] {
        let env = Broken {
            obs_space: Space::unbounded(1),
            act_space: Space::discrete(2),
            t: 0,
            nan_reward,
        };
        let mut venv = VecEnv::new(vec![env]).unwrap();
        let err = bandit_params()
            .check()
            .unwrap()
            .learn(&mut venv, None)
            .unwrap_err()
            .to_string();
        let want = if nan_reward {
            "reward NaN"
        } else {
            "observation value 0 = inf"
        };
        assert!(err.contains(want), "{err}");
    }
    // a hand-built box with inverted bounds is refused before training
    let mut bad_box = VecEnv::new(vec![Broken {
        obs_space: Space::unbounded(1),
        act_space: Space::Box {
            low: vec![1.0],
            high: vec![-1.0],
        },
        t: 0,
        nan_reward: false,
    }])
    .unwrap();
    assert!(
        bandit_params()
            .check()
            .unwrap()
            .learn(&mut bad_box, None)
            .is_err()
    );
}
