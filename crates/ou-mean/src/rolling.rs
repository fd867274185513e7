//! Rolling evaluation over a price series, without look-ahead: the fit used
//! at bar `t` only saw prices up to `t`.
//!
//! * [`rolling_fits`] fits the window ending at every refit bar (`window - 1`,
//!   then every `refit_every` bars), in parallel; O(window) work per fit.
//! * [`signals`] turns fits plus thresholds into per-bar scores and
//!   suggestions (hysteresis carried bar to bar). Fits do not depend on the
//!   thresholds, so a threshold search reuses them.
//! * [`RollingScorer`] is the streaming form for live use and backtests: push
//!   one price per bar, get the same signal the batch path gives.
//! * [`evaluate`] computes the strategy's bar returns and summary metrics;
//!   [`tune_thresholds`] picks the gate and z thresholds by forward-chaining
//!   cross-validation on the training bars only; [`train`] does the whole
//!   chronological train/test protocol and returns a model whose metrics are
//!   out of sample.

use crate::error::{OuMeanError, Result};
use crate::hyperparams::MeanReversionValidParams;
use crate::model::{
    FitSummary, Gate, MeanReversionModel, Suggestion, Thresholds, analyze_window, fingerprint,
    in_pool, log_prices, score_log_price,
};
use agent_core::{Direction, GridResult, GridSearch, TimeSeriesSplit};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;

/// Window fits at the refit bars of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct RollingFits {
    pub window: usize,
    pub refit_every: usize,
    /// Bar index of each fit's last value.
    pub bars: Vec<usize>,
    /// One per refit bar; `None` where the window could not be fitted (e.g.
    /// constant prices during a halt): the scorer stays flat there.
    pub fits: Vec<Option<FitSummary>>,
    /// `(bar, reason)` of every window that failed.
    pub failures: Vec<(usize, String)>,
}

impl RollingFits {
    /// The fit in force at `bar`, if any.
    pub fn at(&self, bar: usize) -> Option<(&FitSummary, usize)> {
        if bar + 1 < self.window {
            return None;
        }
        let k = (bar + 1 - self.window) / self.refit_every;
        let fit = self.fits.get(k)?.as_ref()?;
        Some((fit, self.bars[k]))
    }
}

/// Fit every window of `log_prices` ending at a refit bar, on `n_threads`
/// threads (0 = rayon's default pool).
pub fn rolling_fits(
    params: &MeanReversionValidParams,
    log_prices: &[f64],
    n_threads: usize,
) -> Result<RollingFits> {
    params.validate()?;
    crate::error::check_finite("the log-price series", log_prices)?;
    let w = params.window;
    if log_prices.len() < w {
        return Err(OuMeanError::TooShort {
            what: "rolling fits",
            needed: w,
            got: log_prices.len(),
        });
    }
    let bars: Vec<usize> = (w - 1..log_prices.len())
        .step_by(params.refit_every)
        .collect();
    let results: Vec<Result<FitSummary>> = in_pool(n_threads, || {
        bars.par_iter()
            .map(|&t| {
                let x = &log_prices[t + 1 - w..=t];
                analyze_window(x, &params.ou, &params.adf, &params.hurst)
                    .map(|f| FitSummary::from_fit(&f, x[w - 1]))
            })
            .collect()
    })?;
    let mut fits = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for (r, &t) in results.into_iter().zip(&bars) {
        match r {
            Ok(f) => fits.push(Some(f)),
            Err(e) => {
                failures.push((t, e.to_string()));
                fits.push(None);
            }
        }
    }
    Ok(RollingFits {
        window: w,
        refit_every: params.refit_every,
        bars,
        fits,
        failures,
    })
}

/// The scorer's output at one bar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub bar: usize,
    /// NaN before the first fit or where the window failed.
    pub z: f64,
    pub score: f64,
    /// The position to hold after this bar's close.
    pub suggestion: Suggestion,
    pub gate: Gate,
    /// Last bar of the window whose fit scored this bar.
    pub fit_bar: Option<usize>,
}

impl Signal {
    fn flat(bar: usize) -> Self {
        Signal {
            bar,
            z: f64::NAN,
            score: 0.0,
            suggestion: Suggestion::Flat,
            gate: Gate::default(),
            fit_bar: None,
        }
    }
}

/// Per-bar signals (one per value of `log_prices`) from precomputed fits.
pub fn signals(fits: &RollingFits, log_prices: &[f64], t: &Thresholds) -> Vec<Signal> {
    let mut held = Suggestion::Flat;
    log_prices
        .iter()
        .enumerate()
        .map(|(bar, &lp)| match fits.at(bar) {
            None => {
                held = Suggestion::Flat;
                Signal::flat(bar)
            }
            Some((fit, fit_bar)) => {
                let s = score_log_price(fit, lp, held, t);
                held = s.suggestion;
                Signal {
                    bar,
                    z: s.z,
                    score: s.score,
                    suggestion: s.suggestion,
                    gate: s.gate,
                    fit_bar: Some(fit_bar),
                }
            }
        })
        .collect()
}

impl MeanReversionValidParams {
    /// Per-bar signals for a price series (prices, not logs), refitting every
    /// `refit_every` bars on `n_threads` threads.
    pub fn rolling(&self, prices: &[f64], n_threads: usize) -> Result<Vec<Signal>> {
        let x = log_prices(prices)?;
        let fits = rolling_fits(self, &x, n_threads)?;
        Ok(signals(&fits, &x, &Thresholds::from(self)))
    }
}

/// Streaming scorer: one price per bar in, one [`Signal`] out; the same
/// signals as [`MeanReversionValidParams::rolling`].
#[derive(Debug, Clone)]
pub struct RollingScorer {
    params: MeanReversionValidParams,
    thresholds: Thresholds,
    buf: VecDeque<f64>,
    fit: Option<(FitSummary, usize)>,
    held: Suggestion,
    bar: usize,
    last_error: Option<String>,
}

impl RollingScorer {
    /// A scorer with validated parameters.
    pub fn new(params: MeanReversionValidParams) -> Result<Self> {
        params.validate()?;
        Ok(Self {
            thresholds: Thresholds::from(&params),
            buf: VecDeque::with_capacity(params.window + 1),
            params,
            fit: None,
            held: Suggestion::Flat,
            bar: 0,
            last_error: None,
        })
    }

    /// Feed the close of the next bar. A non-positive or non-finite price is
    /// an error and leaves the scorer unchanged.
    pub fn push(&mut self, price: f64) -> Result<Signal> {
        if !(price > 0.0 && price.is_finite()) {
            return Err(OuMeanError::InvalidData(format!(
                "bar {}: price must be positive and finite, got {price}",
                self.bar
            )));
        }
        let w = self.params.window;
        self.buf.push_back(price.ln());
        if self.buf.len() > w {
            self.buf.pop_front();
        }
        let bar = self.bar;
        self.bar += 1;
        if self.buf.len() < w {
            return Ok(Signal::flat(bar));
        }
        if (bar + 1 - w).is_multiple_of(self.params.refit_every) {
            let x = self.buf.make_contiguous();
            let p = &self.params;
            match analyze_window(x, &p.ou, &p.adf, &p.hurst) {
                Ok(f) => {
                    self.fit = Some((FitSummary::from_fit(&f, x[w - 1]), bar));
                    self.last_error = None;
                }
                Err(e) => {
                    self.fit = None;
                    self.last_error = Some(e.to_string());
                }
            }
        }
        let lp = *self.buf.back().unwrap_or(&f64::NAN);
        Ok(match &self.fit {
            None => {
                self.held = Suggestion::Flat;
                Signal::flat(bar)
            }
            Some((fit, fit_bar)) => {
                let s = score_log_price(fit, lp, self.held, &self.thresholds);
                self.held = s.suggestion;
                Signal {
                    bar,
                    z: s.z,
                    score: s.score,
                    suggestion: s.suggestion,
                    gate: s.gate,
                    fit_bar: Some(*fit_bar),
                }
            }
        })
    }

    /// The position held after the last bar.
    pub fn position(&self) -> Suggestion {
        self.held
    }

    /// The fit in force, with the bar it ended at.
    pub fn current_fit(&self) -> Option<(&FitSummary, usize)> {
        self.fit.as_ref().map(|(f, b)| (f, *b))
    }

    /// Why the last refit failed, if it did.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

/// Summary of the strategy's bar returns over a range of bars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub n_bars: usize,
    /// Compounded return over the range.
    pub total_return: f64,
    pub mean_return: f64,
    /// Sample standard deviation of bar returns.
    pub std_return: f64,
    /// `mean / std` per bar (not annualised); 0 when flat throughout.
    pub sharpe: f64,
    /// Fraction of bars in the market with a positive return.
    pub hit_rate: f64,
    /// Positions opened (flat or opposite to long/short).
    pub n_trades: usize,
    /// Fraction of bars with a position.
    pub exposure: f64,
}

impl EvalReport {
    /// The report as manifest metrics, keys prefixed (e.g. `test_`).
    pub fn to_metrics(&self, prefix: &str) -> BTreeMap<String, f64> {
        [
            ("n_bars", self.n_bars as f64),
            ("total_return", self.total_return),
            ("mean_return", self.mean_return),
            ("std_return", self.std_return),
            ("sharpe", self.sharpe),
            ("hit_rate", self.hit_rate),
            ("n_trades", self.n_trades as f64),
            ("exposure", self.exposure),
        ]
        .into_iter()
        .map(|(k, v)| (format!("{prefix}{k}"), v))
        .collect()
    }
}

/// Bar returns of following `signals` on `prices`: the position decided at
/// the close of bar `t-1` earns `c[t]/c[t-1] - 1`, and each unit of position
/// change pays `fee` on the first bar it is held (SPEC T2's convention).
pub fn strategy_returns(prices: &[f64], signals: &[Signal], fee: f64) -> Result<Vec<f64>> {
    if prices.len() != signals.len() {
        return Err(OuMeanError::InvalidData(format!(
            "{} prices but {} signals",
            prices.len(),
            signals.len()
        )));
    }
    let pos = |t: usize| f64::from(signals[t].suggestion.position());
    Ok((0..prices.len())
        .map(|t| {
            if t == 0 {
                return 0.0;
            }
            let prev2 = if t >= 2 { pos(t - 2) } else { 0.0 };
            pos(t - 1) * (prices[t] / prices[t - 1] - 1.0) - fee * (pos(t - 1) - prev2).abs()
        })
        .collect())
}

/// Evaluate the strategy on the bars in `range` (returns earned at those bars).
pub fn evaluate(
    prices: &[f64],
    signals: &[Signal],
    range: Range<usize>,
    fee: f64,
) -> Result<EvalReport> {
    if range.start >= range.end || range.end > prices.len() {
        return Err(OuMeanError::InvalidData(format!(
            "evaluation range {range:?} is empty or beyond the {} bars",
            prices.len()
        )));
    }
    if !(fee >= 0.0 && fee.is_finite()) {
        return Err(OuMeanError::param("fee", fee, "must be >= 0 and finite"));
    }
    let r = strategy_returns(prices, signals, fee)?;
    let rr = &r[range.clone()];
    let n = rr.len() as f64;
    let mean = rr.iter().sum::<f64>() / n;
    let var = if rr.len() > 1 {
        rr.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let std = var.sqrt();
    let held: Vec<i8> = range
        .clone()
        .map(|t| {
            if t == 0 {
                0
            } else {
                signals[t - 1].suggestion.position()
            }
        })
        .collect();
    let in_market = held.iter().filter(|&&p| p != 0).count();
    let wins = held
        .iter()
        .zip(rr)
        .filter(|&(&p, &v)| p != 0 && v > 0.0)
        .count();
    let n_trades = range
        .clone()
        .filter(|&t| {
            let now = signals[t].suggestion.position();
            let before = if t == 0 {
                0
            } else {
                signals[t - 1].suggestion.position()
            };
            now != 0 && now != before
        })
        .count();
    Ok(EvalReport {
        n_bars: rr.len(),
        total_return: rr.iter().fold(1.0, |acc, v| acc * (1.0 + v)) - 1.0,
        mean_return: mean,
        std_return: std,
        sharpe: if std > 0.0 { mean / std } else { 0.0 },
        hit_rate: if in_market > 0 {
            wins as f64 / in_market as f64
        } else {
            0.0
        },
        n_trades,
        exposure: in_market as f64 / n,
    })
}

/// Candidate thresholds: the cartesian product, in this field order (outer to
/// inner), skipping points with `exit_z >= entry_z`. Half-life bounds stay
/// those of the base parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdGrid {
    pub adf_pvalue_max: Vec<f64>,
    pub hurst_max: Vec<f64>,
    pub entry_z: Vec<f64>,
    pub exit_z: Vec<f64>,
}

impl Default for ThresholdGrid {
    fn default() -> Self {
        Self {
            adf_pvalue_max: vec![0.01, 0.05, 0.1],
            hurst_max: vec![0.45, 0.5, 0.55],
            entry_z: vec![1.5, 2.0, 2.5],
            exit_z: vec![0.0, 0.5],
        }
    }
}

impl ThresholdGrid {
    /// The grid points on top of `base`.
    pub fn points(&self, base: &Thresholds) -> Vec<Thresholds> {
        let mut out = Vec::new();
        for &p in &self.adf_pvalue_max {
            for &h in &self.hurst_max {
                for &e in &self.entry_z {
                    for &x in &self.exit_z {
                        if x < e {
                            out.push(Thresholds {
                                adf_pvalue_max: p,
                                hurst_max: h,
                                entry_z: e,
                                exit_z: x,
                                ..*base
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

/// Result of [`tune_thresholds`].
#[derive(Debug, Clone)]
pub struct TuneReport {
    /// Every grid point's per-fold Sharpe ratios (fold = test block).
    pub grid: GridResult<Thresholds>,
    pub best: Thresholds,
}

/// Choose thresholds by forward-chaining CV on `prices` (the training bars):
/// fits are computed once; each grid point is scored by the per-bar Sharpe
/// ratio of its returns on each fold's test block (bars after the first
/// window), averaged over folds. Every fit only saw past prices, so the folds
/// measure what live trading would have seen.
pub fn tune_thresholds(
    params: &MeanReversionValidParams,
    prices: &[f64],
    grid: &ThresholdGrid,
    split: &TimeSeriesSplit,
    fee: f64,
    n_threads: usize,
) -> Result<TuneReport> {
    let x = log_prices(prices)?;
    let fits = rolling_fits(params, &x, n_threads)?;
    tune_on_fits(params, prices, &x, &fits, grid, split, fee, n_threads)
}

#[allow(clippy::too_many_arguments)]
fn tune_on_fits(
    params: &MeanReversionValidParams,
    prices: &[f64],
    x: &[f64],
    fits: &RollingFits,
    grid: &ThresholdGrid,
    split: &TimeSeriesSplit,
    fee: f64,
    n_threads: usize,
) -> Result<TuneReport> {
    let points = grid.points(&Thresholds::from(params));
    if points.is_empty() {
        return Err(OuMeanError::param(
            "grid",
            "empty",
            "needs at least one point with exit_z < entry_z",
        ));
    }
    // Folds over the scorable bars only (before `window` nothing is fitted).
    let offset = params.window;
    let n_eff = prices.len().saturating_sub(offset);
    let mut folds = split.split(n_eff)?;
    for f in folds.iter_mut() {
        f.train = f.train.start + offset..f.train.end + offset;
        f.test = f.test.start + offset..f.test.end + offset;
    }
    let result = GridSearch::new(Direction::Maximize)
        .n_threads(n_threads)
        .run(&points, &folds, |t: &Thresholds, fold| -> Result<f64> {
            let s = signals(fits, x, t);
            Ok(evaluate(prices, &s, fold.test.clone(), fee)?.sharpe)
        })?;
    let best = result.best_entry().params;
    Ok(TuneReport { grid: result, best })
}

/// Result of [`train`].
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub tune: TuneReport,
    /// First bar of the held-out test period.
    pub test_start: usize,
    /// Walk-forward performance on the test bars with the chosen thresholds.
    pub test: EvalReport,
    /// Windows that could not be fitted.
    pub failures: Vec<(usize, String)>,
}

/// The full protocol: the first `1 - test_fraction` of the bars choose the
/// thresholds by [`tune_thresholds`]; the walk-forward strategy with those
/// thresholds is evaluated on the remaining bars; the returned model is fitted
/// on the last window and carries the test metrics (prefixed `test_`) for its
/// manifest.
pub fn train(
    params: &MeanReversionValidParams,
    prices: &[f64],
    test_fraction: f64,
    grid: &ThresholdGrid,
    split: &TimeSeriesSplit,
    fee: f64,
    n_threads: usize,
) -> Result<(MeanReversionModel, TrainReport)> {
    params.validate()?;
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(OuMeanError::param(
            "test_fraction",
            test_fraction,
            "must be in (0, 1)",
        ));
    }
    let x = log_prices(prices)?;
    let test_start = ((1.0 - test_fraction) * prices.len() as f64).floor() as usize;
    if test_start <= params.window {
        return Err(OuMeanError::TooShort {
            what: "training (the training part must exceed one window)",
            needed: params.window + 1,
            got: test_start,
        });
    }
    // Fits over all bars are causal, so the training bars' fits are exactly
    // those a train-only run would produce.
    let fits = rolling_fits(params, &x, n_threads)?;
    let train_fits = RollingFits {
        bars: fits
            .bars
            .iter()
            .copied()
            .filter(|&b| b < test_start)
            .collect(),
        fits: fits
            .bars
            .iter()
            .zip(&fits.fits)
            .filter(|(b, _)| **b < test_start)
            .map(|(_, f)| *f)
            .collect(),
        failures: Vec::new(),
        ..fits.clone()
    };
    let tune = tune_on_fits(
        params,
        &prices[..test_start],
        &x[..test_start],
        &train_fits,
        grid,
        split,
        fee,
        n_threads,
    )?;
    let sig = signals(&fits, &x, &tune.best);
    let test = evaluate(prices, &sig, test_start..prices.len(), fee)?;

    let mut chosen = params.clone();
    tune.best.apply(&mut chosen);
    let last = fits.fits.last().copied().flatten();
    let fit = match (last, fits.bars.last()) {
        (Some(f), Some(&b)) if b == prices.len() - 1 => f,
        _ => {
            let w = params.window;
            let wf = analyze_window(&x[x.len() - w..], &params.ou, &params.adf, &params.hurst)?;
            FitSummary::from_fit(&wf, x[x.len() - 1])
        }
    };
    let mut metrics = test.to_metrics("test_");
    metrics.insert("test_fee".into(), fee);
    metrics.insert("cv_best_mean_sharpe".into(), tune.grid.best_entry().mean);
    let model = MeanReversionModel {
        params: chosen,
        fit,
        data_fingerprint: Some(fingerprint(prices)),
        provenance: None,
        metrics,
    };
    Ok((
        model,
        TrainReport {
            tune,
            test_start,
            test,
            failures: fits.failures,
        },
    ))
}
