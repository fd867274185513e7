//! The actor-critic policy of stable-baselines3's `MlpPolicy`: separate
//! actor and critic MLPs, an action head (categorical logits or Gaussian
//! means with a state-independent log std) and a value head.
//!
//! The weights live in one flat `f32` vector laid out by [`Layout`]; the
//! native engine and all inference read it directly, and [`burn_net`]
//! converts it to and from the burn module [`burn_net::ActorCritic`]
//! (training on burn devices, safetensors).

pub mod burn_net;
pub(crate) mod init;
pub(crate) mod native;

use crate::env::Space;
use crate::error::{PpoError, Result};
use crate::hyperparams::{Activation, NetArch};
use serde::{Deserialize, Serialize};

/// The action distribution of the policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionDist {
    /// Softmax over `n` logits (for `Discrete(n)`).
    Categorical { n: usize },
    /// Diagonal Gaussian over `dim` values with a learned, state-independent
    /// log std (for `Box` actions; samples are clipped into the box).
    Gaussian { dim: usize },
}

impl ActionDist {
    /// Width of the action head.
    pub fn width(&self) -> usize {
        match self {
            ActionDist::Categorical { n } => *n,
            ActionDist::Gaussian { dim } => *dim,
        }
    }
}

/// Everything needed to rebuild the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicySpec {
    pub obs_dim: usize,
    pub dist: ActionDist,
    pub pi_hidden: Vec<usize>,
    pub vf_hidden: Vec<usize>,
    pub activation: Activation,
}

impl PolicySpec {
    /// The policy for these spaces and hidden sizes.
    pub fn new(
        obs: &Space,
        action: &Space,
        arch: &NetArch,
        activation: Activation,
    ) -> Result<Self> {
        obs.validate()?;
        action.validate()?;
        let obs_dim = match obs {
            Space::Box { low, .. } if !low.is_empty() => low.len(),
            other => {
                return Err(PpoError::Space {
                    what: "observation space",
                    expected: "a non-empty Box".into(),
                    got: other.to_string(),
                });
            }
        };
        let dist = match action {
            Space::Discrete { n } if *n >= 1 => ActionDist::Categorical { n: *n },
            Space::Box { low, .. } if !low.is_empty() => ActionDist::Gaussian { dim: low.len() },
            other => {
                return Err(PpoError::Space {
                    what: "action space",
                    expected: "Discrete(n >= 1) or a non-empty Box".into(),
                    got: other.to_string(),
                });
            }
        };
        Ok(Self {
            obs_dim,
            dist,
            pi_hidden: arch.pi.clone(),
            vf_hidden: arch.vf.clone(),
            activation,
        })
    }

    /// Number of trainable values.
    pub fn num_params(&self) -> usize {
        Layout::new(self).total
    }
}

/// One dense layer inside the flat parameter vector: weight `[n_in x n_out]`
/// (row-major, burn's layout) at `w`, bias `[n_out]` at `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dense {
    pub n_in: usize,
    pub n_out: usize,
    pub w: usize,
    pub b: usize,
}

/// Where every tensor lives in the flat parameter vector. The actor's
/// tensors come first (`0..actor_len`), then the critic's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub pi: Vec<Dense>,
    pub pi_head: Dense,
    /// Offset of the Gaussian log std (`dist.width()` values).
    pub log_std: Option<usize>,
    pub vf: Vec<Dense>,
    pub vf_head: Dense,
    pub actor_len: usize,
    pub total: usize,
}

impl Layout {
    pub fn new(spec: &PolicySpec) -> Self {
        let mut off = 0usize;
        let mut dense = |n_in: usize, n_out: usize| {
            let d = Dense {
                n_in,
                n_out,
                w: off,
                b: off + n_in * n_out,
            };
            off += n_in * n_out + n_out;
            d
        };
        let mut pi = Vec::new();
        let mut prev = spec.obs_dim;
        for &h in &spec.pi_hidden {
            pi.push(dense(prev, h));
            prev = h;
        }
        let pi_head = dense(prev, spec.dist.width());
        let log_std = match spec.dist {
            ActionDist::Gaussian { dim } => {
                let o = off;
                off += dim;
                Some(o)
            }
            ActionDist::Categorical { .. } => None,
        };
        let actor_len = off;
        let mut dense = |n_in: usize, n_out: usize| {
            let d = Dense {
                n_in,
                n_out,
                w: off,
                b: off + n_in * n_out,
            };
            off += n_in * n_out + n_out;
            d
        };
        let mut vf = Vec::new();
        let mut prev = spec.obs_dim;
        for &h in &spec.vf_hidden {
            vf.push(dense(prev, h));
            prev = h;
        }
        let vf_head = dense(prev, 1);
        Self {
            pi,
            pi_head,
            log_std,
            vf,
            vf_head,
            actor_len,
            total: off,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_counts_sb3_mlp_policy_parameters() {
        let spec = PolicySpec::new(
            &Space::unbounded(12),
            &Space::discrete(5),
            &NetArch::default(),
            Activation::Tanh,
        )
        .unwrap();
        let l = Layout::new(&spec);
        // actor 12*64+64 + 64*64+64 + 64*5+5 ; critic 12*64+64 + 64*64+64 + 64+1
        assert_eq!(l.actor_len, 832 + 4160 + 325);
        assert_eq!(l.total, l.actor_len + 832 + 4160 + 65);
        assert_eq!(l.vf[0].w, l.actor_len);
        let g = PolicySpec::new(
            &Space::unbounded(3),
            &Space::bounded(vec![-1.0, -1.0], vec![1.0, 1.0]).unwrap(),
            &NetArch {
                pi: vec![4],
                vf: vec![4],
            },
            Activation::Tanh,
        )
        .unwrap();
        let l = Layout::new(&g);
        assert_eq!(l.log_std, Some(16 + 10));
        assert_eq!(l.actor_len, 28);
    }
}
