//! Hyperparameters: [`LinUcbParams`] is what users build, checked once into
//! [`LinUcbValidParams`] before any model exists. Errors name the field and
//! the value.

use crate::error::{LinUcbError, Result};
use agent_core::ParamGuard;
use serde::{Deserialize, Serialize};

/// How market regimes enter the bandit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegimeMode {
    /// One independent bandit per regime (the design of the original suite:
    /// "LinUCB per regime"). Nothing learnt in one regime moves another.
    PerRegime,
    /// One bandit; the regime is appended to the context as a one-hot block,
    /// so regimes share the slopes on the market features.
    Context,
    /// Regimes are ignored.
    Ignore,
}

/// Which LinUCB of Li et al. (2010).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Variant {
    /// Algorithm 1: an independent ridge model per arm.
    Disjoint,
    /// Algorithm 2: per-arm coefficients plus coefficients `beta` shared by
    /// all arms on the features `z_a = phi_a (x) x` (Kronecker product of
    /// the arm's attribute row `phi_a` with the context `x`).
    ///
    /// `arm_attributes` (one row per arm, equal lengths) describes the arms,
    /// e.g. a one-hot strategy family (trend / mean reversion / breakout);
    /// `None` means `phi_a = [1]` for every arm, so `beta` is the common
    /// part of all arms and each arm's own model shrinks towards it.
    Hybrid {
        arm_attributes: Option<Vec<Vec<f64>>>,
    },
}

/// How a batch fit uses a table that knows the reward of every arm at every
/// step (per-window strategy returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullFeedbackFit {
    /// Update every arm with its own reward at every step (all the
    /// information there is; the default).
    AllArms,
    /// Replay the table as a live bandit would see it: choose, then learn
    /// only the chosen arm's reward.
    Bandit,
}

/// Checked hyperparameters. Build them with [`LinUcbParams`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinUcbValidParams {
    pub(crate) alpha: f64,
    pub(crate) lambda: f64,
    pub(crate) variant: Variant,
    pub(crate) regime_mode: RegimeMode,
    pub(crate) intercept: bool,
    pub(crate) standardize: bool,
    pub(crate) reinvert_every: u64,
    pub(crate) full_feedback_fit: FullFeedbackFit,
}

impl LinUcbValidParams {
    /// Width of the confidence bonus: score = `theta.x + alpha * sqrt(x' A^-1 x)`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// Ridge penalty: every `A` starts as `lambda * I`.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    pub fn variant(&self) -> &Variant {
        &self.variant
    }
    pub fn regime_mode(&self) -> RegimeMode {
        self.regime_mode
    }
    /// Whether the context starts with a constant 1.
    pub fn intercept(&self) -> bool {
        self.intercept
    }
    /// Whether `fit` standardises the market features with the training rows' mean and std.
    pub fn standardize(&self) -> bool {
        self.standardize
    }
    /// Exact re-inversion period of each arm's `A` (0 = never).
    pub fn reinvert_every(&self) -> u64 {
        self.reinvert_every
    }
    pub fn full_feedback_fit(&self) -> FullFeedbackFit {
        self.full_feedback_fit
    }
}

impl Default for LinUcbValidParams {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            lambda: 1.0,
            variant: Variant::Disjoint,
            regime_mode: RegimeMode::PerRegime,
            intercept: true,
            standardize: true,
            reinvert_every: 256,
            full_feedback_fit: FullFeedbackFit::AllArms,
        }
    }
}

/// Unchecked hyperparameters (a builder). Defaults: `alpha = 1`,
/// `lambda = 1`, disjoint, one bandit per regime, intercept on, features
/// standardised on the training rows, exact re-inversion every 256 updates
/// of an arm, full-information tables fit on all arms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinUcbParams(LinUcbValidParams);

impl LinUcbParams {
    pub fn new() -> Self {
        Self::default()
    }
    /// Exploration width (finite, >= 0; 0 is greedy).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.0.alpha = alpha;
        self
    }
    /// Ridge penalty (finite, > 0).
    pub fn lambda(mut self, lambda: f64) -> Self {
        self.0.lambda = lambda;
        self
    }
    pub fn variant(mut self, variant: Variant) -> Self {
        self.0.variant = variant;
        self
    }
    /// Shorthand for [`Variant::Hybrid`] with the given arm attributes.
    pub fn hybrid(mut self, arm_attributes: Option<Vec<Vec<f64>>>) -> Self {
        self.0.variant = Variant::Hybrid { arm_attributes };
        self
    }
    pub fn regime_mode(mut self, mode: RegimeMode) -> Self {
        self.0.regime_mode = mode;
        self
    }
    pub fn intercept(mut self, on: bool) -> Self {
        self.0.intercept = on;
        self
    }
    pub fn standardize(mut self, on: bool) -> Self {
        self.0.standardize = on;
        self
    }
    /// Re-invert each arm's `A` exactly after this many Sherman-Morrison
    /// updates of that arm, bounding numerical drift (0 = never).
    pub fn reinvert_every(mut self, n: u64) -> Self {
        self.0.reinvert_every = n;
        self
    }
    pub fn full_feedback_fit(mut self, how: FullFeedbackFit) -> Self {
        self.0.full_feedback_fit = how;
        self
    }
}

impl ParamGuard for LinUcbParams {
    type Checked = LinUcbValidParams;
    type Error = LinUcbError;

    fn check_ref(&self) -> Result<&LinUcbValidParams> {
        let p = &self.0;
        if !(p.alpha.is_finite() && p.alpha >= 0.0) {
            return Err(LinUcbError::invalid_param(
                "alpha",
                p.alpha,
                "must be a finite number >= 0",
            ));
        }
        if !(p.lambda.is_finite() && p.lambda > 0.0) {
            return Err(LinUcbError::invalid_param(
                "lambda",
                p.lambda,
                "must be a finite number > 0 (it keeps every A invertible)",
            ));
        }
        if let Variant::Hybrid {
            arm_attributes: Some(rows),
        } = &p.variant
        {
            let width = rows.first().map_or(0, Vec::len);
            if rows.is_empty() || width == 0 {
                return Err(LinUcbError::invalid_param(
                    "arm_attributes",
                    format!("{rows:?}"),
                    "needs one non-empty row per arm",
                ));
            }
            if rows.iter().any(|r| r.len() != width) {
                return Err(LinUcbError::invalid_param(
                    "arm_attributes",
                    format!("{rows:?}"),
                    "rows must all have the same length",
                ));
            }
            if rows.iter().flatten().any(|v| !v.is_finite()) {
                return Err(LinUcbError::invalid_param(
                    "arm_attributes",
                    format!("{rows:?}"),
                    "values must be finite",
                ));
            }
        }
        Ok(p)
    }

    fn check(self) -> Result<LinUcbValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_alpha_and_lambda_name_field_and_value() {
        let e = LinUcbParams::new().alpha(-1.0).check().unwrap_err();
        assert!(e.to_string().contains("`alpha` = -1"), "{e}");
        let e = LinUcbParams::new().lambda(0.0).check().unwrap_err();
        assert!(e.to_string().contains("`lambda` = 0"), "{e}");
        let e = LinUcbParams::new().alpha(f64::NAN).check().unwrap_err();
        assert!(e.to_string().contains("NaN"), "{e}");
    }

    #[test]
    fn ragged_arm_attributes_are_rejected() {
        let e = LinUcbParams::new()
            .hybrid(Some(vec![vec![1.0], vec![1.0, 0.0]]))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("arm_attributes"), "{e}");
    }
}
