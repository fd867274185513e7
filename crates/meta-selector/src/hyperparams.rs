//! Hyperparameters: the LightGBM tree parameters of SPEC T2, the grid over
//! learning_rate x num_leaves, early stopping and threading. Built unchecked
//! ([`MetaSelectorParams`]), validated once into [`MetaSelectorValidParams`];
//! errors name the field and value.

use crate::error::MetaSelectorError;
use crate::lgbm::{Device, LgbParams};
use agent_core::{CoreError, ParamGuard};
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
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    /// -1 = unlimited.
    pub max_depth: i32,
    pub feature_fraction: f64,
    pub lambda_l1: f64,
    pub lambda_l2: f64,
    pub max_bin: usize,
    pub min_data_in_bin: usize,
    /// Total compute threads (never exceeded, also not by the grid).
    pub num_threads: usize,
    pub grid_parallelism: GridParallelism,
    pub seed: u64,
    /// Where the trees are grown; see [`Device`].
    #[serde(default)]
    pub device: Device,
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
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            max_depth: -1,
            feature_fraction: 1.0,
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            max_bin: 255,
            min_data_in_bin: 3,
            num_threads: 2,
            grid_parallelism: GridParallelism::Auto,
            seed: 0,
            device: Device::Cpu,
        }
    }
}

impl MetaSelectorValidParams {
    /// Parameters for building LightGBM datasets (binning).
    pub(crate) fn dataset_params(&self, threads: usize) -> LgbParams {
        LgbParams::new()
            .set("max_bin", self.max_bin)
            .set("min_data_in_bin", self.min_data_in_bin)
            .set("min_data_in_leaf", self.min_data_in_leaf)
            .set("data_random_seed", self.seed)
            .set("num_threads", threads)
            .set("device_type", self.device.as_str())
    }

    /// Booster parameters for one grid point.
    pub(crate) fn booster_params(
        &self,
        learning_rate: f64,
        num_leaves: usize,
        threads: usize,
    ) -> LgbParams {
        self.dataset_params(threads)
            .set("objective", "regression")
            .set("metric", "l2")
            .set("boosting", "gbdt")
            .set("learning_rate", learning_rate)
            .set("num_leaves", num_leaves)
            .set("min_sum_hessian_in_leaf", self.min_sum_hessian_in_leaf)
            .set("max_depth", self.max_depth)
            .set("feature_fraction", self.feature_fraction)
            .set("bagging_fraction", 1.0)
            .set("bagging_freq", 0)
            .set("lambda_l1", self.lambda_l1)
            .set("lambda_l2", self.lambda_l2)
            .set("boost_from_average", true)
            .set("deterministic", true)
            .set("seed", self.seed)
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

    pub fn min_data_in_leaf(mut self, n: usize) -> Self {
        self.0.min_data_in_leaf = n;
        self
    }

    pub fn min_sum_hessian_in_leaf(mut self, v: f64) -> Self {
        self.0.min_sum_hessian_in_leaf = v;
        self
    }

    pub fn max_depth(mut self, d: i32) -> Self {
        self.0.max_depth = d;
        self
    }

    pub fn feature_fraction(mut self, f: f64) -> Self {
        self.0.feature_fraction = f;
        self
    }

    pub fn lambda_l1(mut self, v: f64) -> Self {
        self.0.lambda_l1 = v;
        self
    }

    pub fn lambda_l2(mut self, v: f64) -> Self {
        self.0.lambda_l2 = v;
        self
    }

    pub fn max_bin(mut self, n: usize) -> Self {
        self.0.max_bin = n;
        self
    }

    pub fn min_data_in_bin(mut self, n: usize) -> Self {
        self.0.min_data_in_bin = n;
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

    pub fn seed(mut self, s: u64) -> Self {
        self.0.seed = s;
        self
    }

    /// Grow trees on the GPU (OpenCL) or CUDA: needs the crate's `gpu` or
    /// `cuda` feature.
    pub fn device(mut self, d: Device) -> Self {
        self.0.device = d;
        self
    }
}

fn bad(name: &'static str, value: impl ToString, why: &'static str) -> MetaSelectorError {
    CoreError::invalid_param(name, value, why).into()
}

impl ParamGuard for MetaSelectorParams {
    type Checked = MetaSelectorValidParams;
    type Error = MetaSelectorError;

    fn check_ref(&self) -> Result<&MetaSelectorValidParams, MetaSelectorError> {
        let p = &self.0;
        if !p.device.is_compiled() {
            return Err(bad(
                "device",
                p.device.as_str(),
                "this build of LightGBM lacks that tree learner; rebuild with the crate's `gpu` or `cuda` feature",
            ));
        }
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
        if !(p.fit_fraction > 0.0 && p.fit_fraction < 1.0) {
            return Err(bad("fit_fraction", p.fit_fraction, "must be in (0, 1)"));
        }
        if !(p.min_sum_hessian_in_leaf >= 0.0 && p.min_sum_hessian_in_leaf.is_finite()) {
            return Err(bad(
                "min_sum_hessian_in_leaf",
                p.min_sum_hessian_in_leaf,
                "must be >= 0 and finite",
            ));
        }
        if p.max_depth == 0 || p.max_depth < -1 {
            return Err(bad(
                "max_depth",
                p.max_depth,
                "must be -1 (unlimited) or >= 1",
            ));
        }
        if !(p.feature_fraction > 0.0 && p.feature_fraction <= 1.0) {
            return Err(bad(
                "feature_fraction",
                p.feature_fraction,
                "must be in (0, 1]",
            ));
        }
        for (name, v) in [("lambda_l1", p.lambda_l1), ("lambda_l2", p.lambda_l2)] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(bad(name, v, "must be >= 0 and finite"));
            }
        }
        if p.max_bin < 2 {
            return Err(bad("max_bin", p.max_bin, "must be at least 2"));
        }
        if p.min_data_in_bin == 0 {
            return Err(bad("min_data_in_bin", 0, "must be at least 1"));
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
}
