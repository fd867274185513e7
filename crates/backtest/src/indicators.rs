//! Indicator state that strategies update bar by bar. Each one processes
//! every bar exactly once, in order, and reproduces the full-series
//! building blocks of `market::features` to the last bit (same operations
//! in the same order), so a strategy's decisions equal those computed from
//! the SPEC's vectorised definitions.

use market::features::{rolling_mean, rolling_std1, rolling_zscore};

/// Wilder RSI, updated one close at a time: seeded with the plain mean of
/// the first `period` gains/losses, then `avg = ((p-1) avg + new) / p`.
/// Bit-identical to `market::features::wilder_rsi`.
#[derive(Debug, Clone)]
pub struct WilderRsi {
    period: usize,
    seen: usize,
    prev_close: f64,
    ag: f64,
    al: f64,
    value: f64,
}

impl WilderRsi {
    /// RSI over `period` bars (`period >= 1`).
    pub fn new(period: usize) -> Self {
        Self {
            period,
            seen: 0,
            prev_close: f64::NAN,
            ag: 0.0,
            al: 0.0,
            value: f64::NAN,
        }
    }

    /// Feed every close of `closes` not seen yet (`closes` grows by at least
    /// one bar per call and always starts at bar 0); returns the RSI of the
    /// last close, NaN during the first `period` bars.
    pub fn update(&mut self, closes: &[f64]) -> f64 {
        let p = self.period as f64;
        while self.seen < closes.len() {
            let t = self.seen;
            let c = closes[t];
            if t >= 1 {
                let d = c - self.prev_close;
                if t <= self.period {
                    self.ag += d.max(0.0);
                    self.al += (-d).max(0.0);
                    if t == self.period {
                        self.ag /= p;
                        self.al /= p;
                        self.value = rsi(self.ag, self.al);
                    }
                } else {
                    self.ag = ((p - 1.0) * self.ag + d.max(0.0)) / p;
                    self.al = ((p - 1.0) * self.al + (-d).max(0.0)) / p;
                    self.value = rsi(self.ag, self.al);
                }
            }
            self.prev_close = c;
            self.seen += 1;
        }
        self.value
    }

    /// The RSI after the last update.
    pub fn value(&self) -> f64 {
        self.value
    }
}

fn rsi(ag: f64, al: f64) -> f64 {
    let s = ag + al;
    if s == 0.0 { 50.0 } else { 100.0 * ag / s }
}

/// Exponential moving average with `alpha = 2 / (span + 1)`, started at the
/// first value (pandas `ewm(span, adjust=False)`); NaN until `span` values
/// have been seen, like `min_periods=span`.
#[derive(Debug, Clone)]
pub struct Ema {
    span: usize,
    alpha: f64,
    seen: usize,
    value: f64,
}

impl Ema {
    /// EMA with the given span (`span >= 1`).
    pub fn new(span: usize) -> Self {
        Self {
            span,
            alpha: 2.0 / (span as f64 + 1.0),
            seen: 0,
            value: f64::NAN,
        }
    }

    /// Feed the values of `xs` not seen yet (growing prefix of one series);
    /// returns the EMA of the last value, NaN before `span` values.
    pub fn update(&mut self, xs: &[f64]) -> f64 {
        while self.seen < xs.len() {
            let x = xs[self.seen];
            self.value = if self.seen == 0 {
                x
            } else {
                self.alpha * x + (1.0 - self.alpha) * self.value
            };
            self.seen += 1;
        }
        if self.seen >= self.span {
            self.value
        } else {
            f64::NAN
        }
    }
}

/// Mean of the last `w` values of `xs` (NaN if fewer), summed exactly like
/// `market::features::rolling_mean`.
pub fn trailing_mean(xs: &[f64], w: usize) -> f64 {
    if w == 0 || xs.len() < w {
        return f64::NAN;
    }
    last(rolling_mean(&xs[xs.len() - w..], w))
}

/// `(x_last - mean) / std1` over the last `w` values (0 when the std is 0,
/// NaN if fewer than `w >= 2` values), exactly `market`'s `rolling_zscore`.
pub fn trailing_zscore(xs: &[f64], w: usize) -> f64 {
    if w < 2 || xs.len() < w {
        return f64::NAN;
    }
    last(rolling_zscore(&xs[xs.len() - w..], w))
}

/// Sample std (n-1) of the last `w` one-bar log returns of `closes` (needs
/// `w + 1` closes, else NaN): the SPEC's `vol_w` at the last bar.
pub fn trailing_log_vol(closes: &[f64], w: usize) -> f64 {
    if w < 2 || closes.len() < w + 1 {
        return f64::NAN;
    }
    let tail = &closes[closes.len() - w - 1..];
    // x[t] - x[t-1] with x = ln c, as market::features::log_returns does.
    let r: Vec<f64> = tail.windows(2).map(|p| p[1].ln() - p[0].ln()).collect();
    last(rolling_std1(&r, w))
}

fn last(v: Vec<f64>) -> f64 {
    v.last().copied().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use market::features::{log_returns, wilder_rsi};

    fn series(n: usize) -> Vec<f64> {
        let mut rng = agent_core::SplitMix64::new(3);
        let mut c = vec![100.0];
        for _ in 1..n {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            c.push(c[c.len() - 1] * (1.0 + (u - 0.5) * 0.02));
        }
        c
    }

    #[test]
    fn incremental_rsi_is_bit_identical_to_the_full_series_rsi() {
        let c = series(300);
        let full = wilder_rsi(&c, 14);
        let mut inc = WilderRsi::new(14);
        for t in 0..c.len() {
            let v = inc.update(&c[..=t]);
            assert!(
                v.to_bits() == full[t].to_bits() || (v.is_nan() && full[t].is_nan()),
                "bar {t}: {v} vs {}",
                full[t]
            );
        }
    }

    #[test]
    fn trailing_windows_equal_the_rolling_building_blocks() {
        let c = series(120);
        let z = rolling_zscore(&c, 20);
        let m = rolling_mean(&c, 50);
        let v = rolling_std1(&log_returns(&c), 24);
        for t in 60..c.len() {
            assert_eq!(trailing_zscore(&c[..=t], 20).to_bits(), z[t].to_bits());
            assert_eq!(trailing_mean(&c[..=t], 50).to_bits(), m[t].to_bits());
            assert_eq!(trailing_log_vol(&c[..=t], 24).to_bits(), v[t].to_bits());
        }
        assert!(trailing_mean(&c[..10], 50).is_nan());
    }

    #[test]
    fn ema_matches_the_pandas_adjust_false_recursion() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        let mut e = Ema::new(3);
        assert!(e.update(&xs[..2]).is_nan());
        let v = e.update(&xs);
        // alpha = 0.5: 1 -> 1.5 -> 2.25 -> 3.125
        assert_eq!(v, 3.125);
    }
}
