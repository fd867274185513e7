//! The regime written on every trade ("regime at entry"). By default trades
//! are labelled by the volatility-tercile rule of
//! `shared/bench/SPEC.md`: trailing 24-bar realised volatility (sample std
//! of 1-bar log returns), cut at its 1/3 and 2/3 quantiles (numpy linear)
//! **fit on the training span only**, `<=` rule (0 = low, 1 = medium,
//! 2 = high). With the `regime` feature the regime agent labels them
//! instead (`crate::agents::RegimeAgentLabeler`, a [`RegimeLabeler`]).

use crate::error::{BacktestError, Result};
use crate::indicators::trailing_log_vol;
use crate::view::BarView;
use market::Candles;
use market::features::{log_returns, quantile_linear_sorted, rolling_std1, tercile_label};

/// Fits a per-symbol regime model on training candles.
pub trait RegimeLabeler: Send + Sync {
    /// Identifier (for reports).
    fn name(&self) -> &str;

    /// Bars of history [`FittedRegime::label`] needs (`t >= min_history()`);
    /// the simulator makes no decision before.
    fn min_history(&self) -> usize;

    /// Fit on the training candles of one symbol. Only `train` is given,
    /// so cut points cannot see the test period.
    fn fit(&self, train: &Candles) -> Result<Box<dyn FittedRegime>>;
}

/// A fitted regime model for one symbol.
pub trait FittedRegime: Send + Sync {
    /// The regime at the close of the view's current bar (0-based id).
    fn label(&self, view: &BarView<'_>) -> u8;
}

/// The SPEC volatility-tercile labeller (trailing `window`-bar realised
/// volatility, train-only tercile cut points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolTercileLabeler {
    window: usize,
}

impl VolTercileLabeler {
    /// Trailing window of `window >= 2` log returns.
    pub fn new(window: usize) -> Result<Self> {
        if window < 2 {
            return Err(BacktestError::invalid_param(
                "window",
                window,
                "must be at least 2 returns (a std needs two values)",
            ));
        }
        Ok(Self { window })
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Fit directly (returning the concrete cut points).
    pub fn fit_cuts(&self, train: &Candles) -> Result<VolTerciles> {
        let c = &train.close;
        // The full-series form of `trailing_log_vol` (same windows, same bits).
        let vols: Vec<f64> = rolling_std1(&log_returns(c), self.window)
            .into_iter()
            .filter(|v| v.is_finite())
            .collect();
        if vols.is_empty() {
            return Err(BacktestError::InvalidData(format!(
                "the regime training span has {} bars; the volatility-tercile labeller needs at least {}",
                c.len(),
                self.window + 1
            )));
        }
        VolTerciles::from_values(self.window, &vols)
    }
}

impl Default for VolTercileLabeler {
    /// The SPEC window: 24 bars.
    fn default() -> Self {
        Self { window: 24 }
    }
}

impl RegimeLabeler for VolTercileLabeler {
    fn name(&self) -> &str {
        "vol_tercile"
    }
    fn min_history(&self) -> usize {
        self.window
    }
    fn fit(&self, train: &Candles) -> Result<Box<dyn FittedRegime>> {
        Ok(Box::new(self.fit_cuts(train)?))
    }
}

/// Fitted volatility-tercile cut points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolTerciles {
    /// Trailing window of log returns.
    pub window: usize,
    /// 1/3 quantile (numpy linear) of the training volatilities.
    pub q1: f64,
    /// 2/3 quantile of the training volatilities.
    pub q2: f64,
}

impl VolTerciles {
    /// Cut points from training volatilities (any order, all finite).
    pub fn from_values(window: usize, values: &[f64]) -> Result<Self> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return Err(BacktestError::InvalidData(
                "tercile cut points need at least one finite training value".into(),
            ));
        }
        let mut s = values.to_vec();
        s.sort_unstable_by(f64::total_cmp);
        Ok(Self {
            window,
            q1: quantile_linear_sorted(&s, 1.0 / 3.0),
            q2: quantile_linear_sorted(&s, 2.0 / 3.0),
        })
    }

    /// Label a volatility value: 0 if `v <= q1`, 1 if `v <= q2`, else 2.
    pub fn label_value(&self, v: f64) -> u8 {
        tercile_label(v, self.q1, self.q2)
    }
}

impl FittedRegime for VolTerciles {
    fn label(&self, view: &BarView<'_>) -> u8 {
        // NaN (too little history) compares false everywhere and would read
        // as "high"; the simulator never asks before min_history, so the
        // fallback only guards hand-driven calls.
        let v = trailing_log_vol(view.close(), self.window);
        if v.is_nan() { 1 } else { self.label_value(v) }
    }
}
