//! Small dense linear algebra for the regressions of this crate: an in-place
//! Cholesky of a packed Gram matrix and Householder QR least squares. The
//! matrices are at most a few dozen columns wide, so plain loops over
//! row-major storage beat any BLAS call overhead.

/// Cholesky of the symmetric positive definite `n x n` matrix `a` (row-major,
/// upper triangle read), overwritten by the upper factor `R` with `a = R'R`.
///
/// Returns the index of the first pivot that is not positive relative to the
/// diagonal scale (a rank-deficient or non-finite design) as `Err`.
pub(crate) fn cholesky_upper(a: &mut [f64], n: usize) -> Result<(), usize> {
    debug_assert_eq!(a.len(), n * n);
    for k in 0..n {
        let scale = a[k * n + k].abs();
        let mut d = a[k * n + k];
        for i in 0..k {
            let r = a[i * n + k];
            d -= r * r;
        }
        // Relative pivot test: a pivot this small means the column is (nearly)
        // a combination of the ones before it.
        if !d.is_finite() || d <= 1e-13 * scale {
            return Err(k);
        }
        let rkk = d.sqrt();
        a[k * n + k] = rkk;
        for j in k + 1..n {
            let mut s = a[k * n + j];
            for i in 0..k {
                s -= a[i * n + k] * a[i * n + j];
            }
            a[k * n + j] = s / rkk;
        }
        // Zero the strict lower part so the buffer holds exactly R.
        for j in 0..k {
            a[k * n + j] = 0.0;
        }
    }
    Ok(())
}

/// Householder QR of the `m x k` column-major matrix `a` (column `j` is
/// `a[j*m .. (j+1)*m]`), applied also to `y`. On return the upper triangle of
/// `a` holds `R` (diagonal possibly negative), `y[..k]` holds `Q'y` and the
/// squared norm of `y[k..]` is the residual sum of squares.
///
/// Returns `Err(j)` when column `j` is numerically dependent on the previous
/// ones.
pub(crate) fn householder_qr(
    a: &mut [f64],
    m: usize,
    k: usize,
    y: &mut [f64],
) -> Result<(), usize> {
    debug_assert!(m >= k && a.len() == m * k && y.len() == m);
    for j in 0..k {
        let (head, tail) = a.split_at_mut((j + 1) * m);
        let col = &mut head[j * m..];
        let orig_norm = col.iter().map(|v| v * v).sum::<f64>().sqrt();
        let norm = col[j..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if !norm.is_finite() || norm <= 1e-12 * orig_norm {
            return Err(j);
        }
        // v = x + sign(x0)|x| e0, stored in place of the column below the diagonal.
        let alpha = if col[j] >= 0.0 { -norm } else { norm };
        col[j] -= alpha;
        let vtv = col[j..].iter().map(|v| v * v).sum::<f64>();
        let v = &col[j..];
        // Apply H = I - 2 vv'/v'v to the remaining columns and to y.
        for c in 0..(k - j - 1) {
            let other = &mut tail[c * m + j..(c + 1) * m];
            let s = 2.0 * dot(v, other) / vtv;
            for (o, vi) in other.iter_mut().zip(v) {
                *o -= s * vi;
            }
        }
        let yj = &mut y[j..];
        let s = 2.0 * dot(v, yj) / vtv;
        for (o, vi) in yj.iter_mut().zip(v) {
            *o -= s * vi;
        }
        col[j] = alpha;
        for v in col[j + 1..].iter_mut() {
            *v = 0.0;
        }
    }
    Ok(())
}

/// Solve `R b = z` for upper-triangular `R` stored column-major with leading
/// dimension `m` (as left by [`householder_qr`]).
#[cfg(test)]
pub(crate) fn back_substitute_colmajor(r: &[f64], m: usize, k: usize, z: &[f64]) -> Vec<f64> {
    let mut b = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = z[i];
        for j in i + 1..k {
            s -= r[j * m + i] * b[j];
        }
        b[i] = s / r[i * m + i];
    }
    b
}

/// Diagonal of `(R'R)^{-1}` for upper-triangular `R` (column-major, leading
/// dimension `m`): the unscaled coefficient variances of a least-squares fit.
pub(crate) fn inv_rtr_diag_colmajor(r: &[f64], m: usize, k: usize) -> Vec<f64> {
    // Rinv is upper triangular; (R'R)^{-1} = Rinv Rinv', diag_i = sum_j Rinv[i][j]^2.
    let mut rinv = vec![0.0; k * k]; // row-major
    for j in 0..k {
        rinv[j * k + j] = 1.0 / r[j * m + j];
        for i in (0..j).rev() {
            let mut s = 0.0;
            for l in i + 1..=j {
                s += r[l * m + i] * rinv[l * k + j];
            }
            rinv[i * k + j] = -s / r[i * m + i];
        }
    }
    (0..k)
        .map(|i| (i..k).map(|j| rinv[i * k + j] * rinv[i * k + j]).sum())
        .collect()
}

#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Four accumulators let the compiler vectorise without reassociation flags.
    let n = a.len().min(b.len());
    let (mut s0, mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0, 0.0);
    let chunks = n / 4;
    for c in 0..chunks {
        let i = 4 * c;
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for i in 4 * chunks..n {
        s0 += a[i] * b[i];
    }
    (s0 + s1) + (s2 + s3)
}

/// Mean and population variance by two passes (mean, then squared deviations),
/// as NumPy's `std` does.
pub(crate) fn mean_var0(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
    (m, v)
}

/// OLS slope and intercept of `y` on `x` (centred formulas).
pub(crate) fn simple_ols(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    let slope = sxy / sxx;
    (slope, my - slope * mx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn householder_solves_a_small_least_squares_problem_exactly() {
        // y = 1 + 2 t, exact fit.
        let m = 5;
        let mut a = vec![0.0; m * 2];
        let mut y = vec![0.0; m];
        for t in 0..m {
            a[t] = 1.0;
            a[m + t] = t as f64;
            y[t] = 1.0 + 2.0 * t as f64;
        }
        householder_qr(&mut a, m, 2, &mut y).unwrap();
        let b = back_substitute_colmajor(&a, m, 2, &y);
        assert!((b[0] - 1.0).abs() < 1e-12 && (b[1] - 2.0).abs() < 1e-12);
        assert!(y[2..].iter().map(|v| v * v).sum::<f64>() < 1e-20);
    }

    #[test]
    fn cholesky_rejects_a_rank_deficient_gram() {
        let mut g = vec![1.0, 2.0, 2.0, 4.0];
        assert_eq!(cholesky_upper(&mut g, 2), Err(1));
        let mut g = vec![4.0, 2.0, 2.0, 3.0];
        cholesky_upper(&mut g, 2).unwrap();
        assert!((g[0] - 2.0).abs() < 1e-15 && (g[1] - 1.0).abs() < 1e-15);
        assert!((g[3] - 2f64.sqrt()).abs() < 1e-15 && g[2] == 0.0);
    }

    #[test]
    fn inverse_diagonal_matches_direct_inverse() {
        // R = [[2, 1], [0, 3]] column-major with m = 2.
        let r = vec![2.0, 0.0, 1.0, 3.0];
        let d = inv_rtr_diag_colmajor(&r, 2, 2);
        // R'R = [[4, 2], [2, 10]], inverse diag = [10, 4] / 36.
        assert!((d[0] - 10.0 / 36.0).abs() < 1e-15);
        assert!((d[1] - 4.0 / 36.0).abs() < 1e-15);
    }
}
