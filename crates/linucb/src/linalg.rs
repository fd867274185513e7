//! Small dense linear algebra over plain row-major `f64` slices, written for
//! the bandit's sizes (d up to a few dozen).
//!
//! Reductions use four fixed partial sums and vector updates are
//! element-wise, so the compiler vectorises them while the rounding is the
//! same on every CPU (no fused multiply-add, no reassociation): a model makes
//! bit-identical decisions wherever it runs. Nothing here allocates.

/// `a . b` over the common length, with four interleaved partial sums.
#[inline(always)]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `y += alpha * x` element-wise.
#[inline(always)]
pub fn axpy(y: &mut [f64], alpha: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `out = M' x` for a row-major `rows x cols` matrix `M` (`x` has `rows`
/// values, `out` has `cols`). For a symmetric `M` this is `M x`.
///
/// Column blocks of 8 are accumulated in registers over all rows, so every
/// output is the plain sum `sum_i x_i M[i, j]` in row order (same rounding
/// as the naive loop) while the block runs as SIMD.
#[inline(always)]
pub fn gemv_t(m: &[f64], rows: usize, cols: usize, x: &[f64], out: &mut [f64]) {
    let m = &m[..rows * cols];
    let x = &x[..rows];
    let out = &mut out[..cols];
    let mut j = 0;
    while j + 8 <= cols {
        let mut acc = [0.0f64; 8];
        for (row, &xi) in m.chunks_exact(cols).zip(x) {
            let r = &row[j..j + 8];
            for l in 0..8 {
                acc[l] += xi * r[l];
            }
        }
        out[j..j + 8].copy_from_slice(&acc);
        j += 8;
    }
    if j + 4 <= cols {
        let mut acc = [0.0f64; 4];
        for (row, &xi) in m.chunks_exact(cols).zip(x) {
            let r = &row[j..j + 4];
            for l in 0..4 {
                acc[l] += xi * r[l];
            }
        }
        out[j..j + 4].copy_from_slice(&acc);
        j += 4;
    }
    for jj in j..cols {
        let mut acc = 0.0;
        for (row, &xi) in m.chunks_exact(cols).zip(x) {
            acc += xi * row[jj];
        }
        out[jj] = acc;
    }
}

/// `out_g = M_g' x` for `n_mats` row-major `rows x cols` matrices stored
/// back to back in `m` (outputs back to back in `out`).
///
/// Four matrices are walked together so eight independent accumulator
/// chains are in flight (one matrix alone is bound by add latency). Every
/// output has exactly the rounding of [`gemv_t`].
#[inline(always)]
pub fn gemv_t_batch(
    m: &[f64],
    n_mats: usize,
    rows: usize,
    cols: usize,
    x: &[f64],
    out: &mut [f64],
) {
    let mm = rows * cols;
    let m = &m[..n_mats * mm];
    let x = &x[..rows];
    let out = &mut out[..n_mats * cols];
    let mut g = 0;
    while g + 4 <= n_mats {
        let ms = [
            &m[g * mm..(g + 1) * mm],
            &m[(g + 1) * mm..(g + 2) * mm],
            &m[(g + 2) * mm..(g + 3) * mm],
            &m[(g + 3) * mm..(g + 4) * mm],
        ];
        let rows4 = || {
            ms[0]
                .chunks_exact(cols)
                .zip(ms[1].chunks_exact(cols))
                .zip(ms[2].chunks_exact(cols))
                .zip(ms[3].chunks_exact(cols))
                .zip(x)
        };
        let mut j = 0;
        while j + 8 <= cols {
            let mut acc = [[0.0f64; 8]; 4];
            for ((((r0, r1), r2), r3), &xi) in rows4() {
                let rs = [&r0[j..j + 8], &r1[j..j + 8], &r2[j..j + 8], &r3[j..j + 8]];
                for q in 0..4 {
                    for l in 0..8 {
                        acc[q][l] += xi * rs[q][l];
                    }
                }
            }
            for (q, a) in acc.iter().enumerate() {
                out[(g + q) * cols + j..(g + q) * cols + j + 8].copy_from_slice(a);
            }
            j += 8;
        }
        while j + 4 <= cols {
            let mut acc = [[0.0f64; 4]; 4];
            for ((((r0, r1), r2), r3), &xi) in rows4() {
                let rs = [&r0[j..j + 4], &r1[j..j + 4], &r2[j..j + 4], &r3[j..j + 4]];
                for q in 0..4 {
                    for l in 0..4 {
                        acc[q][l] += xi * rs[q][l];
                    }
                }
            }
            for (q, a) in acc.iter().enumerate() {
                out[(g + q) * cols + j..(g + q) * cols + j + 4].copy_from_slice(a);
            }
            j += 4;
        }
        for jj in j..cols {
            for q in 0..4 {
                let mut acc = 0.0;
                for (i, &xi) in x.iter().enumerate() {
                    acc += xi * ms[q][i * cols + jj];
                }
                out[(g + q) * cols + jj] = acc;
            }
        }
        g += 4;
    }
    for g in g..n_mats {
        gemv_t(
            &m[g * mm..(g + 1) * mm],
            rows,
            cols,
            x,
            &mut out[g * cols..(g + 1) * cols],
        );
    }
}

/// The UCB terms of `n` arms in one pass: for the stacked symmetric
/// `d x d` matrices `M_g` (in `m`) and rows `theta_g` (in `theta`),
/// `v_g = M_g x`, `q_g = x . v_g` and `t_g = theta_g . x`.
///
/// Four arms are walked together (eight independent accumulator chains),
/// and the two dot products are folded into the same column blocks, so
/// no horizontal reduction runs per column. Each `v_g` has exactly the
/// rounding of [`gemv_t`]; `q_g` and `t_g` use a fixed order too.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn ucb_terms_batch(
    m: &[f64],
    theta: &[f64],
    n: usize,
    d: usize,
    x: &[f64],
    v: &mut [f64],
    q: &mut [f64],
    t: &mut [f64],
) {
    let mut g = 0;
    while g + 4 <= n {
        ucb_group::<4>(m, theta, g, d, x, v, q, t);
        g += 4;
    }
    while g < n {
        ucb_group::<1>(m, theta, g, d, x, v, q, t);
        g += 1;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
fn ucb_group<const G: usize>(
    m: &[f64],
    theta: &[f64],
    g: usize,
    d: usize,
    x: &[f64],
    v: &mut [f64],
    q: &mut [f64],
    t: &mut [f64],
) {
    let dd = d * d;
    let x = &x[..d];
    let ms: [&[f64]; G] = std::array::from_fn(|k| &m[(g + k) * dd..(g + k + 1) * dd]);
    let ths: [&[f64]; G] = std::array::from_fn(|k| &theta[(g + k) * d..(g + k + 1) * d]);
    let mut qp = [[0.0f64; 4]; G];
    let mut tp = [[0.0f64; 4]; G];
    let mut j = 0;
    while j + 8 <= d {
        let mut acc = [[0.0f64; 8]; G];
        for (i, &xi) in x.iter().enumerate() {
            let o = i * d + j;
            for k in 0..G {
                let r = &ms[k][o..o + 8];
                for l in 0..8 {
                    acc[k][l] += xi * r[l];
                }
            }
        }
        let xb = &x[j..j + 8];
        for k in 0..G {
            v[(g + k) * d + j..(g + k) * d + j + 8].copy_from_slice(&acc[k]);
            let th = &ths[k][j..j + 8];
            for l in 0..4 {
                qp[k][l] += acc[k][l] * xb[l] + acc[k][l + 4] * xb[l + 4];
                tp[k][l] += th[l] * xb[l] + th[l + 4] * xb[l + 4];
            }
        }
        j += 8;
    }
    while j + 4 <= d {
        let mut acc = [[0.0f64; 4]; G];
        for (i, &xi) in x.iter().enumerate() {
            let o = i * d + j;
            for k in 0..G {
                let r = &ms[k][o..o + 4];
                for l in 0..4 {
                    acc[k][l] += xi * r[l];
                }
            }
        }
        let xb = &x[j..j + 4];
        for k in 0..G {
            v[(g + k) * d + j..(g + k) * d + j + 4].copy_from_slice(&acc[k]);
            let th = &ths[k][j..j + 4];
            for l in 0..4 {
                qp[k][l] += acc[k][l] * xb[l];
                tp[k][l] += th[l] * xb[l];
            }
        }
        j += 4;
    }
    for jj in j..d {
        for k in 0..G {
            let mut acc = 0.0;
            for (i, &xi) in x.iter().enumerate() {
                acc += xi * ms[k][i * d + jj];
            }
            v[(g + k) * d + jj] = acc;
            qp[k][0] += acc * x[jj];
            tp[k][0] += ths[k][jj] * x[jj];
        }
    }
    for k in 0..G {
        q[g + k] = (qp[k][0] + qp[k][2]) + (qp[k][1] + qp[k][3]);
        t[g + k] = (tp[k][0] + tp[k][2]) + (tp[k][1] + tp[k][3]);
    }
}

/// `out = M x` for a row-major `rows x cols` matrix (`x` has `cols` values).
#[inline(always)]
pub fn gemv(m: &[f64], rows: usize, cols: usize, x: &[f64], out: &mut [f64]) {
    for (o, row) in out[..rows].iter_mut().zip(m.chunks_exact(cols)) {
        *o = dot(row, x);
    }
}

/// `M += w * v v'` on a square row-major `n x n` matrix. Entry `(i, j)`
/// gets `w (v_i v_j)`: the product is formed first, so `(i, j)` and `(j, i)`
/// receive the identical value and a symmetric matrix stays symmetric.
#[inline(always)]
pub fn syr(m: &mut [f64], n: usize, w: f64, v: &[f64]) {
    if w == 1.0 {
        // The common unweighted update: `1 * p == p`, so this is the same sum.
        for (row, &vi) in m.chunks_exact_mut(n).take(n).zip(v) {
            for (mij, vj) in row.iter_mut().zip(&v[..n]) {
                *mij += vi * vj;
            }
        }
        return;
    }
    for (row, &vi) in m.chunks_exact_mut(n).take(n).zip(v) {
        for (mij, vj) in row.iter_mut().zip(&v[..n]) {
            *mij += w * (vi * vj);
        }
    }
}

/// `M -= v v'` on a square row-major `n x n` matrix; entry `(i, j)` and
/// `(j, i)` receive the identical product `v_i v_j`, so a symmetric matrix
/// stays exactly symmetric.
#[inline(always)]
pub fn syr_sub(m: &mut [f64], n: usize, v: &[f64]) {
    for (row, &vi) in m.chunks_exact_mut(n).take(n).zip(v) {
        for (mij, vj) in row.iter_mut().zip(&v[..n]) {
            *mij -= vi * vj;
        }
    }
}

/// Upper triangle only (`q >= p`) of `M += x y'` on a square `n x n` matrix;
/// pair with [`symmetrize_from_upper`] for products known to be symmetric.
#[inline]
pub fn ger_upper(m: &mut [f64], n: usize, x: &[f64], y: &[f64]) {
    for (p, (row, &xp)) in m.chunks_exact_mut(n).take(n).zip(x).enumerate() {
        axpy(&mut row[p..], xp, &y[p..n]);
    }
}

/// Copy the upper triangle onto the lower one.
pub fn symmetrize_from_upper(m: &mut [f64], n: usize) {
    for i in 0..n {
        for j in 0..i {
            m[i * n + j] = m[j * n + i];
        }
    }
}

/// Set the `n x n` matrix to `diag * I`.
pub fn set_scaled_identity(m: &mut [f64], n: usize, diag: f64) {
    m[..n * n].fill(0.0);
    for i in 0..n {
        m[i * n + i] = diag;
    }
}

/// In-place Cholesky factorisation `A = U' U` of a symmetric positive
/// definite row-major `n x n` matrix (only the upper triangle is read). On
/// success the upper triangle holds `U` and the strict lower triangle is
/// zeroed. On failure returns the index of the first non-positive pivot.
///
/// Right-looking, so every inner loop runs along a contiguous row.
pub fn cholesky_in_place(a: &mut [f64], n: usize) -> Result<(), usize> {
    let a = &mut a[..n * n];
    for k in 0..n {
        let (head, tail) = a.split_at_mut((k + 1) * n);
        let row_k = &mut head[k * n..];
        let d = row_k[k];
        if !(d > 0.0 && d.is_finite()) {
            return Err(k);
        }
        let u = d.sqrt();
        row_k[k] = u;
        let inv = 1.0 / u;
        for v in &mut row_k[k + 1..] {
            *v *= inv;
        }
        // Trailing update of the upper triangle: A[i][i..] -= U[k][i] U[k][i..].
        for (r, row_i) in tail.chunks_exact_mut(n).enumerate() {
            let i = k + 1 + r;
            let f = row_k[i];
            for (aij, ukj) in row_i[i..].iter_mut().zip(&row_k[i..]) {
                *aij -= f * ukj;
            }
        }
    }
    for i in 1..n {
        a[i * n..i * n + i].fill(0.0);
    }
    Ok(())
}

/// Solve `U' U x = b` in place given the factor `U` of [`cholesky_in_place`].
pub fn cholesky_solve(u: &[f64], n: usize, b: &mut [f64]) {
    let b = &mut b[..n];
    // U' y = b, column-oriented: every update is a contiguous row of U.
    for k in 0..n {
        let row = &u[k * n..(k + 1) * n];
        let yk = b[k] / row[k];
        b[k] = yk;
        for (bi, uki) in b[k + 1..].iter_mut().zip(&row[k + 1..]) {
            *bi -= yk * uki;
        }
    }
    // U x = y, by rows.
    for i in (0..n).rev() {
        let row = &u[i * n..(i + 1) * n];
        let s = dot(&row[i + 1..], &b[i + 1..]);
        b[i] = (b[i] - s) / row[i];
    }
}

/// [`cholesky_solve`] for two right-hand sides at once (one pass over `U`).
pub fn cholesky_solve2(u: &[f64], n: usize, b1: &mut [f64], b2: &mut [f64]) {
    let (b1, b2) = (&mut b1[..n], &mut b2[..n]);
    for k in 0..n {
        let row = &u[k * n..(k + 1) * n];
        let (y1, y2) = (b1[k] / row[k], b2[k] / row[k]);
        b1[k] = y1;
        b2[k] = y2;
        for ((p, q), uki) in b1[k + 1..]
            .iter_mut()
            .zip(b2[k + 1..].iter_mut())
            .zip(&row[k + 1..])
        {
            *p -= y1 * uki;
            *q -= y2 * uki;
        }
    }
    for i in (0..n).rev() {
        let row = &u[i * n..(i + 1) * n];
        let s1 = dot(&row[i + 1..], &b1[i + 1..]);
        let s2 = dot(&row[i + 1..], &b2[i + 1..]);
        b1[i] = (b1[i] - s1) / row[i];
        b2[i] = (b2[i] - s2) / row[i];
    }
}

/// Inverse of a symmetric positive definite `n x n` matrix: `out = A^-1`,
/// exactly symmetric. `work` needs `n * n` values. Returns the failing pivot
/// when `A` is not positive definite.
pub fn spd_inverse(a: &[f64], n: usize, out: &mut [f64], work: &mut [f64]) -> Result<(), usize> {
    let nn = n * n;
    let u = &mut work[..nn];
    u.copy_from_slice(&a[..nn]);
    cholesky_in_place(u, n)?;
    // V = U^-1 in place, columns right to left, each from the diagonal up:
    // V[i][j] = -(sum_{k=i+1..=j} U[i][k] V[k][j]) / U[i][i]. Columns left of
    // j still hold U, the part of column j below row i already holds V.
    for j in (0..n).rev() {
        u[j * n + j] = 1.0 / u[j * n + j];
        for i in (0..j).rev() {
            let mut s = 0.0;
            for k in (i + 1)..=j {
                s += u[i * n + k] * u[k * n + j];
            }
            u[i * n + j] = -s / u[i * n + i];
        }
    }
    // A^-1 = V V': entry (i, j) = V[i][j..] . V[j][j..] for j >= i.
    let out = &mut out[..nn];
    for i in 0..n {
        for j in i..n {
            let s = dot(&u[i * n + j..(i + 1) * n], &u[j * n + j..(j + 1) * n]);
            out[i * n + j] = s;
            out[j * n + i] = s;
        }
    }
    Ok(())
}

/// Largest absolute entry of `A X - I` for square row-major matrices: how far
/// `X` is from being `A`'s inverse.
pub fn inverse_residual(a: &[f64], x: &[f64], n: usize) -> f64 {
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            let mut s = 0.0;
            for k in 0..n {
                s += a[i * n + k] * x[k * n + j];
            }
            let target = if i == j { 1.0 } else { 0.0 };
            worst = worst.max((s - target).abs());
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spd(n: usize, seed: u64) -> Vec<f64> {
        let mut r = agent_core::SplitMix64::new(seed);
        let mut g = vec![0.0; n * n];
        for v in &mut g {
            *v = r.next_f64() - 0.5;
        }
        let mut a = vec![0.0; n * n];
        set_scaled_identity(&mut a, n, 0.5);
        for k in 0..n {
            let col: Vec<f64> = (0..n).map(|i| g[i * n + k]).collect();
            syr(&mut a, n, 1.0, &col);
        }
        a
    }

    #[test]
    fn dot_matches_naive_sum_on_odd_lengths() {
        for n in 0..11 {
            let a: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
            let b: Vec<f64> = (0..n).map(|i| 2.0 - i as f64).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() < 1e-12);
        }
    }

    #[test]
    fn spd_inverse_and_solve_agree_with_identity() {
        for n in [1, 2, 5, 16] {
            let a = spd(n, n as u64);
            let mut inv = vec![0.0; n * n];
            let mut work = vec![0.0; n * n];
            spd_inverse(&a, n, &mut inv, &mut work).unwrap();
            assert!(inverse_residual(&a, &inv, n) < 1e-10);
            let mut l = a.clone();
            cholesky_in_place(&mut l, n).unwrap();
            let rhs: Vec<f64> = (0..n).map(|i| i as f64 - 1.0).collect();
            let mut x = rhs.clone();
            cholesky_solve(&l, n, &mut x);
            let mut back = vec![0.0; n];
            gemv(&a, n, n, &x, &mut back);
            for (p, q) in back.iter().zip(&rhs) {
                assert!((p - q).abs() < 1e-10);
            }
            let (mut y1, mut y2) = (rhs.clone(), vec![1.0; n]);
            cholesky_solve2(&l, n, &mut y1, &mut y2);
            assert_eq!(y1, x, "two right-hand sides solve like one");
            let mut ones = vec![1.0; n];
            cholesky_solve(&l, n, &mut ones);
            assert_eq!(y2, ones);
        }
    }

    #[test]
    fn cholesky_reports_the_failing_pivot_of_an_indefinite_matrix() {
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        assert_eq!(cholesky_in_place(&mut a, 2), Err(1));
    }
}
