//! Hyperparameters, checked once before any fitting: `LogisticParams` for one
//! elastic-net logistic regression (scikit-learn's parametrisation) and
//! `SignalParams` for the whole agent (grid, cross-validation, thresholds).
//! Errors name the field and the offending value.

use crate::error::{Result, SignalError};
use agent_core::{ParamGuard, Purge};
use serde::{Deserialize, Serialize};

/// Per-class loss weights, as scikit-learn's `class_weight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    /// Every row weighs 1.
    #[default]
    None,
    /// Class `k` weighs `n / (2 n_k)` on the rows of each fit (scikit-learn's
    /// `"balanced"`), so both classes contribute equally to the loss.
    Balanced,
}

/// Checked parameters of one elastic-net logistic regression.
///
/// The objective is scikit-learn's, with `rho = l1_ratio`:
/// `C * sum_i w_i log(1 + exp(-s_i (x_i.coef + b))) + (1 - rho)/2 ||coef||^2 + rho ||coef||_1`,
/// `s_i = 2 y_i - 1`, `w_i` the class weight, the intercept `b` unpenalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticValidParams {
    c: f64,
    l1_ratio: f64,
    fit_intercept: bool,
    class_weight: ClassWeight,
    max_iter: usize,
    tol: f64,
}

impl LogisticValidParams {
    /// Inverse regularisation strength `C`.
    pub fn c(&self) -> f64 {
        self.c
    }
    /// Elastic-net mixing: 0 is pure L2, 1 pure L1.
    pub fn l1_ratio(&self) -> f64 {
        self.l1_ratio
    }
    pub fn fit_intercept(&self) -> bool {
        self.fit_intercept
    }
    pub fn class_weight(&self) -> ClassWeight {
        self.class_weight
    }
    /// Maximum number of proximal Newton iterations.
    pub fn max_iter(&self) -> usize {
        self.max_iter
    }
    /// Stopping tolerance: stop after a full proximal Newton step that moved
    /// no coefficient (nor the intercept) by more than
    /// `tol * max(1, max |coef|, |intercept|)`. Near the optimum a Newton step
    /// estimates the remaining error, and convergence is quadratic, so the
    /// result is much closer than `tol` (unlike saga's rule of the same shape).
    pub fn tol(&self) -> f64 {
        self.tol
    }
}

/// Unchecked builder for [`LogisticValidParams`]; defaults are
/// scikit-learn's (`C=1`, `l1_ratio=0`, intercept, no class weights,
/// `max_iter=100`, `tol=1e-4`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticParams(LogisticValidParams);

impl Default for LogisticParams {
    fn default() -> Self {
        Self(LogisticValidParams {
            c: 1.0,
            l1_ratio: 0.0,
            fit_intercept: true,
            class_weight: ClassWeight::None,
            max_iter: 100,
            tol: 1e-4,
        })
    }
}

impl LogisticParams {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn c(mut self, c: f64) -> Self {
        self.0.c = c;
        self
    }
    pub fn l1_ratio(mut self, r: f64) -> Self {
        self.0.l1_ratio = r;
        self
    }
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.0.fit_intercept = yes;
        self
    }
    pub fn class_weight(mut self, w: ClassWeight) -> Self {
        self.0.class_weight = w;
        self
    }
    pub fn max_iter(mut self, n: usize) -> Self {
        self.0.max_iter = n;
        self
    }
    pub fn tol(mut self, tol: f64) -> Self {
        self.0.tol = tol;
        self
    }
}

pub(crate) fn check_logistic(p: &LogisticValidParams) -> Result<()> {
    if !(p.c.is_finite() && p.c > 0.0) {
        return Err(SignalError::invalid_param(
            "C",
            p.c,
            "must be a finite number > 0",
        ));
    }
    if !(0.0..=1.0).contains(&p.l1_ratio) {
        return Err(SignalError::invalid_param(
            "l1_ratio",
            p.l1_ratio,
            "must be in [0, 1]",
        ));
    }
    if p.max_iter == 0 {
        return Err(SignalError::invalid_param("max_iter", 0, "must be >= 1"));
    }
    if !(p.tol.is_finite() && p.tol >= 0.0) {
        return Err(SignalError::invalid_param(
            "tol",
            p.tol,
            "must be a finite number >= 0",
        ));
    }
    Ok(())
}

impl ParamGuard for LogisticParams {
    type Checked = LogisticValidParams;
    type Error = SignalError;

    fn check_ref(&self) -> Result<&LogisticValidParams> {
        check_logistic(&self.0)?;
        Ok(&self.0)
    }

    fn check(self) -> Result<LogisticValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

/// Probability cut-offs turning `P(up)` into buy / sell / hold.
///
/// `p_up >= buy` is a buy, `p_up <= sell` a sell, anything between a hold.
/// They are separate from the F1-tuned decision threshold of the classifier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignalThresholds {
    pub buy: f64,
    pub sell: f64,
}

impl Default for SignalThresholds {
    fn default() -> Self {
        Self {
            buy: 0.55,
            sell: 0.45,
        }
    }
}

impl SignalThresholds {
    /// Checked thresholds: both in `[0, 1]` and `sell < buy`.
    pub fn new(buy: f64, sell: f64) -> Result<Self> {
        let t = Self { buy, sell };
        t.validate()?;
        Ok(t)
    }

    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.buy) {
            return Err(SignalError::invalid_param(
                "buy_threshold",
                self.buy,
                "must be a probability in [0, 1]",
            ));
        }
        if !(0.0..=1.0).contains(&self.sell) {
            return Err(SignalError::invalid_param(
                "sell_threshold",
                self.sell,
                "must be a probability in [0, 1]",
            ));
        }
        if self.sell >= self.buy {
            return Err(SignalError::InvalidParam {
                name: "sell_threshold",
                value: format!("{} (buy_threshold {})", self.sell, self.buy),
                why: "must be below buy_threshold",
            });
        }
        Ok(())
    }
}

/// Checked parameters of the signal agent: a grid over `C` x `l1_ratio`
/// scored by time-series cross-validated ROC-AUC, refit on all training rows,
/// an F1-tuned decision threshold and the buy/sell thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalValidParams {
    cs: Vec<f64>,
    l1_ratios: Vec<f64>,
    fit_intercept: bool,
    class_weight: ClassWeight,
    max_iter: usize,
    tol: f64,
    n_splits: usize,
    /// Old artifacts, written before the purge was tied to the label
    /// horizon, read back as 0 (what they used).
    #[serde(default)]
    label_horizon: usize,
    gap: usize,
    n_threads: usize,
    tune_threshold: bool,
    thresholds: SignalThresholds,
}

impl SignalValidParams {
    /// Grid values of `C` (outer loop of the grid).
    pub fn cs(&self) -> &[f64] {
        &self.cs
    }
    /// Grid values of `l1_ratio` (inner loop of the grid).
    pub fn l1_ratios(&self) -> &[f64] {
        &self.l1_ratios
    }
    pub fn fit_intercept(&self) -> bool {
        self.fit_intercept
    }
    pub fn class_weight(&self) -> ClassWeight {
        self.class_weight
    }
    pub fn max_iter(&self) -> usize {
        self.max_iter
    }
    pub fn tol(&self) -> f64 {
        self.tol
    }
    /// `TimeSeriesSplit` folds.
    pub fn n_splits(&self) -> usize {
        self.n_splits
    }
    /// Bars the labels look ahead; that many rows are always purged.
    pub fn label_horizon(&self) -> usize {
        self.label_horizon
    }
    /// Embargo: rows purged before each test block beyond the label horizon.
    pub fn gap(&self) -> usize {
        self.gap
    }
    /// The purge at every boundary: the label horizon plus the embargo.
    pub fn purge(&self) -> Purge {
        Purge::new(self.label_horizon).embargo(self.gap)
    }
    /// Worker threads of the grid search (0: all cores).
    pub fn n_threads(&self) -> usize {
        self.n_threads
    }
    pub fn tune_threshold(&self) -> bool {
        self.tune_threshold
    }
    pub fn thresholds(&self) -> SignalThresholds {
        self.thresholds
    }

    /// The grid in search order (`C` outer, `l1_ratio` inner), each point checked.
    pub fn grid(&self) -> Vec<LogisticValidParams> {
        self.cs
            .iter()
            .flat_map(|&c| {
                self.l1_ratios.iter().map(move |&r| LogisticValidParams {
                    c,
                    l1_ratio: r,
                    fit_intercept: self.fit_intercept,
                    class_weight: self.class_weight,
                    max_iter: self.max_iter,
                    tol: self.tol,
                })
            })
            .collect()
    }
}

/// Unchecked builder for [`SignalValidParams`].
///
/// Defaults: the SPEC T1 grid `C in {0.01, 0.1, 1, 10}` x
/// `l1_ratio in {0, 0.5, 1}` (the original used `{0.2, 0.5, 0.8}` with
/// shuffled K-fold), 5 time-series splits purged by a 1-bar label horizon
/// and no extra embargo, intercept, no class
/// weights, `max_iter=100`, `tol=1e-4`, all cores, threshold tuning on, buy at
/// `P(up) >= 0.55`, sell at `P(up) <= 0.45`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalParams(SignalValidParams);

impl Default for SignalParams {
    fn default() -> Self {
        Self(SignalValidParams {
            cs: vec![0.01, 0.1, 1.0, 10.0],
            l1_ratios: vec![0.0, 0.5, 1.0],
            fit_intercept: true,
            class_weight: ClassWeight::None,
            max_iter: 100,
            tol: 1e-4,
            n_splits: 5,
            label_horizon: 1,
            gap: 0,
            n_threads: 0,
            tune_threshold: true,
            thresholds: SignalThresholds::default(),
        })
    }
}

impl SignalParams {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cs(mut self, cs: impl Into<Vec<f64>>) -> Self {
        self.0.cs = cs.into();
        self
    }
    pub fn l1_ratios(mut self, r: impl Into<Vec<f64>>) -> Self {
        self.0.l1_ratios = r.into();
        self
    }
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.0.fit_intercept = yes;
        self
    }
    pub fn class_weight(mut self, w: ClassWeight) -> Self {
        self.0.class_weight = w;
        self
    }
    pub fn max_iter(mut self, n: usize) -> Self {
        self.0.max_iter = n;
        self
    }
    pub fn tol(mut self, tol: f64) -> Self {
        self.0.tol = tol;
        self
    }
    pub fn n_splits(mut self, n: usize) -> Self {
        self.0.n_splits = n;
        self
    }
    /// Bars the labels look ahead ([`crate::LabelSpec::horizon`]): that many
    /// rows before each test block are always purged. 0 only for labels
    /// that use nothing after their own row.
    pub fn label_horizon(mut self, h: usize) -> Self {
        self.0.label_horizon = h;
        self
    }
    /// Embargo: purge this many rows before each test block on top of the
    /// label horizon (it can add to the purge, never reduce it).
    pub fn gap(mut self, gap: usize) -> Self {
        self.0.gap = gap;
        self
    }
    pub fn n_threads(mut self, n: usize) -> Self {
        self.0.n_threads = n;
        self
    }
    /// Choose the decision threshold that maximises F1 on the out-of-fold
    /// predictions of the best grid point (otherwise 0.5).
    pub fn tune_threshold(mut self, yes: bool) -> Self {
        self.0.tune_threshold = yes;
        self
    }
    pub fn buy_threshold(mut self, p: f64) -> Self {
        self.0.thresholds.buy = p;
        self
    }
    pub fn sell_threshold(mut self, p: f64) -> Self {
        self.0.thresholds.sell = p;
        self
    }
}

impl ParamGuard for SignalParams {
    type Checked = SignalValidParams;
    type Error = SignalError;

    fn check_ref(&self) -> Result<&SignalValidParams> {
        let p = &self.0;
        if p.cs.is_empty() {
            return Err(SignalError::invalid_param(
                "cs",
                "[]",
                "the grid needs at least one C",
            ));
        }
        if p.l1_ratios.is_empty() {
            return Err(SignalError::invalid_param(
                "l1_ratios",
                "[]",
                "the grid needs at least one l1_ratio",
            ));
        }
        if p.n_splits < 2 {
            return Err(SignalError::invalid_param(
                "n_splits",
                p.n_splits,
                "must be at least 2",
            ));
        }
        p.thresholds.validate()?;
        for point in p.grid() {
            check_logistic(&point)?;
        }
        Ok(p)
    }

    fn check(self) -> Result<SignalValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_logistic_params_name_the_field_and_value() {
        let e = LogisticParams::new().c(0.0).check().unwrap_err();
        assert!(e.to_string().contains("`C` = 0"), "{e}");
        let e = LogisticParams::new().l1_ratio(1.5).check().unwrap_err();
        assert!(e.to_string().contains("`l1_ratio` = 1.5"), "{e}");
        let e = LogisticParams::new().tol(f64::NAN).check().unwrap_err();
        assert!(e.to_string().contains("`tol`"), "{e}");
        assert!(LogisticParams::new().max_iter(0).check().is_err());
    }

    #[test]
    fn sell_threshold_must_be_below_buy_threshold() {
        let e = SignalParams::new()
            .buy_threshold(0.5)
            .sell_threshold(0.6)
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("sell_threshold"), "{e}");
        assert!(SignalThresholds::new(0.6, 0.6).is_err());
        assert!(SignalThresholds::new(1.2, 0.4).is_err());
        assert!(SignalThresholds::new(0.6, 0.4).is_ok());
    }

    #[test]
    fn grid_is_c_outer_l1_ratio_inner_and_checks_every_point() {
        let p = SignalParams::new().check().unwrap();
        let g = p.grid();
        assert_eq!(g.len(), 12);
        assert_eq!((g[1].c(), g[1].l1_ratio()), (0.01, 0.5));
        assert_eq!((g[3].c(), g[3].l1_ratio()), (0.1, 0.0));
        let e = SignalParams::new().cs(vec![1.0, -2.0]).check().unwrap_err();
        assert!(e.to_string().contains("-2"), "{e}");
    }
}
