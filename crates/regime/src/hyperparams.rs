//! Hyperparameters: LightGBM multiclass tree parameters (SPEC T3 defaults),
//! the num_leaves x n_estimators grid with early stopping, threading and how
//! high-volatility pairs are favoured. Built unchecked ([`RegimeParams`]),
//! validated once into [`RegimeValidParams`]; errors name field and value.

use crate::error::RegimeError;
use agent_core::{CoreError, ParamGuard};
use lgbm::{LgbParams, TreeParams};
use serde::{Deserialize, Serialize};

/// How the grid points share the threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridParallelism {
    /// Points one after the other, LightGBM using all `num_threads`.
    Sequential,
    /// Up to `num_threads` points at once, LightGBM single-threaded in each.
    PointsInParallel,
    /// Points in parallel when there are at least as many points as
    /// threads, or the data is small; sequential otherwise (see `train`).
    Auto,
}

/// How training favours high-volatility pairs when it sees several symbols.
/// Pair volatility is the median realised volatility of the pair's
/// training rows (no test data is looked at).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PairWeighting {
    /// Every row weighs 1.
    None,
    /// Each row weighs its pair's median volatility divided by the median
    /// over all training rows, so calm pairs count less.
    RelativeVolatility,
    /// Pairs whose median volatility is below the threshold are left out
    /// (training and evaluation), like the original's high-volatility filter.
    MinVolatility { min_median_vol: f64 },
}

/// Checked hyperparameters of the regime classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegimeValidParams {
    /// Grid, outer loop.
    pub num_leaves: Vec<usize>,
    /// Grid, inner loop: the most boosting rounds of a point.
    pub n_estimators: Vec<usize>,
    pub learning_rate: f64,
    /// Stop when the validation multi-logloss has not improved for this many rounds.
    pub early_stopping_rounds: usize,
    /// Share of the training rows (oldest first) used for fitting; the rest
    /// is the early-stopping validation period.
    pub fit_fraction: f64,
    /// Bars dropped before the validation and test periods on top of the
    /// label horizon, which is always purged (agent-core's `Purge`).
    #[serde(default)]
    pub embargo: usize,
    /// Tree, binning and determinism parameters (LightGBM's defaults).
    #[serde(flatten)]
    pub tree: TreeParams,
    pub pair_weighting: PairWeighting,
    /// Total compute threads (never exceeded, also not by the grid).
    pub num_threads: usize,
    pub grid_parallelism: GridParallelism,
    /// Train each num_leaves once up to the largest n_estimators and read
    /// the smaller caps off the validation history (identical results,
    /// since early stopping only looks at that history).
    pub share_rounds_across_n_estimators: bool,
}

impl Default for RegimeValidParams {
    /// SPEC T3's values.
    fn default() -> Self {
        Self {
            num_leaves: vec![15, 31],
            n_estimators: vec![100, 200],
            learning_rate: 0.1,
            early_stopping_rounds: 20,
            fit_fraction: 0.8,
            embargo: 0,
            tree: TreeParams::default(),
            pair_weighting: PairWeighting::None,
            num_threads: 2,
            grid_parallelism: GridParallelism::Auto,
            share_rounds_across_n_estimators: true,
        }
    }
}

impl RegimeValidParams {
    pub(crate) fn dataset_params(&self, threads: usize) -> LgbParams {
        self.tree.dataset_params(threads)
    }

    pub(crate) fn booster_params(&self, num_leaves: usize, threads: usize) -> LgbParams {
        let base = self
            .dataset_params(threads)
            .set("objective", "multiclass")
            .set("num_class", 3)
            .set("metric", "multi_logloss")
            .set("boosting", "gbdt")
            .set("learning_rate", self.learning_rate)
            .set("num_leaves", num_leaves);
        self.tree.tree_params(base)
    }
}

/// Unchecked hyperparameters (a builder); see [`RegimeValidParams`] for the
/// meaning and SPEC T3 defaults of each field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegimeParams(pub(crate) RegimeValidParams);

impl RegimeParams {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn num_leaves(mut self, v: Vec<usize>) -> Self {
        self.0.num_leaves = v;
        self
    }

    pub fn n_estimators(mut self, v: Vec<usize>) -> Self {
        self.0.n_estimators = v;
        self
    }

    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.0.learning_rate = lr;
        self
    }

    pub fn early_stopping_rounds(mut self, n: usize) -> Self {
        self.0.early_stopping_rounds = n;
        self
    }

    pub fn fit_fraction(mut self, f: f64) -> Self {
        self.0.fit_fraction = f;
        self
    }
    /// Extra bars purged before each later period, beyond the label horizon.
    pub fn embargo(mut self, bars: usize) -> Self {
        self.0.embargo = bars;
        self
    }

    pub fn pair_weighting(mut self, w: PairWeighting) -> Self {
        self.0.pair_weighting = w;
        self
    }

    pub fn num_threads(mut self, n: usize) -> Self {
        self.0.num_threads = n;
        self
    }

    pub fn grid_parallelism(mut self, p: GridParallelism) -> Self {
        self.0.grid_parallelism = p;
        self
    }

    pub fn share_rounds_across_n_estimators(mut self, on: bool) -> Self {
        self.0.share_rounds_across_n_estimators = on;
        self
    }

    lgbm::lgbm_tree_setters!();
}

fn bad(name: &'static str, value: impl ToString, why: &'static str) -> RegimeError {
    CoreError::invalid_param(name, value, why).into()
}

impl ParamGuard for RegimeParams {
    type Checked = RegimeValidParams;
    type Error = RegimeError;

    fn check_ref(&self) -> Result<&RegimeValidParams, RegimeError> {
        let p = &self.0;
        p.tree.check()?;
        if p.num_leaves.is_empty() {
            return Err(bad("num_leaves", "[]", "the grid needs at least one value"));
        }
        if let Some(nl) = p
            .num_leaves
            .iter()
            .find(|&&nl| !(2..=131_072).contains(&nl))
        {
            return Err(bad("num_leaves", nl, "must be in 2..=131072"));
        }
        if p.n_estimators.is_empty() {
            return Err(bad(
                "n_estimators",
                "[]",
                "the grid needs at least one value",
            ));
        }
        if p.n_estimators.contains(&0) {
            return Err(bad("n_estimators", 0, "must be at least 1"));
        }
        if !(p.learning_rate > 0.0 && p.learning_rate.is_finite()) {
            return Err(bad(
                "learning_rate",
                p.learning_rate,
                "must be positive and finite",
            ));
        }
        if !(p.fit_fraction > 0.0 && p.fit_fraction < 1.0) {
            return Err(bad("fit_fraction", p.fit_fraction, "must be in (0, 1)"));
        }
        if let PairWeighting::MinVolatility { min_median_vol } = p.pair_weighting
            && !(min_median_vol >= 0.0 && min_median_vol.is_finite())
        {
            return Err(bad(
                "pair_weighting.min_median_vol",
                min_median_vol,
                "must be >= 0 and finite",
            ));
        }
        if p.num_threads == 0 {
            return Err(bad("num_threads", 0, "must be at least 1"));
        }
        Ok(p)
    }

    fn check(self) -> Result<RegimeValidParams, RegimeError> {
        self.check_ref()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lgbm::Device;

    #[test]
    fn a_gpu_device_this_build_lacks_is_a_parameter_error() {
        for d in [Device::Gpu, Device::Cuda] {
            let r = RegimeParams::new().device(d).check();
            if d.is_compiled() {
                assert!(r.is_ok());
            } else {
                let e = r.unwrap_err().to_string();
                assert!(e.contains("device") && e.contains(d.as_str()), "{e}");
            }
        }
        assert!(RegimeParams::new().device(Device::Cpu).check().is_ok());
    }

    #[test]
    fn invalid_values_are_named_in_the_error() {
        let e = RegimeParams::new().learning_rate(0.0).check().unwrap_err();
        assert!(e.to_string().contains("learning_rate"), "{e}");
        let e = RegimeParams::new()
            .pair_weighting(PairWeighting::MinVolatility {
                min_median_vol: f64::NAN,
            })
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("min_median_vol"), "{e}");
        let e = RegimeParams::new()
            .n_estimators(vec![])
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("n_estimators"), "{e}");
    }

    #[test]
    fn defaults_are_spec_t3() {
        let p = RegimeParams::new().check().unwrap();
        assert_eq!(p.num_leaves, vec![15, 31]);
        assert_eq!(p.n_estimators, vec![100, 200]);
        assert_eq!((p.learning_rate, p.early_stopping_rounds), (0.1, 20));
    }
}
