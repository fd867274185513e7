//! Gym-style environments: the [`Env`] trait (reset with a seed, step to
//! observation, reward, terminated, truncated, info; observation and action
//! [`Space`]s), vectorised environments with auto-reset ([`VecEnv`]), the
//! strategy-selection environment of SPEC T4 ([`StrategyEnv`]) and two small
//! control problems used by the learning tests ([`ContextualBandit`],
//! [`CartPole`]).
//!
//! Observations are `f32` vectors written into caller-owned buffers, so
//! stepping allocates nothing.

mod bandit;
mod cartpole;
mod strategy;
mod vec_env;

pub use bandit::ContextualBandit;
pub use cartpole::CartPole;
pub use strategy::{
    EpisodeStart, StrategyData, StrategyEnv, StrategyEnvConfig, StrategyEnvRecord,
    StrategyEvaluation,
};
pub use vec_env::{EpisodeRecord, VecActions, VecEnv};

use crate::error::{PpoError, Result};
use serde::{Deserialize, Serialize};

/// An observation or action space, as in Gymnasium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Space {
    /// Integers `0..n`.
    Discrete { n: usize },
    /// A box of `f32` vectors with per-dimension bounds (infinite allowed).
    #[serde(rename = "box")]
    Box {
        #[serde(with = "bounds")]
        low: Vec<f32>,
        #[serde(with = "bounds")]
        high: Vec<f32>,
    },
}

impl Space {
    /// `Discrete(n)`.
    pub fn discrete(n: usize) -> Self {
        Space::Discrete { n }
    }

    /// A box with the given bounds (same length, `low <= high`).
    pub fn bounded(low: Vec<f32>, high: Vec<f32>) -> Result<Self> {
        if low.len() != high.len() || low.is_empty() {
            return Err(PpoError::Space {
                what: "box bounds",
                expected: "low and high of the same, non-zero length".into(),
                got: format!("{} and {}", low.len(), high.len()),
            });
        }
        if let Some(i) =
            (0..low.len()).find(|&i| low[i].is_nan() || high[i].is_nan() || low[i] > high[i])
        {
            return Err(PpoError::Space {
                what: "box bounds",
                expected: "low <= high, no NaN".into(),
                got: format!("low[{i}] = {}, high[{i}] = {}", low[i], high[i]),
            });
        }
        Ok(Space::Box { low, high })
    }

    /// Check that a box has matching, ordered, non-NaN bounds (a `Box`
    /// built by hand could violate them; clipping into it would then fail).
    pub fn validate(&self) -> Result<()> {
        match self {
            Space::Discrete { n } if *n >= 1 => Ok(()),
            Space::Discrete { n } => Err(PpoError::Space {
                what: "discrete space",
                expected: "n >= 1".into(),
                got: n.to_string(),
            }),
            Space::Box { low, high } => Space::bounded(low.clone(), high.clone()).map(|_| ()),
        }
    }

    /// An unbounded box of `dim` values (observations).
    pub fn unbounded(dim: usize) -> Self {
        Space::Box {
            low: vec![f32::NEG_INFINITY; dim],
            high: vec![f32::INFINITY; dim],
        }
    }

    /// Number of `f32` values of an element: the box dimension, or 1 for
    /// a discrete space.
    pub fn dim(&self) -> usize {
        match self {
            Space::Discrete { .. } => 1,
            Space::Box { low, .. } => low.len(),
        }
    }

    /// `Some(n)` for `Discrete(n)`.
    pub fn n(&self) -> Option<usize> {
        match self {
            Space::Discrete { n } => Some(*n),
            Space::Box { .. } => None,
        }
    }

    /// Whether `action` belongs to this space (continuous values are only
    /// checked for length and finiteness; PPO clips them into the box).
    pub fn check_action(&self, action: Action<'_>) -> Result<()> {
        match (self, action) {
            (Space::Discrete { n }, Action::Discrete(a)) if a < *n => Ok(()),
            (Space::Box { low, .. }, Action::Continuous(v))
                if v.len() == low.len() && v.iter().all(|x| x.is_finite()) =>
            {
                Ok(())
            }
            (space, a) => Err(PpoError::Space {
                what: "action",
                expected: space.to_string(),
                got: format!("{a:?}"),
            }),
        }
    }
}

impl std::fmt::Display for Space {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Space::Discrete { n } => write!(f, "Discrete({n})"),
            Space::Box { low, .. } => write!(f, "Box(shape=({},))", low.len()),
        }
    }
}

/// JSON has no infinity: infinite bounds are written as the strings
/// `"inf"` / `"-inf"` and read back from them.
mod bounds {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Bound {
        Num(f32),
        Tag(String),
    }

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let out: Vec<Bound> = v
            .iter()
            .map(|&x| {
                if x == f32::INFINITY {
                    Bound::Tag("inf".into())
                } else if x == f32::NEG_INFINITY {
                    Bound::Tag("-inf".into())
                } else {
                    Bound::Num(x)
                }
            })
            .collect();
        out.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let raw: Vec<Bound> = Vec::deserialize(d)?;
        raw.into_iter()
            .map(|b| match b {
                Bound::Num(x) => Ok(x),
                Bound::Tag(t) if t == "inf" => Ok(f32::INFINITY),
                Bound::Tag(t) if t == "-inf" => Ok(f32::NEG_INFINITY),
                Bound::Tag(t) => Err(serde::de::Error::custom(format!(
                    "bound `{t}` is neither a number nor \"inf\"/\"-inf\""
                ))),
            })
            .collect()
    }
}

/// One action, borrowed so stepping allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action<'a> {
    /// An index into a `Discrete` space.
    Discrete(usize),
    /// A vector of a `Box` space.
    Continuous(&'a [f32]),
}

/// Extra facts an environment reports with a step or a reset (Gym's `info`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Info {
    pub entries: Vec<(&'static str, f64)>,
}

impl Info {
    /// The value recorded under `key`, if any.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }
}

/// What one `step` returns besides the next observation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    pub reward: f64,
    /// The episode reached a terminal state (no bootstrap).
    pub terminated: bool,
    /// The episode was cut by a time limit (PPO bootstraps with the value
    /// of the terminal observation, as stable-baselines3 does).
    pub truncated: bool,
    pub info: Info,
}

/// A Gymnasium-style environment.
///
/// `reset` and `step` write the observation into `obs`, whose length is
/// `observation_space().dim()`. After `terminated` or `truncated` the caller
/// must `reset` before stepping again ([`VecEnv`] does so automatically).
pub trait Env: Send {
    /// The space observations belong to (a `Box`).
    fn observation_space(&self) -> &Space;
    /// The space actions belong to.
    fn action_space(&self) -> &Space;
    /// Start an episode. `Some(seed)` reseeds the environment's generator;
    /// `None` continues its stream (Gymnasium semantics).
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) -> Result<Info>;
    /// Apply `action`, write the next observation and report the outcome.
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Step>;

    /// `reset` into a new vector.
    fn reset_vec(&mut self, seed: Option<u64>) -> Result<(Vec<f32>, Info)> {
        let mut obs = vec![0.0; self.observation_space().dim()];
        let info = self.reset(seed, &mut obs)?;
        Ok((obs, info))
    }
}

/// Check a caller's observation buffer length.
pub(crate) fn check_obs_len(obs: &[f32], dim: usize) -> Result<()> {
    if obs.len() != dim {
        return Err(PpoError::Space {
            what: "observation buffer",
            expected: format!("{dim} values"),
            got: format!("{} values", obs.len()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_json_round_trip_keeps_infinite_bounds() {
        let s = Space::unbounded(3);
        let j = serde_json::to_string(&s).unwrap();
        assert!(j.contains("\"-inf\""), "{j}");
        let back: Space = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
        let d = Space::discrete(5);
        let back: Space = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn discrete_space_rejects_out_of_range_actions() {
        let s = Space::discrete(5);
        assert!(s.check_action(Action::Discrete(4)).is_ok());
        let err = s.check_action(Action::Discrete(5)).unwrap_err().to_string();
        assert!(err.contains("Discrete(5)"), "{err}");
        assert!(s.check_action(Action::Continuous(&[0.0])).is_err());
    }

    #[test]
    fn bounded_box_rejects_inverted_bounds() {
        assert!(Space::bounded(vec![1.0], vec![0.0]).is_err());
        assert!(Space::bounded(vec![-1.0, 0.0], vec![1.0]).is_err());
        assert_eq!(Space::bounded(vec![-1.0], vec![1.0]).unwrap().dim(), 1);
    }
}
