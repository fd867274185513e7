//! Hurst exponent of a level series (e.g. log prices), by two methods. The
//! result names the method, because the two estimators differ in bias and
//! are not interchangeable thresholds.
//!
//! * [`HurstMethod::LaggedDifferences`] (SPEC T7, the original suite's
//!   fallback): `tau_k = std0(x[k:] - x[:-k])` for `k = min_lag..=max_lag`,
//!   `H` = OLS slope of `ln tau_k` on `ln k`. A random walk gives 0.5,
//!   mean reversion less, trending more.
//! * [`HurstMethod::RescaledRange`]: classic (Hurst/Mandelbrot) R/S on the
//!   increments `d = diff(x)`, without the Anis-Lloyd small-sample
//!   correction. Chunk sizes double from `min_chunk` up to `max_chunk`
//!   (default: half the increments). For each size `s` the increments are
//!   cut into `floor(len/s)` consecutive chunks from the start (a remainder
//!   at the end is dropped); per chunk, `R` = range of the cumulative sum of
//!   mean-adjusted increments and `S` = their population standard deviation;
//!   chunks with `S = 0` are skipped. `H` = OLS slope of `ln mean(R/S)` on
//!   `ln s`. Expect values somewhat above 0.5 for short random walks (the
//!   known small-sample bias of uncorrected R/S).

use crate::error::{OuMeanError, Result, check_finite};
use crate::linalg::{mean_var0, simple_ols};
use serde::{Deserialize, Serialize};

/// Which Hurst estimator to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum HurstMethod {
    /// Standard deviation of lagged differences (SPEC T7: lags 2..=20).
    LaggedDifferences { min_lag: usize, max_lag: usize },
    /// Classic rescaled range on the increments.
    RescaledRange {
        min_chunk: usize,
        /// `None`: half the number of increments.
        max_chunk: Option<usize>,
    },
}

impl Default for HurstMethod {
    /// Lagged differences over lags 2..=20 (SPEC T7).
    fn default() -> Self {
        HurstMethod::LaggedDifferences {
            min_lag: 2,
            max_lag: 20,
        }
    }
}

impl HurstMethod {
    /// Classic R/S with chunks from 8 values up to half the increments.
    pub fn rescaled_range() -> Self {
        HurstMethod::RescaledRange {
            min_chunk: 8,
            max_chunk: None,
        }
    }

    /// The method's name as results report it.
    pub fn name(&self) -> &'static str {
        match self {
            HurstMethod::LaggedDifferences { .. } => "lagged_differences",
            HurstMethod::RescaledRange { .. } => "rescaled_range",
        }
    }

    /// Check the lag/chunk settings on their own (not against a length).
    pub fn validate(&self) -> Result<()> {
        match *self {
            HurstMethod::LaggedDifferences { min_lag, max_lag } => {
                if min_lag < 1 {
                    return Err(OuMeanError::param(
                        "hurst.min_lag",
                        min_lag,
                        "must be at least 1",
                    ));
                }
                if max_lag <= min_lag {
                    return Err(OuMeanError::param(
                        "hurst.max_lag",
                        max_lag,
                        format!("must exceed min_lag = {min_lag} (a slope needs two lags)"),
                    ));
                }
            }
            HurstMethod::RescaledRange {
                min_chunk,
                max_chunk,
            } => {
                if min_chunk < 2 {
                    return Err(OuMeanError::param(
                        "hurst.min_chunk",
                        min_chunk,
                        "must be at least 2",
                    ));
                }
                if let Some(mc) = max_chunk
                    && mc < 2 * min_chunk
                {
                    return Err(OuMeanError::param(
                        "hurst.max_chunk",
                        mc,
                        format!(
                            "must be at least 2 * min_chunk = {} (a slope needs two sizes)",
                            2 * min_chunk
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Values needed for this method.
    pub fn min_len(&self) -> usize {
        match *self {
            HurstMethod::LaggedDifferences { max_lag, .. } => max_lag + 2,
            HurstMethod::RescaledRange {
                min_chunk,
                max_chunk,
            } => {
                // Increments must hold two chunk sizes: 2 * min_chunk, or max_chunk.
                max_chunk.unwrap_or(0).max(4 * min_chunk) + 1
            }
        }
    }
}

/// A Hurst estimate with the regression behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HurstResult {
    /// The exponent (slope of the log-log regression).
    pub h: f64,
    /// Intercept of the log-log regression.
    pub intercept: f64,
    /// Number of (lag or chunk size) points in the regression.
    pub n_points: usize,
    pub method: HurstMethod,
}

/// Hurst exponent of the level series `x`.
pub fn hurst(x: &[f64], method: &HurstMethod) -> Result<HurstResult> {
    method.validate()?;
    check_finite("the Hurst input series", x)?;
    if x.len() < method.min_len() {
        return Err(OuMeanError::TooShort {
            what: match method {
                HurstMethod::LaggedDifferences { .. } => "the lagged-differences Hurst exponent",
                HurstMethod::RescaledRange { .. } => "the rescaled-range Hurst exponent",
            },
            needed: method.min_len(),
            got: x.len(),
        });
    }
    let (lx, ly) = match *method {
        HurstMethod::LaggedDifferences { min_lag, max_lag } => {
            lagged_differences(x, min_lag, max_lag)?
        }
        HurstMethod::RescaledRange {
            min_chunk,
            max_chunk,
        } => rescaled_range(x, min_chunk, max_chunk)?,
    };
    let (h, intercept) = simple_ols(&lx, &ly);
    Ok(HurstResult {
        h,
        intercept,
        n_points: lx.len(),
        method: *method,
    })
}

fn lagged_differences(x: &[f64], min_lag: usize, max_lag: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut lx = Vec::with_capacity(max_lag - min_lag + 1);
    let mut ly = Vec::with_capacity(max_lag - min_lag + 1);
    let mut d = Vec::with_capacity(x.len());
    for k in min_lag..=max_lag {
        d.clear();
        d.extend(x[k..].iter().zip(x).map(|(a, b)| a - b));
        let (_, var) = mean_var0(&d);
        if var.is_nan() || var <= 0.0 {
            return Err(OuMeanError::InvalidData(format!(
                "lag-{k} differences of the series have zero spread; the Hurst exponent is undefined"
            )));
        }
        lx.push((k as f64).ln());
        ly.push(0.5 * var.ln());
    }
    Ok((lx, ly))
}

fn rescaled_range(
    x: &[f64],
    min_chunk: usize,
    max_chunk: Option<usize>,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let d: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let max_chunk = max_chunk.unwrap_or(d.len() / 2).min(d.len());
    let (mut lx, mut ly) = (Vec::new(), Vec::new());
    let mut s = min_chunk;
    while s <= max_chunk {
        let mut sum_rs = 0.0;
        let mut count = 0usize;
        for chunk in d.chunks_exact(s) {
            let (mean, var) = mean_var0(chunk);
            if var.is_nan() || var <= 0.0 {
                continue;
            }
            let (mut y, mut lo, mut hi) = (0.0f64, 0.0f64, 0.0f64);
            for v in chunk {
                y += v - mean;
                lo = lo.min(y);
                hi = hi.max(y);
            }
            sum_rs += (hi - lo) / var.sqrt();
            count += 1;
        }
        if count > 0 {
            lx.push((s as f64).ln());
            ly.push((sum_rs / count as f64).ln());
        }
        s *= 2;
    }
    if lx.len() < 2 {
        return Err(OuMeanError::InvalidData(format!(
            "rescaled range: only {} chunk size(s) with non-zero spread between {min_chunk} and {max_chunk}; need 2",
            lx.len()
        )));
    }
    Ok((lx, ly))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent_core::SplitMix64;

    fn random_walk(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SplitMix64::new(seed);
        let mut x = vec![0.0];
        for _ in 1..n {
            let v = x.last().copied().unwrap_or(0.0) + rng.next_normal();
            x.push(v);
        }
        x
    }

    #[test]
    fn random_walk_has_hurst_near_one_half_by_both_methods() {
        let x = random_walk(20_000, 3);
        let lag = hurst(&x, &HurstMethod::default()).unwrap();
        assert!((lag.h - 0.5).abs() < 0.05, "{lag:?}");
        assert_eq!(lag.n_points, 19);
        let rs = hurst(&x, &HurstMethod::rescaled_range()).unwrap();
        assert!((rs.h - 0.5).abs() < 0.1, "{rs:?}");
        assert_eq!(rs.method.name(), "rescaled_range");
    }

    #[test]
    fn too_short_series_and_bad_lags_are_errors() {
        assert!(matches!(
            hurst(&[1.0; 10], &HurstMethod::default()),
            Err(OuMeanError::TooShort { needed: 22, .. })
        ));
        let bad = HurstMethod::LaggedDifferences {
            min_lag: 5,
            max_lag: 5,
        };
        assert!(
            hurst(&random_walk(100, 1), &bad)
                .unwrap_err()
                .to_string()
                .contains("max_lag")
        );
        assert!(hurst(&vec![1.0; 100], &HurstMethod::default()).is_err());
    }
}
