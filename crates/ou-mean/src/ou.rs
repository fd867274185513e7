//! Ornstein-Uhlenbeck estimation on the exact AR(1) discretisation
//!
//! `x[t+1] = x[t] e^{-theta dt} + mu (1 - e^{-theta dt}) + eps`,
//! `eps ~ N(0, sigma^2 (1 - e^{-2 theta dt}) / (2 theta))`.
//!
//! * [`OuMethod::LeastSquares`] (SPEC T7, the original suite's approach done
//!   right): the closed-form OLS of `x[t+1] = a + b x[t]` gives the start
//!   `(mu, theta) = (a/(1-b), -ln(b)/dt)` (or `(mean, theta_min)` when `b` is
//!   not in (0, 1)), clipped into the box; a bounded Levenberg-Marquardt
//!   iteration ([`crate::nls`]) then minimises the sum of squared residuals
//!   with the analytic Jacobian. `sigma` comes from `s2 = SSR / (n - 1)`.
//! * [`OuMethod::MaximumLikelihood`]: the exact Gaussian likelihood including
//!   the stationary density of the first value, `x[0] ~ N(mu, sigma^2/(2 theta))`.
//!   Profiling out `sigma` leaves `min S(mu, b) (1 - b^2)^{-1/n}` with
//!   `S = (1 - b^2)(x[0] - mu)^2 + sum eps^2`: again a sum of squares, solved
//!   by the same bounded iteration from the least-squares solution.
//!
//! Both keep `mu` in `[min(x) - mu_margin, max(x) + mu_margin]` and `theta`
//! in `[theta_min, theta_max]`: trending windows have no finite mean to revert
//! to, and the box keeps such fits finite and reproducible.

use crate::error::{OuMeanError, Result, check_finite};
use crate::linalg::simple_ols;
use crate::nls::{LmOptions, LmStatus, Residuals, minimize};
use serde::{Deserialize, Serialize};

/// Estimation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OuMethod {
    /// Nonlinear least squares on the exact discretisation (SPEC T7).
    LeastSquares,
    /// Exact Gaussian maximum likelihood with a stationary first value.
    MaximumLikelihood,
}

/// Options of [`fit_ou`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OuOptions {
    pub method: OuMethod,
    /// Time between observations in the units `theta` is quoted in (1 = per bar).
    pub dt: f64,
    /// Lower bound of `theta` (SPEC: 1e-4).
    pub theta_min: f64,
    /// Upper bound of `theta` (SPEC: 2.0).
    pub theta_max: f64,
    /// `mu` may leave the observed range by this much (SPEC: 0.5).
    pub mu_margin: f64,
    /// Solver tolerances.
    pub lm: LmOptions,
}

impl Default for OuOptions {
    /// The SPEC T7 setup: least squares, dt = 1 bar, theta in [1e-4, 2],
    /// mu within 0.5 of the observed range, tolerances 1e-12.
    fn default() -> Self {
        Self {
            method: OuMethod::LeastSquares,
            dt: 1.0,
            theta_min: 1e-4,
            theta_max: 2.0,
            mu_margin: 0.5,
            lm: LmOptions::default(),
        }
    }
}

impl OuOptions {
    /// Check every field; errors name the field and value.
    pub fn validate(&self) -> Result<()> {
        if !(self.dt > 0.0 && self.dt.is_finite()) {
            return Err(OuMeanError::param(
                "dt",
                self.dt,
                "must be positive and finite",
            ));
        }
        if !(self.theta_min > 0.0 && self.theta_min.is_finite()) {
            return Err(OuMeanError::param(
                "theta_min",
                self.theta_min,
                "must be positive",
            ));
        }
        if !(self.theta_max > self.theta_min && self.theta_max.is_finite()) {
            return Err(OuMeanError::param(
                "theta_max",
                self.theta_max,
                format!(
                    "must be finite and greater than theta_min = {}",
                    self.theta_min
                ),
            ));
        }
        if !(self.mu_margin >= 0.0 && self.mu_margin.is_finite()) {
            return Err(OuMeanError::param(
                "mu_margin",
                self.mu_margin,
                "must be >= 0 and finite",
            ));
        }
        for (name, v) in [
            ("lm.ftol", self.lm.ftol),
            ("lm.xtol", self.lm.xtol),
            ("lm.gtol", self.lm.gtol),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(OuMeanError::param(name, v, "must be >= 0 and finite"));
            }
        }
        if self.lm.max_nfev < 2 {
            return Err(OuMeanError::param(
                "lm.max_nfev",
                self.lm.max_nfev,
                "must be at least 2",
            ));
        }
        Ok(())
    }
}

/// Standard errors of an OU fit. A parameter that ends on a bound was not
/// estimated freely: its error is NaN, and the others are conditional on it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OuStdErrors {
    pub mu: f64,
    pub theta: f64,
    pub sigma: f64,
    pub half_life: f64,
}

/// A fitted Ornstein-Uhlenbeck process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OuFit {
    pub method: OuMethod,
    /// Long-run mean (same units as the series).
    pub mu: f64,
    /// Mean-reversion speed per unit of `dt`.
    pub theta: f64,
    /// Diffusion coefficient.
    pub sigma: f64,
    /// Equilibrium (stationary) standard deviation `sigma / sqrt(2 theta)`.
    pub sigma_eq: f64,
    /// `ln 2 / theta`, in units of `dt`.
    pub half_life: f64,
    /// Sum of squared one-step residuals at the solution.
    pub ssr: f64,
    /// Log-likelihood: conditional on `x[0]` for least squares, exact for ML.
    pub log_likelihood: f64,
    /// Number of values in the series (transitions = `n_obs - 1`).
    pub n_obs: usize,
    /// `[mu, theta]`: -1 on the lower bound, +1 on the upper, 0 inside.
    pub active: [i8; 2],
    /// Whether any parameter ends on a bound.
    pub at_bound: bool,
    pub std_errors: OuStdErrors,
    /// The start point `[mu, theta]` after clipping.
    pub start: [f64; 2],
    /// Residual evaluations of the last solver run.
    pub nfev: usize,
    pub status: LmStatus,
}

/// The SPEC T7 residual: `x[t+1] - x[t] e^{-theta dt} - mu (1 - e^{-theta dt})`.
struct LsProblem<'a> {
    x0: &'a [f64],
    x1: &'a [f64],
    dt: f64,
}

impl Residuals for LsProblem<'_> {
    fn n_params(&self) -> usize {
        2
    }
    fn n_residuals(&self) -> usize {
        self.x0.len()
    }
    fn eval(&self, p: &[f64], r: &mut [f64], jac: Option<&mut [f64]>) {
        let (mu, theta) = (p[0], p[1]);
        let e = (-theta * self.dt).exp();
        let c = mu * (1.0 - e);
        for ((ri, &a), &b) in r.iter_mut().zip(self.x0).zip(self.x1) {
            *ri = b - a * e - c;
        }
        if let Some(j) = jac {
            let m = self.x0.len();
            let (jm, jt) = j.split_at_mut(m);
            jm.fill(-(1.0 - e));
            let de = self.dt * e;
            for (jti, &a) in jt.iter_mut().zip(self.x0) {
                *jti = de * (a - mu);
            }
        }
    }
}

/// The profiled exact likelihood as a sum of squares (see the module docs).
struct MlProblem<'a> {
    x0: &'a [f64],
    x1: &'a [f64],
    first: f64,
    dt: f64,
}

impl Residuals for MlProblem<'_> {
    fn n_params(&self) -> usize {
        2
    }
    fn n_residuals(&self) -> usize {
        self.x0.len() + 1
    }
    fn eval(&self, p: &[f64], r: &mut [f64], jac: Option<&mut [f64]>) {
        let (mu, theta) = (p[0], p[1]);
        let m1 = self.x0.len() + 1; // transitions + the first value
        let b = (-theta * self.dt).exp();
        let u = 1.0 - b * b;
        let su = u.sqrt();
        // c = u^{-1/(2 m1)} spreads the log-determinant term over all residuals.
        let k = -1.0 / (2.0 * m1 as f64);
        let c = u.powf(k);
        let db = -self.dt * b;
        let du = -2.0 * b * db;
        let dc = c * k * du / u;
        let r0 = su * (self.first - mu);
        r[0] = c * r0;
        for ((ri, &a), &y) in r[1..].iter_mut().zip(self.x0).zip(self.x1) {
            *ri = c * ((y - mu) - b * (a - mu));
        }
        if let Some(j) = jac {
            let (jm, jt) = j.split_at_mut(m1);
            // First value: r0 = sqrt(u) (first - mu).
            jm[0] = -c * su;
            jt[0] = c * (du / (2.0 * su)) * (self.first - mu) + dc * r0;
            for (i, (&a, &y)) in self.x0.iter().zip(self.x1).enumerate() {
                let raw = (y - mu) - b * (a - mu);
                jm[i + 1] = -c * (1.0 - b);
                jt[i + 1] = c * (-db * (a - mu)) + dc * raw;
            }
        }
    }
}

/// Fit an OU process to the series `x` (e.g. log prices), observed every `dt`.
///
/// Errors on fewer than 4 values, non-finite values, a constant series or
/// invalid options.
pub fn fit_ou(x: &[f64], opts: &OuOptions) -> Result<OuFit> {
    opts.validate()?;
    if x.len() < 4 {
        return Err(OuMeanError::TooShort {
            what: "an OU fit",
            needed: 4,
            got: x.len(),
        });
    }
    check_finite("the OU input series", x)?;
    let (lo_x, hi_x) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if lo_x == hi_x {
        return Err(OuMeanError::InvalidData(format!(
            "the OU input series is constant ({lo_x}); there is nothing to fit"
        )));
    }
    let x0 = &x[..x.len() - 1];
    let x1 = &x[1..];
    let lo = [lo_x - opts.mu_margin, opts.theta_min];
    let hi = [hi_x + opts.mu_margin, opts.theta_max];

    // Closed-form start: OLS of x[t+1] on x[t]. A constant x0 (all but the last
    // value equal) gives a NaN slope and falls back to the mean start.
    let (b, a) = simple_ols(x0, x1);
    let start = if b > 0.0 && b < 1.0 {
        [a / (1.0 - b), -b.ln() / opts.dt]
    } else {
        [x.iter().sum::<f64>() / x.len() as f64, opts.theta_min]
    };
    let start = [start[0].clamp(lo[0], hi[0]), start[1].clamp(lo[1], hi[1])];

    let ls = LsProblem {
        x0,
        x1,
        dt: opts.dt,
    };
    let rep = minimize(&ls, &start, &lo, &hi, &opts.lm);
    match opts.method {
        OuMethod::LeastSquares => Ok(finish_ls(opts, x.len(), start, &rep)),
        OuMethod::MaximumLikelihood => {
            let ml = MlProblem {
                x0,
                x1,
                first: x[0],
                dt: opts.dt,
            };
            let mrep = minimize(&ml, &rep.x, &lo, &hi, &opts.lm);
            Ok(finish_ml(opts, x, start, &mrep))
        }
    }
}

fn finish_ls(opts: &OuOptions, n_obs: usize, start: [f64; 2], rep: &crate::nls::LmReport) -> OuFit {
    let (mu, theta) = (rep.x[0], rep.x[1]);
    let m = n_obs - 1;
    let ssr = rep.ssr;
    let s2 = ssr / m as f64;
    let dt = opts.dt;
    let e2 = (-2.0 * theta * dt).exp();
    let sigma = (s2 * 2.0 * theta / (1.0 - e2)).sqrt();
    let half_life = std::f64::consts::LN_2 / theta;
    let active = [rep.active[0], rep.active[1]];

    // Asymptotic covariance s^2 (J'J)^{-1} over the free parameters.
    let s2u = ssr / (m as f64 - 2.0);
    let jac = &rep.jacobian;
    let col = |j: usize| &jac[j * m..(j + 1) * m];
    let a00 = crate::linalg::dot(col(0), col(0));
    let a01 = crate::linalg::dot(col(0), col(1));
    let a11 = crate::linalg::dot(col(1), col(1));
    let (var_mu, var_theta) = match (active[0] == 0, active[1] == 0) {
        (true, true) => {
            let det = a00 * a11 - a01 * a01;
            (s2u * a11 / det, s2u * a00 / det)
        }
        (true, false) => (s2u / a00, f64::NAN),
        (false, true) => (f64::NAN, s2u / a11),
        (false, false) => (f64::NAN, f64::NAN),
    };
    let se_theta = var_theta.sqrt();
    // Delta method on ln sigma = (ln s2 + ln h(theta))/2, h = 2 theta/(1 - e^{-2 theta dt});
    // s2 and theta are asymptotically independent, var(ln s2) ~ 2/(m - 2).
    let dlnh = 1.0 / theta - 2.0 * dt * e2 / (1.0 - e2);
    let theta_part = if se_theta.is_finite() {
        (dlnh * se_theta).powi(2)
    } else {
        0.0
    };
    let se_sigma = sigma * 0.5 * (2.0 / (m as f64 - 2.0) + theta_part).sqrt();
    let log_likelihood = -0.5 * m as f64 * ((2.0 * std::f64::consts::PI * s2).ln() + 1.0);
    OuFit {
        method: OuMethod::LeastSquares,
        mu,
        theta,
        sigma,
        sigma_eq: sigma / (2.0 * theta).sqrt(),
        half_life,
        ssr,
        log_likelihood,
        n_obs,
        active,
        at_bound: active != [0, 0],
        std_errors: OuStdErrors {
            mu: var_mu.sqrt(),
            theta: se_theta,
            sigma: se_sigma,
            half_life: std::f64::consts::LN_2 / (theta * theta) * se_theta,
        },
        start,
        nfev: rep.nfev,
        status: rep.status,
    }
}

/// Exact OU negative log-likelihood in `(mu, theta, sigma)`.
fn ou_nll(x: &[f64], dt: f64, mu: f64, theta: f64, sigma: f64) -> f64 {
    let b = (-theta * dt).exp();
    let v = sigma * sigma * (1.0 - b * b) / (2.0 * theta);
    let v0 = sigma * sigma / (2.0 * theta);
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let mut s = 0.0;
    for w in x.windows(2) {
        let r = (w[1] - mu) - b * (w[0] - mu);
        s += r * r;
    }
    let m = (x.len() - 1) as f64;
    0.5 * (ln2pi + v0.ln())
        + (x[0] - mu).powi(2) / (2.0 * v0)
        + 0.5 * m * (ln2pi + v.ln())
        + s / (2.0 * v)
}

fn finish_ml(opts: &OuOptions, x: &[f64], start: [f64; 2], rep: &crate::nls::LmReport) -> OuFit {
    let (mu, theta) = (rep.x[0], rep.x[1]);
    let dt = opts.dt;
    let n = x.len();
    let b = (-theta * dt).exp();
    let u = 1.0 - b * b;
    let mut ssr = 0.0;
    for w in x.windows(2) {
        let r = (w[1] - mu) - b * (w[0] - mu);
        ssr += r * r;
    }
    let s_total = u * (x[0] - mu).powi(2) + ssr;
    let v = s_total / n as f64;
    let sigma = (v * 2.0 * theta / u).sqrt();
    let active = [rep.active[0], rep.active[1]];
    let log_likelihood = -ou_nll(x, dt, mu, theta, sigma);

    // Observed information by central differences of the exact likelihood over
    // the free parameters among (mu, theta, sigma).
    let p = [mu, theta, sigma];
    let free: Vec<usize> = [active[0] == 0, active[1] == 0, true]
        .iter()
        .enumerate()
        .filter(|(_, f)| **f)
        .map(|(i, _)| i)
        .collect();
    let h: Vec<f64> = p.iter().map(|v| 1e-4 * v.abs().max(1e-8)).collect();
    let f = |q: &[f64; 3]| ou_nll(x, dt, q[0], q[1], q[2]);
    let k = free.len();
    let mut hess = vec![0.0; k * k];
    for (a, &i) in free.iter().enumerate() {
        for (c, &j) in free.iter().enumerate().skip(a) {
            let mut pp = p;
            let mut pm = p;
            let mut mp = p;
            let mut mm = p;
            pp[i] += h[i];
            pp[j] += h[j];
            pm[i] += h[i];
            pm[j] -= h[j];
            mp[i] -= h[i];
            mp[j] += h[j];
            mm[i] -= h[i];
            mm[j] -= h[j];
            let val = (f(&pp) - f(&pm) - f(&mp) + f(&mm)) / (4.0 * h[i] * h[j]);
            hess[a * k + c] = val;
            hess[c * k + a] = val;
        }
    }
    let var = invert_diag(&hess, k);
    let mut se = [f64::NAN; 3];
    for (a, &i) in free.iter().enumerate() {
        se[i] = var.get(a).copied().unwrap_or(f64::NAN).sqrt();
    }
    OuFit {
        method: OuMethod::MaximumLikelihood,
        mu,
        theta,
        sigma,
        sigma_eq: sigma / (2.0 * theta).sqrt(),
        half_life: std::f64::consts::LN_2 / theta,
        ssr,
        log_likelihood,
        n_obs: n,
        active,
        at_bound: active != [0, 0],
        std_errors: OuStdErrors {
            mu: se[0],
            theta: se[1],
            sigma: se[2],
            half_life: std::f64::consts::LN_2 / (theta * theta) * se[1],
        },
        start,
        nfev: rep.nfev,
        status: rep.status,
    }
}

impl OuFit {
    /// Z-score of a value against the fitted equilibrium: `(x - mu) / sigma_eq`.
    pub fn zscore(&self, x: f64) -> f64 {
        (x - self.mu) / self.sigma_eq
    }
}

/// Diagonal of the inverse of a small symmetric positive definite matrix;
/// NaNs when it is not positive definite.
fn invert_diag(a: &[f64], k: usize) -> Vec<f64> {
    let mut r = a.to_vec();
    if crate::linalg::cholesky_upper(&mut r, k).is_err() {
        return vec![f64::NAN; k];
    }
    // Column-major view of R with leading dimension k is the transpose of the
    // row-major buffer; build it explicitly.
    let mut rc = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            rc[j * k + i] = r[i * k + j];
        }
    }
    crate::linalg::inv_rtr_diag_colmajor(&rc, k, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_core::SplitMix64;

    fn simulate(n: usize, mu: f64, theta: f64, sigma: f64, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        let b = (-theta).exp();
        let sd = sigma * ((1.0 - b * b) / (2.0 * theta)).sqrt();
        let mut x = vec![mu + sigma / (2.0 * theta).sqrt() * rng.next_normal()];
        for _ in 1..n {
            let prev = *x.last().unwrap();
            x.push(mu + b * (prev - mu) + sd * rng.next_normal());
        }
        x
    }

    #[test]
    fn least_squares_recovers_simulated_parameters() {
        let x = simulate(20_000, 1.5, 0.05, 0.02, 7);
        let fit = fit_ou(&x, &OuOptions::default()).unwrap();
        assert!((fit.mu - 1.5).abs() < 3.0 * fit.std_errors.mu, "{fit:?}");
        assert!(
            (fit.theta - 0.05).abs() < 3.0 * fit.std_errors.theta,
            "{fit:?}"
        );
        assert!(
            (fit.sigma - 0.02).abs() < 3.0 * fit.std_errors.sigma,
            "{fit:?}"
        );
        assert!(!fit.at_bound);
    }

    #[test]
    fn maximum_likelihood_beats_least_squares_on_the_exact_likelihood() {
        let x = simulate(300, 0.0, 0.1, 1.0, 11);
        let ls = fit_ou(&x, &OuOptions::default()).unwrap();
        let ml = fit_ou(
            &x,
            &OuOptions {
                method: OuMethod::MaximumLikelihood,
                ..Default::default()
            },
        )
        .unwrap();
        let ls_exact = -ou_nll(&x, 1.0, ls.mu, ls.theta, ls.sigma);
        assert!(
            ml.log_likelihood >= ls_exact - 1e-9,
            "{} < {}",
            ml.log_likelihood,
            ls_exact
        );
        assert!((ml.theta - ls.theta).abs() < 0.05);
        assert!(ml.std_errors.theta.is_finite() && ml.std_errors.sigma.is_finite());
    }

    #[test]
    fn trending_series_ends_on_a_bound_not_at_infinity() {
        let x: Vec<f64> = (0..200)
            .map(|i| 0.01 * i as f64 + 0.001 * ((i * 7) % 5) as f64)
            .collect();
        let fit = fit_ou(&x, &OuOptions::default()).unwrap();
        assert!(fit.at_bound, "{fit:?}");
        assert!(fit.mu.is_finite() && fit.theta >= 1e-4);
    }

    #[test]
    fn constant_and_short_series_are_errors() {
        assert!(matches!(
            fit_ou(&[1.0; 10], &OuOptions::default()),
            Err(OuMeanError::InvalidData(_))
        ));
        assert!(matches!(
            fit_ou(&[1.0, 2.0], &OuOptions::default()),
            Err(OuMeanError::TooShort { .. })
        ));
        let bad = OuOptions {
            theta_max: 1e-5,
            ..Default::default()
        };
        let err = fit_ou(&[1.0, 2.0, 1.5, 1.2], &bad).unwrap_err();
        assert!(err.to_string().contains("theta_max"), "{err}");
    }
}
