//! A contextual bandit with a known best action per context: the smallest
//! problem on which PPO must find the optimum (used by the learning tests).

use super::{Action, Env, Info, Space, Step, check_obs_len};
use crate::error::{PpoError, Result};
use agent_core::SplitMix64;

/// Each step shows one of `n_contexts` contexts (one-hot); the action
/// `best[context]` earns 1, every other action 0 (plus optional Gaussian
/// noise). Contexts are drawn uniformly; an episode has `episode_len` steps.
#[derive(Debug, Clone)]
pub struct ContextualBandit {
    best: Vec<usize>,
    n_actions: usize,
    episode_len: usize,
    noise_std: f64,
    obs_space: Space,
    act_space: Space,
    rng: SplitMix64,
    ctx: usize,
    t: usize,
    active: bool,
}

impl ContextualBandit {
    /// `n_contexts` contexts over `n_actions` actions with best action
    /// `(3 c + 1) mod n_actions` for context `c`.
    pub fn new(n_contexts: usize, n_actions: usize, episode_len: usize) -> Result<Self> {
        let best = (0..n_contexts)
            .map(|c| (3 * c + 1) % n_actions.max(1))
            .collect();
        Self::with_best(best, n_actions, episode_len)
    }

    /// A bandit whose best action for context `c` is `best[c]`.
    pub fn with_best(best: Vec<usize>, n_actions: usize, episode_len: usize) -> Result<Self> {
        if best.is_empty() || n_actions < 2 || episode_len == 0 {
            return Err(PpoError::InvalidData(format!(
                "a contextual bandit needs >= 1 context, >= 2 actions and episodes of >= 1 step, got {}, {n_actions}, {episode_len}",
                best.len()
            )));
        }
        if let Some(&b) = best.iter().find(|&&b| b >= n_actions) {
            return Err(PpoError::InvalidData(format!(
                "best action {b} is outside 0..{n_actions}"
            )));
        }
        Ok(Self {
            obs_space: Space::unbounded(best.len()),
            act_space: Space::discrete(n_actions),
            best,
            n_actions,
            episode_len,
            noise_std: 0.0,
            rng: SplitMix64::new(0),
            ctx: 0,
            t: 0,
            active: false,
        })
    }

    /// Add N(0, std^2) noise to every reward.
    pub fn with_noise(mut self, std: f64) -> Self {
        self.noise_std = std;
        self
    }

    /// The rewarded action of context `c`.
    pub fn best_action(&self, c: usize) -> usize {
        self.best[c]
    }

    /// The expected return of the optimal policy.
    pub fn optimal_return(&self) -> f64 {
        self.episode_len as f64
    }

    /// The expected return of uniformly random actions.
    pub fn random_return(&self) -> f64 {
        self.episode_len as f64 / self.n_actions as f64
    }

    fn draw(&mut self, obs: &mut [f32]) {
        self.ctx = self.rng.next_below(self.best.len() as u64) as usize;
        obs.iter_mut().for_each(|x| *x = 0.0);
        obs[self.ctx] = 1.0;
    }
}

impl Env for ContextualBandit {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }

    fn action_space(&self) -> &Space {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        check_obs_len(obs, self.best.len())?;
        if let Some(s) = seed {
            self.rng = SplitMix64::new(s);
        }
        self.t = 0;
        self.active = true;
        self.draw(obs);
        Ok(Info::default())
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step> {
        if !self.active {
            return Err(PpoError::Env(
                "ContextualBandit::step after the episode ended".into(),
            ));
        }
        check_obs_len(obs, self.best.len())?;
        self.act_space.check_action(action)?;
        let Action::Discrete(a) = action else {
            unreachable!("checked above")
        };
        let mut reward = if a == self.best[self.ctx] { 1.0 } else { 0.0 };
        if self.noise_std > 0.0 {
            reward += self.noise_std * self.rng.next_normal();
        }
        self.t += 1;
        let terminated = self.t == self.episode_len;
        self.active = !terminated;
        self.draw(obs);
        Ok(Step {
            reward,
            terminated,
            truncated: false,
            info: Info::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandit_rewards_only_the_best_action() {
        let mut env = ContextualBandit::new(4, 3, 5).unwrap();
        let (mut obs, _) = env.reset_vec(Some(3)).unwrap();
        let mut total = 0.0;
        for _ in 0..5 {
            let c = obs.iter().position(|&x| x == 1.0).unwrap();
            let s = env
                .step(Action::Discrete(env.best_action(c)), &mut obs)
                .unwrap();
            total += s.reward;
        }
        assert_eq!(total, env.optimal_return());
        assert!(ContextualBandit::with_best(vec![3], 3, 1).is_err());
    }
}
