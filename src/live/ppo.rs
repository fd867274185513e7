//! Live PPO strategy selector: builds the `StrategyEnv` observation (the
//! standardized T0 context, optional one-hot regime and recent strategy
//! returns, one-hot previous choice) and answers with the greedy action.

use crate::live::error::LiveError;
use crate::live::features::t0_columns;
use crate::live::load::LiveModel;
use crate::live::slot::Origin;
use market::Regime;
use ppo::{PpoModel, Space};

/// How a selector's observation is laid out (parsed from its feature names).
#[derive(Debug, Clone, PartialEq)]
pub struct ObsLayout {
    /// T0 column of each context value.
    pub context_cols: Vec<usize>,
    /// One-hot regime entries (`regime_<r>`), 0 when absent.
    pub n_regimes: usize,
    /// Recent-return entries (`recent_<strategy>`), 0 when absent.
    pub n_recent: usize,
    /// One-hot previous choice (`prev_<strategy>`).
    pub n_prev: usize,
}

impl ObsLayout {
    /// Parse `[context..] [regime_*..] [recent_*..] prev_*..` (the order
    /// `StrategyEnv::feature_names` writes).
    pub fn parse(names: &[String]) -> Result<Self, LiveError> {
        fn prefixed(names: &[String], p: &str) -> usize {
            names.iter().take_while(|n| n.starts_with(p)).count()
        }
        let n_ctx = names
            .iter()
            .take_while(|n| {
                !n.starts_with("regime_") && !n.starts_with("recent_") && !n.starts_with("prev_")
            })
            .count();
        let rest = &names[n_ctx..];
        let n_regimes = prefixed(rest, "regime_");
        let n_recent = prefixed(&rest[n_regimes..], "recent_");
        let n_prev = prefixed(&rest[n_regimes + n_recent..], "prev_");
        if n_ctx + n_regimes + n_recent + n_prev != names.len() || n_prev == 0 {
            return Err(LiveError::Incompatible {
                agent: "ppo",
                why: format!(
                    "observation names {names:?} are not a strategy selector's \
                     `context.., regime_*.., recent_*.., prev_*..` layout"
                ),
            });
        }
        Ok(Self {
            context_cols: t0_columns("ppo", &names[..n_ctx])?,
            n_regimes,
            n_recent,
            n_prev,
        })
    }

    /// Observation length.
    pub fn dim(&self) -> usize {
        self.context_cols.len() + self.n_regimes + self.n_recent + self.n_prev
    }
}

impl LiveModel for PpoModel {
    fn check_features(names: &[String]) -> Result<(), LiveError> {
        ObsLayout::parse(names).map(|_| ())
    }

    fn check_live(&self) -> Result<(), LiveError> {
        let layout = ObsLayout::parse(self.feature_names())?;
        let n_actions = match self.action_space() {
            Space::Discrete { n } => *n,
            other => {
                return Err(LiveError::Incompatible {
                    agent: "ppo",
                    why: format!("the action space is {other}, a strategy selector's is Discrete"),
                });
            }
        };
        if layout.dim() != self.observation_space().dim() || layout.n_prev != n_actions {
            return Err(LiveError::Incompatible {
                agent: "ppo",
                why: format!(
                    "observation names give {} values and {} strategies; the policy takes {} \
                     values and has {n_actions} actions",
                    layout.dim(),
                    layout.n_prev,
                    self.observation_space().dim()
                ),
            });
        }
        Ok(())
    }
}

/// One selector decision.
#[derive(Debug, Clone, PartialEq)]
pub struct PpoChoice {
    pub action: usize,
    pub name: Option<String>,
}

/// A PPO strategy selector answering per decision.
#[derive(Debug, Clone)]
pub struct LivePpo {
    model: PpoModel,
    origin: Origin,
    layout: ObsLayout,
    mean: Vec<f64>,
    std: Vec<f64>,
    obs: Vec<f32>,
    prev: Option<usize>,
}

impl LivePpo {
    /// Serve `model` with the context scaler it recorded at training
    /// (`fit_strategy` stores the training windows' context mean and std in
    /// `rl_selector.zip`).
    pub fn from_model(model: PpoModel, origin: Origin) -> Result<Self, LiveError> {
        let record = model
            .strategy_env()
            .ok_or_else(|| LiveError::Incompatible {
                agent: "ppo",
                why: "the model records no strategy environment (it was written before \
                  rl_selector.zip carried one, or trained on another environment): \
                  pass the training context scaler to LivePpo::new"
                    .into(),
            })?;
        let n_ctx = record.context_names.len();
        if model.feature_names().get(..n_ctx) != Some(&record.context_names[..]) {
            return Err(LiveError::Incompatible {
                agent: "ppo",
                why: format!(
                    "the recorded context columns {:?} are not the first observation names {:?}",
                    record.context_names,
                    model.feature_names()
                ),
            });
        }
        let scaler = (record.context_mean.clone(), record.context_std.clone());
        Self::new(model, origin, scaler)
    }

    /// Serve `model` with an explicit context scaler: the training windows'
    /// context mean and std (`StrategyData::context_scaler()`). Needed only
    /// for models that do not record it (see [`from_model`](Self::from_model)).
    pub fn new(
        model: PpoModel,
        origin: Origin,
        context_scaler: (Vec<f64>, Vec<f64>),
    ) -> Result<Self, LiveError> {
        model.check_live()?;
        let layout = ObsLayout::parse(model.feature_names())?;
        let (mean, std) = context_scaler;
        let c = layout.context_cols.len();
        if mean.len() != c || std.len() != c {
            return Err(LiveError::InvalidInput(format!(
                "the context scaler has {} means and {} stds for {c} context features",
                mean.len(),
                std.len()
            )));
        }
        if let Some(j) = std.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(LiveError::InvalidInput(format!(
                "context std {j} must be positive, got {}",
                std[j]
            )));
        }
        Ok(Self {
            obs: vec![0.0; layout.dim()],
            model,
            origin,
            layout,
            mean,
            std,
            prev: None,
        })
    }

    pub fn model(&self) -> &PpoModel {
        &self.model
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn layout(&self) -> &ObsLayout {
        &self.layout
    }

    /// Greedy choice for the T0 row `features`. `recent` holds each
    /// strategy's recent mean return in the training unit (ignored when the
    /// model has no `recent_*` inputs). The choice becomes the next
    /// observation's previous choice.
    pub fn act(
        &mut self,
        features: &[f64],
        regime: Regime,
        recent: &[f64],
    ) -> Result<PpoChoice, LiveError> {
        let l = &self.layout;
        let c = l.context_cols.len();
        for (i, &col) in l.context_cols.iter().enumerate() {
            let v = *features.get(col).ok_or_else(|| {
                LiveError::InvalidInput(format!("feature row has {} values", features.len()))
            })?;
            self.obs[i] = ((v - self.mean[i]) / self.std[i]) as f32;
        }
        self.obs[c..].iter_mut().for_each(|x| *x = 0.0);
        if l.n_regimes > 0 {
            let r = (regime.index() as usize).min(l.n_regimes - 1);
            self.obs[c + r] = 1.0;
        }
        if l.n_recent > 0 {
            if recent.len() != l.n_recent {
                return Err(LiveError::InvalidInput(format!(
                    "{} recent returns for {} strategies",
                    recent.len(),
                    l.n_recent
                )));
            }
            let o = c + l.n_regimes;
            for (x, &r) in self.obs[o..o + l.n_recent].iter_mut().zip(recent) {
                *x = r as f32;
            }
        }
        if let Some(p) = self.prev {
            self.obs[c + l.n_regimes + l.n_recent + p] = 1.0;
        }
        let action = self
            .model
            .act_greedy(&self.obs)
            .map_err(|e| LiveError::agent("ppo", e))?;
        self.prev = Some(action);
        Ok(PpoChoice {
            action,
            name: self.model.action_name(action).map(str::to_string),
        })
    }
}
