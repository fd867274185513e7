//! Live LinUCB strategy selector: picks an arm per decision from the regime
//! and T0 features, then learns the realised PnL of that choice.

use crate::live::error::LiveError;
use crate::live::features::t0_columns;
use crate::live::load::LiveModel;
use crate::live::slot::Origin;
use linucb::{LinUcb, LinUcbValidParams};
use market::Regime;

impl LiveModel for LinUcb {
    /// The bandit's context features must be T0 features (plain or
    /// `ctx_`-prefixed, as in the strategy-returns tables), in T0 order.
    fn check_features(names: &[String]) -> Result<(), LiveError> {
        t0_columns("linucb", names).map(|_| ())
    }

    fn check_live(&self) -> Result<(), LiveError> {
        Self::check_features(self.feature_names())?;
        let n = self.regime_names().len();
        if n != 1 && n != Regime::ALL.len() {
            return Err(LiveError::Incompatible {
                agent: "linucb",
                why: format!(
                    "the bandit has {n} regimes ({:?}); live regimes are the regime agent's 3 \
                     volatility terciles (or 1 when regimes are ignored)",
                    self.regime_names()
                ),
            });
        }
        Ok(())
    }
}

/// One bandit decision.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmChoice {
    pub arm: usize,
    pub name: String,
    /// The winning UCB score.
    pub score: f64,
}

/// A LinUCB bandit serving decisions and learning from their PnL. It learns
/// online, so it owns its model (no slot): save it with
/// [`LiveLinUcb::model`] + `Persist::save` to keep what it learnt.
#[derive(Debug, Clone)]
pub struct LiveLinUcb {
    model: LinUcb,
    origin: Origin,
    cols: Vec<usize>,
    /// Context of the pending decision, reused (no allocation per bar).
    x: Vec<f64>,
    pending: Option<(usize, usize)>,
    updates: u64,
}

impl LiveLinUcb {
    /// Serve a trained (or loaded) bandit.
    pub fn new(model: LinUcb, origin: Origin) -> Result<Self, LiveError> {
        model.check_live()?;
        let cols = t0_columns("linucb", model.feature_names())?;
        Ok(Self {
            x: vec![0.0; cols.len()],
            cols,
            model,
            origin,
            pending: None,
            updates: 0,
        })
    }

    /// A fresh bandit (no trained model yet): it explores from scratch and
    /// learns from every [`LiveLinUcb::update`].
    pub fn untrained(
        params: &LinUcbValidParams,
        arms: Vec<String>,
        regimes: Vec<String>,
        features: Vec<String>,
    ) -> Result<Self, LiveError> {
        let model = LinUcb::new(params, arms, regimes, features)
            .map_err(|e| LiveError::agent("linucb", e))?;
        Self::new(model, Origin::Provided)
    }

    pub fn model(&self) -> &LinUcb {
        &self.model
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Rewards learnt since serving started.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// The bandit's regime index for a regime call.
    pub fn regime_index(&self, regime: Regime) -> usize {
        if self.model.regime_names().len() == 1 {
            0
        } else {
            regime.index() as usize
        }
    }

    /// Choose a strategy for the T0 feature row `features`; remembers the
    /// decision for [`LiveLinUcb::update`].
    pub fn select(&mut self, regime: Regime, features: &[f64]) -> Result<ArmChoice, LiveError> {
        for (x, &c) in self.x.iter_mut().zip(&self.cols) {
            *x = *features.get(c).ok_or_else(|| {
                LiveError::InvalidInput(format!(
                    "feature row has {} values, the bandit needs column {c}",
                    features.len()
                ))
            })?;
        }
        let r = self.regime_index(regime);
        let (arm, scores) = self
            .model
            .select(r, &self.x)
            .map_err(|e| LiveError::agent("linucb", e))?;
        let score = scores.get(arm).copied().unwrap_or(f64::NAN);
        self.pending = Some((r, arm));
        Ok(ArmChoice {
            arm,
            name: self.model.arm_name(arm).unwrap_or("?").to_string(),
            score,
        })
    }

    /// Learn the realised PnL of the last decision. Returns `false` when
    /// there was no decision to credit (each decision is credited once).
    pub fn update(&mut self, realised_pnl: f64) -> Result<bool, LiveError> {
        if !realised_pnl.is_finite() {
            return Err(LiveError::InvalidInput(format!(
                "realised PnL must be finite, got {realised_pnl}"
            )));
        }
        let Some((r, arm)) = self.pending.take() else {
            return Ok(false);
        };
        self.model
            .update(r, &self.x, arm, realised_pnl)
            .map_err(|e| LiveError::agent("linucb", e))?;
        self.updates += 1;
        Ok(true)
    }
}
