//! Bounded nonlinear least squares: a projected Levenberg-Marquardt iteration
//! with Marquardt (Jacobian-column) scaling and an active set for the box.
//!
//! Minimises `F(p) = 1/2 sum r_i(p)^2` subject to `lo <= p <= hi`. Each
//! iteration fixes the parameters that sit on a bound with the gradient
//! pointing outwards, solves the damped Gauss-Newton system for the others,
//! projects the trial point into the box and accepts it only if `F` drops
//! (Nielsen's damping update). Scaling the damping by `diag(J'J)` makes the
//! iteration invariant to parameter units, which is what SciPy's
//! `x_scale='jac'` achieves for its trust-region reflective method.
//!
//! The stopping rules follow SciPy/MINPACK: `ftol` on the relative decrease of
//! `F`, `xtol` on the relative step, `gtol` on the largest cosine between the
//! residual vector and a free Jacobian column.

use crate::linalg::cholesky_upper;
use serde::{Deserialize, Serialize};

/// A residual vector with its Jacobian.
pub trait Residuals {
    /// Number of parameters `n`.
    fn n_params(&self) -> usize;
    /// Number of residuals `m` (at least `n`).
    fn n_residuals(&self) -> usize;
    /// Write `r(p)` into `r` (length `m`) and, when `jac` is given, the
    /// Jacobian column-major into `jac` (column `j` = `jac[j*m..(j+1)*m]`).
    fn eval(&self, p: &[f64], r: &mut [f64], jac: Option<&mut [f64]>);
}

/// Tolerances and limits of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LmOptions {
    /// Stop when the relative decrease of the cost is below this.
    pub ftol: f64,
    /// Stop when the step is below `xtol * (xtol + |p|)`.
    pub xtol: f64,
    /// Stop when every free gradient cosine is below this.
    pub gtol: f64,
    /// Maximum number of residual evaluations.
    pub max_nfev: usize,
    /// Initial damping relative to `diag(J'J)`.
    pub initial_damping: f64,
}

impl Default for LmOptions {
    /// The tolerances of SPEC T7 (`ftol = xtol = gtol = 1e-12`).
    fn default() -> Self {
        Self {
            ftol: 1e-12,
            xtol: 1e-12,
            gtol: 1e-12,
            max_nfev: 200,
            initial_damping: 1e-6,
        }
    }
}

/// Why the iteration stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LmStatus {
    /// The projected gradient vanished (`gtol`).
    Gtol,
    /// The cost stopped decreasing (`ftol`).
    Ftol,
    /// The step became negligible (`xtol`).
    Xtol,
    /// No trial point lowered the cost even with maximal damping: the point
    /// is optimal to working precision.
    NoProgress,
    /// `max_nfev` was reached.
    MaxNfev,
}

impl LmStatus {
    /// Whether the status means convergence (every status but `MaxNfev`).
    pub fn converged(self) -> bool {
        !matches!(self, LmStatus::MaxNfev)
    }
}

/// The result of [`minimize`].
#[derive(Debug, Clone, PartialEq)]
pub struct LmReport {
    /// The solution.
    pub x: Vec<f64>,
    /// `sum r^2` at the solution (twice the cost).
    pub ssr: f64,
    /// Residuals at the solution.
    pub residuals: Vec<f64>,
    /// Jacobian at the solution, column-major.
    pub jacobian: Vec<f64>,
    /// For each parameter: -1 on the lower bound, +1 on the upper, 0 free
    /// (SciPy's `active_mask` convention).
    pub active: Vec<i8>,
    /// Residual evaluations.
    pub nfev: usize,
    /// Jacobian evaluations.
    pub njev: usize,
    pub status: LmStatus,
}

/// Minimise `1/2 |r(p)|^2` over the box `[lo, hi]` from `p0` (clipped into
/// the box first).
///
/// Inputs are assumed valid (`lo <= hi`, lengths equal to `n_params`); the
/// public estimators check them before calling.
pub fn minimize<R: Residuals + ?Sized>(
    problem: &R,
    p0: &[f64],
    lo: &[f64],
    hi: &[f64],
    opts: &LmOptions,
) -> LmReport {
    let n = problem.n_params();
    let m = problem.n_residuals();
    let mut p: Vec<f64> = (0..n).map(|i| p0[i].clamp(lo[i], hi[i])).collect();
    let mut r = vec![0.0; m];
    let mut jac = vec![0.0; m * n];
    problem.eval(&p, &mut r, Some(&mut jac));
    let mut nfev = 1;
    let mut njev = 1;
    let mut ssr = sumsq(&r);

    let mut r_new = vec![0.0; m];
    let mut p_new = vec![0.0; n];
    let mut lambda = opts.initial_damping;
    let mut nu = 2.0;
    let mut a = vec![0.0; n * n];
    let mut g = vec![0.0; n];
    let status;

    'outer: loop {
        // Normal equations of the linearised problem.
        for i in 0..n {
            let ci = &jac[i * m..(i + 1) * m];
            g[i] = crate::linalg::dot(ci, &r);
            for j in i..n {
                let v = crate::linalg::dot(ci, &jac[j * m..(j + 1) * m]);
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        // A parameter on a bound whose descent direction leaves the box stays put.
        let free: Vec<usize> = (0..n)
            .filter(|&i| !((p[i] <= lo[i] && g[i] > 0.0) || (p[i] >= hi[i] && g[i] < 0.0)))
            .collect();
        let rnorm = ssr.sqrt();
        let gcos = free
            .iter()
            .map(|&i| {
                let cn = a[i * n + i].sqrt();
                if cn > 0.0 && rnorm > 0.0 {
                    g[i].abs() / (cn * rnorm)
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max);
        if free.is_empty() || gcos <= opts.gtol || ssr == 0.0 {
            status = LmStatus::Gtol;
            break;
        }

        // Inner loop: raise the damping until a trial point lowers the cost.
        let nf = free.len();
        let mut sys = vec![0.0; nf * nf];
        loop {
            if nfev >= opts.max_nfev {
                status = LmStatus::MaxNfev;
                break 'outer;
            }
            for (ii, &i) in free.iter().enumerate() {
                for (jj, &j) in free.iter().enumerate() {
                    sys[ii * nf + jj] = a[i * n + j];
                }
                // Marquardt scaling; the floor keeps a zero column solvable.
                let d = a[i * n + i].max(1e-300);
                sys[ii * nf + ii] += lambda * d;
            }
            let delta = match solve_spd(
                &mut sys,
                nf,
                &free.iter().map(|&i| -g[i]).collect::<Vec<_>>(),
            ) {
                Some(d) => d,
                None => {
                    lambda = (lambda * nu).max(1e-12);
                    nu *= 2.0;
                    if lambda > 1e20 {
                        status = LmStatus::NoProgress;
                        break 'outer;
                    }
                    continue;
                }
            };
            p_new.copy_from_slice(&p);
            for (ii, &i) in free.iter().enumerate() {
                p_new[i] = (p[i] + delta[ii]).clamp(lo[i], hi[i]);
            }
            let step: Vec<f64> = (0..n).map(|i| p_new[i] - p[i]).collect();
            let step_norm = norm(&step);
            if step_norm <= opts.xtol * (opts.xtol + norm(&p)) {
                status = LmStatus::Xtol;
                break 'outer;
            }
            problem.eval(&p_new, &mut r_new, None);
            nfev += 1;
            let ssr_new = sumsq(&r_new);
            // Predicted decrease of 1/2|r|^2 for the projected step.
            let mut pred = 0.0;
            for i in 0..n {
                pred -= g[i] * step[i];
                for j in 0..n {
                    pred -= 0.5 * step[i] * a[i * n + j] * step[j];
                }
            }
            let actual = 0.5 * (ssr - ssr_new);
            if ssr_new < ssr && ssr_new.is_finite() {
                let rho = if pred > 0.0 { actual / pred } else { 1.0 };
                lambda *= (1.0 / 3.0f64).max(1.0 - (2.0 * rho - 1.0).powi(3));
                lambda = lambda.max(1e-300);
                nu = 2.0;
                let small_decrease = actual <= opts.ftol * 0.5 * ssr;
                let small_step = step_norm <= opts.xtol * (opts.xtol + norm(&p_new));
                std::mem::swap(&mut p, &mut p_new);
                std::mem::swap(&mut r, &mut r_new);
                ssr = ssr_new;
                problem.eval(&p, &mut r, Some(&mut jac));
                nfev += 1;
                njev += 1;
                if small_decrease {
                    status = LmStatus::Ftol;
                    break 'outer;
                }
                if small_step {
                    status = LmStatus::Xtol;
                    break 'outer;
                }
                continue 'outer;
            }
            lambda = (lambda * nu).max(1e-12);
            nu *= 2.0;
            if lambda > 1e20 {
                status = LmStatus::NoProgress;
                break 'outer;
            }
        }
    }

    // Report bounds the way SciPy does: on a bound with the gradient pushing out.
    let g: Vec<f64> = (0..n)
        .map(|i| crate::linalg::dot(&jac[i * m..(i + 1) * m], &r))
        .collect();
    let active = (0..n)
        .map(|i| {
            if p[i] <= lo[i] && g[i] >= 0.0 {
                -1
            } else if p[i] >= hi[i] && g[i] <= 0.0 {
                1
            } else {
                0
            }
        })
        .collect();
    LmReport {
        x: p,
        ssr,
        residuals: r,
        jacobian: jac,
        active,
        nfev,
        njev,
        status,
    }
}

fn sumsq(r: &[f64]) -> f64 {
    crate::linalg::dot(r, r)
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Solve the SPD system `a x = b` (row-major `n x n`, overwritten).
fn solve_spd(a: &mut [f64], n: usize, b: &[f64]) -> Option<Vec<f64>> {
    cholesky_upper(a, n).ok()?;
    // R'y = b, then R x = y.
    let mut y = b.to_vec();
    for i in 0..n {
        let mut s = y[i];
        for k in 0..i {
            s -= a[k * n + i] * y[k];
        }
        y[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= a[i * n + k] * y[k];
        }
        y[i] = s / a[i * n + i];
    }
    y.iter().all(|v| v.is_finite()).then_some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock as least squares: r = (10 (y - x^2), 1 - x).
    struct Rosen;
    impl Residuals for Rosen {
        fn n_params(&self) -> usize {
            2
        }
        fn n_residuals(&self) -> usize {
            2
        }
        fn eval(&self, p: &[f64], r: &mut [f64], jac: Option<&mut [f64]>) {
            r[0] = 10.0 * (p[1] - p[0] * p[0]);
            r[1] = 1.0 - p[0];
            if let Some(j) = jac {
                j[0] = -20.0 * p[0];
                j[1] = -1.0;
                j[2] = 10.0;
                j[3] = 0.0;
            }
        }
    }

    #[test]
    fn lm_finds_the_rosenbrock_minimum_from_the_classic_start() {
        let rep = minimize(
            &Rosen,
            &[-1.2, 1.0],
            &[-10.0, -10.0],
            &[10.0, 10.0],
            &LmOptions::default(),
        );
        assert!(rep.status.converged(), "{:?}", rep.status);
        assert!(
            (rep.x[0] - 1.0).abs() < 1e-9 && (rep.x[1] - 1.0).abs() < 1e-9,
            "{:?}",
            rep.x
        );
        assert_eq!(rep.active, vec![0, 0]);
    }

    #[test]
    fn lm_stops_on_an_active_bound_with_the_kkt_sign() {
        // Box excludes the optimum: x <= 0.5; the constrained optimum is
        // x = 0.5, y = 0.25 (minimise 100 (y - x^2)^2 + (1 - x)^2).
        let rep = minimize(
            &Rosen,
            &[0.0, 0.0],
            &[-10.0, -10.0],
            &[0.5, 10.0],
            &LmOptions::default(),
        );
        assert!((rep.x[0] - 0.5).abs() < 1e-12, "{:?}", rep.x);
        assert!((rep.x[1] - 0.25).abs() < 1e-9, "{:?}", rep.x);
        assert_eq!(rep.active, vec![1, 0]);
    }
}
