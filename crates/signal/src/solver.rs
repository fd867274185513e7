//! The elastic-net logistic regression solver: proximal Newton with an
//! unpenalized intercept (the newGLMNET scheme of liblinear/glmnet).
//!
//! Each iteration builds the exact gradient and Hessian of the smooth part
//! (O(n d^2), blocked so the rows stay in cache), minimises the quadratic
//! model plus the L1 term exactly (coordinate descent, then an active-set
//! Newton solve that lands on the exact minimiser once the signs settle), and
//! takes an Armijo line search step. With d around a dozen features the inner
//! problem is tiny, so each iteration costs about one pass over the data and
//! convergence is quadratic near the optimum.
//!
//! This module owns the numerics only: it sees a standardised design matrix,
//! never a `Dataset`, scaler or file.

use crate::error::{Result, SignalError};
use crate::hyperparams::{ClassWeight, LogisticValidParams};
use agent_core::StandardScaler;
use ndarray::ArrayView2;
use std::sync::OnceLock;

/// Rows per cache block when accumulating the gradient and Hessian.
const BLOCK: usize = 256;
/// Armijo sufficient-decrease constant and the most step halvings tried.
const ARMIJO: f64 = 0.01;
const MAX_HALVINGS: usize = 40;

/// A design matrix ready for the solver: columns (optionally standardised)
/// stored contiguously, 0/1 labels and per-row loss weights.
#[derive(Debug, Clone)]
pub struct Design {
    n: usize,
    d: usize,
    /// Column-major: column `j` is `z[j*n .. (j+1)*n]`.
    z: Vec<f64>,
    y: Vec<f64>,
    sw: Vec<f64>,
    /// Weighted Gram matrix and moments, shared by every fit on this design.
    moments: OnceLock<Moments>,
}

/// `sum_i w_i z~_i z~_i'` and `sum_i w_i y_i z~_i` with `z~ = [z, 1]`: at the
/// null model every row has the same probability, so the first gradient
/// and Hessian of every grid point on a fold follow from these in O(d^2).
#[derive(Debug, Clone)]
struct Moments {
    /// `(d+1) x (d+1)`, row-major, full.
    gram: Vec<f64>,
    /// `d+1`.
    xty: Vec<f64>,
}

impl Design {
    /// Build from rows `x` (standardised by `scaler` when given), labels `y`
    /// (exactly 0 or 1) and the class weighting.
    ///
    /// Errors: shape mismatch, non-finite features (naming row and column),
    /// labels other than 0/1, a single class.
    pub fn new(
        x: ArrayView2<'_, f64>,
        y: &[f64],
        scaler: Option<&StandardScaler>,
        class_weight: ClassWeight,
    ) -> Result<Self> {
        let (n, d) = x.dim();
        if y.len() != n {
            return Err(SignalError::InvalidData(format!(
                "{n} feature rows but {} labels",
                y.len()
            )));
        }
        if n == 0 {
            return Err(SignalError::InvalidData("no training rows".into()));
        }
        if let Some(s) = scaler
            && s.n_features() != d
        {
            return Err(SignalError::InvalidData(format!(
                "scaler has {} features, data has {d}",
                s.n_features()
            )));
        }
        let mut n_pos = 0usize;
        for (i, &v) in y.iter().enumerate() {
            if v == 1.0 {
                n_pos += 1;
            } else if v != 0.0 {
                return Err(SignalError::InvalidData(format!(
                    "label of row {i} is {v}; binary labels must be 0 or 1"
                )));
            }
        }
        if n_pos == 0 || n_pos == n {
            return Err(SignalError::SingleClass {
                what: format!("the {n} training rows"),
                class: u8::from(n_pos == n),
            });
        }
        let mut z = vec![0.0; n * d];
        for (i, row) in x.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(SignalError::InvalidData(format!(
                        "feature {j} of row {i} is {v}; features must be finite"
                    )));
                }
                z[j * n + i] = match scaler {
                    Some(s) => (v - s.mean[j]) / s.scale[j],
                    None => v,
                };
            }
        }
        let sw = match class_weight {
            ClassWeight::None => vec![1.0; n],
            ClassWeight::Balanced => {
                // scikit-learn: n_samples / (n_classes * bincount(y)).
                let w1 = n as f64 / (2.0 * n_pos as f64);
                let w0 = n as f64 / (2.0 * (n - n_pos) as f64);
                y.iter().map(|&v| if v == 1.0 { w1 } else { w0 }).collect()
            }
        };
        Ok(Self {
            n,
            d,
            z,
            y: y.to_vec(),
            sw,
            moments: OnceLock::new(),
        })
    }

    fn moments(&self) -> &Moments {
        self.moments.get_or_init(|| {
            let nb = self.d + 1;
            let mut gram = vec![0.0; nb * nb];
            let mut xty = vec![0.0; nb];
            accumulate(
                self,
                true,
                |i| (self.sw[i] * self.y[i], self.sw[i]),
                &mut xty,
                &mut gram,
            );
            Moments { gram, xty }
        })
    }

    pub fn n_samples(&self) -> usize {
        self.n
    }

    pub fn n_features(&self) -> usize {
        self.d
    }

    fn col(&self, j: usize) -> &[f64] {
        &self.z[j * self.n..(j + 1) * self.n]
    }
}

/// A fitted coefficient vector (in the design's space) and how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// Proximal Newton steps taken.
    pub n_iter: usize,
    /// A full Newton step below the tolerance was taken (or the null model
    /// is exactly optimal).
    pub converged: bool,
    /// KKT violation (largest minimum-norm subgradient entry) divided by its
    /// value at the null model, measured before the last step.
    pub kkt_ratio: f64,
    /// Objective value at the solution.
    pub objective: f64,
}

/// What one [`ProxNewton::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// A step was taken; more may follow.
    Stepped,
    /// A full Newton step no larger than the tolerance was taken (it
    /// estimates the remaining error, which quadratic convergence makes far
    /// smaller after the step), or the point is exactly optimal.
    Converged,
    /// No step could decrease the objective (round-off level); nothing changed.
    Stalled,
    /// `max_iter` steps have been taken.
    MaxIter,
}

/// The proximal Newton iteration on one design and one parameter point.
#[derive(Debug, Clone)]
pub struct ProxNewton<'a> {
    design: &'a Design,
    c: f64,
    l1: f64,
    l2: f64,
    fit_intercept: bool,
    tol: f64,
    max_iter: usize,
    w: Vec<f64>,
    b: f64,
    /// Margins `z_i . w + b`, and `exp(-|m_i|)` (shared by loss and probability).
    m: Vec<f64>,
    e: Vec<f64>,
    f: f64,
    v_ref: f64,
    n_iter: usize,
    kkt: f64,
    /// Still exactly at the null model (derivatives from the design's moments).
    at_null: bool,
    // work buffers
    g: Vec<f64>,
    hess: Vec<f64>,
    dm: Vec<f64>,
    m_trial: Vec<f64>,
    e_trial: Vec<f64>,
}

impl<'a> ProxNewton<'a> {
    /// Start at the null model (`coef = 0`, intercept = the weighted log-odds).
    pub fn new(design: &'a Design, params: &LogisticValidParams) -> Self {
        let n = design.n;
        let d = design.d;
        let nb = d + usize::from(params.fit_intercept());
        let mo = design.moments();
        // Weighted class totals: sum of weights, and of weights of the up class.
        let (sw_sum, swy_sum) = (mo.gram[d * (d + 1) + d], mo.xty[d]);
        let b = if params.fit_intercept() {
            (swy_sum / (sw_sum - swy_sum)).ln()
        } else {
            0.0
        };
        let e0 = (-b.abs()).exp();
        let c = params.c();
        let mut s = Self {
            design,
            c,
            l1: params.l1_ratio(),
            l2: 1.0 - params.l1_ratio(),
            fit_intercept: params.fit_intercept(),
            tol: params.tol(),
            max_iter: params.max_iter(),
            w: vec![0.0; d],
            b,
            m: vec![b; n],
            e: vec![e0; n],
            // Every row shares the margin b: the loss sums in closed form.
            f: c * ((e0.ln_1p() + b.max(0.0)) * sw_sum - b * swy_sum),
            v_ref: 0.0,
            n_iter: 0,
            kkt: f64::INFINITY,
            at_null: true,
            g: vec![0.0; nb],
            hess: vec![0.0; nb * nb],
            dm: vec![0.0; n],
            m_trial: vec![0.0; n],
            e_trial: vec![0.0; n],
        };
        s.null_derivatives();
        s.v_ref = (0..d)
            .map(|j| (s.g[j].abs() - s.l1).max(0.0))
            .fold(0.0, f64::max);
        s
    }

    /// Start from a previous solution instead (e.g. the neighbouring grid
    /// point). Ignored when the null model is already optimal.
    pub fn warm_start(mut self, coef: &[f64], intercept: f64) -> Result<Self> {
        if coef.len() != self.design.d
            || coef.iter().any(|c| !c.is_finite())
            || !intercept.is_finite()
        {
            return Err(SignalError::InvalidData(format!(
                "warm start needs {} finite coefficients and a finite intercept, got {} and {intercept}",
                self.design.d,
                coef.len()
            )));
        }
        if self.v_ref == 0.0 {
            return Ok(self);
        }
        self.w.copy_from_slice(coef);
        self.b = if self.fit_intercept { intercept } else { 0.0 };
        let d = self.design;
        self.m.fill(self.b);
        for (j, &wj) in self.w.iter().enumerate() {
            if wj != 0.0 {
                for (mi, zi) in self.m.iter_mut().zip(d.col(j)) {
                    *mi += wj * zi;
                }
            }
        }
        for (ei, mi) in self.e.iter_mut().zip(&self.m) {
            *ei = (-mi.abs()).exp();
        }
        self.f = self.objective_at(&self.m, &self.e, &self.w);
        self.at_null = false;
        Ok(self)
    }

    /// `C sum_i w_i loss_i + (1-rho)/2 |w|^2 + rho |w|_1` from margins and
    /// `exp(-|m|)`.
    fn objective_at(&self, m: &[f64], e: &[f64], w: &[f64]) -> f64 {
        let d = self.design;
        let mut acc = [0.0f64; 4];
        for (k, ((&mi, &ei), (&yi, &swi))) in m.iter().zip(e).zip(d.y.iter().zip(&d.sw)).enumerate()
        {
            // log(1 + exp(m)) - y m, computed without overflow.
            acc[k & 3] += swi * (ei.ln_1p() + mi.max(0.0) - yi * mi);
        }
        let loss = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        self.c * loss + self.penalty(w)
    }

    fn penalty(&self, w: &[f64]) -> f64 {
        let (mut sq, mut abs) = (0.0, 0.0);
        for &x in w {
            sq += x * x;
            abs += x.abs();
        }
        0.5 * self.l2 * sq + self.l1 * abs
    }

    /// Gradient and Hessian at the null model from the design's moments:
    /// `r_i = C w_i (p0 - y_i)`, `h_i = C w_i p0 (1 - p0)` for every row.
    fn null_derivatives(&mut self) {
        let d = self.design.d;
        let nb = self.g.len();
        let mo = self.design.moments();
        let e0 = (-self.b.abs()).exp();
        let p0 = sigmoid_from(self.b, e0);
        let q = 1.0 + e0;
        let h0 = self.c * e0 / (q * q);
        for j in 0..nb {
            self.g[j] = self.c * (p0 * mo.gram[d * (d + 1) + j] - mo.xty[j]);
            for k in 0..nb {
                self.hess[j * nb + k] = h0 * mo.gram[j * (d + 1) + k];
            }
        }
        for j in 0..d {
            self.hess[j * nb + j] += self.l2;
        }
    }

    /// Gradient and Hessian of the smooth part at the current point.
    fn derivatives(&mut self) {
        if self.at_null {
            self.null_derivatives();
            return;
        }
        let design = self.design;
        let (m, e, c) = (&self.m, &self.e, self.c);
        accumulate(
            design,
            self.fit_intercept,
            |i| {
                let (mi, ei) = (m[i], e[i]);
                let p = sigmoid_from(mi, ei);
                let cw = c * design.sw[i];
                // p (1 - p) = e / (1 + e)^2 with e = exp(-|m|): no cancellation.
                let q = 1.0 + ei;
                (cw * (p - design.y[i]), cw * ei / (q * q))
            },
            &mut self.g,
            &mut self.hess,
        );
        let nb = self.g.len();
        for j in 0..design.d {
            self.g[j] += self.l2 * self.w[j];
            self.hess[j * nb + j] += self.l2;
        }
    }

    /// Largest entry of the minimum-norm subgradient (needs fresh `g`).
    fn violation(&self) -> f64 {
        let d = self.design.d;
        let mut v: f64 = 0.0;
        for j in 0..d {
            let (g, w) = (self.g[j], self.w[j]);
            let vj = if w != 0.0 {
                (g + self.l1 * w.signum()).abs()
            } else {
                (g.abs() - self.l1).max(0.0)
            };
            v = v.max(vj);
        }
        if self.fit_intercept {
            v = v.max(self.g[d].abs());
        }
        v
    }

    /// One proximal Newton iteration: derivatives, convergence test, exact
    /// subproblem, line search.
    pub fn step(&mut self) -> StepOutcome {
        self.derivatives();
        self.kkt = self.violation();
        if self.kkt == 0.0 || self.v_ref == 0.0 {
            return StepOutcome::Converged;
        }
        if self.n_iter >= self.max_iter {
            return StepOutcome::MaxIter;
        }
        let design = self.design;
        let (d, nb) = (design.d, self.g.len());
        let delta = solve_subproblem(&self.hess, &self.g, &self.w, self.l1, nb, d);
        // Predicted decrease of the composite objective (negative for a
        // descent direction). The L1 change is taken per coordinate as
        // sign(w) * delta where the sign holds: differencing the two norms
        // would cancel catastrophically near the optimum.
        let mut pred = 0.0;
        for (gk, dk) in self.g.iter().zip(&delta) {
            pred += gk * dk;
        }
        let mut l1_change = 0.0;
        for (&w, &t) in self.w.iter().zip(&delta[..d]) {
            let u = w + t;
            l1_change += if w != 0.0 && u.signum() == w.signum() {
                w.signum() * t
            } else {
                u.abs() - w.abs()
            };
        }
        pred += self.l1 * l1_change;
        // A decrease below the objective's rounding is accepted as is: the
        // quadratic model is exact at that scale, the line search is not.
        let negligible = pred.abs() * ARMIJO <= 1e-13 * self.f.abs().max(1e-300);
        if pred.is_nan() || (pred >= 0.0 && !negligible) {
            return StepOutcome::Stalled;
        }
        let db = if self.fit_intercept { delta[d] } else { 0.0 };
        self.dm.fill(db);
        for (j, &dj) in delta[..d].iter().enumerate() {
            if dj != 0.0 {
                for (o, z) in self.dm.iter_mut().zip(design.col(j)) {
                    *o += dj * z;
                }
            }
        }
        let mut alpha = 1.0;
        let mut w_trial = vec![0.0; d];
        for _ in 0..MAX_HALVINGS {
            for (i, (mt, et)) in self
                .m_trial
                .iter_mut()
                .zip(self.e_trial.iter_mut())
                .enumerate()
            {
                let v = self.m[i] + alpha * self.dm[i];
                *mt = v;
                *et = (-v.abs()).exp();
            }
            for j in 0..d {
                w_trial[j] = self.w[j] + alpha * delta[j];
            }
            let f_trial = self.objective_at(&self.m_trial, &self.e_trial, &w_trial);
            if f_trial <= self.f + ARMIJO * alpha * pred || (negligible && alpha == 1.0) {
                std::mem::swap(&mut self.m, &mut self.m_trial);
                std::mem::swap(&mut self.e, &mut self.e_trial);
                self.w.copy_from_slice(&w_trial);
                self.b += alpha * db;
                self.f = f_trial;
                self.n_iter += 1;
                self.at_null = false;
                // sklearn-style relative change, but of a Newton step: it is
                // an estimate of the distance to the optimum.
                let step = delta.iter().fold(0.0f64, |a, t| a.max(t.abs()));
                let size = self
                    .w
                    .iter()
                    .fold(self.b.abs().max(1.0), |a, x| a.max(x.abs()));
                if alpha == 1.0 && step <= self.tol * size {
                    return StepOutcome::Converged;
                }
                return StepOutcome::Stepped;
            }
            alpha *= 0.5;
        }
        StepOutcome::Stalled
    }

    /// Iterate until converged, stalled or out of iterations.
    pub fn solve(mut self) -> Solution {
        let converged = if self.v_ref == 0.0 {
            // The null model satisfies the KKT conditions: it is the optimum.
            self.kkt = 0.0;
            true
        } else {
            loop {
                match self.step() {
                    StepOutcome::Stepped => continue,
                    StepOutcome::Converged => break true,
                    StepOutcome::Stalled => {
                        // Round-off floor: accept when within the tolerance
                        // actually reachable in double precision.
                        break self.kkt <= self.tol.max(1e-9) * self.v_ref;
                    }
                    StepOutcome::MaxIter => {
                        break false;
                    }
                }
            }
        };
        Solution {
            coef: self.w,
            intercept: self.b,
            n_iter: self.n_iter,
            converged,
            kkt_ratio: if self.v_ref > 0.0 {
                self.kkt / self.v_ref
            } else {
                0.0
            },
            objective: self.f,
        }
    }

    /// Steps taken so far.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Current objective value.
    pub fn objective(&self) -> f64 {
        self.f
    }

    /// Current coefficients and intercept.
    pub fn coef(&self) -> (&[f64], f64) {
        (&self.w, self.b)
    }
}

/// `g = sum_i r_i z~_i` and `hess = sum_i h_i z~_i z~_i'` (full, row-major,
/// `z~ = [z, 1]` when `with_intercept`) for per-row `(r_i, h_i) = rh(i)`,
/// in cache-sized row blocks of column slices (vectorised dot products).
fn accumulate(
    design: &Design,
    with_intercept: bool,
    rh: impl Fn(usize) -> (f64, f64),
    g: &mut [f64],
    hess: &mut [f64],
) {
    let (n, d) = (design.n, design.d);
    let nb = d + usize::from(with_intercept);
    g.fill(0.0);
    hess.fill(0.0);
    let mut r = [0.0f64; BLOCK];
    let mut h = [0.0f64; BLOCK];
    let mut hz = [0.0f64; BLOCK];
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let len = end - start;
        for k in 0..len {
            (r[k], h[k]) = rh(start + k);
        }
        let (r, h) = (&r[..len], &h[..len]);
        for j in 0..d {
            let zj = &design.col(j)[start..end];
            g[j] += dot(r, zj);
            for ((o, a), b) in hz[..len].iter_mut().zip(h).zip(zj) {
                *o = a * b;
            }
            let hzj = &hz[..len];
            for k in 0..=j {
                hess[j * nb + k] += dot(hzj, &design.col(k)[start..end]);
            }
            if with_intercept {
                hess[d * nb + j] += sum(hzj);
            }
        }
        if with_intercept {
            g[d] += sum(r);
            hess[d * nb + d] += sum(h);
        }
        start = end;
    }
    for j in 0..nb {
        for k in 0..j {
            hess[k * nb + j] = hess[j * nb + k];
        }
    }
}

/// Fit one parameter point on one design (cold start).
pub fn solve(design: &Design, params: &LogisticValidParams) -> Solution {
    ProxNewton::new(design, params).solve()
}

/// Minimise `g.t + t'Ht/2 + l1 |w + t|_1` over `t` (coordinate `d`, when
/// present, is the unpenalized intercept). Exact up to round-off in all but
/// pathological cases; always a descent direction.
fn solve_subproblem(hess: &[f64], g: &[f64], w: &[f64], l1: f64, nb: usize, d: usize) -> Vec<f64> {
    // A whisper of ridge keeps zero columns (constant features) and exact
    // collinearity from dividing by zero; it is far below any tolerance.
    let max_diag = (0..nb).map(|j| hess[j * nb + j]).fold(1.0, f64::max);
    let nu = 1e-12 * max_diag;
    let mut h = hess.to_vec();
    for j in 0..nb {
        h[j * nb + j] += nu;
    }
    if l1 == 0.0 {
        let mut rhs: Vec<f64> = g.iter().map(|x| -x).collect();
        let mut a = h.clone();
        if cholesky_solve(&mut a, nb, &mut rhs) {
            return rhs;
        }
    }
    let mut delta = vec![0.0; nb];
    let mut hd = vec![0.0; nb];
    let mut total_sweeps = 0;
    const SWEEPS_PER_ROUND: usize = 4;
    const MAX_SWEEPS: usize = 2000;
    loop {
        let mut settled = false;
        for _ in 0..SWEEPS_PER_ROUND {
            let mut max_change: f64 = 0.0;
            let mut max_u: f64 = 0.0;
            for j in 0..nb {
                let a = h[j * nb + j];
                let gj = g[j] + hd[j];
                let t = if j < d {
                    let u = w[j] + delta[j];
                    let unew = soft_threshold(u - gj / a, l1 / a);
                    max_u = max_u.max(unew.abs());
                    unew - u
                } else {
                    -gj / a
                };
                if t != 0.0 {
                    delta[j] += t;
                    for k in 0..nb {
                        hd[k] += t * h[k * nb + j];
                    }
                    max_change = max_change.max(t.abs());
                }
            }
            total_sweeps += 1;
            if max_change <= 1e-14 * (1.0 + max_u) {
                settled = true;
                break;
            }
        }
        if let Some(exact) = active_set_solve(&h, g, w, l1, nb, d, &delta) {
            return exact;
        }
        if settled || total_sweeps >= MAX_SWEEPS {
            return delta;
        }
    }
}

/// Given coordinate descent's current iterate, guess the support and signs,
/// solve the reduced linear system exactly and keep it if it satisfies the
/// optimality conditions of the subproblem.
fn active_set_solve(
    h: &[f64],
    g: &[f64],
    w: &[f64],
    l1: f64,
    nb: usize,
    d: usize,
    delta: &[f64],
) -> Option<Vec<f64>> {
    let support: Vec<usize> = (0..nb)
        .filter(|&j| j >= d || w[j] + delta[j] != 0.0)
        .collect();
    let k = support.len();
    let mut a = vec![0.0; k * k];
    let mut rhs = vec![0.0; k];
    for (r, &j) in support.iter().enumerate() {
        for (c, &l) in support.iter().enumerate() {
            a[r * k + c] = h[j * nb + l];
        }
        // Coordinates off the support move to exactly zero: t_l = -w_l.
        let mut v = -g[j];
        if j < d {
            v -= l1 * (w[j] + delta[j]).signum();
        }
        for l in 0..d {
            if w[l] + delta[l] == 0.0 {
                v += h[j * nb + l] * w[l];
            }
        }
        rhs[r] = v;
    }
    if k > 0 && !cholesky_solve(&mut a, k, &mut rhs) {
        return None;
    }
    let mut t = vec![0.0; nb];
    for l in 0..d {
        t[l] = -w[l];
    }
    for (r, &j) in support.iter().enumerate() {
        t[j] = rhs[r];
    }
    for &j in &support {
        if j < d {
            let before = (w[j] + delta[j]).signum();
            let after = w[j] + t[j];
            if after == 0.0 || after.signum() != before {
                return None;
            }
        }
    }
    for l in 0..d {
        if w[l] + delta[l] == 0.0 {
            let mut grad = g[l];
            for m in 0..nb {
                grad += h[l * nb + m] * t[m];
            }
            if grad.abs() > l1 * (1.0 + 1e-9) {
                return None;
            }
        }
    }
    Some(t)
}

/// In-place Cholesky of the `k x k` SPD matrix `a` and solve `a x = b` into `b`.
/// Returns false when `a` is not numerically positive definite.
fn cholesky_solve(a: &mut [f64], k: usize, b: &mut [f64]) -> bool {
    for j in 0..k {
        let mut s = a[j * k + j];
        for p in 0..j {
            s -= a[j * k + p] * a[j * k + p];
        }
        if s.is_nan() || s <= 0.0 {
            return false;
        }
        let ljj = s.sqrt();
        a[j * k + j] = ljj;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= a[i * k + p] * a[j * k + p];
            }
            a[i * k + j] = s / ljj;
        }
    }
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= a[i * k + p] * b[p];
        }
        b[i] = s / a[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for p in i + 1..k {
            s -= a[p * k + i] * b[p];
        }
        b[i] = s / a[i * k + i];
    }
    true
}

fn soft_threshold(x: f64, t: f64) -> f64 {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        0.0
    }
}

/// `sigma(m)` from `m` and `e = exp(-|m|)`, accurate in both tails.
#[inline]
pub(crate) fn sigmoid_from(m: f64, e: f64) -> f64 {
    if m >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// The logistic function, accurate in both tails.
#[inline]
pub fn sigmoid(m: f64) -> f64 {
    sigmoid_from(m, (-m.abs()).exp())
}

/// Dot product with eight independent accumulators (vectorises, and sums in
/// a tree, which is also more accurate than a running sum).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[inline]
fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let ca = a.chunks_exact(8);
    let ra = ca.remainder();
    for x in ca {
        for k in 0..8 {
            acc[k] += x[k];
        }
    }
    let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for x in ra {
        s += x;
    }
    s
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use ndarray::Array2;

    pub(super) fn toy() -> (Array2<f64>, Vec<f64>) {
        // Deterministic, overlapping classes.
        let mut rng = agent_core::SplitMix64::new(7);
        let n = 300;
        let mut x = Array2::zeros((n, 3));
        let mut y = vec![0.0; n];
        for i in 0..n {
            for j in 0..3 {
                x[[i, j]] = rng.next_f64() * 2.0 - 1.0;
            }
            let m = 1.5 * x[[i, 0]] - 0.8 * x[[i, 1]] + 0.2;
            y[i] = if rng.next_f64() < sigmoid(m) {
                1.0
            } else {
                0.0
            };
        }
        (x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::toy;
    use super::*;
    use crate::hyperparams::LogisticParams;
    use agent_core::ParamGuard;
    use ndarray::Array2;

    #[test]
    fn cholesky_solves_spd_system() {
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let mut b = vec![2.0, 1.0];
        assert!(cholesky_solve(&mut a, 2, &mut b));
        assert!((b[0] - 0.5).abs() < 1e-15 && b[1].abs() < 1e-15);
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky_solve(&mut a, 2, &mut [0.0, 0.0]));
    }

    #[test]
    fn solution_satisfies_kkt_and_warm_start_agrees() {
        let (x, y) = toy();
        let design = Design::new(x.view(), &y, None, ClassWeight::None).unwrap();
        for rho in [0.0, 0.5, 1.0] {
            let p = LogisticParams::new()
                .c(0.3)
                .l1_ratio(rho)
                .tol(1e-12)
                .check()
                .unwrap();
            let s = solve(&design, &p);
            assert!(s.converged, "rho {rho}: {s:?}");
            assert!(s.n_iter < 20, "{s:?}");
            let warm = ProxNewton::new(&design, &p)
                .warm_start(&[0.3, 0.0, -0.1], 0.5)
                .unwrap()
                .solve();
            for (a, b) in s.coef.iter().zip(&warm.coef) {
                assert!((a - b).abs() < 1e-9, "{s:?} vs {warm:?}");
            }
        }
    }

    #[test]
    fn strong_l1_gives_the_null_model_with_log_odds_intercept() {
        let (x, y) = toy();
        let design = Design::new(x.view(), &y, None, ClassWeight::None).unwrap();
        let p = LogisticParams::new().c(1e-4).l1_ratio(1.0).check().unwrap();
        let s = solve(&design, &p);
        let ybar = y.iter().sum::<f64>() / y.len() as f64;
        assert!(s.coef.iter().all(|&c| c == 0.0));
        assert!((s.intercept - (ybar / (1.0 - ybar)).ln()).abs() < 1e-12);
        assert!(s.converged);
    }

    #[test]
    fn design_rejects_bad_labels_and_single_class() {
        let x = Array2::zeros((3, 1));
        let e = Design::new(x.view(), &[0.0, 2.0, 1.0], None, ClassWeight::None).unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        let e = Design::new(x.view(), &[1.0, 1.0, 1.0], None, ClassWeight::None).unwrap_err();
        assert!(
            matches!(e, SignalError::SingleClass { class: 1, .. }),
            "{e}"
        );
        let mut x = Array2::zeros((2, 2));
        x[[1, 1]] = f64::NAN;
        let e = Design::new(x.view(), &[0.0, 1.0], None, ClassWeight::None).unwrap_err();
        assert!(e.to_string().contains("feature 1 of row 1"), "{e}");
    }
}
