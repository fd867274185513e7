//! Paired comparison of two models (or strategies) scored on the same rows:
//! the per-row differences `a[i] - b[i]`, a moving-block bootstrap
//! confidence interval of their mean, and an exact two-sided sign test.
//!
//! Per-window trading returns are noisy and serially correlated, so a
//! difference of two means says little on its own. Pairing removes what
//! both models share (the market of that window); resampling blocks of
//! consecutive rows rather than single rows keeps short-range dependence in
//! the interval. Resampling is seeded, so a comparison is reproducible.

use crate::error::{CoreError, Result};
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};

/// The result of [`paired_comparison`] (`a` against `b`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    /// Number of paired rows.
    pub n: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// `mean(a - b)`.
    pub mean_diff: f64,
    /// Bootstrap interval of `mean(a - b)` at `level`.
    pub ci_low: f64,
    pub ci_high: f64,
    pub level: f64,
    pub resamples: usize,
    /// Rows per resampled block (1: rows resampled independently).
    pub block: usize,
    /// Rows where `a > b`, `a < b` and `a == b`.
    pub wins: usize,
    pub losses: usize,
    pub ties: usize,
    /// Exact two-sided sign test over the rows that differ.
    pub sign_test_p: f64,
}

impl PairedComparison {
    /// Whether `a` is better than `b` at the interval's level: the whole
    /// interval of the mean difference lies above zero.
    pub fn a_significantly_better(&self) -> bool {
        self.ci_low > 0.0
    }
}

/// The block length used when none is given: `ceil(n^(1/3))`, the usual
/// order for a moving-block bootstrap of a mean.
pub fn default_block(n: usize) -> usize {
    ((n as f64).cbrt().ceil() as usize).max(1)
}

/// Compare `a` with `b` row by row. `level` in (0, 1) (e.g. 0.95),
/// `resamples` >= 100, `block` >= 1 (rows per circular block; see
/// [`default_block`]). Errors on unequal or empty inputs and non-finite
/// values.
pub fn paired_comparison(
    a: &[f64],
    b: &[f64],
    level: f64,
    resamples: usize,
    block: usize,
    seed: u64,
) -> Result<PairedComparison> {
    if a.len() != b.len() {
        return Err(CoreError::Shape {
            what: "paired comparison (both sides score the same rows)",
            expected: format!("{} rows", a.len()),
            got: format!("{} rows", b.len()),
        });
    }
    let n = a.len();
    if n == 0 {
        return Err(CoreError::InvalidData("no rows to compare".into()));
    }
    if let Some(i) = a.iter().chain(b).position(|v| !v.is_finite()) {
        return Err(CoreError::InvalidData(format!(
            "row {} of the paired comparison is not finite",
            i % n
        )));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(CoreError::invalid_param(
            "level",
            level,
            "must be in (0, 1)",
        ));
    }
    if resamples < 100 {
        return Err(CoreError::invalid_param(
            "resamples",
            resamples,
            "must be at least 100",
        ));
    }
    if block == 0 {
        return Err(CoreError::invalid_param(
            "block",
            block,
            "must be at least 1",
        ));
    }
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let block = block.min(n);
    let blocks_per_sample = n.div_ceil(block);
    let mut rng = SplitMix64::new(seed);
    let mut means = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mut sum = 0.0;
        let mut taken = 0;
        for _ in 0..blocks_per_sample {
            let start = rng.next_below(n as u64) as usize;
            for j in 0..block {
                if taken == n {
                    break;
                }
                sum += diff[(start + j) % n];
                taken += 1;
            }
        }
        means.push(sum / n as f64);
    }
    means.sort_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    let at = |q: f64| {
        let i = ((q * resamples as f64).floor() as usize).min(resamples - 1);
        means[i]
    };
    let wins = diff.iter().filter(|d| **d > 0.0).count();
    let losses = diff.iter().filter(|d| **d < 0.0).count();
    Ok(PairedComparison {
        n,
        mean_a: mean(a),
        mean_b: mean(b),
        mean_diff: mean(&diff),
        ci_low: at(alpha),
        ci_high: at(1.0 - alpha),
        level,
        resamples,
        block,
        wins,
        losses,
        ties: n - wins - losses,
        sign_test_p: sign_test_p(wins, losses),
    })
}

/// Exact two-sided binomial sign test: the probability, with fair coins,
/// of a split at least as uneven as `wins : losses`.
pub fn sign_test_p(wins: usize, losses: usize) -> f64 {
    let m = wins + losses;
    if m == 0 {
        return 1.0;
    }
    let k = wins.min(losses);
    // ln P(X = i) = ln C(m, i) - m ln 2, summed in log space so large m
    // neither underflows nor overflows.
    let ln2m = m as f64 * std::f64::consts::LN_2;
    let mut ln_c = 0.0;
    let mut terms = Vec::with_capacity(k + 1);
    for i in 0..=k {
        if i > 0 {
            ln_c += ((m - i + 1) as f64).ln() - (i as f64).ln();
        }
        terms.push(ln_c - ln2m);
    }
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tail = top.exp() * terms.iter().map(|t| (t - top).exp()).sum::<f64>();
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_test_matches_the_binomial_tail() {
        // 9 wins of 10: 2 * (C(10,0) + C(10,1)) / 1024 = 22 / 1024.
        assert!((sign_test_p(9, 1) - 22.0 / 1024.0).abs() < 1e-12);
        assert_eq!(sign_test_p(5, 5), 1.0);
        assert_eq!(sign_test_p(0, 0), 1.0);
        // Large m neither underflows to 0 nor exceeds 1.
        let p = sign_test_p(5200, 4800);
        assert!(p > 0.0 && p < 1e-3, "{p}");
        assert!(sign_test_p(3000, 3000) <= 1.0);
    }

    #[test]
    fn a_constant_improvement_is_significant_and_noise_is_not() {
        let b: Vec<f64> = (0..200)
            .map(|i| ((i * 37 % 17) as f64 - 8.0) * 0.01)
            .collect();
        let a: Vec<f64> = b.iter().map(|x| x + 0.002).collect();
        let c = paired_comparison(&a, &b, 0.95, 1000, default_block(200), 7).unwrap();
        assert!((c.mean_diff - 0.002).abs() < 1e-12);
        assert!(c.a_significantly_better(), "{c:?}");
        assert_eq!(c.wins, 200);

        // a = b shuffled: the same distribution, no real difference.
        let mut shuffled = b.clone();
        SplitMix64::new(3).shuffle(&mut shuffled);
        let c = paired_comparison(&shuffled, &b, 0.95, 1000, default_block(200), 7).unwrap();
        assert!(c.ci_low <= 0.0 && c.ci_high >= 0.0, "{c:?}");
        assert!(!c.a_significantly_better());
    }

    #[test]
    fn a_comparison_is_reproducible_and_checks_its_inputs() {
        let a = [0.1, -0.2, 0.3, 0.05];
        let b = [0.0, -0.1, 0.1, 0.0];
        let x = paired_comparison(&a, &b, 0.9, 200, 2, 11).unwrap();
        let y = paired_comparison(&a, &b, 0.9, 200, 2, 11).unwrap();
        assert_eq!(x, y);
        assert!(paired_comparison(&a, &b[..3], 0.9, 200, 2, 11).is_err());
        assert!(paired_comparison(&[], &[], 0.9, 200, 2, 11).is_err());
        assert!(paired_comparison(&[f64::NAN], &[0.0], 0.9, 200, 1, 11).is_err());
        assert!(paired_comparison(&a, &b, 1.0, 200, 2, 11).is_err());
        assert!(paired_comparison(&a, &b, 0.9, 10, 2, 11).is_err());
        assert!(paired_comparison(&a, &b, 0.9, 200, 0, 11).is_err());
    }
}
