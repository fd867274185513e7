//! A seeded, regime-switching synthetic market: realistic enough to test
//! agents end to end without data files, fully reproducible from the seed.
//!
//! The process, bar by bar (log price `x`):
//! - **Volatility regime**: a Markov chain over [`Regime::Low`],
//!   [`Regime::Medium`], [`Regime::High`] with per-bar volatility
//!   0.4% / 0.9% / 2% and mean durations of 400 / 300 / 150 bars. A switch
//!   goes to a neighbouring regime more often than across (low <-> high).
//! - **Drift**: stretches of 150-750 bars alternate between *trending*
//!   (a constant drift of 0.02%-0.08% per bar, random sign) and
//!   *mean-reverting* (Ornstein-Uhlenbeck pull of 1%-5% per bar towards a
//!   level that itself drifts slowly).
//! - **Shocks**: Gaussian, with a 2% chance per bar of a 3x shock (fat tails).
//! - **OHLC**: each bar is an 8-step intrabar path from the previous close;
//!   high/low are the path's extremes, pushed out a little to stand for the
//!   moves between the steps. So `low <= open, close <= high` always holds.
//! - **Volume**: grows with the regime's volatility and with the size of the
//!   bar's move, with log-normal noise.
//!
//! Prices are rounded to a fixed tick (about 7 significant digits at the
//! start price) and volumes to 4 decimals, like exchange data; rounding is
//! monotone, so it keeps the OHLC ordering.

use crate::candles::{Candles, MIN_TIMESTAMP_MS};
use crate::error::{MarketError, Result};
use agent_core::SplitMix64;
use std::fmt;

/// Volatility regime of the synthetic market.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Regime {
    Low,
    Medium,
    High,
}

impl Regime {
    /// All regimes, in index order.
    pub const ALL: [Regime; 3] = [Regime::Low, Regime::Medium, Regime::High];

    /// 0, 1, 2 for low, medium, high (the `y_regime` class coding).
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The regime with [`Regime::index`] `i`.
    pub fn from_index(i: u8) -> Option<Regime> {
        Regime::ALL.get(usize::from(i)).copied()
    }

    /// Per-bar standard deviation of log returns the generator uses.
    pub fn per_bar_vol(self) -> f64 {
        [0.004, 0.009, 0.02][self as usize]
    }

    /// Mean number of bars the generator stays in this regime.
    pub fn mean_duration_bars(self) -> f64 {
        [400.0, 300.0, 150.0][self as usize]
    }

    /// Lower-case name: `low`, `medium`, `high`.
    pub fn name(self) -> &'static str {
        ["low", "medium", "high"][self as usize]
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Configuration of the synthetic market (a builder; checked by
/// [`SyntheticMarket::validate`] and again by [`SyntheticMarket::generate`]).
///
/// Defaults: seed 42, 20,000 bars of 1h from 2023-01-01T00:00:00Z, start
/// price 30,000.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticMarket {
    seed: u64,
    bars: usize,
    interval_ms: i64,
    start_ts: i64,
    start_price: f64,
}

impl Default for SyntheticMarket {
    fn default() -> Self {
        Self {
            seed: 42,
            bars: 20_000,
            interval_ms: 3_600_000,
            start_ts: 1_672_531_200_000,
            start_price: 30_000.0,
        }
    }
}

/// Largest number of bars [`SyntheticMarket`] accepts (about 1 GB of candles).
pub const MAX_SYNTHETIC_BARS: usize = 20_000_000;

impl SyntheticMarket {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Seed of the random stream: the same seed gives identical candles.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Number of bars (1 ..= [`MAX_SYNTHETIC_BARS`]).
    pub fn bars(mut self, bars: usize) -> Self {
        self.bars = bars;
        self
    }

    /// Bar interval in milliseconds (> 0).
    pub fn interval_ms(mut self, interval_ms: i64) -> Self {
        self.interval_ms = interval_ms;
        self
    }

    /// Open time of the first bar, epoch milliseconds (>= 1e11, i.e. 1973).
    pub fn start_ts(mut self, start_ts: i64) -> Self {
        self.start_ts = start_ts;
        self
    }

    /// First open price (finite, in `[1e-6, 1e9]`).
    pub fn start_price(mut self, start_price: f64) -> Self {
        self.start_price = start_price;
        self
    }

    /// Check every field; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, value: String, why| Err(MarketError::InvalidParam { name, value, why });
        if self.bars == 0 || self.bars > MAX_SYNTHETIC_BARS {
            return bad(
                "bars",
                self.bars.to_string(),
                "must be between 1 and 20,000,000",
            );
        }
        if self.interval_ms <= 0 {
            return bad(
                "interval_ms",
                self.interval_ms.to_string(),
                "must be a positive number of milliseconds",
            );
        }
        if self.start_ts < MIN_TIMESTAMP_MS {
            return bad(
                "start_ts",
                self.start_ts.to_string(),
                "must be epoch milliseconds >= 100000000000 (values below look like seconds)",
            );
        }
        let span = i64::try_from(self.bars - 1)
            .ok()
            .and_then(|b| b.checked_mul(self.interval_ms))
            .and_then(|s| s.checked_add(self.start_ts));
        if span.is_none() {
            return bad(
                "interval_ms",
                self.interval_ms.to_string(),
                "times the number of bars overflows the timestamp range",
            );
        }
        if !(self.start_price.is_finite() && (1e-6..=1e9).contains(&self.start_price)) {
            return bad(
                "start_price",
                self.start_price.to_string(),
                "must be a finite price between 1e-6 and 1e9",
            );
        }
        Ok(())
    }

    /// Generate the candles and the regime of every bar.
    pub fn generate(&self) -> Result<SyntheticRun> {
        self.validate()?;
        Ok(Generator::new(self).run())
    }
}

/// Output of [`SyntheticMarket::generate`]: the candles and the true
/// volatility regime each bar was drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticRun {
    pub candles: Candles,
    pub regimes: Vec<Regime>,
}

/// Statistics of one regime in a [`SyntheticSummary`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RegimeStats {
    pub regime: Regime,
    /// Bars drawn in this regime.
    pub bars: usize,
    /// `bars` / total bars.
    pub share: f64,
    /// Sample std of the 1-bar log returns of the bars in this regime
    /// (the return into bar t counts for bar t's regime); `None` below 2.
    pub ret_std: Option<f64>,
}

/// What a synthetic run looks like, for logs and sanity checks.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SyntheticSummary {
    pub bars: usize,
    pub interval_ms: Option<i64>,
    pub start_ts: Option<i64>,
    pub end_ts: Option<i64>,
    /// First open.
    pub start_price: f64,
    /// Last close.
    pub end_price: f64,
    /// Low, medium, high, in that order.
    pub regimes: [RegimeStats; 3],
}

impl SyntheticRun {
    /// Bars, regime shares, realised volatility per regime, prices.
    pub fn summary(&self) -> SyntheticSummary {
        let c = &self.candles;
        let mut per: [Vec<f64>; 3] = Default::default();
        for t in 1..c.len().min(self.regimes.len()) {
            per[self.regimes[t] as usize].push(c.close[t].ln() - c.close[t - 1].ln());
        }
        let n = self.regimes.len();
        let regimes = Regime::ALL.map(|r| {
            let bars = self.regimes.iter().filter(|&&x| x == r).count();
            let v = &per[r as usize];
            let ret_std = (v.len() >= 2).then(|| {
                let m = v.iter().sum::<f64>() / v.len() as f64;
                (v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
            });
            RegimeStats {
                regime: r,
                bars,
                share: if n == 0 { 0.0 } else { bars as f64 / n as f64 },
                ret_std,
            }
        });
        SyntheticSummary {
            bars: c.len(),
            interval_ms: c.interval_ms(),
            start_ts: c.ts.first().copied(),
            end_ts: c.ts.last().copied(),
            start_price: c.open.first().copied().unwrap_or(f64::NAN),
            end_price: c.close.last().copied().unwrap_or(f64::NAN),
            regimes,
        }
    }
}

impl fmt::Display for SyntheticSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let every = self
            .interval_ms
            .map(|ms| format!(" of {}", crate::format_interval(ms)))
            .unwrap_or_default();
        write!(f, "synthetic market: {} bars{every}", self.bars)?;
        if let (Some(a), Some(b)) = (self.start_ts, self.end_ts) {
            write!(
                f,
                ", {} .. {}",
                crate::format_ts_utc(a),
                crate::format_ts_utc(b)
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "price: {} -> {} ({:+.1}%)",
            self.start_price,
            self.end_price,
            100.0 * (self.end_price / self.start_price - 1.0)
        )?;
        writeln!(
            f,
            "{:<8} {:>8} {:>7} {:>16}",
            "regime", "bars", "share", "ret std per bar"
        )?;
        for r in &self.regimes {
            let std = r
                .ret_std
                .map(|s| format!("{:.4}%", 100.0 * s))
                .unwrap_or_else(|| "-".into());
            writeln!(
                f,
                "{:<8} {:>8} {:>6.1}% {:>16}",
                r.regime,
                r.bars,
                100.0 * r.share,
                std
            )?;
        }
        Ok(())
    }
}

/// Intrabar steps per bar.
const STEPS: usize = 8;

struct Generator {
    cfg: SyntheticMarket,
    rng: SplitMix64,
    /// Price tick as `1 / inv_tick` (or `tick_mult` when >= 1), so rounding
    /// divides by an exact integer and prints as short decimals.
    inv_tick: f64,
    tick_mult: f64,
}

#[derive(Clone, Copy)]
enum Mode {
    Trend {
        drift: f64,
    },
    Revert {
        kappa: f64,
        level: f64,
        level_drift: f64,
    },
}

impl Generator {
    fn new(cfg: &SyntheticMarket) -> Self {
        // About 7 significant digits at the start price.
        let k = 6 - cfg.start_price.log10().floor() as i32;
        let (inv_tick, tick_mult) = if k >= 0 {
            (10f64.powi(k.min(15)), 1.0)
        } else {
            (1.0, 10f64.powi(-k))
        };
        Self {
            cfg: cfg.clone(),
            rng: SplitMix64::new(cfg.seed),
            inv_tick,
            tick_mult,
        }
    }

    fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.rng.next_f64()
    }

    fn round_price(&self, p: f64) -> f64 {
        let r = if self.tick_mult > 1.0 {
            (p / self.tick_mult).round() * self.tick_mult
        } else {
            (p * self.inv_tick).round() / self.inv_tick
        };
        // Never round a price to zero; max with a constant keeps monotonicity.
        r.max(self.tick_mult / self.inv_tick)
    }

    fn next_regime(&mut self, r: Regime) -> Regime {
        if self.rng.next_f64() >= 1.0 / r.mean_duration_bars() {
            return r;
        }
        let u = self.rng.next_f64();
        match r {
            Regime::Low if u < 0.75 => Regime::Medium,
            Regime::Low => Regime::High,
            Regime::Medium if u < 0.5 => Regime::Low,
            Regime::Medium => Regime::High,
            Regime::High if u < 0.75 => Regime::Medium,
            Regime::High => Regime::Low,
        }
    }

    fn new_mode(&mut self, trend: bool, x: f64) -> (Mode, usize) {
        let len = 150 + self.rng.next_below(601) as usize;
        let mode = if trend {
            let sign = if self.rng.next_f64() < 0.5 { -1.0 } else { 1.0 };
            Mode::Trend {
                drift: sign * self.uniform(0.0002, 0.0008),
            }
        } else {
            Mode::Revert {
                kappa: self.uniform(0.01, 0.05),
                level: x,
                level_drift: self.uniform(-0.0002, 0.0002),
            }
        };
        (mode, len)
    }

    fn run(mut self) -> SyntheticRun {
        let n = self.cfg.bars;
        let mut c = Candles::with_capacity(n);
        let mut regimes = Vec::with_capacity(n);
        let mut regime = Regime::ALL[self.rng.next_below(3) as usize];
        let mut trend = self.rng.next_f64() < 0.5;
        let mut x = self.round_price(self.cfg.start_price).ln();
        let (mut mode, mut left) = self.new_mode(trend, x);
        let sub = (STEPS as f64).sqrt();
        let mut ts = self.cfg.start_ts;
        for t in 0..n {
            if t > 0 {
                regime = self.next_regime(regime);
                ts += self.cfg.interval_ms;
            }
            if left == 0 {
                trend = !trend;
                (mode, left) = self.new_mode(trend, x);
            }
            left -= 1;
            let sigma = regime.per_bar_vol();
            let drift = match &mut mode {
                Mode::Trend { drift } => *drift,
                Mode::Revert {
                    kappa,
                    level,
                    level_drift,
                } => {
                    *level += *level_drift;
                    *kappa * (*level - x)
                }
            };
            let scale = if self.rng.next_f64() < 0.02 { 3.0 } else { 1.0 };
            let open = x;
            let (mut hi, mut lo) = (x, x);
            for _ in 0..STEPS {
                x += drift / STEPS as f64 + scale * sigma / sub * self.rng.next_normal();
                hi = hi.max(x);
                lo = lo.min(x);
            }
            // The true path also moves between the sampled steps.
            hi += 0.5 * sigma / sub * self.rng.next_normal().abs();
            lo -= 0.5 * sigma / sub * self.rng.next_normal().abs();
            let o = self.round_price(open.exp());
            let cl = self.round_price(x.exp());
            let h = self.round_price(hi.exp());
            let l = self.round_price(lo.exp());
            // Continue from the rounded close, so the next open equals it.
            x = cl.ln();
            let move_size = ((x - open) / sigma).abs();
            let vol = 1000.0
                * (sigma / Regime::Medium.per_bar_vol()).powf(1.2)
                * (0.5 * move_size - 0.4 + 0.3 * self.rng.next_normal()).exp();
            let vol = (vol * 1e4).round() / 1e4;
            c.push(ts, o, h, l, cl, vol);
            regimes.push(regime);
        }
        SyntheticRun {
            candles: c,
            regimes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_fields_are_named_in_the_error() {
        for (m, field) in [
            (SyntheticMarket::new().bars(0), "bars"),
            (SyntheticMarket::new().interval_ms(0), "interval_ms"),
            (SyntheticMarket::new().start_ts(1_672_531_200), "start_ts"),
            (SyntheticMarket::new().start_price(f64::NAN), "start_price"),
            (SyntheticMarket::new().start_price(-1.0), "start_price"),
            (
                SyntheticMarket::new().interval_ms(i64::MAX / 2),
                "interval_ms",
            ),
        ] {
            let e = m.generate().unwrap_err().to_string();
            assert!(e.contains(&format!("`{field}`")), "{e}");
        }
    }

    #[test]
    fn regime_index_display_and_serde_names_agree() {
        for (i, r) in Regime::ALL.iter().enumerate() {
            assert_eq!(usize::from(r.index()), i);
            assert_eq!(Regime::from_index(r.index()), Some(*r));
        }
        assert_eq!(Regime::Medium.to_string(), "medium");
        assert_eq!(format!("{:>6}", Regime::Low), "   low");
        assert_eq!(Regime::from_index(3), None);
    }

    #[test]
    fn price_rounding_is_monotone_and_positive() {
        let g = Generator::new(&SyntheticMarket::new().start_price(30_000.0));
        assert_eq!(g.round_price(30_000.123_456), 30_000.12);
        assert!(g.round_price(1e-9) > 0.0);
        let g = Generator::new(&SyntheticMarket::new().start_price(5e8));
        assert_eq!(g.round_price(512_345_678.9), 512_345_700.0);
    }
}
