//! Augmented Dickey-Fuller test, step for step as statsmodels' `adfuller`.
//!
//! * Regression of `dx[t]` on the deterministic terms (`n`: none, `c`:
//!   constant, `ct`: + linear trend, `ctt`: + quadratic trend), the level
//!   `x[t]` and `L` lagged differences `dx[t-1..t-L]`.
//! * Default `maxlag = min(n/2 - ntrend - 1, ceil(12 (n/100)^{1/4}))`.
//! * Lag search (`AIC`, `BIC`, `t-stat`) on the **common sample**
//!   `t = maxlag..n-2` for every `L = 0..maxlag`; AIC/BIC from the OLS
//!   log-likelihood with `k` = number of regressors, the smaller `L` on exact
//!   ties; `t-stat` drops lags from `maxlag` down until the last one has
//!   `|t| >= 1.6448536269514722`. The chosen `L` is then re-fitted on its own
//!   full sample `t = L..n-2`. [`LagSelection::Fixed`] uses `maxlag` lags, as
//!   statsmodels does with `autolag=None`.
//! * p-value: MacKinnon (1994); critical values: MacKinnon (2010) at the
//!   final `nobs` ([`crate::mackinnon`]).
//!
//! Numerics: the deterministic terms are projected out first (Frisch-Waugh-
//! Lovell, with an orthonormal basis), which centres the level column and
//! keeps the normal equations well conditioned. All nested lag models of the
//! search share one Gram matrix: a single Cholesky factor of
//! `[Z y]'[Z y]` yields every model's residual sum of squares as
//! `rho^2 + sum_{i>k} z_i^2` and the t-value of its last column as `z_k / s`,
//! so the whole search costs one `O(m K^2)` pass. The final regression uses
//! Householder QR on its explicit design.

use crate::error::{OuMeanError, Result, check_finite};
use crate::linalg::{cholesky_upper, dot, householder_qr};
use crate::mackinnon::{mackinnon_crit, mackinnon_p};
use serde::{Deserialize, Serialize};

/// Deterministic terms of the test regression (statsmodels' `regression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AdfRegression {
    /// No constant, no trend (`"n"`).
    #[serde(rename = "n")]
    N,
    /// Constant only (`"c"`, the default).
    #[serde(rename = "c")]
    C,
    /// Constant and linear trend (`"ct"`).
    #[serde(rename = "ct")]
    Ct,
    /// Constant, linear and quadratic trend (`"ctt"`).
    #[serde(rename = "ctt")]
    Ctt,
}

impl AdfRegression {
    /// Number of deterministic regressors.
    pub fn ntrend(self) -> usize {
        match self {
            AdfRegression::N => 0,
            AdfRegression::C => 1,
            AdfRegression::Ct => 2,
            AdfRegression::Ctt => 3,
        }
    }

    /// statsmodels' name.
    pub fn as_str(self) -> &'static str {
        match self {
            AdfRegression::N => "n",
            AdfRegression::C => "c",
            AdfRegression::Ct => "ct",
            AdfRegression::Ctt => "ctt",
        }
    }
}

impl std::str::FromStr for AdfRegression {
    type Err = OuMeanError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "n" | "nc" => Ok(AdfRegression::N),
            "c" => Ok(AdfRegression::C),
            "ct" => Ok(AdfRegression::Ct),
            "ctt" => Ok(AdfRegression::Ctt),
            other => Err(OuMeanError::param(
                "regression",
                other,
                "expected one of n, c, ct, ctt",
            )),
        }
    }
}

/// How the number of lagged differences is chosen (statsmodels' `autolag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LagSelection {
    /// Smallest Akaike information criterion (`"AIC"`, the default).
    #[serde(rename = "AIC")]
    Aic,
    /// Smallest Bayesian information criterion (`"BIC"`).
    #[serde(rename = "BIC")]
    Bic,
    /// Backward elimination from `maxlag` until the last lag is significant
    /// at 5% (`"t-stat"`).
    #[serde(rename = "t-stat")]
    TStat,
    /// Exactly `maxlag` lags (`autolag=None`).
    #[serde(rename = "fixed")]
    Fixed,
}

impl LagSelection {
    pub fn as_str(self) -> &'static str {
        match self {
            LagSelection::Aic => "AIC",
            LagSelection::Bic => "BIC",
            LagSelection::TStat => "t-stat",
            LagSelection::Fixed => "fixed",
        }
    }
}

impl std::str::FromStr for LagSelection {
    type Err = OuMeanError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "aic" => Ok(LagSelection::Aic),
            "bic" => Ok(LagSelection::Bic),
            "t-stat" | "tstat" => Ok(LagSelection::TStat),
            "fixed" | "none" => Ok(LagSelection::Fixed),
            _ => Err(OuMeanError::param(
                "autolag",
                s,
                "expected one of AIC, BIC, t-stat, fixed",
            )),
        }
    }
}

/// Options of [`adfuller`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdfOptions {
    pub regression: AdfRegression,
    pub autolag: LagSelection,
    /// `None`: statsmodels' default `ceil(12 (n/100)^{1/4})`, capped at `n/2 - ntrend - 1`.
    pub max_lag: Option<usize>,
}

impl Default for AdfOptions {
    /// `adfuller(x)`: constant, AIC, default maxlag.
    fn default() -> Self {
        Self {
            regression: AdfRegression::C,
            autolag: LagSelection::Aic,
            max_lag: None,
        }
    }
}

/// Critical values of the tau statistic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CriticalValues {
    #[serde(rename = "1%")]
    pub pct1: f64,
    #[serde(rename = "5%")]
    pub pct5: f64,
    #[serde(rename = "10%")]
    pub pct10: f64,
}

/// The result of [`adfuller`], field for field statsmodels' `ADFullerResult`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdfResult {
    /// The tau statistic (t-value of the level coefficient).
    pub stat: f64,
    /// MacKinnon (1994) approximate p-value.
    pub pvalue: f64,
    /// Lagged differences in the final regression.
    pub used_lag: usize,
    /// Observations of the final regression.
    pub nobs: usize,
    /// MacKinnon (2010) critical values at `nobs`.
    pub critical_values: CriticalValues,
    /// Best information criterion (`|t|` of the last lag for `t-stat`);
    /// `None` for a fixed lag.
    pub icbest: Option<f64>,
    /// The largest lag considered.
    pub max_lag: usize,
    pub regression: AdfRegression,
    pub autolag: LagSelection,
}

/// statsmodels' default maximum lag for `n` values, or an error when the
/// series is too short for the regression.
pub fn default_max_lag(n: usize, regression: AdfRegression) -> Result<usize> {
    let cap = (n / 2) as i64 - regression.ntrend() as i64 - 1;
    let schwert = (12.0 * (n as f64 / 100.0).powf(0.25)).ceil() as i64;
    let lag = cap.min(schwert);
    if lag < 0 {
        return Err(OuMeanError::TooShort {
            what: "an ADF test with this regression",
            needed: 2 * (regression.ntrend() + 1),
            got: n,
        });
    }
    Ok(lag as usize)
}

/// Orthonormal basis (columns of length `m`) of the deterministic terms.
fn deterministic_basis(m: usize, regression: AdfRegression) -> Vec<Vec<f64>> {
    let k = regression.ntrend();
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(k);
    // Powers of a trend scaled to [-1, 1] span the same space as statsmodels'
    // 1, t, t^2 with t = 1..m, and keep Gram-Schmidt well conditioned.
    let half = (m as f64 - 1.0) / 2.0;
    for p in 0..k {
        let mut v: Vec<f64> = (0..m)
            .map(|i| {
                let u = if half > 0.0 {
                    (i as f64 - half) / half
                } else {
                    0.0
                };
                u.powi(p as i32)
            })
            .collect();
        // Modified Gram-Schmidt, twice for orthogonality to working precision.
        for _ in 0..2 {
            for q in &basis {
                let c = dot(q, &v);
                for (vi, qi) in v.iter_mut().zip(q) {
                    *vi -= c * qi;
                }
            }
        }
        let nrm = dot(&v, &v).sqrt();
        for vi in v.iter_mut() {
            *vi /= nrm;
        }
        basis.push(v);
    }
    basis
}

fn project_out(col: &mut [f64], basis: &[Vec<f64>]) {
    for q in basis {
        let c = dot(q, col);
        for (vi, qi) in col.iter_mut().zip(q) {
            *vi -= c * qi;
        }
    }
}

/// One nested model of the lag search.
#[derive(Debug, Clone, Copy)]
struct SearchFit {
    ssr: f64,
    /// t-value of the model's last column.
    t_last: f64,
}

/// Run the lag search on the common sample; returns the fit of every lag 0..=maxlag.
fn lag_search(
    x: &[f64],
    dx: &[f64],
    maxlag: usize,
    regression: AdfRegression,
) -> Result<(usize, Vec<SearchFit>)> {
    let nd = dx.len();
    let m = nd - maxlag;
    let kz = 1 + maxlag; // level + lags
    let ncol = kz + 1; // + y
    // Column-major [level, dx[t-1], ..., dx[t-maxlag], dx[t]] over t = maxlag..nd-1.
    let mut z = vec![0.0; ncol * m];
    z[..m].copy_from_slice(&x[maxlag..nd]);
    for l in 1..=maxlag {
        z[l * m..(l + 1) * m].copy_from_slice(&dx[maxlag - l..nd - l]);
    }
    z[kz * m..].copy_from_slice(&dx[maxlag..nd]);
    let basis = deterministic_basis(m, regression);
    if !basis.is_empty() {
        for c in 0..ncol {
            project_out(&mut z[c * m..(c + 1) * m], &basis);
        }
    }
    let mut g = vec![0.0; ncol * ncol];
    for i in 0..ncol {
        let ci = &z[i * m..(i + 1) * m];
        for j in i..ncol {
            let v = dot(ci, &z[j * m..(j + 1) * m]);
            g[i * ncol + j] = v;
            g[j * ncol + i] = v;
        }
    }
    if let Err(col) = cholesky_upper(&mut g, ncol) {
        return Err(if col == kz {
            OuMeanError::InvalidData(
                "ADF lag search: the differences are fitted exactly (zero residuals); the test is undefined".into(),
            )
        } else {
            OuMeanError::Singular {
                what: "the ADF lag-search regression",
                column: col,
            }
        });
    }
    let rho2 = g[kz * ncol + kz].powi(2);
    let zy = |i: usize| g[i * ncol + kz];
    let ntrend = regression.ntrend();
    let mut fits = Vec::with_capacity(maxlag + 1);
    // tail[i] = sum_{j >= i} z_j^2, so SSR of the model with columns 0..=L is rho2 + tail[L+1].
    let mut tail = vec![0.0; kz + 1];
    for i in (0..kz).rev() {
        tail[i] = tail[i + 1] + zy(i).powi(2);
    }
    for l in 0..=maxlag {
        let ssr = rho2 + tail[l + 1];
        let k = ntrend + 1 + l;
        let s = (ssr / (m - k) as f64).sqrt();
        fits.push(SearchFit {
            ssr,
            t_last: zy(l) / s,
        });
    }
    Ok((m, fits))
}

fn llf(ssr: f64, m: usize) -> f64 {
    let n = m as f64;
    -n / 2.0 * ((2.0 * std::f64::consts::PI).ln() + (ssr / n).ln() + 1.0)
}

/// Augmented Dickey-Fuller test of the series `x` (e.g. log prices).
///
/// Errors: a series that is constant, has non-finite values or is too short
/// for the regression, and a `max_lag` above `n/2 - ntrend - 1`.
pub fn adfuller(x: &[f64], opts: &AdfOptions) -> Result<AdfResult> {
    let n = x.len();
    check_finite("the ADF input series", x)?;
    if n < 3 {
        return Err(OuMeanError::TooShort {
            what: "an ADF test",
            needed: 3,
            got: n,
        });
    }
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if lo == hi {
        return Err(OuMeanError::InvalidData(format!(
            "the ADF input series is constant ({lo})"
        )));
    }
    let ntrend = opts.regression.ntrend();
    let maxlag = match opts.max_lag {
        None => default_max_lag(n, opts.regression)?,
        Some(l) => {
            let cap = (n / 2) as i64 - ntrend as i64 - 1;
            if l as i64 > cap {
                return Err(OuMeanError::param(
                    "max_lag",
                    l,
                    format!(
                        "must be at most n/2 - ntrend - 1 = {cap} for {n} values and regression `{}`",
                        opts.regression.as_str()
                    ),
                ));
            }
            l
        }
    };
    let dx: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();

    let (used_lag, icbest) = match opts.autolag {
        LagSelection::Fixed => (maxlag, None),
        sel => {
            let (m, fits) = lag_search(x, &dx, maxlag, opts.regression)?;
            match sel {
                LagSelection::Aic | LagSelection::Bic => {
                    let pen = if sel == LagSelection::Aic {
                        2.0
                    } else {
                        (m as f64).ln()
                    };
                    let mut best = (f64::INFINITY, 0usize);
                    for (l, f) in fits.iter().enumerate() {
                        let k = (ntrend + 1 + l) as f64;
                        let ic = -2.0 * llf(f.ssr, m) + pen * k;
                        // Strictly smaller: exact ties keep the smaller lag, like
                        // Python's min over (ic, lag) tuples.
                        if ic < best.0 {
                            best = (ic, l);
                        }
                    }
                    (best.1, Some(best.0))
                }
                _ => {
                    const STOP: f64 = 1.6448536269514722;
                    let mut chosen = (0usize, 0.0f64);
                    for l in (0..=maxlag).rev() {
                        let t = fits[l].t_last.abs();
                        chosen = (l, t);
                        if t >= STOP {
                            break;
                        }
                    }
                    (chosen.0, Some(chosen.1))
                }
            }
        }
    };

    let (stat, nobs) = final_regression(x, &dx, used_lag, opts.regression)?;
    let crit = mackinnon_crit(opts.regression, Some(nobs));
    Ok(AdfResult {
        stat,
        pvalue: mackinnon_p(stat, opts.regression),
        used_lag,
        nobs,
        critical_values: CriticalValues {
            pct1: crit[0],
            pct5: crit[1],
            pct10: crit[2],
        },
        icbest,
        max_lag: maxlag,
        regression: opts.regression,
        autolag: opts.autolag,
    })
}

/// The test regression with `lag` lags on its full sample; returns (tau, nobs).
fn final_regression(
    x: &[f64],
    dx: &[f64],
    lag: usize,
    regression: AdfRegression,
) -> Result<(f64, usize)> {
    let nd = dx.len();
    let m = nd - lag;
    let k = lag + 1;
    let ktot = k + regression.ntrend();
    if m <= ktot {
        return Err(OuMeanError::TooShort {
            what: "the ADF regression",
            needed: ktot + lag + 2,
            got: x.len(),
        });
    }
    // Lags first, level last: the level's t-value then needs no back-substitution.
    let mut a = vec![0.0; m * k];
    for l in 1..=lag {
        a[(l - 1) * m..l * m].copy_from_slice(&dx[lag - l..nd - l]);
    }
    a[lag * m..].copy_from_slice(&x[lag..nd]);
    let mut y = dx[lag..nd].to_vec();
    let basis = deterministic_basis(m, regression);
    if !basis.is_empty() {
        for c in 0..k {
            project_out(&mut a[c * m..(c + 1) * m], &basis);
        }
        project_out(&mut y, &basis);
    }
    householder_qr(&mut a, m, k, &mut y).map_err(|col| OuMeanError::Singular {
        what: "the ADF regression",
        column: if col == lag { 0 } else { col + 1 },
    })?;
    let ssr = dot(&y[k..], &y[k..]);
    let s = (ssr / (m - ktot) as f64).sqrt();
    let rkk = a[lag * m + lag];
    // coef = y_k / R_kk, se = s / |R_kk|.
    let stat = y[lag] * rkk.signum() / s;
    Ok((stat, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_max_lag_follows_schwert_and_the_sample_cap() {
        assert_eq!(default_max_lag(500, AdfRegression::C).unwrap(), 18);
        assert_eq!(default_max_lag(300, AdfRegression::C).unwrap(), 16);
        // Short series: the cap n/2 - ntrend - 1 binds.
        assert_eq!(default_max_lag(20, AdfRegression::Ct).unwrap(), 7);
        assert!(default_max_lag(3, AdfRegression::Ctt).is_err());
    }

    #[test]
    fn max_lag_above_the_cap_is_rejected_with_its_value() {
        let x: Vec<f64> = (0..40).map(|i| ((i * 37) % 11) as f64).collect();
        let err = adfuller(
            &x,
            &AdfOptions {
                max_lag: Some(30),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("max_lag") && err.to_string().contains("30"),
            "{err}"
        );
    }

    #[test]
    fn constant_series_is_an_error() {
        assert!(adfuller(&[2.0; 50], &AdfOptions::default()).is_err());
    }

    #[test]
    fn regression_and_autolag_parse_statsmodels_names() {
        assert_eq!("ct".parse::<AdfRegression>().unwrap(), AdfRegression::Ct);
        assert_eq!(
            "t-stat".parse::<LagSelection>().unwrap(),
            LagSelection::TStat
        );
        assert_eq!("BIC".parse::<LagSelection>().unwrap(), LagSelection::Bic);
        assert!("x".parse::<AdfRegression>().is_err());
    }
}
