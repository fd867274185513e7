//! Hybrid LinUCB (Li et al. 2010, Algorithm 2): every arm has its own ridge
//! coefficients on the context `x` (dimension d) and all arms share
//! coefficients `beta` on `z_a = phi_a (x) x` (dimension `kz = m d`, where
//! `phi_a` is arm a's attribute row of length m).
//!
//! The shared block is kept in its Schur-complement form
//! `A0 = lambda I + sum z z' - sum_a B_a' A_a^-1 B_a`,
//! `b0 = sum r z - sum_a B_a' A_a^-1 b_a`. Instead of the paper's running
//! `+=`/`-=` updates (whose rounding accumulates), `A0` is rebuilt from the
//! plain sums and per-arm terms after every update, and factored exactly.
//! Per-arm `A_a^-1` follow Sherman-Morrison with periodic exact
//! re-inversion, as in the disjoint model. No allocation per decision.

use crate::disjoint::{check_context, check_reward};
use crate::error::{LinUcbError, Result};
use crate::linalg;

/// Hybrid LinUCB over contexts of dimension `dim` with arm attributes.
#[derive(Debug, Clone)]
pub struct HybridLinUcb {
    d: usize,
    k: usize,
    m: usize,
    kz: usize,
    alpha: f64,
    lambda: f64,
    reinvert_every: u64,
    /// `k x m` arm attributes.
    phi: Vec<f64>,
    // Shared block.
    zz: Vec<f64>,
    rz: Vec<f64>,
    a0: Vec<f64>,
    a0_inv: Vec<f64>,
    b0: Vec<f64>,
    beta: Vec<f64>,
    // Per arm.
    a: Vec<f64>,
    a_inv: Vec<f64>,
    /// `k` blocks of `d x kz`.
    bm: Vec<f64>,
    b: Vec<f64>,
    /// `W_a = A_a^-1 B_a` (`d x kz`), `c_a = A_a^-1 b_a`,
    /// `C_a = B_a' W_a` (`kz x kz`), `e_a = B_a' c_a`.
    w: Vec<f64>,
    c: Vec<f64>,
    cc: Vec<f64>,
    e: Vec<f64>,
    counts: Vec<u64>,
    since_reinvert: Vec<u64>,
    // Scratch.
    z: Vec<f64>,
    g: Vec<f64>,
    wx: Vec<f64>,
    h: Vec<f64>,
    v: Vec<f64>,
    t: Vec<f64>,
    scores: Vec<f64>,
    work: Vec<f64>,
    work0: Vec<f64>,
}

impl PartialEq for HybridLinUcb {
    /// Equal state (scratch buffers are ignored).
    fn eq(&self, o: &Self) -> bool {
        self.d == o.d
            && self.k == o.k
            && self.m == o.m
            && self.alpha == o.alpha
            && self.lambda == o.lambda
            && self.reinvert_every == o.reinvert_every
            && self.phi == o.phi
            && self.zz == o.zz
            && self.rz == o.rz
            && self.a == o.a
            && self.a_inv == o.a_inv
            && self.bm == o.bm
            && self.b == o.b
            && self.counts == o.counts
            && self.since_reinvert == o.since_reinvert
    }
}

/// Saved state of a hybrid bandit (see [`HybridLinUcb::from_parts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HybridParts {
    pub zz: Vec<f64>,
    pub rz: Vec<f64>,
    pub a: Vec<f64>,
    pub a_inv: Vec<f64>,
    pub bm: Vec<f64>,
    pub b: Vec<f64>,
    pub counts: Vec<u64>,
    pub since_reinvert: Vec<u64>,
}

impl HybridLinUcb {
    /// A fresh hybrid bandit. `arm_attributes` has one row per arm (equal
    /// lengths, finite values); `None` gives every arm the attribute `[1]`.
    pub fn new(
        dim: usize,
        n_arms: usize,
        arm_attributes: Option<&[Vec<f64>]>,
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
        let phi: Vec<f64> = match arm_attributes {
            None => vec![1.0; k],
            Some(rows) => {
                let m = rows.first().map_or(0, Vec::len);
                if rows.len() != k
                    || m == 0
                    || rows.iter().any(|r| r.len() != m)
                    || rows.iter().flatten().any(|v| !v.is_finite())
                {
                    return Err(LinUcbError::invalid_param(
                        "arm_attributes",
                        format!("{rows:?}"),
                        "needs one row per arm, all of the same non-zero length, finite values",
                    ));
                }
                rows.iter().flatten().copied().collect()
            }
        };
        let m = phi.len() / k;
        let kz = m * d;
        let mut me = Self {
            d,
            k,
            m,
            kz,
            alpha,
            lambda,
            reinvert_every,
            phi,
            zz: vec![0.0; kz * kz],
            rz: vec![0.0; kz],
            a0: vec![0.0; kz * kz],
            a0_inv: vec![0.0; kz * kz],
            b0: vec![0.0; kz],
            beta: vec![0.0; kz],
            a: vec![0.0; k * d * d],
            a_inv: vec![0.0; k * d * d],
            bm: vec![0.0; k * d * kz],
            b: vec![0.0; k * d],
            w: vec![0.0; k * d * kz],
            c: vec![0.0; k * d],
            cc: vec![0.0; k * kz * kz],
            e: vec![0.0; k * kz],
            counts: vec![0; k],
            since_reinvert: vec![0; k],
            z: vec![0.0; kz],
            g: vec![0.0; kz],
            wx: vec![0.0; kz],
            h: vec![0.0; kz],
            v: vec![0.0; d],
            t: vec![0.0; d.max(kz)],
            scores: vec![0.0; k],
            work: vec![0.0; d * d],
            work0: vec![0.0; kz * kz],
        };
        linalg::set_scaled_identity(&mut me.zz, kz, lambda);
        for arm in 0..k {
            linalg::set_scaled_identity(&mut me.a[arm * d * d..], d, lambda);
            linalg::set_scaled_identity(&mut me.a_inv[arm * d * d..], d, 1.0 / lambda);
        }
        me.refresh_shared()?;
        Ok(me)
    }

    /// Rebuild from saved state; derived quantities are recomputed.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        dim: usize,
        n_arms: usize,
        arm_attributes: Option<&[Vec<f64>]>,
        alpha: f64,
        lambda: f64,
        reinvert_every: u64,
        parts: HybridParts,
    ) -> Result<Self> {
        let mut me = Self::new(dim, n_arms, arm_attributes, alpha, lambda, reinvert_every)?;
        let (d, k, kz) = (me.d, me.k, me.kz);
        let checks: [(&'static str, usize, usize); 8] = [
            ("zz values", kz * kz, parts.zz.len()),
            ("rz values", kz, parts.rz.len()),
            ("A values", k * d * d, parts.a.len()),
            ("A_inv values", k * d * d, parts.a_inv.len()),
            ("B values", k * d * kz, parts.bm.len()),
            ("b values", k * d, parts.b.len()),
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
        crate::disjoint::check_state(&parts.a, &parts.a_inv, &parts.b, d, k)?;
        if let Some(v) = parts
            .zz
            .iter()
            .chain(&parts.rz)
            .chain(&parts.bm)
            .find(|v| !v.is_finite())
        {
            return Err(LinUcbError::InvalidData(format!(
                "saved hybrid arrays contain a non-finite value ({v})"
            )));
        }
        me.zz = parts.zz;
        me.rz = parts.rz;
        me.a = parts.a;
        me.a_inv = parts.a_inv;
        me.bm = parts.bm;
        me.b = parts.b;
        me.counts = parts.counts;
        me.since_reinvert = parts.since_reinvert;
        for arm in 0..k {
            me.refresh_arm_terms(arm);
        }
        me.refresh_shared()?;
        Ok(me)
    }

    pub fn dim(&self) -> usize {
        self.d
    }
    pub fn n_arms(&self) -> usize {
        self.k
    }
    /// Dimension of the shared features `z`.
    pub fn shared_dim(&self) -> usize {
        self.kz
    }
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
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

    /// `z_a = phi_a (x) x` into `z`.
    #[inline]
    fn build_z(phi: &[f64], m: usize, arm: usize, x: &[f64], z: &mut [f64]) {
        let d = x.len();
        for (j, &p) in phi[arm * m..(arm + 1) * m].iter().enumerate() {
            for (zi, xi) in z[j * d..(j + 1) * d].iter_mut().zip(x) {
                *zi = p * xi;
            }
        }
    }

    /// Choose an arm for context `x` (highest upper confidence bound, lowest
    /// index on ties); returns it with every arm's score.
    pub fn select(&mut self, x: &[f64]) -> Result<(usize, &[f64])> {
        check_context(x, self.d, "hybrid LinUCB context")?;
        let best = self.select_unchecked(x);
        Ok((best, &self.scores))
    }

    pub(crate) fn select_unchecked(&mut self, x: &[f64]) -> usize {
        let (d, kz) = (self.d, self.kz);
        let (dd, dkz) = (d * d, d * kz);
        let mut best = 0;
        let mut best_p = f64::NEG_INFINITY;
        for arm in 0..self.k {
            Self::build_z(&self.phi, self.m, arm, x, &mut self.z);
            // g = A0^-1 z, v = A_a^-1 x, wx = W_a' x = B_a' A_a^-1 x, h = A0^-1 wx.
            linalg::gemv_t(&self.a0_inv, kz, kz, &self.z, &mut self.g);
            linalg::gemv_t(&self.a_inv[arm * dd..(arm + 1) * dd], d, d, x, &mut self.v);
            let w_a = &self.w[arm * dkz..(arm + 1) * dkz];
            linalg::gemv_t(w_a, d, kz, x, &mut self.wx);
            linalg::gemv_t(&self.a0_inv, kz, kz, &self.wx, &mut self.h);
            let s = linalg::dot(&self.z, &self.g) - 2.0 * linalg::dot(&self.g, &self.wx)
                + linalg::dot(x, &self.v)
                + linalg::dot(&self.wx, &self.h);
            // theta_a = c_a - W_a beta.
            let theta = &mut self.t[..d];
            linalg::gemv(w_a, d, kz, &self.beta, theta);
            let c_a = &self.c[arm * d..(arm + 1) * d];
            let mut mean = linalg::dot(&self.z, &self.beta);
            for ((ti, ci), xi) in theta.iter().zip(c_a).zip(x) {
                mean += (ci - ti) * xi;
            }
            let p = mean + self.alpha * s.max(0.0).sqrt();
            self.scores[arm] = p;
            if p > best_p {
                best_p = p;
                best = arm;
            }
        }
        best
    }

    /// Scores of the last `select`.
    pub fn last_scores(&self) -> &[f64] {
        &self.scores
    }

    /// Learn reward `reward` of `arm` in context `x`.
    pub fn update(&mut self, x: &[f64], arm: usize, reward: f64) -> Result<()> {
        self.update_weighted(x, arm, reward, 1)
    }

    /// Learn `weight` identical observations at once (0 does nothing).
    pub fn update_weighted(
        &mut self,
        x: &[f64],
        arm: usize,
        reward: f64,
        weight: u64,
    ) -> Result<()> {
        check_context(x, self.d, "hybrid LinUCB context")?;
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

    pub(crate) fn update_unchecked(
        &mut self,
        x: &[f64],
        arm: usize,
        reward: f64,
        weight: u64,
    ) -> Result<()> {
        let (d, kz) = (self.d, self.kz);
        let (dd, dkz) = (d * d, d * kz);
        let wgt = weight as f64;
        Self::build_z(&self.phi, self.m, arm, x, &mut self.z);
        // Sherman-Morrison on A_a^-1, as in the disjoint model.
        let a_inv = &mut self.a_inv[arm * dd..(arm + 1) * dd];
        linalg::gemv_t(a_inv, d, d, x, &mut self.v);
        let s = 1.0 + wgt * linalg::dot(x, &self.v);
        let cfac = (wgt / s).sqrt();
        for vi in self.v.iter_mut() {
            *vi *= cfac;
        }
        linalg::syr_sub(a_inv, d, &self.v);
        linalg::syr(&mut self.a[arm * dd..(arm + 1) * dd], d, wgt, x);
        // B_a += w x z', b_a += w r x, zz += w z z', rz += w r z.
        let bm = &mut self.bm[arm * dkz..(arm + 1) * dkz];
        for (row, &xi) in bm.chunks_exact_mut(kz).zip(x) {
            linalg::axpy(row, wgt * xi, &self.z);
        }
        linalg::axpy(&mut self.b[arm * d..(arm + 1) * d], wgt * reward, x);
        linalg::syr(&mut self.zz, kz, wgt, &self.z);
        linalg::axpy(&mut self.rz, wgt * reward, &self.z);
        self.counts[arm] += weight;
        self.since_reinvert[arm] += 1;
        if self.reinvert_every > 0 && self.since_reinvert[arm] >= self.reinvert_every {
            self.reinvert_arm_inner(arm)?;
        }
        self.refresh_arm_terms(arm);
        self.refresh_shared()
    }

    fn reinvert_arm_inner(&mut self, arm: usize) -> Result<()> {
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
        Ok(())
    }

    /// Re-invert every arm's `A` exactly and rebuild the shared block.
    pub fn reinvert_all(&mut self) -> Result<()> {
        for arm in 0..self.k {
            self.reinvert_arm_inner(arm)?;
            self.refresh_arm_terms(arm);
        }
        self.refresh_shared()
    }

    /// Recompute `W_a`, `c_a`, `C_a`, `e_a` from `A_a^-1`, `B_a`, `b_a`.
    fn refresh_arm_terms(&mut self, arm: usize) {
        let (d, kz) = (self.d, self.kz);
        let (dd, dkz, kk) = (d * d, d * kz, kz * kz);
        let a_inv = &self.a_inv[arm * dd..(arm + 1) * dd];
        let bm = &self.bm[arm * dkz..(arm + 1) * dkz];
        let w = &mut self.w[arm * dkz..(arm + 1) * dkz];
        // W = A^-1 B: row i of W = sum_j A^-1[i, j] B[j, :].
        w.fill(0.0);
        for (wrow, arow) in w.chunks_exact_mut(kz).zip(a_inv.chunks_exact(d)) {
            for (&aij, brow) in arow.iter().zip(bm.chunks_exact(kz)) {
                linalg::axpy(wrow, aij, brow);
            }
        }
        linalg::gemv_t(
            a_inv,
            d,
            d,
            &self.b[arm * d..(arm + 1) * d],
            &mut self.c[arm * d..(arm + 1) * d],
        );
        // C = B' W (symmetric: B' A^-1 B); e = B' c.
        let cc = &mut self.cc[arm * kk..(arm + 1) * kk];
        cc.fill(0.0);
        for (brow, wrow) in bm.chunks_exact(kz).zip(w.chunks_exact(kz)) {
            linalg::ger_upper(cc, kz, brow, wrow);
        }
        linalg::symmetrize_from_upper(cc, kz);
        linalg::gemv_t(
            bm,
            d,
            kz,
            &self.c[arm * d..(arm + 1) * d],
            &mut self.e[arm * kz..(arm + 1) * kz],
        );
    }

    /// `A0 = zz - sum C_a`, `b0 = rz - sum e_a`, then `A0^-1` and `beta`.
    fn refresh_shared(&mut self) -> Result<()> {
        let (kz, kk) = (self.kz, self.kz * self.kz);
        self.a0.copy_from_slice(&self.zz);
        self.b0.copy_from_slice(&self.rz);
        for arm in 0..self.k {
            for (a0, c) in self.a0.iter_mut().zip(&self.cc[arm * kk..(arm + 1) * kk]) {
                *a0 -= c;
            }
            for (b0, e) in self.b0.iter_mut().zip(&self.e[arm * kz..(arm + 1) * kz]) {
                *b0 -= e;
            }
        }
        linalg::spd_inverse(&self.a0, kz, &mut self.a0_inv, &mut self.work0).map_err(|pivot| {
            LinUcbError::Numerical(format!(
                "the shared matrix A0 is not positive definite (pivot {pivot})"
            ))
        })?;
        linalg::gemv_t(&self.a0_inv, kz, kz, &self.b0, &mut self.beta);
        Ok(())
    }

    /// Shared coefficients `beta = A0^-1 b0`.
    pub fn beta(&self) -> &[f64] {
        &self.beta
    }
    pub fn a0(&self) -> &[f64] {
        &self.a0
    }
    pub fn a0_inv(&self) -> &[f64] {
        &self.a0_inv
    }
    pub fn b0(&self) -> &[f64] {
        &self.b0
    }
    /// `lambda I + sum z z'` (the shared block before the arm terms).
    pub fn zz(&self) -> &[f64] {
        &self.zz
    }
    /// `sum r z`.
    pub fn rz(&self) -> &[f64] {
        &self.rz
    }
    pub fn a_all(&self) -> &[f64] {
        &self.a
    }
    pub fn a_inv_all(&self) -> &[f64] {
        &self.a_inv
    }
    /// All arms' `B` (`k x d x kz`).
    pub fn bm_all(&self) -> &[f64] {
        &self.bm
    }
    pub fn b_all(&self) -> &[f64] {
        &self.b
    }
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }
    pub fn since_reinvert(&self) -> &[u64] {
        &self.since_reinvert
    }
    /// Per-arm coefficients `theta_a = A_a^-1 (b_a - B_a beta)` into `out` (`d`).
    pub fn theta_into(&self, arm: usize, out: &mut [f64]) {
        let (d, kz) = (self.d, self.kz);
        let dkz = d * kz;
        linalg::gemv(&self.w[arm * dkz..(arm + 1) * dkz], d, kz, &self.beta, out);
        for (o, c) in out[..d].iter_mut().zip(&self.c[arm * d..(arm + 1) * d]) {
            *o = c - *o;
        }
    }
    /// Largest `|A A^-1 - I|` over the arms.
    pub fn inverse_drift(&self) -> f64 {
        let dd = self.d * self.d;
        (0..self.k)
            .map(|a| {
                linalg::inverse_residual(
                    &self.a[a * dd..(a + 1) * dd],
                    &self.a_inv[a * dd..(a + 1) * dd],
                    self.d,
                )
            })
            .fold(0.0, f64::max)
    }
    /// Arm attributes (`k x m`, row-major).
    pub fn arm_attributes(&self) -> &[f64] {
        &self.phi
    }
}
