//! The T0 feature set of `shared/bench/SPEC.md`, and the rolling building
//! blocks it is made of.
//!
//! Every building block works on plain slices and returns a vector of the
//! same length with `NaN` where the value is not yet defined (warm-up), so
//! strategies and live inference can reuse them on any series.
//!
//! Numerics: the SPEC recommends two passes per window for rolling standard
//! deviations, because an online running variance loses ~1e-8 relative
//! precision on price levels. Here a window's moments come instead from
//! prefix sums of the values and of their squares kept exact to about 100
//! bits (error-free transformations), which gives the two-pass accuracy
//! (within about an ulp) at O(1) per bar whatever the window length; nearly
//! constant windows, where even that cannot resolve the spread, are
//! recomputed two-pass. See "Rolling windows from exact prefix sums" below.
//! The T0 table is built a block of bars at a time in cache-sized buffers
//! and written once, row by row. On BTCUSDT-1h the whole T0 table matches
//! the Python peer to 5e-13.

use crate::candles::Candles;
use crate::error::{MarketError, Result};
use crate::io::{FieldSplitter, MAX_BARS, MAX_FILE_BYTES, MAX_LINE_BYTES, non_blank_lines};
use agent_core::Dataset;
use agent_core::persist::{Symlinks, read_bounded};
use ndarray::{Array1, Array2};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

/// The 12 T0 features, in the column order of the feature matrix.
pub const FEATURES: [&str; 12] = [
    "lr_1",
    "lr_3",
    "lr_6",
    "lr_12",
    "lr_24",
    "vol_12",
    "vol_24",
    "vol_72",
    "rsi_14",
    "zscore_20",
    "vol_z_20",
    "atr_14_rel",
];

/// Bars of history the longest feature (`vol_72`) needs: rows start here.
pub const WARMUP_BARS: usize = 72;
/// Bars of future `fwd_vol_24` needs: the last row is `N - 1 - HORIZON_BARS`.
pub const HORIZON_BARS: usize = 24;
/// Fewest bars [`t0_features`] accepts: two rows, so the train part is not empty.
pub const MIN_T0_BARS: usize = WARMUP_BARS + HORIZON_BARS + 2;

/// Columns of [`FeatureTable::write_csv`], exactly as in
/// `shared/bench/datasets/features_btc_1h.csv`.
pub const CSV_COLUMNS: [&str; 20] = [
    "bar",
    "timestamp",
    "close",
    "lr_1",
    "lr_3",
    "lr_6",
    "lr_12",
    "lr_24",
    "vol_12",
    "vol_24",
    "vol_72",
    "rsi_14",
    "zscore_20",
    "vol_z_20",
    "atr_14_rel",
    "fwd_ret_1",
    "fwd_vol_24",
    "y_dir",
    "y_regime",
    "is_train",
];

const LR_LAGS: [usize; 5] = [1, 3, 6, 12, 24];
const VOL_WINDOWS: [usize; 3] = [12, 24, 72];

// ---------------------------------------------------------------------------
// Building blocks on slices

/// One-bar log returns of prices: `out[t] = ln p[t] - ln p[t-1]`, `out[0] = NaN`.
pub fn log_returns(prices: &[f64]) -> Vec<f64> {
    let x: Vec<f64> = prices.iter().map(|p| p.ln()).collect();
    lagged_diff(&x, 1)
}

/// `out[t] = x[t] - x[t-k]` for `t >= k`, NaN before (and everywhere if `k == 0`).
pub fn lagged_diff(x: &[f64], k: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if k == 0 {
        return out;
    }
    for t in k..x.len() {
        out[t] = x[t] - x[t - k];
    }
    out
}

/// Lanes of the two-pass sums of nearly constant windows (see
/// [`two_pass`]): eight independent partial sums.
const LANES: usize = 8;

#[inline(always)]
fn sum_lanes(s: &[f64]) -> f64 {
    let mut a = [0.0f64; LANES];
    let chunks = s.chunks_exact(LANES);
    let rem = chunks.remainder();
    for c in chunks {
        for k in 0..LANES {
            a[k] += c[k];
        }
    }
    let mut t = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    for v in rem {
        t += v;
    }
    t
}

/// Sum of squared deviations from `m`, in lanes as [`sum_lanes`].
#[inline(always)]
fn sum_sq_dev_lanes(s: &[f64], m: f64) -> f64 {
    let mut a = [0.0f64; LANES];
    let chunks = s.chunks_exact(LANES);
    let rem = chunks.remainder();
    for c in chunks {
        for k in 0..LANES {
            let d = c[k] - m;
            a[k] += d * d;
        }
    }
    let mut t = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    for v in rem {
        t += (v - m) * (v - m);
    }
    t
}

/// Error-free addition (Knuth's TwoSum): `a + b = s + err` exactly.
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bp = s - a;
    (s, (a - (s - bp)) + (b - bp))
}

/// Error-free product: `a * b = p + err` exactly (one fused multiply-add).
#[inline(always)]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

// Rolling windows from exact prefix sums.
//
// A window's mean and standard deviation come from its sums `B = sum x`
// and `A = sum x^2`: `w * sum (x - mean)^2 = w*A - B^2`. In plain floating
// point that difference cancels catastrophically on price levels (the
// reason the SPEC asks for two passes), so the sums are kept exact to
// about 100 bits instead: every square is split exactly (`two_prod`), and
// every addition to a running prefix sum keeps its rounding error
// (`two_sum`) in a second accumulator. A window's sums are then a
// difference of two prefix sums, and `w*A - B^2` is formed from exact
// products. The result is within about an ulp of the exact value, as
// accurate as the two-pass sum, and costs O(1) per bar whatever `w` is.
// Windows that nearly cancel completely (a constant or nearly constant
// series) are recomputed two-pass from their values, so a constant window
// gets std 0 and its value as mean, not rounding noise.

/// Bars per block of the rolling computations. Each block's prefix sums
/// start afresh a window's length before the block, so they stay small
/// (and accurate) and everything a block touches stays in the L1/L2 cache.
/// Blocks are aligned to multiples of `BLOCK` from bar 0, so a bar's value
/// does not depend on which bars are computed with it.
const BLOCK: usize = 1024;

/// Values larger in magnitude than this (and NaN, infinities) make every
/// window holding them NaN; below it, no sum of squares of a block can
/// overflow.
const MAX_ABS: f64 = 1e100;

/// A window whose `w*A - B^2` is below this fraction of `w*A` (a standard
/// deviation below about 3e-5 of the mean's magnitude) is recomputed
/// two-pass ([`two_pass`]). The prefix sums carry errors of about 2^-100
/// of a block's sums; above this threshold they stay far below an ulp of
/// the result after the cancellation, so a window gets the same bits alone
/// as within a series (but in rare near-ties).
const NEAR_CONSTANT: f64 = 1.0 / (1u64 << 30) as f64;

/// Running sums of values and of their squares, each as an unevaluated
/// sum `hi + lo` that keeps every rounding error, and the count of
/// unusable values (NaN, infinite or beyond [`MAX_ABS`]; they add 0).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    s_hi: f64,
    s_lo: f64,
    q_hi: f64,
    q_lo: f64,
    bad: f64,
}

impl Sums {
    /// Add a usable value.
    #[inline(always)]
    fn add(&mut self, v: f64) {
        let (s, se) = two_sum(self.s_hi, v);
        let (p, pe) = two_prod(v, v);
        let (q, qe) = two_sum(self.q_hi, p);
        self.s_hi = s;
        self.s_lo += se;
        self.q_hi = q;
        self.q_lo += qe + pe;
    }

    /// Add any value: an unusable one is counted and adds 0.
    #[inline(always)]
    fn add_checked(&mut self, v: f64) {
        let ok = v.abs() <= MAX_ABS;
        self.bad += if ok { 0.0 } else { 1.0 };
        self.add(if ok { v } else { 0.0 });
    }
}

/// Prefix [`Sums`] of a span of values: the first `k` values sum to
/// `s_hi[k] + s_lo[k]`, their squares to `q_hi[k] + q_lo[k]`, and `bad[k]`
/// of them are unusable. Reused from block to block.
#[derive(Debug, Default)]
struct Prefix {
    s_hi: Vec<f64>,
    s_lo: Vec<f64>,
    q_hi: Vec<f64>,
    q_lo: Vec<f64>,
    /// Filled only when not `clean`.
    bad: Vec<f64>,
    /// Every value of the span is usable (the common case, checked first).
    clean: bool,
}

impl Prefix {
    /// The prefix sums of `span` (`span.len() + 1` of each).
    #[inline(always)]
    fn fill(&mut self, span: &[f64]) {
        let n = span.len();
        self.clean = span.iter().all(|v| v.abs() <= MAX_ABS);
        for v in [
            &mut self.s_hi,
            &mut self.s_lo,
            &mut self.q_hi,
            &mut self.q_lo,
        ] {
            v.resize(n + 1, 0.0);
            v[0] = 0.0;
        }
        let (s_hi, s_lo) = (&mut self.s_hi[1..=n], &mut self.s_lo[1..=n]);
        let (q_hi, q_lo) = (&mut self.q_hi[1..=n], &mut self.q_lo[1..=n]);
        let mut sums = Sums::default();
        if self.clean {
            for k in 0..n {
                sums.add(span[k]);
                s_hi[k] = sums.s_hi;
                s_lo[k] = sums.s_lo;
                q_hi[k] = sums.q_hi;
                q_lo[k] = sums.q_lo;
            }
            return;
        }
        self.bad.resize(n + 1, 0.0);
        self.bad[0] = 0.0;
        let bad = &mut self.bad[1..=n];
        for k in 0..n {
            sums.add_checked(span[k]);
            s_hi[k] = sums.s_hi;
            s_lo[k] = sums.s_lo;
            q_hi[k] = sums.q_hi;
            q_lo[k] = sums.q_lo;
            bad[k] = sums.bad;
        }
    }

    /// Whether values `k0 .. k1` of the span hold an unusable one.
    #[inline(always)]
    fn any_bad(&self, k0: usize, k1: usize) -> bool {
        !self.clean && self.bad[k1] != self.bad[k0]
    }
}

/// `w*A - B^2` of a window from its sums `B = b_hi + b_lo`, `A = a_hi +
/// a_lo`: the exact products cancel first (their difference kept exactly
/// too), the small terms follow, and only the result is rounded. So the
/// value does not depend on how `A` and `B` are split into `hi + lo` (a
/// window summed on its own or as a difference of prefix sums): the same
/// bits but in rare near-ties at about 2^-100.
#[inline(always)]
fn w_ss(w: f64, b_hi: f64, b_lo: f64, a_hi: f64, a_lo: f64) -> f64 {
    let (p1, e1) = two_prod(w, a_hi);
    let (p2, e2) = two_prod(b_hi, b_hi);
    let (d, de) = two_sum(p1, -p2);
    d + (de + ((e1 - e2) + (w * a_lo - b_lo * (2.0 * b_hi + b_lo))))
}

/// Mean and sum of squared deviations of a window, two-pass: for the
/// nearly constant windows the sums cannot resolve. A constant window gets
/// exactly its value and 0.
#[inline(always)]
fn two_pass(s: &[f64]) -> (f64, f64) {
    if s.iter().all(|&v| v == s[0]) {
        return (s[0], 0.0);
    }
    let m = sum_lanes(s) / s.len() as f64;
    (m, sum_sq_dev_lanes(s, m))
}

/// Mean and sample standard deviation of the window `vals` (`w >= 2`
/// values) from its sums `B = b_hi + b_lo`, `A = a_hi + a_lo`: NaN if
/// `bad`, two-pass if nearly constant. The branch-free loop of
/// [`rolling_block`] computes the same bits for the windows it settles.
#[inline(always)]
fn mean_std_checked(vals: &[f64], bad: bool, b: (f64, f64), a: (f64, f64)) -> (f64, f64) {
    if bad {
        return (f64::NAN, f64::NAN);
    }
    let wf = vals.len() as f64;
    let t = w_ss(wf, b.0, b.1, a.0, a.1);
    if t > NEAR_CONSTANT * wf * a.0 {
        ((b.0 + b.1) / wf, (t / (wf * (wf - 1.0))).sqrt())
    } else {
        let (m, ss) = two_pass(vals);
        (m, (ss / (wf - 1.0)).sqrt())
    }
}

/// [`mean_std_checked`] of the window `span[k - w .. k]` of a [`Prefix`].
#[inline(always)]
fn window_mean_std(p: &Prefix, span: &[f64], w: usize, k: usize) -> (f64, f64) {
    let j = k - w;
    let (b_hi, be) = two_sum(p.s_hi[k], -p.s_hi[j]);
    let (a_hi, ae) = two_sum(p.q_hi[k], -p.q_hi[j]);
    let b_lo = be + (p.s_lo[k] - p.s_lo[j]);
    let a_lo = ae + (p.q_lo[k] - p.q_lo[j]);
    mean_std_checked(&span[j..k], p.any_bad(j, k), (b_hi, b_lo), (a_hi, a_lo))
}

/// Mean and sample standard deviation of the values `vals` (at least 2),
/// computed as [`rolling_std1`] and [`rolling_zscore`] compute a window
/// when the block's span starts at the window's first value. Used bar by
/// bar by [`FeatureStream`].
#[inline(always)]
fn window_mean_std_of_impl(vals: &[f64]) -> (f64, f64) {
    let mut sums = Sums::default();
    for &v in vals {
        sums.add_checked(v);
    }
    mean_std_checked(
        vals,
        sums.bad > 0.0,
        (sums.s_hi, sums.s_lo),
        (sums.q_hi, sums.q_lo),
    )
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn window_mean_std_of_fma(vals: &[f64]) -> (f64, f64) {
    window_mean_std_of_impl(vals)
}

fn window_mean_std_of(vals: &[f64]) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
        return unsafe { window_mean_std_of_fma(vals) };
    }
    window_mean_std_of_impl(vals)
}

/// What [`rolling_block`] writes for each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rolling {
    Mean,
    Std,
    ZScore,
}

/// Rolling `what` over the `w`-value windows of `x` ending at the bars
/// `ts` (within one block), into `out[t - ts.start]`; NaN where the window
/// would start before bar 0. `p` holds the prefix sums of `x[s0 ..
/// ts.end]`, and `ts.start >= s0`.
///
/// The common case runs as one branch-free loop over the bars (the
/// compiler vectorises it); windows it cannot settle (unusable values,
/// near-constant windows) are redone one by one by [`window_mean_std`].
#[inline(always)]
fn rolling_block(
    what: Rolling,
    x: &[f64],
    p: &Prefix,
    s0: usize,
    w: usize,
    ts: Range<usize>,
    out: &mut [f64],
) {
    let span = &x[s0..ts.end];
    let first = ts.start.max(s0 + w - 1).min(ts.end);
    let skip = first - ts.start;
    out[..skip].fill(f64::NAN);
    if first == ts.end {
        return;
    }
    let out = &mut out[skip..ts.end - ts.start];
    let n = out.len();
    // Windows end at prefix index k1 = t + 1 - s0 and start at k1 - w.
    let k1 = first + 1 - s0;
    let k0 = k1 - w;
    let (sh1, sh0) = (&p.s_hi[k1..k1 + n], &p.s_hi[k0..k0 + n]);
    let (sl1, sl0) = (&p.s_lo[k1..k1 + n], &p.s_lo[k0..k0 + n]);
    let (qh1, qh0) = (&p.q_hi[k1..k1 + n], &p.q_hi[k0..k0 + n]);
    let (ql1, ql0) = (&p.q_lo[k1..k1 + n], &p.q_lo[k0..k0 + n]);
    let xt = &x[first..ts.end];
    let wf = w as f64;
    let (den, guard) = (wf * (wf - 1.0), NEAR_CONSTANT * wf);
    let mut unsettled = false;
    for i in 0..n {
        let (b_hi, be) = two_sum(sh1[i], -sh0[i]);
        let b_lo = be + (sl1[i] - sl0[i]);
        let mean = (b_hi + b_lo) / wf;
        let v = if what == Rolling::Mean {
            mean
        } else {
            let (a_hi, ae) = two_sum(qh1[i], -qh0[i]);
            let a_lo = ae + (ql1[i] - ql0[i]);
            let t = w_ss(wf, b_hi, b_lo, a_hi, a_lo);
            // False for NaN too.
            let settled = t > guard * a_hi;
            unsettled |= !settled;
            let sd = (t / den).sqrt();
            if what == Rolling::Std {
                sd
            } else {
                zscore(xt[i], mean, sd)
            }
        };
        out[i] = v;
    }
    // Unusable values are rare: one comparison of the counts per block.
    if !p.clean {
        unsettled |= p.bad[k1..k1 + n] != p.bad[k0..k0 + n];
    }
    if !unsettled {
        return;
    }
    for (i, o) in out.iter_mut().enumerate() {
        let k = k1 + i;
        if what == Rolling::Mean {
            if p.any_bad(k - w, k) {
                *o = f64::NAN;
            }
            continue;
        }
        let (m, sd) = window_mean_std(p, span, w, k);
        *o = if what == Rolling::Std {
            sd
        } else {
            zscore(xt[i], m, sd)
        };
    }
}

/// Rolling `what` over every full window of `x`: full-length vectors with
/// NaN for `t < w - 1` (everywhere if `w < 2`, or `w == 0` for the mean).
#[inline(always)]
fn rolling_impl(what: Rolling, x: &[f64], w: usize) -> Vec<f64> {
    let len = x.len();
    let mut out = vec![f64::NAN; len];
    let min_w = if what == Rolling::Mean { 1 } else { 2 };
    if w < min_w || len < w {
        return out;
    }
    let hist = w.max(WARMUP_BARS);
    let mut p = Prefix::default();
    for b0 in (0..len).step_by(BLOCK) {
        let b1 = (b0 + BLOCK).min(len);
        let s0 = b0.saturating_sub(hist - 1);
        p.fill(&x[s0..b1]);
        rolling_block(what, x, &p, s0, w, b0..b1, &mut out[b0..b1]);
    }
    out
}

/// Whether the AVX2 + FMA build of the rolling computations may run.
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_fma() -> bool {
    // The standard library caches the CPUID answer.
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// [`rolling_impl`] compiled for AVX2 and FMA. Both builds give the same
/// bits: `mul_add` is exact either way (a library call without FMA).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn rolling_fma(what: Rolling, x: &[f64], w: usize) -> Vec<f64> {
    rolling_impl(what, x, w)
}

fn rolling(what: Rolling, x: &[f64], w: usize) -> Vec<f64> {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
        return unsafe { rolling_fma(what, x, w) };
    }
    rolling_impl(what, x, w)
}

/// Rolling sample standard deviation (divisor `w - 1`) over the `w` values
/// ending at `t`; NaN for `t < w - 1`, and everywhere if `w < 2`. A NaN,
/// infinite or huge (beyond 1e100) value inside the window gives NaN.
pub fn rolling_std1(x: &[f64], w: usize) -> Vec<f64> {
    rolling(Rolling::Std, x, w)
}

/// Rolling mean over the `w` values ending at `t`; NaN for `t < w - 1`, and
/// everywhere if `w == 0`. Unusable values give NaN as in [`rolling_std1`].
pub fn rolling_mean(x: &[f64], w: usize) -> Vec<f64> {
    rolling(Rolling::Mean, x, w)
}

/// z-score of `x[t]` within its window: 0 where the std is 0.
#[inline(always)]
fn zscore(x: f64, m: f64, s: f64) -> f64 {
    if s == 0.0 { 0.0 } else { (x - m) / s }
}

/// Rolling z-score `(x[t] - mean) / std1` over the `w` values ending at `t`;
/// 0 where that std is 0; NaN for `t < w - 1`, and everywhere if `w < 2`.
pub fn rolling_zscore(x: &[f64], w: usize) -> Vec<f64> {
    rolling(Rolling::ZScore, x, w)
}

/// Wilder RSI: seeded with the plain mean of the first `period` gains and
/// losses at `t = period`, then `avg = ((period-1)*avg + new) / period`.
/// `rsi = 100*AG/(AG+AL)`, 50 when both are 0. NaN for `t < period`, and
/// everywhere if `period == 0`.
pub fn wilder_rsi(close: &[f64], period: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    if period == 0 || n <= period {
        return out;
    }
    let p = period as f64;
    let (mut ag, mut al) = (0.0, 0.0);
    for t in 1..=period {
        let d = close[t] - close[t - 1];
        ag += d.max(0.0);
        al += (-d).max(0.0);
    }
    ag /= p;
    al /= p;
    let rsi = |ag: f64, al: f64| {
        let s = ag + al;
        if s == 0.0 { 50.0 } else { 100.0 * ag / s }
    };
    out[period] = rsi(ag, al);
    for t in period + 1..n {
        let d = close[t] - close[t - 1];
        ag = ((p - 1.0) * ag + d.max(0.0)) / p;
        al = ((p - 1.0) * al + (-d).max(0.0)) / p;
        out[t] = rsi(ag, al);
    }
    out
}

/// Wilder ATR: `TR[t] = max(h-l, |h-c[t-1]|, |l-c[t-1]|)` for `t >= 1`,
/// seeded with the mean of `TR[1..=period]` at `t = period`, then
/// `ATR = ((period-1)*ATR + TR) / period`. NaN for `t < period`, and
/// everywhere if `period == 0`. Uses the shortest of the three lengths.
pub fn wilder_atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Vec<f64> {
    let n = close.len().min(high.len()).min(low.len());
    let mut out = vec![f64::NAN; n];
    if period == 0 || n <= period {
        return out;
    }
    let tr = |t: usize| {
        let pc = close[t - 1];
        (high[t] - low[t])
            .max((high[t] - pc).abs())
            .max((low[t] - pc).abs())
    };
    let p = period as f64;
    let mut atr = (1..=period).map(tr).sum::<f64>() / p;
    out[period] = atr;
    for (t, o) in out.iter_mut().enumerate().skip(period + 1) {
        atr = ((p - 1.0) * atr + tr(t)) / p;
        *o = atr;
    }
    out
}

/// numpy's default ("linear", Hyndman-Fan 7) quantile of `values` (any
/// order; NaN-free). NaN when empty or `q` is outside `[0, 1]`.
///
/// O(n) by selection, not a sort; interpolates as numpy's `_lerp` does.
pub fn quantile_linear(values: &[f64], q: f64) -> f64 {
    quantile_linear_select(&mut values.to_vec(), q)
}

/// [`quantile_linear`] in place: reorders `v` partially (selection) instead
/// of copying it.
pub fn quantile_linear_select(v: &mut [f64], q: f64) -> f64 {
    let m = v.len();
    if m == 0 || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let p = q * (m - 1) as f64;
    let i = (p.floor() as usize).min(m - 1);
    let (_, a, right) = v.select_nth_unstable_by(i, f64::total_cmp);
    let a = *a;
    // The next order statistic is the smallest value right of the pivot.
    let b = right.iter().copied().min_by(f64::total_cmp).unwrap_or(a);
    lerp_numpy(a, b, p - i as f64)
}

/// [`quantile_linear`] on already sorted values.
pub fn quantile_linear_sorted(sorted: &[f64], q: f64) -> f64 {
    let m = sorted.len();
    if m == 0 || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let p = q * (m - 1) as f64;
    let i = (p.floor() as usize).min(m - 1);
    lerp_numpy(sorted[i], sorted[(i + 1).min(m - 1)], p - i as f64)
}

/// numpy's `_lerp`: from the upper neighbour when the fraction is >= 0.5,
/// so cut points match numpy bit for bit.
#[inline]
fn lerp_numpy(a: f64, b: f64, g: f64) -> f64 {
    let diff = b - a;
    if g >= 0.5 {
        b - diff * (1.0 - g)
    } else {
        a + diff * g
    }
}

/// Tercile label with the `<=` rule: 0 if `v <= q1`, 1 if `v <= q2`, else 2.
#[inline]
pub fn tercile_label(v: f64, q1: f64, q2: f64) -> u8 {
    if v <= q1 {
        0
    } else if v <= q2 {
        1
    } else {
        2
    }
}

// ---------------------------------------------------------------------------
// The T0 features, written straight into a row-major matrix

/// The price and volume columns of [`fill_features`], cut to one length.
#[derive(Clone, Copy)]
struct Series<'a> {
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
    volume: &'a [f64],
}

/// Append to `out` (row-major, 12 values a row) the T0 features of bars
/// `rows`, NaN where a feature is not yet defined. `x` = ln close, `r1` =
/// its one-bar differences (`r1[0]` = NaN). With `fwd_vol_24`, also append
/// `vol_24` of the bars `rows.start + 24 .. rows.end + 24` (as far as the
/// series goes): the `fwd_vol_24` of each row.
///
/// The features are computed a block of bars at a time, column by column,
/// into small buffers that stay in cache; then the block's rows are written
/// once, in order. (Writing each column straight into the row-major output
/// would stream the whole output through the cache once per column.)
#[inline(always)]
fn fill_features_impl(
    c: Series<'_>,
    x: &[f64],
    r1: &[f64],
    rows: Range<usize>,
    out: &mut Vec<f64>,
    mut fwd_vol_24: Option<&mut Vec<f64>>,
) {
    let n_bars = x.len();
    let end = if fwd_vol_24.is_some() {
        (rows.end + HORIZON_BARS).min(n_bars)
    } else {
        rows.end
    };
    let mut wilder = Wilder14::default();
    for t in 1..rows.start.min(n_bars) {
        wilder.update(t, c.high[t], c.low[t], c.close[t - 1], c.close[t]);
    }
    let (mut pr, mut pc, mut pv) = (Prefix::default(), Prefix::default(), Prefix::default());
    // vol_12, vol_24, vol_72, zscore_20, vol_z_20 of the block's bars.
    let mut cols = vec![0.0; 5 * BLOCK];
    let (mut rsi, mut atr) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
    let mut b0 = rows.start - rows.start % BLOCK;
    while b0 < end {
        let b1 = (b0 + BLOCK).min(end);
        let lo = b0.max(rows.start);
        let s0 = b0.saturating_sub(WARMUP_BARS - 1);
        // The block's prefix sums start 71 bars early: the longest window.
        pr.fill(&r1[s0..b1]);
        pc.fill(&c.close[s0..b1]);
        pv.fill(&c.volume[s0..b1]);
        wilder.run(c, lo..b1.min(rows.end), &mut rsi, &mut atr);
        let k = b1 - lo;
        let (vols, zs) = cols.split_at_mut(3 * BLOCK);
        let (v12, rest) = vols.split_at_mut(BLOCK);
        let (v24, v72) = rest.split_at_mut(BLOCK);
        let (zc, zv) = zs.split_at_mut(BLOCK);
        let (v12, v24, v72) = (&mut v12[..k], &mut v24[..k], &mut v72[..k]);
        let (zc, zv) = (&mut zc[..k], &mut zv[..k]);
        for (w, col) in VOL_WINDOWS
            .into_iter()
            .zip([&mut *v12, &mut *v24, &mut *v72])
        {
            rolling_block(Rolling::Std, r1, &pr, s0, w, lo..b1, col);
        }
        rolling_block(Rolling::ZScore, c.close, &pc, s0, 20, lo..b1, zc);
        rolling_block(Rolling::ZScore, c.volume, &pv, s0, 20, lo..b1, zv);
        if let Some(f) = fwd_vol_24.as_deref_mut() {
            let from = (rows.start + HORIZON_BARS).max(lo).min(b1);
            f.extend_from_slice(&v24[from - lo..]);
        }
        let hi = b1.min(rows.end).max(lo);
        let len = (hi - lo) * FEATURES.len();
        out.reserve(len);
        let tile = &mut out.spare_capacity_mut()[..len];
        for ((i, t), row) in (0..).zip(lo..hi).zip(tile.chunks_exact_mut(FEATURES.len())) {
            for (j, k) in LR_LAGS.into_iter().enumerate() {
                row[j].write(if t >= k { x[t] - x[t - k] } else { f64::NAN });
            }
            row[5].write(v12[i]);
            row[6].write(v24[i]);
            row[7].write(v72[i]);
            row[8].write(rsi[i]);
            row[9].write(zc[i]);
            row[10].write(zv[i]);
            row[11].write(atr[i]);
        }
        // SAFETY: the loop above wrote all `len` values after the current
        // length: `hi - lo` rows of 12 (`chunks_exact_mut` of exactly
        // `len`), every one of the 12 written.
        unsafe { out.set_len(out.len() + len) };
        b0 = b1;
    }
}

/// [`fill_features_impl`] compiled for AVX2 and FMA (same bits, faster).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn fill_features_fma(
    c: Series<'_>,
    x: &[f64],
    r1: &[f64],
    rows: Range<usize>,
    out: &mut Vec<f64>,
    fwd_vol_24: Option<&mut Vec<f64>>,
) {
    fill_features_impl(c, x, r1, rows, out, fwd_vol_24)
}

fn fill_features(
    c: Series<'_>,
    x: &[f64],
    r1: &[f64],
    rows: Range<usize>,
    out: &mut Vec<f64>,
    fwd_vol_24: Option<&mut Vec<f64>>,
) {
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
        return unsafe { fill_features_fma(c, x, r1, rows, out, fwd_vol_24) };
    }
    fill_features_impl(c, x, r1, rows, out, fwd_vol_24)
}

/// Wilder's RSI(14) and ATR(14) advanced one bar at a time: the running
/// state that [`fill_features`] and [`FeatureStream`] share. Seeded with the
/// plain means of the first 14 gains, losses and true ranges at bar 14,
/// then `avg = (13 * avg + new) / 14`.
#[derive(Debug, Clone, Copy, Default)]
struct Wilder14 {
    /// Sums of the first 14 values, then the averages.
    avg_gain: f64,
    avg_loss: f64,
    atr: f64,
}

impl Wilder14 {
    const PERIOD: usize = 14;

    /// Advance to bar `t >= 1` with its high, low and close and the previous
    /// close.
    #[inline]
    fn update(&mut self, t: usize, high: f64, low: f64, prev_close: f64, close: f64) {
        let p = Self::PERIOD as f64;
        let d = close - prev_close;
        let (g, l) = (d.max(0.0), (-d).max(0.0));
        let tr = (high - low)
            .max((high - prev_close).abs())
            .max((low - prev_close).abs());
        if t <= Self::PERIOD {
            self.avg_gain += g;
            self.avg_loss += l;
            self.atr += tr;
            if t == Self::PERIOD {
                self.avg_gain /= p;
                self.avg_loss /= p;
                self.atr /= p;
            }
        } else {
            self.avg_gain = ((p - 1.0) * self.avg_gain + g) / p;
            self.avg_loss = ((p - 1.0) * self.avg_loss + l) / p;
            self.atr = ((p - 1.0) * self.atr + tr) / p;
        }
    }

    /// Advance through the bars `ts` (the state being at `ts.start - 1`),
    /// writing `rsi_14` and `atr_14_rel` of bar `ts.start + i` to `rsi[i]`
    /// and `atr_rel[i]`. Its own function, so the three averages stay in
    /// registers: the loop runs at the latency of the recursion.
    #[inline(never)]
    fn run(&mut self, c: Series<'_>, ts: Range<usize>, rsi: &mut [f64], atr_rel: &mut [f64]) {
        for ((t, r), a) in ts.zip(&mut rsi[..]).zip(&mut atr_rel[..]) {
            if t >= 1 {
                self.update(t, c.high[t], c.low[t], c.close[t - 1], c.close[t]);
            }
            (*r, *a) = self.rsi_atr_rel(t, c.close[t]);
        }
    }

    /// `rsi_14` and `atr_14_rel` at bar `t` with close `close`; NaN before
    /// bar 14.
    #[inline]
    fn rsi_atr_rel(&self, t: usize, close: f64) -> (f64, f64) {
        if t < Self::PERIOD {
            return (f64::NAN, f64::NAN);
        }
        let s = self.avg_gain + self.avg_loss;
        let rsi = if s == 0.0 {
            50.0
        } else {
            100.0 * self.avg_gain / s
        };
        (rsi, self.atr / close)
    }
}

/// The 12 T0 features for every bar (N x 12, [`FEATURES`] order), NaN in
/// each feature's warm-up rows. Row `t` uses data up to bar `t` only, so the
/// last row is what live inference needs. Columns of unequal length are
/// cut to the shortest (no validation here; see [`Candles::validate`]).
pub fn feature_matrix(c: &Candles) -> Array2<f64> {
    let n = [c.high.len(), c.low.len(), c.close.len(), c.volume.len()]
        .into_iter()
        .fold(c.len(), usize::min);
    let series = Series {
        high: &c.high[..n],
        low: &c.low[..n],
        close: &c.close[..n],
        volume: &c.volume[..n],
    };
    let x: Vec<f64> = series.close.iter().map(|p| p.ln()).collect();
    let r1 = lagged_diff(&x, 1);
    let mut out = Vec::with_capacity(n * FEATURES.len());
    fill_features(series, &x, &r1, 0..n, &mut out, None);
    // The shape matches the buffer by construction.
    Array2::from_shape_vec((n, FEATURES.len()), out).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// The table

/// Which label a [`Dataset`] built from the table predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `y_dir`: 1 if the next bar's log return is > 0.
    Direction,
    /// `y_regime`: tercile 0/1/2 of the next 24 bars' realised volatility.
    Regime,
    /// `fwd_ret_1`: the next bar's log return.
    ForwardReturn,
}

/// The T0 table: one row per bar `t = 72 ..= N-25`, chronological, with the
/// first `n_train` rows as the train split.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Raw bar index `t` of each row.
    pub bar: Vec<usize>,
    /// Bar open time (epoch ms).
    pub timestamp: Vec<i64>,
    pub close: Vec<f64>,
    /// n x 12, columns in [`FEATURES`] order.
    pub features: Array2<f64>,
    /// `ln c[t+1] - ln c[t]`.
    pub fwd_ret_1: Vec<f64>,
    /// Sample std of the log returns of bars `t+1 ..= t+24`.
    pub fwd_vol_24: Vec<f64>,
    /// 1 if `fwd_ret_1 > 0`.
    pub y_dir: Vec<u8>,
    /// Tercile of `fwd_vol_24` with cut points `q1`, `q2` (`<=` rule).
    pub y_regime: Vec<u8>,
    /// `floor(0.8 n)`.
    pub n_train: usize,
    /// numpy-linear 1/3 quantile of the train rows' `fwd_vol_24`.
    pub q1: f64,
    /// numpy-linear 2/3 quantile of the train rows' `fwd_vol_24`.
    pub q2: f64,
}

/// Compute the T0 table of SPEC.md from candles. Consecutive rows are
/// consecutive bars: gaps are ignored, as the SPEC prescribes.
///
/// Errors: [`MarketError::NotEnoughBars`] below [`MIN_T0_BARS`] bars, and
/// the [`Candles::validate`] errors for candles that break the invariants.
pub fn t0_features(c: &Candles) -> Result<FeatureTable> {
    let n_bars = c.len();
    if n_bars < MIN_T0_BARS {
        return Err(MarketError::NotEnoughBars {
            needed: MIN_T0_BARS,
            got: n_bars,
        });
    }
    // NaN or non-positive prices would silently poison every feature.
    c.validate("candles")?;
    let x = c.log_close();
    let r1 = lagged_diff(&x, 1);
    let rows = WARMUP_BARS..n_bars - HORIZON_BARS;
    let n = rows.len();
    let series = Series {
        high: &c.high,
        low: &c.low,
        close: &c.close,
        volume: &c.volume,
    };
    let mut buf = Vec::with_capacity(n * FEATURES.len());
    // fwd_vol_24[t] = vol_24[t + 24]: the std of r1 over bars t+1 ..= t+24.
    let mut fwd_vol_24 = Vec::with_capacity(n);
    fill_features(
        series,
        &x,
        &r1,
        rows.clone(),
        &mut buf,
        Some(&mut fwd_vol_24),
    );
    let features = Array2::from_shape_vec((n, FEATURES.len()), buf)
        .map_err(|e| agent_core::CoreError::InvalidData(e.to_string()))?;
    let fwd_ret_1: Vec<f64> = rows.clone().map(|t| r1[t + 1]).collect();
    let n_train = train_rows(n);
    let (q1, q2) = cut_points(&fwd_vol_24[..n_train]);
    Ok(FeatureTable {
        bar: rows.clone().collect(),
        timestamp: c.ts[rows.clone()].to_vec(),
        close: c.close[rows].to_vec(),
        features,
        y_dir: fwd_ret_1.iter().map(|&r| u8::from(r > 0.0)).collect(),
        y_regime: fwd_vol_24
            .iter()
            .map(|&v| tercile_label(v, q1, q2))
            .collect(),
        fwd_ret_1,
        fwd_vol_24,
        n_train,
        q1,
        q2,
    })
}

/// `floor(0.8 n)` computed in floating point, as the SPEC (and Python) do.
fn train_rows(n: usize) -> usize {
    (0.8 * n as f64).floor() as usize
}

fn cut_points(train: &[f64]) -> (f64, f64) {
    let mut s = train.to_vec();
    // Selection, not a sort: O(n), and the T0 timing counts it. The second
    // selection only searches right of the first one's pivot.
    let m = s.len();
    if m == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (p1, p2) = ((1.0 / 3.0) * (m - 1) as f64, (2.0 / 3.0) * (m - 1) as f64);
    let (i1, i2) = (p1.floor() as usize, p2.floor() as usize);
    let (_, &mut a1, right) = s.select_nth_unstable_by(i1, f64::total_cmp);
    let (a2, b2) = if i2 > i1 {
        let (_, &mut a2, right2) = right.select_nth_unstable_by(i2 - i1 - 1, f64::total_cmp);
        (
            a2,
            right2.iter().copied().min_by(f64::total_cmp).unwrap_or(a2),
        )
    } else {
        (
            a1,
            right.iter().copied().min_by(f64::total_cmp).unwrap_or(a1),
        )
    };
    // The order statistic after i1: i1 + 1 == i2 gives a2, else the
    // smallest value right of i1 (all of them lie right of i1's pivot).
    let b1 = if i1 + 1 == i2 {
        a2
    } else {
        s[i1 + 1..]
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .unwrap_or(a1)
    };
    (
        lerp_numpy(a1, b1, p1 - i1 as f64),
        lerp_numpy(a2, b2, p2 - i2 as f64),
    )
}

impl FeatureTable {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.bar.len()
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.bar.is_empty()
    }

    /// [`FEATURES`] as owned strings (what [`Dataset`] stores).
    pub fn feature_names(&self) -> Vec<String> {
        FEATURES.iter().map(|s| s.to_string()).collect()
    }

    /// Rows of the train split.
    pub fn train_range(&self) -> Range<usize> {
        0..self.n_train
    }

    /// Rows of the test split.
    pub fn test_range(&self) -> Range<usize> {
        self.n_train..self.len()
    }

    /// All rows as a [`Dataset`] with the 12 features, the chosen target and
    /// the bar timestamps. Split it with `split_at(self.n_train)`.
    pub fn dataset(&self, target: Target) -> Result<Dataset> {
        let y: Array1<f64> = match target {
            Target::Direction => self.y_dir.iter().map(|&v| f64::from(v)).collect(),
            Target::Regime => self.y_regime.iter().map(|&v| f64::from(v)).collect(),
            Target::ForwardReturn => Array1::from(self.fwd_ret_1.clone()),
        };
        Ok(
            Dataset::new(self.features.clone(), y, self.feature_names())?
                .with_timestamps(self.timestamp.clone())?,
        )
    }

    /// The table as CSV text, byte for byte in the layout of the Python
    /// peer (pandas `to_csv`): [`CSV_COLUMNS`], floats as Python `repr`.
    pub fn to_csv_string(&self) -> String {
        let mut s = String::with_capacity(self.len() * 340 + 256);
        s.push_str(&CSV_COLUMNS.join(","));
        s.push('\n');
        for i in 0..self.len() {
            let _ = write!(s, "{},{},", self.bar[i], self.timestamp[i]);
            push_py_float(&mut s, self.close[i]);
            for &v in self.features.row(i) {
                s.push(',');
                push_py_float(&mut s, v);
            }
            s.push(',');
            push_py_float(&mut s, self.fwd_ret_1[i]);
            s.push(',');
            push_py_float(&mut s, self.fwd_vol_24[i]);
            let _ = writeln!(
                s,
                ",{},{},{}",
                self.y_dir[i],
                self.y_regime[i],
                u8::from(i < self.n_train)
            );
        }
        s
    }

    /// Write the table as CSV (atomically), in exactly the column layout of
    /// `shared/bench/datasets/features_btc_1h.csv`.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        agent_core::write_atomic(path, self.to_csv_string().as_bytes())?;
        Ok(())
    }

    /// Read a table written by [`FeatureTable::write_csv`] or the Python
    /// peer. `q1`/`q2` are recomputed from the train rows' `fwd_vol_24`;
    /// train rows (`is_train = 1`) must come first. Bounded like a candle
    /// file: at most [`MAX_FILE_BYTES`] (a FIFO or device is refused, not
    /// read), [`MAX_LINE_BYTES`] a line and [`MAX_BARS`] rows.
    pub fn read_csv(path: &Path) -> Result<FeatureTable> {
        let bytes = read_bounded(path, MAX_FILE_BYTES, Symlinks::Follow)?;
        Self::parse_csv(&bytes, &path.display().to_string())
    }

    /// [`FeatureTable::read_csv`] on bytes; `source_name` names the input in
    /// errors, which name line and column but never quote the input.
    pub fn parse_csv(bytes: &[u8], source_name: &str) -> Result<FeatureTable> {
        let file = source_name;
        let too_large = |line: Option<usize>, what: String, max: u64| MarketError::TooLarge {
            file: file.to_owned(),
            line,
            what,
            max,
        };
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_large(
                None,
                "the input holds more bytes".into(),
                MAX_FILE_BYTES,
            ));
        }
        let long_line = |line: usize, len: usize| {
            too_large(
                Some(line),
                format!("the line holds {len} bytes"),
                MAX_LINE_BYTES as u64,
            )
        };
        let mut lines = non_blank_lines(bytes);
        let Some((hl, header)) = lines.next() else {
            return Err(MarketError::EmptyFile {
                file: file.to_owned(),
            });
        };
        if header.len() > MAX_LINE_BYTES {
            return Err(long_line(hl, header.len()));
        }
        let expected = CSV_COLUMNS.join(",");
        let got: Vec<String> = String::from_utf8_lossy(header)
            .split(',')
            .map(|f| f.trim().to_owned())
            .collect();
        if got != CSV_COLUMNS {
            let why = match got.iter().zip(CSV_COLUMNS).position(|(g, w)| g != w) {
                Some(k) => format!(
                    "column {} is not named \"{}\" (the full header is `{expected}`)",
                    k + 1,
                    CSV_COLUMNS[k]
                ),
                None => format!(
                    "{} columns, expected {} (`{expected}`)",
                    got.len(),
                    CSV_COLUMNS.len()
                ),
            };
            return Err(MarketError::Header {
                file: file.to_owned(),
                line: hl,
                why,
            });
        }
        let cap = bytes.len() / 300 + 1;
        let mut t = FeatureTable {
            bar: Vec::with_capacity(cap),
            timestamp: Vec::with_capacity(cap),
            close: Vec::with_capacity(cap),
            features: Array2::zeros((0, FEATURES.len())),
            fwd_ret_1: Vec::with_capacity(cap),
            fwd_vol_24: Vec::with_capacity(cap),
            y_dir: Vec::with_capacity(cap),
            y_regime: Vec::with_capacity(cap),
            n_train: 0,
            q1: f64::NAN,
            q2: f64::NAN,
        };
        let mut feats: Vec<f64> = Vec::with_capacity(cap * FEATURES.len());
        let mut seen_test = false;
        for (line, row) in lines {
            if row.len() > MAX_LINE_BYTES {
                return Err(long_line(line, row.len()));
            }
            if t.bar.len() == MAX_BARS {
                return Err(too_large(
                    Some(line),
                    "the file holds more rows".into(),
                    MAX_BARS as u64,
                ));
            }
            let f = FieldSplitter::<20>::split(row, file, line)?;
            let bar: i64 = f.int(0, CSV_COLUMNS[0])?;
            let bar = usize::try_from(bar).map_err(|_| f.bad(0, CSV_COLUMNS[0], "is negative"))?;
            t.bar.push(bar);
            t.timestamp.push(f.int(1, CSV_COLUMNS[1])?);
            t.close.push(f.float(2, CSV_COLUMNS[2])?);
            for (k, name) in CSV_COLUMNS.iter().enumerate().take(15).skip(3) {
                feats.push(f.float(k, name)?);
            }
            t.fwd_ret_1.push(f.float(15, CSV_COLUMNS[15])?);
            t.fwd_vol_24.push(f.float(16, CSV_COLUMNS[16])?);
            t.y_dir.push(f.label(17, CSV_COLUMNS[17], 1)?);
            t.y_regime.push(f.label(18, CSV_COLUMNS[18], 2)?);
            match f.label(19, CSV_COLUMNS[19], 1)? {
                1 if seen_test => {
                    return Err(f.bad(
                        19,
                        CSV_COLUMNS[19],
                        "comes after a test row; train rows (is_train = 1) must come first",
                    ));
                }
                1 => t.n_train += 1,
                _ => seen_test = true,
            }
        }
        let n = t.bar.len();
        t.features = Array2::from_shape_vec((n, FEATURES.len()), feats)
            .map_err(|e| agent_core::CoreError::InvalidData(e.to_string()))?;
        (t.q1, t.q2) = cut_points(&t.fwd_vol_24[..t.n_train]);
        Ok(t)
    }

    /// Column index of a feature name in [`FEATURES`].
    pub fn feature_index(name: &str) -> Option<usize> {
        FEATURES.iter().position(|f| *f == name)
    }
}

/// Append `v` as Python's `repr(float)` writes it: shortest round-trip
/// digits, positional for 1e-4 <= |v| < 1e16, else `d.ddde[+-]XX`; a whole
/// number gets `.0`. Matches what pandas writes, so our CSVs diff cleanly
/// against the peer's.
pub fn push_py_float(s: &mut String, v: f64) {
    if v.is_nan() {
        s.push_str("nan");
        return;
    }
    if v.is_infinite() {
        s.push_str(if v > 0.0 { "inf" } else { "-inf" });
        return;
    }
    // `{:e}` gives the shortest round-trip digits, e.g. "-4.6247e-5"; it is
    // written to a stack buffer because this runs for every cell of a table.
    let mut sci = StackBuf::default();
    let _ = write!(sci, "{:e}", v.abs());
    let text = sci.as_bytes();
    let e_pos = text.iter().position(|&b| b == b'e').unwrap_or(text.len());
    let exp: i32 = std::str::from_utf8(text.get(e_pos + 1..).unwrap_or_default())
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 24];
    let mut nd = 0usize;
    for &b in &text[..e_pos] {
        if b.is_ascii_digit() && nd < digits.len() {
            digits[nd] = b;
            nd += 1;
        }
    }
    let digits = std::str::from_utf8(&digits[..nd]).unwrap_or("0");
    let nd = nd as i32;
    // Python's decpt: the value is 0.DIGITS x 10^decpt.
    let decpt = exp + 1;
    if v.is_sign_negative() {
        s.push('-');
    }
    if decpt <= -4 || decpt > 16 {
        s.push_str(&digits[..1]);
        if nd > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        let _ = write!(s, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if decpt <= 0 {
        s.push_str("0.");
        for _ in 0..-decpt {
            s.push('0');
        }
        s.push_str(digits);
    } else if decpt < nd {
        let (a, b) = digits.split_at(decpt as usize);
        s.push_str(a);
        s.push('.');
        s.push_str(b);
    } else {
        s.push_str(digits);
        for _ in 0..decpt - nd {
            s.push('0');
        }
        s.push_str(".0");
    }
}

/// A fixed stack buffer for formatting one number (`{:e}` of an f64 needs
/// at most 24 bytes); longer text is cut off, which cannot happen here.
struct StackBuf {
    b: [u8; 40],
    n: usize,
}

impl Default for StackBuf {
    fn default() -> Self {
        Self { b: [0; 40], n: 0 }
    }
}

impl StackBuf {
    fn as_bytes(&self) -> &[u8] {
        &self.b[..self.n]
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let take = s.len().min(self.b.len() - self.n);
        self.b[self.n..self.n + take].copy_from_slice(&s.as_bytes()[..take]);
        self.n += take;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Bar by bar

/// Values each ring keeps: the longest window (`vol_72` over one-bar
/// returns) needs the last 73 closes.
const STREAM_DEPTH: usize = WARMUP_BARS + 1;

/// A fixed-size ring of the newest values, oldest first once full.
#[derive(Debug, Clone)]
struct Ring {
    buf: [f64; STREAM_DEPTH],
    /// Index of the next write.
    head: usize,
    len: usize,
}

impl Ring {
    fn new() -> Self {
        Self {
            buf: [f64::NAN; STREAM_DEPTH],
            head: 0,
            len: 0,
        }
    }

    fn push(&mut self, v: f64) {
        self.buf[self.head] = v;
        self.head = (self.head + 1) % STREAM_DEPTH;
        self.len = (self.len + 1).min(STREAM_DEPTH);
    }

    /// The value `k` pushes ago (0 = newest); `k < len`.
    fn back(&self, k: usize) -> f64 {
        self.buf[(self.head + STREAM_DEPTH - 1 - k) % STREAM_DEPTH]
    }

    /// The newest `w` values, oldest first, into `out[..w]`.
    fn last_into(&self, w: usize, out: &mut [f64]) {
        for (i, o) in out[..w].iter_mut().enumerate() {
            *o = self.back(w - 1 - i);
        }
    }
}

/// The T0 features bar by bar, for live inference: push each closed
/// candle, read the newest bar's row. O(longest window) per bar and no
/// allocation: the rolling features use the last 73 bars, and Wilder's RSI
/// and ATR carry their recursion from the first candle pushed, exactly as
/// [`feature_matrix`] does from its first row. Pushing a whole history
/// therefore gives [`feature_matrix`]'s last row (to a few ulps of the
/// window sums; a test checks every bar of a long series).
#[derive(Debug, Clone)]
pub struct FeatureStream {
    x: Ring,
    r1: Ring,
    close: Ring,
    volume: Ring,
    /// Candles pushed.
    bars: usize,
    prev_close: f64,
    wilder: Wilder14,
    scratch: [f64; STREAM_DEPTH],
}

impl Default for FeatureStream {
    fn default() -> Self {
        Self::new()
    }
}

impl FeatureStream {
    pub fn new() -> Self {
        Self {
            x: Ring::new(),
            r1: Ring::new(),
            close: Ring::new(),
            volume: Ring::new(),
            bars: 0,
            prev_close: f64::NAN,
            wilder: Wilder14::default(),
            scratch: [0.0; STREAM_DEPTH],
        }
    }

    /// Candles pushed so far.
    pub fn bars(&self) -> usize {
        self.bars
    }

    /// Whether every feature of the newest bar is defined (73 candles).
    pub fn is_ready(&self) -> bool {
        self.bars > WARMUP_BARS
    }

    /// Add the next closed candle. Prices must be positive and finite,
    /// volume finite and >= 0, high >= low; otherwise nothing changes and
    /// the error names the field and value.
    pub fn push(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Result<()> {
        let bad = |field, value, why: &str| {
            Err(MarketError::InvalidCandle {
                field,
                value,
                why: why.to_string(),
            })
        };
        for (name, v) in [("high", high), ("low", low), ("close", close)] {
            if !(v.is_finite() && v > 0.0) {
                return bad(name, v, "must be positive and finite");
            }
        }
        if !(volume.is_finite() && volume >= 0.0) {
            return bad("volume", volume, "must be finite and >= 0");
        }
        if high < low {
            return bad("high", high, &format!("is below low {low}"));
        }
        let x = close.ln();
        let t = self.bars;
        if t >= 1 {
            self.r1.push(x - self.x.back(0));
            self.wilder.update(t, high, low, self.prev_close, close);
        }
        self.x.push(x);
        self.close.push(close);
        self.volume.push(volume);
        self.prev_close = close;
        self.bars += 1;
        Ok(())
    }

    /// Mean and sample std of the newest `w` values of `ring`, as
    /// [`rolling_std1`] computes a window.
    fn stats(ring: &Ring, w: usize, scratch: &mut [f64]) -> (f64, f64) {
        ring.last_into(w, scratch);
        window_mean_std_of(&scratch[..w])
    }

    /// The T0 features of the newest bar ([`FEATURES`] order), NaN where a
    /// feature is not yet defined (before its warm-up, as in
    /// [`feature_matrix`]).
    pub fn row(&mut self) -> [f64; 12] {
        let mut out = [f64::NAN; 12];
        if self.bars == 0 {
            return out;
        }
        let t = self.bars - 1;
        for (j, &k) in LR_LAGS.iter().enumerate() {
            if t >= k {
                out[j] = self.x.back(0) - self.x.back(k);
            }
        }
        for (j, &w) in VOL_WINDOWS.iter().enumerate() {
            if t >= w {
                out[5 + j] = Self::stats(&self.r1, w, &mut self.scratch).1;
            }
        }
        (out[8], out[11]) = self.wilder.rsi_atr_rel(t, self.prev_close);
        if t >= 19 {
            for (j, ring) in [(9, &self.close), (10, &self.volume)] {
                let (m, s) = Self::stats(ring, 20, &mut self.scratch);
                out[j] = zscore(ring.back(0), m, s);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(v: f64) -> String {
        let mut s = String::new();
        push_py_float(&mut s, v);
        s
    }

    #[test]
    fn floats_are_formatted_like_python_repr() {
        for (v, want) in [
            (4093.0, "4093.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (-4.624699547406408e-05, "-4.624699547406408e-05"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (0.1, "0.1"),
            (50.046238880094165, "50.046238880094165"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (123.456, "123.456"),
        ] {
            assert_eq!(py(v), want, "{v:?}");
        }
    }

    #[test]
    fn quantile_matches_numpy_linear() {
        // np.quantile([3, 1, 2, 10], [0, 1/3, 0.5, 2/3, 1])
        let v = [3.0, 1.0, 2.0, 10.0];
        assert_eq!(quantile_linear(&v, 0.0), 1.0);
        assert_eq!(quantile_linear(&v, 1.0 / 3.0), 2.0);
        assert_eq!(quantile_linear(&v, 0.5), 2.5);
        assert_eq!(quantile_linear(&v, 2.0 / 3.0), 3.0);
        assert_eq!(quantile_linear(&v, 1.0), 10.0);
        assert!(quantile_linear(&[], 0.5).is_nan());
        assert!(quantile_linear(&v, 1.5).is_nan());
        let mut sorted = v;
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.1, 1.0 / 3.0, 0.5, 2.0 / 3.0, 0.9, 1.0] {
            assert_eq!(quantile_linear(&v, q), quantile_linear_sorted(&sorted, q));
        }
        assert_eq!(quantile_linear(&[7.0], 0.3), 7.0);
    }

    #[test]
    fn tercile_label_uses_less_or_equal() {
        assert_eq!(tercile_label(1.0, 1.0, 2.0), 0);
        assert_eq!(tercile_label(1.5, 1.0, 2.0), 1);
        assert_eq!(tercile_label(2.0, 1.0, 2.0), 1);
        assert_eq!(tercile_label(2.5, 1.0, 2.0), 2);
    }

    #[test]
    fn rolling_std1_matches_direct_two_pass_and_warmup_is_nan() {
        let x: Vec<f64> = (0..50).map(|i| ((i * 37 % 11) as f64).sin()).collect();
        let s = rolling_std1(&x, 7);
        assert!(s[..6].iter().all(|v| v.is_nan()));
        for t in 6..50 {
            let w = &x[t - 6..=t];
            let m = w.iter().sum::<f64>() / 7.0;
            let v = w.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / 6.0;
            assert!((s[t] - v.sqrt()).abs() < 1e-15, "t={t}");
        }
    }

    /// Mean and sample std of a window, two-pass in plain f64 (the SPEC's
    /// recommended numerics): the reference for the prefix-sum windows.
    fn two_pass_reference(s: &[f64]) -> (f64, f64) {
        let n = s.len() as f64;
        let m = s.iter().sum::<f64>() / n;
        let ss: f64 = s.iter().map(|v| (v - m) * (v - m)).sum();
        (m, (ss / (n - 1.0)).sqrt())
    }

    /// Price levels with moves far smaller than the level (where a plain
    /// running variance cancels), constant runs and a run alternating by
    /// one cent, over several blocks.
    fn price_like(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| match i {
                500..540 => 61_234.5,
                1500..1530 => 60_000.0 + (i % 2) as f64 * 0.01,
                _ => 60_000.0 + (i as f64 * 0.37).sin() * 50.0 + (i % 7) as f64 * 1e-3,
            })
            .collect()
    }

    #[test]
    fn rolling_windows_match_two_pass_on_price_levels_across_blocks() {
        let x = price_like(2 * BLOCK + 300);
        for w in [2, 12, 20, 72, 100] {
            let (m, sd, z) = (
                rolling_mean(&x, w),
                rolling_std1(&x, w),
                rolling_zscore(&x, w),
            );
            assert!(m[..w - 1].iter().chain(&sd[..w - 1]).all(|v| v.is_nan()));
            for t in w - 1..x.len() {
                let win = &x[t + 1 - w..=t];
                let (rm, rsd) = two_pass_reference(win);
                // The reference sums sequentially: its own error grows with w.
                assert!((m[t] - rm).abs() <= 2e-14 * rm, "mean w={w} t={t}");
                if win.iter().all(|&v| v == win[0]) {
                    assert_eq!((sd[t], z[t], m[t]), (0.0, 0.0, win[0]), "w={w} t={t}");
                    continue;
                }
                assert!(
                    (sd[t] - rsd).abs() <= 1e-12 * rsd,
                    "std w={w} t={t}: {} vs {rsd}",
                    sd[t]
                );
                let rz = (x[t] - rm) / rsd;
                assert!(
                    (z[t] - rz).abs() <= 1e-9 * (1.0 + rz.abs()),
                    "z w={w} t={t}"
                );
            }
        }
    }

    /// A window computed on its own (a trailing window, `FeatureStream`)
    /// gets the bits it gets inside a whole series, where its sums are a
    /// difference of a block's prefix sums.
    #[test]
    fn a_window_alone_equals_the_same_window_in_the_series() {
        let prices = price_like(2 * BLOCK + 300);
        let returns = log_returns(&prices)[1..].to_vec();
        for x in [&prices, &returns] {
            for w in [12, 20, 24, 72] {
                let (sd, z) = (rolling_std1(x, w), rolling_zscore(x, w));
                for t in w - 1..x.len() {
                    let win = &x[t + 1 - w..=t];
                    let alone = (rolling_std1(win, w)[w - 1], rolling_zscore(win, w)[w - 1]);
                    assert_eq!(alone.0.to_bits(), sd[t].to_bits(), "std w={w} t={t}");
                    assert_eq!(alone.1.to_bits(), z[t].to_bits(), "z w={w} t={t}");
                    assert_eq!(window_mean_std_of(win).1.to_bits(), sd[t].to_bits());
                }
            }
        }
    }

    #[test]
    fn unusable_values_make_only_the_windows_holding_them_nan() {
        let mut x = price_like(2 * BLOCK + 300);
        let bad = [(1100, f64::NAN), (2000, f64::INFINITY), (2100, -1e200)];
        for (i, v) in bad {
            x[i] = v;
        }
        let w = 24;
        let (m, sd, z) = (
            rolling_mean(&x, w),
            rolling_std1(&x, w),
            rolling_zscore(&x, w),
        );
        for t in w - 1..x.len() {
            let holds_bad = bad.iter().any(|&(i, _)| (t + 1 - w..=t).contains(&i));
            if holds_bad {
                assert!(m[t].is_nan() && sd[t].is_nan() && z[t].is_nan(), "t={t}");
            } else {
                let (rm, rsd) = two_pass_reference(&x[t + 1 - w..=t]);
                assert!((m[t] - rm).abs() <= 1e-14 * rm, "t={t}");
                assert!((sd[t] - rsd).abs() <= 1e-12 * rsd, "t={t}");
            }
        }
    }

    /// The AVX2 + FMA build and the portable build (where `mul_add` is a
    /// library call) must agree bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn fma_and_portable_builds_give_the_same_bits() {
        if !has_fma() {
            return;
        }
        let x = price_like(2 * BLOCK + 300);
        for what in [Rolling::Mean, Rolling::Std, Rolling::ZScore] {
            let (a, b) = (rolling(what, &x, 20), rolling_impl(what, &x, 20));
            assert!(
                a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{what:?}"
            );
        }
        let c = series_candles(1500);
        let x = c.log_close();
        let r1 = lagged_diff(&x, 1);
        let s = Series {
            high: &c.high,
            low: &c.low,
            close: &c.close,
            volume: &c.volume,
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let (mut fa, mut fb) = (Vec::new(), Vec::new());
        fill_features(s, &x, &r1, 72..1400, &mut a, Some(&mut fa));
        fill_features_impl(s, &x, &r1, 72..1400, &mut b, Some(&mut fb));
        assert_eq!(a.len(), (1400 - 72) * FEATURES.len());
        assert_eq!(fa.len(), 1400 - 72);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
        assert_eq!(bits(&fa), bits(&fb));
        for win in x[1..].windows(24).step_by(37) {
            let (a, b) = (window_mean_std_of(win), window_mean_std_of_impl(win));
            assert_eq!(
                (a.0.to_bits(), a.1.to_bits()),
                (b.0.to_bits(), b.1.to_bits())
            );
        }
    }

    fn series_candles(n: i64) -> Candles {
        let mut c = Candles::default();
        let mut p = 100.0f64;
        for i in 0..n {
            let o = p;
            p *= 1.0 + 0.01 * ((i * 7919 % 113) as f64 / 56.0 - 1.0);
            let (h, l) = (o.max(p) * 1.003, o.min(p) * 0.996);
            c.push(1_600_000_000_000 + i * 60_000, o, h, l, p, (i % 17) as f64);
        }
        c
    }

    #[test]
    fn constant_window_has_zero_std_and_zero_zscore() {
        let x = vec![0.1; 30];
        assert!(rolling_std1(&x, 20)[19..].iter().all(|&v| v == 0.0));
        assert!(rolling_zscore(&x, 20)[19..].iter().all(|&v| v == 0.0));
        assert!(rolling_mean(&x, 20)[18].is_nan());
    }

    #[test]
    fn rsi_is_50_on_flat_prices_and_100_on_rising_prices() {
        let flat = vec![5.0; 20];
        let r = wilder_rsi(&flat, 14);
        assert!(r[13].is_nan());
        assert_eq!(r[14], 50.0);
        let up: Vec<f64> = (0..20).map(|i| 1.0 + i as f64).collect();
        assert_eq!(wilder_rsi(&up, 14)[19], 100.0);
    }

    #[test]
    fn feature_matrix_columns_equal_the_public_building_blocks() {
        // Short series too: every window of some features starts before
        // bar 0 there.
        for n in [300, 1, 5, 30, 80] {
            feature_matrix_equals_building_blocks(&series_candles(n));
        }
        assert_eq!(feature_matrix(&Candles::default()).dim(), (0, 12));
    }

    fn feature_matrix_equals_building_blocks(c: &Candles) {
        let m = feature_matrix(c);
        let r1 = log_returns(&c.close);
        let x = c.log_close();
        let atr = wilder_atr(&c.high, &c.low, &c.close, 14);
        let mut want: Vec<Vec<f64>> = [1, 3, 6, 12, 24].map(|k| lagged_diff(&x, k)).to_vec();
        want.extend([12, 24, 72].map(|w| rolling_std1(&r1, w)));
        want.push(wilder_rsi(&c.close, 14));
        want.push(rolling_zscore(&c.close, 20));
        want.push(rolling_zscore(&c.volume, 20));
        want.push(atr.iter().zip(&c.close).map(|(a, cl)| a / cl).collect());
        for (j, col) in want.iter().enumerate() {
            for t in 0..c.len() {
                assert_eq!(
                    m[[t, j]].to_bits(),
                    col[t].to_bits(),
                    "{} at {t}",
                    FEATURES[j]
                );
            }
        }
    }

    #[test]
    fn t0_needs_enough_bars() {
        let mut c = Candles::default();
        for i in 0..97 {
            c.push(1_600_000_000_000 + i * 60_000, 1.0, 1.0, 1.0, 1.0, 1.0);
        }
        assert!(matches!(
            t0_features(&c),
            Err(MarketError::NotEnoughBars {
                needed: 98,
                got: 97
            })
        ));
    }
}
