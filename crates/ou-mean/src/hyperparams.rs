//! Hyperparameters of the mean-reversion scorer: unchecked
//! [`MeanReversionParams`] (a builder) validate into
//! [`MeanReversionValidParams`] through [`agent_core::ParamGuard`]; errors
//! name the field and the value.

use crate::adf::{AdfOptions, default_max_lag};
use crate::error::{OuMeanError, Result};
use crate::hurst::HurstMethod;
use crate::ou::{OuMethod, OuOptions};
use agent_core::ParamGuard;
use serde::{Deserialize, Serialize};

/// Checked hyperparameters: every value has passed [`ParamGuard::check`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeanReversionValidParams {
    /// Bars per fit window (SPEC T7: 500).
    pub window: usize,
    /// Refit the window every this many bars; in between, the last fit
    /// scores each new price (1 = refit every bar).
    pub refit_every: usize,
    pub ou: OuOptions,
    pub adf: AdfOptions,
    pub hurst: HurstMethod,
    /// Stationarity gate: the ADF p-value must be at most this.
    pub adf_pvalue_max: f64,
    /// Stationarity gate: the Hurst exponent must be below this.
    pub hurst_max: f64,
    /// Half-life filter, in bars: reversion must be neither instant noise...
    pub half_life_min: f64,
    /// ...nor slower than this.
    pub half_life_max: f64,
    /// Open a position when `|z|` reaches this (in equilibrium sigmas).
    pub entry_z: f64,
    /// Close it once `z` is back within this of the mean.
    pub exit_z: f64,
}

impl Default for MeanReversionValidParams {
    fn default() -> Self {
        Self {
            window: 500,
            refit_every: 1,
            ou: OuOptions::default(),
            adf: AdfOptions::default(),
            hurst: HurstMethod::default(),
            adf_pvalue_max: 0.05,
            hurst_max: 0.5,
            half_life_min: 1.0,
            half_life_max: 250.0,
            entry_z: 2.0,
            exit_z: 0.5,
        }
    }
}

/// Unchecked hyperparameters, built fluently and validated once.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MeanReversionParams(MeanReversionValidParams);

impl From<MeanReversionValidParams> for MeanReversionParams {
    /// Start a builder from existing parameters (validated again on `check`).
    fn from(p: MeanReversionValidParams) -> Self {
        Self(p)
    }
}

impl MeanReversionParams {
    /// The defaults: window 500, refit every bar, least-squares OU, ADF with a
    /// constant and AIC lag choice, lagged-differences Hurst over lags 2..20,
    /// gate `p <= 0.05` and `H < 0.5`, half-life in [1, 250] bars, entry at
    /// |z| = 2, exit at |z| = 0.5.
    pub fn new() -> Self {
        Self::default()
    }
    pub fn window(mut self, n: usize) -> Self {
        self.0.window = n;
        self
    }
    pub fn refit_every(mut self, n: usize) -> Self {
        self.0.refit_every = n;
        self
    }
    pub fn ou(mut self, o: OuOptions) -> Self {
        self.0.ou = o;
        self
    }
    pub fn ou_method(mut self, m: OuMethod) -> Self {
        self.0.ou.method = m;
        self
    }
    pub fn adf(mut self, a: AdfOptions) -> Self {
        self.0.adf = a;
        self
    }
    pub fn hurst(mut self, h: HurstMethod) -> Self {
        self.0.hurst = h;
        self
    }
    pub fn adf_pvalue_max(mut self, p: f64) -> Self {
        self.0.adf_pvalue_max = p;
        self
    }
    pub fn hurst_max(mut self, h: f64) -> Self {
        self.0.hurst_max = h;
        self
    }
    pub fn half_life(mut self, min: f64, max: f64) -> Self {
        self.0.half_life_min = min;
        self.0.half_life_max = max;
        self
    }
    pub fn entry_z(mut self, z: f64) -> Self {
        self.0.entry_z = z;
        self
    }
    pub fn exit_z(mut self, z: f64) -> Self {
        self.0.exit_z = z;
        self
    }
}

impl MeanReversionValidParams {
    /// The unchecked builder starting from defaults.
    pub fn params() -> MeanReversionParams {
        MeanReversionParams::new()
    }

    /// Validate every field (what [`ParamGuard`] calls).
    pub fn validate(&self) -> Result<()> {
        let p = self;
        self.ou.validate()?;
        self.hurst.validate()?;
        let min_window = self.hurst.min_len().max(20);
        if p.window < min_window {
            return Err(OuMeanError::param(
                "window",
                p.window,
                format!(
                    "must be at least {min_window} bars for the Hurst method and the ADF regression"
                ),
            ));
        }
        match p.adf.max_lag {
            None => {
                default_max_lag(p.window, p.adf.regression)?;
            }
            Some(l) => {
                let cap = (p.window / 2) as i64 - p.adf.regression.ntrend() as i64 - 1;
                if l as i64 > cap {
                    return Err(OuMeanError::param(
                        "adf.max_lag",
                        l,
                        format!("must be at most window/2 - ntrend - 1 = {cap}"),
                    ));
                }
            }
        }
        if p.refit_every == 0 {
            return Err(OuMeanError::param("refit_every", 0, "must be at least 1"));
        }
        if !(p.adf_pvalue_max > 0.0 && p.adf_pvalue_max <= 1.0) {
            return Err(OuMeanError::param(
                "adf_pvalue_max",
                p.adf_pvalue_max,
                "must be in (0, 1]",
            ));
        }
        if !(p.hurst_max > 0.0 && p.hurst_max.is_finite()) {
            return Err(OuMeanError::param(
                "hurst_max",
                p.hurst_max,
                "must be positive and finite",
            ));
        }
        if !(p.half_life_min >= 0.0 && p.half_life_min.is_finite()) {
            return Err(OuMeanError::param(
                "half_life_min",
                p.half_life_min,
                "must be >= 0 and finite",
            ));
        }
        if p.half_life_max.is_nan() || p.half_life_max <= p.half_life_min {
            return Err(OuMeanError::param(
                "half_life_max",
                p.half_life_max,
                format!("must exceed half_life_min = {}", p.half_life_min),
            ));
        }
        if !(p.entry_z > 0.0 && p.entry_z.is_finite()) {
            return Err(OuMeanError::param(
                "entry_z",
                p.entry_z,
                "must be positive and finite",
            ));
        }
        if !(p.exit_z >= 0.0 && p.exit_z < p.entry_z) {
            return Err(OuMeanError::param(
                "exit_z",
                p.exit_z,
                format!("must be >= 0 and below entry_z = {}", p.entry_z),
            ));
        }
        Ok(())
    }
}

impl ParamGuard for MeanReversionParams {
    type Checked = MeanReversionValidParams;
    type Error = OuMeanError;

    fn check_ref(&self) -> Result<&MeanReversionValidParams> {
        self.0.validate()?;
        Ok(&self.0)
    }

    fn check(self) -> Result<MeanReversionValidParams> {
        self.0.validate()?;
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        assert!(MeanReversionParams::new().check().is_ok());
    }

    #[test]
    fn each_bad_value_is_named_in_the_error() {
        let cases: Vec<(MeanReversionParams, &str)> = vec![
            (MeanReversionParams::new().window(10), "window"),
            (MeanReversionParams::new().refit_every(0), "refit_every"),
            (
                MeanReversionParams::new().adf_pvalue_max(0.0),
                "adf_pvalue_max",
            ),
            (MeanReversionParams::new().hurst_max(f64::NAN), "hurst_max"),
            (
                MeanReversionParams::new().half_life(10.0, 5.0),
                "half_life_max",
            ),
            (MeanReversionParams::new().entry_z(-1.0), "entry_z"),
            (MeanReversionParams::new().exit_z(3.0), "exit_z"),
            (
                MeanReversionParams::new().adf(AdfOptions {
                    max_lag: Some(400),
                    ..Default::default()
                }),
                "adf.max_lag",
            ),
        ];
        for (p, field) in cases {
            let err = p.check().unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{field}`")),
                "expected `{field}` in: {err}"
            );
        }
    }
}
