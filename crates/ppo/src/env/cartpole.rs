//! CartPole-v1 exactly as Gymnasium defines it (Barto, Sutton and Anderson
//! 1983 dynamics, Euler integration, 500-step time limit), for the
//! control-learning test.

use super::{Action, Env, Info, Space, Step, check_obs_len};
use crate::error::{PpoError, Result};
use agent_core::SplitMix64;

const GRAVITY: f64 = 9.8;
const MASS_CART: f64 = 1.0;
const MASS_POLE: f64 = 0.1;
const TOTAL_MASS: f64 = MASS_CART + MASS_POLE;
const LENGTH: f64 = 0.5;
const POLE_MASS_LENGTH: f64 = MASS_POLE * LENGTH;
const FORCE_MAG: f64 = 10.0;
const TAU: f64 = 0.02;
const THETA_THRESHOLD: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
const X_THRESHOLD: f64 = 2.4;

/// Gymnasium's `CartPole-v1`: push left (0) or right (1); reward 1 per step;
/// terminated when the pole leans more than 12 degrees or the cart leaves
/// +-2.4; truncated after `max_steps` (500).
#[derive(Debug, Clone)]
pub struct CartPole {
    state: [f64; 4],
    max_steps: usize,
    t: usize,
    obs_space: Space,
    act_space: Space,
    rng: SplitMix64,
    active: bool,
}

impl Default for CartPole {
    fn default() -> Self {
        Self::new()
    }
}

impl CartPole {
    pub fn new() -> Self {
        let high = [
            (X_THRESHOLD * 2.0) as f32,
            f32::MAX,
            (THETA_THRESHOLD * 2.0) as f32,
            f32::MAX,
        ];
        Self {
            state: [0.0; 4],
            max_steps: 500,
            t: 0,
            obs_space: Space::Box {
                low: high.iter().map(|h| -h).collect(),
                high: high.to_vec(),
            },
            act_space: Space::discrete(2),
            rng: SplitMix64::new(0),
            active: false,
        }
    }

    /// Change the time limit (Gymnasium's `max_episode_steps`).
    pub fn with_max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = max_steps.max(1);
        self
    }

    fn write(&self, obs: &mut [f32]) {
        for (o, s) in obs.iter_mut().zip(self.state) {
            *o = s as f32;
        }
    }
}

impl Env for CartPole {
    fn observation_space(&self) -> &Space {
        &self.obs_space
    }

    fn action_space(&self) -> &Space {
        &self.act_space
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info> {
        check_obs_len(obs, 4)?;
        if let Some(s) = seed {
            self.rng = SplitMix64::new(s);
        }
        for s in &mut self.state {
            *s = -0.05 + 0.1 * self.rng.next_f64();
        }
        self.t = 0;
        self.active = true;
        self.write(obs);
        Ok(Info::default())
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step> {
        if !self.active {
            return Err(PpoError::Env(
                "CartPole::step after the episode ended".into(),
            ));
        }
        check_obs_len(obs, 4)?;
        self.act_space.check_action(action)?;
        let force = if action == Action::Discrete(1) {
            FORCE_MAG
        } else {
            -FORCE_MAG
        };
        let [x, x_dot, theta, theta_dot] = self.state;
        let (sin, cos) = theta.sin_cos();
        let temp = (force + POLE_MASS_LENGTH * theta_dot * theta_dot * sin) / TOTAL_MASS;
        let theta_acc = (GRAVITY * sin - cos * temp)
            / (LENGTH * (4.0 / 3.0 - MASS_POLE * cos * cos / TOTAL_MASS));
        let x_acc = temp - POLE_MASS_LENGTH * theta_acc * cos / TOTAL_MASS;
        self.state = [
            x + TAU * x_dot,
            x_dot + TAU * x_acc,
            theta + TAU * theta_dot,
            theta_dot + TAU * theta_acc,
        ];
        self.t += 1;
        let [x, _, theta, _] = self.state;
        let terminated = !(-X_THRESHOLD..=X_THRESHOLD).contains(&x)
            || !(-THETA_THRESHOLD..=THETA_THRESHOLD).contains(&theta);
        let truncated = !terminated && self.t >= self.max_steps;
        self.active = !(terminated || truncated);
        self.write(obs);
        Ok(Step {
            reward: 1.0,
            terminated,
            truncated,
            info: Info::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cartpole_falls_when_always_pushed_one_way_and_truncates_at_limit() {
        let mut env = CartPole::new();
        let (mut obs, _) = env.reset_vec(Some(0)).unwrap();
        assert!(obs.iter().all(|x| x.abs() <= 0.05));
        let mut n = 0;
        loop {
            n += 1;
            let s = env.step(Action::Discrete(1), &mut obs).unwrap();
            if s.terminated {
                break;
            }
        }
        assert!((5..40).contains(&n), "fell after {n} steps");
        let mut short = CartPole::new().with_max_steps(3);
        let (mut obs, _) = short.reset_vec(Some(0)).unwrap();
        let mut last = Step::default();
        for a in [0, 1, 0] {
            last = short.step(Action::Discrete(a), &mut obs).unwrap();
        }
        assert!(last.truncated && !last.terminated);
    }
}
