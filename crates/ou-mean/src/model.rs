//! The mean-reversion model: one window's OU + ADF + Hurst fit, the
//! stationarity gate, and the score and long/short/flat suggestion for a price.

use crate::adf::{AdfOptions, AdfResult, adfuller};
use crate::error::{OuMeanError, Result, check_finite};
use crate::hurst::{HurstMethod, HurstResult, hurst};
use crate::hyperparams::MeanReversionValidParams;
use crate::ou::{OuFit, OuOptions, fit_ou};
use agent_core::{Fit, Predict};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything fitted on one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowFit {
    pub ou: OuFit,
    pub adf: AdfResult,
    pub hurst: HurstResult,
}

/// Fit OU, run the ADF test and estimate the Hurst exponent on one window of
/// a level series (log prices in SPEC T7).
pub fn analyze_window(
    x: &[f64],
    ou: &OuOptions,
    adf: &AdfOptions,
    hurst_method: &HurstMethod,
) -> Result<WindowFit> {
    Ok(WindowFit {
        ou: fit_ou(x, ou)?,
        adf: adfuller(x, adf)?,
        hurst: hurst(x, hurst_method)?,
    })
}

/// [`analyze_window`] on the windows `x[step*j .. step*j + window]`,
/// `j = 0..(len - window)/step`, in parallel on `n_threads` threads (0 =
/// rayon's default pool). Each window's result is independent: one failing
/// window does not stop the others.
pub fn analyze_windows(
    x: &[f64],
    window: usize,
    step: usize,
    ou: &OuOptions,
    adf: &AdfOptions,
    hurst_method: &HurstMethod,
    n_threads: usize,
) -> Result<Vec<Result<WindowFit>>> {
    if window == 0 || step == 0 {
        return Err(OuMeanError::param(
            if window == 0 { "window" } else { "step" },
            0,
            "must be at least 1",
        ));
    }
    if x.len() < window {
        return Err(OuMeanError::TooShort {
            what: "rolling windows",
            needed: window,
            got: x.len(),
        });
    }
    let n_windows = (x.len() - window) / step + 1;
    let run = || {
        (0..n_windows)
            .into_par_iter()
            .map(|j| analyze_window(&x[step * j..step * j + window], ou, adf, hurst_method))
            .collect::<Vec<_>>()
    };
    in_pool(n_threads, run)
}

/// Run `f` on a pool of `n_threads` threads (0 = the global pool).
pub(crate) fn in_pool<T: Send>(n_threads: usize, f: impl FnOnce() -> T + Send) -> Result<T> {
    if n_threads == 0 {
        return Ok(f());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n_threads)
        .build()
        .map_err(|e| {
            OuMeanError::InvalidData(format!("cannot start a pool of {n_threads} threads: {e}"))
        })?;
    Ok(pool.install(f))
}

/// What the scorer keeps of a window fit: flat numbers, NaN where undefined.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FitSummary {
    pub mu: f64,
    pub theta: f64,
    pub sigma: f64,
    pub sigma_eq: f64,
    pub half_life: f64,
    pub ssr: f64,
    pub log_likelihood: f64,
    pub se_mu: f64,
    pub se_theta: f64,
    pub se_sigma: f64,
    pub se_half_life: f64,
    pub ou_at_bound: bool,
    pub adf_stat: f64,
    pub adf_pvalue: f64,
    pub adf_used_lag: usize,
    pub adf_nobs: usize,
    pub adf_crit: [f64; 3],
    /// NaN for a fixed lag.
    pub adf_icbest: f64,
    pub hurst: f64,
    /// Values in the window.
    pub n_obs: usize,
    /// The window's last log price.
    pub last_log_price: f64,
}

impl FitSummary {
    /// Field names in the order of [`FitSummary::to_vec`] (the `fit.npy` layout).
    pub const FIELDS: [&'static str; 23] = [
        "mu",
        "theta",
        "sigma",
        "sigma_eq",
        "half_life",
        "ssr",
        "log_likelihood",
        "se_mu",
        "se_theta",
        "se_sigma",
        "se_half_life",
        "ou_at_bound",
        "adf_stat",
        "adf_pvalue",
        "adf_used_lag",
        "adf_nobs",
        "adf_crit_1pct",
        "adf_crit_5pct",
        "adf_crit_10pct",
        "adf_icbest",
        "hurst",
        "n_obs",
        "last_log_price",
    ];

    pub fn from_fit(f: &WindowFit, last_log_price: f64) -> Self {
        Self {
            mu: f.ou.mu,
            theta: f.ou.theta,
            sigma: f.ou.sigma,
            sigma_eq: f.ou.sigma_eq,
            half_life: f.ou.half_life,
            ssr: f.ou.ssr,
            log_likelihood: f.ou.log_likelihood,
            se_mu: f.ou.std_errors.mu,
            se_theta: f.ou.std_errors.theta,
            se_sigma: f.ou.std_errors.sigma,
            se_half_life: f.ou.std_errors.half_life,
            ou_at_bound: f.ou.at_bound,
            adf_stat: f.adf.stat,
            adf_pvalue: f.adf.pvalue,
            adf_used_lag: f.adf.used_lag,
            adf_nobs: f.adf.nobs,
            adf_crit: [
                f.adf.critical_values.pct1,
                f.adf.critical_values.pct5,
                f.adf.critical_values.pct10,
            ],
            adf_icbest: f.adf.icbest.unwrap_or(f64::NAN),
            hurst: f.hurst.h,
            n_obs: f.ou.n_obs,
            last_log_price,
        }
    }

    pub fn to_vec(&self) -> Vec<f64> {
        vec![
            self.mu,
            self.theta,
            self.sigma,
            self.sigma_eq,
            self.half_life,
            self.ssr,
            self.log_likelihood,
            self.se_mu,
            self.se_theta,
            self.se_sigma,
            self.se_half_life,
            f64::from(u8::from(self.ou_at_bound)),
            self.adf_stat,
            self.adf_pvalue,
            self.adf_used_lag as f64,
            self.adf_nobs as f64,
            self.adf_crit[0],
            self.adf_crit[1],
            self.adf_crit[2],
            self.adf_icbest,
            self.hurst,
            self.n_obs as f64,
            self.last_log_price,
        ]
    }

    /// Inverse of [`FitSummary::to_vec`]; `None` on a wrong length.
    pub fn from_slice(v: &[f64]) -> Option<Self> {
        if v.len() != Self::FIELDS.len() {
            return None;
        }
        Some(Self {
            mu: v[0],
            theta: v[1],
            sigma: v[2],
            sigma_eq: v[3],
            half_life: v[4],
            ssr: v[5],
            log_likelihood: v[6],
            se_mu: v[7],
            se_theta: v[8],
            se_sigma: v[9],
            se_half_life: v[10],
            ou_at_bound: v[11] != 0.0,
            adf_stat: v[12],
            adf_pvalue: v[13],
            adf_used_lag: v[14] as usize,
            adf_nobs: v[15] as usize,
            adf_crit: [v[16], v[17], v[18]],
            adf_icbest: v[19],
            hurst: v[20],
            n_obs: v[21] as usize,
            last_log_price: v[22],
        })
    }
}

/// A trading suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suggestion {
    Long,
    Short,
    #[default]
    Flat,
}

impl Suggestion {
    /// +1, -1 or 0.
    pub fn position(self) -> i8 {
        match self {
            Suggestion::Long => 1,
            Suggestion::Short => -1,
            Suggestion::Flat => 0,
        }
    }
}

/// The stationarity gate and half-life filter, item by item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Gate {
    /// ADF p-value at most `adf_pvalue_max`.
    pub adf_ok: bool,
    /// Hurst exponent below `hurst_max`.
    pub hurst_ok: bool,
    /// Half-life within `[half_life_min, half_life_max]`.
    pub half_life_ok: bool,
}

impl Gate {
    pub fn passed(&self) -> bool {
        self.adf_ok && self.hurst_ok && self.half_life_ok
    }

    /// Evaluate the gate of a fit under the thresholds of `p`.
    pub fn of(fit: &FitSummary, p: &Thresholds) -> Self {
        Gate {
            adf_ok: fit.adf_pvalue <= p.adf_pvalue_max,
            hurst_ok: fit.hurst < p.hurst_max,
            half_life_ok: fit.half_life >= p.half_life_min && fit.half_life <= p.half_life_max,
        }
    }
}

/// The decision thresholds, separate from the fitting options so a threshold
/// search can reuse the same window fits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub adf_pvalue_max: f64,
    pub hurst_max: f64,
    pub half_life_min: f64,
    pub half_life_max: f64,
    pub entry_z: f64,
    pub exit_z: f64,
}

impl From<&MeanReversionValidParams> for Thresholds {
    fn from(p: &MeanReversionValidParams) -> Self {
        Thresholds {
            adf_pvalue_max: p.adf_pvalue_max,
            hurst_max: p.hurst_max,
            half_life_min: p.half_life_min,
            half_life_max: p.half_life_max,
            entry_z: p.entry_z,
            exit_z: p.exit_z,
        }
    }
}

impl Thresholds {
    /// Copy these thresholds into a full parameter set.
    pub fn apply(&self, p: &mut MeanReversionValidParams) {
        p.adf_pvalue_max = self.adf_pvalue_max;
        p.hurst_max = self.hurst_max;
        p.half_life_min = self.half_life_min;
        p.half_life_max = self.half_life_max;
        p.entry_z = self.entry_z;
        p.exit_z = self.exit_z;
    }
}

/// The score of one price.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// `(ln price - mu) / sigma_eq`.
    pub z: f64,
    /// Mean-reversion score in [-1, 1]: `-z / entry_z` clipped, 0 when the gate
    /// fails. Positive favours long (price below the mean).
    pub score: f64,
    pub suggestion: Suggestion,
    pub gate: Gate,
}

/// The position rule with hysteresis: enter at `|z| >= entry_z` against the
/// deviation, exit once `z` crosses back within `exit_z`; a failed gate
/// closes any position.
pub fn decide(z: f64, gate: Gate, current: Suggestion, t: &Thresholds) -> Suggestion {
    if !gate.passed() || !z.is_finite() {
        return Suggestion::Flat;
    }
    match current {
        Suggestion::Flat if z <= -t.entry_z => Suggestion::Long,
        Suggestion::Flat if z >= t.entry_z => Suggestion::Short,
        Suggestion::Flat => Suggestion::Flat,
        Suggestion::Long if z >= -t.exit_z => Suggestion::Flat,
        Suggestion::Short if z <= t.exit_z => Suggestion::Flat,
        held => held,
    }
}

/// Score a log price against a fit.
pub fn score_log_price(
    fit: &FitSummary,
    log_price: f64,
    current: Suggestion,
    t: &Thresholds,
) -> Score {
    let z = (log_price - fit.mu) / fit.sigma_eq;
    let gate = Gate::of(fit, t);
    let score = if gate.passed() && z.is_finite() {
        (-z / t.entry_z).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    Score {
        z,
        score,
        suggestion: decide(z, gate, current, t),
        gate,
    }
}

/// Natural logs of strictly positive, finite prices.
pub fn log_prices(prices: &[f64]) -> Result<Vec<f64>> {
    check_finite("the price series", prices)?;
    if let Some(i) = prices.iter().position(|&p| p <= 0.0) {
        return Err(OuMeanError::InvalidData(format!(
            "prices must be positive (they are scored as log prices); index {i} has {}",
            prices[i]
        )));
    }
    Ok(prices.iter().map(|p| p.ln()).collect())
}

/// A fitted mean-reversion model: the parameters of the last window and the
/// thresholds to score new prices with.
#[derive(Debug, Clone, PartialEq)]
pub struct MeanReversionModel {
    pub(crate) params: MeanReversionValidParams,
    pub(crate) fit: FitSummary,
    pub(crate) data_fingerprint: Option<String>,
    /// Where the training data came from (see `agent_core::provenance`).
    pub(crate) provenance: Option<agent_core::Provenance>,
    pub(crate) metrics: BTreeMap<String, f64>,
}

impl MeanReversionModel {
    /// Fit on the last `params.window` prices (strictly positive; scored as
    /// log prices).
    pub fn fit_prices(params: &MeanReversionValidParams, prices: &[f64]) -> Result<Self> {
        params.validate()?;
        if prices.len() < params.window {
            return Err(OuMeanError::TooShort {
                what: "a mean-reversion fit",
                needed: params.window,
                got: prices.len(),
            });
        }
        let x = log_prices(&prices[prices.len() - params.window..])?;
        let wf = analyze_window(&x, &params.ou, &params.adf, &params.hurst)?;
        let last = x[x.len() - 1];
        Ok(Self {
            params: params.clone(),
            fit: FitSummary::from_fit(&wf, last),
            data_fingerprint: Some(fingerprint(prices)),
            provenance: None,
            metrics: BTreeMap::new(),
        })
    }

    pub fn params(&self) -> &MeanReversionValidParams {
        &self.params
    }

    pub fn fit_summary(&self) -> &FitSummary {
        &self.fit
    }

    /// Out-of-sample metrics recorded with the model (saved in the manifest).
    pub fn metrics(&self) -> &BTreeMap<String, f64> {
        &self.metrics
    }

    /// Record out-of-sample metrics (e.g. from [`crate::rolling::evaluate`]).
    pub fn with_metrics(mut self, metrics: BTreeMap<String, f64>) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn gate(&self) -> Gate {
        Gate::of(&self.fit, &Thresholds::from(&self.params))
    }

    /// Z-score of a price in equilibrium-sigma units.
    pub fn zscore(&self, price: f64) -> f64 {
        (price.ln() - self.fit.mu) / self.fit.sigma_eq
    }

    /// Score a price given the position currently held.
    pub fn score_price(&self, price: f64, current: Suggestion) -> Result<Score> {
        if !(price > 0.0 && price.is_finite()) {
            return Err(OuMeanError::InvalidData(format!(
                "price must be positive and finite, got {price}"
            )));
        }
        Ok(score_log_price(
            &self.fit,
            price.ln(),
            current,
            &Thresholds::from(&self.params),
        ))
    }

    /// Score the last price of the fit window from a flat position.
    pub fn score_last(&self) -> Score {
        score_log_price(
            &self.fit,
            self.fit.last_log_price,
            Suggestion::Flat,
            &Thresholds::from(&self.params),
        )
    }
}

/// `sha256:` of the prices' little-endian bytes, for the manifest.
pub(crate) fn fingerprint(prices: &[f64]) -> String {
    let bytes: Vec<u8> = prices.iter().flat_map(|p| p.to_le_bytes()).collect();
    format!("sha256:{}", agent_core::persist::sha256_hex(&bytes))
}

impl Fit<[f64]> for MeanReversionValidParams {
    type Model = MeanReversionModel;
    type Error = OuMeanError;

    /// Fit on the last `window` prices.
    fn fit(&self, prices: &[f64]) -> Result<MeanReversionModel> {
        MeanReversionModel::fit_prices(self, prices)
    }
}

impl Predict<f64> for MeanReversionModel {
    type Output = Result<Score>;

    /// Score a price from a flat position.
    fn predict(&self, price: f64) -> Result<Score> {
        self.score_price(price, Suggestion::Flat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th() -> Thresholds {
        Thresholds::from(&MeanReversionValidParams::default())
    }

    #[test]
    fn hysteresis_enters_at_entry_z_and_exits_at_exit_z() {
        let open = Gate {
            adf_ok: true,
            hurst_ok: true,
            half_life_ok: true,
        };
        let t = th();
        assert_eq!(decide(-2.1, open, Suggestion::Flat, &t), Suggestion::Long);
        assert_eq!(decide(-1.0, open, Suggestion::Long, &t), Suggestion::Long);
        assert_eq!(decide(-0.4, open, Suggestion::Long, &t), Suggestion::Flat);
        assert_eq!(decide(2.0, open, Suggestion::Flat, &t), Suggestion::Short);
        assert_eq!(decide(0.6, open, Suggestion::Short, &t), Suggestion::Short);
        assert_eq!(decide(0.5, open, Suggestion::Short, &t), Suggestion::Flat);
        assert_eq!(decide(1.9, open, Suggestion::Flat, &t), Suggestion::Flat);
        let shut = Gate {
            adf_ok: false,
            ..open
        };
        assert_eq!(decide(-5.0, shut, Suggestion::Long, &t), Suggestion::Flat);
    }

    #[test]
    fn non_positive_prices_are_rejected_with_their_index() {
        let err = log_prices(&[1.0, 2.0, 0.0]).unwrap_err().to_string();
        assert!(err.contains("index 2"), "{err}");
    }
}
