//! N copies of an environment stepped together (stable-baselines3's
//! `DummyVecEnv` plus `Monitor`): one batch of actions in, one batch of
//! observations out, finished episodes reset automatically and recorded.
//! Stepping can run the copies on rayon threads for environments whose step
//! is expensive; for cheap ones the serial loop is faster.

use super::{Action, Env, Space};
use crate::error::{PpoError, Result};
use rayon::prelude::*;

/// A batch of actions, one per environment copy.
#[derive(Debug, Clone, Copy)]
pub enum VecActions<'a> {
    /// `n_envs` indices.
    Discrete(&'a [usize]),
    /// `n_envs * action_dim` values, environment-major.
    Continuous(&'a [f32]),
}

/// A finished episode, as `Monitor` records it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeRecord {
    /// Which copy finished it.
    pub env: usize,
    /// Sum of its rewards.
    pub reward: f64,
    /// Number of steps.
    pub length: usize,
    /// Vectorised step count (`step` calls) at which it finished.
    pub finished_at_step: u64,
    /// Whether it ended by a time limit rather than a terminal state.
    pub truncated: bool,
}

/// Vectorised environments with auto-reset.
pub struct VecEnv<E: Env> {
    envs: Vec<E>,
    obs_dim: usize,
    act_dim: usize,
    obs: Vec<f32>,
    terminal_obs: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    ep_return: Vec<f64>,
    ep_len: Vec<usize>,
    finished: Vec<EpisodeRecord>,
    steps: u64,
    started: bool,
    parallel: bool,
}

impl<E: Env> VecEnv<E> {
    /// Wrap `envs` (at least one; all with the same spaces).
    pub fn new(envs: Vec<E>) -> Result<Self> {
        let first = envs.first().ok_or_else(|| {
            PpoError::InvalidData("a VecEnv needs at least one environment".into())
        })?;
        let obs_space = first.observation_space().clone();
        let act_space = first.action_space().clone();
        if obs_space.n().is_some() {
            return Err(PpoError::Space {
                what: "observation space",
                expected: "a Box".into(),
                got: obs_space.to_string(),
            });
        }
        for (i, e) in envs.iter().enumerate() {
            if e.observation_space() != &obs_space || e.action_space() != &act_space {
                return Err(PpoError::Space {
                    what: "environment copies",
                    expected: format!("spaces {obs_space} / {act_space} like copy 0"),
                    got: format!(
                        "copy {i} has {} / {}",
                        e.observation_space(),
                        e.action_space()
                    ),
                });
            }
        }
        let n = envs.len();
        let obs_dim = obs_space.dim();
        Ok(Self {
            obs_dim,
            act_dim: act_space.dim(),
            obs: vec![0.0; n * obs_dim],
            terminal_obs: vec![0.0; n * obs_dim],
            rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            ep_return: vec![0.0; n],
            ep_len: vec![0; n],
            finished: Vec::new(),
            steps: 0,
            started: false,
            parallel: false,
            envs,
        })
    }

    /// Step the copies on rayon threads (worth it only for costly steps).
    pub fn with_parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    pub fn num_envs(&self) -> usize {
        self.envs.len()
    }

    pub fn observation_space(&self) -> &Space {
        self.envs[0].observation_space()
    }

    pub fn action_space(&self) -> &Space {
        self.envs[0].action_space()
    }

    /// The copies, e.g. to inspect their state.
    pub fn envs(&self) -> &[E] {
        &self.envs
    }

    /// Reset every copy; with `Some(seed)` copy `i` is seeded `seed + i`
    /// (stable-baselines3's `VecEnv.seed`). Returns the observations.
    pub fn reset(&mut self, seed: Option<u64>) -> Result<&[f32]> {
        let d = self.obs_dim;
        for (i, (env, obs)) in self.envs.iter_mut().zip(self.obs.chunks_mut(d)).enumerate() {
            env.reset(seed.map(|s| s.wrapping_add(i as u64)), obs)?;
        }
        self.ep_return.iter_mut().for_each(|r| *r = 0.0);
        self.ep_len.iter_mut().for_each(|l| *l = 0);
        self.terminated.iter_mut().for_each(|t| *t = false);
        self.truncated.iter_mut().for_each(|t| *t = false);
        self.started = true;
        Ok(&self.obs)
    }

    /// Step every copy with its action. A copy whose episode ends is reset
    /// at once: [`obs`](Self::obs) then holds the first observation of the
    /// next episode and [`terminal_obs`](Self::terminal_obs) the last one of
    /// the finished episode.
    pub fn step(&mut self, actions: VecActions<'_>) -> Result<()> {
        if !self.started {
            return Err(PpoError::Env("VecEnv::step called before reset".into()));
        }
        let n = self.envs.len();
        match actions {
            VecActions::Discrete(a) if a.len() == n && self.action_space().n().is_some() => {}
            VecActions::Continuous(a)
                if a.len() == n * self.act_dim && self.action_space().n().is_none() => {}
            _ => {
                return Err(PpoError::Space {
                    what: "action batch",
                    expected: format!("{n} actions of {}", self.action_space()),
                    got: match actions {
                        VecActions::Discrete(a) => format!("{} discrete actions", a.len()),
                        VecActions::Continuous(a) => format!("{} continuous values", a.len()),
                    },
                });
            }
        }
        let d = self.obs_dim;
        let ad = self.act_dim;
        let step_one =
            |i: usize, env: &mut E, obs: &mut [f32], term: &mut [f32]| -> Result<super::Step> {
                let action = match actions {
                    VecActions::Discrete(a) => Action::Discrete(a[i]),
                    VecActions::Continuous(a) => Action::Continuous(&a[i * ad..(i + 1) * ad]),
                };
                let s = env.step(action, obs)?;
                if s.terminated || s.truncated {
                    term.copy_from_slice(obs);
                    env.reset(None, obs)?;
                }
                Ok(s)
            };
        let results: Vec<Result<super::Step>> = if self.parallel && n > 1 {
            self.envs
                .par_iter_mut()
                .zip(self.obs.par_chunks_mut(d))
                .zip(self.terminal_obs.par_chunks_mut(d))
                .enumerate()
                .map(|(i, ((env, obs), term))| step_one(i, env, obs, term))
                .collect()
        } else {
            self.envs
                .iter_mut()
                .zip(self.obs.chunks_mut(d))
                .zip(self.terminal_obs.chunks_mut(d))
                .enumerate()
                .map(|(i, ((env, obs), term))| step_one(i, env, obs, term))
                .collect()
        };
        self.steps += 1;
        for (i, r) in results.into_iter().enumerate() {
            let s = r?;
            self.rewards[i] = s.reward;
            self.terminated[i] = s.terminated;
            self.truncated[i] = s.truncated && !s.terminated;
            self.ep_return[i] += s.reward;
            self.ep_len[i] += 1;
            if s.terminated || s.truncated {
                self.finished.push(EpisodeRecord {
                    env: i,
                    reward: self.ep_return[i],
                    length: self.ep_len[i],
                    finished_at_step: self.steps,
                    truncated: self.truncated[i],
                });
                self.ep_return[i] = 0.0;
                self.ep_len[i] = 0;
            }
        }
        Ok(())
    }

    /// Current observations, `num_envs * obs_dim`, environment-major.
    pub fn obs(&self) -> &[f32] {
        &self.obs
    }

    /// Rewards of the last step.
    pub fn rewards(&self) -> &[f64] {
        &self.rewards
    }

    /// Which copies reached a terminal state in the last step.
    pub fn terminated(&self) -> &[bool] {
        &self.terminated
    }

    /// Which copies were cut by a time limit (and not terminated) in the last step.
    pub fn truncated(&self) -> &[bool] {
        &self.truncated
    }

    /// Whether copy `i` finished an episode in the last step.
    pub fn done(&self, i: usize) -> bool {
        self.terminated[i] || self.truncated[i]
    }

    /// The last observation of the episode copy `i` just finished (valid
    /// when [`done`](Self::done) is true).
    pub fn terminal_obs(&self, i: usize) -> &[f32] {
        &self.terminal_obs[i * self.obs_dim..(i + 1) * self.obs_dim]
    }

    /// Episodes finished since the last call, in completion order (copy
    /// index order within one step).
    pub fn drain_episodes(&mut self) -> Vec<EpisodeRecord> {
        std::mem::take(&mut self.finished)
    }

    /// Number of `step` calls so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Info, Step};

    /// Counts steps; terminates after `len`.
    struct Counter {
        len: usize,
        t: usize,
        obs_space: Space,
        act_space: Space,
    }

    impl Counter {
        fn new(len: usize) -> Self {
            Self {
                len,
                t: 0,
                obs_space: Space::unbounded(1),
                act_space: Space::discrete(2),
            }
        }
    }

    impl Env for Counter {
        fn observation_space(&self) -> &Space {
            &self.obs_space
        }
        fn action_space(&self) -> &Space {
            &self.act_space
        }
        fn reset(&mut self, _seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
            self.t = 0;
            obs[0] = 0.0;
            Ok(Info::default())
        }
        fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step> {
            self.act_space.check_action(action)?;
            self.t += 1;
            obs[0] = self.t as f32;
            Ok(Step {
                reward: 1.0,
                terminated: self.t == self.len,
                ..Default::default()
            })
        }
    }

    #[test]
    fn vec_env_auto_resets_and_keeps_terminal_observation() {
        for parallel in [false, true] {
            let mut v = VecEnv::new(vec![Counter::new(2), Counter::new(3)])
                .unwrap()
                .with_parallel(parallel);
            v.reset(Some(0)).unwrap();
            v.step(VecActions::Discrete(&[0, 1])).unwrap();
            assert_eq!(v.obs(), &[1.0, 1.0]);
            v.step(VecActions::Discrete(&[0, 1])).unwrap();
            // copy 0 finished: reset obs 0, terminal obs 2
            assert!(v.done(0) && !v.done(1));
            assert_eq!(v.obs(), &[0.0, 2.0]);
            assert_eq!(v.terminal_obs(0), &[2.0]);
            let eps = v.drain_episodes();
            assert_eq!(eps.len(), 1);
            assert_eq!((eps[0].env, eps[0].length, eps[0].reward), (0, 2, 2.0));
            assert_eq!(eps[0].finished_at_step, 2);
            v.step(VecActions::Discrete(&[0, 1])).unwrap();
            assert!(v.done(1));
            assert_eq!(v.drain_episodes()[0].length, 3);
        }
    }

    #[test]
    fn vec_env_rejects_wrong_action_batch_and_step_before_reset() {
        let mut v = VecEnv::new(vec![Counter::new(2), Counter::new(2)]).unwrap();
        assert!(v.step(VecActions::Discrete(&[0, 0])).is_err());
        v.reset(None).unwrap();
        let err = v.step(VecActions::Discrete(&[0])).unwrap_err().to_string();
        assert!(err.contains("2 actions"), "{err}");
        assert!(v.step(VecActions::Discrete(&[0, 7])).is_err());
        assert!(VecEnv::<Counter>::new(vec![]).is_err());
    }
}
