//! The few numeric kernels the native CPU path needs: a checked wrapper over
//! the `gemm` crate (the same matrix multiply burn's `flex` backend uses), a
//! register-blocked AVX2+FMA product for the LSTM's shapes, and the LSTM cell
//! with branch-free `exp`/`sigmoid`/`tanh`.
//!
//! The SIMD versions are picked at run time when the CPU has AVX2+FMA, so a
//! portable binary still gets 8-wide SIMD on the machines that have it (no
//! `target-cpu=native` needed); other CPUs run the scalar code.

/// A read-only matrix view: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// Row-major `rows x cols` matrix.
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major `rows x cols` matrix (a `cols x rows` view).
    pub fn t(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: cols,
        }
    }

    fn fits(&self, m: usize, n: usize) -> bool {
        m == 0 || n == 0 || (m - 1) * self.rs + (n - 1) * self.cs < self.data.len()
    }
}

/// `c = (accumulate ? c : 0) + a * b` with `a: m x k`, `b: k x n` and `c` a
/// row-major `m x n` matrix with row stride `ldc`.
///
/// Bounds are checked up front, so the unsafe call cannot read or write
/// outside the slices.
#[allow(clippy::too_many_arguments)] // BLAS-style signature
pub(crate) fn gemm(
    m: usize,
    n: usize,
    k: usize,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
    a: Mat<'_>,
    b: Mat<'_>,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        ldc >= n && (m - 1) * ldc + n <= c.len(),
        "gemm: dst too small"
    );
    if k == 0 {
        if !accumulate {
            for row in c.chunks_mut(ldc).take(m) {
                row[..n].fill(0.0);
            }
        }
        return;
    }
    assert!(a.fits(m, k), "gemm: lhs too small");
    assert!(b.fits(k, n), "gemm: rhs too small");
    // SAFETY: every index the kernel touches, (i*rs + j*cs) over the stated
    // extents, was checked against the slice lengths above; `c` is borrowed
    // mutably and cannot alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            ldc as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `c = (accumulate ? c : 0) + a * b` where `b` is row-major `k x n` with
/// row stride `ldb` and `a` is any strided `m x k` view.
///
/// The LSTM's hot products (`h W_hh^T` with `W_hh^T` packed once per pass,
/// `dG W_hh`, `dG^T H`) have `n` a multiple of 16; for those an AVX2+FMA
/// micro-kernel keeps a 6 x 16 tile of `c` in registers over the whole `k`
/// loop and needs no packing. Other shapes and CPUs use [`gemm`].
#[allow(clippy::too_many_arguments)] // BLAS-style signature
pub(crate) fn gemm_rb(
    m: usize,
    n: usize,
    k: usize,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
    a: Mat<'_>,
    b: &[f32],
    ldb: usize,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if n.is_multiple_of(16)
            && m > 0
            && k > 0
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            assert!(
                ldc >= n && (m - 1) * ldc + n <= c.len(),
                "gemm_rb: dst too small"
            );
            assert!(a.fits(m, k), "gemm_rb: lhs too small");
            assert!(
                ldb >= n && (k - 1) * ldb + n <= b.len(),
                "gemm_rb: rhs too small"
            );
            // SAFETY: the CPU has AVX2 and FMA (checked above) and every
            // element the kernel reads or writes lies inside the extents
            // just checked against the slice lengths.
            unsafe {
                avx2::gemm_rb(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    ldc,
                    accumulate,
                    a.data.as_ptr(),
                    a.rs,
                    a.cs,
                    b.as_ptr(),
                    ldb,
                );
            }
            return;
        }
    }
    gemm(
        m,
        n,
        k,
        c,
        ldc,
        accumulate,
        a,
        Mat {
            data: b,
            rs: ldb,
            cs: 1,
        },
    );
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// `e^x` of `N` vectors of 8 lanes, the same Cephes polynomial as
    /// [`super::exp`] with fused multiply-adds. Each step is applied to all
    /// `N` vectors before the next, so `N` independent dependency chains
    /// interleave (one chain alone is latency-bound).
    ///
    /// Plain loops, no closures: a closure would not inherit the enabled
    /// features, and the intrinsics inside it would become calls.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn exp_n<const N: usize>(mut x: [__m256; N]) -> [__m256; N] {
        use super::{LN2_HI, LN2_LO, LOG2E, ROUND_MAGIC};
        let lo = _mm256_set1_ps(-87.0);
        let hi = _mm256_set1_ps(88.0);
        let log2e = _mm256_set1_ps(LOG2E);
        let magic = _mm256_set1_ps(ROUND_MAGIC);
        let (ln2_hi, ln2_lo) = (_mm256_set1_ps(LN2_HI), _mm256_set1_ps(LN2_LO));
        let mut z = [_mm256_setzero_ps(); N];
        let mut r = [_mm256_setzero_ps(); N];
        for k in 0..N {
            x[k] = _mm256_min_ps(_mm256_max_ps(x[k], lo), hi);
            z[k] = _mm256_fmadd_ps(x[k], log2e, magic);
            let n = _mm256_sub_ps(z[k], magic);
            r[k] = _mm256_fnmadd_ps(n, ln2_hi, x[k]);
            r[k] = _mm256_fnmadd_ps(n, ln2_lo, r[k]);
        }
        let mut p = [_mm256_set1_ps(1.987_569_1e-4); N];
        for c in [
            1.398_2e-3,
            8.333_452e-3,
            4.166_579_6e-2,
            1.666_666_5e-1,
            0.5,
        ] {
            let c = _mm256_set1_ps(c);
            for k in 0..N {
                p[k] = _mm256_fmadd_ps(p[k], r[k], c);
            }
        }
        let one = _mm256_set1_ps(1.0);
        // 2^n from the integer sitting in z's mantissa.
        let bias = _mm256_set1_epi32(127i32.wrapping_sub(ROUND_MAGIC.to_bits() as i32));
        for k in 0..N {
            let y = _mm256_fmadd_ps(_mm256_mul_ps(p[k], r[k]), r[k], _mm256_add_ps(r[k], one));
            let e = _mm256_add_epi32(_mm256_castps_si256(z[k]), bias);
            x[k] = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32::<23>(e)));
        }
        x
    }

    /// `1 / (1 + e^-x)` of `N` vectors.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn sigmoid_n<const N: usize>(mut x: [__m256; N]) -> [__m256; N] {
        let one = _mm256_set1_ps(1.0);
        for v in &mut x {
            *v = _mm256_sub_ps(_mm256_setzero_ps(), *v);
        }
        // SAFETY: same features as this function.
        let mut e = unsafe { exp_n(x) };
        for v in &mut e {
            *v = _mm256_div_ps(one, _mm256_add_ps(one, *v));
        }
        e
    }

    /// `tanh x = 2 / (1 + e^-2x) - 1` of `N` vectors.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn tanh_n<const N: usize>(mut x: [__m256; N]) -> [__m256; N] {
        let one = _mm256_set1_ps(1.0);
        let two = _mm256_set1_ps(2.0);
        let m2 = _mm256_set1_ps(-2.0);
        for v in &mut x {
            *v = _mm256_mul_ps(*v, m2);
        }
        // SAFETY: same features as this function.
        let mut e = unsafe { exp_n(x) };
        for v in &mut e {
            *v = _mm256_sub_ps(_mm256_div_ps(two, _mm256_add_ps(one, *v)), one);
        }
        e
    }

    /// `p[j] = act(p[j])` for `j < len` (a multiple of 8): the logistic
    /// function, or tanh when `TANH`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn activate<const TANH: bool>(p: *mut f32, len: usize) {
        // SAFETY: the caller guarantees `p[..len]` is valid and `len % 8 == 0`.
        unsafe {
            let mut j = 0;
            while j + 32 <= len {
                let mut v = [_mm256_setzero_ps(); 4];
                for (k, v) in v.iter_mut().enumerate() {
                    *v = _mm256_loadu_ps(p.add(j + 8 * k));
                }
                let a = if TANH { tanh_n(v) } else { sigmoid_n(v) };
                for (k, a) in a.iter().enumerate() {
                    _mm256_storeu_ps(p.add(j + 8 * k), *a);
                }
                j += 32;
            }
            while j < len {
                let v = [_mm256_loadu_ps(p.add(j))];
                let [a] = if TANH { tanh_n(v) } else { sigmoid_n(v) };
                _mm256_storeu_ps(p.add(j), a);
                j += 8;
            }
        }
    }

    /// Cell update of units `j..j + 8N` of one row from its gate activations
    /// `g` (`[i f g o]`, `hs` each): `c = f c_prev + i g`, `tc = tanh c`,
    /// `h = o tc`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn cell_update<const N: usize>(
        g: *const f32,
        cp: *const f32,
        c: *mut f32,
        tc: *mut f32,
        h: *mut f32,
        j: usize,
        hs: usize,
    ) {
        // SAFETY: the caller guarantees units j..j + 8N are inside the row.
        unsafe {
            let mut cv = [_mm256_setzero_ps(); N];
            for (k, cv) in cv.iter_mut().enumerate() {
                let u = j + 8 * k;
                *cv = _mm256_fmadd_ps(
                    _mm256_loadu_ps(g.add(hs + u)),
                    _mm256_loadu_ps(cp.add(u)),
                    _mm256_mul_ps(
                        _mm256_loadu_ps(g.add(u)),
                        _mm256_loadu_ps(g.add(2 * hs + u)),
                    ),
                );
            }
            let t = tanh_n(cv);
            for k in 0..N {
                let u = j + 8 * k;
                _mm256_storeu_ps(c.add(u), cv[k]);
                _mm256_storeu_ps(tc.add(u), t[k]);
                _mm256_storeu_ps(
                    h.add(u),
                    _mm256_mul_ps(_mm256_loadu_ps(g.add(3 * hs + u)), t[k]),
                );
            }
        }
    }

    /// See [`super::cell_forward`]; sizes checked by the caller.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn cell_forward(
        gates: &mut [f32],
        c_prev: &[f32],
        c: &mut [f32],
        tc: &mut [f32],
        h: &mut [f32],
        ldh: usize,
        hs: usize,
    ) {
        let rows = gates.len() / (4 * hs);
        if !hs.is_multiple_of(8) {
            for r in 0..rows {
                super::cell_forward_row(
                    &mut gates[r * 4 * hs..(r + 1) * 4 * hs],
                    &c_prev[r * hs..(r + 1) * hs],
                    &mut c[r * hs..(r + 1) * hs],
                    &mut tc[r * hs..(r + 1) * hs],
                    &mut h[r * ldh..r * ldh + hs],
                    0,
                );
            }
            return;
        }
        // Two passes per row: every gate activation first, then the cell
        // update, each over several vectors at once.
        for r in 0..rows {
            let g = gates[r * 4 * hs..(r + 1) * 4 * hs].as_mut_ptr();
            let cp = c_prev[r * hs..(r + 1) * hs].as_ptr();
            let cr = c[r * hs..(r + 1) * hs].as_mut_ptr();
            let tr = tc[r * hs..(r + 1) * hs].as_mut_ptr();
            let hr = h[r * ldh..r * ldh + hs].as_mut_ptr();
            // SAFETY: hs % 8 == 0; the pointers address rows of hs (4 hs for
            // the gates) elements, just sliced from the buffers.
            unsafe {
                activate::<false>(g, 2 * hs);
                activate::<true>(g.add(2 * hs), hs);
                activate::<false>(g.add(3 * hs), hs);
                let mut j = 0;
                while j + 32 <= hs {
                    cell_update::<4>(g, cp, cr, tr, hr, j, hs);
                    j += 32;
                }
                while j < hs {
                    cell_update::<1>(g, cp, cr, tr, hr, j, hs);
                    j += 8;
                }
            }
        }
    }

    /// See [`super::gemm_rb`]; `n % 16 == 0`, extents checked by the caller.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm_rb(
        m: usize,
        n: usize,
        k: usize,
        c: *mut f32,
        ldc: usize,
        acc: bool,
        a: *const f32,
        a_rs: usize,
        a_cs: usize,
        b: *const f32,
        ldb: usize,
    ) {
        let mut j = 0;
        while j < n {
            let mut i = 0;
            // SAFETY (all calls): rows i..i+MR and columns j..j+16 are inside
            // the m x n extents the caller checked.
            unsafe {
                while i + 6 <= m {
                    tile::<6>(
                        k,
                        c.add(i * ldc + j),
                        ldc,
                        acc,
                        a.add(i * a_rs),
                        a_rs,
                        a_cs,
                        b.add(j),
                        ldb,
                    );
                    i += 6;
                }
                let (cc, aa, bb) = (c.add(i * ldc + j), a.add(i * a_rs), b.add(j));
                match m - i {
                    5 => tile::<5>(k, cc, ldc, acc, aa, a_rs, a_cs, bb, ldb),
                    4 => tile::<4>(k, cc, ldc, acc, aa, a_rs, a_cs, bb, ldb),
                    3 => tile::<3>(k, cc, ldc, acc, aa, a_rs, a_cs, bb, ldb),
                    2 => tile::<2>(k, cc, ldc, acc, aa, a_rs, a_cs, bb, ldb),
                    1 => tile::<1>(k, cc, ldc, acc, aa, a_rs, a_cs, bb, ldb),
                    _ => {}
                }
            }
            j += 16;
        }
    }

    /// An `MR x 16` tile of `c`, accumulated in registers over all of `k`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const MR: usize>(
        k: usize,
        c: *mut f32,
        ldc: usize,
        acc: bool,
        a: *const f32,
        a_rs: usize,
        a_cs: usize,
        b: *const f32,
        ldb: usize,
    ) {
        // SAFETY: the caller guarantees the tile and its k-panel are in bounds
        // and that AVX2+FMA are enabled (this is only inlined into such code).
        unsafe {
            let mut c0 = [_mm256_setzero_ps(); MR];
            let mut c1 = [_mm256_setzero_ps(); MR];
            for p in 0..k {
                let bp = b.add(p * ldb);
                let b0 = _mm256_loadu_ps(bp);
                let b1 = _mm256_loadu_ps(bp.add(8));
                let ap = a.add(p * a_cs);
                for r in 0..MR {
                    let av = _mm256_set1_ps(*ap.add(r * a_rs));
                    c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
                    c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
                }
            }
            for r in 0..MR {
                let cp = c.add(r * ldc);
                if acc {
                    c0[r] = _mm256_add_ps(c0[r], _mm256_loadu_ps(cp));
                    c1[r] = _mm256_add_ps(c1[r], _mm256_loadu_ps(cp.add(8)));
                }
                _mm256_storeu_ps(cp, c0[r]);
                _mm256_storeu_ps(cp.add(8), c1[r]);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// exp / sigmoid / tanh
// ---------------------------------------------------------------------------

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// 1.5 * 2^23: adding it rounds a float to the nearest integer and leaves that
/// integer in the low mantissa bits (valid for |t| < 2^22).
const ROUND_MAGIC: f32 = 12_582_912.0;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;

/// `e^x` to about 2 ulp for x in [-87, 88] (Cephes `expf` polynomial), written
/// without branches or calls so loops over it vectorise.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E;
    let z = t + ROUND_MAGIC;
    let n = z - ROUND_MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_2e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    // 2^n from the integer sitting in z's mantissa.
    let ni = (z.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    let pow2 = f32::from_bits(((ni + 127) << 23) as u32);
    y * pow2
}

/// Logistic function `1 / (1 + e^-x)`.
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh x = 2 sigmoid(2x) - 1`; absolute error about 1e-7.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    2.0 / (1.0 + exp(-2.0 * x)) - 1.0
}

/// Run `$body` (a block using only the inline kernels above) compiled for
/// AVX2+FMA when the CPU has them, else for the baseline target.
macro_rules! simd_dispatch {
    ($(#[$m:meta])* fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        pub(crate) fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn imp($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) { imp($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU supports the features `avx2` was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            imp($($arg),*)
        }
    };
}

/// LSTM cell forward for one time step, in place over `gates` (`rows x 4H`,
/// pre-activations `[i f g o]` on entry, activations on exit). Writes `c`
/// (new cell), `tc` (tanh of it) and `h` (new hidden, row stride `ldh`).
pub(crate) fn cell_forward(
    gates: &mut [f32],
    c_prev: &[f32],
    c: &mut [f32],
    tc: &mut [f32],
    h: &mut [f32],
    ldh: usize,
    hidden: usize,
) {
    let rows = gates.len() / (4 * hidden.max(1));
    assert!(
        hidden > 0
            && gates.len() == rows * 4 * hidden
            && c_prev.len() >= rows * hidden
            && c.len() >= rows * hidden
            && tc.len() >= rows * hidden
            && ldh >= hidden
            && (rows == 0 || h.len() >= (rows - 1) * ldh + hidden),
        "cell_forward: buffer sizes"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            unsafe { avx2::cell_forward(gates, c_prev, c, tc, h, ldh, hidden) };
            return;
        }
    }
    for r in 0..rows {
        cell_forward_row(
            &mut gates[r * 4 * hidden..(r + 1) * 4 * hidden],
            &c_prev[r * hidden..(r + 1) * hidden],
            &mut c[r * hidden..(r + 1) * hidden],
            &mut tc[r * hidden..(r + 1) * hidden],
            &mut h[r * ldh..r * ldh + hidden],
            0,
        );
    }
}

/// Scalar cell forward of one row from unit `from` on (the SIMD path's tail
/// and the portable path).
#[inline(always)]
fn cell_forward_row(
    g: &mut [f32],
    cp: &[f32],
    cr: &mut [f32],
    tr: &mut [f32],
    hr: &mut [f32],
    from: usize,
) {
    let hs = cp.len();
    let (ig, rest) = g.split_at_mut(hs);
    let (fg, rest) = rest.split_at_mut(hs);
    let (gg, og) = rest.split_at_mut(hs);
    for j in from..hs {
        let i = sigmoid(ig[j]);
        let f = sigmoid(fg[j]);
        let gv = tanh(gg[j]);
        let o = sigmoid(og[j]);
        let cv = f * cp[j] + i * gv;
        let t = tanh(cv);
        ig[j] = i;
        fg[j] = f;
        gg[j] = gv;
        og[j] = o;
        cr[j] = cv;
        tr[j] = t;
        hr[j] = o * t;
    }
}

simd_dispatch! {
    /// LSTM cell backward for one time step. `act` holds the step's gate
    /// activations on entry and is overwritten with the gate pre-activation
    /// gradients `[di df dg do]`. `dh` is the total gradient reaching `h_t`;
    /// `dc` carries the cell gradient from step t+1 in and to step t-1 out.
    fn cell_backward(
        act: &mut [f32],
        c_prev: &[f32],
        tc: &[f32],
        dh: &[f32],
        dc: &mut [f32],
        hidden: usize,
    ) {
        let hs = hidden;
        for (r, g) in act.chunks_exact_mut(4 * hs).enumerate() {
            let (ig, rest) = g.split_at_mut(hs);
            let (fg, rest) = rest.split_at_mut(hs);
            let (gg, og) = rest.split_at_mut(hs);
            let cp = &c_prev[r * hs..(r + 1) * hs];
            let tr = &tc[r * hs..(r + 1) * hs];
            let dhr = &dh[r * hs..(r + 1) * hs];
            let dcr = &mut dc[r * hs..(r + 1) * hs];
            for j in 0..hs {
                let (i, f, gv, o, t) = (ig[j], fg[j], gg[j], og[j], tr[j]);
                let d_h = dhr[j];
                let d_o = d_h * t * o * (1.0 - o);
                let d_c = dcr[j] + d_h * o * (1.0 - t * t);
                let d_i = d_c * gv * i * (1.0 - i);
                let d_g = d_c * i * (1.0 - gv * gv);
                let d_f = d_c * cp[j] * f * (1.0 - f);
                dcr[j] = d_c * f;
                ig[j] = d_i;
                fg[j] = d_f;
                gg[j] = d_g;
                og[j] = d_o;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_matches_std_to_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut x = -80.0f32;
        while x < 80.0 {
            let a = exp(x) as f64;
            let b = (x as f64).exp();
            worst = worst.max(((a - b) / b).abs());
            x += 0.0137;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(exp(-200.0), exp(-87.0));
        assert!(exp(200.0).is_finite());
    }

    #[test]
    fn fast_sigmoid_and_tanh_match_std() {
        let mut x = -30.0f32;
        while x < 30.0 {
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!((sigmoid(x) as f64 - s).abs() < 2e-7, "sigmoid({x})");
            assert!(
                (tanh(x) as f64 - (x as f64).tanh()).abs() < 3e-7,
                "tanh({x})"
            );
            x += 0.0093;
        }
    }

    #[test]
    fn register_blocked_gemm_matches_reference_on_odd_shapes() {
        let mut rng = agent_core::SplitMix64::new(5);
        for (m, n, k) in [
            (1, 16, 1),
            (7, 32, 5),
            (13, 48, 64),
            (128, 256, 64),
            (6, 17, 3),
        ] {
            let a: Vec<f32> = (0..m * k).map(|_| rng.next_normal() as f32).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.next_normal() as f32).collect();
            for transposed_a in [false, true] {
                // a as m x k row-major, or the same values viewed through a^T storage.
                let store = if transposed_a {
                    let mut t = vec![0.0; m * k];
                    for i in 0..m {
                        for p in 0..k {
                            t[p * m + i] = a[i * k + p];
                        }
                    }
                    t
                } else {
                    a.clone()
                };
                let view = if transposed_a {
                    Mat::t(&store, m)
                } else {
                    Mat::rows(&store, k)
                };
                let mut c = vec![1.0f32; m * n];
                gemm_rb(m, n, k, &mut c, n, true, view, &b, n);
                for i in 0..m {
                    for j in 0..n {
                        let want: f32 =
                            1.0 + (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum::<f32>();
                        assert!(
                            (c[i * n + j] - want).abs() < 1e-4 * (1.0 + want.abs()),
                            "{m}x{n}x{k}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn simd_cell_forward_matches_the_scalar_cell() {
        let mut rng = agent_core::SplitMix64::new(9);
        // 64 units: the 4-vector path; 40: the 1-vector tail; 12: scalar rows.
        for hs in [64usize, 40, 12] {
            let (rows, ldh) = (5usize, hs + 7);
            let gates: Vec<f32> = (0..rows * 4 * hs)
                .map(|_| 4.0 * rng.next_normal() as f32)
                .collect();
            let cp: Vec<f32> = (0..rows * hs).map(|_| rng.next_normal() as f32).collect();
            let mut g = gates.clone();
            let (mut c, mut tc) = (vec![0.0; rows * hs], vec![0.0; rows * hs]);
            let mut h = vec![7.0f32; rows * ldh];
            cell_forward(&mut g, &cp, &mut c, &mut tc, &mut h, ldh, hs);
            for r in 0..rows {
                let mut gw = gates[r * 4 * hs..(r + 1) * 4 * hs].to_vec();
                let (mut cw, mut tw, mut hw) = (vec![0.0; hs], vec![0.0; hs], vec![0.0; hs]);
                cell_forward_row(
                    &mut gw,
                    &cp[r * hs..(r + 1) * hs],
                    &mut cw,
                    &mut tw,
                    &mut hw,
                    0,
                );
                let close = |a: &[f32], b: &[f32]| {
                    a.iter()
                        .zip(b)
                        .all(|(x, y)| (x - y).abs() <= 4e-7 * (1.0 + y.abs()))
                };
                assert!(
                    close(&g[r * 4 * hs..(r + 1) * 4 * hs], &gw),
                    "gates, hs {hs}"
                );
                assert!(close(&c[r * hs..(r + 1) * hs], &cw), "c, hs {hs}");
                assert!(close(&tc[r * hs..(r + 1) * hs], &tw), "tanh c, hs {hs}");
                assert!(close(&h[r * ldh..r * ldh + hs], &hw), "h, hs {hs}");
                // The gap between rows of a strided h is left alone.
                assert!(h[r * ldh + hs..(r + 1) * ldh].iter().all(|&v| v == 7.0));
            }
        }
    }

    #[test]
    fn gemm_handles_transposed_views() {
        // a: 2x3 row-major, b^T given as 2x3 row-major (so b is 3x2).
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let bt = [1.0, 0.0, -1.0, 2.0, 1.0, 0.5];
        let mut c = [10.0f32; 4];
        gemm(2, 2, 3, &mut c, 2, true, Mat::rows(&a, 3), Mat::t(&bt, 3));
        // a * b = [[1-3, 2+2+1.5], [4-6, 8+5+3]]
        assert_eq!(c, [8.0, 15.5, 8.0, 26.0]);
        gemm(2, 2, 3, &mut c, 2, false, Mat::rows(&a, 3), Mat::t(&bt, 3));
        assert_eq!(c, [-2.0, 5.5, -2.0, 16.0]);
    }
}
