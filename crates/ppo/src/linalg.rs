//! The three dense products of an MLP's forward and backward pass on
//! row-major `f32` slices, through the `gemm` crate (runtime-dispatched
//! AVX/FMA kernels, the same one burn's flex backend uses). Shapes are
//! checked before the unsafe call, so a wrong size panics with a message
//! instead of reading out of bounds; callers size their buffers from the
//! network layout, never from user data.

use gemm::{Parallelism, gemm};

#[inline]
fn check(what: &str, len: usize, need: usize) {
    assert!(len >= need, "{what}: buffer of {len} values, need {need}");
}

/// `c[m x n] (+)= A * B` for operands given by their (column, row) strides:
/// element (i, p) of `A` is `a[i * a_strides.1 + p * a_strides.0]`, and the
/// same for `B` with (p, j). The callers below checked the buffer sizes for
/// their layouts.
#[allow(clippy::too_many_arguments)]
fn strided_product(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    a_strides: (isize, isize),
    b: &[f32],
    b_strides: (isize, isize),
    c: &mut [f32],
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].iter_mut().for_each(|x| *x = 0.0);
        }
        return;
    }
    // SAFETY: every caller checked that `a`, `b` and `c` hold all the
    // elements their strides address for these m, k, n; `c` is row-major.
    unsafe {
        gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_strides.0,
            a_strides.1,
            b.as_ptr(),
            b_strides.0,
            b_strides.1,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// `c[m x n] (+)= a[m x k] * b[k x n]`.
pub fn matmul(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    check("matmul lhs", a.len(), m * k);
    check("matmul rhs", b.len(), k * n);
    check("matmul dst", c.len(), m * n);
    // Row-major: row stride = columns, column stride = 1.
    strided_product(
        m,
        k,
        n,
        a,
        (1, k as isize),
        b,
        (1, n as isize),
        c,
        accumulate,
    );
}

/// `c[m x n] (+)= a[m x k] * b^T` where `b` is stored `[n x k]`.
pub fn matmul_nt(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    accumulate: bool,
) {
    check("matmul_nt lhs", a.len(), m * k);
    check("matmul_nt rhs", b.len(), n * k);
    check("matmul_nt dst", c.len(), m * n);
    // b^T has element (p, j) at b[j * k + p]: column stride k, row stride 1.
    strided_product(
        m,
        k,
        n,
        a,
        (1, k as isize),
        b,
        (k as isize, 1),
        c,
        accumulate,
    );
}

/// `c[m x n] (+)= a^T * b` where `a` is stored `[k x m]` and `b` `[k x n]`.
pub fn matmul_tn(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    accumulate: bool,
) {
    check("matmul_tn lhs", a.len(), k * m);
    check("matmul_tn rhs", b.len(), k * n);
    check("matmul_tn dst", c.len(), m * n);
    // a^T has element (i, p) at a[p * m + i]: column stride m, row stride 1.
    strided_product(
        m,
        k,
        n,
        a,
        (m as isize, 1),
        b,
        (1, n as isize),
        c,
        accumulate,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(
        m: usize,
        k: usize,
        n: usize,
        a: impl Fn(usize, usize) -> f32,
        b: impl Fn(usize, usize) -> f32,
    ) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a(i, p) * b(p, j)).sum();
            }
        }
        c
    }

    #[test]
    fn products_match_naive_loops_with_and_without_accumulation() {
        let (m, k, n) = (7, 5, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let want = naive(m, k, n, |i, p| a[i * k + p], |p, j| b[p * n + j]);
        let mut c = vec![0.0; m * n];
        matmul(m, k, n, &a, &b, &mut c, false);
        for (x, y) in c.iter().zip(&want) {
            assert!((x - y).abs() < 1e-5);
        }
        matmul(m, k, n, &a, &b, &mut c, true);
        for (x, y) in c.iter().zip(&want) {
            assert!((x - 2.0 * y).abs() < 1e-5);
        }
        // b^T stored [n x k]
        let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let mut c2 = vec![0.0; m * n];
        matmul_nt(m, k, n, &a, &bt, &mut c2, false);
        for (x, y) in c2.iter().zip(&want) {
            assert!((x - y).abs() < 1e-5);
        }
        // a^T stored [k x m]
        let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
        let mut c3 = vec![0.0; m * n];
        matmul_tn(m, k, n, &at, &b, &mut c3, false);
        for (x, y) in c3.iter().zip(&want) {
            assert!((x - y).abs() < 1e-5);
        }
    }
}
