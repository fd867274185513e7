//! Hyperparameters: the LightGBM tree parameters of SPEC T2, the grid over
//! learning_rate x num_leaves, early stopping and threading. Built unchecked
//! ([`MetaSelectorParams`]), validated once into [`MetaSelectorValidParams`];
//! errors name the field and value.

use crate::error::MetaSelectorError;
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

/// Checked hyperparameters of the meta-selector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaSelectorValidParams {
    /// Grid, outer loop.
    pub learning_rates: Vec<f64>,
    /// Grid, inner loop.
    pub num_leaves: Vec<usize>,
    /// Most boosting rounds per grid point.
    pub max_rounds: usize,
    /// Stop when the validation MSE has not improved for this many rounds.
    pub early_stopping_rounds: usize,
    /// Share of the training decision groups (oldest first) used for
    /// fitting; the rest is the early-stopping validation period.
    pub fit_fraction: f64,
    /// Decision-time units purged before the validation and test periods on
    /// top of each target's own end, which is always purged.
    #[serde(default)]
    pub embargo: i64,
    /// Tree, binning and determinism parameters (LightGBM's defaults).
    #[serde(flatten)]
    pub tree: TreeParams,
    /// Total compute threads (never exceeded, also not by the grid).
    pub num_threads: usize,
    pub grid_parallelism: GridParallelism,
}

impl Default for MetaSelectorValidParams {
    /// SPEC T2's values.
    fn default() -> Self {
        Self {
            learning_rates: vec![0.05, 0.1],
            num_leaves: vec![15, 31, 63],
            max_rounds: 500,
            early_stopping_rounds: 30,
            fit_fraction: 0.8,
            embargo: 0,
            tree: TreeParams::default(),
            num_threads: 2,
            grid_parallelism: GridParallelism::Auto,
        }
    }
}

impl MetaSelectorValidParams {
    /// Parameters for building LightGBM datasets (binning).
    pub(crate) fn dataset_params(&self, threads: usize) -> LgbParams {
        self.tree.dataset_params(threads)
    }

    /// Booster parameters for one grid point.
    pub(crate) fn booster_params(
        &self,
        learning_rate: f64,
        num_leaves: usize,
        threads: usize,
    ) -> LgbParams {
        let base = self
            .dataset_params(threads)
            .set("objective", "regression")
            .set("metric", "l2")
            .set("boosting", "gbdt")
            .set("learning_rate", learning_rate)
            .set("num_leaves", num_leaves)
            .set("boost_from_average", true);
        self.tree.tree_params(base)
    }
}

/// Unchecked hyperparameters (a builder); see [`MetaSelectorValidParams`]
/// for the meaning and SPEC T2 defaults of each field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetaSelectorParams(pub(crate) MetaSelectorValidParams);

impl MetaSelectorParams {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn learning_rates(mut self, v: Vec<f64>) -> Self {
        self.0.learning_rates = v;
        self
    }

    pub fn num_leaves(mut self, v: Vec<usize>) -> Self {
        self.0.num_leaves = v;
        self
    }

    pub fn max_rounds(mut self, n: usize) -> Self {
        self.0.max_rounds = n;
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

    /// Extra decision-time units purged before each later period.
    pub fn embargo(mut self, units: i64) -> Self {
        self.0.embargo = units;
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

    lgbm::lgbm_tree_setters!();
}

fn bad(name: &'static str, value: impl ToString, why: &'static str) -> MetaSelectorError {
    CoreError::invalid_param(name, value, why).into()
}

impl ParamGuard for MetaSelectorParams {
    type Checked = MetaSelectorValidParams;
    type Error = MetaSelectorError;

    fn check_ref(&self) -> Result<&MetaSelectorValidParams, MetaSelectorError> {
        let p = &self.0;
        p.tree.check()?;
        if p.learning_rates.is_empty() {
            return Err(bad(
                "learning_rates",
                "[]",
                "the grid needs at least one value",
            ));
        }
        if let Some(lr) = p
            .learning_rates
            .iter()
            .find(|&&lr| !(lr > 0.0 && lr.is_finite()))
        {
            return Err(bad("learning_rates", lr, "must be positive and finite"));
        }
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
        if p.max_rounds == 0 {
            return Err(bad("max_rounds", 0, "must be at least 1"));
        }
        if p.embargo < 0 {
            return Err(bad("embargo", p.embargo, "must be >= 0"));
        }
        if !(p.fit_fraction > 0.0 && p.fit_fraction < 1.0) {
            return Err(bad("fit_fraction", p.fit_fraction, "must be in (0, 1)"));
        }
        if p.num_threads == 0 {
            return Err(bad("num_threads", 0, "must be at least 1"));
        }
        Ok(p)
    }

    fn check(self) -> Result<MetaSelectorValidParams, MetaSelectorError> {
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
            let r = MetaSelectorParams::new().device(d).check();
            if d.is_compiled() {
                assert!(r.is_ok());
            } else {
                let e = r.unwrap_err().to_string();
                assert!(e.contains("device") && e.contains(d.as_str()), "{e}");
            }
        }
        assert!(
            MetaSelectorParams::new()
                .device(Device::Cpu)
                .check()
                .is_ok()
        );
    }

    #[test]
    fn invalid_values_are_named_in_the_error() {
        let e = MetaSelectorParams::new()
            .learning_rates(vec![0.1, -1.0])
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("learning_rates"), "{e}");
        assert!(e.to_string().contains("-1"), "{e}");
        let e = MetaSelectorParams::new()
            .num_threads(0)
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("num_threads"), "{e}");
        let e = MetaSelectorParams::new()
            .num_leaves(vec![1])
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("num_leaves"), "{e}");
    }

    #[test]
    fn defaults_are_spec_t2() {
        let p = MetaSelectorParams::new().check().unwrap();
        assert_eq!(p.learning_rates, vec![0.05, 0.1]);
        assert_eq!(p.num_leaves, vec![15, 31, 63]);
        assert_eq!((p.max_rounds, p.early_stopping_rounds), (500, 30));
    }

    #[test]
    fn saved_hyperparameters_stay_one_flat_object() {
        let v = serde_json::to_value(MetaSelectorValidParams::default()).unwrap();
        for k in lgbm::TreeParams::KEYS {
            assert!(v.get(k).is_some(), "{k} at the top level: {v}");
        }
        assert!(v.get("tree").is_none());
        // Manifests written before `device` existed still load.
        let mut old = v.clone();
        old.as_object_mut().unwrap().remove("device");
        let back: MetaSelectorValidParams = serde_json::from_value(old).unwrap();
        assert_eq!(back, MetaSelectorValidParams::default());
    }
}
