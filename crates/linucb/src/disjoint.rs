//! Disjoint LinUCB (Li et al. 2010, Algorithm 1) over raw context vectors:
//! one ridge model per arm, `A_a = lambda I + sum x x'`, `b_a = sum r x`.
//!
//! `A_a^-1` is kept by Sherman-Morrison rank-1 updates and re-computed
//! exactly (Cholesky) every `reinvert_every` updates of the arm, so rounding
//! drift stays bounded however long the bot runs. `select` and `update`
//! work in preallocated buffers: no allocation per decision.

use crate::error::{LinUcbError, Result};
use crate::linalg;

/// Check a context: right length, every value finite.
#[inline]
pub(crate) fn check_context(x: &[f64], d: usize, what: &'static str) -> Result<()> {
    if x.len() != d {
        return Err(LinUcbError::ContextLength {
            what,
            expected: d,
            got: x.len(),
        });
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(LinUcbError::NonFiniteContext {
            index: i,
            value: x[i],
        });
    }
    Ok(())
}

/// Bitwise equality of two equally long slices, without early exit so it
/// vectorises.
#[inline(always)]
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .fold(0u64, |acc, (p, q)| acc | (p.to_bits() ^ q.to_bits()))
            == 0
}

#[inline]
pub(crate) fn check_reward(reward: f64) -> Result<()> {
    if reward.is_finite() {
        Ok(())
    } else {
        Err(LinUcbError::NonFinite {
            what: "reward",
            value: reward,
        })
    }
}

/// Saved state of a disjoint bandit (see [`DisjointLinUcb::from_parts`]);
/// matrices are `k` stacked row-major blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct DisjointParts {
    pub a: Vec<f64>,
    pub a_inv: Vec<f64>,
    pub b: Vec<f64>,
    pub theta: Option<Vec<f64>>,
    pub counts: Vec<u64>,
    pub since_reinvert: Vec<u64>,
}

/// Disjoint LinUCB with `n_arms` arms over `dim`-dimensional contexts.
#[derive(Debug, Clone)]
pub struct DisjointLinUcb {
    d: usize,
    k: usize,
    alpha: f64,
    lambda: f64,
    reinvert_every: u64,
    /// `k` blocks of `d x d`, row-major.
    a: Vec<f64>,
    a_inv: Vec<f64>,
    /// `k` blocks of `d`.
    b: Vec<f64>,
    /// `theta_a = A_a^-1 b_a`, refreshed after every update of arm a.
    theta: Vec<f64>,
    counts: Vec<u64>,
    since_reinvert: Vec<u64>,
    // Scratch, reused by every call.
    /// `A_a^-1 x` of every arm for the context of the last `select`.
    v: Vec<f64>,
    x_last: Vec<f64>,
    v_valid: bool,
    scores: Vec<f64>,
    u: Vec<f64>,
    work: Vec<f64>,
}

impl PartialEq for DisjointLinUcb {
    /// Equal state (scratch buffers are ignored).
    fn eq(&self, o: &Self) -> bool {
        self.d == o.d
            && self.k == o.k
            && self.alpha == o.alpha
            && self.lambda == o.lambda
            && self.reinvert_every == o.reinvert_every
            && self.a_all() == o.a_all()
            && self.a_inv == o.a_inv
            && self.b == o.b
            && self.theta == o.theta
            && self.counts == o.counts
            && self.since_reinvert == o.since_reinvert
    }
}

impl DisjointLinUcb {
    /// A fresh bandit: `A_a = lambda I`, `b_a = 0` for every arm.
    ///
    /// `alpha` must be finite and >= 0, `lambda` finite and > 0, `dim` and
    /// `n_arms` at least 1; `reinvert_every = 0` never re-inverts.
    pub fn new(
        dim: usize,
        n_arms: usize,
        alpha: f64,
        lambda: f64,
        reinvert_every: u64,
    ) -> Result<Self> {
        if dim == 0 {
            return Err(LinUcbError::invalid_param("dim", dim, "must be >= 1"));
        }
        if n_arms == 0 {
            return Err(LinUcbError::invalid_param("n_arms", n_arms, "must be >= 1"));
        }
        if !(alpha.is_finite() && alpha >= 0.0) {
            return Err(LinUcbError::invalid_param(
                "alpha",
                alpha,
                "must be a finite number >= 0",
            ));
        }
        if !(lambda.is_finite() && lambda > 0.0) {
            return Err(LinUcbError::invalid_param(
                "lambda",
                lambda,
                "must be a finite number > 0",
            ));
        }
        let (d, k) = (dim, n_arms);
        let mut a = vec![0.0; k * d * d];
        let mut a_inv = vec![0.0; k * d * d];
        for arm in 0..k {
            linalg::set_scaled_identity(&mut a[arm * d * d..], d, lambda);
            linalg::set_scaled_identity(&mut a_inv[arm * d * d..], d, 1.0 / lambda);
        }
        Ok(Self {
            d,
            k,
            alpha,
            lambda,
            reinvert_every,
            a,
            a_inv,
            b: vec![0.0; k * d],
            theta: vec![0.0; k * d],
            counts: vec![0; k],
            since_reinvert: vec![0; k],
            v: vec![0.0; k * d],
            x_last: vec![0.0; d],
            v_valid: false,
            scores: vec![0.0; k],
            u: vec![0.0; d],
            work: vec![0.0; d * d],
        })
    }

    /// Rebuild from saved arrays. Checks shapes, finiteness, symmetry, that
    /// `A^-1` inverts `A` and that `theta` (when given) matches `A^-1 b`;
    /// without `theta` it is recomputed.
    pub fn from_parts(
        dim: usize,
        n_arms: usize,
        alpha: f64,
        lambda: f64,
        reinvert_every: u64,
        parts: DisjointParts,
    ) -> Result<Self> {
        let mut m = Self::new(dim, n_arms, alpha, lambda, reinvert_every)?;
        let (d, k) = (dim, n_arms);
        let checks: [(&'static str, usize, usize); 6] = [
            ("A values", k * d * d, parts.a.len()),
            ("A_inv values", k * d * d, parts.a_inv.len()),
            ("b values", k * d, parts.b.len()),
            (
                "theta values",
                k * d,
                parts.theta.as_ref().map_or(k * d, Vec::len),
            ),
            ("counts", k, parts.counts.len()),
            ("since_reinvert", k, parts.since_reinvert.len()),
        ];
        for (what, expected, got) in checks {
            if expected != got {
                return Err(LinUcbError::Core(agent_core::CoreError::Shape {
                    what,
                    expected: expected.to_string(),
                    got: got.to_string(),
                }));
            }
        }
        check_state(&parts.a, &parts.a_inv, &parts.b, d, k)?;
        m.a = parts.a;
        m.a_inv = parts.a_inv;
        m.b = parts.b;
        m.counts = parts.counts;
        m.since_reinvert = parts.since_reinvert;
        for arm in 0..k {
            m.refresh_theta(arm);
        }
        if let Some(theta) = parts.theta {
            // Keep the saved theta bit for bit (so a reloaded model decides
            // exactly like the saved one) after checking it is A^-1 b.
            for (i, (t, fresh)) in theta.iter().zip(&m.theta).enumerate() {
                if !(t.is_finite() && (t - fresh).abs() <= 1e-6 * (1.0 + fresh.abs())) {
                    return Err(LinUcbError::InvalidData(format!(
                        "theta of arm {} (entry {}) is {t}, but A^-1 b gives {fresh}",
                        i / d,
                        i % d
                    )));
                }
            }
            m.theta = theta;
        }
        Ok(m)
    }

    pub fn dim(&self) -> usize {
        self.d
    }
    pub fn n_arms(&self) -> usize {
        self.k
    }
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    pub fn reinvert_every(&self) -> u64 {
        self.reinvert_every
    }
    /// Change the exploration width (e.g. 0 for a greedy evaluation).
    pub fn set_alpha(&mut self, alpha: f64) -> Result<()> {
        if !(alpha.is_finite() && alpha >= 0.0) {
            return Err(LinUcbError::invalid_param(
                "alpha",
                alpha,
                "must be a finite number >= 0",
            ));
        }
        self.alpha = alpha;
        Ok(())
    }

    /// Choose an arm for context `x`: returns the arm with the highest upper
    /// confidence bound (lowest index on ties) and every arm's score
    /// `theta_a.x + alpha sqrt(x' A_a^-1 x)`.
    pub fn select(&mut self, x: &[f64]) -> Result<(usize, &[f64])> {
        check_context(x, self.d, "disjoint LinUCB context")?;
        let best = self.select_unchecked(x);
        Ok((best, &self.scores))
    }

    #[inline]
    pub(crate) fn select_unchecked(&mut self, x: &[f64]) -> usize {
        #[cfg(target_arch = "x86_64")]
        if crate::simd::avx2() {
            // SAFETY: the CPU supports AVX2 (checked at run time).
            return unsafe { self.select_avx2(x) };
        }
        self.select_impl(x)
    }

    /// The same code compiled for AVX2; no FMA, so results are bit-identical.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn select_avx2(&mut self, x: &[f64]) -> usize {
        self.select_impl(x)
    }

    #[inline(always)]
    fn select_impl(&mut self, x: &[f64]) -> usize {
        let d = self.d;
        let mut best = 0;
        let mut best_p = f64::NEG_INFINITY;
        linalg::gemv_t_batch(&self.a_inv, self.k, d, d, x, &mut self.v);
        for arm in 0..self.k {
            let v = &self.v[arm * d..(arm + 1) * d];
            let q = linalg::dot(x, v).max(0.0);
            let p = linalg::dot(&self.theta[arm * d..(arm + 1) * d], x) + self.alpha * q.sqrt();
            self.scores[arm] = p;
            if p > best_p {
                best_p = p;
                best = arm;
            }
        }
        self.x_last.copy_from_slice(x);
        self.v_valid = true;
        best
    }

    /// Scores of the last `select`.
    pub fn last_scores(&self) -> &[f64] {
        &self.scores
    }

    /// Point estimates `theta_a . x` (no exploration bonus) into `out`.
    pub fn expected_rewards(&self, x: &[f64], out: &mut [f64]) -> Result<()> {
        check_context(x, self.d, "disjoint LinUCB context")?;
        if out.len() != self.k {
            return Err(LinUcbError::ContextLength {
                what: "output buffer (one value per arm)",
                expected: self.k,
                got: out.len(),
            });
        }
        for (arm, o) in out.iter_mut().enumerate() {
            *o = linalg::dot(&self.theta[arm * self.d..(arm + 1) * self.d], x);
        }
        Ok(())
    }

    /// Learn reward `reward` of `arm` in context `x`.
    pub fn update(&mut self, x: &[f64], arm: usize, reward: f64) -> Result<()> {
        self.update_weighted(x, arm, reward, 1)
    }

    /// Learn `weight` identical observations at once (`A += w x x'`,
    /// `b += w r x`); used for warm starts from aggregated statistics.
    /// A weight of 0 does nothing.
    pub fn update_weighted(
        &mut self,
        x: &[f64],
        arm: usize,
        reward: f64,
        weight: u64,
    ) -> Result<()> {
        check_context(x, self.d, "disjoint LinUCB context")?;
        if arm >= self.k {
            return Err(LinUcbError::ArmOutOfRange {
                arm,
                n_arms: self.k,
            });
        }
        check_reward(reward)?;
        if weight == 0 {
            return Ok(());
        }
        self.update_unchecked(x, arm, reward, weight)
    }

    #[inline]
    pub(crate) fn update_unchecked(
        &mut self,
        x: &[f64],
        arm: usize,
        reward: f64,
        weight: u64,
    ) -> Result<()> {
        #[cfg(target_arch = "x86_64")]
        if crate::simd::avx2() {
            // SAFETY: the CPU supports AVX2 (checked at run time).
            unsafe { self.update_avx2(x, arm, reward, weight) };
        } else {
            self.update_impl(x, arm, reward, weight);
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.update_impl(x, arm, reward, weight);
        self.counts[arm] += weight;
        self.since_reinvert[arm] += 1;
        self.v_valid = false;
        if self.reinvert_every > 0 && self.since_reinvert[arm] >= self.reinvert_every {
            self.reinvert_arm(arm)?;
        }
        Ok(())
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn update_avx2(&mut self, x: &[f64], arm: usize, reward: f64, weight: u64) {
        self.update_impl(x, arm, reward, weight)
    }

    /// Sherman-Morrison step. With `u = A^-1 x` (old), `s = 1 + w x'u`:
    /// `A^-1 -= w u u' / s` and `theta += u w (r - x'theta) / s`, the
    /// recursive-least-squares form of `theta = A^-1 b` (exact in exact
    /// arithmetic; re-inversion also recomputes `theta` from `A^-1 b`).
    #[inline(always)]
    fn update_impl(&mut self, x: &[f64], arm: usize, reward: f64, weight: u64) {
        let d = self.d;
        let dd = d * d;
        let w = weight as f64;
        let a_inv = &mut self.a_inv[arm * dd..(arm + 1) * dd];
        let v = &mut self.v[arm * d..(arm + 1) * d];
        // u = A^-1 x was computed by `select` for this very context: reuse it.
        if !(self.v_valid && same_bits(&self.x_last, x)) {
            linalg::gemv_t(a_inv, d, d, x, v);
        }
        let s = 1.0 + w * linalg::dot(x, v);
        let theta = &mut self.theta[arm * d..(arm + 1) * d];
        let err = reward - linalg::dot(x, theta);
        linalg::axpy(theta, w * err / s, v);
        // A^-1 -= c c' with c = u sqrt(w / s): exactly symmetric.
        let c = (w / s).sqrt();
        for (ui, vi) in self.u.iter_mut().zip(v.iter()) {
            *ui = vi * c;
        }
        linalg::syr_sub(a_inv, d, &self.u);
        linalg::syr(&mut self.a[arm * dd..(arm + 1) * dd], d, w, x);
        linalg::axpy(&mut self.b[arm * d..(arm + 1) * d], w * reward, x);
    }

    #[inline]
    fn refresh_theta(&mut self, arm: usize) {
        let (d, dd) = (self.d, self.d * self.d);
        linalg::gemv_t(
            &self.a_inv[arm * dd..(arm + 1) * dd],
            d,
            d,
            &self.b[arm * d..(arm + 1) * d],
            &mut self.theta[arm * d..(arm + 1) * d],
        );
    }

    /// Replace arm `arm`'s `A^-1` by an exact inverse of `A` (Cholesky).
    pub fn reinvert_arm(&mut self, arm: usize) -> Result<()> {
        if arm >= self.k {
            return Err(LinUcbError::ArmOutOfRange {
                arm,
                n_arms: self.k,
            });
        }
        let (d, dd) = (self.d, self.d * self.d);
        linalg::spd_inverse(
            &self.a[arm * dd..(arm + 1) * dd],
            d,
            &mut self.a_inv[arm * dd..(arm + 1) * dd],
            &mut self.work,
        )
        .map_err(|pivot| {
            LinUcbError::Numerical(format!(
                "A of arm {arm} is not positive definite (pivot {pivot}); the state is corrupted"
            ))
        })?;
        self.since_reinvert[arm] = 0;
        self.v_valid = false;
        self.refresh_theta(arm);
        Ok(())
    }

    /// Re-invert every arm exactly.
    pub fn reinvert_all(&mut self) -> Result<()> {
        (0..self.k).try_for_each(|a| self.reinvert_arm(a))
    }

    /// `A` of `arm` (`d x d`, row-major).
    pub fn a(&self, arm: usize) -> &[f64] {
        let dd = self.d * self.d;
        &self.a[arm * dd..(arm + 1) * dd]
    }
    /// The kept inverse of `A` of `arm`.
    pub fn a_inv(&self, arm: usize) -> &[f64] {
        let dd = self.d * self.d;
        &self.a_inv[arm * dd..(arm + 1) * dd]
    }
    pub fn b(&self, arm: usize) -> &[f64] {
        &self.b[arm * self.d..(arm + 1) * self.d]
    }
    /// Ridge coefficients `A^-1 b` of `arm`.
    pub fn theta(&self, arm: usize) -> &[f64] {
        &self.theta[arm * self.d..(arm + 1) * self.d]
    }
    /// Observations learnt per arm (weights included).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }
    pub fn since_reinvert(&self) -> &[u64] {
        &self.since_reinvert
    }
    /// All arms' `A`, stacked (`k x d x d`).
    pub fn a_all(&self) -> &[f64] {
        &self.a
    }
    pub fn a_inv_all(&self) -> &[f64] {
        &self.a_inv
    }
    pub fn b_all(&self) -> &[f64] {
        &self.b
    }
    pub fn theta_all(&self) -> &[f64] {
        &self.theta
    }

    /// Largest `|A A^-1 - I|` entry over all arms: the drift of the kept inverses.
    pub fn inverse_drift(&self) -> f64 {
        let dd = self.d * self.d;
        (0..self.k)
            .map(|a| linalg::inverse_residual(self.a(a), &self.a_inv[a * dd..(a + 1) * dd], self.d))
            .fold(0.0, f64::max)
    }
}

/// Validate loaded arrays: finite, symmetric `A`, and `A^-1` close to the inverse.
pub(crate) fn check_state(a: &[f64], a_inv: &[f64], b: &[f64], d: usize, k: usize) -> Result<()> {
    if let Some(v) = a.iter().chain(a_inv).chain(b).find(|v| !v.is_finite()) {
        return Err(LinUcbError::InvalidData(format!(
            "saved bandit arrays contain a non-finite value ({v})"
        )));
    }
    let dd = d * d;
    for arm in 0..k {
        let m = &a[arm * dd..(arm + 1) * dd];
        for i in 0..d {
            for j in 0..i {
                if m[i * d + j] != m[j * d + i] {
                    return Err(LinUcbError::InvalidData(format!(
                        "A of arm {arm} is not symmetric at ({i}, {j})"
                    )));
                }
            }
        }
        let m_inv = &a_inv[arm * dd..(arm + 1) * dd];
        let r = linalg::inverse_residual(m, m_inv, d);
        // Rounding grows with the condition number; this only catches arrays
        // that do not belong together, not honest drift.
        let max_abs = |s: &[f64]| s.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
        let tol = 1e-6 * (d as f64 * max_abs(m) * max_abs(m_inv)).max(1.0);
        if r.is_nan() || r > tol {
            return Err(LinUcbError::InvalidData(format!(
                "A_inv of arm {arm} does not invert A (max |A A_inv - I| = {r:e})"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernels the library dispatches to (the AVX2 build on a CPU with
    /// AVX2, as on every x86-64 CI machine; the portable build elsewhere,
    /// which then is all the library runs) against the portable kernels.
    #[test]
    fn dispatched_and_portable_kernels_decide_and_learn_bit_identically() {
        let (d, k) = (11, 5);
        let mut rng = agent_core::SplitMix64::new(9);
        let mut fast = DisjointLinUcb::new(d, k, 0.7, 1.0, 32).unwrap();
        let mut portable = fast.clone();
        let mut x = vec![0.0; d];
        for t in 0..3000 {
            x.iter_mut().for_each(|v| *v = rng.next_normal());
            let a = fast.select_unchecked(&x);
            let b = portable.select_impl(&x);
            assert_eq!((a, &fast.scores), (b, &portable.scores), "decision {t}");
            let r = x[0] - x[1] + 0.1 * rng.next_normal();
            fast.update_unchecked(&x, a, r, 1).unwrap();
            portable.update_impl(&x, b, r, 1);
            portable.counts[b] += 1;
            portable.since_reinvert[b] += 1;
            portable.v_valid = false;
            if portable.since_reinvert[b] >= portable.reinvert_every {
                portable.reinvert_arm(b).unwrap();
            }
            assert_eq!(fast, portable, "state after update {t}");
        }
    }
}
